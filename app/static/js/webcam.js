// Webcams: broadcast my camera and watch other people's, browser to browser over WebRTC.
//
// The server only relays signalling (docs/protocol.md, "Webcam signalling"). This module reads
// the data-only JSON frames hx-ws hands over in `htmx:ws:after:message:incoming` and sends its
// own frames on the same socket. Every link carries one person's camera to one viewer, and
// every frame names that camera's owner as `feed`. Two maps keyed by the other person's
// username hold the RTCPeerConnections: `sending` (my camera to a viewer) and `watching`
// (a broadcaster's camera to me), so two people can watch each other and close either
// direction alone. The broadcaster makes the offer after the viewer's `open` rings.

const app = document.getElementById("chat");
const me = app.dataset.me;
const iceServers = JSON.parse(document.getElementById("ice-servers")?.textContent || "[]");
const panels = document.getElementById("webcams");
const panelTemplate = document.getElementById("webcam-panel-template");
const startButton = document.getElementById("webcam-start");
const micBox = document.getElementById("webcam-mic");
const nsfwBox = document.getElementById("webcam-nsfw"); // only when the server permits NSFW
const watcherBadge = document.getElementById("webcam-watchers");
const statusLine = document.getElementById("webcam-status");
const errorLine = document.getElementById("webcam-error");
const nsfwDialog = document.getElementById("nsfw-confirm");

let connection = null; // hx-ws's connection object; its socket is replaced on reconnect
let connectedBefore = false;
let camera = null; // my MediaStream while I broadcast
let preview = null; // my self-preview panel
const sending = new Map(); // viewer -> link carrying my camera
const watching = new Map(); // broadcaster -> link carrying their camera, with its panel
const refused = new Set(); // viewers I stopped sending to, until my camera stops

// --- the socket ------------------------------------------------------------------------------

function send(action, fields) {
  const socket = connection?.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify({ action, ...fields }));
  return true;
}

app.addEventListener("htmx:ws:after:connection", (event) => {
  connection = event.detail.connection;
  if (connectedBefore && camera) announce(); // a new socket is a new member: camera off
  connectedBefore = true;
});

app.addEventListener("htmx:ws:close", (event) => {
  // The server hangs up for us when a socket goes; whatever was linked is over.
  for (const link of [...sending.values(), ...watching.values()]) endLink(link, "");
  if (event.detail?.code >= 4000) stopCamera();
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
  const handler = handlers[frame?.signal];
  if (handler && typeof frame.username === "string" && frame.username !== me) handler(frame);
});

const handlers = {
  ring: onRing,
  sdp(frame) {
    const link = linkFor(frame);
    if (link && frame.description) step(link, () => onDescription(link, frame.description));
  },
  candidate(frame) {
    const link = linkFor(frame);
    if (link && frame.candidate) step(link, () => onCandidate(link, frame.candidate));
  },
  watch(frame) {
    setWatching(sending.get(frame.username), true);
  },
  unwatch(frame) {
    setWatching(sending.get(frame.username), false);
  },
  hangup(frame) {
    const link = linkFor(frame);
    if (link) endLink(link, link.feed === me ? "" : `${link.peer}'s camera closed.`);
  },
};

function linkFor(frame) {
  if (frame.feed === me) return sending.get(frame.username);
  if (frame.feed === frame.username) return watching.get(frame.username);
  return undefined;
}

// --- links -----------------------------------------------------------------------------------

function newLink(peer, feed) {
  const pc = new RTCPeerConnection({ iceServers });
  const link = { peer, feed, pc, pending: [], chain: Promise.resolve(), watching: false, ended: false, panel: null };
  pc.addEventListener("icecandidate", ({ candidate }) => {
    if (candidate && !link.ended) send("candidate", { username: peer, feed, candidate: candidate.toJSON() });
  });
  pc.addEventListener("connectionstatechange", () => onConnectionState(link));
  return link;
}

// Signalling steps of one link run one after another, in the order their frames came.
function step(link, work) {
  link.chain = link.chain.then(() => (link.ended ? undefined : work())).catch((error) => {
    if (link.ended) return;
    console.warn("webcam link with", link.peer, error);
    hangUp(link, `The video connection with ${link.peer} failed.`);
  });
}

async function onDescription(link, description) {
  await link.pc.setRemoteDescription(description);
  for (const candidate of link.pending.splice(0)) await link.pc.addIceCandidate(candidate);
  if (description.type === "offer") {
    await link.pc.setLocalDescription();
    send("sdp", { username: link.peer, feed: link.feed, description: link.pc.localDescription.toJSON() });
  }
}

async function onCandidate(link, candidate) {
  if (link.pc.remoteDescription) await link.pc.addIceCandidate(candidate);
  else link.pending.push(candidate);
}

function onConnectionState(link) {
  const state = link.pc.connectionState;
  if (state === "connected" && link.feed !== me && !link.announced) {
    link.announced = true;
    send("watch", { username: link.peer });
  } else if (state === "failed") {
    hangUp(link, `The video connection with ${link.peer} failed.`);
  }
}

// End a link and tell the other side.
function hangUp(link, message) {
  if (!link.ended) send("hangup", { username: link.peer, feed: link.feed });
  endLink(link, message);
}

// End a link here only (the other side ended it, or is gone).
function endLink(link, message) {
  if (link.ended) return;
  link.ended = true;
  link.pc.close();
  const map = link.feed === me ? sending : watching;
  if (map.get(link.peer) === link) map.delete(link.peer);
  if (link.panel) {
    const hadFocus = link.panel.contains(document.activeElement);
    link.panel.remove();
    if (hadFocus) rowOf(link.peer)?.querySelector(".camera-button")?.focus();
  }
  if (link.feed === me) refreshWhoMarks();
  if (message) say(message);
}

// --- broadcasting ----------------------------------------------------------------------------

async function startCamera() {
  say("");
  if (!navigator.mediaDevices?.getUserMedia) {
    sayError("This browser cannot share a camera here: webcams need a secure (https) page and a recent browser.");
    return;
  }
  startButton.disabled = true;
  try {
    camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: micBox.checked });
  } catch (error) {
    sayError(cameraError(error));
    return;
  } finally {
    startButton.disabled = false;
  }
  for (const track of camera.getTracks()) {
    track.addEventListener("ended", () => stopCamera("Your camera stopped."));
  }
  preview = makePanel(me, { self: true });
  showStream(preview, camera);
  panels.prepend(preview);
  setBroadcasting(true);
  announce();
}

function stopCamera(message = "") {
  if (!camera) return;
  for (const link of [...sending.values()]) hangUp(link, "");
  for (const track of camera.getTracks()) track.stop();
  camera = null;
  refused.clear();
  preview?.remove();
  preview = null;
  setBroadcasting(false);
  announce();
  if (message) say(message);
}

function announce() {
  send("me", { camera: camera ? "on" : "off", nsfw: Boolean(nsfwBox?.checked) });
}

function cameraError(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The camera was not allowed. Let this site use your camera in your browser's settings, then try again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return micBox.checked ? "No camera or microphone was found on this device." : "No camera was found on this device.";
    case "NotReadableError":
    case "AbortError":
      return "Your camera could not be started: another program may be using it.";
    default:
      return `Your camera could not be started (${error?.message || error}).`;
  }
}

function setBroadcasting(on) {
  startButton.querySelector(".webcam-start-label").textContent = on ? "Stop webcam" : "Start webcam";
  startButton.classList.toggle("is-primary", !on);
  startButton.classList.toggle("is-danger", on);
  micBox.disabled = on;
  watcherBadge.hidden = !on;
  refreshWhoMarks();
}

function onRing({ username }) {
  if (!camera || refused.has(username)) {
    send("hangup", { username, feed: me });
    return;
  }
  const old = sending.get(username);
  if (old) endLink(old, ""); // asked again: start afresh
  const link = newLink(username, me);
  sending.set(username, link);
  for (const track of camera.getTracks()) link.pc.addTrack(track, camera);
  step(link, async () => {
    await link.pc.setLocalDescription();
    send("sdp", { username, feed: me, description: link.pc.localDescription.toJSON() });
  });
}

function setWatching(link, on) {
  if (!link) return;
  link.watching = on;
  refreshWhoMarks();
}

function stopSendingTo(username) {
  const link = sending.get(username);
  if (!link) return;
  refused.add(username);
  hangUp(link, `You stopped sending your camera to ${username}.`);
}

// The eye marker and "stop sending" button on my watchers' rows, and the count. The server's
// rows do not carry them (every row goes to everyone): they are added here, to my watchers' rows.
function refreshWhoMarks() {
  const watchers = new Set([...sending.values()].filter((link) => link.watching).map((link) => link.peer));
  for (const marks of document.querySelectorAll("#who-list .watcher-marks")) {
    if (!watchers.has(marks.closest(".who-row")?.dataset.username)) marks.remove();
  }
  for (const name of watchers) {
    const row = rowOf(name);
    if (!row || row.querySelector(".watcher-marks")) continue;
    const slot = row.querySelector(".camera-slot");
    if (slot) slot.before(watcherMarks(name));
    else row.append(watcherMarks(name));
  }
  watcherBadge.querySelector(".webcam-watcher-count").textContent = String(watchers.size);
}

function watcherMarks(name) {
  const marks = document.createElement("span");
  marks.className = "watcher-marks";
  marks.innerHTML = '<span class="watching-marker" title="Watching your camera"><i class="fa fa-eye" aria-hidden="true"></i>'
    + '<span class="sr-only">watching you</span></span>'
    + '<button type="button" class="button is-small is-white stop-sending"><i class="fa fa-eye-slash" aria-hidden="true"></i></button>';
  const stop = marks.querySelector(".stop-sending");
  stop.dataset.username = name;
  stop.title = `Stop sending my camera to ${name}`;
  stop.setAttribute("aria-label", stop.title);
  return marks;
}

// --- watching --------------------------------------------------------------------------------

async function openFeed(username, nsfw) {
  if (username === me) {
    preview?.querySelector("video")?.scrollIntoView({ block: "nearest" });
    return;
  }
  const existing = watching.get(username);
  if (existing) {
    existing.panel.querySelector(".webcam-close").focus();
    return;
  }
  if (nsfw && !(await confirmNsfw(username))) return;
  if (watching.has(username)) return;
  const link = newLink(username, username);
  link.panel = makePanel(username);
  link.pc.addEventListener("track", ({ streams }) => showStream(link.panel, streams[0]));
  watching.set(username, link);
  panels.append(link.panel);
  if (!send("open", { username })) endLink(link, "You are not connected to the chat right now.");
}

function confirmNsfw(username) {
  return new Promise((resolve) => {
    nsfwDialog.querySelector(".nsfw-confirm-name").textContent = username;
    nsfwDialog.returnValue = "";
    nsfwDialog.addEventListener("close", () => resolve(nsfwDialog.returnValue === "open"), { once: true });
    nsfwDialog.showModal();
  });
}

function makePanel(username, { self = false } = {}) {
  const panel = panelTemplate.content.firstElementChild.cloneNode(true);
  panel.dataset.username = username;
  panel.setAttribute("aria-label", self ? "Your camera" : `${username}'s camera`);
  panel.querySelector(".webcam-name").textContent = self ? `${username} (you)` : username;
  panel.querySelector("video").setAttribute("aria-label", self ? "Your camera preview" : `Video of ${username}`);
  const audio = panel.querySelector(".webcam-audio");
  const close = panel.querySelector(".webcam-close");
  if (self) {
    panel.classList.add("is-self");
    audio.remove();
    close.remove();
  } else {
    audio.dataset.username = username;
    close.setAttribute("aria-label", `Close ${username}'s camera`);
    updateAudioButton(panel);
  }
  return panel;
}

function showStream(panel, stream) {
  const video = panel.querySelector("video");
  if (!stream) return;
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    video.addEventListener("playing", () => { panel.querySelector(".webcam-state").textContent = ""; }, { once: true });
    video.play().catch(() => {}); // autoplay of a muted video is allowed; this only hurries it
  }
  stream.addEventListener("addtrack", () => updateAudioButton(panel));
  updateAudioButton(panel);
}

function updateAudioButton(panel) {
  const button = panel.querySelector(".webcam-audio");
  if (!button) return;
  const video = panel.querySelector("video");
  const hasSound = Boolean(video.srcObject?.getAudioTracks().length);
  const name = panel.dataset.username;
  button.disabled = !hasSound;
  button.setAttribute("aria-label", video.muted ? `Unmute ${name}` : `Mute ${name}`);
  button.title = hasSound ? "" : `${name} shares no sound`;
  button.querySelector("i").className = video.muted ? "fa fa-volume-xmark" : "fa fa-volume-high";
}

// --- the who list ----------------------------------------------------------------------------

function rowOf(username) {
  return document.querySelector(`#who-list .who-row[data-username="${CSS.escape(username)}"]`);
}

// Rows are replaced when someone's camera changes and removed when they leave: a feed whose
// camera went away closes, and my watchers' marks are put back on their new rows.
function onWhoListChange() {
  for (const [name, link] of [...watching]) {
    const row = rowOf(name);
    if (!row) endLink(link, `${name} left, so their camera closed.`);
    else if (!row.querySelector(".camera-button")) hangUp(link, `${name}'s camera closed.`);
  }
  for (const [name, link] of [...sending]) {
    if (!rowOf(name)) endLink(link, "");
  }
  // An operator's /nsfw tags my camera: keep my checkbox true to it, so I do not undo it.
  if (camera && nsfwBox && rowOf(me)?.querySelector(".camera-button")?.dataset.nsfw === "true") nsfwBox.checked = true;
  refreshWhoMarks();
}

const whoList = document.getElementById("who-list");
if (whoList?.parentElement) {
  new MutationObserver(onWhoListChange).observe(whoList.parentElement, { childList: true, subtree: true });
}

// --- the page --------------------------------------------------------------------------------

function say(text) {
  statusLine.textContent = text;
  if (text) errorLine.textContent = "";
}

function sayError(text) {
  errorLine.textContent = text;
  statusLine.textContent = "";
}

startButton.addEventListener("click", () => (camera ? stopCamera() : startCamera()));
nsfwBox?.addEventListener("change", () => {
  if (camera) announce();
});

document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const cameraButton = target.closest(".camera-button[data-username]");
  if (cameraButton) {
    openFeed(cameraButton.dataset.username, cameraButton.dataset.nsfw === "true");
    return;
  }
  const stop = target.closest(".stop-sending[data-username]");
  if (stop) {
    stopSendingTo(stop.dataset.username);
    return;
  }
  const close = target.closest(".webcam-close");
  if (close) {
    const link = watching.get(close.closest(".webcam-panel").dataset.username);
    if (link) hangUp(link, "");
    return;
  }
  const audio = target.closest(".webcam-audio");
  if (audio) {
    const panel = audio.closest(".webcam-panel");
    const video = panel.querySelector("video");
    video.muted = !video.muted;
    updateAudioButton(panel);
  }
});
