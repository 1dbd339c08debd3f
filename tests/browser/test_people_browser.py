"""People in real Chromium (issue 17): the profile card by mouse and keyboard, mute and block from
it, a status, going Away by oneself, and a who list of 60 on a phone: search, sort, thumbs."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import UserFactory
from tests.browser.test_layout_browser import PHONE, assert_fits_the_screen, screenshot
from tests.support import ChatClient, Server, running_server
from tests.tokens import SECRET, token


def who(page: Page) -> Locator:
    return page.get_by_role("region", name="Who's online")


def row(page: Page, name: str) -> Locator:
    return page.locator(f'#who-list .who-row[data-username="{name}"]')


def test_a_card_by_mouse_and_keyboard_mute_block_status_and_away(new_user: UserFactory, tmp_path: Path) -> None:
    with running_server(tmp_path / "away", AwayAfterSeconds=2) as server:
        alice = new_user("alice", server=server)
        bob = new_user("bob", server=server)
        name = who(bob).get_by_role("button", name="alice", exact=True)

        # By mouse: the card is a dialog named after her; Escape closes it, focus comes back.
        name.click()
        card = bob.get_by_role("dialog", name="alice")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Here")
        expect(card.get_by_role("button", name="Send a message")).to_be_focused()
        bob.keyboard.press("Escape")
        expect(card).to_be_hidden()
        expect(name).to_be_focused()
        # By keyboard: Enter on her name.
        bob.keyboard.press("Enter")
        expect(card).to_be_visible()

        # Mute from the card: she is marked in bob's list, and her messages no longer reach him.
        card.get_by_role("button", name="Mute").click()
        expect(card.get_by_role("button", name="Unmute")).to_be_visible()
        expect(card.get_by_role("button", name="Unmute")).to_be_focused()  # the same place in the new card
        bob.keyboard.press("Escape")
        unmute = row(bob, "alice").get_by_role("button", name="Unmute alice")
        expect(unmute).to_be_visible()
        alice.get_by_label("Message", exact=True).fill("can you hear me?")
        alice.get_by_label("Message", exact=True).press("Enter")
        expect(alice.get_by_role("log", name="Lobby")).to_contain_text("can you hear me?")
        unmute.click()  # and from the who list, back again
        expect(unmute).to_have_count(0)
        alice.get_by_label("Message", exact=True).fill("and now?")
        alice.get_by_label("Message", exact=True).press("Enter")
        expect(bob.get_by_role("log", name="Lobby")).to_contain_text("and now?")
        expect(bob.get_by_role("log", name="Lobby")).not_to_contain_text("can you hear me?")

        # Block from the card: each disappears from the other's list; Settings lifts it.
        name.click()
        card.get_by_role("button", name="Block").click()
        expect(card).to_contain_text("You blocked alice")
        expect(row(bob, "alice")).to_have_count(0)
        expect(row(alice, "bob")).to_have_count(0)
        expect(alice.locator("#who-count")).to_have_text("1")
        bob.keyboard.press("Escape")
        bob.get_by_role("button", name="Settings").click()
        bob.get_by_role("dialog", name="Settings").get_by_role("button", name="Unblock alice").click()
        expect(row(bob, "alice")).to_have_count(1)
        expect(row(alice, "bob")).to_have_count(1)
        bob.keyboard.press("Escape")

        # A status, as an icon in everyone's list and in words on the card. Her row is replaced
        # in bob's list meanwhile, and his keyboard focus, on her name, stays on it.
        name.focus()
        who(alice).get_by_label("My status").select_option(label="Busy")
        expect(row(bob, "alice").get_by_role("img", name="Busy")).to_be_visible()
        expect(name).to_be_focused()
        bob.keyboard.press("Enter")
        expect(card.locator("dd").first).to_have_text("Busy")
        bob.keyboard.press("Escape")
        who(alice).get_by_label("My status").select_option(label="Online")
        expect(row(bob, "alice").get_by_role("img", name="Busy")).to_have_count(0)
        # Two seconds without input (AwayAfterSeconds): Away, until she moves the mouse.
        expect(row(bob, "alice").get_by_role("img", name="Away")).to_be_visible(timeout=10_000)
        alice.mouse.move(200, 200)
        alice.mouse.move(220, 240)
        expect(row(bob, "alice").get_by_role("img", name="Away")).to_have_count(0)


@contextmanager
def crowd(server: Server, count: int) -> Iterator[None]:
    """`count` people in the room, on their own event loop in a thread: every fifth on camera
    (1, 6, 11...), every seventh an operator of the site signed in with a token (3, 10, 17...)."""
    ready = threading.Event()
    done: asyncio.Future[None] | None = None
    loop = asyncio.new_event_loop()

    async def gather() -> None:
        nonlocal done
        done = loop.create_future()
        clients = []
        for index in range(count):
            name = f"person{index:02d}"
            if index % 7 == 3:
                client = await ChatClient.join_with_token(server.url, token(name, op=True), post=True)
            else:
                client = await ChatClient.join(server.url, name)
            if index % 5 == 1:
                await client.send(action="me", camera="on")
            clients.append(client)
        ready.set()
        await done
        for client in clients:
            await client.leave()

    thread = threading.Thread(target=lambda: loop.run_until_complete(gather()), daemon=True)
    thread.start()
    assert ready.wait(60), "the crowd did not gather"
    try:
        yield
    finally:
        loop.call_soon_threadsafe(lambda: done.set_result(None) if done is not None else None)
        thread.join(30)
        loop.close()


def test_a_who_list_of_sixty_on_a_phone(new_user: UserFactory, tmp_path: Path) -> None:
    settings = {"JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET}}
    with running_server(tmp_path / "crowd", **settings) as server, crowd(server, 59):
        zed = new_user("zed", server=server, viewport=PHONE)
        zed.get_by_role("button", name="People").click()
        people = who(zed)
        expect(people.locator(".who-row")).to_have_count(60)
        expect(people.locator("#who-cameras")).to_have_text("12")
        assert_fits_the_screen(zed)
        screenshot(zed, "phone-people-sixty")
        for target in [people.get_by_label("Search people"), people.get_by_label("Sort people")]:
            assert (target.bounding_box() or {"height": 0})["height"] >= 44
        for button in people.locator(".who-name, .camera-button").all()[:20]:
            box = button.bounding_box()
            assert box is not None and box["height"] >= 44 and box["width"] >= 44, button.inner_text()

        people.get_by_label("Search people").fill("person1")
        expect(people.locator(".who-row:visible")).to_have_count(10)
        expect(people.locator(".who-row:visible .who-name").first).to_have_text("person10")
        people.get_by_label("Search people").fill("nobody like this")
        expect(people.get_by_text("Nobody here matches your search.")).to_be_visible()
        people.get_by_label("Search people").fill("")
        expect(people.locator(".who-row:visible")).to_have_count(60)

        people.get_by_label("Sort people").select_option(label="On camera first")
        expect(people.locator(".who-row").nth(0)).to_have_attribute("data-username", "person01")
        expect(people.locator(".who-row").nth(11)).to_have_class(re.compile(r"\bhas-camera\b"))
        expect(people.locator(".who-row").nth(12)).not_to_have_class(re.compile(r"\bhas-camera\b"))
        people.get_by_label("Sort people").select_option(label="Operators first")
        expect(people.locator(".who-row").nth(0)).to_have_attribute("data-username", "person03")
        expect(people.locator(".who-row.is-op")).to_have_count(8)
        expect(people.locator(".who-row").nth(7)).to_have_class(re.compile(r"\bis-op\b"))
        expect(people.locator(".who-row").nth(8)).not_to_have_class(re.compile(r"\bis-op\b"))
        people.get_by_label("Sort people").select_option(label="Newest first")
        expect(people.locator(".who-row").nth(0)).to_have_attribute("data-username", "zed")
        new_user("newcomer", server=server)  # a row diff arrives: it takes its place in this order
        expect(people.locator(".who-row").nth(0)).to_have_attribute("data-username", "newcomer")
        people.get_by_label("Sort people").select_option(label="By name")
        expect(people.locator(".who-row").nth(0)).to_have_attribute("data-username", "newcomer")
        expect(people.locator(".who-row").nth(1)).to_have_attribute("data-username", "person00")
        assert_fits_the_screen(zed)
