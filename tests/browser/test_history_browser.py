"""Saved DMs in real Chromium (issue 20): two members talk, come back the next day, page back,
find the conversation in the History dialog and clear it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from app.chat.model import dom_key
from tests.browser.conftest import start_dm
from tests.support import Server, running_server
from tests.tokens import SECRET, token


@pytest.fixture
def history_server(tmp_path: Path) -> Iterator[Server]:
    with running_server(
        tmp_path,
        JWT={"Enabled": True, "Strict": False, "SecretKey": SECRET},
        DirectMessageHistory={"Enabled": True},
        Limits={"MessagesPerSecond": 50.0, "MessageBurst": 50},
    ) as server:
        yield server


def member(browser: Browser, server: Server, name: str) -> Page:
    page = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800}).new_page()
    page.set_default_timeout(10_000)
    page.goto(f"/?jwt={token(name)}")
    page.locator("#chat[data-connected='true']").wait_for()
    return page


def test_a_saved_conversation_comes_back_pages_back_and_is_cleared(browser: Browser, history_server: Server) -> None:
    alice, bob = member(browser, history_server, "alice"), member(browser, history_server, "bob")
    start_dm(alice, "bob")
    thread = alice.get_by_role("log", name="Conversation with bob")
    expect(thread).to_contain_text("Direct messages between members are saved")
    box = alice.get_by_role("textbox", name="Message")
    for n in range(25):
        box.fill(f"note {n:02d}")
        box.press("Enter")
        expect(thread).to_contain_text(f"note {n:02d}")
    expect(bob.locator(f"#log-dm-{dom_key('alice')}")).to_contain_text("note 24")  # a thread not shown yet

    # The next day: alice opens the chat again and the conversation is there.
    alice.reload()
    alice.locator("#chat[data-connected='true']").wait_for()
    start_dm(alice, "bob")
    thread = alice.get_by_role("log", name="Conversation with bob")
    expect(thread).to_contain_text("note 24")
    expect(thread).to_contain_text("note 05")
    expect(thread).not_to_contain_text("note 04")
    thread.get_by_role("button", name="Load earlier messages").click()
    expect(thread).to_contain_text("note 00")
    expect(thread).to_contain_text("The start of your saved conversation.")
    expect(alice.locator(".channel-tab .unread:not([hidden])")).to_have_count(0)  # read back, not new

    # The History dialog lists bob; choosing him shows the thread.
    alice.get_by_role("button", name="Lobby").click()
    alice.get_by_role("button", name="History").click()
    dialog = alice.get_by_role("dialog", name="History")
    expect(dialog.get_by_role("button", name="bob")).to_be_visible()
    dialog.get_by_role("combobox", name="Sort").select_option("a-z")
    expect(dialog).to_contain_text("Page 1 of 1 · 1 conversation")
    dialog.get_by_role("button", name="bob").click()
    expect(dialog).to_be_hidden()
    expect(alice.get_by_role("log", name="Conversation with bob")).to_be_visible()

    # Clear my DM history, after saying yes.
    alice.get_by_role("button", name="History").click()
    dialog.get_by_role("button", name="Clear my DM history").click()
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog.get_by_role("button", name="bob")).to_be_visible()
    dialog.get_by_role("button", name="Clear my DM history").click()
    dialog.get_by_role("button", name="Yes, erase my DM history").click()
    expect(dialog).to_contain_text("You have no saved conversations.")
    dialog.get_by_role("button", name="Close").click()
    expect(alice.locator("#notices")).to_contain_text("Your DM history is erased (25 messages).")
    expect(alice.get_by_role("log", name="Conversation with bob")).not_to_contain_text("note 00")
    alice.context.close()
    bob.context.close()
