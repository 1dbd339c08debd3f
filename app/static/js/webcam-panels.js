// Each webcam panel (built by webcam.js in #webcams) gets a button to minimise it to its
// caption and restore it. A minimised feed keeps playing, sound included; it only gives its
// room back to the messages, which matters most on a phone.

const panels = document.getElementById("webcams");

function whose(panel) {
  return panel.classList.contains("is-self") ? "your camera" : `${panel.dataset.username}'s camera`;
}

function label(panel) {
  const verb = panel.classList.contains("is-minimised") ? "Restore" : "Minimise";
  return `${verb} ${whose(panel)}`;
}

function update(panel, button) {
  const minimised = panel.classList.contains("is-minimised");
  button.setAttribute("aria-label", label(panel));
  button.setAttribute("aria-expanded", String(!minimised));
  button.title = minimised ? "Restore" : "Minimise";
  button.querySelector("i").className = minimised ? "fa fa-window-maximize" : "fa fa-window-minimize";
}

function addMinimise(panel) {
  if (panel.querySelector(".webcam-minimise")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button is-small webcam-minimise";
  button.append(document.createElement("i"));
  button.firstElementChild.setAttribute("aria-hidden", "true");
  const caption = panel.querySelector(".webcam-caption");
  caption.insertBefore(button, caption.querySelector(".webcam-audio, .webcam-close"));
  update(panel, button);
}

panels.addEventListener("click", (event) => {
  const button = event.target.closest(".webcam-minimise");
  if (!button) return;
  const panel = button.closest(".webcam-panel");
  panel.classList.toggle("is-minimised");
  update(panel, button);
});

new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node instanceof HTMLElement && node.matches(".webcam-panel")) addMinimise(node);
    }
  }
}).observe(panels, { childList: true });

panels.querySelectorAll(".webcam-panel").forEach(addMinimise);
