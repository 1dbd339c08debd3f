"""Webcams in real Chromium with its fake camera: broadcast, watch several feeds, close them (issue 5).

Each person is a separate browser context; the video goes browser to browser over WebRTC on
loopback, and the server only relays the signalling. "Playing" means what a viewer would see:
the `<video>` has a picture (`videoWidth > 0`) and its time moves on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, UserFactory
from tests.support import Server, running_server

NSFW = re.compile(r"\bis-nsfw\b")


def panel(page: Page, name: str) -> Locator:
    return page.get_by_role("group", name=f"{name}'s camera")


def who(page: Page) -> Locator:
    return page.get_by_role("region", name="Who's online")


def expect_playing(page: Page, name: str) -> None:
    video = panel(page, name).locator("video")
    expect(video).to_be_visible()
    handle = video.element_handle()
    page.wait_for_function("v => v.videoWidth > 0 && v.currentTime > 0", arg=handle, timeout=20_000)
    then = float(video.evaluate("v => v.currentTime"))
    page.wait_for_function("([v, then]) => v.currentTime > then + 0.2", arg=[handle, then], timeout=20_000)


def start_webcam(page: Page) -> None:
    page.get_by_role("button", name="Start webcam").click()
    expect(page.get_by_role("button", name="Stop webcam")).to_be_visible()
    expect(page.get_by_role("group", name="Your camera").locator("video")).to_be_visible()


def test_two_viewers_watch_alice_and_her_feed_closes_for_both_when_she_stops(new_user: UserFactory) -> None:
    alice, bob, carol = new_user("alice"), new_user("bob"), new_user("carol")
    start_webcam(alice)

    for viewer in (bob, carol):
        who(viewer).get_by_role("button", name="Watch alice").click()
    for viewer in (bob, carol):
        expect_playing(viewer, "alice")
        expect(panel(viewer, "alice").get_by_role("button", name="Close alice's camera")).to_be_visible()
        expect(panel(viewer, "alice").get_by_role("button", name="Unmute alice")).to_be_attached()

    # alice sees who is watching her: an eye on their rows and a count.
    expect(alice.locator("#webcam-watchers")).to_have_text("2 watching")
    for name in ("bob", "carol"):
        row = who(alice).get_by_role("listitem").filter(has=alice.get_by_role("button", name=name, exact=True))
        expect(row.get_by_text("watching you")).to_be_attached()
        expect(row.get_by_role("button", name=f"Stop sending my camera to {name}")).to_be_visible()
    # Nobody else's page marks bob as watching them.
    expect(carol.locator("#who-list .watching-marker:not([hidden])")).to_have_count(0)

    alice.get_by_role("button", name="Stop webcam").click()
    for viewer in (bob, carol):
        expect(panel(viewer, "alice")).to_have_count(0)
        expect(who(viewer).get_by_role("button", name="Watch alice")).to_have_count(0)
    expect(alice.get_by_role("button", name="Start webcam")).to_be_visible()
    expect(alice.get_by_role("group", name="Your camera")).to_have_count(0)


def test_stop_sending_to_one_viewer_and_watching_each_other(new_user: UserFactory) -> None:
    alice, bob, carol = new_user("alice"), new_user("bob"), new_user("carol")
    start_webcam(alice)
    start_webcam(bob)
    who(bob).get_by_role("button", name="Watch alice").click()
    who(carol).get_by_role("button", name="Watch alice").click()
    who(alice).get_by_role("button", name="Watch bob").click()
    who(carol).get_by_role("button", name="Watch bob").click()
    expect_playing(bob, "alice")
    expect_playing(carol, "alice")
    expect_playing(alice, "bob")
    expect_playing(carol, "bob")
    expect(alice.locator("#webcam-watchers")).to_have_text("2 watching")
    expect(bob.locator("#webcam-watchers")).to_have_text("2 watching")
    # carol's two feeds sit side by side; on a phone they still fit the screen.
    first, second = panel(carol, "alice").bounding_box(), panel(carol, "bob").bounding_box()
    assert first and second and first["y"] == second["y"] and second["x"] >= first["x"] + first["width"]
    carol.set_viewport_size({"width": 360, "height": 740})
    for name in ("alice", "bob"):
        expect(panel(carol, name)).to_be_in_viewport()
        box = panel(carol, name).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
    carol.set_viewport_size({"width": 1280, "height": 800})

    # alice stops sending to carol only: carol's panel closes, bob still sees alice.
    who(alice).get_by_role("button", name="Stop sending my camera to carol").click()
    expect(panel(carol, "alice")).to_have_count(0)
    expect(carol.locator("#webcam-status")).to_contain_text("alice stopped sending their camera to you.")
    # carol's Watch button says so, rather than looking live.
    unavailable = who(carol).get_by_role("button", name="alice's camera is not available to you")
    expect(unavailable).to_be_visible()
    expect(alice.locator("#webcam-watchers")).to_have_text("1 watching")
    expect_playing(bob, "alice")
    expect_playing(carol, "bob")
    # Asking again does not bring it back while alice keeps broadcasting: alice's page hangs up.
    carol.locator("#webcam-status").evaluate("status => { status.textContent = '' }")
    unavailable.click()
    expect(carol.locator("#webcam-status")).to_contain_text("alice stopped sending their camera to you.")
    expect(panel(carol, "alice")).to_have_count(0)
    expect(unavailable).to_be_visible()

    # bob closes alice's panel: alice still sees bob, and nobody watches alice any more.
    panel(bob, "alice").get_by_role("button", name="Close alice's camera").click()
    expect(panel(bob, "alice")).to_have_count(0)
    expect(alice.locator("#webcam-watchers")).to_have_text("0 watching")
    expect_playing(alice, "bob")

    # bob leaves: alice's panel of bob closes.
    bob.context.close()
    expect(panel(alice, "bob")).to_have_count(0)


def test_a_feed_closes_when_the_broadcaster_reloads(new_user: UserFactory) -> None:
    alice, bob = new_user("alice"), new_user("bob")
    start_webcam(alice)
    who(bob).get_by_role("button", name="Watch alice").click()
    expect_playing(bob, "alice")
    alice.reload()
    expect(panel(bob, "alice")).to_have_count(0)
    expect(who(bob).get_by_role("button", name="Watch alice")).to_have_count(0)


@pytest.fixture
def nsfw_server(tmp_path: Path) -> Iterator[Server]:
    folder = tmp_path / "nsfw"
    folder.mkdir()
    with running_server(folder, PermitNSFW=True) as server:
        yield server


def webcam_settings(page: Page) -> Locator:
    """The broadcast settings, opened."""
    settings = page.locator("#webcam-settings")
    if settings.get_attribute("open") is None:
        page.get_by_text("Webcam settings", exact=True).click()
    return settings


def test_an_nsfw_camera_is_red_and_asks_before_it_opens_until_told_not_to(
    new_user: UserFactory, nsfw_server: Server
) -> None:
    alice, bob = new_user("alice", server=nsfw_server), new_user("bob", server=nsfw_server)
    webcam_settings(alice).get_by_role("checkbox", name="NSFW").check()
    start_webcam(alice)
    watch = who(bob).get_by_role("button", name="Watch alice")
    expect(watch).to_have_class(NSFW)
    expect(watch).to_have_css("background-color", "rgb(237, 18, 62)")

    watch.click()
    dialog = bob.get_by_role("dialog", name="This camera is marked NSFW")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(panel(bob, "alice")).to_have_count(0)

    watch.click()
    dialog.get_by_role("checkbox", name="Don't ask again").check()
    dialog.get_by_role("button", name="Open camera").click()
    expect_playing(bob, "alice")
    # Don't ask again: closed and opened again, after a reload too, the feed opens at once.
    panel(bob, "alice").get_by_role("button", name="Close alice's camera").click()
    bob.reload()
    bob.locator("#chat[data-connected='true']").wait_for()
    who(bob).get_by_role("button", name="Watch alice").click()
    expect_playing(bob, "alice")
    expect(dialog).to_be_hidden()
    # The Settings dialog turns the warning back on.
    bob.get_by_role("button", name="Settings").click()
    bob.get_by_role("checkbox", name="Ask before opening a camera marked NSFW").check()
    bob.get_by_role("button", name="Close", exact=True).click()

    # Unticking NSFW while live turns the icon back for everyone; the feed stays open.
    webcam_settings(alice).get_by_role("checkbox", name="NSFW").uncheck()
    expect(who(bob).get_by_role("button", name="Watch alice")).not_to_have_class(NSFW)
    expect_playing(bob, "alice")
    # alice's choice is remembered in her browser: unticked now.
    alice.reload()
    expect(webcam_settings(alice).get_by_role("checkbox", name="NSFW")).not_to_be_checked()


def test_without_permit_nsfw_the_option_is_not_offered(new_user: UserFactory) -> None:
    alice = new_user("alice")
    expect(alice.get_by_role("checkbox", name="NSFW")).to_have_count(0)
    expect(alice.get_by_role("checkbox", name="Microphone")).to_be_visible()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        # A camera exists but the person said no (no fake "allow" UI, no permission granted).
        (["--use-fake-device-for-media-stream"], "The camera was not allowed."),
        # No camera at all on this machine.
        (["--use-fake-ui-for-media-stream"], "No camera was found on this device."),
    ],
)
def test_a_refused_or_missing_camera_is_explained(
    playwright: Playwright, chat_server: Server, flags: list[str], message: str
) -> None:
    args = [arg for arg in CHROMIUM_ARGS if "media-stream" not in arg] + flags
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        page = browser.new_context(base_url=chat_server.url).new_page()
        page.goto("/")
        page.get_by_label("Username").fill("alice")
        page.get_by_role("button", name="Enter chat").click()
        page.locator("#chat[data-connected='true']").wait_for()  # the page's modules have run
        page.get_by_role("button", name="Start webcam").click()
        expect(page.get_by_role("alert")).to_contain_text(message)
        expect(page.get_by_role("button", name="Start webcam")).to_be_enabled()
        expect(page.get_by_role("group", name="Your camera")).to_have_count(0)
    finally:
        browser.close()
