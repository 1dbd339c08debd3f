"""Messages people can act on, through the real server and real sockets, on both brokers
(issue 15): take back, reactions, history on entering, mentions, typing, and bad frames."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.chat.model import dom_key
from tests.conftest import redis_settings
from tests.support import ChatClient, RedisServer, Server, running_server, write_settings
from tests.tokens import SECRET, token


@pytest.fixture(scope="module", params=["memory", "redis"])
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    settings: dict[str, object] = {"JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET}}
    if request.param == "redis":
        settings["Redis"] = redis_settings(request.getfixturevalue("shared_redis"))
    with running_server(tmp_path_factory.mktemp("actions"), **settings) as running:
        yield running


def message_id(text: str, needle: str) -> str:
    """The id of the message whose text holds `needle`, from what a client received."""
    found = re.findall(r'<article id="m-([0-9a-z]{26})"[^>]*>(?:(?!</article>).)*?' + re.escape(needle), text, re.S)
    assert found, f"no message with {needle!r}"
    return str(found[-1])


def reactions_of(mid: str, text: str) -> str:
    """The last reactions list a client received for message `mid`."""
    lists = re.findall(rf'<ul id="r-{mid}"[^>]*>.*?</ul>', text, re.S)
    return str(lists[-1]) if lists else ""


def chip(emoji: str, count: int, *names: str) -> re.Pattern[str]:
    keys = " ".join(dom_key(name) for name in names)
    return re.compile(
        rf'data-emoji="{re.escape(emoji)}\ufe0f?" data-by="{keys}"[^>]*>.*?reaction-count">{count}</span>'
        rf'<span class="reaction-who" role="tooltip">{re.escape(", ".join(names))}</span>',
        re.S,
    )


async def seen(client: ChatClient, check: Callable[[str], object], timeout: float = 5.0) -> None:
    """Wait until everything `client` received, taken together, passes `check`."""
    await client.wait_for(lambda _: check(client.text()), timeout)


async def notice(client: ChatClient, words: str) -> str:
    return await client.wait_for(lambda t: "#notices" in t and words in html.unescape(t))


async def test_take_back_own_message_and_an_operator_takes_back_anyones(server: Server) -> None:
    ann, ben = [await ChatClient.join(server.url, n) for n in ("ann", "ben")]
    mod = await ChatClient.join_with_token(server.url, token("mod", op=True))
    await ann.say("oops, wrong window")
    mid = message_id(await ben.wait_for(lambda t: "wrong window" in t), "wrong window")
    await ann.send(action="takeback", id=mid)
    for client in (ann, ben, mod):
        gone = await client.wait_for(lambda t: f'id="m-{mid}" hx-swap-oob="delete"' in t)
        assert "taken back" not in gone  # one's own: gone without a trace

    await ben.say("something rude")
    rude = message_id(await ann.wait_for(lambda t: "something rude" in t), "something rude")
    await ann.send(action="takeback", id=rude)
    assert "only take back your own" in await notice(ann, "You can only take back your own messages.")
    await mod.send(action="takeback", id=rude)
    for client in (ann, ben, mod):
        placeholder = await client.wait_for(lambda t: f'id="m-{rude}"' in t and "outerHTML" in t)
        assert "Message taken back by an operator." in placeholder and "something rude" not in placeholder
    await mod.send(action="takeback", id=rude)
    await notice(mod, "no longer here")
    assert "took back a message of 'ben'" in server.log()


async def test_a_dm_taken_back_goes_from_its_two_people_only(server: Server) -> None:
    cat, dan, eve = [await ChatClient.join(server.url, n) for n in ("cat", "dan", "eve")]
    await cat.say("between us", channel="@dan")
    mid = message_id(await dan.wait_for(lambda t: "between us" in t), "between us")
    await eve.send(action="takeback", id=mid)
    await notice(eve, "no longer here")  # not hers to see, so not hers to touch
    await eve.send(action="react", id=mid, emoji="👍")
    await notice(eve, "can no longer be reacted to")
    since = len(eve.frames)
    await cat.send(action="takeback", id=mid)
    for client in (cat, dan):
        await client.wait_for(lambda t: f'id="m-{mid}" hx-swap-oob="delete"' in t)
    await eve.quiet()
    assert mid not in "".join(eve.frames[since:])


async def test_two_people_toggle_reactions_and_everyone_sees_the_same_counts(server: Server) -> None:
    fay, gus, hal = [await ChatClient.join(server.url, n) for n in ("fay", "gus", "hal")]
    await fay.say("pizza tonight?")
    mid = message_id(await hal.wait_for(lambda t: "pizza tonight" in t), "pizza tonight")
    await gus.send(action="react", id=mid, emoji="👍")
    await hal.wait_for(lambda _: chip("👍", 1, "gus").search(reactions_of(mid, hal.text())))
    await hal.send(action="react", id=mid, emoji="👍")
    await hal.send(action="react", id=mid, emoji="🎉")
    for client in (fay, gus, hal):
        await seen(
            client,
            lambda text: (
                chip("🎉", 1, "hal").search(reactions_of(mid, text))
                and chip("👍", 2, "gus", "hal").search(reactions_of(mid, text))
            ),
        )
    await gus.send(action="react", id=mid, emoji="👍")  # toggled off again
    for client in (fay, gus, hal):
        await seen(client, lambda text: chip("👍", 1, "hal").search(reactions_of(mid, text)))
    await hal.send(action="react", id=mid, emoji="👍\ufe0f")  # the same emoji, spelled with a selector
    for client in (fay, gus, hal):
        await seen(client, lambda text: 'data-emoji="👍' not in reactions_of(mid, text))
        assert chip("🎉", 1, "hal").search(reactions_of(mid, client.text()))


async def test_a_newcomer_sees_the_last_ten_lobby_messages_without_taken_back_ones(server: Server) -> None:
    ivy = await ChatClient.join(server.url, "ivy")
    for number in range(1, 13):
        await ivy.say(f"history line {number}.")
    await ivy.say("elsewhere, not echoed.", channel="offtopic")
    frame = await ivy.wait_for(lambda t: "history line 12." in t)
    ten = message_id(ivy.text(), "history line 10.")
    await ivy.send(action="react", id=message_id(frame, "history line 12."), emoji="🔥")
    await ivy.wait_for(lambda t: f'<ul id="r-{message_id(frame, "history line 12.")}"' in t)
    await ivy.send(action="takeback", id=ten)
    await ivy.wait_for(lambda t: f'id="m-{ten}" hx-swap-oob="delete"' in t)
    jon = await ChatClient.join(server.url, "jon")
    echo = await jon.wait_for(lambda t: "history line 12." in t)
    assert 'beforeend:#log-lobby"' in echo and "data-echo" in echo
    for number in (2, 3, 4, 5, 6, 7, 8, 9, 11, 12):
        assert f"history line {number}." in echo
    assert "history line 1." not in echo and "history line 10." not in echo
    assert "not echoed" not in jon.text()
    assert chip("🔥", 1, "ivy").search(echo)  # with the reactions as they are now


async def test_a_mention_names_its_person_for_their_page_only(server: Server) -> None:
    kim, lou, max_ = [await ChatClient.join(server.url, n) for n in ("kim", "lou", "max")]
    await kim.say("@Lou look at this, and @nobody here, `@max` in code")
    frame = await max_.wait_for(lambda t: "look at this" in t)
    assert f'data-mentions="{dom_key("lou")}"' in frame
    assert f'<span class="mention" data-mention="{dom_key("lou")}">@Lou</span>' in frame
    assert "@nobody" in frame and f'data-mention="{dom_key("max")}"' not in frame
    assert frame == await lou.wait_for(lambda t: "look at this" in t)  # one fragment for everyone
    # Each page highlights only mentions of its own person.
    lou_page = await page_of(server, lou)
    assert f'.msg[data-mentions~="{dom_key("lou")}"]' in lou_page
    assert f'data-mentions~="{dom_key("max")}"' not in lou_page
    await kim.say("@here lunch")
    assert 'data-mentions="here"' in await max_.wait_for(lambda t: "lunch" in t)


async def page_of(server: Server, client: ChatClient) -> str:
    async with httpx.AsyncClient(base_url=server.url, cookies={"barertc_session": client.cookie}) as http:
        return (await http.get("/")).text


async def test_typing_is_shown_to_the_others_and_cleared_by_sending(server: Server) -> None:
    nia, oz, pam = [await ChatClient.join(server.url, n) for n in ("nia", "oz", "pam")]
    await nia.send(action="typing", channel="lobby")
    shown = await oz.wait_for(lambda t: "is typing" in t)
    assert 'innerHTML:#typing-log-lobby"' in shown and "<strong>nia</strong> is typing…" in shown
    await pam.send(action="typing", channel="lobby")
    both = await oz.wait_for(lambda t: "are typing" in t)
    assert "<strong>nia</strong> and <strong>pam</strong> are typing…" in both
    assert "<strong>pam</strong> is typing…" in await nia.wait_for(lambda t: "pam</strong> is typing" in t)
    await nia.say("done typing")
    await oz.wait_for(lambda t: 'innerHTML:#typing-log-lobby"><strong>pam</strong> is typing…</div>' in t)
    await pam.send(action="typing", channel="lobby", active=False)
    await oz.wait_for(lambda t: 'innerHTML:#typing-log-lobby"></div>' in t)
    # A DM's typing goes to its one other person, in their thread with the typist.
    await oz.send(action="thread", username="nia")
    await nia.say("hi oz", channel="@oz")
    await oz.wait_for(lambda t: "hi oz" in t)
    since = len(pam.frames)
    await nia.send(action="typing", channel="@oz")
    await oz.wait_for(lambda t: f"innerHTML:#typing-log-dm-{dom_key('nia')}" in t and "nia</strong> is typing" in t)
    await pam.quiet()
    assert "typing-log-dm" not in "".join(pam.frames[since:])
    await nia.leave()
    await oz.wait_for(lambda t: f'innerHTML:#typing-log-dm-{dom_key("nia")}"></div>' in t)


async def test_each_bad_frame_is_refused_with_its_message(server: Server) -> None:
    quinn = await ChatClient.join(server.url, "quinn")
    await quinn.say("mine to keep")
    mid = message_id(await quinn.wait_for(lambda t: "mine to keep" in t), "mine to keep")
    refusals: list[tuple[dict[str, object], str]] = [
        ({"action": "takeback"}, "The 'takeback' frame is missing the field 'id'."),
        ({"action": "takeback", "id": 7}, "The field 'id' of 'takeback' must be a str."),
        ({"action": "takeback", "id": "../../etc"}, "That is not a message id."),
        ({"action": "takeback", "id": "0" * 26}, "no longer here"),
        ({"action": "react", "id": mid}, "The 'react' frame is missing the field 'emoji'."),
        ({"action": "react", "id": mid, "emoji": "<b>x</b>"}, "You can react with an emoji only."),
        ({"action": "react", "id": "0" * 26, "emoji": "👍"}, "can no longer be reacted to"),
        ({"action": "typing", "channel": "nowhere"}, "There is no channel 'nowhere'."),
        ({"action": "typing", "channel": "lobby", "active": "maybe"}, "The field 'active' of 'typing' must be a bool."),
    ]
    for frame, words in refusals:
        await quinn.send(**frame)
        said = await notice(quinn, words)
        assert 'data-level="error"' in said, words
    for _ in range(12):
        await quinn.send(action="react", id=mid, emoji="👍")
    await notice(quinn, "You are reacting too fast")


def test_a_message_may_collect_a_limited_number_of_different_reactions(tmp_path: Path) -> None:
    async def run(server: Server) -> None:
        rob = await ChatClient.join(server.url, "rob")
        await rob.say("react to me")
        mid = message_id(await rob.wait_for(lambda t: "react to me" in t), "react to me")
        for emoji in ("👍", "🎉", "🔥"):
            await rob.send(action="react", id=mid, emoji=emoji)
        await notice(rob, "That message already has 2 different reactions.")
        await rob.leave()

    with running_server(tmp_path, Reactions={"MaxPerMessage": 2}) as server:
        asyncio.run(run(server))


@pytest.mark.redis
def test_reactions_take_backs_and_history_cross_processes(tmp_path: Path, shared_redis: RedisServer) -> None:
    """Two processes on one Redis: reactions sent at once on both end with the same counts on
    both, a take-back on one reaches the other, and a newcomer on either sees the same history."""
    path = write_settings(tmp_path / "settings.toml", Redis=redis_settings(shared_redis))
    one, two = Server(path).start(), Server(path).start()

    async def run() -> None:
        ada = await ChatClient.join(one.url, "ada")
        bo = await ChatClient.join(two.url, "bo")
        await ada.wait_for(lambda t: 'id="who-' + dom_key("bo") + '"' in t)
        await ada.say("across the wire")
        mid = message_id(await bo.wait_for(lambda t: "across the wire" in t), "across the wire")
        for emoji in ("👍", "🎉", "🔥", "😂"):
            await asyncio.gather(
                ada.send(action="react", id=mid, emoji=emoji), bo.send(action="react", id=mid, emoji=emoji)
            )
        for client in (ada, bo):
            await seen(client, lambda text: reactions_of(mid, text).count('reaction-count">2<') == 4, timeout=10)
        assert reactions_of(mid, ada.text()) == reactions_of(mid, bo.text())
        await bo.say("from the other side")
        other = message_id(await ada.wait_for(lambda t: "from the other side" in t), "from the other side")
        await bo.send(action="takeback", id=other)
        await ada.wait_for(lambda t: f'id="m-{other}" hx-swap-oob="delete"' in t)
        cy = await ChatClient.join(one.url, "cy")
        echo = await cy.wait_for(lambda t: "across the wire" in t)
        assert "from the other side" not in echo
        assert reactions_of(mid, echo) == reactions_of(mid, ada.text()).replace(' hx-swap-oob="outerHTML"', "")
        for client in (ada, bo, cy):
            await client.leave()

    try:
        asyncio.run(run())
    finally:
        one.stop()
        two.stop()
