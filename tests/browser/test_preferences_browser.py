"""Settings that stay, sounds, the "new messages" button, the tab title, the connection state."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import UserFactory, say, start_dm
from tests.support import Server

# Record the sounds the page plays: the kinds it announces, and the notes Web Audio really starts.
LISTEN_FOR_SOUNDS = """() => {
    window.soundsPlayed = [];
    window.notesStarted = 0;
    document.addEventListener("chat:sound", (event) => window.soundsPlayed.push(event.detail.kind));
    const start = AudioScheduledSourceNode.prototype.start;
    AudioScheduledSourceNode.prototype.start = function (...args) {
        window.notesStarted += 1;
        return start.apply(this, args);
    };
}"""

# Headless Chromium keeps every tab visible; this puts the page "in the background" as far as
# the page can tell (document.hidden and the visibilitychange event), or brings it back.
SET_HIDDEN = """(hidden) => {
    Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
    Object.defineProperty(document, "visibilityState", {configurable: true, get: () => hidden ? "hidden" : "visible"});
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def settings(page: Page) -> Any:
    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    return dialog


def sound_choice(dialog: Any, label: str) -> Any:
    """The sound chosen for an event, as its menu shows it."""
    return dialog.get_by_role("combobox", name=label, exact=True).locator("option:checked")


def test_preferences_survive_a_reload(new_user: UserFactory) -> None:
    alice = new_user("alice")
    dialog = settings(alice)
    # The defaults: follow the device's theme, presence lines shown, Enter sends, DM sound on.
    expect(dialog.get_by_role("radio", name="Same as my device")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Show when people join and leave")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Send with Enter")).to_be_checked()
    expect(sound_choice(dialog, "Someone sends me a DM")).to_have_text("Chime")
    expect(sound_choice(dialog, "Someone joins the room")).to_have_text("No sound")

    dialog.get_by_role("radio", name="Dark").check()
    dialog.get_by_role("checkbox", name="Show when people join and leave").uncheck()
    dialog.get_by_role("checkbox", name="Send with Enter").uncheck()
    dialog.get_by_role("combobox", name="Someone joins the room").select_option(label="Rise")
    expect(alice.locator("html")).to_have_attribute("data-theme", "dark")
    alice.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(alice.get_by_role("button", name="Settings")).to_be_focused()

    alice.reload()
    alice.locator("#chat[data-connected='true']").wait_for()
    expect(alice.locator("html")).to_have_attribute("data-theme", "dark")
    dialog = settings(alice)
    expect(dialog.get_by_role("radio", name="Dark")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Show when people join and leave")).not_to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Send with Enter")).not_to_be_checked()
    expect(sound_choice(dialog, "Someone joins the room")).to_have_text("Rise")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # Enter now starts a new line; Ctrl+Enter sends.
    box = alice.get_by_label("Message", exact=True)
    box.fill("first line")
    box.press("Enter")
    box.press_sequentially("second line")
    expect(box).to_have_value("first line\nsecond line")
    box.press("Control+Enter")
    expect(box).to_have_value("")
    lobby = alice.get_by_role("log", name="Lobby")
    expect(lobby.locator(".msg.is-chat").last).to_contain_text("second line")

    # Presence lines are still received, but not shown.
    new_user("bob")
    joined = lobby.locator(".msg", has_text="bob has joined the room")
    expect(joined).to_have_count(1)
    expect(joined).to_be_hidden()


def test_each_kind_of_event_plays_its_own_sound(new_user: UserFactory) -> None:
    alice = new_user("alice")
    alice.evaluate(LISTEN_FOR_SOUNDS)
    dialog = settings(alice)
    for label, sound in (
        ("Someone joins the room", "Rise"),
        ("Someone leaves the room", "Fall"),
        ("New post in a channel I am not viewing", "Beep"),
    ):
        dialog.get_by_role("combobox", name=label).select_option(label=sound)
    dialog.get_by_role("button", name="Play: Someone sends me a DM").click()
    alice.wait_for_function("window.soundsPlayed.includes('dm')")
    dialog.get_by_role("button", name="Close").click()
    alice.evaluate("window.soundsPlayed = []")

    bob = new_user("bob")
    alice.wait_for_function("window.soundsPlayed.includes('join')")
    bob.get_by_role("button", name="Off Topic").click()
    say(bob, "anyone in off topic?")
    alice.wait_for_function("window.soundsPlayed.includes('channel')")
    start_dm(bob, "alice")
    expect(bob.get_by_role("log", name="Conversation with alice")).to_be_visible()
    say(bob, "a private word")
    alice.wait_for_function("window.soundsPlayed.includes('dm')")
    bob.context.close()
    alice.wait_for_function("window.soundsPlayed.includes('leave')")
    assert alice.evaluate("window.notesStarted") >= 5  # every sound started Web Audio notes

    # A message in the channel alice is looking at makes no sound.
    alice.evaluate("window.soundsPlayed = []")
    carol = new_user("carol")
    alice.wait_for_function("window.soundsPlayed.includes('join')")
    say(carol, "hello lobby")
    expect(alice.get_by_role("log", name="Lobby")).to_contain_text("hello lobby")
    assert "channel" not in alice.evaluate("window.soundsPlayed")


def test_sounds_can_be_switched_off(new_user: UserFactory) -> None:
    alice = new_user("alice")
    alice.evaluate(LISTEN_FOR_SOUNDS)
    dialog = settings(alice)
    dialog.get_by_role("combobox", name="Someone sends me a DM").select_option(label="No sound")
    dialog.get_by_role("combobox", name="Someone joins the room").select_option(label="Rise")
    dialog.get_by_role("button", name="Close").click()
    bob = new_user("bob")
    alice.wait_for_function("window.soundsPlayed.includes('join')")
    start_dm(bob, "alice")
    say(bob, "you will not hear this")
    expect(alice.locator(".dm-tab .unread")).to_have_text("1")
    assert "dm" not in alice.evaluate("window.soundsPlayed")


def test_the_log_stays_at_the_newest_unless_scrolled_up(new_user: UserFactory) -> None:
    alice = new_user("alice", viewport=(1280, 600))
    bob = new_user("bob")
    lobby = alice.get_by_role("log", name="Lobby")
    long_text = "\n\n".join(f"paragraph {n} of a long story" for n in range(12))
    for n in range(3):
        say(bob, f"story {n}\n\n{long_text}")
    expect(lobby).to_contain_text("story 2")
    at_end = "(log) => log.scrollHeight - log.scrollTop - log.clientHeight <= 48"
    assert lobby.evaluate("(log) => log.scrollHeight > log.clientHeight * 2")
    expect(lobby.locator(".msg").last).to_be_in_viewport()
    assert lobby.evaluate(at_end)

    # Scrolled up to read: a new message does not move the log; a button says there is more.
    lobby.hover()
    alice.mouse.wheel(0, -2000)
    alice.wait_for_function("document.getElementById('log-lobby').dataset.stuck === 'false'")
    top = lobby.evaluate("(log) => log.scrollTop")
    say(bob, "are you still reading?")
    expect(lobby).to_contain_text("are you still reading?")
    more = alice.get_by_role("button", name="1 new message")
    expect(more).to_be_visible()
    assert lobby.evaluate("(log) => log.scrollTop") == top
    say(bob, "hello?")
    expect(alice.get_by_role("button", name="2 new messages")).to_be_visible()

    alice.get_by_role("button", name="2 new messages").click()
    expect(alice.get_by_role("button", name="new message")).to_be_hidden()
    expect(lobby.locator(".msg", has_text="hello?")).to_be_in_viewport()
    assert lobby.evaluate(at_end)

    # Back at the end, it follows new messages again.
    say(bob, "there you are")
    expect(lobby.locator(".msg", has_text="there you are")).to_be_in_viewport()
    expect(alice.get_by_role("button", name="new message")).to_be_hidden()


def test_unread_count_in_the_title_while_the_tab_is_hidden(new_user: UserFactory) -> None:
    alice = new_user("alice")
    bob = new_user("bob")
    title = alice.title()
    alice.evaluate(SET_HIDDEN, True)
    say(bob, "one")
    say(bob, "two")
    expect(alice).to_have_title(f"(2) {title}")
    expect(alice.get_by_role("log", name="Lobby")).to_contain_text("two")
    alice.evaluate(SET_HIDDEN, False)
    expect(alice).to_have_title(title)
    say(bob, "three")
    expect(alice.get_by_role("log", name="Lobby")).to_contain_text("three")
    expect(alice).to_have_title(title)


def test_connection_state_in_words_across_a_server_restart(new_user: UserFactory, chat_server: Server) -> None:
    alice = new_user("alice")
    state = alice.locator("#connection-state")
    expect(state).to_have_text("Connected")
    chat_server.stop()
    expect(state).to_have_text("Reconnecting…")
    chat_server.start()
    expect(state).to_have_text("Reconnected", timeout=30_000)
    say(alice, "back again")
    expect(alice.get_by_role("log", name="Lobby")).to_contain_text("back again")
