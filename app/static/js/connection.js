// The connection state in words, next to the title: Connecting…, Connected, Reconnecting…,
// Reconnected. A server's "you were disconnected" banner (kick, ban, another tab) replaces it.

const app = document.getElementById("chat");
let everConnected = false;

function setState(text, state) {
  const box = document.getElementById("connection-state");
  if (!box || box.classList.contains("is-closed")) return;
  box.className = `connection-state is-${state}`;
  const words = box.querySelector(".state-text");
  if (words) words.textContent = text;
}

app.addEventListener("htmx:ws:after:connection", () => {
  setState(everConnected ? "Reconnected" : "Connected", everConnected ? "reconnected" : "open");
  everConnected = true;
  app.dataset.connected = "true";
});

app.addEventListener("htmx:ws:close", (event) => {
  app.dataset.connected = "false";
  if (event.detail?.code >= 4000) setState("Disconnected", "closed");
  else setState("Reconnecting…", "reconnecting");
});
