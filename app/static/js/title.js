// While the tab is in the background, its title counts the messages that arrived meanwhile:
// "(3) BareRTC". Coming back to the tab clears the count.

import { isFromOthers } from "./logs.js";

const baseTitle = document.title;
let unseen = 0;

document.addEventListener("chat:message", (event) => {
  if (!document.hidden || !isFromOthers(event.detail.msg)) return;
  unseen += 1;
  document.title = `(${unseen}) ${baseTitle}`;
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  unseen = 0;
  document.title = baseTitle;
});
