// The who list's search field and sort menu, in this page only. The server's rows are the same
// for everyone and arrive in name order, as row diffs; this module hides the rows that do not
// match the search and puts the list in the chosen order, again after every diff. Only rows out
// of place are moved, and focus stays where it was, also when the server replaces the row that
// held it (someone's status, camera or name changed): it goes to the same control of the new row.

import * as prefs from "./prefs.js";

const people = document.getElementById("people");
const search = document.getElementById("who-search");
const sort = document.getElementById("who-sort");
const noMatch = people.querySelector(".who-no-match");

function byName(a, b) {
  const x = a.dataset.username;
  const y = b.dataset.username;
  const fx = x.toLowerCase();
  const fy = y.toLowerCase();
  if (fx !== fy) return fx < fy ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function first(className) {
  return (a, b) => Number(b.classList.contains(className)) - Number(a.classList.contains(className)) || byName(a, b);
}

const ORDERS = {
  name: byName,
  camera: first("has-camera"),
  newest: (a, b) => Number(b.dataset.since || 0) - Number(a.dataset.since || 0) || byName(a, b),
  ops: first("is-op"),
};

function arrange(list) {
  const rows = [...list.children];
  const wanted = [...rows].sort(ORDERS[prefs.get("whoSort")] ?? byName);
  if (wanted.every((row, index) => row === rows[index])) return;
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  let place = list.firstElementChild;
  for (const row of wanted) {
    if (row === place) place = place.nextElementSibling;
    else list.insertBefore(row, place);
  }
  if (focused && document.activeElement !== focused) focused.focus({ preventScroll: true });
}

function filter(list) {
  const query = search.value.trim().toLowerCase();
  let shown = 0;
  for (const row of list.children) {
    const words = `${row.dataset.username} ${row.querySelector(".who-name")?.textContent ?? ""}`.toLowerCase();
    row.hidden = Boolean(query) && !words.includes(query);
    if (!row.hidden) shown += 1;
  }
  noMatch.hidden = !query || shown > 0;
}

// The control of a who row that has the keyboard focus: its row's id and its class.
const CONTROLS = ["who-name", "camera-button", "unmute", "profile"];
let focusedControl = null;

document.addEventListener("focusin", (event) => {
  const row = event.target.closest?.("#who-list .who-row");
  const control = row && CONTROLS.find((name) => event.target.classList.contains(name));
  focusedControl = control ? { id: row.id, control } : null;
});
people.addEventListener("focusout", (event) => {
  const left = event.target;
  queueMicrotask(() => {
    if (left.isConnected && !people.contains(document.activeElement)) focusedControl = null; // moved away on purpose
  });
});

function keepFocus() {
  if (!focusedControl || (document.activeElement && document.activeElement !== document.body)) return;
  const control = document.getElementById(focusedControl.id)?.querySelector(`.${focusedControl.control}`);
  control?.focus({ preventScroll: true });
}

function refresh() {
  const list = document.getElementById("who-list");
  if (!list) return;
  keepFocus();
  arrange(list);
  filter(list);
  observer.takeRecords(); // our own moves are not news
}

const observer = new MutationObserver(refresh);
observer.observe(people, { childList: true, subtree: true });

search.addEventListener("input", refresh);
search.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && search.value) {
    event.preventDefault(); // clear the search first; the next Escape closes the drawer
    event.stopPropagation();
    search.value = "";
    refresh();
  }
});
sort.value = prefs.get("whoSort");
sort.addEventListener("change", () => prefs.set("whoSort", sort.value));
prefs.onChange(() => {
  sort.value = prefs.get("whoSort");
  refresh();
});
refresh();
