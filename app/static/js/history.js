// Saved direct messages (only on a page where they are on): the History dialog opens and
// closes, asks before "Clear my DM history", and a past partner chosen in it opens their
// thread. The lists and the saved messages themselves come from the server over the socket.

import { openThreadWith } from "./logs.js";

const dialog = document.getElementById("history");
const opener = document.getElementById("history-open");
const ask = document.getElementById("history-clear-ask");
const confirmForm = document.getElementById("history-clear-confirm");

function showConfirm(shown) {
  confirmForm.hidden = !shown;
  ask.hidden = shown;
  ask.setAttribute("aria-expanded", String(shown));
  if (shown) confirmForm.querySelector("button[type=submit]").focus();
}

if (dialog && opener) {
  // The button also sends `history-partners` (hx-ws:send): the list arrives from the server.
  opener.addEventListener("click", () => {
    dialog.querySelector("#history-sort").value = "newest";
    showConfirm(false);
    dialog.showModal();
  });
  ask.addEventListener("click", () => showConfirm(true));
  document.getElementById("history-clear-cancel").addEventListener("click", () => {
    showConfirm(false);
    ask.focus();
  });
  confirmForm.addEventListener("submit", () => setTimeout(() => showConfirm(false)));
  document.getElementById("history-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
    const partner = event.target.closest(".history-partner");
    if (partner) {
      dialog.close();
      openThreadWith(partner.dataset.username); // the form sends `history`; the thread follows
    }
  });
  dialog.addEventListener("close", () => opener.focus());
}
