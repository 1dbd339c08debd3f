"""Mute and block across two server processes on one Redis (issue 17): what one process's
user chose holds for people on the other, and comes along when they reconnect there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape

from app.chat.model import dom_key
from tests.conftest import redis_settings
from tests.support import ChatClient, RedisServer, Server, write_settings

pytestmark = pytest.mark.redis


def row(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


async def notice(client: ChatClient, words: str) -> str:
    return await client.wait_for(lambda t: "#notices" in t and str(escape(words)) in t)


async def after_a_marker(sender: ChatClient, reader: ChatClient) -> None:
    """Everything sent before this has reached `reader` (one bus, one order) once it gets it."""
    marker = f"marker-{len(sender.frames)}"
    await sender.say(marker)
    await reader.wait_for(lambda t: marker in t)


async def test_mute_and_block_hold_across_processes(tmp_path: Path, shared_redis: RedisServer) -> None:
    path = write_settings(tmp_path / "settings.toml", Redis=redis_settings(shared_redis))
    one, two = Server(path).start(), Server(path).start()
    try:
        una = await ChatClient.join(one.url, "una")
        vik, wes, xan = [await ChatClient.join(two.url, name) for name in ("vik", "wes", "xan")]
        await una.wait_for(lambda t: all(row(name) in una.text() for name in ("vik", "wes", "xan")))
        await una.send(action="mute", username="vik")
        await notice(una, "You muted vik")
        await wes.send(action="block", username="una")
        await una.wait_for(lambda t: f'{row("wes")} hx-swap-oob="delete"' in t)
        await vik.say("from the other process")
        await wes.say("wes on two")
        await after_a_marker(xan, una)
        assert "from the other process" not in una.text() and "wes on two" not in una.text()

        # una comes back through the other process: her mute, and wes's block, came along.
        await una.leave()
        una = ChatClient(two.url, una.cookie, "una")
        await una.connect()
        await una.wait_for(lambda t: 'id="who-count"' in t)  # sent after the whole list
        assert row("wes") not in una.text()
        assert "Unmute vik" in re.findall(rf"<li {re.escape(row('vik'))}.*?</li>", una.text(), re.S)[0]
        await vik.say("again from two")
        await after_a_marker(xan, una)
        assert "again from two" not in una.text()
    finally:
        for server in (one, two):
            server.stop()
