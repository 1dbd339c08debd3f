// Shared pictures. Sharing: the "Share a picture" button (shown where the conversation takes
// pictures), a file dropped on the conversation, or one pasted into it; each is POSTed as it
// is to /pictures?to=CONVERSATION, and the server cleans, shrinks and posts it (its message
// arrives on the socket like any other; a refusal arrives as a notice). Showing: a preview
// opens large in the #picture-viewer dialog (click, or Enter on it; Escape closes), the
// preference show / collapse / hide (prefs.pictures, read by CSS from <html data-pictures>),
// and the words "this picture is gone" once the server no longer has it (404).

import { activeLog } from "./logs.js";

const main = document.querySelector(".chat-main");
const logs = document.getElementById("logs");
const shareButton = document.getElementById("picture-share");
const fileInput = document.getElementById("picture-file");
const channelField = document.getElementById("composer-channel");
const viewer = document.getElementById("picture-viewer");
const large = document.getElementById("picture-large");
const largeGone = document.getElementById("picture-large-gone");
const failed = document.getElementById("picture-failed");
let opener = null; // the preview the viewer was opened from
let uploads = 0;

// --- sharing ------------------------------------------------------------------------------

function imageIn(files) {
  return [...(files || [])].find((file) => file.type.startsWith("image/")) ?? null;
}

function busy(on) {
  uploads += on ? 1 : -1;
  shareButton?.classList.toggle("is-loading", uploads > 0);
  shareButton?.setAttribute("aria-busy", String(uploads > 0));
}

async function share(file) {
  busy(true);
  try {
    await fetch(`/pictures?to=${encodeURIComponent(channelField.value)}`, {
      method: "POST",
      body: file,
      credentials: "same-origin",
      headers: { "Content-Type": file.type || "application/octet-stream" },
    });
  } catch {
    document.getElementById("notices").prepend(failed.content.cloneNode(true)); // newest first
  } finally {
    busy(false);
  }
}

function showButton() {
  if (shareButton) shareButton.hidden = !activeLog()?.hasAttribute("data-photos");
}

shareButton?.addEventListener("click", () => fileInput.click());
fileInput?.addEventListener("change", () => {
  const file = imageIn(fileInput.files);
  fileInput.value = "";
  if (file) share(file);
});
document.addEventListener("chat:log-shown", showButton);

function carriesFiles(event) {
  return [...(event.dataTransfer?.types || [])].includes("Files");
}

logs.addEventListener("dragover", (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault(); // (else the browser would open the file instead of the chat)
  event.dataTransfer.dropEffect = "copy";
  logs.classList.add("is-drop-target");
});
logs.addEventListener("dragleave", (event) => {
  if (!logs.contains(event.relatedTarget)) logs.classList.remove("is-drop-target");
});
logs.addEventListener("drop", (event) => {
  logs.classList.remove("is-drop-target");
  if (!carriesFiles(event)) return;
  event.preventDefault();
  const file = imageIn(event.dataTransfer.files);
  if (file) share(file);
});

main.addEventListener("paste", (event) => {
  const file = imageIn(event.clipboardData?.files);
  if (!file) return;
  event.preventDefault();
  share(file);
});

// --- showing ------------------------------------------------------------------------------

function open(button) {
  const figure = button.closest(".picture");
  opener = button;
  large.hidden = false;
  largeGone.hidden = true;
  large.alt = button.querySelector("img")?.alt || "";
  large.width = Number(figure.dataset.width);
  large.height = Number(figure.dataset.height);
  large.src = figure.dataset.large;
  viewer.showModal();
}

logs.addEventListener("click", (event) => {
  const reveal = event.target.closest(".picture-reveal");
  if (reveal) {
    const figure = reveal.closest(".picture");
    figure.classList.add("is-revealed");
    figure.querySelector(".picture-open")?.focus();
    return;
  }
  const button = event.target.closest(".picture-open");
  if (button) open(button);
});

function markGone(figure) {
  figure?.classList.add("is-gone");
}

// An <img> that fails does not bubble its error: listen while it goes down.
logs.addEventListener(
  "error",
  (event) => {
    if (event.target instanceof HTMLImageElement && event.target.closest(".picture-open")) markGone(event.target.closest(".picture"));
  },
  true,
);

large.addEventListener("error", () => {
  if (!large.getAttribute("src")) return;
  large.hidden = true;
  largeGone.hidden = false;
  markGone(opener?.closest(".picture"));
});

viewer.addEventListener("click", (event) => {
  if (event.target === viewer) viewer.close(); // a click on the backdrop
});

viewer.addEventListener("close", () => {
  large.removeAttribute("src");
  if (opener?.isConnected) opener.focus();
  opener = null;
});

showButton();
