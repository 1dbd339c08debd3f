// Runs before the page is painted (a classic script in <head>), so a stored theme applies
// without a flash of the other one. js/prefs.js owns the preferences; this reads five of them.
(function () {
  var root = document.documentElement;
  var stored = {};
  try { stored = JSON.parse(localStorage.getItem("barertc.prefs") || "{}") || {}; } catch (e) { stored = {}; }
  if (stored.theme === "light" || stored.theme === "dark") root.setAttribute("data-theme", stored.theme);
  else root.removeAttribute("data-theme");
  root.setAttribute("data-presence", stored.presence === false ? "hide" : "show");
  root.setAttribute("data-message-style", stored.messageStyle === "compact" ? "compact" : "cards");
  root.setAttribute("data-text-size", /^(xs|s|m|l|xl)$/.test(stored.textSize) ? stored.textSize : "m");
  root.setAttribute("data-pictures", ["collapse", "hide"].indexOf(stored.pictures) >= 0 ? stored.pictures : "show");
})();
