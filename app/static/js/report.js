// Reporting a message (only on a page where the website takes reports): the Report dialog
// opens for one message, shows what is reported, and closes once sent or cancelled. The form
// goes over the socket (hx-ws:send) as a `report` frame; the server answers with a notice.

const dialog = document.getElementById("report");
let opener = null; // the Report button, to give focus back to

export function openReport(button, msg) {
  if (!dialog || !msg.dataset.id) return;
  opener = button;
  dialog.querySelector("#report-id").value = msg.dataset.id;
  dialog.querySelector("#report-author").textContent = msg.querySelector(".sender")?.textContent ?? "";
  const text = msg.querySelector(".body")?.textContent.trim() ?? "";
  dialog.querySelector("#report-text").textContent = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  dialog.querySelector("#report-reason").selectedIndex = 0;
  dialog.querySelector("#report-comment").value = "";
  dialog.showModal();
}

if (dialog) {
  const form = dialog.querySelector("#report-form");
  // hx-ws sends the form on submit; close once it has read the values.
  form.addEventListener("submit", () => setTimeout(() => dialog.close()));
  dialog.querySelector("#report-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });
  dialog.addEventListener("close", () => {
    if (opener?.isConnected) opener.focus();
    opener = null;
  });
}
