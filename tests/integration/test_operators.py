"""Operator commands through the real server and real sockets (issue 6)."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.chat.model import dom_key
from tests.conftest import redis_settings
from tests.support import ChatClient, Server, running_server, sign_in
from tests.tokens import SECRET, token


@pytest.fixture(scope="module", params=["memory", "redis"])
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    settings: dict[str, object] = {"JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET}, "PermitNSFW": True}
    if request.param == "redis":
        settings["Redis"] = redis_settings(request.getfixturevalue("shared_redis"))
    with running_server(tmp_path_factory.mktemp("ops"), **settings) as running:
        yield running


def row_of(name: str, text: str) -> str:
    """The last who-list row for `name` in `text`, or "" if there is none."""
    rows = re.findall(rf'<li id="who-{dom_key(name)}"[^>]*>.*?</li>', text, re.S)
    return str(rows[-1]) if rows else ""


def row_update(name: str, has: str, text: str) -> bool:
    """`text` replaces `name`'s who-list row with one that has (or, with "!x", lacks) `has`."""
    row = row_of(name, text)
    if 'hx-swap-oob="outerHTML"' not in row:
        return False
    return has[1:] not in row if has.startswith("!") else has in row


async def operator(server: Server, name: str) -> ChatClient:
    return await ChatClient.join_with_token(server.url, token(name, op=True))


async def command(client: ChatClient, line: str, expected: str) -> str:
    """Type `line`; wait for the notice containing `expected` and return it, unescaped."""
    await client.say(line)
    notice = await client.wait_for(lambda t: "#notices" in t and expected in html.unescape(t))
    return html.unescape(notice)


async def test_kick_closes_the_target_with_who_and_why_and_they_may_sign_in_again(server: Server) -> None:
    olga = await operator(server, "olga1")
    bob = await ChatClient.join(server.url, "bob1")
    carol = await ChatClient.join(server.url, "carol1")
    reply = await command(olga, "/kick bob1", "bob1 has been kicked.")
    assert 'role="status"' in reply
    assert await bob.wait_closed() == (4000, "You have been kicked from the chat by olga1.")
    assert "You have been kicked from the chat by olga1." in bob.text()  # the banner, before the close
    await carol.wait_for(lambda t: f'id="who-{dom_key("bob1")}" hx-swap-oob="delete"' in t)
    await carol.wait_for(lambda t: "bob1</strong> has been kicked from the room" in t)
    await bob.connect()  # the kicked session's cookie opens no socket again ...
    assert (await bob.wait_closed())[0] == 4401
    assert "Enter chat" in httpx.get(server.url + "/", cookies={"barertc_session": bob.cookie}).text
    bob = await ChatClient.join(server.url, "bob1")  # ... but a kick is not a ban: sign in again
    for client in (olga, bob, carol):
        await client.leave()
    assert "operator 'olga1': kick 'bob1'" in server.log()


async def test_ban_holds_against_both_sign_in_paths_until_unban(server: Server) -> None:
    olga = await operator(server, "olga2")
    bob = await ChatClient.join(server.url, "bob2")
    await command(olga, "/ban bob2 2", "bob2 has been banned for 2 hours.")
    code, reason = await bob.wait_closed()
    assert code == 4001 and reason == "You have been banned from the chat by olga2 for 2 hours."
    await bob.connect()
    code, reason = await bob.wait_closed()
    assert code == 4001 and re.fullmatch(
        r"You are banned from this chat for another (2 hours|1 hour 59 minutes)\.", reason
    ), reason
    guest = httpx.post(server.url + "/login", data={"username": "BOB2"})
    assert guest.status_code == 403 and "is banned from this chat for another" in guest.text
    member = httpx.get(server.url + "/", params={"jwt": token("bob2")})
    assert member.status_code == 403 and "You are banned from this chat for another" in member.text
    listed = await command(olga, "/bans", "Banned:")
    assert re.search(r"bob2 for another (2 hours|1 hour 59 minutes)", listed), listed
    await command(olga, "/unban bob2", "bob2 is no longer banned.")
    back = await ChatClient.join_with_token(server.url, token("bob2"))
    await command(olga, "/bans", "Nobody is banned.")
    for client in (olga, back):
        await client.leave()
    assert "operator 'olga2': ban 'bob2' (2 hours)" in server.log()
    assert "operator 'olga2': unban 'bob2'" in server.log()


async def test_a_short_ban_of_a_member_lifts_by_itself(server: Server) -> None:
    olga = await operator(server, "olga3")
    member = await ChatClient.join_with_token(server.url, token("mark3"))
    await command(olga, "/ban mark3 0.001", "mark3 has been banned for 4 seconds.")
    assert (await member.wait_closed())[0] == 4001
    assert "is banned" in httpx.post(server.url + "/login", data={"username": "mark3"}).text
    # Wait for the observable end of the ban: sign-in works again (4 seconds, with room to spare).
    deadline = asyncio.get_running_loop().time() + 30
    while httpx.get(server.url + "/", params={"jwt": token("mark3")}).status_code == 403:
        assert asyncio.get_running_loop().time() < deadline, "the ban did not lift"
        await asyncio.sleep(0.5)
    member = await ChatClient.join_with_token(server.url, token("mark3"))
    for client in (olga, member):
        await client.leave()


async def test_op_and_deop_move_the_badge_for_everyone(server: Server) -> None:
    olga = await operator(server, "olga4")
    pete = await ChatClient.join(server.url, "pete4")
    sam = await ChatClient.join(server.url, "sam4")
    await command(olga, "/op pete4", "pete4 is now an operator, until they leave.")
    promoted = await sam.wait_for(lambda t: row_update("pete4", "is-op", t))
    assert "op-badge" in row_of("pete4", promoted)
    await pete.wait_for(lambda t: "olga4 made you an operator" in t)
    await command(pete, "/help", "/kick name")
    await command(pete, "/kick olga4", "olga4 is an operator too; you cannot kick them.")
    await command(olga, "/deop pete4", "pete4 is no longer an operator.")
    await sam.wait_for(lambda t: row_update("pete4", "!op-badge", t))
    await pete.wait_for(lambda t: "olga4 removed your operator rights" in t)
    await command(pete, "/kick sam4", "Unknown command /kick.")
    assert sam.closed is None
    for client in (olga, pete, sam):
        await client.leave()
    assert "operator 'olga4': op 'pete4'" in server.log()
    assert "operator 'olga4': deop 'pete4'" in server.log()


async def test_nsfw_tags_the_camera_and_tells_the_broadcaster(server: Server) -> None:
    olga = await operator(server, "olga5")
    cam = await ChatClient.join(server.url, "cam5")
    await cam.send(action="me", camera="on")
    await olga.wait_for(lambda t: row_update("cam5", "has-camera", t))
    await command(olga, "/nsfw cam5", "cam5's camera is now tagged NSFW.")
    tagged = await olga.wait_for(lambda t: row_update("cam5", "is-nsfw", t))
    assert 'data-nsfw="true"' in row_of("cam5", tagged)
    await cam.wait_for(lambda t: "olga5 tagged your camera NSFW" in t)
    for client in (olga, cam):
        await client.leave()
    assert "operator 'olga5': nsfw 'cam5'" in server.log()


async def test_non_operators_get_unknown_command_and_nothing_happens(server: Server) -> None:
    bob = await ChatClient.join(server.url, "bob6")
    carol = await ChatClient.join(server.url, "carol6")
    for line in (
        "/kick carol6",
        "/ban carol6 1",
        "/unban carol6",
        "/bans",
        "/op bob6",
        "/deop carol6",
        "/nsfw carol6",
        "/shrug",
    ):
        notice = await command(bob, line, f"Unknown command {line.split()[0]}.")
        assert 'data-level="error"' in notice
    await command(bob, "/help", "the other commands are for operators")
    await carol.quiet()
    assert carol.closed is None and "/kick" not in carol.text() and "/shrug" not in carol.text()
    for client in (bob, carol):
        await client.leave()


async def test_bad_arguments_get_a_usage_line_or_a_plain_refusal(server: Server) -> None:
    olga = await operator(server, "olga7")
    otto = await operator(server, "otto7")
    for line, expected in [
        ("/kick", "Usage: /kick name"),
        ("/ban", "Usage: /ban name [hours]"),
        ("/ban otto7 -3", "A ban lasts more than 0 and at most 8760 hours"),
        ("/ban nobody7", "No user named nobody7 is here."),
        ("/kick olga7", "You cannot kick yourself."),
        ("/ban olga7", "You cannot ban yourself."),
        ("/deop olga7", "You cannot deop yourself."),
        ("/kick otto7", "otto7 is an operator too; you cannot kick them."),
        ("/deop otto7", "otto7 is an operator by the website; that cannot be removed here."),
        ("/op otto7", "otto7 is already an operator."),
        ("/nsfw otto7", "otto7 is an operator too"),
        ("/unban nobody7", "nobody7 is not banned."),
    ]:
        notice = await command(olga, line, expected)
        assert 'data-level="error"' in notice, line
    assert olga.closed is None and otto.closed is None
    for client in (olga, otto):
        await client.leave()


def test_commands_are_off_without_permit_nsfw(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        cookie, name = sign_in(server.url, "guest8")
        guest = ChatClient(server.url, cookie, name)
        await guest.connect()
        await command(guest, "/nsfw guest8", "Unknown command /nsfw.")
        await guest.leave()

    with running_server(tmp_path) as server:
        asyncio.run(scenario(server))
