// The message logs: one per channel and per DM thread, filled by htmx from the server.
// This module shows one log at a time, keeps unread badges (urgent when I am mentioned),
// shows local times, groups a person's consecutive messages under one name, keeps the
// visible log at the newest message unless the reader has scrolled up (then a "new messages"
// button brings them back), replaces a replayed message the page already has instead of
// showing it twice, and announces each new message as a `chat:message` event. With a log it
// shows that log's header (where I am: `# Lobby`, or bob and his status) and puts the focus in
// the message box; after a reconnect it tells the server which DM threads it still shows.

import { closeDrawers } from "./drawers.js";
import { onConnected, send } from "./socket.js";

const app = document.getElementById("chat");
const logs = document.getElementById("logs");
const channelField = document.getElementById("composer-channel");
const pill = document.getElementById("new-messages");
const channelsToggle = document.querySelector('.drawer-toggle[popovertarget="sidebar"]');
const heads = document.getElementById("conversation-heads");
const textBox = document.getElementById("message-text");
const STICK_PX = 48; // this close to the end counts as "reading the newest"
const GROUP_MS = 5 * 60 * 1000; // one person's messages this close together share a byline
let pendingThread = null;
let unseenBelow = 0;

export const meKey = app.dataset.meKey;

export function activeLog() {
  return logs.querySelector(".log:not([hidden])");
}

function tabFor(logId) {
  return document.querySelector(`.channel-tab[data-log="${CSS.escape(logId)}"]`);
}

export function isOwn(msg) {
  return msg.dataset.from === meKey;
}

// A message a person wrote (not a welcome or presence line), and not one of mine.
export function isFromOthers(msg) {
  return msg.classList.contains("is-chat") && !isOwn(msg);
}

// A message from someone else that names me, or says @here.
export function mentionsMe(msg) {
  const keys = (msg.dataset.mentions || "").split(" ");
  return isFromOthers(msg) && (keys.includes(meKey) || keys.includes("here"));
}

export function showLog(logId, { focus = true } = {}) {
  const log = document.getElementById(logId);
  if (!log) return;
  for (const other of logs.querySelectorAll(".log")) other.hidden = other !== log;
  for (const head of heads.children) head.hidden = head.dataset.log !== logId;
  for (const tab of document.querySelectorAll(".channel-tab")) {
    const active = tab.dataset.log === logId;
    tab.classList.toggle("is-active", active);
    if (active) tab.setAttribute("aria-current", "true");
    else tab.removeAttribute("aria-current");
  }
  channelField.value = log.dataset.channel;
  setUnread(logId, 0);
  scrollToEnd(log);
  closeDrawers();
  document.dispatchEvent(new CustomEvent("chat:log-shown", { detail: { log } }));
  if (focus) textBox.focus({ preventScroll: true });
}

function unreadCount(logId) {
  return Number(tabFor(logId)?.querySelector(".unread")?.textContent || 0);
}

function setUnread(logId, count, urgent = false) {
  const badge = tabFor(logId)?.querySelector(".unread");
  if (badge) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
    badge.classList.toggle("is-urgent", count > 0 && (urgent || badge.classList.contains("is-urgent")));
    if (count === 0) badge.classList.remove("is-urgent");
    badge.title = badge.classList.contains("is-urgent") ? "You were mentioned" : "";
  }
  if (channelsToggle) {
    const dot = channelsToggle.querySelector(".unread-dot");
    if (dot) dot.hidden = !document.querySelector(".channel-tab .unread:not([hidden])");
  }
}

function localTime(msg) {
  const time = msg.querySelector("time");
  const ts = Number(msg.dataset.ts);
  if (!time || !ts) return;
  const when = new Date(ts);
  time.dateTime = when.toISOString();
  time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// --- staying at the newest message ---------------------------------------------------

function nearEnd(log) {
  return log.scrollHeight - log.scrollTop - log.clientHeight <= STICK_PX;
}

function scrollToEnd(log) {
  log.scrollTop = log.scrollHeight;
  log.dataset.stuck = "true";
  setPill(0);
}

function setPill(count) {
  unseenBelow = count;
  pill.hidden = count === 0;
  pill.querySelector("span").textContent = count === 1 ? "1 new message" : `${count} new messages`;
}

// Scroll events do not bubble, so listen in the capture phase for every log at once.
logs.addEventListener("scroll", (event) => {
  const log = event.target;
  if (!(log instanceof HTMLElement) || !log.matches(".log")) return;
  log.dataset.stuck = String(nearEnd(log));
  if (log.dataset.stuck === "true" && !log.hidden) setPill(0);
}, { capture: true, passive: true });

// When the space for messages changes (webcams open, the phone keyboard shows, the window is
// resized), a reader at the newest message stays there.
new ResizeObserver(() => {
  const log = activeLog();
  if (log && log.dataset.stuck !== "false") log.scrollTop = log.scrollHeight;
}).observe(logs);

pill.addEventListener("click", () => {
  const log = activeLog();
  if (log) scrollToEnd(log);
});

// --- new messages --------------------------------------------------------------------

// A person's message right after their own earlier one, within a few minutes, shows without
// their name and avatar again.
function group(msg) {
  if (!(msg instanceof HTMLElement) || !msg.matches(".msg")) return;
  const before = msg.previousElementSibling;
  const continued = msg.matches(".is-chat") && before?.matches?.(".msg.is-chat") &&
    before.dataset.from === msg.dataset.from && Number(msg.dataset.ts) - Number(before.dataset.ts) < GROUP_MS;
  msg.classList.toggle("is-continued", Boolean(continued));
}

// A replayed message (after a reconnect) that the page already shows takes the old one's place.
function replaceTwin(msg) {
  for (const twin of document.querySelectorAll(`[id="${CSS.escape(msg.id)}"]`)) {
    if (twin !== msg) {
      twin.replaceWith(msg);
      return true;
    }
  }
  return false;
}

function onNewMessage(msg) {
  localTime(msg);
  const log = msg.closest(".log");
  if (!log) return;
  if (msg.hasAttribute("data-echo")) {
    replaceTwin(msg);
    group(msg);
    group(msg.nextElementSibling);
    if (!log.hidden && log.dataset.stuck !== "false") scrollToEnd(log);
    return;
  }
  group(msg);
  if (log.hidden && isFromOthers(msg)) setUnread(log.id, unreadCount(log.id) + 1, mentionsMe(msg));
  if (!log.hidden) {
    if (log.dataset.stuck !== "false" || isOwn(msg)) scrollToEnd(log);
    else if (!msg.classList.contains("is-welcome")) setPill(unseenBelow + 1);
  }
  document.dispatchEvent(new CustomEvent("chat:message", { detail: { msg, log } }));
}

function onAdded(node) {
  if (!(node instanceof HTMLElement)) return;
  if (node.matches(".msg")) onNewMessage(node);
  else node.querySelectorAll(".msg").forEach(onNewMessage);
  if (node.matches(".log[data-thread]") && pendingThread === node.dataset.channel) {
    pendingThread = null;
    showLog(node.id);
  }
}

new MutationObserver((records) => {
  for (const record of records) {
    record.addedNodes.forEach(onAdded);
    // A message taken back or hidden: the one after it may need its byline again.
    if (record.removedNodes.length) group(record.nextSibling);
  }
  // The log on screen was closed (a thread whose name someone else took): back to the first channel.
  if (!activeLog()) {
    const first = logs.querySelector(".log:not([data-thread])");
    if (first) showLog(first.id, { focus: false });
  }
}).observe(logs, { childList: true, subtree: true });

// --- switching logs --------------------------------------------------------------------

export function openThreadWith(username) {
  const channel = "@" + username;
  const existing = logs.querySelector(`.log[data-channel="${CSS.escape(channel)}"]`);
  // The click also sends a "thread" frame (hx-ws:send); the new log arrives from the server.
  // Until it does, what is typed already goes to that person: a quick "hi" must not land in
  // the public channel still on screen.
  if (existing) showLog(existing.id);
  else {
    pendingThread = channel;
    channelField.value = channel;
    textBox.placeholder = `Message ${username}`;
  }
}

// A new socket (a reconnect, a server restart): the server knows nothing of the threads this
// page shows, so it is told, and each carries on where it is (its header says how they are now).
onConnected(() => {
  for (const log of logs.querySelectorAll(".log[data-thread]")) {
    send("thread", { username: log.dataset.channel.slice(1), resume: true });
  }
});

document.addEventListener("click", (event) => {
  const tab = event.target.closest(".channel-tab");
  if (tab) {
    pendingThread = null;
    showLog(tab.dataset.log);
    return;
  }
  const start = event.target.closest("[data-opens-thread]");
  if (start) openThreadWith(start.dataset.opensThread);
});

for (const msg of logs.querySelectorAll(".msg")) localTime(msg);
