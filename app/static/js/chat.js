// The chat page's behaviour around what htmx swaps in. Everything a person reads comes from
// the server; these modules only show, hide, sort out and announce it:
//   logs.js        channel and DM logs, unread badges, staying at the newest message
//   drawers.js     the Channels and People drawers on narrow screens
//   composer.js    the message box (Enter to send)
//   connection.js  the connection state in words
//   notices.js     notices from the server
//   title.js       the unread count in the tab title while the tab is hidden
//   prefs.js, settings.js, sounds.js   preferences, the Settings dialog, sound effects
//   message-actions.js  react, take back, report (report.js), hide; typing.js  the typing line
//   mentions.js    @name completion in the message box; emoji-picker.js  the emoji picker
//   socket.js      sends the frames of those modules on hx-ws's socket
//   profile.js     profile cards (click a name), with the operator's Kick and Ban dialogs
//   who-list.js    search and sort the who list
//   idle.js        Away by myself after a while without input
//   pictures.js    share a picture (button, drop, paste), open one large, show/collapse/hide
// The webcams are a module graph of their own, webcam.js (loaded by the page beside this one).

import "./drawers.js";
import "./composer.js";
import "./frames.js";
import "./connection.js";
import "./notices.js";
import "./title.js";
import "./settings.js";
import "./message-actions.js";
import "./typing.js";
import "./mentions.js";
import "./emoji-picker.js";
import "./profile.js";
import "./who-list.js";
import "./idle.js";
import "./pictures.js";
import { meKey } from "./logs.js";
import { notify, soundFor } from "./sounds.js";

document.addEventListener("chat:message", (event) => {
  const { msg, log } = event.detail;
  const kind = soundFor(msg, log, meKey);
  if (kind) notify(kind);
});
