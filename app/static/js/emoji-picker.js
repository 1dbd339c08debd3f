// The emoji picker next to the message box: emoji-picker-element (vendored from npm, its emoji
// data served from here, never a CDN), loaded the first time it is opened; a chosen emoji is
// inserted at the cursor.

const textBox = document.getElementById("message-text");
const button = document.getElementById("emoji-open");
const panel = document.getElementById("emoji-panel");
let picker = null;

async function build() {
  await import(panel.dataset.picker);
  picker = document.createElement("emoji-picker");
  // The element brings its own <style> in its shadow root; the page's CSP takes it with the
  // page's nonce, given here before the element is in the page (docs/architecture.md).
  const style = picker.shadowRoot?.querySelector("style");
  const nonce = document.querySelector("script[nonce]")?.nonce;
  if (style && nonce) style.nonce = nonce;
  picker.dataSource = panel.dataset.source;
  picker.addEventListener("emoji-click", (event) => insert(event.detail.unicode));
  panel.append(picker);
}

function insert(text) {
  const start = textBox.selectionStart ?? textBox.value.length;
  const end = textBox.selectionEnd ?? start;
  textBox.setRangeText(text, start, end, "end");
  textBox.dispatchEvent(new Event("input", { bubbles: true }));
  close();
}

async function open() {
  if (!picker) await build();
  panel.hidden = false;
  button.setAttribute("aria-expanded", "true");
  picker.shadowRoot?.querySelector("input")?.focus();
}

function close(refocus = true) {
  if (panel.hidden) return;
  panel.hidden = true;
  button.setAttribute("aria-expanded", "false");
  if (refocus) textBox.focus();
}

button.addEventListener("click", () => (panel.hidden ? open() : close()));
panel.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.preventDefault();
    close();
  }
});
document.addEventListener("click", (event) => {
  if (!panel.hidden && !panel.contains(event.target) && !button.contains(event.target)) close(false);
});
