// The webcam marks on who-list rows that only this page shows. The server's rows go to
// everyone on every join, so they carry only what everyone may know (camera on, NSFW, muted,
// turned off for now, mutual); what is mine alone is added here, to the few rows it concerns:
//   - my watchers: an eye and "Stop sending my camera to NAME";
//   - while I broadcast asking for mutual cameras: "Invite NAME to watch" on the rows of
//     people off camera, and an "invited" mark once I have;
//   - a camera that is not available to me: its Watch button says so.

export function rowOf(name) {
  return document.querySelector(`#who-list .who-row[data-username="${CSS.escape(name)}"]`);
}

export function cameraButton(name) {
  return rowOf(name)?.querySelector(".camera-button") || null;
}

// `watchers`, `invited` and `unavailable` are sets of names; `inviting` whether to offer invitations.
export function refreshMarks({ me, watchers, inviting, invited, unavailable }) {
  keep(".watcher-marks", watchers, (name) => watcherMarks(name));
  const invitable = new Set();
  if (inviting) {
    for (const row of document.querySelectorAll("#who-list .who-row:not(.has-camera)")) {
      const name = row.dataset.username;
      if (name !== me && !watchers.has(name)) invitable.add(name);
    }
  }
  keep(".invite-slot", invitable, (name) => inviteSlot(name, invited.has(name)), (slot, name) =>
    slot.dataset.invited === String(invited.has(name)));
  for (const button of document.querySelectorAll("#who-list .camera-button.is-unavailable")) {
    if (!unavailable.has(button.dataset.username)) setUnavailable(button, false);
  }
  for (const name of unavailable) {
    const button = cameraButton(name);
    if (button) setUnavailable(button, true);
  }
}

// Exactly one `selector` element, built by `build(name)`, in each row of `names`, and none in
// other rows; `fresh(element, name)` says whether an existing one still shows the right thing.
function keep(selector, names, build, fresh = () => true) {
  for (const element of document.querySelectorAll(`#who-list ${selector}`)) {
    const name = element.closest(".who-row")?.dataset.username;
    if (!names.has(name) || !fresh(element, name)) element.remove();
  }
  for (const name of names) {
    const row = rowOf(name);
    if (!row || row.querySelector(selector)) continue;
    const slot = row.querySelector(".camera-slot");
    if (slot) slot.before(build(name));
    else row.append(build(name));
  }
}

function watcherMarks(name) {
  const marks = document.createElement("span");
  marks.className = "watcher-marks";
  marks.innerHTML = '<span class="watching-marker" title="Watching your camera"><i class="fa fa-eye" aria-hidden="true"></i>'
    + '<span class="sr-only">watching you</span></span>'
    + '<button type="button" class="button is-small is-white stop-sending"><i class="fa fa-eye-slash" aria-hidden="true"></i></button>';
  named(marks.querySelector(".stop-sending"), name, `Stop sending my camera to ${name}`);
  return marks;
}

function inviteSlot(name, done) {
  const slot = document.createElement("span");
  slot.className = "invite-slot";
  slot.dataset.invited = String(done);
  if (done) {
    slot.innerHTML = '<span class="invited-mark" title="Invited to watch your camera"><i class="fa fa-envelope-circle-check" aria-hidden="true"></i>'
      + '<span class="sr-only">invited to watch you</span></span>';
  } else {
    slot.innerHTML = '<button type="button" class="button is-small is-white invite-watch"><i class="fa fa-envelope" aria-hidden="true"></i></button>';
    named(slot.querySelector(".invite-watch"), name, `Invite ${name} to watch`);
  }
  return slot;
}

function named(button, name, text) {
  button.dataset.username = name;
  button.title = text;
  button.setAttribute("aria-label", text);
}

function setUnavailable(button, on) {
  const name = button.dataset.username;
  if (button.classList.contains("is-unavailable") === on) return;
  button.classList.toggle("is-unavailable", on);
  button.setAttribute("aria-label", on ? `${name}'s camera is not available to you` : `Watch ${name}`);
  if (on) {
    button.dataset.title = button.title;
    button.title = "Not available to you: try again";
  } else {
    button.title = button.dataset.title || "Camera on";
  }
}
