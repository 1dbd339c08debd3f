"""Messages people can act on, in real Chromium with two or three people (issue 15): react
with the mouse and the keyboard, take back, hide, see typing, complete a mention (keys and
touch), pick an emoji, and a newcomer sees the channel's recent messages."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import UserFactory, say
from tests.browser.test_layout_browser import serious_axe_violations
from tests.support import Server


def message(page: Page, text: str) -> Locator:
    return page.get_by_role("log", name="Lobby").get_by_role("article").filter(has_text=text)


def test_react_by_mouse_and_keyboard_take_back_and_hide(new_user: UserFactory) -> None:
    alice = new_user("alice")
    bob = new_user("bob")
    say(alice, "lunch at noon?")
    on_bob = message(bob, "lunch at noon?")
    expect(on_bob).to_be_visible()

    # Bob reacts with the mouse: the React button opens the menu, a click on 👍 chooses it.
    on_bob.hover()
    on_bob.get_by_role("button", name="React").click()
    bob.get_by_role("menuitem", name="👍").click()
    expect(bob.get_by_role("menu", name="React with")).to_be_hidden()
    thumbs = message(alice, "lunch at noon?").get_by_role("button", name=re.compile("👍"))
    expect(thumbs).to_contain_text("1")
    expect(thumbs).to_have_attribute("aria-pressed", "false")  # not alice's reaction
    expect(on_bob.get_by_role("button", name=re.compile("👍"))).to_have_attribute("aria-pressed", "true")
    thumbs.hover()
    expect(thumbs.get_by_role("tooltip")).to_have_text("bob")
    assert serious_axe_violations(alice) == [], "with a reaction"

    # Alice reacts with the keyboard: focus React, Enter opens the menu, an arrow, Enter.
    mine = message(alice, "lunch at noon?")
    react = mine.get_by_role("button", name="React")
    react.focus()
    react.press("Enter")
    expect(alice.get_by_role("menuitem", name="👍")).to_be_focused()
    assert serious_axe_violations(alice) == [], "with the reaction menu open"
    alice.keyboard.press("ArrowRight")
    alice.keyboard.press("Enter")
    expect(react).to_be_focused()  # back where she was
    expect(on_bob.get_by_role("button", name=re.compile("❤"))).to_contain_text("1")
    thumbs.focus()
    alice.keyboard.press("Enter")  # her own 👍 next to bob's
    expect(on_bob.get_by_role("button", name=re.compile("👍"))).to_contain_text("2")

    # Take back: offered on her own message only; gone from both pages.
    expect(on_bob.get_by_role("button", name="Take back")).to_be_hidden()
    mine.hover()
    mine.get_by_role("button", name="Take back").click()
    expect(on_bob).to_have_count(0)
    expect(mine).to_have_count(0)

    # Hide: gone from bob's page only.
    say(alice, "something bob would rather not see")
    hidden = message(bob, "rather not see")
    hidden.hover()
    hidden.get_by_role("button", name="Hide").click()
    expect(hidden).to_have_count(0)
    expect(message(alice, "rather not see")).to_be_visible()


def test_typing_a_mention_by_keys_and_touch_and_an_emoji(
    new_user: UserFactory, browser: Browser, chat_server: Server
) -> None:
    alice = new_user("alice")
    bob = new_user("bob")
    bob.get_by_label("Message", exact=True).press_sequentially("hello the")
    expect(alice.locator("#typing-log-lobby")).to_have_text("bob is typing…")
    bob.get_by_label("Message", exact=True).press("Enter")
    expect(alice.locator("#typing-log-lobby")).to_have_text("")

    # Alice completes @bob with the keyboard; bob's page marks the mention of him.
    box = alice.get_by_label("Message", exact=True)
    box.press_sequentially("over to @b")
    options = alice.get_by_role("listbox", name="People to mention")
    expect(options.get_by_role("option", name="@bob")).to_be_visible()
    assert serious_axe_violations(alice) == [], "with names to complete"
    box.press("Enter")
    expect(box).to_have_value("over to @bob ")
    box.press_sequentially("now")
    box.press("Enter")
    mention = message(bob, "over to").locator(".mention")
    expect(mention).to_have_text("@bob")
    expect(mention).to_have_css("color", "rgb(17, 17, 17)")  # highlighted (dark on the accent): it is him
    expect(message(alice, "over to").locator(".mention")).not_to_have_css("color", "rgb(17, 17, 17)")

    # A mention in a channel bob is not looking at makes its badge urgent.
    alice.get_by_role("button", name="Off Topic").click()
    say(alice, "@bob come here")
    badge = bob.get_by_role("button", name="Off Topic").locator(".unread")
    expect(badge).to_have_class(re.compile("is-urgent"))

    # On a phone, carol taps the name to complete it.
    context = browser.new_context(base_url=chat_server.url, viewport={"width": 390, "height": 800}, has_touch=True)
    try:
        carol = context.new_page()
        carol.goto("/")
        carol.get_by_label("Username").fill("carol")
        carol.get_by_role("button", name="Enter chat").click()
        carol.locator("#chat[data-connected='true']").wait_for()
        carol.get_by_label("Message", exact=True).press_sequentially("@al")
        carol.get_by_role("option", name="@alice").tap()
        expect(carol.get_by_label("Message", exact=True)).to_have_value("@alice ")
    finally:
        context.close()

    # The emoji picker inserts at the cursor.
    alice.get_by_role("button", name="Lobby").click()
    box.fill("I am  today")
    box.evaluate("box => box.setSelectionRange(5, 5)")
    alice.get_by_role("button", name="Emoji").click()
    picker = alice.get_by_role("dialog", name="Emoji")
    picker.get_by_role("tab", name="Smileys and emoticons").click()
    assert serious_axe_violations(alice) == [], "with the emoji picker open"
    picker.get_by_role("menuitem", name=re.compile("grinning face")).first.click()
    expect(box).to_have_value("I am 😀 today")
    expect(picker).to_be_hidden()


def test_a_newcomer_sees_the_channels_recent_messages(new_user: UserFactory) -> None:
    alice = new_user("alice")
    for text in ("first of three", "second of three", "third of three"):
        say(alice, text)
    taken = message(alice, "second of three")
    taken.hover()
    taken.get_by_role("button", name="Take back").click()
    expect(taken).to_have_count(0)
    carol = new_user("carol")
    lobby = carol.get_by_role("log", name="Lobby")
    expect(lobby.get_by_role("article").filter(has_text="first of three")).to_be_visible()
    expect(lobby.get_by_role("article").filter(has_text="third of three")).to_be_visible()
    expect(lobby.get_by_role("article").filter(has_text="second of three")).to_have_count(0)
    expect(carol.get_by_role("button", name="Lobby").locator(".unread")).to_be_hidden()  # history is not unread
