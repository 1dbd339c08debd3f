// Sound effects, synthesised with Web Audio (nothing is fetched). As in the original BareRTC,
// each event has its own choice among several sounds (or none), with one volume for all and
// "Mute all sounds" (Settings; the choices are `sounds.*`, `soundVolume` and `muteSounds` in
// prefs.js). The events: a direct message, a post in a channel I am not viewing, someone
// joining or leaving, someone starting to watch my camera, being mentioned.

import * as prefs from "./prefs.js";

// Each sound is a few short notes: frequency (Hz, gliding to `to` if given), start and length
// (seconds), waveform, loudness (1 = full). The names are the Settings dialog's choices.
const SOUNDS = {
  chime: [{ hz: 659.25, at: 0, len: 0.16 }, { hz: 880, at: 0.13, len: 0.3 }, { hz: 1760, at: 0.13, len: 0.2, gain: 0.2 }],
  ping: [{ hz: 1318.51, at: 0, len: 0.28 }],
  beep: [{ hz: 880, at: 0, len: 0.08, wave: "square", gain: 0.35 }, { hz: 880, at: 0.12, len: 0.08, wave: "square", gain: 0.35 }],
  bird: [
    { hz: 2093, to: 3136, at: 0, len: 0.08 },
    { hz: 2349.32, to: 3520, at: 0.1, len: 0.08 },
    { hz: 2637.02, to: 3951.07, at: 0.2, len: 0.1 },
  ],
  sonar: [{ hz: 1046.5, at: 0, len: 0.6 }, { hz: 1046.5, at: 0.35, len: 0.5, gain: 0.3 }],
  trill: [1567.98, 1760, 1567.98, 1760, 1567.98, 1760].map((hz, n) => ({ hz, at: n * 0.05, len: 0.05, wave: "triangle" })),
  quiet: [{ hz: 523.25, at: 0, len: 0.2, wave: "triangle", gain: 0.5 }, { hz: 659.25, at: 0.12, len: 0.25, wave: "triangle", gain: 0.5 }],
  knock: [{ hz: 180, at: 0, len: 0.07, wave: "triangle" }, { hz: 160, at: 0.14, len: 0.07, wave: "triangle" }],
  rise: [{ hz: 523.25, at: 0, len: 0.1, wave: "triangle" }, { hz: 783.99, at: 0.09, len: 0.16, wave: "triangle" }],
  fall: [{ hz: 587.33, at: 0, len: 0.1, wave: "triangle" }, { hz: 392, at: 0.09, len: 0.18, wave: "triangle" }],
};
const MAX_GAIN = 0.5; // at volume 100
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
  const begin = start + note.at;
  oscillator.type = note.wave ?? "sine";
  oscillator.frequency.value = note.hz;
  if (note.to) {
    oscillator.frequency.setValueAtTime(note.hz, begin);
    oscillator.frequency.exponentialRampToValueAtTime(note.to, begin + note.len);
  }
  envelope.gain.setValueAtTime(0.0001, begin);
  envelope.gain.exponentialRampToValueAtTime(note.gain ?? 1, begin + 0.015);
  envelope.gain.exponentialRampToValueAtTime(0.0001, begin + note.len);
  oscillator.connect(envelope).connect(out);
  oscillator.start(begin);
  oscillator.stop(begin + note.len + 0.02);
}

// The loudness of the volume slider's 0-100: squared, since ears hear loudness that way.
function gainOf(volume) {
  const share = Math.min(Math.max(volume, 0), 100) / 100;
  return MAX_GAIN * share * share;
}

// Play the sound `name` now at the chosen volume, whatever else the preferences say (the
// Settings dialog's play buttons). `kind` is the event it is played for, for the page's record.
export function play(name, kind = "") {
  const notes = SOUNDS[name];
  const gain = gainOf(prefs.get("soundVolume"));
  // Browsers only let a page make sound once the person has interacted with it.
  if (!notes || gain === 0 || !navigator.userActivation?.hasBeenActive) return;
  const ctx = audio();
  const out = ctx.createGain();
  out.gain.value = gain;
  out.connect(ctx.destination);
  const start = ctx.currentTime + 0.01;
  for (const note of notes) playNote(ctx, out, note, start);
  document.dispatchEvent(new CustomEvent("chat:sound", { detail: { kind, sound: name } }));
}

// Play the sound this person chose for an event, unless they chose none or muted all sounds.
export function notify(kind) {
  const name = prefs.get(`sounds.${kind}`);
  if (prefs.get("muteSounds") || !SOUNDS[name]) return;
  const now = performance.now();
  if (now - (lastPlayed.get(kind) ?? -Infinity) < QUIET_GAP_MS) return;
  lastPlayed.set(kind, now);
  play(name, kind);
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
