// The Settings dialog: a native <dialog> (Escape closes it, focus returns to the button that
// opened it). Every control carries `data-pref`; a change is saved and applied at once. Each
// sound's play button plays the sound chosen beside it (disabled while that is "No sound").

import * as prefs from "./prefs.js";
import { play } from "./sounds.js";

const dialog = document.getElementById("settings");
const opener = document.getElementById("settings-open");

function fill() {
  for (const input of dialog.querySelectorAll("[data-pref]")) {
    const value = prefs.get(input.dataset.pref);
    if (input.type === "radio") input.checked = input.value === value;
    else if (input.type === "checkbox") input.checked = Boolean(value);
    else input.value = String(value);
  }
  for (const button of dialog.querySelectorAll(".play-sound")) {
    button.disabled = document.getElementById(button.dataset.soundFor).value === "none";
  }
}

function valueOf(input) {
  if (input.type === "radio") return input.value;
  if (input.type === "checkbox") return input.checked;
  if (input.type === "range") return input.valueAsNumber;
  return input.value;
}

dialog.addEventListener("change", (event) => {
  const input = event.target.closest("[data-pref]");
  if (input) prefs.set(input.dataset.pref, valueOf(input));
});

dialog.addEventListener("click", (event) => {
  const button = event.target.closest(".play-sound");
  if (button) play(document.getElementById(button.dataset.soundFor).value, button.dataset.sound);
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
