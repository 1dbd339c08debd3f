// Profile cards. Clicking (or Enter on) a name anywhere, in the who list or on a message, asks
// the server for that person's card; it arrives as the content of the #profile-card dialog
// (rendered for me alone), and this module opens the dialog then, with focus inside, and puts
// focus back on the name when it closes. When the card is replaced while open (after Mute,
// say), focus stays on the button in the same place. Inside the card: the Kick and Ban…
// dialogs, and the buttons that close the card once they have done their job.

import { send } from "./socket.js";

const dialog = document.getElementById("profile-card");
const messageBox = document.getElementById("message-text");
const FOCUSABLE = "button:not([disabled]), a[href], input:not([type=hidden]), textarea, select";
let wanted = null; // the username whose card I asked for
let opener = null; // the name to focus again when the card closes
let focusIndex = -1; // which of the card's controls had focus, for when the card is replaced

function usernameOf(button) {
  return button.dataset.username || button.closest(".who-row")?.dataset.username;
}

function ask(button) {
  const username = usernameOf(button);
  if (!username) return;
  wanted = username;
  opener = button;
  send("profile", { username });
}

function body() {
  return document.getElementById("profile-card-body");
}

function onCardArrived() {
  const card = body();
  if (!card || card.dataset.username !== wanted) return;
  if (!dialog.open) {
    dialog.showModal();
    (card.querySelector("[data-autofocus]:not([disabled])") ?? card.querySelector(FOCUSABLE))?.focus();
    return;
  }
  if (dialog.contains(document.activeElement) && document.activeElement !== dialog) return;
  const controls = [...card.querySelectorAll(FOCUSABLE)];
  (controls[Math.min(focusIndex, controls.length - 1)] ?? controls[0])?.focus();
}

function nameButtonFor(username) {
  for (const button of document.querySelectorAll(".who-name, .sender-button")) {
    if (usernameOf(button) === username) return button;
  }
  return null;
}

new MutationObserver(onCardArrived).observe(dialog, { childList: true });

dialog.addEventListener("focusin", (event) => {
  const card = body();
  if (card?.contains(event.target)) focusIndex = [...card.querySelectorAll(FOCUSABLE)].indexOf(event.target);
});

dialog.addEventListener("close", () => {
  for (const inner of dialog.querySelectorAll("dialog[open]")) inner.close();
  const then = dialog.dataset.then;
  let target = then === "message" ? messageBox : opener?.isConnected ? opener : nameButtonFor(wanted);
  delete dialog.dataset.then;
  wanted = null;
  // Opened from a phone's drawer, which the card's opening closed: back into the drawer,
  // unless the card did its job (a message to write, a camera to watch).
  if (target && !target.checkVisibility()) {
    const drawer = target.closest(".drawer[popover]");
    if (drawer && !then) drawer.showPopover();
    else target = messageBox;
  }
  target?.focus();
});

document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const name = target.closest(".who-name, .sender-button");
  if (name) {
    ask(name);
    return;
  }
  if (!dialog.contains(target)) return;
  if (target === dialog) {
    dialog.close(); // a click on the backdrop
    return;
  }
  const opens = target.closest("[data-dialog]");
  if (opens) {
    document.getElementById(opens.dataset.dialog)?.showModal();
    return;
  }
  if (target.closest("[data-close-dialog]")) {
    target.closest("dialog")?.close();
    return;
  }
  if (target.closest("[data-opens-thread]")) {
    dialog.dataset.then = "message";
    dialog.close();
  } else if (target.closest(".camera-button, [data-closes-card]")) {
    dialog.dataset.then = "done";
    dialog.close();
  }
});

// An operator's Kick or Ban form has gone to the server: the dialogs have done their job.
dialog.addEventListener("htmx:ws:after:message:outgoing", (event) => {
  if (event.target.closest?.(".operator-form")) dialog.close();
});
