// The webcam panels in #webcams: one per feed, built from the page's <template>, with each
// panel's own controls (mute and volume, full screen, pop out, minimise) and what the panel
// says about its feed (connecting, turned off, failed with Try again, reconnecting, speaking).
// The panels know nothing of connections: Close and Try again are `webcam:close` and
// `webcam:retry` events on the panel for webcam.js, which also says what state each is in.

import { listen } from "./webcam-levels.js";
import { makeMovable, putBack } from "./webcam-popout.js";

const area = document.getElementById("webcams");
const template = document.getElementById("webcam-panel-template");
const listening = new WeakMap(); // panel -> {stream, stop} of its speaking indicator
export const SIZES = ["small", "medium", "large", "fit"];

export function create(name, { self = false } = {}) {
  const panel = template.content.firstElementChild.cloneNode(true);
  panel.dataset.username = name;
  panel.setAttribute("aria-label", self ? "Your camera" : `${name}'s camera`);
  panel.querySelector(".webcam-name").textContent = self ? `${name} (you)` : name;
  panel.querySelector("video").setAttribute("aria-label", self ? "Your camera preview" : `Video of ${name}`);
  if (self) {
    panel.classList.add("is-self");
    panel.querySelectorAll(".webcam-audio, .webcam-volume, .webcam-close").forEach((control) => control.remove());
  } else {
    panel.querySelector(".webcam-close").setAttribute("aria-label", `Close ${name}'s camera`);
    panel.querySelector(".webcam-volume").setAttribute("aria-label", `Volume of ${name}`);
  }
  updateAudio(panel);
  updateMinimise(panel);
  if (self) area.prepend(panel);
  else area.append(panel);
  return panel;
}

export function remove(panel) {
  listening.get(panel)?.stop();
  if (document.fullscreenElement === panel) document.exitFullscreen().catch(() => {});
  panel.remove();
}

// Show `stream` in the panel; `again` after one of its tracks was replaced (a new device).
export function showStream(panel, stream, { again = false } = {}) {
  const video = panel.querySelector("video");
  if (!stream) return;
  if (again) {
    listening.get(panel)?.stop();
    listening.delete(panel);
  }
  if (video.srcObject !== stream || again) {
    video.srcObject = stream;
    video.play().catch(() => {}); // autoplay of a muted video is allowed; this only hurries it
    stream.addEventListener("addtrack", () => showSound(panel, stream));
  }
  video.addEventListener("playing", () => setState(panel, panel.dataset.state === "connecting" ? "" : panel.dataset.state), { once: true });
  showSound(panel, stream);
}

function showSound(panel, stream) {
  updateAudio(panel);
  const current = listening.get(panel);
  if (!stream.getAudioTracks().length || current?.stream === stream) return;
  current?.stop();
  const stop = listen(stream, (speaking) => {
    panel.classList.toggle("is-speaking", speaking);
    panel.querySelector(".webcam-speaking").hidden = !speaking;
  });
  listening.set(panel, { stream, stop });
}

// What the panel says over its video: "connecting", "failed" (with Try again),
// "reconnecting", or "" (playing). A camera turned off for now says so while playing.
export function setState(panel, state) {
  panel.dataset.state = state;
  const name = panel.dataset.username;
  const self = panel.classList.contains("is-self");
  const paused = panel.dataset.paused === "true";
  const words = {
    connecting: "Connecting…",
    reconnecting: "Reconnecting…",
    failed: `The video connection with ${name} failed.`,
  }[state] || (paused ? (self ? "Your camera is turned off for now." : `${name} turned their camera off for now.`) : "");
  const overlay = panel.querySelector(".webcam-overlay");
  overlay.hidden = !words;
  overlay.querySelector(".webcam-overlay-text").textContent = words;
  panel.querySelector(".webcam-retry").hidden = state !== "failed";
}

// What everyone knows of the broadcaster (their who-list row): turned off for now, muted.
export function setRemote(panel, { paused, muted }) {
  panel.dataset.paused = String(paused);
  panel.querySelector(".webcam-mic-muted").hidden = !muted;
  setState(panel, panel.dataset.state || "");
}

export function setSize(size) {
  area.dataset.size = SIZES.includes(size) ? size : "medium";
}

function updateAudio(panel) {
  const button = panel.querySelector(".webcam-audio");
  if (!button) return;
  const video = panel.querySelector("video");
  const volume = panel.querySelector(".webcam-volume");
  const hasSound = Boolean(video.srcObject?.getAudioTracks().length);
  const name = panel.dataset.username;
  const silent = video.muted || video.volume === 0;
  button.disabled = volume.disabled = !hasSound;
  button.setAttribute("aria-label", video.muted ? `Unmute ${name}` : `Mute ${name}`);
  button.title = hasSound ? "" : `${name} shares no sound`;
  button.querySelector("i").className = silent ? "fa fa-volume-xmark" : "fa fa-volume-high";
  volume.value = String(video.volume);
}

function updateMinimise(panel) {
  const button = panel.querySelector(".webcam-minimise");
  const minimised = panel.classList.contains("is-minimised");
  const whose = panel.classList.contains("is-self") ? "your camera" : `${panel.dataset.username}'s camera`;
  button.setAttribute("aria-label", `${minimised ? "Restore" : "Minimise"} ${whose}`);
  button.setAttribute("aria-expanded", String(!minimised));
  button.title = minimised ? "Restore" : "Minimise";
  button.querySelector("i").className = minimised ? "fa fa-window-maximize" : "fa fa-window-minimize";
}

function label(button, text, icon) {
  button.setAttribute("aria-label", text);
  button.title = text;
  button.querySelector("i").className = `fa ${icon}`;
}

const actions = {
  "webcam-audio"(panel) {
    const video = panel.querySelector("video");
    video.muted = !video.muted;
    if (!video.muted && video.volume === 0) video.volume = 1;
    updateAudio(panel);
  },
  "webcam-minimise"(panel) {
    panel.classList.toggle("is-minimised");
    updateMinimise(panel);
  },
  "webcam-fullscreen"(panel) {
    if (document.fullscreenElement === panel) document.exitFullscreen().catch(() => {});
    else panel.requestFullscreen?.().catch(() => {});
  },
  "webcam-popout"(panel, button) {
    const popped = !panel.classList.contains("is-popped");
    const box = panel.getBoundingClientRect(); // where it is in the row, before it floats
    panel.classList.toggle("is-popped", popped);
    if (popped) makeMovable(panel, box);
    else putBack(panel);
    label(button, popped ? "Put back" : "Pop out", popped ? "fa-down-left-and-up-right-to-center" : "fa-up-right-from-square");
  },
  "webcam-close"(panel) {
    panel.dispatchEvent(new CustomEvent("webcam:close", { bubbles: true }));
  },
  "webcam-retry"(panel) {
    panel.dispatchEvent(new CustomEvent("webcam:retry", { bubbles: true }));
  },
};

area.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  const panel = button?.closest(".webcam-panel");
  if (!panel) return;
  const action = Object.keys(actions).find((name) => button.classList.contains(name));
  if (action) actions[action](panel, button);
});

area.addEventListener("input", (event) => {
  const volume = event.target.closest(".webcam-volume");
  if (!volume) return;
  const panel = volume.closest(".webcam-panel");
  const video = panel.querySelector("video");
  video.volume = Number(volume.value);
  video.muted = video.volume === 0;
  updateAudio(panel);
});

document.addEventListener("fullscreenchange", () => {
  for (const button of area.querySelectorAll(".webcam-fullscreen")) {
    const full = document.fullscreenElement === button.closest(".webcam-panel");
    label(button, full ? "Exit full screen" : "Full screen", full ? "fa-compress" : "fa-expand");
  }
});
