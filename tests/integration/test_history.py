"""Saved DMs through the real server, on SQLite and on PostgreSQL (issue 20): members' DMs are
saved and shown again, paged back, listed by partner, erased; guests' never are."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.chat.model import dom_key
from app.chat.stored import StoredMessage
from tests.conftest import need
from tests.integration.test_history_store import running_store
from tests.support import ChatClient, PostgresServer, Server, postgres_binaries, running_server
from tests.tokens import SECRET, token

ADMIN_KEY = "admin-key-for-tests-" + "a" * 20
DAY_MS = 86_400_000


def history_settings(url: str, **more: Any) -> dict[str, Any]:
    return {
        "JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET},
        "DirectMessageHistory": {"Enabled": True, "DatabaseURL": url, **more},
        "Limits": {"MessagesPerSecond": 100.0, "MessageBurst": 100},
        "AdminAPIKey": ADMIN_KEY,
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def chat(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with DM history on, for the module, on each database in turn."""
    folder = tmp_path_factory.mktemp(f"history-{request.param}")
    if request.param == "sqlite":
        url = "sqlite+aiosqlite:///history.sqlite3"  # beside the settings file
    else:
        url = request.getfixturevalue("shared_postgres").new_database()
    with running_server(folder, **history_settings(url)) as server:
        yield server
    if request.param == "sqlite":
        assert (folder / "history.sqlite3").exists()


def names(*bases: str) -> list[str]:
    """Names no other test uses (the server is shared by the module)."""
    tag = uuid.uuid4().hex[:6]
    return [f"{base}-{tag}" for base in bases]


def part(frame: str, needle: str) -> str:
    """The fragment of a (possibly coalesced) frame that contains `needle`."""
    return next(piece for piece in frame.split("<!--|-->") if needle in piece)


async def member(server: Server | str, name: str) -> ChatClient:
    """A member of the site, signed in with a token (on a server, or at a URL)."""
    return await ChatClient.join_with_token(server if isinstance(server, str) else server.url, token(name))


def api(server: Server, path: str, **body: Any) -> tuple[int, dict[str, Any]]:
    response = httpx.post(f"{server.url}/api/message/{path}", json=body)
    return response.status_code, response.json()


async def eventually(check: Any, timeout: float = 10.0) -> Any:
    """Wait until `check()` is truthy (the writer stores in batches, a moment after sending)."""
    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(check)):
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(0.1)
    return result


def saved_texts(server: Server, owner: str, other: str) -> list[str]:
    status, body = api(server, "history", JWTToken=token(owner), Username=other)
    assert status == 200 and body["OK"], body
    return [message["message"] for message in body["Messages"]]


async def test_members_dms_are_saved_and_come_back_when_the_thread_opens_again(chat: Server) -> None:
    alice_name, bob_name = names("alice", "bob")
    alice, bob = await member(chat, alice_name), await member(chat, bob_name)
    await alice.send(action="thread", username=bob_name)
    opened = await alice.wait_for(lambda t: f'id="log-dm-{dom_key(bob_name)}"' in t)
    assert "Direct messages between members are saved" in opened  # the disclaimer
    for text in ("hello bob", "are you there?"):
        await alice.say(text, channel=f"@{bob_name}")
    await bob.wait_for(lambda t: "are you there?" in t)
    await bob.say("yes, **here**", channel=f"@{alice_name}")
    await alice.wait_for(lambda t: "<strong>here</strong>" in t)
    await eventually(lambda: len(saved_texts(chat, alice_name, bob_name)) == 3)

    await alice.leave()
    again = await member(chat, alice_name)
    await again.send(action="thread", username=bob_name)
    page = await again.wait_for(lambda t: f"afterbegin:#dmh-pages-{dom_key(bob_name)}" in t)
    assert page.index("hello bob") < page.index("are you there?") < page.index("<strong>here</strong>")
    assert "The start of your saved conversation." in page

    assert saved_texts(chat, bob_name, alice_name) == [
        "<p>yes, <strong>here</strong></p>",
        "<p>are you there?</p>",
        "<p>hello bob</p>",
    ]
    status, listed = api(chat, "usernames", JWTToken=token(bob_name), Sort="a-z", Page=1)
    assert status == 200 and listed == {"OK": True, "Usernames": [alice_name], "Count": 1, "Pages": 1}


async def test_a_dm_that_opens_a_thread_brings_the_saved_ones_with_it_once(chat: Server) -> None:
    carol_name, dave_name = names("carol", "dave")
    carol, dave = await member(chat, carol_name), await member(chat, dave_name)
    await carol.say("first", channel=f"@{dave_name}")
    await dave.wait_for(lambda t: "first" in t)
    await eventually(lambda: saved_texts(chat, dave_name, carol_name))
    await dave.leave()
    dave = await member(chat, dave_name)
    await carol.say("second", channel=f"@{dave_name}")
    await dave.wait_for(lambda t: "second" in t and f'id="log-dm-{dom_key(carol_name)}"' in t)
    needle = f"afterbegin:#dmh-pages-{dom_key(carol_name)}"
    page = part(await dave.wait_for(lambda t: needle in t), needle)
    assert "first" in page and "second" not in page  # "second" arrived live


async def test_dms_that_arrive_live_while_the_thread_is_read_are_shown_once(chat: Server) -> None:
    """A burst of DMs opens both threads: the saved messages read for each meanwhile include the
    burst (a read writes what is buffered first), and none of them may show twice."""
    erin_name, frank_name = names("erin", "frank")
    erin, frank = await member(chat, erin_name), await member(chat, frank_name)
    texts = [f"burst-{index:02d}-{erin_name}" for index in range(12)]
    for text in texts:  # back to back, without waiting for any of them
        await erin.say(text, channel=f"@{frank_name}")
    for person, other in ((frank, erin_name), (erin, frank_name)):
        page_of_saved = f"afterbegin:#dmh-pages-{dom_key(other)}"
        await person.wait_for(lambda t: texts[-1] in t)
        await person.wait_for(lambda t: page_of_saved in t)  # noqa: B023 (awaited here, in this turn)
        await person.quiet()
        seen = person.text()
        assert [seen.count(text) for text in texts] == [1] * len(texts), person.name


async def test_load_earlier_messages_pages_back_to_the_start(chat: Server) -> None:
    erin_name, fred_name = names("erin", "fred")
    erin, fred = await member(chat, erin_name), await member(chat, fred_name)
    for n in range(25):
        await erin.say(f"note {n:02d}", channel=f"@{fred_name}")
    await fred.wait_for(lambda t: "note 24" in t)
    await eventually(lambda: len(saved_texts(chat, erin_name, fred_name)) == 20)
    await erin.leave()
    erin = await member(chat, erin_name)
    await erin.send(action="history", username=fred_name)
    opened = await erin.wait_for(lambda t: f'id="log-dm-{dom_key(fred_name)}"' in t)
    assert "note 05" in opened and "note 24" in opened and "note 04" not in opened
    assert "Load earlier messages" in opened
    before = opened.split('name="before" value="', 1)[1].split('"', 1)[0]
    await erin.send(action="history", username=fred_name, before=before)
    needle = f"afterbegin:#dmh-pages-{dom_key(fred_name)}"
    earlier = part(await erin.wait_for(lambda t: needle in t), needle)
    assert "note 00" in earlier and "note 04" in earlier and "note 05" not in earlier
    assert "The start of your saved conversation." in earlier and "Load earlier messages" not in earlier


async def test_a_dm_taken_back_is_erased_from_history_too(chat: Server) -> None:
    kay_name, lou_name = names("kay", "lou")
    kay, lou = await member(chat, kay_name), await member(chat, lou_name)
    await kay.say("keep this", channel=f"@{lou_name}")
    await kay.say("oops, not this", channel=f"@{lou_name}")
    sent = await kay.wait_for(lambda t: "oops, not this" in t)
    # the id of the article that says it (a frame may carry other messages and notes too)
    article = re.search(r'<article [^>]*data-id="([^"]+)"(?:(?!</article>).)*oops, not this', sent, re.S)
    assert article is not None, sent
    oops = article.group(1)
    await eventually(lambda: len(saved_texts(chat, lou_name, kay_name)) == 2)
    await kay.send(action="takeback", id=oops)
    await lou.wait_for(lambda t: f"m-{oops}" in t and "delete" in t)
    await eventually(lambda: saved_texts(chat, lou_name, kay_name) == ["<p>keep this</p>"])


async def test_guests_dms_are_never_saved(chat: Server) -> None:
    (gina_name,) = names("gina")
    gina = await member(chat, gina_name)
    guest = await ChatClient.join(chat.url, "guest")
    await guest.say("hi from a guest", channel=f"@{gina_name}")
    thread = await gina.wait_for(lambda t: "hi from a guest" in t)
    await gina.say("hi guest", channel=f"@{guest.name}")
    await guest.wait_for(lambda t: "hi guest" in t)
    assert "dm-history" not in thread and "are saved" not in thread
    await guest.send(action="history", username=gina_name)
    await guest.wait_for(lambda t: "Saved direct messages are for members of the site." in t)
    await asyncio.sleep(0.5)  # longer than the writer waits to batch
    assert api(chat, "usernames", JWTToken=token(gina_name))[1]["Count"] == 0
    assert api(chat, "history", Username=gina_name)[0] == 401  # no token, no member session


async def test_partners_are_listed_and_a_member_clears_their_history(chat: Server) -> None:
    hana_name, ivan_name, jo_name = names("hana", "ivan", "jo")
    hana, ivan, jo = [await member(chat, name) for name in (hana_name, ivan_name, jo_name)]
    await hana.say("to ivan", channel=f"@{ivan_name}")
    await jo.say("to hana", channel=f"@{hana_name}")
    await ivan.say("ivan to jo", channel=f"@{jo_name}")
    await eventually(lambda: api(chat, "usernames", JWTToken=token(hana_name))[1]["Count"] == 2)
    await eventually(lambda: api(chat, "usernames", JWTToken=token(ivan_name))[1]["Count"] == 2)

    await hana.send(action="history-partners", sort="a-z", page="1")
    listing = await hana.wait_for(lambda t: 'id="history-partners"' in t and "history-partner" in t)
    assert listing.index(ivan_name) < listing.index(jo_name) and "Page 1 of 1" in listing
    await hana.send(action="history-partners", sort="sideways")
    await hana.wait_for(lambda t: "Sort by one of newest, oldest, a-z, z-a." in t)

    await hana.send(action="history-clear")
    await hana.wait_for(lambda t: "Your DM history is erased (2 messages)." in t)
    assert api(chat, "usernames", JWTToken=token(hana_name))[1]["Count"] == 0
    assert api(chat, "usernames", JWTToken=token(ivan_name))[1]["Usernames"] == [jo_name]  # hana's side is gone

    assert api(chat, "clear", APIKey="wrong", Username=ivan_name) == (
        403,
        {"OK": False, "Error": "Authentication denied.", "MessagesErased": 0},
    )
    assert api(chat, "clear", APIKey=ADMIN_KEY, Username=ivan_name) == (200, {"OK": True, "MessagesErased": 1})
    assert api(chat, "clear", JWTToken=token(jo_name)) == (200, {"OK": True, "MessagesErased": 0})
    plain = httpx.post(f"{chat.url}/api/message/clear", content="APIKey=x", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 400 and plain.json()["Error"] == "Only application/json content-types allowed"


async def test_messages_past_the_retention_are_erased_at_start_up(database: str, tmp_path: Path) -> None:
    now = int(time.time() * 1000)
    async with running_store(database, retention_days=0) as store:
        store.record(
            StoredMessage(message_id="m-old", sender="kim", recipient="lee", text="old", sent_at=now - 40 * DAY_MS)
        )
        store.record(StoredMessage(message_id="m-new", sender="kim", recipient="lee", text="new", sent_at=now - DAY_MS))
        while store.waiting:
            await asyncio.sleep(0.02)
    with running_server(tmp_path, **history_settings(database, RetentionDays=30)) as server:
        await eventually(lambda: saved_texts(server, "kim", "lee") == ["<p>new</p>"])
        assert "erased 1 DMs older than 30 days" in server.log()


def test_history_is_off_unless_enabled(tmp_path: Path) -> None:
    with running_server(tmp_path, JWT={"Enabled": True, "Strict": False, "SecretKey": SECRET}) as server:
        status, body = api(server, "usernames", JWTToken=token("kim"))
        assert status == 400 and body["OK"] is False
        assert body["Error"] == "Direct message history is not enabled on this server."
        assert not list(tmp_path.glob("*.sqlite3"))


def test_postgres_binaries_are_found_in_ci() -> None:
    need("PostgreSQL", postgres_binaries() is not None)
    assert PostgresServer is not None
