// The message box: Enter sends (unless turned off in Settings; Ctrl+Enter always sends),
// the box grows with what is typed, and empties once the message has gone.

import * as prefs from "./prefs.js";

const composer = document.getElementById("composer");
const textBox = document.getElementById("message-text");

function fit() {
  textBox.style.height = "auto";
  textBox.style.height = `${textBox.scrollHeight + 2}px`;
}

function describe() {
  textBox.placeholder = prefs.get("enterSends") ? "Write a message" : "Write a message (Ctrl+Enter sends)";
}

textBox.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  const wantsSend = event.ctrlKey || event.metaKey || (prefs.get("enterSends") && !event.shiftKey);
  if (wantsSend) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

textBox.addEventListener("input", fit);

composer.addEventListener("htmx:ws:after:message:outgoing", () => {
  textBox.value = "";
  fit();
});

prefs.onChange(describe);
describe();
