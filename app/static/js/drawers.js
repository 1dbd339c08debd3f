// Phone and narrow screens: the channel list and the who list are drawers, native popovers
// opened by the top bar's "Channels" and "People" buttons (`popovertarget`). The browser
// opens and closes them, closes them on Escape or a tap outside (or when a dialog opens), and
// gives the focus back to the button. What it does not do is here: the focus into a drawer
// that opens, `aria-expanded` on its button as the DOM says it, and closing a drawer once it
// has done its job (a channel chosen, a camera to watch) or the screen grew wide.

const drawers = document.querySelectorAll(".drawer[popover]");

export function closeDrawers() {
  for (const drawer of drawers) if (drawer.matches(":popover-open")) drawer.hidePopover();
}

for (const drawer of drawers) {
  drawer.addEventListener("toggle", (event) => {
    const open = event.newState === "open";
    document.querySelector(`[popovertarget="${drawer.id}"]`)?.setAttribute("aria-expanded", String(open));
    if (open && !drawer.contains(document.activeElement)) {
      drawer.querySelector(".is-active, button, a[href], input")?.focus({ preventScroll: true });
    }
  });
}

document.addEventListener("click", (event) => {
  // Watching someone's camera from the People drawer: close it, so the feed can be seen.
  if (event.target.closest(".drawer:popover-open .camera-button")) closeDrawers();
});

matchMedia("(min-width: 1024px)").addEventListener("change", (wide) => {
  if (wide.matches) closeDrawers();
});
