"""Webcam controls in real Chromium with its fake cameras and microphone (issue 18).

What a broadcaster controls while live (mute, turn the camera off, switch devices), what a
viewer controls (sound, sizes, full screen, pop out), the server's rules seen from the page
(mutual cameras, invitations, /cut) and the honest states (a failed connection with Try again,
feeds that come back after the server restarts). "Heard" and "seen" are measured on the
viewer's page the way a person would notice: the loudness of the feed's sound, and the
brightness of its picture.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from tests.browser.conftest import UserFactory
from tests.browser.test_webcam_browser import expect_playing, panel, start_webcam, webcam_settings, who
from tests.support import Server, running_server
from tests.tokens import SECRET, token

SPEAKING = re.compile(r"\bis-speaking\b")

# Keeps every RTCPeerConnection the page makes, so a test can look at what is really sent.
RECORD_PEER_CONNECTIONS = """
window.__peerConnections = [];
window.RTCPeerConnection = class extends window.RTCPeerConnection {
  constructor(...args) { super(...args); window.__peerConnections.push(this); }
};
"""

LOUDEST = """async (video) => {
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(video.srcObject).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let loudest = 0;
  for (const end = performance.now() + 1200; performance.now() < end;) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    analyser.getFloatTimeDomainData(samples);
    for (const sample of samples) loudest = Math.max(loudest, Math.abs(sample));
  }
  await context.close();
  return loudest;
}"""

BRIGHTNESS = """(video) => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 48 });
  const context = canvas.getContext("2d");
  context.drawImage(video, 0, 0, 64, 48);
  const pixels = context.getImageData(0, 0, 64, 48).data;
  let sum = 0;
  for (let i = 0; i < pixels.length; i += 4) sum += pixels[i] + pixels[i + 1] + pixels[i + 2];
  return sum / (pixels.length / 4) / 3;
}"""


def wait_for_sound(page: Page, name: str, *, heard: bool) -> None:
    """Listen to `name`'s feed, a second at a time, until it is heard (or silent)."""
    video = panel(page, name).locator("video")
    for _ in range(10):
        loudest = float(video.evaluate(LOUDEST))
        if (loudest > 0.2) == heard:
            return
    raise AssertionError(f"{name}'s sound was {'never heard' if heard else 'still heard'} (loudest {loudest:.2f})")


def wait_for_picture(page: Page, name: str, *, dark: bool) -> None:
    handle = panel(page, name).locator("video").element_handle()
    test = f"v => ({BRIGHTNESS})(v) {'<' if dark else '>'} 8"
    page.wait_for_function(test, arg=handle, timeout=10_000)


def sent_video_labels(page: Page) -> list[str]:
    labels: list[str] = page.evaluate(
        """() => window.__peerConnections.filter((pc) => pc.connectionState !== "closed")
            .flatMap((pc) => pc.getSenders()).filter((s) => s.track?.kind === "video").map((s) => s.track.label)"""
    )
    return labels


def record_peer_connections(context: BrowserContext) -> None:
    context.add_init_script(RECORD_PEER_CONNECTIONS)


def test_a_broadcaster_mutes_turns_the_camera_off_and_switches_it_while_live(new_user: UserFactory) -> None:
    alice, bob = new_user("alice", before=record_peer_connections), new_user("bob")
    alice.get_by_role("checkbox", name="Microphone").check()
    start_webcam(alice)
    who(bob).get_by_role("button", name="Watch alice").click()
    expect_playing(bob, "alice")
    feed = panel(bob, "alice")
    feed.get_by_role("button", name="Unmute alice").click()
    # bob hears alice's (fake) microphone, and her panel shows who is speaking.
    wait_for_sound(bob, "alice", heard=True)
    # (the fake microphone beeps once a second; a loaded machine's timers can miss a few beeps)
    expect(feed).to_have_class(SPEAKING, timeout=15_000)
    expect(alice.get_by_role("group", name="Your camera")).to_have_class(SPEAKING, timeout=15_000)

    alice.get_by_role("button", name="Mute microphone").click()
    row = who(bob).get_by_role("listitem").filter(has=bob.get_by_role("button", name="alice", exact=True))
    expect(row.get_by_role("img", name="microphone muted")).to_be_visible()
    expect(feed.get_by_role("img", name="microphone muted")).to_be_visible()
    wait_for_sound(bob, "alice", heard=False)
    expect(feed).not_to_have_class(SPEAKING)
    alice.get_by_role("button", name="Unmute microphone").click()
    expect(row.get_by_role("img", name="microphone muted")).to_have_count(0)
    wait_for_sound(bob, "alice", heard=True)

    # Turned off for now: the picture goes dark, the sound carries on, the feed stays open.
    wait_for_picture(bob, "alice", dark=False)
    alice.get_by_role("button", name="Turn camera off").click()
    expect(feed.get_by_role("status")).to_have_text("alice turned their camera off for now.")
    expect(row.get_by_role("button", name="Watch alice")).to_have_attribute("title", re.compile("turned off for now"))
    wait_for_picture(bob, "alice", dark=True)
    wait_for_sound(bob, "alice", heard=True)
    alice.get_by_role("button", name="Turn camera on").click()
    expect(feed.get_by_role("status")).to_be_hidden()
    wait_for_picture(bob, "alice", dark=False)

    # Another camera while live: the track sent to bob is replaced, bob's feed plays on.
    assert sent_video_labels(alice) == ["fake_device_0"]
    webcam_settings(alice).get_by_label("Camera to use").select_option(label="fake_device_1")
    expect(alice.locator("#webcam-status")).to_have_text("Switched camera.")
    assert sent_video_labels(alice) == ["fake_device_1"]
    preview = alice.get_by_role("group", name="Your camera").locator("video")
    assert preview.evaluate("v => v.srcObject.getVideoTracks()[0].label") == "fake_device_1"
    expect_playing(bob, "alice")
    expect(feed.get_by_role("status")).to_be_hidden()  # never "Connecting…" again
    # The choice is remembered: the next broadcast starts with the same camera.
    alice.get_by_role("button", name="Stop webcam").click()
    alice.reload()
    start_webcam(alice)
    preview = alice.get_by_role("group", name="Your camera").locator("video")
    assert preview.evaluate("v => v.srcObject.getVideoTracks()[0].label") == "fake_device_1"


def test_a_viewer_sizes_mutes_full_screens_and_pops_out_a_feed(new_user: UserFactory) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    alice.get_by_role("checkbox", name="Microphone").check()
    start_webcam(alice)
    who(bob).get_by_role("button", name="Watch alice").click()
    expect_playing(bob, "alice")
    feed = panel(bob, "alice")
    video = feed.locator("video")

    # Sound: unmuted, the volume slider sets the volume; at zero the feed is muted.
    feed.get_by_role("button", name="Unmute alice").click()
    volume = feed.get_by_role("slider", name="Volume of alice")
    volume.focus()
    for _ in range(6):
        bob.keyboard.press("ArrowLeft")
    assert video.evaluate("v => [v.muted, Math.round(v.volume * 100)]") == [False, 70]
    bob.keyboard.press("Home")
    expect(feed.get_by_role("button", name="Unmute alice")).to_be_visible()
    feed.get_by_role("button", name="Unmute alice").click()
    assert video.evaluate("v => [v.muted, v.volume]") == [False, 1]

    # Sizes, for every feed, remembered in the browser.
    widths = {}
    for size, label in (("small", "Small"), ("medium", "Medium"), ("large", "Large"), ("fit", "Fit the space")):
        bob.get_by_label("Video size").select_option(label=label)
        box = feed.bounding_box()
        assert box
        widths[size] = box["width"]
    assert widths["small"] < widths["medium"] < widths["large"] < widths["fit"]
    area = bob.get_by_role("region", name="Webcams").bounding_box()
    assert area and widths["fit"] > area["width"] - 40
    bob.reload()
    bob.locator("#chat[data-connected='true']").wait_for()
    expect(bob.get_by_label("Video size")).to_have_value("fit")
    who(bob).get_by_role("button", name="Watch alice").click()
    expect_playing(bob, "alice")
    bob.get_by_label("Video size").select_option(label="Medium")

    # Full screen for one feed, and back.
    feed.get_by_role("button", name="Full screen").click()
    bob.wait_for_function("() => document.fullscreenElement?.getAttribute('aria-label') === \"alice's camera\"")
    feed.get_by_role("button", name="Exit full screen").click()
    bob.wait_for_function("() => document.fullscreenElement === null")
    expect(feed.get_by_role("button", name="Full screen")).to_be_visible()

    # Pop out: the panel floats, moves with its caption and resizes from its corner.
    before = feed.bounding_box()
    assert before
    feed.get_by_role("button", name="Pop out").click()
    expect(feed).to_have_css("position", "fixed")
    name = feed.locator(".webcam-name")
    grab = name.bounding_box()
    assert grab
    bob.mouse.move(grab["x"] + 5, grab["y"] + 5)
    bob.mouse.down()
    bob.mouse.move(grab["x"] + 205, grab["y"] + 105, steps=5)
    bob.mouse.up()
    moved = feed.bounding_box()
    assert moved and abs(moved["x"] - before["x"] - 200) < 3 and abs(moved["y"] - before["y"] - 100) < 3
    bob.mouse.move(moved["x"] + moved["width"] - 3, moved["y"] + moved["height"] - 3)
    bob.mouse.down()
    bob.mouse.move(moved["x"] + moved["width"] + 97, moved["y"] + moved["height"] + 60, steps=5)
    bob.mouse.up()
    resized = feed.bounding_box()
    assert resized and resized["width"] > moved["width"] + 80
    expect_playing(bob, "alice")
    feed.get_by_role("button", name="Put back").click()
    expect(feed).to_have_css("position", "relative")
    # On a phone there is no pop out: feeds stay in the row.
    bob.set_viewport_size({"width": 390, "height": 844})
    expect(feed.get_by_role("button", name="Pop out")).to_be_hidden()


@pytest.fixture
def jwt_server(tmp_path: Path) -> Iterator[Server]:
    folder = tmp_path / "jwt"
    folder.mkdir()
    with running_server(folder, JWT={"Enabled": True, "Strict": False, "SecretKey": SECRET}) as server:
        yield server


def test_mutual_cameras_invitations_and_cut(new_user: UserFactory, jwt_server: Server) -> None:
    alice = new_user("alice", server=jwt_server)
    bob, carol = new_user("bob", server=jwt_server), new_user("carol", server=jwt_server)
    olga = new_user("olga", server=jwt_server, path=f"/?jwt={token('olga', op=True)}")
    settings = webcam_settings(alice)
    settings.get_by_role("checkbox", name="Only people on camera may watch").check()
    settings.get_by_role("checkbox", name="Open the camera of people who watch me").check()
    start_webcam(alice)

    # bob is not on camera: refused, with the reason, and the button says so.
    who(bob).get_by_role("button", name="Watch alice").click()
    expect(
        bob.get_by_role("status").filter(has_text="shows their camera only to people who are on camera too")
    ).to_be_visible()
    expect(panel(bob, "alice")).to_have_count(0)
    unavailable = who(bob).get_by_role("button", name="alice's camera is not available to you")
    expect(unavailable).to_be_visible()

    # alice invites bob from her who list; carol stays uninvited.
    who(alice).get_by_role("button", name="Invite bob to watch").click()
    expect(bob.get_by_role("status").filter(has_text="alice invited you to watch their camera.")).to_be_visible()
    expect(who(alice).get_by_text("invited to watch you")).to_be_attached()
    expect(who(alice).get_by_role("button", name="Invite carol to watch")).to_be_visible()
    who(bob).get_by_role("button", name="Watch alice").click()
    expect_playing(bob, "alice")
    who(carol).get_by_role("button", name="Watch alice").click()
    expect(carol.get_by_role("status").filter(has_text="shows their camera only to people")).to_be_visible()

    # carol starts her camera: now she may watch, and alice's page opens carol's in return.
    start_webcam(carol)
    who(carol).get_by_role("button", name="Watch alice").click()
    expect_playing(carol, "alice")
    expect_playing(alice, "carol")
    expect(panel(alice, "bob")).to_have_count(0)  # bob, watching without a camera, has none to open

    # An operator cuts alice's camera: she is told who did it, and every feed of it closes.
    olga.get_by_label("Message", exact=True).fill("/cut alice")
    olga.get_by_label("Message", exact=True).press("Enter")
    expect(olga.get_by_role("status").filter(has_text="alice's camera is off.")).to_be_visible()
    expect(alice.get_by_role("button", name="Start webcam")).to_be_visible()
    expect(alice.get_by_role("group", name="Your camera")).to_have_count(0)
    expect(alice.get_by_role("status").filter(has_text="olga, an operator, turned your camera off.")).to_be_visible()
    for viewer in (bob, carol):
        expect(panel(viewer, "alice")).to_have_count(0)
        expect(who(viewer).get_by_role("button", name="Watch alice")).to_have_count(0)


class CandidateBlackhole:
    """The network between two browsers loses every packet: each ICE candidate the page sends
    or receives is rewritten to an address nobody answers (TEST-NET-1), until `lifted`."""

    def __init__(self) -> None:
        self.lifted = False

    def route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(self.rewrite(message)))
        server.on_message(lambda message: ws.send(self.rewrite(message)))

    def rewrite(self, message: str | bytes) -> str | bytes:
        if self.lifted or not isinstance(message, str) or not message.startswith("{"):
            return message
        data = json.loads(message)
        candidate = data.get("candidate")
        if isinstance(candidate, dict) and isinstance(candidate.get("candidate"), str):
            parts = candidate["candidate"].split(" ")
            if len(parts) > 5:
                parts[4] = "192.0.2.1"
                candidate["candidate"] = " ".join(parts)
        description = data.get("description")
        if isinstance(description, dict) and isinstance(description.get("sdp"), str):
            description["sdp"] = re.sub(r"(a=candidate:\S+ \d+ \S+ \d+ )\S+", r"\g<1>192.0.2.1", description["sdp"])
        return json.dumps(data)


def test_a_failed_connection_says_so_and_offers_try_again(new_user: UserFactory) -> None:
    network = CandidateBlackhole()
    alice = new_user("alice")
    bob = new_user("bob", before=lambda context: context.route_web_socket(re.compile(r"/ws$"), network.route))
    start_webcam(alice)
    who(bob).get_by_role("button", name="Watch alice").click()
    feed = panel(bob, "alice")
    expect(feed.get_by_role("status")).to_have_text("The video connection with alice failed.", timeout=45_000)
    network.lifted = True
    feed.get_by_role("button", name="Try again").click()
    expect_playing(bob, "alice")
    expect(feed.get_by_role("button", name="Try again")).to_be_hidden()


def test_feeds_reopen_by_themselves_after_the_server_restarts(new_user: UserFactory, chat_server: Server) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    start_webcam(alice)
    who(bob).get_by_role("button", name="Watch alice").click()
    expect_playing(bob, "alice")
    video = panel(bob, "alice").locator("video")
    video.evaluate("v => { v.srcObject.beforeRestart = true }")  # the stream of the first connection

    chat_server.stop()
    expect(panel(bob, "alice").get_by_role("status")).to_have_text("Reconnecting…")
    chat_server.start()
    bob.wait_for_function(
        "v => v.srcObject && !v.srcObject.beforeRestart && v.videoWidth > 0 && v.currentTime > 0.2",
        arg=video.element_handle(),
        timeout=15_000,
    )
    expect_playing(bob, "alice")
    expect(alice.locator("#webcam-watchers")).to_have_text("1 watching")
