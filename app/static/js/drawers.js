// Phone and narrow screens: the channel list and the who list are drawers opened from the
// top bar's "Channels" and "People" buttons. Escape, the backdrop or the button close them;
// focus moves into an opened drawer and back to its button when it closes.

const backdrop = document.querySelector(".drawer-backdrop");

function toggleFor(id) {
  return document.querySelector(`.drawer-toggle[data-drawer="${id}"]`);
}

function openDrawer(drawer) {
  drawer.classList.add("is-open");
  toggleFor(drawer.id)?.setAttribute("aria-expanded", "true");
  if (backdrop) backdrop.hidden = false;
  // Visibility turns on at the start of the slide-in, so the drawer can take focus at once.
  drawer.querySelector(".is-active, button, a[href], input")?.focus({ preventScroll: true });
}

export function closeDrawers() {
  for (const drawer of document.querySelectorAll(".drawer.is-open")) {
    const hadFocus = drawer.contains(document.activeElement);
    drawer.classList.remove("is-open");
    const toggle = toggleFor(drawer.id);
    toggle?.setAttribute("aria-expanded", "false");
    if (hadFocus && toggle && toggle.offsetParent !== null) toggle.focus();
  }
  if (backdrop) backdrop.hidden = true;
}

function toggleDrawer(id) {
  const drawer = document.getElementById(id);
  const wasOpen = drawer.classList.contains("is-open");
  closeDrawers();
  if (!wasOpen) openDrawer(drawer);
}

document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".drawer-toggle");
  if (toggle) toggleDrawer(toggle.dataset.drawer);
  else if (event.target === backdrop) closeDrawers();
  // Watching someone's camera from the People drawer: close it, so the feed can be seen.
  else if (event.target.closest(".drawer.is-open .camera-button")) closeDrawers();
});

document.addEventListener("keydown", (event) => {
  // An open dialog takes Escape for itself.
  if (event.key === "Escape" && !document.querySelector("dialog[open]")) closeDrawers();
});
