// A webcam panel popped out of the row of feeds (desktop only): it floats over the page where
// it was, moves by dragging its caption (or with the arrow keys on its name), and resizes from
// its corner (CSS `resize`). Put back, it returns to its place in the row.

const STEP = 24; // pixels an arrow key moves a popped-out panel

// `box`: where the panel was in the row, so it floats from there.
export function makeMovable(panel, box) {
  place(panel, box.left, box.top);
  panel.style.width = `${box.width}px`;
  const handle = panel.querySelector(".webcam-name");
  handle.tabIndex = 0;
  handle.title = "Drag to move; arrow keys move it too";
}

export function putBack(panel) {
  for (const property of ["left", "top", "width", "height"]) panel.style.removeProperty(property);
  const handle = panel.querySelector(".webcam-name");
  handle.removeAttribute("tabindex");
  handle.removeAttribute("title");
}

function position(panel) {
  return { left: parseFloat(panel.style.left) || 0, top: parseFloat(panel.style.top) || 0 };
}

// Keep at least the caption inside the window, so a panel can always be dragged back.
function place(panel, left, top) {
  const width = panel.offsetWidth || 200;
  const x = Math.min(Math.max(left, 48 - width), window.innerWidth - 48);
  const y = Math.min(Math.max(top, 0), window.innerHeight - 32);
  panel.style.left = `${Math.round(x)}px`;
  panel.style.top = `${Math.round(y)}px`;
}

document.addEventListener("pointerdown", (event) => {
  const caption = event.target.closest(".webcam-panel.is-popped .webcam-caption");
  if (!caption || event.target.closest("button, input") || event.button !== 0) return;
  const panel = caption.closest(".webcam-panel");
  const start = { x: event.clientX, y: event.clientY, ...position(panel) };
  caption.setPointerCapture(event.pointerId);
  event.preventDefault();
  const move = (moved) => place(panel, start.left + moved.clientX - start.x, start.top + moved.clientY - start.y);
  caption.addEventListener("pointermove", move);
  caption.addEventListener("lostpointercapture", () => caption.removeEventListener("pointermove", move), { once: true });
});

document.addEventListener("keydown", (event) => {
  const handle = event.target.closest?.(".webcam-panel.is-popped .webcam-name");
  const [dx, dy] = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key] || [];
  if (!handle || dx === undefined) return;
  event.preventDefault();
  const panel = handle.closest(".webcam-panel");
  const { left, top } = position(panel);
  place(panel, left + dx * STEP, top + dy * STEP);
});
