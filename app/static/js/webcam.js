// Webcams, the page's side: broadcasting my camera (the bar: start and stop, mute, turn off
// for now, devices, the broadcast settings) and watching other people's (one feed per
// broadcaster, each in a panel), wired together. The parts each do one job:
//   webcam-signalling.js  the RTCPeerConnections and their frames (no DOM)
//   webcam-devices.js     capturing the camera and microphone, the devices to choose from
//   webcam-panels.js      the panels and their controls; webcam-levels.js who is speaking;
//                         webcam-popout.js a panel popped out and moved
//   webcam-who.js         the who-list marks only this page shows
// The server's who-list rows are what everyone sees of a camera; this module reads them
// (a feed closes when its camera does) and tells the server my camera's state with `me`.

import * as prefs from "./prefs.js";
import * as devices from "./webcam-devices.js";
import * as panels from "./webcam-panels.js";
import { Signalling } from "./webcam-signalling.js";
import { cameraButton, refreshMarks, rowOf } from "./webcam-who.js";

const $ = (id) => document.getElementById(id);
const app = $("chat");
const me = app.dataset.me;
const bar = $("webcam-bar");
const area = $("webcams");
const startButton = $("webcam-start");
const micBox = $("webcam-mic");
const muteButton = $("webcam-mute");
const pauseButton = $("webcam-pause");
const nsfwBox = $("webcam-nsfw"); // only when the server permits NSFW
const mutualBox = $("webcam-mutual");
const cameraSelect = $("webcam-camera");
const microphoneSelect = $("webcam-microphone");
const watcherBadge = $("webcam-watchers");
const nsfwDialog = $("nsfw-confirm");

const RESUME_MS = 60_000; // how long a feed waits for its broadcaster after a reconnect

let connection = null; // hx-ws's connection object; its socket is replaced on reconnect
let connectedBefore = false;
let resendInvites = false;
let camera = null; // my MediaStream while I broadcast
let preview = null; // my self-preview panel
const feeds = new Map(); // broadcaster -> {name, panel, link, resuming, resumeTimer}
const refused = new Set(); // viewers I stopped sending to, until my camera stops
const invited = new Set(); // people I invited to watch: sent again after a reconnect
const unavailable = new Set(); // broadcasters whose camera is not available to me

const signalling = new Signalling({ me, iceServers: JSON.parse($("ice-servers")?.textContent || "[]"), send });

// --- the socket ------------------------------------------------------------------------------

function send(action, fields) {
  const socket = connection?.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify({ action, ...fields }));
  return true;
}

app.addEventListener("htmx:ws:after:connection", (event) => {
  connection = event.detail.connection;
  if (connectedBefore) {
    if (camera) announce(); // a new socket is a new member: camera off until I say
    resendInvites = invited.size > 0;
  }
  connectedBefore = true;
});

app.addEventListener("htmx:ws:close", (event) => {
  // The server hangs up for us when a socket goes: every link is over. Feeds I watch wait for
  // their broadcaster to be back, unless this socket will not reconnect.
  signalling.endAll("offline");
  if (event.detail?.code >= 4000) {
    stopCamera();
    for (const name of [...feeds.keys()]) closeFeed(name, "");
  }
});

app.addEventListener("htmx:ws:after:message:incoming", (event) => {
  connection = event.detail.connection;
  const data = event.detail.message.data;
  if (typeof data !== "string" || !data.startsWith("{")) return;
  let frame;
  try {
    frame = JSON.parse(data);
  } catch {
    return;
  }
  signalling.receive(frame);
});

signalling.addEventListener("ring", ({ detail: { peer } }) => {
  if (!camera) signalling.refuse(peer);
  else if (refused.has(peer)) signalling.refuse(peer, "stopped");
  else signalling.answer(peer, camera);
});
signalling.addEventListener("track", ({ detail: { link, stream } }) => {
  const feed = feeds.get(link.peer);
  if (feed?.link === link) panels.showStream(feed.panel, stream);
});
signalling.addEventListener("ended", ({ detail }) => (detail.link.feed === me ? refreshWho() : onFeedEnded(detail)));
signalling.addEventListener("watchers", () => refreshWho());
signalling.addEventListener("watched", ({ detail: { peer } }) => openInReturn(peer));
signalling.addEventListener("cut", () => stopCamera("An operator turned your camera off."));
signalling.addEventListener("invited", ({ detail: { by } }) => {
  unavailable.delete(by);
  refreshWho();
});

// --- watching --------------------------------------------------------------------------------

async function openFeed(name, nsfw) {
  if (name === me) {
    preview?.scrollIntoView({ block: "nearest" });
    return;
  }
  const existing = feeds.get(name);
  if (existing) {
    if (!existing.link && !existing.resuming) connect(existing); // it failed: try again
    existing.panel.querySelector(".webcam-close").focus();
    return;
  }
  if (nsfw && prefs.get("webcam.nsfwWarning") && !(await confirmNsfw(name))) return;
  if (feeds.has(name)) return;
  if (connection?.socket?.readyState !== WebSocket.OPEN) {
    say("You are not connected to the chat right now.");
    return;
  }
  unavailable.delete(name);
  const feed = { name, panel: panels.create(name), link: null, resuming: false, resumeTimer: 0 };
  feeds.set(name, feed);
  showRemote(feed);
  connect(feed);
  refreshWho();
}

function connect(feed) {
  panels.setState(feed.panel, "connecting");
  feed.link = signalling.watch(feed.name);
  if (!feed.link) waitForReturn(feed);
}

function onFeedEnded({ link, reason, remote }) {
  const name = link.peer;
  const feed = feeds.get(name);
  if (!feed || feed.link !== link) return;
  feed.link = null;
  if (reason === "offline") waitForReturn(feed);
  else if (reason === "failed") panels.setState(feed.panel, "failed");
  else if (!remote) closeFeed(name, "");
  else if (reason === "stopped" || (reason === "refused" && cameraButton(name))) {
    unavailable.add(name);
    closeFeed(name, reason === "stopped" ? `${name} stopped sending their camera to you.` : `${name}'s camera is not available to you.`);
  } else closeFeed(name, `${name}'s camera closed.`);
}

// My socket closed (a server restart, a network blip): the feed reopens by itself once the
// broadcaster's camera is back in my who list, or closes after a while.
function waitForReturn(feed) {
  panels.setState(feed.panel, "reconnecting");
  feed.resuming = true;
  clearTimeout(feed.resumeTimer);
  feed.resumeTimer = setTimeout(() => closeFeed(feed.name, `${feed.name}'s camera did not come back.`), RESUME_MS);
}

function resumeFeeds() {
  if (connection?.socket?.readyState !== WebSocket.OPEN) return;
  for (const feed of feeds.values()) {
    if (feed.resuming && cameraButton(feed.name)) {
      feed.resuming = false;
      clearTimeout(feed.resumeTimer);
      connect(feed);
    }
  }
}

function closeFeed(name, message) {
  const feed = feeds.get(name);
  if (!feed) return;
  feeds.delete(name);
  clearTimeout(feed.resumeTimer);
  if (feed.link) signalling.hangUp(feed.link);
  const hadFocus = feed.panel.contains(document.activeElement);
  panels.remove(feed.panel);
  if (hadFocus) cameraButton(name)?.focus();
  if (message) say(message);
  refreshWho();
}

// What everyone knows of the feed, from its who-list row: turned off for now, muted.
function showRemote(feed) {
  const button = cameraButton(feed.name);
  const muted = Boolean(button?.parentElement.querySelector(".mic-muted"));
  panels.setRemote(feed.panel, { paused: Boolean(button?.classList.contains("is-paused")), muted });
}

// "Open the camera of people who watch me": their feed opens once they see mine.
function openInReturn(name) {
  const button = cameraButton(name);
  if (!prefs.get("webcam.mutualOpen") || feeds.has(name) || !button) return;
  if (button.dataset.nsfw === "true" && prefs.get("webcam.nsfwWarning")) return; // never a dialog unasked
  openFeed(name, false);
}

function confirmNsfw(name) {
  return new Promise((resolve) => {
    const dontAsk = $("nsfw-dont-ask");
    nsfwDialog.querySelector(".nsfw-confirm-name").textContent = name;
    dontAsk.checked = false;
    nsfwDialog.returnValue = "";
    nsfwDialog.addEventListener("close", () => {
      const open = nsfwDialog.returnValue === "open";
      if (open && dontAsk.checked) prefs.set("webcam.nsfwWarning", false);
      resolve(open);
    }, { once: true });
    nsfwDialog.showModal();
  });
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

function stopCamera(message = "") {
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
function announce() {
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
  app.classList.toggle("is-broadcasting", on);
  if (on) unavailable.clear(); // mutual cameras may let me in now
  showLiveControls();
  refreshWho();
}

function stopSendingTo(name) {
  const link = signalling.sending.get(name);
  if (!link) return;
  refused.add(name);
  signalling.hangUp(link, "stopped");
  say(`You stopped sending your camera to ${name}.`);
}

function invite(name) {
  if (!send("video-invite", { username: name })) return;
  invited.add(name);
  refused.delete(name);
  refreshWho();
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
  fresh.enabled = old.enabled;
  stopWhenEnded(fresh);
  camera.removeTrack(old);
  camera.addTrack(fresh);
  old.stop();
  await signalling.replaceTrack(fresh);
  panels.showStream(preview, camera, { again: true });
  say(kind === "video" ? "Switched camera." : "Switched microphone.");
}

// --- the who list ----------------------------------------------------------------------------

function refreshWho() {
  const watchers = signalling.watchers();
  refreshMarks({ me, watchers, inviting: Boolean(camera) && mutualBox.checked, invited, unavailable });
  watcherBadge.querySelector(".webcam-watcher-count").textContent = String(watchers.size);
}

// Rows are replaced when someone's camera changes and removed when they leave: a feed whose
// camera went away closes (unless it waits for a reconnect), and my marks go back on new rows.
function onWhoListChange() {
  for (const feed of [...feeds.values()]) {
    if (feed.resuming) continue;
    const row = rowOf(feed.name);
    if (!row) closeFeed(feed.name, `${feed.name} left, so their camera closed.`);
    else if (!cameraButton(feed.name)) closeFeed(feed.name, `${feed.name}'s camera closed.`);
    else showRemote(feed);
  }
  for (const [name, link] of [...signalling.sending]) {
    if (!rowOf(name)) signalling.end(link);
  }
  for (const name of [...unavailable]) {
    if (!cameraButton(name)) unavailable.delete(name);
  }
  // An operator's /nsfw tags my camera: keep my checkbox true to it, so I do not undo it.
  if (camera && nsfwBox && cameraButton(me)?.dataset.nsfw === "true") nsfwBox.checked = true;
  resumeFeeds();
  if (resendInvites && rowOf(me)) {
    resendInvites = false;
    for (const name of invited) if (rowOf(name)) send("video-invite", { username: name, resend: true });
  }
  refreshWho();
}

const whoList = $("who-list");
if (whoList?.parentElement) {
  new MutationObserver(onWhoListChange).observe(whoList.parentElement, { childList: true, subtree: true });
}

// --- the page --------------------------------------------------------------------------------

function say(text) {
  $("webcam-status").textContent = text;
  if (text) $("webcam-error").textContent = "";
}

function sayError(text) {
  $("webcam-error").textContent = text;
  $("webcam-status").textContent = "";
}

// Controls with `data-pref` start as this browser last left them, and remember each change.
for (const control of bar.querySelectorAll("[data-pref]")) {
  const value = prefs.get(control.dataset.pref);
  if (control.type === "checkbox") control.checked = Boolean(value);
  else control.value = value;
}
panels.setSize(prefs.get("webcam.size"));
prefs.onChange((current) => panels.setSize(current.webcam.size));

bar.addEventListener("change", (event) => {
  const control = event.target;
  if (control.dataset.pref) prefs.set(control.dataset.pref, control.type === "checkbox" ? control.checked : control.value);
  if (control === nsfwBox || control === mutualBox) {
    if (camera) announce();
    refreshWho();
  } else if (control === cameraSelect) switchDevice("video", cameraSelect);
  else if (control === microphoneSelect) switchDevice("audio", microphoneSelect);
});
$("webcam-settings").addEventListener("toggle", (event) => {
  if (event.target.open) listDevices();
});

startButton.addEventListener("click", () => (camera ? stopCamera() : startCamera()));
muteButton.addEventListener("click", () => toggle("audio"));
pauseButton.addEventListener("click", () => toggle("video"));
area.addEventListener("webcam:close", (event) => closeFeed(event.target.dataset.username, ""));
area.addEventListener("webcam:retry", (event) => {
  const feed = feeds.get(event.target.dataset.username);
  if (feed && !feed.link) connect(feed);
});

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const button = target?.closest("#who-list button[data-username]");
  if (!button) return;
  const name = button.dataset.username;
  if (button.matches(".camera-button")) openFeed(name, button.dataset.nsfw === "true");
  else if (button.matches(".stop-sending")) stopSendingTo(name);
  else if (button.matches(".invite-watch")) invite(name);
});
