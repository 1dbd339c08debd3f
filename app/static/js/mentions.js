// Completing a name after @ in the message box: the people present (from the who list), and
// "here". Arrow keys move, Enter or Tab completes, Escape closes; a tap on a name completes.

const textBox = document.getElementById("message-text");
const list = document.getElementById("mention-list");
const whoList = () => document.getElementById("who-list");
const meName = document.getElementById("chat").dataset.me;
const SHOWN = 8;
let options = [];
let chosen = 0;

// The "@partial" just before the cursor, if the cursor is in one.
function partialAt() {
  const upto = textBox.value.slice(0, textBox.selectionStart);
  const match = /(^|[\s(])@([^\s@]{0,32})$/.exec(upto);
  return match ? { start: upto.length - match[2].length - 1, typed: match[2] } : null;
}

function candidates(typed) {
  const folded = typed.toLocaleLowerCase();
  const names = [...(whoList()?.querySelectorAll(".who-row[data-username]") ?? [])]
    .map((row) => row.dataset.username)
    .filter((name) => name !== meName);
  const found = names.filter((name) => name.toLocaleLowerCase().startsWith(folded));
  if ("here".startsWith(folded)) found.push("here");
  return found.slice(0, SHOWN);
}

function close() {
  list.hidden = true;
  list.replaceChildren();
  options = [];
  textBox.removeAttribute("aria-activedescendant");
}

function render() {
  list.replaceChildren(
    ...options.map((name, index) => {
      const item = document.createElement("li");
      item.id = `mention-option-${index}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(index === chosen));
      item.dataset.name = name;
      item.textContent = name === "here" ? "@here (everyone in this channel)" : `@${name}`;
      return item;
    }),
  );
  list.hidden = false;
  textBox.setAttribute("aria-activedescendant", `mention-option-${chosen}`);
}

function update() {
  const partial = partialAt();
  options = partial ? candidates(partial.typed) : [];
  chosen = 0;
  if (options.length) render();
  else close();
}

function complete(name) {
  const partial = partialAt();
  if (!partial) return close();
  const before = textBox.value.slice(0, partial.start);
  const after = textBox.value.slice(textBox.selectionStart);
  const inserted = `@${name} `;
  textBox.value = before + inserted + after;
  const cursor = before.length + inserted.length;
  textBox.setSelectionRange(cursor, cursor);
  close();
  textBox.focus();
  textBox.dispatchEvent(new Event("input", { bubbles: true }));
}

textBox.addEventListener("input", update);
textBox.addEventListener("click", update);
textBox.addEventListener("blur", () => setTimeout(close, 150));

// Capture: runs before the composer's Enter-sends, which must not send while choosing a name.
textBox.addEventListener(
  "keydown",
  (event) => {
    if (list.hidden || !options.length) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves) {
      chosen = (chosen + moves[event.key] + options.length) % options.length;
      render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      complete(options[chosen]);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  },
  { capture: true },
);

// pointerdown, not click: the box keeps its focus and cursor.
list.addEventListener("pointerdown", (event) => {
  const item = event.target.closest("[role=option]");
  if (!item) return;
  event.preventDefault();
  complete(item.dataset.name);
});
