"""/reconfigure in real Chromium: a channel added to settings.toml shows up on a page already
open, without reconnecting, and works like the others; one taken out goes away."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tomlkit
from playwright.sync_api import expect

from tests.browser.conftest import UserFactory, say
from tests.support import Server, running_server
from tests.tokens import SECRET, token


@pytest.fixture
def chat_server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path, JWT={"Enabled": True, "Strict": False, "SecretKey": SECRET}) as server:
        yield server


def test_a_new_channel_appears_on_open_pages(new_user: UserFactory, chat_server: Server) -> None:
    bob = new_user("bob")
    olga = new_user("olga", path=f"/?jwt={token('olga', op=True)}")
    channels = bob.get_by_role("navigation", name="Channels")
    expect(channels.get_by_role("button", name="Off Topic")).to_be_visible()

    doc = tomlkit.parse(chat_server.settings_path.read_text())
    doc["PublicChannels"][1] = {"ID": "news", "Name": "News", "WelcomeMessages": ["Fresh **news** every hour."]}
    chat_server.settings_path.write_text(tomlkit.dumps(doc))
    say(olga, "/reconfigure")
    expect(olga.get_by_role("status").filter(has_text="Settings reloaded: PublicChannels changed.")).to_be_visible()

    news = channels.get_by_role("button", name="News")
    expect(news).to_be_visible()
    expect(channels.get_by_role("button", name="Off Topic")).to_have_count(0)
    news.click()
    log = bob.get_by_role("log", name="News")
    expect(log).to_be_visible()
    expect(log).to_contain_text("Fresh news every hour.")
    say(bob, "first post in the news")
    expect(olga.get_by_role("navigation", name="Channels").get_by_role("button", name="News")).to_contain_text("1")
    expect(bob.locator("#connection-state.is-reconnected, #connection-state.is-reconnecting")).to_have_count(0)
