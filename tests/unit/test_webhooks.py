"""The webhook sender's own rules: a bounded queue, a total time limit, answers it cannot read.
(The bodies a real website receives are tested in tests/integration/test_webhooks.py.)"""

from __future__ import annotations

import asyncio
import dataclasses
import re

import httpx
import pytest

from app.chat.website import Report, WebhookFailed
from app.settings import WebhookURL, settings_for_tests
from app.webhooks import QUEUE_SIZE, WORKERS, WebhookSender

REPORT = Report(
    from_username="a", about_username="b", channel="lobby", timestamp="t", reason="r", message="m", comment=""
)


def sender(handler: httpx.MockTransport, timeout: float = 10.0) -> WebhookSender:
    hooks = (
        WebhookURL("report", enabled=True, url="http://website.test/report", timeout_seconds=timeout),
        WebhookURL("profile", enabled=True, url="http://website.test/profile", timeout_seconds=timeout),
    )
    return WebhookSender(settings_for_tests(webhook_urls=hooks), transport=handler)


async def test_a_full_queue_refuses_at_once_and_says_so() -> None:
    release = asyncio.Event()

    async def website(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200)

    hooks = sender(httpx.MockTransport(website))
    outcomes: list[str | None] = []
    running = asyncio.create_task(hooks.run())
    for _ in range(WORKERS):
        hooks.report(REPORT, outcomes.append)
    await asyncio.sleep(0.05)  # each worker takes one, and waits for the website
    for _ in range(QUEUE_SIZE + 1):
        hooks.report(REPORT, outcomes.append)
    assert outcomes == ["too many reports are waiting to be sent"]
    release.set()
    while len(outcomes) < QUEUE_SIZE + WORKERS + 1:
        await asyncio.sleep(0.01)
    assert outcomes.count(None) == QUEUE_SIZE + WORKERS
    running.cancel()
    await hooks.close()


async def test_a_slow_answer_is_cut_off_at_the_timeout_in_all() -> None:
    async def trickle(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    hooks = sender(httpx.MockTransport(trickle), timeout=0.2)
    with pytest.raises(WebhookFailed, match="did not answer in time"):
        await hooks.profile("alice")
    await hooks.close()


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (httpx.Response(200, content=b"<html>"), "could not be read"),
        (httpx.Response(200, json={"StatusCode": 200, "Data": {"OK": False}}), "has no profile to show"),
        (httpx.Response(200, json={"Data": {"OK": True, "Error": "gone"}}), "gone"),
        (httpx.Response(302, headers={"Location": "/elsewhere"}), "error (HTTP 302)"),
    ],
)
async def test_a_profile_answer_that_is_not_fields_is_a_failure(answer: httpx.Response, words: str) -> None:
    hooks = sender(httpx.MockTransport(lambda request: answer))
    with pytest.raises(WebhookFailed, match=re.escape(words)):
        await hooks.profile("alice")
    await hooks.close()


async def test_a_disabled_webhook_is_not_called() -> None:
    calls: list[httpx.Request] = []

    def website(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200)

    hooks = sender(httpx.MockTransport(website))
    hooks.settings = dataclasses.replace(hooks.settings, webhook_urls=())
    told: list[str | None] = []
    hooks.report(REPORT, told.append)
    assert told == ["the website takes no reports"] and not hooks.enabled("report")
    with pytest.raises(WebhookFailed, match="gives no profiles"):
        await hooks.profile("alice")
    assert calls == []
    await hooks.close()
