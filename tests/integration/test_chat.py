"""The chat room through the real server and real WebSocket clients (issue 3)."""

from __future__ import annotations

import asyncio
import base64
import html
import os
import re
import socket
from pathlib import Path

import httpx

from app.chat.model import dom_key
from tests.support import ChatClient, Server, read_ws_frame, running_server, sign_in


def row(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


def chat_line(text: str, channel: str = "lobby") -> re.Pattern[str]:
    # the text inside one article of this fragment (not of a later fragment for another log)
    return re.compile(
        rf'beforeend:#log-{channel}">(?:(?!hx-swap-oob).)*?'
        rf'<article[^>]*class="msg is-chat"(?:(?!</article>).)*{re.escape(text)}',
        re.S,
    )


async def test_messages_in_two_channels_reach_everyone_in_the_right_log(server: Server) -> None:
    alice, bob, carol = [await ChatClient.join(server.url, n) for n in ("alice", "bob", "carol")]
    await alice.say("hello lobby")
    await bob.say("hello off topic", channel="offtopic")
    for client in (alice, bob, carol):
        await client.wait_for(chat_line("hello lobby").search)
        await client.wait_for(chat_line("hello off topic", "offtopic").search)
    assert not chat_line("hello lobby", "offtopic").search(carol.text())
    for client in (alice, bob, carol):
        await client.leave()


async def test_message_shows_sender_time_and_sanitized_markdown(server: Server) -> None:
    alice = await ChatClient.join(server.url, "alice")
    await alice.say('**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com "t")')
    frame = await alice.wait_for(lambda t: "bold" in t)
    assert '<strong class="sender">alice</strong>' in frame
    assert re.search(r'data-ts="\d{13}"', frame)
    assert "<strong>bold</strong>" in frame
    assert "<script>" not in frame and "&lt;script&gt;" in frame
    assert 'href="javascript' not in frame
    assert 'href="https://example.com" target="_blank" rel="nofollow noopener noreferrer"' in frame
    await alice.leave()


async def test_a_dm_reaches_exactly_the_two_people(server: Server) -> None:
    alice, bob, carol = [await ChatClient.join(server.url, n) for n in ("alice", "bob", "carol")]
    await alice.say("just for you", channel="@bob")
    got = await bob.wait_for(lambda t: "just for you" in t)
    assert f'id="log-dm-{dom_key("alice")}"' in got  # bob's thread with alice opens with the message in it
    own = await alice.wait_for(lambda t: "just for you" in t)
    assert f"log-dm-{dom_key('bob')}" in own
    await carol.quiet()
    assert "just for you" not in carol.text()
    await bob.say("and back", channel="@alice")
    await alice.wait_for(lambda t: "and back" in t and f"beforeend:#log-dm-{dom_key('bob')}" in t)
    for client in (alice, bob, carol):
        await client.leave()


async def test_a_dm_to_someone_who_left_says_so(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, n) for n in ("alice", "bob")]
    await bob.send(action="thread", username="alice")
    await bob.wait_for(lambda t: f'id="log-dm-{dom_key("alice")}"' in t)
    await alice.leave()
    await bob.wait_for(lambda t: f'{row("alice")} hx-swap-oob="delete"' in t)
    await bob.say("are you there?", channel="@alice")
    notice = await bob.wait_for(lambda t: "not in the room" in t)
    assert 'data-level="error"' in notice and "your message was not sent" in notice
    await bob.leave()


async def test_a_guests_thread_stays_readable_and_closes_only_for_someone_else(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, n) for n in ("alice", "bob")]
    await alice.say("hi", channel="@bob")
    await bob.wait_for(lambda t: "hi" in t and "log-dm-" in t)
    await bob.leave()
    # The thread stays on alice's page: a line says bob left, and its header disables the box.
    gone = await alice.wait_for(lambda t: "bob has left the chat." in t)
    assert f'hx-swap-oob="innerHTML:#head-log-dm-{dom_key("bob")}"' in gone and "data-gone" in gone
    assert f'id="log-dm-{dom_key("bob")}" hx-swap-oob="delete"' not in alice.text()
    # The same guest (the same session) comes back: the thread carries on.
    since = len(alice.frames)
    same = ChatClient(server.url, bob.cookie, "bob")
    await same.connect()
    back = await alice.wait_for(lambda t: "bob is back." in t, since=since)
    assert "data-gone" not in back
    await same.leave()
    await alice.wait_for(lambda t: "bob has left the chat." in t, since=since)
    # Another guest takes the name: the old thread closes, and says why.
    since = len(alice.frames)
    newbob = await ChatClient.join(server.url, "bob")
    closed = await alice.wait_for(lambda t: f'id="log-dm-{dom_key("bob")}" hx-swap-oob="delete"' in t, since=since)
    assert f'id="dm-tab-{dom_key("bob")}" hx-swap-oob="delete"' in closed
    assert "someone else now has the name" in html.unescape(alice.text())
    await alice.say("who is this?", channel="@bob")
    got = await newbob.wait_for(lambda t: "who is this?" in t)
    assert f'id="log-dm-{dom_key("alice")}"' in got  # a fresh thread, not the old one
    fresh = await alice.wait_for(lambda t: "who is this?" in t, since=since)
    assert "beforeend:#dm-list" in fresh
    await alice.leave()
    await newbob.leave()


async def test_a_page_that_reconnects_carries_on_in_its_threads(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, n) for n in ("alice", "bob")]
    await alice.say("hi", channel="@bob")
    await bob.wait_for(lambda t: "hi" in t and "log-dm-" in t)
    # alice's page reconnects (as after a restart) and says which threads it still shows.
    await alice.leave()
    alice = ChatClient(server.url, alice.cookie, "alice")
    await alice.connect()
    await alice.wait_for(lambda t: 'id="who-list"' in t)
    for name in ("bob", "nobody", "alice"):
        await alice.send(action="thread", username=name, resume=True)
    await alice.wait_for(lambda t: f"#head-log-dm-{dom_key('nobody')}" in t)
    heads = dict(re.findall(r'innerHTML:#head-log-dm-([^"]+)">(.*?)</div>', alice.text(), re.S))
    assert set(heads) == {dom_key("bob"), dom_key("nobody")}  # nothing for oneself
    assert "data-gone" not in heads[dom_key("bob")] and "Online" in heads[dom_key("bob")]
    assert "nobody has left the chat" in heads[dom_key("nobody")]
    # bob writes: it goes into the thread alice's page has, not a second one.
    since = len(alice.frames)
    await bob.say("still there?", channel="@alice")
    got = await alice.wait_for(lambda t: "still there?" in t, since=since)
    assert f"beforeend:#log-dm-{dom_key('bob')}" in got and "dm-list" not in got
    assert "notices" not in alice.text()  # asked quietly: nothing refused out loud
    await alice.leave()
    await bob.leave()


async def test_joins_and_leaves_change_every_who_list_by_one_row(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, n) for n in ("alice", "bob")]
    first = await alice.wait_for(lambda t: 'id="who-list"' in t)
    assert row("alice") in first
    carol = await ChatClient.join(server.url, "carol")
    for client in (alice, bob):
        frame = await client.wait_for(lambda t: row("carol") in t)
        assert 'id="who-list"' not in frame  # a row diff, not the whole list
        assert frame.count('class="who-row') == 1
        assert "carol</strong> has joined the room" in frame
    entry = await carol.wait_for(lambda t: 'id="who-list"' in t)
    assert all(row(n) in entry for n in ("alice", "bob", "carol"))
    await carol.leave()
    for client in (alice, bob):
        gone = await client.wait_for(lambda t: f'{row("carol")} hx-swap-oob="delete"' in t)
        assert "carol</strong> has exited the room" in gone
        assert '<span id="who-count" hx-swap-oob="true">2</span>' in client.text()
    await alice.leave()
    await bob.leave()


async def test_who_rows_are_inserted_in_name_order(server: Server) -> None:
    alice, carol = [await ChatClient.join(server.url, n) for n in ("alice", "carol")]
    bob = await ChatClient.join(server.url, "bob")
    frame = await alice.wait_for(lambda t: row("bob") in t)
    assert f'hx-swap-oob="beforebegin:#who-{dom_key("carol")}"' in frame
    for client in (alice, bob, carol):
        await client.leave()


async def test_a_taken_name_is_made_unique_and_the_user_is_told(server: Server) -> None:
    alice = await ChatClient.join(server.url, "alice")
    with httpx.Client(base_url=server.url) as browser:
        browser.post("/login", data={"username": "alice"})
        page = browser.get("/").text
    assert 'data-me="alice2"' in page
    assert "alice is taken; you are alice2." in page
    assert "Choose another name" in page
    # "Choose another name" signs alice2 out and brings back the form, with the name in it.
    with httpx.Client(base_url=server.url, follow_redirects=True) as browser:
        browser.post("/login", data={"username": "alice"})
        form = browser.post("/logout", data={"again": "alice2"}, headers={"Origin": server.url}).text
        assert 'value="alice2"' in form and "choose another name" in form
        assert 'data-me="' not in browser.get("/").text  # signed out
    await alice.leave()


async def test_bad_usernames_get_a_clear_message_next_to_the_field(server: Server) -> None:
    cases = {
        "": "Please choose a username",
        "   ": "Please choose a username",
        "x" * 40: "too long",
        "@alice": "cannot start with @",
        "bad\x07name": "cannot be shown",
    }
    for name, message in cases.items():
        response = httpx.post(server.url + "/login", data={"username": name})
        assert response.status_code == 400
        assert message in response.text
        assert 'id="username-error"' in response.text and 'aria-invalid="true"' in response.text


async def test_reload_keeps_the_user_signed_in_and_sign_out_ends_it(server: Server) -> None:
    with httpx.Client(base_url=server.url) as browser:
        browser.post("/login", data={"username": "dora"})
        assert 'data-me="dora"' in browser.get("/").text
        assert 'data-me="dora"' in browser.get("/").text
        browser.post("/logout")
        page = browser.get("/").text
    assert "data-me=" not in page and "Enter chat" in page


async def test_reconnect_restores_presence_without_signing_in_again(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, n) for n in ("alice", "bob")]
    await bob.leave()
    await alice.wait_for(lambda t: f'{row("bob")} hx-swap-oob="delete"' in t)
    await bob.connect()  # same cookie: the session still knows bob
    entry = await bob.wait_for(lambda t: 'id="who-list"' in t)
    assert row("alice") in entry and row("bob") in entry
    await alice.wait_for(lambda t: row("bob") in t and "has joined" in t)
    await alice.leave()
    await bob.leave()


async def test_a_second_tab_of_the_same_guest_replaces_the_first(server: Server) -> None:
    first = await ChatClient.join(server.url, "erin")
    watcher = await ChatClient.join(server.url, "watcher")
    second = ChatClient(server.url, first.cookie, first.name)
    await second.connect()
    await second.wait_for(lambda t: 'id="who-list"' in t)
    code, _ = await first.wait_closed()
    assert code == 4002
    assert "another tab" in first.text()
    await watcher.quiet()
    assert "erin</strong> has exited" not in watcher.text()
    stats = httpx.get(server.url + "/api/statistics").json()
    assert stats["Usernames"].count("erin") == 1
    await second.leave()
    await watcher.leave()


async def test_socket_refused_without_a_session_or_from_a_foreign_origin(server: Server) -> None:
    anonymous = ChatClient(server.url, "not-a-valid-cookie", "nobody")
    await anonymous.connect()
    code, _ = await anonymous.wait_closed()
    assert code == 4401
    cookie, name = sign_in(server.url, "mallory")
    foreign = ChatClient(server.url, cookie, name)
    try:
        await foreign.connect(origin="https://evil.example")
    except Exception as error:  # the handshake is refused with HTTP 403
        assert "403" in str(error)
    else:
        raise AssertionError("a foreign origin was let in")


async def test_sending_too_fast_is_refused_politely(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, n) for n in ("alice", "bob")]
    for number in range(30):
        await alice.say(f"spam {number}")
    await alice.wait_for(lambda t: "too fast" in t)
    await bob.wait_for(chat_line("spam 0").search)
    await asyncio.sleep(1.5)
    await alice.say("calm again")
    await bob.wait_for(chat_line("calm again").search)
    for client in (alice, bob):
        await client.leave()


async def test_unknown_slash_command_is_refused_not_posted_and_double_slash_posts(server: Server) -> None:
    alice, bob = [await ChatClient.join(server.url, n) for n in ("alice", "bob")]
    await alice.say("/dance")
    await alice.wait_for(lambda t: "Unknown command /dance" in t)
    await bob.quiet()
    assert "/dance" not in bob.text()
    await alice.say("//dance like nobody watches")
    await bob.wait_for(chat_line("/dance like nobody watches").search)
    for client in (alice, bob):
        await client.leave()


def _stalled_socket(server: Server, cookie: str) -> socket.socket:
    """A client that completes the WebSocket handshake and then never reads again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {server.url}\r\nCookie: barertc_session={cookie}\r\n\r\n"
        ).encode()
    )
    response = b""
    while not response.endswith(b"\r\n\r\n"):  # read the handshake only, not a frame
        response += sock.recv(1)
    assert b" 101 " in response.split(b"\r\n")[0]
    return sock


async def test_a_client_that_never_reads_is_cut_off_and_others_keep_receiving(tmp_path: Path) -> None:
    limits = {
        "SendTimeoutSeconds": 5.0,
        "MessagesPerSecond": 1000.0,
        "MessageBurst": 1000,
        "FramesPerSecond": 1000.0,
        "FrameBurst": 1000,
        "MaxMessageLength": 30000,
        "MaxFrameBytes": 100000,
    }
    with running_server(tmp_path, Limits=limits) as server:
        alice, bob = [await ChatClient.join(server.url, n) for n in ("alice", "bob")]
        cookie, _ = await asyncio.to_thread(sign_in, server.url, "sloth")
        stalled = await asyncio.to_thread(_stalled_socket, server, cookie)
        await bob.wait_for(lambda t: row("sloth") in t)
        big = "z" * 25000
        for number in range(400):
            await alice.say(f"{number} {big}")
        await bob.wait_for(lambda t: "399 zzz" in t, timeout=30)
        await bob.wait_for(lambda t: f'{row("sloth")} hx-swap-oob="delete"' in t, timeout=30)
        received = len(re.findall(r'class="msg is-chat"', bob.text()))
        assert received == 400
        assert "cut off 'sloth'" in server.log()
        stalled.close()
        await alice.leave()
        await bob.leave()


async def test_idle_sockets_get_keep_alive_pings(tmp_path: Path) -> None:
    with running_server(tmp_path, Limits={"PingIntervalSeconds": 0.3}) as server:
        cookie, _ = await asyncio.to_thread(sign_in, server.url, "idle")
        sock = await asyncio.to_thread(_stalled_socket, server, cookie)
        sock.settimeout(5)

        def opcodes_until_ping() -> list[int]:
            opcodes: list[int] = []
            while 1 not in opcodes or 9 not in opcodes[opcodes.index(1) :]:
                opcodes.append(read_ws_frame(sock)[0])
            return opcodes

        opcodes = await asyncio.to_thread(opcodes_until_ping)
        sock.close()
    assert opcodes.count(9) >= 1  # pings keep coming, though the client says nothing
