// The message box: Enter sends (unless turned off in Settings; Ctrl+Enter always sends),
// the box grows with what is typed, and empties once the message has gone. It says where the
// message goes (the placeholder of the conversation's header, `Message #Lobby`), is disabled
// while the other person of a DM has left the chat, counts the characters near the limit,
// and refuses a message over it before sending: the browser's own form validation
// (setCustomValidity) keeps the form from being sent and says why, naming the limit.

import * as prefs from "./prefs.js";

const composer = document.getElementById("composer");
const textBox = document.getElementById("message-text");
const sendButton = composer.querySelector('button[type="submit"]');
const counter = document.getElementById("message-count");
const heads = document.getElementById("conversation-heads");
const limit = Number(textBox.dataset.limit) || 0;
const COUNT_FROM = 0.8; // the counter shows from this share of the limit on
const number = new Intl.NumberFormat("en");

function fit() {
  textBox.style.height = "auto";
  textBox.style.height = `${textBox.scrollHeight + 2}px`;
}

function describe() {
  const head = heads.querySelector(".conversation-head:not([hidden])");
  if (!head) return; // a thread on its way (logs.js says who it is for meanwhile)
  const gone = head.querySelector("[data-gone]");
  textBox.disabled = sendButton.disabled = Boolean(gone);
  const where = gone ? gone.textContent.trim() : head.dataset.placeholder;
  textBox.placeholder = gone || prefs.get("enterSends") ? where : `${where} (Ctrl+Enter sends)`;
}

// Characters as the server counts them (code points of the trimmed text).
function count() {
  const length = [...textBox.value.trim()].length;
  const over = limit > 0 && length > limit;
  counter.hidden = !(limit > 0 && length >= limit * COUNT_FROM);
  counter.textContent = over
    ? `${number.format(length)} / ${number.format(limit)}: ${number.format(length - limit)} too many`
    : `${number.format(length)} / ${number.format(limit)}`;
  counter.classList.toggle("is-over", over);
  textBox.setAttribute("aria-invalid", String(over));
  textBox.setCustomValidity(
    over
      ? `This message is ${number.format(length)} characters long; the limit is ${number.format(limit)}. Shorten it to send it.`
      : "",
  );
}

textBox.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  const wantsSend = event.ctrlKey || event.metaKey || (prefs.get("enterSends") && !event.shiftKey);
  if (wantsSend) {
    event.preventDefault();
    composer.requestSubmit(); // refused by validation (and said why) when over the limit
  }
});

textBox.addEventListener("input", () => {
  fit();
  count();
});

composer.addEventListener("htmx:ws:after:message:outgoing", () => {
  textBox.value = "";
  fit();
  count();
});

document.addEventListener("chat:log-shown", describe);
// A header replaced by the server: the partner left or came back.
new MutationObserver(describe).observe(heads, { childList: true, subtree: true });
prefs.onChange(() => {
  describe();
  fit(); // a new text size changes the height the box needs
});
describe();
count();
