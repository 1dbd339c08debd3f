"""What a browser sends, through the real socket handler in this process: every bad frame gets
its error, for its sender alone, and the connection and everyone else carry on."""

from __future__ import annotations

import json
import re

from markupsafe import escape

from tests.inprocess.chat import InProcessChat
from tests.integration.test_chat import chat_line


async def test_every_bad_frame_gets_its_error_and_everyone_carries_on(chat: InProcessChat) -> None:
    alice, bob = [await chat.join(n) for n in ("alice", "bob")]
    cases = [
        ("not json", "was not JSON"),
        (json.dumps([1, 2]), "expected a JSON object"),
        (json.dumps({"action": "dance"}), "Unknown action 'dance'"),
        (json.dumps({"action": "message", "channel": "lobby"}), "missing the field 'text'"),
        (json.dumps({"action": "message", "channel": "lobby", "text": 5}), "must be a str"),
        (json.dumps({"action": "message", "channel": "nowhere", "text": "hi"}), "There is no channel"),
        (json.dumps({"action": "message", "channel": "lobby", "text": "x" * 2001}), "the limit is 2000"),
        ("x" * 70000, "too large"),
        (json.dumps({"action": "thread", "username": "ghost"}), "ghost is not in the room"),
    ]
    for raw, message in cases:
        await alice.send_raw(raw)
        notice = await alice.wait_for(re.compile(re.escape(str(escape(message)))).search)
        assert 'data-level="error"' in notice
    await alice.say("still here")
    await bob.wait_for(chat_line("still here").search)
    assert "not JSON" not in bob.text() and "Unknown action" not in bob.text()


async def test_a_socket_from_another_site_or_without_a_session_is_refused(chat: InProcessChat) -> None:
    alice = await chat.join("alice")
    await alice.leave()
    alice.closed = None
    await alice.connect(origin="https://evil.example")
    assert (await alice.wait_closed())[0] == 1008
    stranger = chat.stranger()
    await stranger.connect()
    assert await stranger.wait_closed() == (4401, "Please sign in.")
