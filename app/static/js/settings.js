// The Settings dialog: a native <dialog> (Escape closes it, focus returns to the button that
// opened it). Every control carries `data-pref`; a change is saved and applied at once.

import * as prefs from "./prefs.js";
import { play } from "./sounds.js";

const dialog = document.getElementById("settings");
const opener = document.getElementById("settings-open");

function fill() {
  for (const input of dialog.querySelectorAll("[data-pref]")) {
    const value = prefs.get(input.dataset.pref);
    if (input.type === "radio") input.checked = input.value === value;
    else input.checked = Boolean(value);
  }
}

dialog.addEventListener("change", (event) => {
  const input = event.target.closest("[data-pref]");
  if (!input) return;
  prefs.set(input.dataset.pref, input.type === "radio" ? input.value : input.checked);
});

dialog.addEventListener("click", (event) => {
  const button = event.target.closest(".play-sound");
  if (button) play(button.dataset.sound);
  else if (event.target === dialog) dialog.close(); // a click on the backdrop
});

dialog.addEventListener("close", () => opener.focus());

opener.addEventListener("click", () => {
  fill();
  dialog.showModal();
});

prefs.onChange(() => {
  if (dialog.open) fill();
});
