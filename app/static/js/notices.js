// Notices from the server (errors, "you are now alice2"): dismissed by their close button, and
// gone by themselves after a while; errors stay a little longer.

const notices = document.getElementById("notices");

notices.addEventListener("click", (event) => {
  const dismiss = event.target.closest(".notice .delete");
  if (dismiss) dismiss.closest(".notice").remove();
});

function timeOut() {
  for (const notice of notices.querySelectorAll(".notice:not([data-timed])")) {
    notice.dataset.timed = "1";
    setTimeout(() => notice.remove(), notice.getAttribute("role") === "alert" ? 12000 : 8000);
  }
}

new MutationObserver(timeOut).observe(notices, { childList: true, subtree: true });
timeOut();
