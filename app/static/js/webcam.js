// Webcams, the page's side: watching other people's cameras (one feed per broadcaster, each
// in a panel), the who list, and the wiring of the parts, which each do one job:
//   webcam-signalling.js  the RTCPeerConnections and their frames (no DOM)
//   webcam-broadcast.js   my camera and the bar's controls for it, the status line
//   webcam-devices.js     capturing the camera and microphone, the devices to choose from
//   webcam-panels.js      the panels and their controls; webcam-levels.js who is speaking;
//                         webcam-popout.js a panel popped out and moved
//   webcam-who.js         the who-list marks only this page shows
// The server's who-list rows are what everyone sees of a camera; this module reads them: a
// feed closes when its camera does, and shows when it is muted or turned off for now.

import * as prefs from "./prefs.js";
import { notify } from "./sounds.js";
import * as broadcast from "./webcam-broadcast.js";
import * as panels from "./webcam-panels.js";
import { Signalling } from "./webcam-signalling.js";
import { cameraButton, refreshMarks, rowOf } from "./webcam-who.js";

const $ = (id) => document.getElementById(id);
const app = $("chat");
const me = app.dataset.me;
const area = $("webcams");
const watcherBadge = $("webcam-watchers");
const nsfwDialog = $("nsfw-confirm");

const RESUME_MS = 60_000; // how long a feed waits for its broadcaster after a reconnect

let connection = null; // hx-ws's connection object; its socket is replaced on reconnect
let connectedBefore = false;
let resendInvites = false;
const feeds = new Map(); // broadcaster -> {name, panel, link, resuming, resumeTimer}
const unavailable = new Set(); // broadcasters whose camera is not available to me

const signalling = new Signalling({ me, iceServers: JSON.parse($("ice-servers")?.textContent || "[]"), send });
broadcast.setUp({
  me,
  signalling,
  send,
  onChange() {
    if (broadcast.isLive()) unavailable.clear(); // mutual cameras may let me in now
    refreshWho();
  },
});

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
    if (broadcast.isLive()) broadcast.announce(); // a new socket is a new member: camera off until I say
    resendInvites = broadcast.invited.size > 0;
  }
  connectedBefore = true;
});

app.addEventListener("htmx:ws:close", (event) => {
  // The server hangs up for us when a socket goes: every link is over. Feeds I watch wait for
  // their broadcaster to be back, unless this socket will not reconnect.
  signalling.endAll("offline");
  if (event.detail?.code >= 4000) {
    broadcast.stopCamera();
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

signalling.addEventListener("track", ({ detail: { link, stream } }) => {
  const feed = feeds.get(link.peer);
  if (feed?.link === link) panels.showStream(feed.panel, stream);
});
signalling.addEventListener("ended", ({ detail }) => (detail.link.feed === me ? refreshWho() : onFeedEnded(detail)));
signalling.addEventListener("watchers", () => refreshWho());
signalling.addEventListener("watched", ({ detail: { peer } }) => {
  notify("watch");
  openInReturn(peer);
});
signalling.addEventListener("invited", ({ detail: { by } }) => {
  unavailable.delete(by);
  refreshWho();
});

// --- watching --------------------------------------------------------------------------------

async function openFeed(name, nsfw) {
  if (name === me) {
    broadcast.previewPanel()?.scrollIntoView({ block: "nearest" });
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
    broadcast.say("You are not connected to the chat right now.");
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
  if (message) broadcast.say(message);
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

// --- the who list ----------------------------------------------------------------------------

function refreshWho() {
  const watchers = signalling.watchers();
  refreshMarks({ me, watchers, inviting: broadcast.inviting(), invited: broadcast.invited, unavailable });
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
  broadcast.keepNsfwTag(cameraButton(me)?.dataset.nsfw === "true");
  resumeFeeds();
  if (resendInvites && rowOf(me)) {
    resendInvites = false;
    broadcast.resendInvites((name) => Boolean(rowOf(name)));
  }
  refreshWho();
}

const whoList = $("who-list");
if (whoList?.parentElement) {
  new MutationObserver(onWhoListChange).observe(whoList.parentElement, { childList: true, subtree: true });
}

// --- the page --------------------------------------------------------------------------------

panels.setSize(prefs.get("webcam.size"));
prefs.onChange((current) => panels.setSize(current.webcam.size));
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
  else if (button.matches(".stop-sending")) broadcast.stopSendingTo(name);
  else if (button.matches(".invite-watch")) broadcast.invite(name);
});
