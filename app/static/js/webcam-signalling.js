// Webcam signalling: the RTCPeerConnections and the frames that set them up, and nothing of
// the page (docs/protocol.md, "Webcam signalling"), as Galène keeps protocol.js apart from its
// UI. webcam.js hands it the data-only frames from the socket and listens to what happens to
// each link; webcam-panels.js shows it.
//
// A link carries one person's camera (its `feed`, named by its broadcaster) to one viewer.
// Two maps keyed by the other person's username hold them: `sending` (my camera to a viewer)
// and `watching` (a broadcaster's camera to me), so two people can watch each other and close
// either direction alone. The broadcaster makes the offer once the viewer's `open` rings.
//
// Events (each a CustomEvent whose `detail` is named below):
//   ring {peer}            a viewer asks for my camera: call answer() or refuse()
//   track {link, stream}   a broadcaster's media arrived on a link I watch
//   ended {link, reason, remote}  a link is over; `reason` is "", "stopped", "failed",
//                          "refused" (the server's rules) or "offline" (my socket closed)
//   watchers {}            who watches my camera changed (see watchers())
//   watched {peer}         someone's feed of my camera is now connected
//   cut {by}               an operator turned my camera off
//   invited {by}           someone invited me to watch their camera

export class Signalling extends EventTarget {
  constructor({ me, iceServers, send }) {
    super();
    this.me = me;
    this.iceServers = iceServers;
    this.send = send; // (action, fields) => whether it went out
    this.sending = new Map();
    this.watching = new Map();
  }

  // A data-only frame from the server.
  receive(frame) {
    const handler = HANDLERS[frame?.signal];
    if (handler && typeof frame.username === "string" && frame.username !== this.me) handler.call(this, frame);
  }

  // Ask for `peer`'s camera; the link waits for their offer. Null when the socket is down.
  watch(peer) {
    const old = this.watching.get(peer);
    if (old) this.hangUp(old);
    const link = this.#newLink(peer, peer);
    link.pc.addEventListener("track", ({ streams }) => this.#emit("track", { link, stream: streams[0] }));
    this.watching.set(peer, link);
    if (this.send("open", { username: peer })) return link;
    this.end(link, "offline");
    return null;
  }

  // Send my camera to a viewer who rang.
  answer(peer, stream) {
    const old = this.sending.get(peer);
    if (old) this.end(old); // asked again: start afresh
    const link = this.#newLink(peer, this.me);
    this.sending.set(peer, link);
    for (const track of stream.getTracks()) link.pc.addTrack(track, stream);
    this.#step(link, async () => {
      await link.pc.setLocalDescription();
      this.#sendDescription(link);
    });
  }

  refuse(peer, reason = "") {
    this.send("hangup", { username: peer, feed: this.me, ...(reason ? { reason } : {}) });
  }

  // End a link and tell the other side.
  hangUp(link, reason = "") {
    if (!link.ended) this.send("hangup", { username: link.peer, feed: link.feed, ...(reason ? { reason } : {}) });
    this.end(link, reason);
  }

  // End a link here only (the other side ended it, is gone, or the socket closed).
  end(link, reason = "", remote = false) {
    if (link.ended) return;
    link.ended = true;
    link.pc.close();
    const map = link.feed === this.me ? this.sending : this.watching;
    if (map.get(link.peer) === link) map.delete(link.peer);
    this.#emit("ended", { link, reason, remote });
    if (link.watching) this.#emit("watchers", {});
  }

  endAll(reason) {
    for (const link of [...this.sending.values(), ...this.watching.values()]) this.end(link, reason);
  }

  // My camera or microphone changed device: every viewer gets the new track, no renegotiation.
  async replaceTrack(track) {
    const senders = [...this.sending.values()].flatMap((link) => link.pc.getSenders());
    await Promise.all(senders.filter((sender) => sender.track?.kind === track.kind).map((sender) => sender.replaceTrack(track)));
  }

  watchers() {
    return new Set([...this.sending.values()].filter((link) => link.watching).map((link) => link.peer));
  }

  #newLink(peer, feed) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const link = { peer, feed, pc, pending: [], chain: Promise.resolve(), watching: false, announced: false, ended: false };
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate && !link.ended) this.send("candidate", { username: peer, feed, candidate: candidate.toJSON() });
    });
    pc.addEventListener("connectionstatechange", () => this.#onConnectionState(link));
    return link;
  }

  // Signalling steps of one link run one after another, in the order their frames came.
  #step(link, work) {
    link.chain = link.chain.then(() => (link.ended ? undefined : work())).catch((error) => {
      if (link.ended) return;
      console.warn("webcam link with", link.peer, error);
      this.hangUp(link, "failed");
    });
  }

  #sendDescription(link) {
    this.send("sdp", { username: link.peer, feed: link.feed, description: link.pc.localDescription.toJSON() });
  }

  #onConnectionState(link) {
    const state = link.pc.connectionState;
    if (state === "connected" && !link.announced) {
      link.announced = true;
      if (link.feed !== this.me) this.send("watch", { username: link.peer });
    } else if (state === "failed") {
      this.hangUp(link, "failed");
    }
  }

  #linkFor(frame) {
    if (frame.feed === this.me) return this.sending.get(frame.username);
    if (frame.feed === frame.username) return this.watching.get(frame.username);
    return undefined;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  static handlers = {
    ring(frame) {
      this.#emit("ring", { peer: frame.username });
    },
    sdp(frame) {
      const link = this.#linkFor(frame);
      if (!link || !frame.description) return;
      this.#step(link, async () => {
        await link.pc.setRemoteDescription(frame.description);
        for (const candidate of link.pending.splice(0)) await link.pc.addIceCandidate(candidate);
        if (frame.description.type === "offer") {
          await link.pc.setLocalDescription();
          this.#sendDescription(link);
        }
      });
    },
    candidate(frame) {
      const link = this.#linkFor(frame);
      if (!link || !frame.candidate) return;
      this.#step(link, async () => {
        if (link.pc.remoteDescription) await link.pc.addIceCandidate(frame.candidate);
        else link.pending.push(frame.candidate);
      });
    },
    watch(frame) {
      const link = this.sending.get(frame.username);
      if (!link) return;
      link.watching = true;
      this.#emit("watchers", {});
      this.#emit("watched", { peer: link.peer });
    },
    unwatch(frame) {
      const link = this.sending.get(frame.username);
      if (!link) return;
      link.watching = false;
      this.#emit("watchers", {});
    },
    hangup(frame) {
      const link = this.#linkFor(frame);
      if (link) this.end(link, typeof frame.reason === "string" ? frame.reason : "", true);
    },
    cut(frame) {
      this.#emit("cut", { by: frame.username });
    },
    invited(frame) {
      this.#emit("invited", { by: frame.username });
    },
  };
}

const HANDLERS = Signalling.handlers;
