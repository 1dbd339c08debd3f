// The page's one socket, for modules that send frames of their own (typing, message actions,
// profile cards, going idle): hx-ws owns the connection (and opens a new one after a restart);
// this keeps a hand on it and sends JSON on it when it is open.

const app = document.getElementById("chat");
const listeners = new Set();
let connection = null;

app.addEventListener("htmx:ws:after:connection", (event) => {
  connection = event.detail.connection;
  for (const listener of listeners) listener();
});

app.addEventListener("htmx:ws:after:message:incoming", (event) => {
  connection = event.detail.connection;
});

// Send one frame; false when the socket is not open (the frame is dropped, not queued).
export function send(action, fields = {}) {
  const socket = connection?.socket;
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.send(JSON.stringify({ action, ...fields }));
  return true;
}

// Call `listener` each time a socket opens (the first time and after every reconnect).
export function onConnected(listener) {
  listeners.add(listener);
}
