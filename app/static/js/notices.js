// Notices from the server (errors, command replies, "bob is taken; you are bob2") arrive newest
// first (the fragment swaps `afterbegin`); CSS shows at most three (the rest wait their turn)
// and fades the transient ones out after a few seconds (paused while pointed at or focused).
// The browser must do two things itself, each one delegated listener: take a notice away
// when its Dismiss button is pressed, and when its fading out has ended.

const notices = document.getElementById("notices");
const textBox = document.getElementById("message-text");

notices.addEventListener("click", (event) => {
  const dismiss = event.target.closest(".notice .delete");
  if (!dismiss) return;
  const notice = dismiss.closest(".notice");
  const next = notice.nextElementSibling ?? notice.previousElementSibling;
  const hadFocus = notice.contains(document.activeElement);
  notice.remove();
  if (hadFocus) (next?.querySelector(".delete") ?? textBox)?.focus();
});

notices.addEventListener("animationend", (event) => {
  if (event.animationName === "notice-leave") event.target.closest(".notice")?.remove();
});
