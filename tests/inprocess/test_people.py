"""People through the real application, on both brokers (issue 17): mute, block,
do-not-disturb, statuses, moderation rules from the JWT, VIP channels, profile cards and the
Kick and Ban dialogs. What is asserted is what each person's browser receives, or never
receives. Across two processes on Redis: tests/integration/test_people_processes.py.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from markupsafe import escape

from app.chat.model import dom_key
from app.settings import Channel, JWTSettings
from tests.inprocess.chat import InProcessChat, InProcessClient
from tests.inprocess.conftest import settings_for
from tests.tokens import SECRET, token

CHANNELS = (
    Channel(id="lobby", name="Lobby", echo_messages_on_join=10),
    Channel(
        id="vip", name="VIP lounge", vip=True, welcome_messages=("Welcome to the lounge",), echo_messages_on_join=5
    ),
)


@pytest.fixture
async def chat(broker: str, request: pytest.FixtureRequest) -> AsyncIterator[InProcessChat]:
    """Guests and the site's members together, NSFW cameras allowed, and a VIP channel."""
    settings = dataclasses.replace(
        settings_for(broker, request),
        jwt=JWTSettings(enabled=True, strict=False, secret_key=SECRET),
        permit_nsfw=True,
        public_channels=CHANNELS,
    )
    async with InProcessChat.running(settings) as running:
        yield running


def row(name: str) -> str:
    return f'id="who-{dom_key(name)}"'


def row_of(name: str, text: str) -> str:
    """The last who-list row of `name` in `text` (a replaced or inserted one)."""
    found = re.findall(rf"<li {re.escape(row(name))}.*?</li>", text, re.S)
    assert found, f"no row of {name}"
    return str(found[-1])


def said(text: str) -> str:
    return str(escape(text))


async def join_all(chat: InProcessChat, *names: str) -> list[InProcessClient]:
    clients = [await chat.join(name) for name in names]
    for client in clients:
        await sees_everyone(client, names)
    return clients


async def sees_everyone(client: InProcessClient, names: tuple[str, ...]) -> None:
    await client.wait_for(lambda _: all(row(name) in client.text() for name in names))


async def member(chat: InProcessChat, name: str, **claims: Any) -> InProcessClient:
    """A member of the site, arriving with a token that carries `claims`."""
    browser = chat.browser()
    response = await browser.post("/", form={"jwt": token(name, **claims)})
    assert response.status_code == 303, await response.get_data(as_text=True)
    client = InProcessClient(browser, name)
    chat.clients.append(client)
    await client.connect()
    await client.wait_for(lambda text: 'id="who-list"' in text)
    return client


async def get(client: InProcessClient, path: str) -> str:
    """A page or API answer, as this person's browser gets it (their session cookie)."""
    response = await client.client.get(path)
    return str(await response.get_data(as_text=True))


async def notice(client: InProcessClient, words: str, *, since: int = 0) -> str:
    return await client.wait_for(lambda t: "#notices" in t and said(words) in t, since=since)


async def after_a_marker(sender: InProcessClient, *readers: InProcessClient) -> None:
    """Everything sent before this has reached `readers` (one bus, one order) once they get it."""
    marker = f"marker-{id(sender)}-{len(sender.frames)}"
    await sender.say(marker)
    for reader in readers:
        await reader.wait_for(lambda t: marker in t)


async def camera_on(client: InProcessClient) -> None:
    await client.send(action="me", camera="on")
    await client.wait_for(lambda t: f'aria-label="Watch {client.name}"' in t)


def signals(client: InProcessClient) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in client.frames if frame.startswith("{")]


# --- mute -------------------------------------------------------------------------------


async def test_mute_hides_their_messages_and_dms_from_me_and_my_camera_from_them(chat: InProcessChat) -> None:
    alma, bert, cleo = await join_all(chat, "alma", "bert", "cleo")
    await camera_on(alma)
    await bert.wait_for(lambda t: 'aria-label="Watch alma"' in t)
    mark = len(bert.frames)
    await alma.send(action="mute", username="bert")
    await notice(alma, "You muted bert")
    # bert sees alma's camera go, as if she had turned it off, and is told nothing.
    replaced = await bert.wait_for(lambda t: row("alma") in t and 'hx-swap-oob="outerHTML"' in t, since=mark)
    assert "Watch alma" not in row_of("alma", replaced) and 'id="who-cameras"' in replaced
    assert "Watch alma" in row_of("alma", cleo.text())
    # alma's list marks bert muted, with a way back.
    assert "Unmute bert" in row_of("bert", await alma.wait_for(lambda t: "Unmute bert" in t))

    await bert.say("bert speaking")
    await bert.say("psst alma", channel="@alma")
    await cleo.wait_for(lambda t: "bert speaking" in t)
    await bert.wait_for(lambda t: "psst alma" in t)  # bert sees his own DM as sent
    await after_a_marker(cleo, alma)
    assert "bert speaking" not in alma.text() and "psst alma" not in alma.text()

    await alma.say("alma to bert", channel="@bert")  # one way: bert still hears alma
    await bert.wait_for(lambda t: "alma to bert" in t)
    await bert.send(action="open", username="alma")
    await notice(bert, "alma is not sharing a camera right now.")
    assert {"signal": "hangup", "username": "alma", "feed": "alma", "reason": "refused"} in signals(bert)
    assert not any(frame.get("signal") == "ring" for frame in signals(alma))
    assert "mute" not in "".join(frame for frame in bert.frames if "#notices" in frame)


async def test_a_mute_holds_across_a_reconnect_and_unmute_lifts_it(chat: InProcessChat) -> None:
    dora, emil = await join_all(chat, "dora", "emil")
    await dora.send(action="mute", username="emil")
    await notice(dora, "You muted emil")
    await dora.leave()
    await dora.connect()  # the same session, a new socket
    await dora.wait_for(lambda t: "Unmute emil" in t)  # in her new list, emil still marked muted
    await emil.say("still muted?")
    await after_a_marker(dora, dora)
    assert "still muted?" not in dora.text()
    await dora.send(action="unmute", username="emil")
    await notice(dora, "You unmuted emil.")
    await emil.say("heard again")
    await dora.wait_for(lambda t: "heard again" in t)


async def test_what_was_said_before_and_who_is_typing_follow_my_mutes(chat: InProcessChat) -> None:
    eli, fox, gil = await join_all(chat, "eli", "fox", "gil")
    await eli.send(action="mute", username="fox")
    await notice(eli, "You muted fox")
    await eli.leave()
    await fox.say("fox said this while eli was away")
    await gil.say("gil said this")
    await gil.wait_for(lambda t: "fox said this" in t)
    await eli.connect()  # the history on entering leaves out whom she muted
    await eli.wait_for(lambda t: "gil said this" in t and "data-echo" in t)
    assert "fox said this" not in eli.text()
    await fox.send(action="typing", channel="lobby")
    await gil.wait_for(lambda t: "<strong>fox</strong> is typing" in t)
    await gil.send(action="typing", channel="lobby")
    await eli.wait_for(lambda t: "<strong>gil</strong> is typing" in t)
    assert "<strong>fox</strong>" not in eli.text()  # not "fox and gil are typing" either


# --- block ------------------------------------------------------------------------------


async def test_a_block_hides_both_people_from_each_other_everywhere(chat: InProcessChat) -> None:
    fay, gus, hal = await join_all(chat, "fay", "gus", "hal")
    await camera_on(gus)
    await fay.send(action="thread", username="gus")
    await fay.wait_for(lambda t: f'id="log-dm-{dom_key("gus")}"' in t)
    fay_mark, gus_mark = len(fay.frames), len(gus.frames)
    await fay.send(action="block", username="gus")
    await notice(fay, "You blocked gus")
    gone_for_fay = await fay.wait_for(lambda t: f'{row("gus")} hx-swap-oob="delete"' in t, since=fay_mark)
    assert '<span id="who-count" hx-swap-oob="true">2</span>' in gone_for_fay
    assert '<span id="who-cameras" hx-swap-oob="true">0</span>' in gone_for_fay
    assert f'id="dm-tab-{dom_key("gus")}" hx-swap-oob="delete"' in fay.text()
    gone_for_gus = await gus.wait_for(lambda t: f'{row("fay")} hx-swap-oob="delete"' in t, since=gus_mark)
    assert '<span id="who-count" hx-swap-oob="true">2</span>' in gone_for_gus

    await gus.say("gus in the lobby")
    await fay.say("fay in the lobby")
    await hal.wait_for(lambda t: "gus in the lobby" in t and "fay in the lobby" in hal.text())
    await after_a_marker(hal, fay, gus)
    assert "gus in the lobby" not in fay.text() and "fay in the lobby" not in gus.text()
    await gus.say("hi fay", channel="@fay")
    await notice(gus, "fay is not in the room; your message was not sent.")
    await fay.send(action="open", username="gus")
    await notice(fay, "gus is not in the room.")
    await gus.send(action="profile", username="fay")
    await notice(gus, "fay is not in the room.")

    # Statistics as each of them sees the room; anonymous callers see everyone.
    seen_by_gus = json.loads(await get(gus, "/api/statistics"))
    assert seen_by_gus["Usernames"] == ["gus", "hal"] and seen_by_gus["Cameras"] == {"Blue": 1, "Red": 0}
    seen_by_fay = json.loads(await get(fay, "/api/statistics"))
    assert seen_by_fay == {"UserCount": 2, "Usernames": ["fay", "hal"], "Cameras": {"Blue": 0, "Red": 0}}
    anonymous = json.loads(await (await chat.browser().get("/api/statistics")).get_data(as_text=True))
    assert anonymous["Usernames"] == ["fay", "gus", "hal"]

    # A reconnect of either keeps it: neither is in the other's fresh list, nor in the page.
    fay_mark = len(fay.frames)
    await gus.leave()
    await gus.connect()
    await gus.wait_for(lambda t: '<span id="who-count" hx-swap-oob="true">2</span>' in t)  # after the list
    assert row("fay") not in gus.text() and row("hal") in gus.text()
    page = await get(gus, "/")
    assert row("fay") not in page and row("hal") in page
    await hal.wait_for(lambda t: "<strong>gus</strong> has joined" in t)
    await after_a_marker(hal, fay)
    assert row("gus") not in "".join(fay.frames[fay_mark:]) and "gus</strong> has" not in "".join(fay.frames[fay_mark:])

    await fay.send(action="unblock", username="gus")
    await notice(fay, "You unblocked gus.")
    await fay.wait_for(lambda t: inserted(t, "gus"))
    await gus.wait_for(lambda t: inserted(t, "fay"))


def inserted(text: str, name: str) -> bool:
    """A frame that places `name`'s row in a list."""
    return f"<li {row(name)}" in text and ("beforebegin:#who-" in text or "beforeend:#who-list" in text)


async def test_operators_cannot_be_blocked_and_a_mutes_camera_rule_spares_them(chat: InProcessChat) -> None:
    olga = await member(chat, "olga", op=True)
    (ivan,) = await join_all(chat, "ivan")
    await olga.wait_for(lambda t: row("ivan") in t)
    await ivan.send(action="block", username="olga")
    await notice(ivan, "olga is an operator: operators cannot be blocked on this chat.")
    await camera_on(ivan)
    await ivan.send(action="mute", username="olga")
    await notice(ivan, "You muted olga")
    await olga.send(action="open", username="ivan")  # an operator still sees a camera that muted them
    ring = await ivan.wait_for(lambda t: t.startswith("{") and '"ring"' in t)
    assert json.loads(ring)["username"] == "olga"


# --- do not disturb -----------------------------------------------------------------------


async def test_ignore_unsolicited_messages_refuses_a_new_conversation_but_not_an_operator(chat: InProcessChat) -> None:
    jan, kim = await join_all(chat, "jan", "kim")
    await kim.send(action="dnd", on="on")
    await notice(kim, "Now only people you already talk to can send you direct messages.")
    await jan.say("hello kim", channel="@kim")
    await notice(jan, "kim is not taking new conversations right now; your message was not sent.")
    mark = len(jan.frames)
    await jan.send(action="thread", username="kim")
    await notice(jan, "kim is not taking new conversations right now.", since=mark)
    oz = await member(chat, "oz", op=True)
    await oz.say("operator here", channel="@kim")
    await kim.wait_for(lambda t: "operator here" in t)
    await kim.say("hi jan", channel="@jan")  # kim starts it: now jan may answer
    await jan.wait_for(lambda t: "hi jan" in t)
    await jan.say("thanks kim", channel="@kim")
    await kim.wait_for(lambda t: "thanks kim" in t)
    await kim.send(action="dnd")  # the checkbox unticked: no value
    await notice(kim, "Now anyone can send you direct messages.")


# --- statuses -------------------------------------------------------------------------------


async def test_a_status_and_going_idle_show_in_every_who_list(chat: InProcessChat) -> None:
    lou, max_ = await join_all(chat, "lou", "max")

    async def lou_row_after(frame: dict[str, Any]) -> str:
        """lou's row as max gets it once lou has sent `frame`."""
        mark = len(max_.frames)
        await lou.send(**frame)
        return row_of("lou", await max_.wait_for(lambda t: f"<li {row('lou')}" in t, since=mark))

    assert 'aria-label="Busy"' in await lou_row_after({"action": "status", "status": "busy"})
    assert 'aria-label="Busy"' not in await lou_row_after({"action": "status", "status": "online"})
    assert 'aria-label="Away"' in await lou_row_after({"action": "idle", "idle": True})
    assert 'role="img"' not in await lou_row_after({"action": "idle", "idle": False})
    await lou.send(action="status", status="sleeping")
    await notice(lou, "There is no status 'sleeping'.")
    assert 'aria-label="Be right back"' in await lou_row_after({"action": "status", "status": "brb"})
    await lou.leave()
    await lou.connect()  # the chosen status belongs to the sign-in
    await lou.wait_for(lambda t: 'aria-label="Be right back"' in t and f"<li {row('lou')}" in t)
    assert 'value="brb" selected' in await get(lou, "/")


# --- the site's rules ---------------------------------------------------------------------


async def test_the_sites_rules_are_enforced_on_the_server(chat: InProcessChat) -> None:
    shy = await member(chat, "shy", rules=["nobroadcast"])
    await shy.send(action="me", camera="on")
    await notice(shy, "A moderation rule of the website keeps you from sharing your webcam here.")
    page = await get(shy, "/")
    assert re.search(r'id="webcam-start"[^>]* disabled', page)

    red = await member(chat, "red", rules=["redcam", "noimage"])
    await red.send(action="me", camera="on")
    tagged = await red.wait_for(lambda t: 'aria-label="Watch red"' in t)
    assert "is-nsfw" in row_of("red", tagged)

    blind = await member(chat, "blind", rules=["novideo"])
    await blind.send(action="open", username="red")
    await notice(blind, "A moderation rule of the website keeps you from watching webcams here.")
    await blind.send(action="me", camera="on")
    await notice(blind, "keeps you from sharing your webcam here.")
    assert not any(frame.get("signal") == "ring" for frame in signals(red))


async def test_nick_vip_emoji_and_gender_show_in_the_row_and_the_card(chat: InProcessChat) -> None:
    await member(chat, "vera", nick="Vera V.", vip=True, emoji="🇫🇷", gender="female")
    (nils,) = await join_all(chat, "nils")
    listed = row_of("vera", await nils.wait_for(lambda t: row("vera") in t))
    assert ">Vera V.</button>" in listed and 'title="vera"' in listed and "g-f" in listed
    assert "🇫🇷" in listed and "vip-badge" in listed
    await nils.send(action="profile", username="vera")
    card = await nils.wait_for(lambda t: 'id="profile-card-body"' in t)
    assert 'data-username="vera"' in card and "Vera V." in card and "VIP" in card and "Send a message" in card
    assert "Kick" not in card  # not an operator


# --- VIP channels -------------------------------------------------------------------------


async def test_a_vip_channel_is_invisible_and_undeliverable_to_everyone_else(chat: InProcessChat) -> None:
    vic = await member(chat, "vic", vip=True)
    (pat,) = await join_all(chat, "pat")
    oda = await member(chat, "oda", op=True)
    assert "Welcome to the lounge" in vic.text() and "Welcome to the lounge" in oda.text()
    assert "Welcome to the lounge" not in pat.text()
    page = await get(pat, "/")
    assert 'id="log-vip"' not in page and "VIP lounge" not in page
    assert 'id="log-vip"' in await get(vic, "/")
    await vic.say("lounge talk", channel="vip")
    said = await oda.wait_for(lambda t: "lounge talk" in t)
    message_id = re.search(r'data-id="([0-9a-z]{26})"', said)
    assert message_id
    await oda.send(action="react", id=message_id.group(1), emoji="👍")  # its reactions stay in the lounge
    await vic.wait_for(lambda t: f'id="r-{message_id.group(1)}"' in t)
    await vic.send(action="typing", channel="vip")  # and so does who is typing there
    await oda.wait_for(lambda t: "<strong>vic</strong> is typing" in t)
    await pat.say("may I?", channel="vip")
    await notice(pat, "There is no channel 'vip'.")
    mark = len(pat.frames)
    await pat.send(action="typing", channel="vip")
    await notice(pat, "There is no channel 'vip'.", since=mark)
    await after_a_marker(vic, pat)
    assert "lounge talk" not in pat.text() and message_id.group(1) not in pat.text()
    assert "is typing" not in pat.text()
    (ned,) = await join_all(chat, "ned")  # nor does the lounge's history reach a newcomer
    await ned.wait_for(lambda t: 'id="who-count"' in t)
    assert "lounge talk" not in ned.text()
    ula = await member(chat, "ula", vip=True)
    await ula.wait_for(lambda t: "lounge talk" in t and "data-echo" in t)


# --- profile cards and the operator's dialogs -----------------------------------------------


async def test_the_card_and_the_kick_and_ban_dialogs(chat: InProcessChat) -> None:
    boss = await member(chat, "boss", op=True)
    rex, sam = await join_all(chat, "rex", "sam")
    await boss.send(action="profile", username="rex")
    card = await boss.wait_for(lambda t: 'id="profile-card-body"' in t and 'data-username="rex"' in t)
    assert "Kick rex" in card and "Ban rex" in card and 'max="96"' in card
    await sam.send(action="kick", username="rex", reason="just testing")
    await notice(sam, "Only operators may kick people.")
    await boss.send(action="ban", username="rex", hours="200", reason="")
    await notice(boss, "A ban from the dialog lasts 1 to 96 hours.")
    await boss.send(action="kick", username="rex", reason="  shouting\nin caps ")
    await notice(boss, "rex has been kicked.")
    code, _ = await rex.wait_closed()
    assert code == 4000
    assert "You have been kicked from the chat by boss: shouting in caps" in rex.text()
    await boss.send(action="ban", username="sam", hours="2", reason="spam")
    await notice(boss, "sam has been banned for 2 hours.")
    assert (await sam.wait_closed())[0] == 4001
    assert "for 2 hours: spam" in sam.text()
    await boss.say("/unban sam")
    await notice(boss, "sam is no longer banned.")


async def test_after_people_who_muted_and_blocked_leave_nothing_of_them_is_left(chat: InProcessChat) -> None:
    yan, zoe, abe = await join_all(chat, "yan", "zoe", "abe")
    await yan.send(action="mute", username="zoe")
    await zoe.send(action="block", username="abe")
    await notice(yan, "You muted zoe")
    await notice(zoe, "You blocked abe")
    await yan.say("hello", channel="@abe")
    await abe.wait_for(lambda t: "hello" in t)
    room = chat.state.room
    assert room.table_sizes()["blocked pairs"] == 2 and room.table_sizes()["conversations"] == 2
    for person in (yan, zoe, abe):
        await person.leave()
    for _ in range(50):
        if not any(room.table_sizes().values()):
            break
        await yan.quiet(0.05)
    assert room.table_sizes() == dict.fromkeys(room.table_sizes(), 0)


async def test_who_reacted_leaves_out_someone_blocked_with_the_viewer(chat: InProcessChat) -> None:
    ida, jon, kim = await join_all(chat, "ida", "jon", "kim")
    await ida.send(action="block", username="jon")
    await notice(ida, "You blocked jon")
    await kim.say("a message of kim's")
    posted = await kim.wait_for(lambda t: "a message of kim" in t and 'data-id="' in t)
    message_id = re.search(r'data-id="([^"]+)"', posted)
    assert message_id is not None
    # One after the other: two sockets' frames sent at once reach the room in either order.
    await jon.send(action="react", id=message_id.group(1), emoji="👍")
    await kim.wait_for(lambda t: 'class="reaction-count">1<' in t and ">jon<" in t)
    await kim.send(action="react", id=message_id.group(1), emoji="👍")
    both = lambda t: 'class="reaction-count">2<' in t and "jon, kim" in t  # noqa: E731
    await kim.wait_for(both)
    update = f'<ul id="r-{message_id.group(1)}"'
    seen_by_ida = await ida.wait_for(lambda t: update in t and 'hx-swap-oob="outerHTML"' in t and ">kim<" in t)
    assert 'class="reaction-count">1<' in seen_by_ida and "jon" not in seen_by_ida
    await after_a_marker(kim, ida)
    assert "jon, kim" not in ida.text()
