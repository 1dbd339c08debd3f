// Preferences chosen in the Settings dialog and kept in this browser (localStorage):
// the theme, presence lines, Enter to send, which sounds play, the webcam choices (the webcam
// bar's `data-pref` controls, the devices, the NSFW warning) and the who list's order. Other
// tabs follow along.

const KEY = "barertc.prefs";

export const DEFAULTS = Object.freeze({
  theme: "system", // "system" follows the device; or "light", "dark"
  presence: true, // show "alice has joined the room" lines
  enterSends: true, // Enter sends, Shift+Enter starts a new line
  whoSort: "name", // the who list's order: "name", "camera", "newest" or "ops"
  sounds: Object.freeze({ dm: true, join: false, leave: false, channel: false, mentioned: true }),
  webcam: Object.freeze({
    mic: false, // share my microphone with my camera
    nsfw: false, // tag my camera NSFW (where the chat permits)
    mutual: false, // only people on camera may watch
    mutualOpen: false, // open the camera of people who watch me
    camera: "", // the device chosen, by id and by name
    cameraLabel: "",
    microphone: "",
    microphoneLabel: "",
    size: "medium", // small, medium, large, fit
    nsfwWarning: true, // ask before opening a camera marked NSFW
  }),
});

const THEMES = new Set(["system", "light", "dark"]);
const SORTS = new Set(["name", "camera", "newest", "ops"]);
const listeners = new Set();
let current = load();

// Keep only known keys whose stored value has the default's type.
function merge(defaults, stored) {
  const result = {};
  for (const [key, fallback] of Object.entries(defaults)) {
    const value = stored?.[key];
    if (fallback !== null && typeof fallback === "object") result[key] = merge(fallback, value);
    else result[key] = typeof value === typeof fallback ? value : fallback;
  }
  if (!THEMES.has(result.theme ?? "system")) result.theme = "system";
  if ("whoSort" in result && !SORTS.has(result.whoSort)) result.whoSort = "name";
  return result;
}

function load() {
  try {
    return merge(DEFAULTS, JSON.parse(localStorage.getItem(KEY) || "{}"));
  } catch {
    return merge(DEFAULTS, {});
  }
}

export function get(path) {
  return path.split(".").reduce((node, key) => node?.[key], current);
}

export function set(path, value) {
  const keys = path.split(".");
  const last = keys.pop();
  const parent = keys.reduce((node, key) => node[key], current);
  if (!(last in parent) || typeof parent[last] !== typeof value) return;
  parent[last] = value;
  try {
    localStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    // Storage full or blocked: the choice still holds until the page is closed.
  }
  changed();
}

export function onChange(listener) {
  listeners.add(listener);
}

// The page-wide effects: theme and presence lines are attributes on <html> that CSS reads.
export function apply() {
  const root = document.documentElement;
  if (current.theme === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", current.theme);
  root.setAttribute("data-presence", current.presence ? "show" : "hide");
}

function changed() {
  apply();
  for (const listener of listeners) listener(current);
}

window.addEventListener("storage", (event) => {
  if (event.key !== KEY) return;
  current = load();
  changed();
});

apply();
