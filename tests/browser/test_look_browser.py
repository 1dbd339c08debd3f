"""A livelier look within Bulma (issue 23): cards or compact messages, five text sizes, initials
avatars in a colour of one's own, my own messages told apart, hover and focus; both themes pass
axe-core. Screenshots of each screen go to test-artifacts/screenshots/ (look-*.png)."""

from __future__ import annotations

from typing import Literal

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from app.chat.avatars import avatar_colour
from tests.browser.conftest import UserFactory, say
from tests.browser.test_layout_browser import (
    DESKTOP,
    PHONE,
    assert_fits_the_screen,
    screenshot,
    serious_axe_violations,
    settle,
)

SIZES = [("desktop", DESKTOP), ("phone", PHONE)]


def rgb(colour: str) -> str:
    """`#rrggbb` as getComputedStyle writes it."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def style(locator: Locator, prop: str) -> str:
    value: str = locator.evaluate("(el, prop) => getComputedStyle(el).getPropertyValue(prop)", prop)
    return value


def box(locator: Locator) -> FloatRect:
    bounds = locator.bounding_box()
    assert bounds is not None
    return bounds


def open_settings(page: Page) -> Locator:
    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    return dialog


def close_settings(page: Page) -> None:
    page.get_by_role("dialog", name="Settings").get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_hidden()


def chat_between(alice: Page, bob: Page) -> tuple[Locator, Locator]:
    """bob writes twice, alice once; alice's view of bob's first message and of her own."""
    say(bob, "Hello alice! How is the **new look**?")
    say(bob, "I like the colours.")
    say(alice, "Much livelier, thanks bob.")
    lobby = alice.get_by_role("log", name="Lobby")
    expect(lobby).to_contain_text("Much livelier")
    return lobby.locator(".msg.is-chat", has_text="new look"), lobby.locator(".msg.is-chat", has_text="Much livelier")


def who_row(page: Page, name: str) -> Locator:
    people = page.get_by_role("region", name="Who's online")
    return people.get_by_role("listitem").filter(has=page.get_by_role("button", name=name, exact=True))


def open_card(page: Page, name: str) -> Locator:
    people = page.get_by_role("region", name="Who's online")
    if not people.is_visible():  # a drawer on a phone
        page.get_by_role("button", name="People").click()
        expect(people).to_be_in_viewport(ratio=1)
    people.get_by_role("button", name=name, exact=True).click()
    card = page.get_by_role("dialog", name=name, exact=True)
    expect(card).to_be_visible()
    return card


@pytest.mark.parametrize(("size", "viewport"), SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_cards_and_compact_messages(
    new_user: UserFactory, size: str, viewport: tuple[int, int], scheme: Literal["light", "dark"]
) -> None:
    alice = new_user("alice", viewport=viewport)
    alice.emulate_media(color_scheme=scheme)
    bob = new_user("bob")
    theirs, mine = chat_between(alice, bob)

    # Cards, at first: a rounded card with the writer's initials beside the name, and the name above the text.
    expect(alice.locator("html")).to_have_attribute("data-message-style", "cards")
    assert float(style(theirs, "border-top-left-radius").removesuffix("px")) >= 8
    assert style(theirs, "background-color") != "rgba(0, 0, 0, 0)"
    expect(theirs.locator(".avatar")).to_be_visible()
    expect(theirs.locator(".avatar")).to_have_text("B")
    assert box(theirs.locator("header"))["y"] + 8 < box(theirs.locator(".body"))["y"]
    # My own messages stand apart from everyone else's.
    assert style(mine, "background-color") != style(theirs, "background-color")
    assert style(mine, "border-left-color") != style(theirs, "border-left-color")
    # A card lifts when pointed at.
    resting = style(theirs, "box-shadow")
    theirs.hover()
    settle(alice)
    assert style(theirs, "box-shadow") != resting
    assert_fits_the_screen(alice)
    screenshot(alice, f"look-{size}-{scheme}-cards")

    dialog = open_settings(alice)
    expect(dialog.get_by_role("radio", name="Cards")).to_be_checked()
    dialog.get_by_role("radio", name="Compact").check()
    close_settings(alice)
    # Compact: one line per message, time then name then text, no pictures, my own still marked.
    expect(alice.locator("html")).to_have_attribute("data-message-style", "compact")
    expect(theirs.locator(".avatar")).to_be_hidden()
    head, body = box(theirs.locator("header")), box(theirs.locator(".body"))
    assert abs(head["y"] - body["y"]) < 4 and head["x"] + head["width"] <= body["x"]
    assert box(theirs.locator("time"))["x"] < box(theirs.locator(".sender"))["x"]
    assert float(style(theirs, "border-top-left-radius").removesuffix("px")) < 8
    follow_up = alice.get_by_role("log", name="Lobby").locator(".msg.is-chat", has_text="I like the colours")
    expect(follow_up.locator(".sender")).to_be_visible()  # every line says who wrote it
    assert style(mine, "background-color") != style(theirs, "background-color")
    assert_fits_the_screen(alice)
    screenshot(alice, f"look-{size}-{scheme}-compact")

    alice.reload()
    alice.locator("#chat[data-connected='true']").wait_for()
    expect(alice.locator("html")).to_have_attribute("data-message-style", "compact")
    expect(open_settings(alice).get_by_role("radio", name="Compact")).to_be_checked()


@pytest.mark.parametrize(("size", "viewport"), SIZES)
def test_text_size_in_five_steps(new_user: UserFactory, size: str, viewport: tuple[int, int]) -> None:
    alice = new_user("alice", viewport=viewport)
    bob = new_user("bob")
    theirs, _ = chat_between(alice, bob)
    text = theirs.locator(".body p")
    message_box = alice.get_by_label("Message", exact=True)
    message_box.fill("two lines\nof a draft")
    dialog = open_settings(alice)
    text_size = dialog.get_by_role("combobox", name="Text size")
    expect(text_size.locator("option:checked")).to_have_text("Medium")
    labels = text_size.locator("option").all_inner_texts()
    assert labels == ["Smallest", "Small", "Medium", "Large", "Largest"]
    sizes = []
    for label in labels:
        text_size.select_option(label=label)
        sizes.append(float(style(text, "font-size").removesuffix("px")))
        assert style(message_box, "font-size") == style(text, "font-size")
        # the draft is not clipped: the box grew (or shrank) with its text
        assert message_box.evaluate("box => box.scrollHeight <= box.clientHeight + 1"), label
    assert sizes == sorted(sizes) and len(set(sizes)) == 5, sizes
    assert sizes[2] == 16  # Medium is the page's own size
    close_settings(alice)
    assert_fits_the_screen(alice)
    screenshot(alice, f"look-{size}-light-largest-text")

    alice.reload()
    alice.locator("#chat[data-connected='true']").wait_for()
    expect(alice.locator("html")).to_have_attribute("data-text-size", "xl")
    assert float(style(alice.get_by_label("Message", exact=True), "font-size").removesuffix("px")) == sizes[-1]


def lightness(colour: str) -> float:
    """Roughly how light `rgb(r, g, b)` is, 0 to 255."""
    red, green, blue = (float(part) for part in colour.removeprefix("rgb(").split(")")[0].split(",")[:3])
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_the_theme_chosen_in_settings_colours_the_cards_whatever_the_device_says(new_user: UserFactory) -> None:
    alice = new_user("alice")
    bob = new_user("bob")
    theirs, mine = chat_between(alice, bob)
    choices: tuple[tuple[Literal["light", "dark"], str], ...] = (("light", "Dark"), ("dark", "Light"))
    for device, chosen in choices:
        alice.emulate_media(color_scheme=device)
        dialog = open_settings(alice)
        dialog.get_by_role("radio", name=chosen).check()
        close_settings(alice)
        settle(alice)
        for message in (theirs, mine):
            shade = lightness(style(message, "background-color"))
            assert shade < 80 if chosen == "Dark" else shade > 200, (chosen, shade)


def test_initials_avatars_keep_their_colour_everywhere(new_user: UserFactory) -> None:
    alice = new_user("alice")
    carol = new_user("carol")
    say(alice, "hi carol")
    expect(carol.get_by_role("log", name="Lobby")).to_contain_text("hi carol")
    colour = rgb(avatar_colour("alice"))
    assert avatar_colour("alice") != avatar_colour("carol")  # (alice and bob share one)
    row = who_row(carol, "alice")
    on_message = carol.get_by_role("log", name="Lobby").locator(".msg.is-chat", has_text="hi carol").locator(".avatar")
    own_row = who_row(alice, "alice")
    for avatar in (row.locator(".avatar"), on_message, own_row.locator(".avatar")):
        expect(avatar).to_be_visible()
        expect(avatar).to_have_text("A")
        assert style(avatar, "background-color") == colour
        assert style(avatar, "color") == "rgb(255, 255, 255)"
    assert style(who_row(carol, "carol").locator(".avatar"), "background-color") == rgb(avatar_colour("carol"))
    card = open_card(carol, "alice")
    expect(card.locator(".profile-avatar")).to_have_text("A")
    assert style(card.locator(".profile-avatar"), "background-color") == colour


@pytest.mark.parametrize(("size", "viewport"), SIZES)
def test_no_serious_accessibility_violations_on_each_screen_in_either_theme(
    new_user: UserFactory, size: str, viewport: tuple[int, int]
) -> None:
    alice = new_user("alice", viewport=viewport)
    bob = new_user("bob")
    chat_between(alice, bob)
    say(bob, "@alice are you there?")
    expect(alice.get_by_role("log", name="Lobby")).to_contain_text("are you there?")
    for scheme in ("light", "dark"):
        alice.emulate_media(color_scheme=scheme)
        for message_style in ("Cards", "Compact"):
            dialog = open_settings(alice)
            dialog.get_by_role("radio", name=message_style).check()
            close_settings(alice)
            assert serious_axe_violations(alice) == [], (scheme, message_style, "chat")
            screenshot(alice, f"look-{size}-{scheme}-chat-{message_style.lower()}")
        open_settings(alice)
        assert serious_axe_violations(alice) == [], (scheme, "settings")
        screenshot(alice, f"look-{size}-{scheme}-settings")
        close_settings(alice)
        card = open_card(alice, "bob")
        assert serious_axe_violations(alice) == [], (scheme, "profile card")
        screenshot(alice, f"look-{size}-{scheme}-profile-card")
        card.get_by_role("button", name="Close").click()
        expect(card).to_be_hidden()
