// Preferences chosen in the Settings dialog and kept in this browser (localStorage):
// the theme, the message style and text size, presence lines, how shared pictures show, Enter to send, the sound of each
// event with the volume and "Mute all sounds", the webcam choices (the webcam bar's `data-pref`
// controls, the devices, the NSFW warning) and the who list's order. Other tabs follow along.

const KEY = "barertc.prefs";

export const DEFAULTS = Object.freeze({
  theme: "system", // "system" follows the device; or "light", "dark"
  presence: true, // show "alice has joined the room" lines
  enterSends: true, // Enter sends, Shift+Enter starts a new line
  whoSort: "name", // the who list's order: "name", "camera", "newest" or "ops"
  pictures: "show", // shared pictures: "show", "collapse" (a button reveals each) or "hide"
  messageStyle: "cards", // "cards" or "compact"
  textSize: "m", // the messages' text: "xs", "s", "m", "l" or "xl"
  // The sound of each event (a name in sounds.js, or "none"), as the original's `sound:<Event>`.
  sounds: Object.freeze({ dm: "chime", channel: "none", join: "none", leave: "none", watch: "quiet", mentioned: "ping" }),
  soundVolume: 60, // 0-100
  muteSounds: false, // "Mute all sounds"
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
const STYLES = new Set(["cards", "compact"]);
const SIZES = new Set(["xs", "s", "m", "l", "xl"]);
const PICTURES = new Set(["show", "collapse", "hide"]);
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
  if ("messageStyle" in result && !STYLES.has(result.messageStyle)) result.messageStyle = "cards";
  if ("textSize" in result && !SIZES.has(result.textSize)) result.textSize = "m";
  if ("pictures" in result && !PICTURES.has(result.pictures)) result.pictures = "show";
  return result;
}

// Before issue 23 each sound was on or off: off stays off, on becomes the event's own sound.
function migrate(stored) {
  for (const [kind, value] of Object.entries(stored?.sounds ?? {})) {
    if (typeof value !== "boolean") continue;
    const fallback = DEFAULTS.sounds[kind] === "none" ? { join: "rise", leave: "fall" }[kind] ?? "ping" : DEFAULTS.sounds[kind];
    stored.sounds[kind] = value ? fallback : "none";
  }
  return stored;
}

function load() {
  try {
    return merge(DEFAULTS, migrate(JSON.parse(localStorage.getItem(KEY) || "{}")));
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

// The page-wide effects: theme, presence lines, message style, text size and pictures are
// attributes on <html> that CSS reads (js/boot.js sets them first, before the page is painted).
export function apply() {
  const root = document.documentElement;
  if (current.theme === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", current.theme);
  root.setAttribute("data-presence", current.presence ? "show" : "hide");
  root.setAttribute("data-message-style", current.messageStyle);
  root.setAttribute("data-text-size", current.textSize);
  root.setAttribute("data-pictures", current.pictures);
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
