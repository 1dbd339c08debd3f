// Under load the server joins the fragments that piled up for this page into one frame, with
// PART between them (app/web/send_queue.py). htmx finds every out-of-band target of a frame
// before it swaps any, so a fragment naming an element an earlier one adds (a who-list row
// placed before a row that arrived a moment earlier, or removed right after it came) would be
// lost. So the parts are swapped one by one, in order; the last goes through hx-ws as usual,
// which keeps its after-message event. hx-ws handles frames strictly one after another.

const PART = "<!--|-->";
const app = document.getElementById("chat");

app.addEventListener("htmx:ws:before:message:incoming", (event) => {
  const message = event.detail.message;
  if (typeof message.data !== "string" || !message.data.includes(PART)) return;
  const parts = message.data.split(PART);
  message.data = parts.pop();
  event.detail.waitUntil((async () => {
    for (const text of parts) {
      await htmx.swap({ sourceElement: app, target: app, swap: "none swapEmpty:false", text, transition: false });
    }
  })());
});
