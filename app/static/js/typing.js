// Typing: tells the server while this person types (at most every few seconds, never a frame
// per keystroke) and when the box is emptied; shows the "alice is typing…" line (rendered by
// the server) of the log on screen only.

import { send } from "./socket.js";

const composer = document.getElementById("composer");
const textBox = document.getElementById("message-text");
const channelField = document.getElementById("composer-channel");
const area = document.getElementById("typing-area");
const EVERY_MS = 3000;
let lastSent = 0;
let typingIn = null; // the channel the server thinks I type in

function stop() {
  if (typingIn !== null) send("typing", { channel: typingIn, active: false });
  typingIn = null;
  lastSent = 0;
}

textBox.addEventListener("input", () => {
  const channel = channelField.value;
  if (typingIn !== null && typingIn !== channel) stop();
  if (!textBox.value.trim()) {
    stop();
    return;
  }
  const now = Date.now();
  if (now - lastSent < EVERY_MS || textBox.value.startsWith("/")) return;
  if (send("typing", { channel })) {
    lastSent = now;
    typingIn = channel;
  }
});

// Sending a message ends typing on the server's side by itself.
composer.addEventListener("htmx:ws:after:message:outgoing", () => {
  typingIn = null;
  lastSent = 0;
});

function showLineOf(log) {
  for (const line of area.querySelectorAll(".typing")) line.hidden = line.dataset.log !== log.id;
}

document.addEventListener("chat:log-shown", (event) => {
  stop();
  showLineOf(event.detail.log);
});
