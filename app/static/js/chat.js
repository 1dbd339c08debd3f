// The chat page's own behaviour around what htmx swaps in: switching channels and DM threads,
// unread badges, local times, Enter to send, drawers, and the connection state in words.
// Everything a person reads comes from the server; this module only shows and hides it.

const app = document.getElementById("chat");
const logs = document.getElementById("logs");
const composer = document.getElementById("composer");
const textBox = document.getElementById("message-text");
const channelField = document.getElementById("composer-channel");
let pendingThread = null;

function tabFor(logId) {
  return document.querySelector(`.channel-tab[data-log="${CSS.escape(logId)}"]`);
}

function activeLog() {
  return logs.querySelector(".log:not([hidden])");
}

export function showLog(logId) {
  const log = document.getElementById(logId);
  if (!log) return;
  for (const other of logs.querySelectorAll(".log")) other.hidden = other !== log;
  for (const tab of document.querySelectorAll(".channel-tab")) {
    const active = tab.dataset.log === logId;
    tab.classList.toggle("is-active", active);
    if (active) tab.setAttribute("aria-current", "true"); else tab.removeAttribute("aria-current");
  }
  channelField.value = log.dataset.channel;
  setUnread(logId, 0);
  log.scrollTop = log.scrollHeight;
  closeDrawers();
  document.dispatchEvent(new CustomEvent("chat:log-shown", { detail: { log } }));
}

function setUnread(logId, count) {
  const badge = tabFor(logId)?.querySelector(".unread");
  if (!badge) return;
  badge.textContent = String(count);
  badge.hidden = count === 0;
}

function localTime(msg) {
  const time = msg.querySelector("time");
  const ts = Number(msg.dataset.ts);
  if (!time || !ts) return;
  const when = new Date(ts);
  time.dateTime = when.toISOString();
  time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function onNewMessage(msg) {
  localTime(msg);
  const log = msg.closest(".log");
  if (!log) return;
  const isWelcome = msg.classList.contains("is-welcome");
  if (log.hidden || document.hidden) {
    if (log.hidden && !isWelcome && !msg.classList.contains("is-presence")) {
      const badge = tabFor(log.id)?.querySelector(".unread");
      setUnread(log.id, Number(badge?.textContent || 0) + 1);
    }
  }
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  if (!log.hidden && (nearBottom || msg.dataset.from === app.dataset.meKey)) log.scrollTop = log.scrollHeight;
  document.dispatchEvent(new CustomEvent("chat:message", { detail: { msg, log } }));
}

new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (!(node instanceof HTMLElement)) continue;
      if (node.matches(".msg")) onNewMessage(node);
      else node.querySelectorAll?.(".msg").forEach(onNewMessage);
      if (node.matches(".log[data-thread]") && pendingThread === node.dataset.channel) {
        pendingThread = null;
        showLog(node.id);
      }
    }
  }
}).observe(logs, { childList: true, subtree: true });

document.addEventListener("click", (event) => {
  const tab = event.target.closest(".channel-tab");
  if (tab) { showLog(tab.dataset.log); return; }
  const name = event.target.closest(".who-name");
  if (name) {
    const row = name.closest(".who-row");
    const channel = "@" + row.dataset.username;
    const existing = logs.querySelector(`.log[data-channel="${CSS.escape(channel)}"]`);
    if (existing) showLog(existing.id); else pendingThread = channel;
    return;
  }
  const dismiss = event.target.closest(".notice .delete");
  if (dismiss) { dismiss.closest(".notice").remove(); return; }
  const toggle = event.target.closest(".drawer-toggle");
  if (toggle) { toggleDrawer(toggle.dataset.drawer); }
});

function toggleDrawer(id) {
  const drawer = document.getElementById(id);
  const open = !drawer.classList.contains("is-open");
  closeDrawers();
  drawer.classList.toggle("is-open", open);
  document.querySelector(`.drawer-toggle[data-drawer="${id}"]`)?.setAttribute("aria-expanded", String(open));
}

function closeDrawers() {
  for (const drawer of document.querySelectorAll(".drawer.is-open")) drawer.classList.remove("is-open");
  for (const toggle of document.querySelectorAll(".drawer-toggle")) toggle.setAttribute("aria-expanded", "false");
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeDrawers();
});

textBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && app.dataset.enterSends !== "false") {
    event.preventDefault();
    composer.requestSubmit();
  }
});

composer.addEventListener("htmx:ws:after:message:outgoing", () => {
  textBox.value = "";
});

// Notices fade away after a while; errors stay a little longer.
new MutationObserver(() => {
  for (const notice of document.querySelectorAll("#notices .notice:not([data-timed])")) {
    notice.dataset.timed = "1";
    setTimeout(() => notice.remove(), notice.getAttribute("role") === "alert" ? 12000 : 8000);
  }
}).observe(document.getElementById("notices"), { childList: true, subtree: true });

function setState(text, state) {
  const box = document.getElementById("connection-state");
  if (!box || box.classList.contains("is-closed")) return;
  box.className = `connection-state is-${state}`;
  const span = box.querySelector(".state-text");
  if (span) span.textContent = text;
}

let everConnected = false;
app.addEventListener("htmx:ws:after:connection", () => {
  setState(everConnected ? "Reconnected" : "Connected", "open");
  everConnected = true;
  app.dataset.connected = "true";
});
app.addEventListener("htmx:ws:close", (event) => {
  app.dataset.connected = "false";
  const code = event.detail?.code;
  if (code >= 4000) setState("Disconnected", "closed");
  else setState("Reconnecting…", "reconnecting");
});

for (const msg of logs.querySelectorAll(".msg")) localTime(msg);
