"""Reporting a message in real Chromium, to a website that takes reports (a real local HTTP
server): the Report button, its dialog by mouse and keyboard, and what the reporter is told."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.chat.website import REASONS
from tests.browser.conftest import UserFactory, say
from tests.browser.test_layout_browser import serious_axe_violations
from tests.browser.test_messages_browser import message
from tests.support import Server, WebhookReceiver, running_server


@pytest.fixture
def website() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def chat_server(tmp_path: Path, website: WebhookReceiver) -> Iterator[Server]:
    report = {"Name": "report", "Enabled": True, "URL": website.url("/report")}
    with running_server(tmp_path, WebhookURLs=[report]) as server:
        yield server


def test_report_a_message_by_mouse_and_cancel_by_keyboard(new_user: UserFactory, website: WebhookReceiver) -> None:
    alice = new_user("alice")
    bob = new_user("bob")
    say(alice, "buy my pills at example.com")
    theirs = message(bob, "buy my pills")
    expect(theirs).to_be_visible()
    mine = message(alice, "buy my pills")
    mine.hover()
    expect(mine.get_by_role("button", name="Report")).to_be_hidden()  # not one's own

    # Bob reports it: the dialog shows what he reports, he picks a reason and adds a comment.
    theirs.hover()
    theirs.get_by_role("button", name="Report").click()
    dialog = bob.get_by_role("dialog", name="Report to the moderators")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("alice buy my pills at example.com")
    assert serious_axe_violations(bob) == [], "with the Report dialog open"
    dialog.get_by_label("Reason").select_option(REASONS[2])
    dialog.get_by_label("Comment").fill("looks like phishing")
    dialog.get_by_role("button", name="Send report").click()
    expect(dialog).to_be_hidden()
    expect(bob.get_by_role("status").filter(has_text="your report was sent")).to_be_visible()
    deadline = time.monotonic() + 10
    while not website.bodies("/report"):
        assert time.monotonic() < deadline, "the website got no report"
        time.sleep(0.05)
    report = website.bodies("/report")[0]["Report"]
    assert (report["FromUsername"], report["AboutUsername"], report["Reason"]) == ("bob", "alice", REASONS[2])
    assert report["Comment"] == "looks like phishing"

    # By keyboard: Enter on Report opens the dialog, Escape closes it, focus goes back.
    button = theirs.get_by_role("button", name="Report")
    button.focus()
    button.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Comment")).to_have_value("")  # a fresh report
    bob.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    assert len(website.bodies("/report")) == 1
