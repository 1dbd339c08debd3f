"""The chat at phone and desktop sizes: layout, drawers, keyboard, screenshots, accessibility.

Screenshots of both sizes in light and dark theme are written to test-artifacts/screenshots/
so a person can look at them after a test run.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, UserFactory, start_dm
from tests.browser.test_webcam_browser import expect_playing, panel, start_webcam
from tests.support import ROOT

PHONE = (390, 844)
DESKTOP = (1280, 800)
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # a test tool: installed by npm ci, never served


def page_size(page: Page) -> dict[str, int]:
    size: dict[str, int] = page.evaluate("""() => ({
        scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
        scrollHeight: document.documentElement.scrollHeight, clientHeight: document.documentElement.clientHeight,
        innerWidth: window.innerWidth, innerHeight: window.innerHeight})""")
    return size


def assert_fits_the_screen(page: Page) -> None:
    """Nothing overflows sideways, the page itself does not scroll, the message box is on screen."""
    settle(page)  # a drawer sliding in or out is partly off screen on purpose
    size = page_size(page)
    assert size["scrollWidth"] == size["clientWidth"] == size["innerWidth"], size
    # The page clips its overflow, so also look for anything visible that sticks out sideways.
    sticking_out = page.evaluate("""() => [...document.querySelectorAll("body *")]
        .filter(el => el.checkVisibility({visibilityProperty: true, opacityProperty: true}))
        .filter(el => { const r = el.getBoundingClientRect();
                        return r.width > 0 && (r.left < -0.5 || r.right > window.innerWidth + 0.5); })
        .map(el => el.outerHTML.slice(0, 120))""")
    assert sticking_out == [], sticking_out
    assert size["scrollHeight"] == size["clientHeight"] == size["innerHeight"], size
    box = page.get_by_label("Message", exact=True)
    expect(box).to_be_in_viewport(ratio=1)
    bounds = box.bounding_box()
    assert bounds is not None and bounds["y"] + bounds["height"] <= size["innerHeight"]


def a_little_conversation(alice: Page, bob: Page) -> None:
    for page, text in (
        (alice, "Hi everyone! Is the **camera** working for you?"),
        (bob, "Hello alice, yes it is. Nice to see you here."),
        (alice, "Great. I will be around all evening: _come and say hi_."),
    ):
        page.get_by_label("Message", exact=True).fill(text)
        page.get_by_label("Message", exact=True).press("Enter")
    expect(alice.get_by_role("log", name="Lobby")).to_contain_text("come and say hi")
    if bob.viewport_size and bob.viewport_size["width"] < 1024:
        bob.get_by_role("button", name="People").click()
    start_dm(bob, "alice")
    expect(bob.get_by_role("log", name="Conversation with alice")).to_be_visible()
    bob.get_by_label("Message", exact=True).fill("psst, are you coming to the meetup?")
    bob.get_by_label("Message", exact=True).press("Enter")
    expect(alice.locator(".dm-tab .unread")).to_have_text("1")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")


def background_of(page: Page) -> str:
    colour: str = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    return colour


def settle(page: Page) -> None:
    """Wait for CSS transitions (a theme change fades colours) to finish."""
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")


def serious_axe_violations(page: Page) -> list[dict[str, Any]]:
    settle(page)
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary)}));
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_desktop_shows_three_columns_on_one_screen(new_user: UserFactory) -> None:
    alice = new_user("alice", viewport=DESKTOP)
    expect(alice.get_by_role("navigation", name="Channels")).to_be_in_viewport()
    expect(alice.get_by_role("region", name="Who's online")).to_be_in_viewport()
    expect(alice.get_by_role("log", name="Lobby")).to_be_in_viewport()
    expect(alice.get_by_role("button", name="Channels")).to_be_hidden()
    expect(alice.get_by_role("button", name="People")).to_be_hidden()
    channels = alice.get_by_role("navigation", name="Channels").bounding_box()
    log = alice.get_by_role("log", name="Lobby").bounding_box()
    people = alice.get_by_role("region", name="Who's online").bounding_box()
    assert channels and log and people
    assert channels["x"] + channels["width"] <= log["x"] < log["x"] + log["width"] <= people["x"]
    assert_fits_the_screen(alice)


def test_phone_drawers_open_and_close(new_user: UserFactory) -> None:
    alice = new_user("alice", viewport=PHONE)
    new_user("bob", viewport=PHONE)
    assert_fits_the_screen(alice)
    channels_button = alice.get_by_role("button", name="Channels")
    people_button = alice.get_by_role("button", name="People")
    channels = alice.get_by_role("navigation", name="Channels")
    people = alice.get_by_role("region", name="Who's online")
    expect(channels).to_be_hidden()
    expect(people).to_be_hidden()

    channels_button.click()
    expect(channels).to_be_in_viewport(ratio=1)
    expect(channels_button).to_have_attribute("aria-expanded", "true")
    expect(alice.get_by_role("button", name="Lobby")).to_be_focused()
    assert_fits_the_screen(alice)
    alice.keyboard.press("Escape")
    expect(channels).to_be_hidden()
    expect(channels_button).to_be_focused()
    expect(channels_button).to_have_attribute("aria-expanded", "false")

    people_button.click()
    expect(people).to_be_in_viewport(ratio=1)
    expect(people.get_by_role("button", name="bob")).to_be_visible()
    assert_fits_the_screen(alice)
    people_button.click()
    expect(people).to_be_hidden()

    # Choosing a channel in the drawer shows it and closes the drawer.
    channels_button.click()
    alice.get_by_role("button", name="Off Topic").click()
    expect(channels).to_be_hidden()
    expect(alice.get_by_role("log", name="Off Topic")).to_be_visible()
    assert_fits_the_screen(alice)


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_in_light_and_dark(new_user: UserFactory, size: str, viewport: tuple[int, int]) -> None:
    alice = new_user("alice", viewport=viewport)
    bob = new_user("bob", viewport=viewport)
    a_little_conversation(alice, bob)
    backgrounds = {}
    for scheme in ("light", "dark"):
        # The theme follows the device by default.
        alice.emulate_media(color_scheme=scheme)
        backgrounds[scheme] = background_of(alice)
        assert_fits_the_screen(alice)
        screenshot(alice, f"{size}-{scheme}")
    assert backgrounds["light"] != backgrounds["dark"]
    if size == "phone":
        alice.get_by_role("button", name="People").click()
        expect(alice.get_by_role("region", name="Who's online")).to_be_in_viewport(ratio=1)
        screenshot(alice, "phone-dark-people-drawer")
        alice.keyboard.press("Escape")
        expect(alice.get_by_role("region", name="Who's online")).to_be_hidden()
    alice.get_by_role("button", name="Settings").click()
    expect(alice.get_by_role("dialog", name="Settings")).to_be_visible()
    assert_fits_the_screen(alice)
    screenshot(alice, f"{size}-dark-settings")
    for scheme in ("light", "dark"):
        assert (SCREENSHOTS / f"{size}-{scheme}.png").stat().st_size > 10_000


def test_no_serious_accessibility_violations(new_user: UserFactory) -> None:
    alice = new_user("alice", viewport=DESKTOP)
    bob = new_user("bob", viewport=DESKTOP)
    a_little_conversation(alice, bob)
    alice.get_by_role("button", name="Off Topic").click()
    bob.get_by_label("Message", exact=True).fill("one more")
    bob.get_by_label("Message", exact=True).press("Enter")
    expect(alice.locator(".dm-tab .unread")).to_have_text("2")
    for scheme in ("light", "dark"):
        alice.emulate_media(color_scheme=scheme)
        assert serious_axe_violations(alice) == [], scheme
    alice.get_by_role("button", name="Settings").click()
    expect(alice.get_by_role("dialog", name="Settings")).to_be_visible()
    assert serious_axe_violations(alice) == [], "with the Settings dialog open"
    alice.keyboard.press("Escape")
    alice.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    alice.get_by_role("button", name="People").click()
    expect(alice.get_by_role("region", name="Who's online")).to_be_in_viewport(ratio=1)
    assert serious_axe_violations(alice) == [], "phone, with the people drawer open"


def test_everything_is_reachable_with_tab_and_focus_is_visible(new_user: UserFactory) -> None:
    alice = new_user("alice", viewport=DESKTOP)
    new_user("bob", viewport=DESKTOP)
    expect(alice.get_by_role("region", name="Who's online").get_by_role("button", name="bob")).to_be_visible()
    alice.locator("body").focus()
    reached: list[str] = []
    for _ in range(40):
        alice.keyboard.press("Tab")
        focused = alice.evaluate("""() => {
            const el = document.activeElement;
            if (el === document.body) return null;  // past the last control, before wrapping round
            const style = getComputedStyle(el);
            return {name: el.getAttribute("aria-label") || el.textContent.trim(), outline: style.outlineStyle,
                    shadow: style.boxShadow};
        }""")
        if focused is None:
            continue
        assert focused["outline"] != "none" or focused["shadow"] != "none", focused
        reached.append(focused["name"])
    for name in ("Settings", "Sign out", "Lobby", "Off Topic", "Message", "Send", "bob"):
        assert any(name in seen for seen in reached), (name, reached)


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_webcam_panels_sit_above_the_messages_and_can_be_minimised(
    new_user: UserFactory, size: str, viewport: tuple[int, int]
) -> None:
    alice = new_user("alice", viewport=viewport)
    carol = new_user("carol", viewport=viewport)
    bob = new_user("bob", viewport=viewport)
    for broadcaster in (alice, carol):
        start_webcam(broadcaster)
    for name in ("alice", "carol"):
        if size == "phone":
            bob.get_by_role("button", name="People").click()
        bob.get_by_role("region", name="Who's online").get_by_role("button", name=f"Watch {name}").click()
        expect_playing(bob, name)
    assert_fits_the_screen(bob)
    log = bob.get_by_role("log", name="Lobby")
    feed = panel(bob, "alice")
    feed_box, log_box = feed.bounding_box(), log.bounding_box()
    assert feed_box and log_box and feed_box["y"] + feed_box["height"] <= log_box["y"]
    screenshot(bob, f"{size}-light-webcams")
    assert serious_axe_violations(bob) == [], "with two webcams open"

    # Minimised, a feed folds to its caption; the others play on, and folding them all gives the
    # messages the room back.
    feed.get_by_role("button", name="Minimise alice's camera").click()
    expect(feed.locator("video")).to_be_hidden()
    expect(feed.get_by_role("button", name="Restore alice's camera")).to_be_visible()
    expect(feed.get_by_role("button", name="Close alice's camera")).to_be_visible()
    expect_playing(bob, "carol")
    panel(bob, "carol").get_by_role("button", name="Minimise carol's camera").click()
    expect(panel(bob, "carol").locator("video")).to_be_hidden()
    assert_fits_the_screen(bob)
    folded = log.bounding_box()
    assert folded and folded["height"] > log_box["height"] + 50
    screenshot(bob, f"{size}-light-webcams-minimised")

    feed.get_by_role("button", name="Restore alice's camera").click()
    expect_playing(bob, "alice")
    expect(feed.get_by_role("button", name="Minimise alice's camera")).to_be_focused()
    assert_fits_the_screen(bob)
