// Sound effects, synthesised with Web Audio (nothing is fetched): a direct message, someone
// joining, someone leaving, a channel message while looking elsewhere, being mentioned. Each one is switched
// on or off in Settings (see prefs.js).

import * as prefs from "./prefs.js";

// Each sound is a few short notes: frequency (Hz), start and length (seconds), waveform.
const VOICES = {
  dm: [{ hz: 659.25, at: 0, len: 0.16 }, { hz: 880, at: 0.13, len: 0.28 }],
  join: [{ hz: 523.25, at: 0, len: 0.1, wave: "triangle" }, { hz: 783.99, at: 0.09, len: 0.16, wave: "triangle" }],
  leave: [{ hz: 587.33, at: 0, len: 0.1, wave: "triangle" }, { hz: 392, at: 0.09, len: 0.18, wave: "triangle" }],
  channel: [{ hz: 1174.66, at: 0, len: 0.09 }],
  mentioned: [{ hz: 880, at: 0, len: 0.12 }, { hz: 1108.73, at: 0.1, len: 0.12 }, { hz: 1318.51, at: 0.2, len: 0.22 }],
};
export const KINDS = Object.keys(VOICES);
const VOLUME = 0.2;
const QUIET_GAP_MS = 400; // a burst of messages makes one sound, not a rattle
const lastPlayed = new Map();
let context = null;

function audio() {
  context ??= new AudioContext();
  if (context.state === "suspended") context.resume();
  return context;
}

function playNote(ctx, out, note, start) {
  const oscillator = ctx.createOscillator();
  const envelope = ctx.createGain();
  oscillator.type = note.wave ?? "sine";
  oscillator.frequency.value = note.hz;
  const begin = start + note.at;
  envelope.gain.setValueAtTime(0.0001, begin);
  envelope.gain.exponentialRampToValueAtTime(1, begin + 0.015);
  envelope.gain.exponentialRampToValueAtTime(0.0001, begin + note.len);
  oscillator.connect(envelope).connect(out);
  oscillator.start(begin);
  oscillator.stop(begin + note.len + 0.02);
}

// Play one sound now, whatever the preferences say (the Settings dialog's play buttons).
export function play(kind) {
  const notes = VOICES[kind];
  // Browsers only let a page make sound once the person has interacted with it.
  if (!notes || !navigator.userActivation?.hasBeenActive) return;
  const ctx = audio();
  const out = ctx.createGain();
  out.gain.value = VOLUME;
  out.connect(ctx.destination);
  const start = ctx.currentTime + 0.01;
  for (const note of notes) playNote(ctx, out, note, start);
  document.dispatchEvent(new CustomEvent("chat:sound", { detail: { kind } }));
}

// Play a sound for an event, if this person wants that kind of sound.
export function notify(kind) {
  if (!prefs.get(`sounds.${kind}`)) return;
  const now = performance.now();
  if (now - (lastPlayed.get(kind) ?? -Infinity) < QUIET_GAP_MS) return;
  lastPlayed.set(kind, now);
  play(kind);
}

// Which sound a newly arrived message calls for, if any.
export function soundFor(msg, log, meKey) {
  const elsewhere = log.hidden || document.hidden;
  if (msg.dataset.presence) {
    if (msg.dataset.about === meKey) return null;
    return msg.dataset.presence === "joined" ? "join" : "leave";
  }
  if (!msg.classList.contains("is-chat") || msg.dataset.from === meKey || msg.hasAttribute("data-echo")) return null;
  const mentions = (msg.dataset.mentions || "").split(" ");
  if (mentions.includes(meKey) || mentions.includes("here")) return "mentioned";
  if (log.dataset.thread) return elsewhere ? "dm" : null;
  return elsewhere ? "channel" : null;
}
