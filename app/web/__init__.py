"""HTTP and WebSocket endpoints: pages, the JSON API and the /ws socket."""
