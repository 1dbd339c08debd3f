"""Always know where you are and what just happened (issue 23), on a phone and a desktop, in
the light and the dark theme: the conversation header and the message box's placeholder, the
focus, the character counter and the refusal of an over-long message, notices (three at most,
newest first, transient ones going by themselves), a DM partner who leaves and comes back, the
name given at sign-in, Sign out asking first, thumb-sized top-bar buttons, and a server restart
bringing back the conversation and the feeds."""

from __future__ import annotations

import re
from typing import Literal

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import UserFactory, say, start_dm
from tests.browser.test_webcam_browser import expect_playing, panel, start_webcam, who
from tests.support import Server

PHONE = (390, 844)
DESKTOP = (1280, 800)
LOOKS = [
    pytest.param(viewport, theme, id=f"{size}-{theme}")
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE))
    for theme in ("light", "dark")
]
# Each test runs on both screens and in both themes, in one of the two pairings (so the file
# covers all four looks without running every test four times: the suite's time is bounded).
CROSSED = [LOOKS[0], LOOKS[3]]  # desktop-light, phone-dark
SWAPPED = [LOOKS[1], LOOKS[2]]  # desktop-dark, phone-light
Theme = Literal["light", "dark"]
LIMIT = 2000  # Limits.MaxMessageLength's default


def person(new_user: UserFactory, name: str, viewport: tuple[int, int], theme: Theme, **options: object) -> Page:
    page = new_user(name, viewport=viewport, **options)
    page.emulate_media(color_scheme=theme)  # the theme follows the device by default
    return page


def is_phone(page: Page) -> bool:
    return bool(page.viewport_size and page.viewport_size["width"] < 1024)


def box(page: Page) -> Locator:
    return page.get_by_label("Message", exact=True)


def header(page: Page) -> Locator:
    """The conversation header on screen (the others are hidden)."""
    return page.locator("#conversation-heads .conversation-head:visible")


def choose_channel(page: Page, name: str) -> None:
    if is_phone(page):
        page.get_by_role("button", name="Channels").click()
    page.get_by_role("navigation", name="Channels").get_by_role("button", name=name).click()


def open_dm(page: Page, name: str) -> None:
    if is_phone(page):
        page.get_by_role("button", name="People").click()
    start_dm(page, name)


def thread_with(page: Page, name: str) -> Locator:
    """A DM thread's log, on screen or not."""
    return page.locator(f'.log[aria-label="Conversation with {name}"]')


def visible_notices(page: Page) -> Locator:
    return page.locator("#notices .notice:visible")


@pytest.mark.parametrize(("viewport", "theme"), CROSSED)
def test_the_header_and_the_message_box_say_where_i_am(
    new_user: UserFactory, viewport: tuple[int, int], theme: Theme
) -> None:
    alice = person(new_user, "alice", viewport, theme)
    # Signed in: the focus is in the message box, and both say where a message goes.
    expect(box(alice)).to_be_focused()
    expect(header(alice)).to_have_text("# Lobby")
    expect(header(alice).get_by_role("heading", name="Lobby")).to_be_in_viewport()
    expect(box(alice)).to_have_attribute("placeholder", "Message #Lobby")

    choose_channel(alice, "Off Topic")
    expect(header(alice)).to_have_text("# Off Topic")
    expect(box(alice)).to_have_attribute("placeholder", "Message #Off Topic")
    expect(box(alice)).to_be_focused()

    bob = person(new_user, "bob", viewport, theme)
    open_dm(alice, "bob")
    expect(alice.get_by_role("log", name="Conversation with bob")).to_be_visible()
    expect(header(alice).get_by_role("heading")).to_have_text("bob")
    expect(header(alice)).to_contain_text("Online")
    expect(box(alice)).to_have_attribute("placeholder", "Message bob")
    expect(box(alice)).to_be_focused()
    expect(header(alice)).to_be_in_viewport()

    # bob's status shows in the header of alice's conversation with him, as it changes.
    if is_phone(bob):
        bob.get_by_role("button", name="People").click()
    bob.get_by_label("My status").select_option("away")
    expect(header(alice)).to_contain_text("Away")

    choose_channel(alice, "Lobby")
    expect(header(alice)).to_have_text("# Lobby")
    expect(box(alice)).to_have_attribute("placeholder", "Message #Lobby")


@pytest.mark.parametrize(("viewport", "theme"), SWAPPED)
def test_a_partner_who_leaves_leaves_the_thread_readable_until_they_return(
    new_user: UserFactory, viewport: tuple[int, int], theme: Theme
) -> None:
    alice = person(new_user, "alice", viewport, theme)
    bob = person(new_user, "bob", viewport, theme)
    open_dm(alice, "bob")
    say(alice, "see you later?")
    thread = alice.get_by_role("log", name="Conversation with bob")
    expect(thread_with(bob, "alice")).to_contain_text("see you later?")

    context = bob.context
    bob.close()
    expect(thread).to_contain_text("bob has left the chat.")
    expect(thread).to_contain_text("see you later?")  # still readable
    expect(header(alice)).to_contain_text("bob has left the chat")
    expect(box(alice)).to_be_disabled()
    expect(alice.get_by_role("button", name="Send", exact=True)).to_be_disabled()

    # The same guest comes back (the same browser, its session): the conversation goes on.
    bob = context.new_page()
    bob.goto("/")
    bob.locator("#chat[data-connected='true']").wait_for()
    expect(thread).to_contain_text("bob is back.")
    expect(header(alice)).to_contain_text("Online")
    expect(box(alice)).to_be_enabled()
    say(alice, "welcome back")
    expect(thread_with(bob, "alice")).to_contain_text("welcome back")


@pytest.mark.parametrize(("viewport", "theme"), CROSSED)
def test_notices_three_at_most_newest_first_transient_ones_go_errors_stay(
    new_user: UserFactory, viewport: tuple[int, int], theme: Theme
) -> None:
    alice = person(new_user, "alice", viewport, theme)
    notices = alice.locator("#notices")
    expect(notices).to_have_attribute("aria-live", "polite")
    for number in range(1, 5):
        say(alice, f"/nosuch{number}")
        expect(visible_notices(alice).first).to_contain_text(f"Unknown command /nosuch{number}.")
    expect(visible_notices(alice)).to_have_count(3)
    expect(visible_notices(alice).nth(2)).to_contain_text("/nosuch2")
    expect(notices.get_by_role("alert")).to_have_count(0)  # announced politely
    expect(notices.get_by_role("status").first).to_contain_text("Error: Unknown command /nosuch4.")

    # Dismissed: the one waiting takes its place.
    visible_notices(alice).first.get_by_role("button", name="Dismiss").click()
    expect(visible_notices(alice)).to_have_count(3)
    expect(visible_notices(alice).first).to_contain_text("/nosuch3")
    expect(visible_notices(alice).nth(2)).to_contain_text("/nosuch1")

    # An answer that is only information goes by itself (unless pointed at: the pointer leaves
    # the notices first); the errors stay until dismissed.
    box(alice).click()
    say(alice, "/help")
    answer = notices.locator('.notice[data-level="info"]')
    expect(answer).to_be_visible()
    expect(visible_notices(alice).first).to_contain_text("You may use /help")
    expect(answer).to_have_count(0, timeout=20_000)
    expect(visible_notices(alice)).to_have_count(3)
    for _ in range(3):
        visible_notices(alice).first.get_by_role("button", name="Dismiss").click()
    expect(notices.locator(".notice")).to_have_count(0)


@pytest.mark.parametrize(("viewport", "theme"), SWAPPED)
def test_a_counter_near_the_limit_and_an_over_long_message_refused_with_the_limit(
    new_user: UserFactory, viewport: tuple[int, int], theme: Theme
) -> None:
    alice = person(new_user, "alice", viewport, theme)
    counter = alice.locator("#message-count")
    log = alice.get_by_role("log", name="Lobby")
    box(alice).fill("a" * 1500)
    expect(counter).to_be_hidden()
    box(alice).fill("a" * 1900)
    expect(counter).to_be_visible()
    expect(counter).to_have_text("1,900 / 2,000")
    box(alice).fill("a" * 2050)
    expect(counter).to_have_text("2,050 / 2,000: 50 too many")
    expect(box(alice)).to_have_attribute("aria-invalid", "true")
    box(alice).press("Enter")
    expect(box(alice)).to_have_value("a" * 2050)  # kept, not sent, and the browser says why
    assert "the limit is 2,000" in box(alice).evaluate("box => box.validationMessage")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(box(alice)).to_have_value("a" * 2050)
    box(alice).fill("a" * 2000)
    expect(counter).to_have_text("2,000 / 2,000")
    expect(box(alice)).to_have_attribute("aria-invalid", "false")
    box(alice).fill("short and sweet")
    expect(counter).to_be_hidden()
    box(alice).press("Enter")
    expect(log).to_contain_text("short and sweet")
    expect(log.locator(".msg.is-chat")).to_have_count(1)  # the long one never went

    # Past the page's check (an old page, a script), the server refuses it and names the limit.
    box(alice).fill("b" * 2050)
    box(alice).evaluate("box => box.setCustomValidity('')")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(visible_notices(alice).first).to_contain_text(
        f"Your message is 2050 characters long; the limit is {LIMIT}. It was not sent."
    )
    expect(log.locator(".msg.is-chat")).to_have_count(1)


@pytest.mark.parametrize(("viewport", "theme"), CROSSED)
def test_a_name_taken_at_sign_in_says_which_name_i_got_and_offers_another(
    new_user: UserFactory, viewport: tuple[int, int], theme: Theme
) -> None:
    first = person(new_user, "bob", viewport, theme)
    second = person(new_user, "bob", viewport, theme)
    notice = second.locator("#notices").get_by_role("status").filter(has_text="bob is taken; you are bob2.")
    expect(notice).to_be_visible()
    expect(second.locator("#chat")).to_have_attribute("data-me", "bob2")
    notice.get_by_role("button", name="Choose another name").click()
    name = second.get_by_label("Username")
    expect(name).to_be_focused()
    expect(name).to_have_value("bob2")
    expect(second.get_by_text("choose another name to enter with")).to_be_visible()
    name.fill("robert")
    second.get_by_role("button", name="Enter chat").click()
    second.locator("#chat[data-connected='true']").wait_for()
    expect(second.locator("#chat")).to_have_attribute("data-me", "robert")
    expect(second.locator("#notices .notice")).to_have_count(0)
    people = first.locator("#who-list")  # (in a closed drawer on a phone)
    expect(people.locator(".who-row[data-username='robert']")).to_be_attached()
    expect(people.locator(".who-row[data-username='bob2']")).to_have_count(0)


@pytest.mark.parametrize(("viewport", "theme"), SWAPPED)
def test_sign_out_asks_first(new_user: UserFactory, viewport: tuple[int, int], theme: Theme) -> None:
    alice = person(new_user, "alice", viewport, theme)
    sign_out = alice.locator(".topbar").get_by_role("button", name="Sign out")
    question = alice.get_by_role("dialog", name="Sign out?")
    sign_out.click()
    expect(question).to_be_visible()
    expect(question.get_by_role("button", name="Stay")).to_be_focused()
    alice.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(sign_out).to_be_focused()
    expect(alice.locator("#chat")).to_have_attribute("data-connected", "true")

    sign_out.click()
    question.get_by_role("button", name="Stay").click()
    expect(question).to_be_hidden()
    sign_out.click()
    question.get_by_role("button", name="Sign out").click()
    expect(alice.get_by_label("Username")).to_be_visible()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_phone_top_bar_buttons_are_thumb_sized_and_named_and_the_box_stays_on_screen(
    new_user: UserFactory, theme: Theme
) -> None:
    alice = person(new_user, "alice", PHONE, theme)
    bar = alice.locator(".topbar")
    for name in ("Channels", "Settings", "Sign out", "People"):
        button = bar.get_by_role("button", name=name)
        expect(button).to_be_visible()
        expect(button.get_by_text(name, exact=True)).to_be_visible()  # its name shows, not only its icon
        bounds = button.bounding_box()
        assert bounds is not None and bounds["width"] >= 44 and bounds["height"] >= 44, (name, bounds)
        expect(button).to_be_in_viewport(ratio=1)
    # The phone keyboard shrinks the page (interactive-widget=resizes-content), and the message
    # box stays above it with the header still on screen.
    viewport = alice.locator('meta[name="viewport"]').get_attribute("content") or ""
    assert "interactive-widget=resizes-content" in viewport
    box(alice).click()
    alice.set_viewport_size({"width": PHONE[0], "height": 420})
    expect(box(alice)).to_be_in_viewport(ratio=1)
    expect(header(alice)).to_be_in_viewport()
    bounds = box(alice).bounding_box()
    assert bounds is not None and bounds["y"] + bounds["height"] <= 420


@pytest.mark.parametrize(("viewport", "theme"), CROSSED)
def test_a_restart_brings_back_the_conversation_i_was_in_and_the_feeds(
    new_user: UserFactory, chat_server: Server, viewport: tuple[int, int], theme: Theme
) -> None:
    alice = person(new_user, "alice", viewport, theme)
    bob = person(new_user, "bob", viewport, theme)
    start_webcam(bob)
    if is_phone(alice):
        alice.get_by_role("button", name="People").click()
    who(alice).get_by_role("button", name="Watch bob").click()
    expect_playing(alice, "bob")
    open_dm(alice, "bob")
    say(alice, "before the restart")
    thread = alice.get_by_role("log", name="Conversation with bob")
    bob_thread = bob.get_by_role("log", name="Conversation with alice")
    expect(thread_with(bob, "alice")).to_be_attached()
    choose_channel(bob, "alice")
    expect(bob_thread).to_contain_text("before the restart")

    chat_server.stop()
    expect(alice.locator("#connection-state")).to_have_text("Reconnecting…")
    chat_server.start()
    expect(alice.locator("#connection-state")).to_have_text("Reconnected", timeout=30_000)
    # The conversation is still the one on screen, with what was said, and goes on there.
    expect(thread).to_be_visible()
    expect(thread).to_contain_text("before the restart")
    expect(header(alice).get_by_role("heading")).to_have_text("bob")
    expect(header(alice)).to_contain_text("Online", timeout=15_000)
    expect(box(alice)).to_be_enabled()
    expect(box(alice)).to_have_attribute("placeholder", re.compile(r"^Message bob"))
    expect(bob.locator("#connection-state")).to_have_text("Reconnected", timeout=30_000)
    expect(box(bob)).to_be_enabled()
    say(bob, "after the restart")
    expect(thread).to_contain_text("after the restart")
    expect(alice.get_by_role("log", name="Conversation with bob")).to_have_count(1)
    say(alice, "and from me")
    expect(bob_thread).to_contain_text("and from me")
    expect(bob.get_by_role("log", name="Conversation with alice")).to_have_count(1)
    # And the feed is back by itself.
    expect_playing(alice, "bob")
    expect(panel(alice, "bob")).to_have_count(1)
