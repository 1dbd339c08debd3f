"""Sounds as in the original BareRTC (issue 23): a choice of sounds for each event, a volume,
"Mute all sounds", a play button for each, all kept in this browser.

What the tests hear is what Web Audio is really asked to play: an init script wraps the
oscillators' `start` (each note's waveform and frequency) and `connect` (the loudness of what
goes to the speakers), so a sound is known by its notes and its volume by its gain.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.conftest import UserFactory, say, start_dm
from tests.browser.test_layout_browser import DESKTOP, PHONE
from tests.browser.test_webcam_browser import expect_playing, start_webcam, who

EVENTS = {
    "dm": "Someone sends me a DM",
    "channel": "New post in a channel I am not viewing",
    "join": "Someone joins the room",
    "leave": "Someone leaves the room",
    "watch": "Someone starts watching my camera",
    "mentioned": "Someone mentions me",
}

# Every note started and every node connected to the speakers, in order: a sound is one
# connection to the destination followed by its notes.
HEAR = """
window.audioHeard = [];
(() => {
    const start = AudioScheduledSourceNode.prototype.start;
    AudioScheduledSourceNode.prototype.start = function (...args) {
        if (this instanceof OscillatorNode) {
            window.audioHeard.push({note: [this.type, Math.round(this.frequency.value)]});
        }
        return start.apply(this, args);
    };
    const connect = AudioNode.prototype.connect;
    AudioNode.prototype.connect = function (target, ...rest) {
        if (target instanceof AudioDestinationNode) window.audioHeard.push({out: this.gain ? this.gain.value : 1});
        return connect.call(this, target, ...rest);
    };
})();
"""

Sound = tuple[float, tuple[tuple[str, int], ...]]  # (gain, notes)


def listening(context: BrowserContext) -> None:
    context.add_init_script(HEAR)


def heard(page: Page) -> list[Sound]:
    sounds: list[tuple[float, list[tuple[str, int]]]] = []
    for entry in page.evaluate("window.audioHeard"):
        if "out" in entry:
            sounds.append((float(entry["out"]), []))
        elif sounds:
            sounds[-1][1].append((entry["note"][0], entry["note"][1]))
    return [(gain, tuple(notes)) for gain, notes in sounds]


def forget(page: Page) -> None:
    page.evaluate("window.audioHeard = []")


def wait_to_hear(page: Page, count: int = 1) -> list[Sound]:
    page.wait_for_function("n => window.audioHeard.filter(e => 'out' in e).length >= n", arg=count)
    return heard(page)


def settings(page: Page) -> Locator:
    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog).to_be_visible()
    return dialog


def choice(dialog: Locator, event: str) -> Locator:
    return dialog.get_by_role("combobox", name=EVENTS[event], exact=True)


def play_button(dialog: Locator, event: str) -> Locator:
    return dialog.get_by_role("button", name=f"Play: {EVENTS[event]}", exact=True)


def preview(page: Page, dialog: Locator, event: str) -> Sound:
    """Press the event's play button; the sound it played."""
    forget(page)
    play_button(dialog, event).click()
    return wait_to_hear(page)[-1]


def test_each_event_offers_several_sounds_each_its_own(new_user: UserFactory) -> None:
    alice = new_user("alice", viewport=DESKTOP, before=listening)
    dialog = settings(alice)
    for event in EVENTS:
        expect(choice(dialog, event)).to_be_visible()
        expect(play_button(dialog, event)).to_be_visible()
    options = choice(dialog, "dm").locator("option")
    names = options.all_inner_texts()
    assert names[0] == "No sound" and len(names) >= 9, names
    for event in EVENTS:
        assert choice(dialog, event).locator("option").all_inner_texts() == names

    # Every sound plays notes of its own.
    signatures: dict[str, tuple[tuple[str, int], ...]] = {}
    for name in names[1:]:
        choice(dialog, "dm").select_option(label=name)
        gain, notes = preview(alice, dialog, "dm")
        assert gain > 0 and notes, name
        signatures[name] = notes
    assert len(set(signatures.values())) == len(signatures), signatures

    # Nothing to play while the choice is "No sound".
    choice(dialog, "dm").select_option(label="No sound")
    expect(play_button(dialog, "dm")).to_be_disabled()
    choice(dialog, "dm").select_option(label="Ping")
    expect(play_button(dialog, "dm")).to_be_enabled()


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_sound_chosen_for_an_event_is_kept_and_played_for_it(
    new_user: UserFactory, size: str, viewport: tuple[int, int]
) -> None:
    alice = new_user("alice", viewport=viewport, before=listening)
    dialog = settings(alice)
    chosen = {"dm": "Bird", "join": "Knock", "leave": "Fall", "mentioned": "Sonar"}
    sound_of: dict[str, tuple[tuple[str, int], ...]] = {}
    for event, name in chosen.items():
        choice(dialog, event).select_option(label=name)
        sound_of[event] = preview(alice, dialog, event)[1]
    dialog.get_by_role("button", name="Close").click()

    alice.reload()
    alice.locator("#chat[data-connected='true']").wait_for()
    dialog = settings(alice)
    for event, name in chosen.items():
        expect(choice(dialog, event).locator("option:checked")).to_have_text(name)
    expect(choice(dialog, "channel").locator("option:checked")).to_have_text("No sound")
    dialog.get_by_role("button", name="Close").click()
    forget(alice)

    bob = new_user("bob", viewport=DESKTOP)
    assert wait_to_hear(alice)[-1][1] == sound_of["join"]
    start_dm(bob, "alice")
    expect(bob.get_by_role("log", name="Conversation with alice")).to_be_visible()
    say(bob, "a private word")
    expect(alice.locator(".dm-tab .unread")).to_have_text("1")
    assert wait_to_hear(alice, 2)[-1][1] == sound_of["dm"]
    bob.get_by_role("button", name="Lobby").click()
    say(bob, "@alice look at this")
    assert wait_to_hear(alice, 3)[-1][1] == sound_of["mentioned"]
    bob.context.close()
    assert wait_to_hear(alice, 4)[-1][1] == sound_of["leave"]


def test_volume_and_mute_all_sounds(new_user: UserFactory) -> None:
    alice = new_user("alice", viewport=DESKTOP, before=listening)
    dialog = settings(alice)
    choice(dialog, "join").select_option(label="Ping")
    volume = dialog.get_by_role("slider", name="Volume")
    volume.fill("100")
    loud = preview(alice, dialog, "join")
    volume.fill("20")
    soft = preview(alice, dialog, "join")
    assert soft[1] == loud[1] and 0 < soft[0] < loud[0]
    dialog.get_by_role("button", name="Close").click()

    # Kept: the next sound is as soft.
    alice.reload()
    alice.locator("#chat[data-connected='true']").wait_for()
    dialog = settings(alice)
    expect(dialog.get_by_role("slider", name="Volume")).to_have_value("20")
    dialog.get_by_role("button", name="Close").click()
    forget(alice)
    new_user("bob")
    assert wait_to_hear(alice) == [soft]

    # Mute all: nobody's arrival makes a sound; the play button still does, so one can choose.
    dialog = settings(alice)
    dialog.get_by_role("checkbox", name="Mute all sounds").check()
    assert preview(alice, dialog, "join") == soft
    dialog.get_by_role("button", name="Close").click()
    forget(alice)
    new_user("carol")
    expect(alice.get_by_role("log", name="Lobby").locator(".msg", has_text="carol has joined the room")).to_have_count(
        1
    )
    say(alice, "did anyone hear that?")  # the page has handled carol's arrival by now
    assert heard(alice) == []

    # Volume 0 is silence too, even for the play button.
    dialog = settings(alice)
    dialog.get_by_role("checkbox", name="Mute all sounds").uncheck()
    dialog.get_by_role("slider", name="Volume").fill("0")
    forget(alice)
    play_button(dialog, "join").click()
    choice(dialog, "join").select_option(label="Beep")  # a round trip through the page after the click
    expect(choice(dialog, "join").locator("option:checked")).to_have_text("Beep")
    assert heard(alice) == []


def test_someone_starting_to_watch_my_camera_plays_the_watch_sound(new_user: UserFactory) -> None:
    bob = new_user("bob", before=listening)
    dialog = settings(bob)
    expect(choice(dialog, "watch").locator("option:checked")).to_have_text("Quiet")  # on by default
    choice(dialog, "watch").select_option(label="Trill")
    trill = preview(bob, dialog, "watch")
    dialog.get_by_role("button", name="Close").click()
    start_webcam(bob)
    alice = new_user("alice")
    expect(bob.get_by_role("log", name="Lobby")).to_contain_text("alice has joined the room")
    forget(bob)
    who(alice).get_by_role("button", name="Watch bob").click()
    expect_playing(alice, "bob")
    expect(bob.locator("#webcam-watchers")).to_have_text("1 watching")
    assert wait_to_hear(bob) == [trill]


def test_sound_choices_made_before_there_were_several_sounds_are_kept(new_user: UserFactory) -> None:
    old = json.dumps({"sounds": {"dm": False, "join": True, "mentioned": True}})

    def old_choices(context: BrowserContext) -> None:
        stored = f"localStorage.setItem('barertc.prefs', {json.dumps(old)})"
        context.add_init_script(f"if (!localStorage.getItem('barertc.prefs')) {stored};")

    alice = new_user("alice", before=old_choices)
    dialog = settings(alice)
    checked: dict[str, Locator] = {event: choice(dialog, event).locator("option:checked") for event in EVENTS}
    expect(checked["dm"]).to_have_text("No sound")  # was off
    expect(checked["join"]).to_have_text("Rise")  # was on
    expect(checked["mentioned"]).to_have_text("Ping")
    expect(checked["leave"]).to_have_text("No sound")  # never chosen: the default
