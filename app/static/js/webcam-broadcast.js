// My camera and the bar's controls for it: start and stop, `Mute microphone`, `Turn camera
// off` (for now: the sound carries on), the devices (a change while live replaces the track
// every viewer receives), the broadcast settings, and the status line under them all. It
// answers viewers' rings, and tells the server my camera's whole state with `me` on every
// change. webcam.js sets it up with the signalling and is told when I start or stop.

import * as prefs from "./prefs.js";
import * as devices from "./webcam-devices.js";
import * as panels from "./webcam-panels.js";

const $ = (id) => document.getElementById(id);
const bar = $("webcam-bar");
const startButton = $("webcam-start");
const micBox = $("webcam-mic");
const muteButton = $("webcam-mute");
const pauseButton = $("webcam-pause");
const nsfwBox = $("webcam-nsfw"); // only when the server permits NSFW
const mutualBox = $("webcam-mutual");
const cameraSelect = $("webcam-camera");
const microphoneSelect = $("webcam-microphone");
const watcherBadge = $("webcam-watchers");

let me = "";
let signalling = null;
let send = () => false;
let changed = () => {};
let camera = null; // my MediaStream while I broadcast
let preview = null; // my self-preview panel
const refused = new Set(); // viewers I stopped sending to, until my camera stops
export const invited = new Set(); // people I invited to watch: sent again after a reconnect

// `onChange()` runs when I start or stop, or change who may watch.
export function setUp(options) {
  ({ me, signalling, send } = options);
  changed = options.onChange;
  signalling.addEventListener("ring", ({ detail: { peer } }) => {
    if (!camera) signalling.refuse(peer);
    else if (refused.has(peer)) signalling.refuse(peer, "stopped");
    else signalling.answer(peer, camera);
  });
  signalling.addEventListener("cut", () => stopCamera("An operator turned your camera off."));
}

export function isLive() {
  return Boolean(camera);
}

export function previewPanel() {
  return preview;
}

// While I broadcast asking for mutual cameras, invitations are worth offering.
export function inviting() {
  return Boolean(camera) && mutualBox.checked;
}

// An operator's /nsfw tags my camera: keep my checkbox true to it, so I do not undo it.
export function keepNsfwTag(tagged) {
  if (camera && nsfwBox && tagged) nsfwBox.checked = true;
}

export function say(text) {
  $("webcam-status").textContent = text;
  if (text) $("webcam-error").textContent = "";
}

export function sayError(text) {
  $("webcam-error").textContent = text;
  $("webcam-status").textContent = "";
}

// --- broadcasting ----------------------------------------------------------------------------

async function startCamera() {
  say("");
  if (!devices.supported()) {
    sayError("This browser cannot share a camera here: webcams need a secure (https) page and a recent browser.");
    return;
  }
  startButton.disabled = true;
  try {
    camera = await devices.capture({ audio: micBox.checked, ...(await rememberedDevices()) });
  } catch (error) {
    sayError(devices.explain(error, micBox.checked));
    return;
  } finally {
    startButton.disabled = false;
  }
  camera.getTracks().forEach(stopWhenEnded);
  preview = panels.create(me, { self: true });
  panels.showStream(preview, camera);
  panels.setState(preview, "");
  setBroadcasting(true);
  announce();
  listDevices();
}

export function stopCamera(message = "") {
  if (!camera) return;
  for (const link of [...signalling.sending.values()]) signalling.hangUp(link);
  for (const track of camera.getTracks()) track.stop();
  camera = null;
  refused.clear();
  if (preview) panels.remove(preview);
  preview = null;
  setBroadcasting(false);
  announce();
  if (message) say(message);
}

function stopWhenEnded(track) {
  track.addEventListener("ended", () => {
    if (camera?.getTracks().includes(track)) stopCamera("Your camera stopped.");
  });
}

function track(kind) {
  return (kind === "video" ? camera?.getVideoTracks() : camera?.getAudioTracks())?.[0] || null;
}

// My camera's whole state, as the who list shows it to everyone.
export function announce() {
  const audio = track("audio");
  const video = track("video");
  send("me", {
    camera: camera ? "on" : "off",
    nsfw: Boolean(nsfwBox?.checked),
    muted: Boolean(audio && !audio.enabled),
    paused: Boolean(video && !video.enabled),
    mutual: mutualBox.checked,
  });
}

function toggle(kind) {
  const live = track(kind);
  if (!live) return;
  live.enabled = !live.enabled;
  showLiveControls();
  announce();
}

function showLiveControls() {
  const audio = track("audio");
  const video = track("video");
  const muted = Boolean(audio && !audio.enabled);
  const paused = Boolean(video && !video.enabled);
  muteButton.hidden = !audio;
  pauseButton.hidden = !video;
  labelButton(muteButton, muted ? "Unmute microphone" : "Mute microphone", muted ? "fa-microphone" : "fa-microphone-slash");
  labelButton(pauseButton, paused ? "Turn camera on" : "Turn camera off", paused ? "fa-video" : "fa-video-slash");
  if (preview) panels.setRemote(preview, { paused, muted });
}

function labelButton(button, text, icon) {
  button.querySelector(".webcam-button-label").textContent = text;
  button.querySelector("i").className = `fa ${icon}`;
}

function setBroadcasting(on) {
  startButton.querySelector(".webcam-start-label").textContent = on ? "Stop webcam" : "Start webcam";
  startButton.classList.toggle("is-primary", !on);
  startButton.classList.toggle("is-danger", on);
  micBox.disabled = on;
  watcherBadge.hidden = !on;
  document.getElementById("chat").classList.toggle("is-broadcasting", on);
  showLiveControls();
  changed();
}

export function stopSendingTo(name) {
  const link = signalling.sending.get(name);
  if (!link) return;
  refused.add(name);
  signalling.hangUp(link, "stopped");
  say(`You stopped sending your camera to ${name}.`);
}

export function invite(name) {
  if (!send("video-invite", { username: name })) return;
  invited.add(name);
  refused.delete(name);
  changed();
}

// --- devices ---------------------------------------------------------------------------------

const DEVICE_PREFS = { video: ["webcam.camera", "webcam.cameraLabel"], audio: ["webcam.microphone", "webcam.microphoneLabel"] };

async function rememberedDevices() {
  const known = await devices.devices().catch(() => ({ video: [], audio: [] }));
  const pick = (kind) => devices.remembered(known[kind], ...DEVICE_PREFS[kind].map((key) => prefs.get(key)));
  return { camera: pick("video"), microphone: pick("audio") };
}

async function listDevices() {
  const known = await devices.devices().catch(() => null);
  if (!known) return;
  for (const [kind, select, word] of [["video", cameraSelect, "camera"], ["audio", microphoneSelect, "microphone"]]) {
    const chosen = track(kind)?.getSettings().deviceId || devices.remembered(known[kind], ...DEVICE_PREFS[kind].map((key) => prefs.get(key)));
    select.replaceChildren(new Option(`The default ${word}`, ""), ...known[kind].map((device) => new Option(device.label, device.id)));
    select.value = known[kind].some((device) => device.id === chosen) ? chosen : "";
  }
}

// A device chosen while live replaces the track every viewer receives, without dropping them.
async function switchDevice(kind, select) {
  const [idKey, labelKey] = DEVICE_PREFS[kind];
  prefs.set(idKey, select.value);
  prefs.set(labelKey, select.value ? select.selectedOptions[0].textContent : "");
  const old = track(kind);
  if (!old) return; // not live, or live without a microphone: used at the next start
  let fresh;
  try {
    fresh = await devices.captureTrack(kind, select.value).catch((error) => {
      if (error?.name !== "NotReadableError") throw error;
      old.stop(); // some devices open only one at a time
      return devices.captureTrack(kind, select.value);
    });
  } catch (error) {
    sayError(devices.explain(error, kind === "audio"));
    return;
  }
  if (track(kind) !== old) { // stopped, or switched again, meanwhile
    fresh.stop();
    return;
  }
  fresh.enabled = old.enabled;
  stopWhenEnded(fresh);
  camera.removeTrack(old);
  camera.addTrack(fresh);
  old.stop();
  await signalling.replaceTrack(fresh);
  panels.showStream(preview, camera, { again: true });
  say(kind === "video" ? "Switched camera." : "Switched microphone.");
}

// After a reconnect the server knows nothing of my invitations: tell it again, quietly.
export function resendInvites(present) {
  for (const name of invited) if (present(name)) send("video-invite", { username: name, resend: true });
}

// Controls with `data-pref` start as this browser last left them, and remember each change.
for (const control of bar.querySelectorAll("[data-pref]")) {
  const value = prefs.get(control.dataset.pref);
  if (control.type === "checkbox") control.checked = Boolean(value);
  else control.value = value;
}

bar.addEventListener("change", (event) => {
  const control = event.target;
  if (control.dataset.pref) prefs.set(control.dataset.pref, control.type === "checkbox" ? control.checked : control.value);
  if (control === nsfwBox || control === mutualBox) {
    if (camera) announce();
    changed();
  } else if (control === cameraSelect) switchDevice("video", cameraSelect);
  else if (control === microphoneSelect) switchDevice("audio", microphoneSelect);
});
$("webcam-settings").addEventListener("toggle", (event) => {
  if (event.target.open) listDevices();
});
startButton.addEventListener("click", () => (camera ? stopCamera() : startCamera()));
muteButton.addEventListener("click", () => toggle("audio"));
pauseButton.addEventListener("click", () => toggle("video"));
