// What one can do with a message: react (a small menu of emoji), toggle a reaction by its
// button, take back (one's own, or anyone's for an operator: the server decides), report
// (report.js's dialog), hide (from this page only, remembered in this browser). One listener for the whole page; the server
// renders every message's buttons and every change that follows.

import { send } from "./socket.js";
import { meKey } from "./logs.js";
import { openReport } from "./report.js";

const logs = document.getElementById("logs");
const menu = document.getElementById("reaction-menu");
const HIDDEN_KEY = "barertc.hidden";
const HIDDEN_KEPT = 500;
let menuFor = null; // the React button the menu is open for

// --- hide, only here ------------------------------------------------------------------

function hiddenIds() {
  try {
    const ids = JSON.parse(localStorage.getItem(HIDDEN_KEY) || "[]");
    return Array.isArray(ids) ? ids : [];
  } catch {
    return [];
  }
}

function hide(msg) {
  const ids = hiddenIds().filter((id) => id !== msg.dataset.id);
  ids.push(msg.dataset.id);
  try {
    localStorage.setItem(HIDDEN_KEY, JSON.stringify(ids.slice(-HIDDEN_KEPT)));
  } catch {
    // Storage full or blocked: hidden until the page is reloaded.
  }
  const next = msg.nextElementSibling?.querySelector?.(".msg-actions > button") ?? null;
  msg.remove();
  next?.focus();
}

// --- the reaction menu ------------------------------------------------------------------

function choices() {
  return [...menu.querySelectorAll(".reaction-choice")];
}

function openMenu(button) {
  closeMenu(false);
  menuFor = button;
  button.setAttribute("aria-expanded", "true");
  menu.hidden = false;
  const box = button.getBoundingClientRect();
  const width = menu.offsetWidth;
  menu.style.left = `${Math.max(4, Math.min(box.right - width, window.innerWidth - width - 4))}px`;
  menu.style.top = `${Math.max(4, box.top - menu.offsetHeight - 4)}px`;
  choices()[0]?.focus();
}

function closeMenu(refocus = true) {
  if (!menuFor) return;
  const button = menuFor;
  menuFor = null;
  menu.hidden = true;
  button.setAttribute("aria-expanded", "false");
  if (refocus && button.isConnected) button.focus();
}

function react(msg, emoji) {
  if (msg?.dataset.id) send("react", { id: msg.dataset.id, emoji });
}

menu.addEventListener("click", (event) => {
  const choice = event.target.closest(".reaction-choice");
  if (!choice || !menuFor) return;
  react(menuFor.closest(".msg"), choice.dataset.emoji);
  closeMenu();
});

menu.addEventListener("keydown", (event) => {
  const items = choices();
  const at = items.indexOf(document.activeElement);
  const moves = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 };
  if (event.key in moves) {
    event.preventDefault();
    items[(moves[event.key] + items.length) % items.length].focus();
  } else if (event.key === "Escape" || event.key === "Tab") {
    event.preventDefault();
    closeMenu();
  }
});

document.addEventListener("click", (event) => {
  if (menuFor && !menu.contains(event.target) && event.target.closest(".react-open") !== menuFor) closeMenu(false);
});

// --- the buttons on each message ----------------------------------------------------------

logs.addEventListener("click", (event) => {
  const button = event.target.closest(".msg-actions > button, .reaction");
  const msg = button?.closest(".msg");
  if (!msg) return;
  if (button.classList.contains("reaction")) react(msg, button.dataset.emoji);
  else if (button.classList.contains("react-open")) menuFor === button ? closeMenu() : openMenu(button);
  else if (button.classList.contains("take-back")) send("takeback", { id: msg.dataset.id });
  else if (button.classList.contains("report")) openReport(button, msg);
  else if (button.classList.contains("hide-msg")) hide(msg);
});

// A reaction button says whether it is mine (the server renders one list for everyone).
function markMine(root) {
  for (const button of root.querySelectorAll(".reaction")) {
    const mine = (button.dataset.by || "").split(" ").includes(meKey);
    button.setAttribute("aria-pressed", String(mine));
  }
}

function onAdded(node) {
  if (!(node instanceof HTMLElement)) return;
  markMine(node.matches(".reaction, .reactions") ? node.parentElement ?? node : node);
  if (node.matches(".msg[data-echo]") && hiddenIds().includes(node.dataset.id)) node.remove();
}

new MutationObserver((records) => {
  for (const record of records) record.addedNodes.forEach(onAdded);
}).observe(logs, { childList: true, subtree: true });

markMine(logs);
