// Away by myself: after `data-away-after` seconds without mouse, keyboard or touch input, the
// page tells the server I am idle (others see me as Away while my status is Online), and that
// I am back at the next input. 0 turns it off.

import { onConnected, send } from "./socket.js";

const after = Number(document.getElementById("chat").dataset.awayAfter || 0) * 1000;
const INPUT = ["pointermove", "pointerdown", "keydown", "wheel", "touchstart", "focus"];
let lastInput = Date.now();
let idle = false;
let timer = null;

function wait(ms) {
  clearTimeout(timer);
  timer = setTimeout(check, Math.max(ms, 50));
}

function check() {
  const quiet = Date.now() - lastInput;
  if (quiet < after) {
    wait(after - quiet);
    return;
  }
  if (!idle && send("idle", { idle: true })) idle = true;
}

function onInput() {
  lastInput = Date.now();
  if (!idle) return;
  idle = false;
  send("idle", { idle: false });
  wait(after);
}

if (after > 0) {
  for (const kind of INPUT) window.addEventListener(kind, onInput, { capture: true, passive: true });
  // A new socket is a new member, not idle: tell it again, or start counting again.
  onConnected(() => {
    if (idle) send("idle", { idle: true });
    else wait(after - (Date.now() - lastInput));
  });
  wait(after);
}
