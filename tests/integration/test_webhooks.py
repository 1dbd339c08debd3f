"""The host website's webhooks, received by a real local HTTP server, on both brokers: people's
reports of messages, the reports of /nsfw and of message filters, a website that fails or hangs;
and the message filters themselves."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.chat.website import REASONS
from tests.conftest import redis_settings
from tests.support import ChatClient, Server, WebhookReceiver, running_server
from tests.tokens import SECRET, token

ADMIN_KEY = "admin-key-for-webhooks-" + "w" * 32
FILTERS = [
    {  # censored in channels, delivered anyway; not applied to DMs
        "Enabled": True,
        "PublicChannels": True,
        "PrivateChannels": False,
        "KeywordPhrases": [r"\bdarn\b"],
        "CensorMessage": True,
        "ForwardMessage": True,
    },
    {  # held back, answered and reported, everywhere
        "Enabled": True,
        "KeywordPhrases": [r"(?i)buy followers"],
        "ForwardMessage": False,
        "ReportMessage": True,
        "ChatServerResponse": "Watch your language.",
    },
]


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture(scope="module", params=["memory", "redis"])
def chat(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, receiver: WebhookReceiver
) -> Iterator[Server]:
    settings: dict[str, Any] = {
        "AdminAPIKey": ADMIN_KEY,
        "PermitNSFW": True,
        "JWT": {"Enabled": True, "Strict": False, "SecretKey": SECRET},
        "WebhookURLs": [{"Name": "report", "Enabled": True, "URL": receiver.url("/report"), "TimeoutSeconds": 20}],
        "MessageFilters": FILTERS,
    }
    if request.param == "redis":
        settings["Redis"] = redis_settings(request.getfixturevalue("shared_redis"))
    with running_server(tmp_path_factory.mktemp("hooks"), **settings) as running:
        yield running


@pytest.fixture(autouse=True)
def website_answers(receiver: WebhookReceiver) -> Iterator[None]:
    receiver.status = 200
    yield
    receiver.release()
    receiver.calls.clear()


def message_id(text: str, needle: str) -> str:
    found = re.findall(r'<article id="m-([0-9a-z]{26})"[^>]*>(?:(?!</article>).)*?' + re.escape(needle), text, re.S)
    assert found, f"no message with {needle!r}"
    return str(found[-1])


async def notice(client: ChatClient, words: str) -> str:
    return html.unescape(await client.wait_for(lambda t: "#notices" in t and words in html.unescape(t)))


async def test_a_report_of_a_channel_message_reaches_the_website_with_its_context(
    chat: Server, receiver: WebhookReceiver
) -> None:
    alice = await ChatClient.join(chat.url, "alice")
    bob = await ChatClient.join(chat.url, "bob")
    await alice.say("hello bob")
    await bob.wait_for(lambda t: "hello bob" in t)
    await bob.say("you are **rubbish**")
    await alice.wait_for(lambda t: "rubbish" in t)
    assert 'class="report"' in alice.text() and 'title="Report"' in alice.text()
    reported = message_id(alice.text(), "rubbish")
    await alice.send(action="report", id=reported, reason=REASONS[1], comment="  rude to me  ")
    await notice(alice, "your report was sent to the website's moderators")
    (call,) = await receiver.wait_for("/report")
    report = call.pop("Report")
    assert call == {"Action": "report", "APIKey": ADMIN_KEY}
    assert set(report) == {"FromUsername", "AboutUsername", "Channel", "Timestamp", "Reason", "Message", "Comment"}
    assert (report["FromUsername"], report["AboutUsername"], report["Channel"]) == ("alice", "bob", "lobby")
    assert (report["Reason"], report["Comment"]) == (REASONS[1], "rude to me")
    assert abs(datetime.fromisoformat(report["Timestamp"]).timestamp() - datetime.now(UTC).timestamp()) < 60
    text, context = report["Message"].split("\n\nRecent message context:\n\n")
    assert text == "you are rubbish"
    assert re.search(r"\[alice\] hello bob\n\n.* \[bob\] you are rubbish$", context)

    for bad, words in (
        ({"id": message_id(alice.text(), "hello bob"), "reason": REASONS[0]}, "That is your own message"),
        ({"id": reported, "reason": "I do not like it"}, "Please choose one of the reasons"),
        ({"id": "0" * 26, "reason": REASONS[0]}, "no longer here"),
        ({"id": reported, "reason": REASONS[0], "comment": "x" * 1001}, "at most 1000"),
    ):
        await alice.send(action="report", **bad)
        await notice(alice, words)
    assert len(receiver.bodies("/report")) == 1


async def test_a_dm_report_carries_that_conversation_only(chat: Server, receiver: WebhookReceiver) -> None:
    dora = await ChatClient.join(chat.url, "dora")
    eve = await ChatClient.join(chat.url, "eve")
    fay = await ChatClient.join(chat.url, "fay")
    await eve.send(action="message", channel="@dora", text="hi dora")
    await fay.send(action="message", channel="@dora", text="fay here, not in the report")
    await dora.send(action="message", channel="@eve", text="hi eve")
    await eve.wait_for(lambda t: "hi eve" in t)
    await eve.send(action="message", channel="@dora", text="send me money")
    await dora.wait_for(lambda t: "send me money" in t)
    await dora.send(action="report", id=message_id(dora.text(), "send me money"), reason=REASONS[2])
    await notice(dora, "your report was sent")
    report = (await receiver.wait_for("/report"))[-1]["Report"]
    assert (report["FromUsername"], report["AboutUsername"], report["Channel"]) == ("dora", "eve", "@eve")
    assert "fay" not in report["Message"] and report["Comment"] == ""
    lines = report["Message"].split("\n\nRecent message context:\n\n")[1].split("\n\n")
    assert [line.split("] ", 1)[1] for line in lines] == ["hi dora", "hi eve", "send me money"]


async def test_a_website_that_fails_or_hangs_tells_the_reporter_and_delays_no_message(
    chat: Server, receiver: WebhookReceiver
) -> None:
    gail = await ChatClient.join(chat.url, "gail")
    hank = await ChatClient.join(chat.url, "hank")
    await hank.say("spam spam spam")
    await gail.wait_for(lambda t: "spam spam" in t)
    spam = message_id(gail.text(), "spam spam")

    receiver.status = 500
    await gail.send(action="report", id=spam, reason=REASONS[0])
    await notice(gail, "could not be sent: the website answered with an error (HTTP 500)")

    receiver.status = 200
    receiver.hang()  # the website takes the report and does not answer
    await gail.send(action="report", id=spam, reason=REASONS[0], comment="again")
    await receiver.wait_for("/report", 2)
    await hank.say("chat goes on")
    await gail.wait_for(lambda t: "chat goes on" in t, timeout=3)  # the webhook waits up to 20 s
    assert "your report was sent" not in gail.text()
    receiver.release()
    await notice(gail, "your report was sent")


async def test_nsfw_and_the_filters_report_too(chat: Server, receiver: WebhookReceiver) -> None:
    olga = await ChatClient.join_with_token(chat.url, token("olga", op=True))
    ivan = await ChatClient.join(chat.url, "ivan")
    jill = await ChatClient.join(chat.url, "jill")
    await ivan.send(action="me", camera="on")
    await olga.wait_for(lambda t: "has-camera" in t)
    await olga.say("/nsfw ivan")
    await notice(olga, "camera is now tagged NSFW")
    report = (await receiver.wait_for("/report"))[-1]["Report"]
    assert report["Reason"] == "NSFW Command Issued" and report["Channel"] == "n/a"
    assert (report["FromUsername"], report["AboutUsername"]) == ("olga", "ivan")

    await jill.say("warming up")
    await ivan.say("well darn it")  # censored, delivered
    await jill.wait_for(lambda t: "well **** it" in t)
    await jill.send(action="message", channel="@ivan", text="darn, a DM")  # the filter is for channels only
    await ivan.wait_for(lambda t: "darn, a DM" in t)

    await ivan.say("Buy Followers cheap")  # held back, answered, reported
    await notice(ivan, "Watch your language.")
    assert "Buy Followers cheap" in ivan.text()  # its sender sees it, as if it went out
    await jill.say("after the filter")
    await ivan.wait_for(lambda t: "after the filter" in t)
    assert "Buy Followers" not in jill.text() and "Buy Followers" not in olga.text()
    report = (await receiver.wait_for("/report", 2))[-1]["Report"]
    assert report["Reason"] == "Server Side Message Filter" and report["Message"] == "Buy Followers cheap"
    assert (report["FromUsername"], report["AboutUsername"], report["Channel"]) == ("ivan", "ivan", "lobby")
    assert "[jill] warming up" in report["Comment"] and "[ivan] well **** it" in report["Comment"]
    assert report["Comment"].endswith("[ivan] Buy Followers cheap")

    await olga.say("buy followers, says the operator")  # an operator's are not reported
    await notice(olga, "would have been reported")
    await ivan.send(action="message", channel="@olga", text="buy followers from me")  # a DM with an operator
    await olga.wait_for(lambda t: "buy followers from me" in t)
    assert len(receiver.bodies("/report")) == 2


async def test_without_a_report_webhook_there_is_no_report_button(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        kim = await ChatClient.join(server.url, "kim")
        lee = await ChatClient.join(server.url, "lee")
        await lee.say("nothing to report")
        await kim.wait_for(lambda t: "nothing to report" in t)
        assert 'class="report"' not in kim.text()
        await kim.send(action="report", id=message_id(kim.text(), "nothing to report"), reason=REASONS[0])
        await notice(kim, "Reports are not taken on this chat")


async def test_kicks_and_bans_from_the_card_are_reported_with_their_reason(
    chat: Server, receiver: WebhookReceiver
) -> None:
    olga = await ChatClient.join_with_token(chat.url, token("olga2", op=True))
    kim = await ChatClient.join(chat.url, "kim")
    lou = await ChatClient.join(chat.url, "lou")
    await olga.send(action="kick", username="kim", reason="spamming links")
    await notice(olga, "kim has been kicked.")
    assert (await kim.wait_closed())[0] == 4000
    await olga.send(action="ban", username="lou", hours="2", reason="abuse")
    await notice(olga, "lou has been banned for 2 hours.")
    assert (await lou.wait_closed())[0] == 4001
    kicked, banned = [body["Report"] for body in await receiver.wait_for("/report", 2)]
    assert (kicked["Reason"], kicked["FromUsername"], kicked["AboutUsername"]) == (
        "User kicked by admin",
        "olga2",
        "kim",
    )
    assert kicked["Message"] == "Kick reason: spamming links" and kicked["Channel"] == "n/a"
    assert banned["Reason"] == "User banned by admin" and "* Duration: 2 hours" in banned["Comment"]
    mo = await ChatClient.join(chat.url, "mo")
    await olga.say("/kick mo")  # the command, as in the Go BareRTC, reports nothing
    await notice(olga, "mo has been kicked.")
    assert (await mo.wait_closed())[0] == 4000
    await olga.send(action="ban", username="lou2", hours="1")  # and a card's refusal neither
    await notice(olga, "lou2 is not in the room.")
    assert len(receiver.bodies("/report")) == 2
