"""Calls to the host website's webhooks (`[[WebhookURLs]]`), as the 2025 BareRTC makes them.

Every call is a POST of JSON carrying `Action` (the webhook's name) and `APIKey` (the
`AdminAPIKey`, so the website knows it is the chat), with httpx, waiting at most the webhook's
`TimeoutSeconds`, following no redirect; an answer other than 2xx is a failure.

- **report**: `{"Action": "report", "APIKey": ..., "Report": {...}}` (`website.Report`).
  Reports are queued (at most `QUEUE_SIZE`) and sent by `WORKERS` tasks, so a website that is
  slow or hangs holds up other reports at worst, never the chat; each report's `done` is told
  the outcome. A full queue refuses a report at once, in words.
- **profile**: `{"Action": "profile", "APIKey": ..., "Username": ...}`, answered with
  `{"StatusCode": 200, "Data": {"OK": true, "Error": "", "ProfileFields": [{"Name", "Value"}]}}`.
  At most `PROFILE_CALLS` at once; the caller awaits it (in a task of its own).

Neither the key nor what a report says is logged; a failure is logged with its reason.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
import msgspec

from app.chat.website import ProfileField, Report, ReportDone, WebhookFailed
from app.settings import Settings, WebhookURL

log = logging.getLogger("app.webhooks")
QUEUE_SIZE = 500
WORKERS = 4
PROFILE_CALLS = 8


class ReportCall(msgspec.Struct, frozen=True):
    Action: str
    APIKey: str
    Report: Report


class ProfileCall(msgspec.Struct, frozen=True):
    Action: str
    APIKey: str
    Username: str


class ProfileData(msgspec.Struct, frozen=True):
    OK: bool = False
    Error: str = ""
    ProfileFields: list[ProfileField] | None = None


class ProfileAnswer(msgspec.Struct, frozen=True):
    StatusCode: int = 0
    Data: ProfileData = ProfileData()


@dataclass(frozen=True)
class _Job:
    webhook: WebhookURL
    body: bytes
    done: ReportDone | None


_encoder = msgspec.json.Encoder()
_profile_answer = msgspec.json.Decoder(ProfileAnswer)


class WebhookSender:
    """The chat's `ports.Webhooks`, over HTTP. `settings` is swapped by a live reload."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._client = httpx.AsyncClient(transport=transport, follow_redirects=False)
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(QUEUE_SIZE)
        self._profiles = asyncio.Semaphore(PROFILE_CALLS)

    def enabled(self, name: str) -> bool:
        return self.settings.webhook(name) is not None

    # --- reports: queued -------------------------------------------------------------

    def report(self, report: Report, done: ReportDone | None = None) -> None:
        webhook = self.settings.webhook("report")
        if webhook is None:
            if done is not None:
                done("the website takes no reports")
            return
        body = _encoder.encode(ReportCall("report", self.settings.admin_api_key, report))
        try:
            self._queue.put_nowait(_Job(webhook, body, done))
        except asyncio.QueueFull:
            log.warning("report webhook: %d reports waiting; one more was refused", QUEUE_SIZE)
            if done is not None:
                done("too many reports are waiting to be sent")

    async def run(self) -> None:
        """Send queued reports until cancelled (a background task of the server)."""
        async with asyncio.TaskGroup() as group:
            for number in range(WORKERS):
                group.create_task(self._work(), name=f"webhook-{number}")

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._post(job.webhook, job.body)
                error = None
            except WebhookFailed as failure:
                error = str(failure)
            if job.done is not None:
                try:
                    job.done(error)
                except Exception:
                    log.exception("telling a reporter how their report went failed")

    # --- profiles: awaited -------------------------------------------------------------

    async def profile(self, username: str) -> tuple[ProfileField, ...]:
        webhook = self.settings.webhook("profile")
        if webhook is None:
            raise WebhookFailed("the website gives no profiles")
        body = _encoder.encode(ProfileCall("profile", self.settings.admin_api_key, username))
        async with self._profiles:
            answer = await self._post(webhook, body)
        try:
            data = _profile_answer.decode(answer).Data
        except (msgspec.DecodeError, msgspec.ValidationError):
            log.warning("profile webhook: the answer is not the expected JSON")
            raise WebhookFailed("the website's answer could not be read") from None
        if data.Error or not data.OK:
            raise WebhookFailed(data.Error or "the website has no profile to show")
        return tuple(data.ProfileFields or ())

    # --- the call itself ---------------------------------------------------------------

    async def _post(self, webhook: WebhookURL, body: bytes) -> bytes:
        """POST `body` to the webhook; its answer's body, or WebhookFailed saying why not."""
        try:
            async with asyncio.timeout(webhook.timeout_seconds):  # in all: a trickling answer too
                response = await self._client.post(
                    webhook.url,
                    content=body,
                    headers={"Content-Type": "application/json"},
                    timeout=webhook.timeout_seconds,
                )
        except (TimeoutError, httpx.TimeoutException):
            reason = "the website did not answer in time"
        except httpx.HTTPError as error:
            log.warning("%s webhook: %s", webhook.name, type(error).__name__)
            reason = "the website could not be reached"
        else:
            if response.is_success:
                return response.content
            reason = f"the website answered with an error (HTTP {response.status_code})"
        log.warning("%s webhook failed: %s", webhook.name, reason)
        raise WebhookFailed(reason)

    async def close(self) -> None:
        await self._client.aclose()
