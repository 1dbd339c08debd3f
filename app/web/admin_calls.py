"""How the JSON API answers: one path for every POST endpoint of the host website's API.

The 2025 BareRTC's shape, which websites already speak: a `POST` with
`Content-Type: application/json`, a JSON object in, a JSON object out with `OK` (bool),
`Error` (words, only when something went wrong) and the endpoint's own fields, named as the
Go server names them. What this module adds to it (docs/api.md, "Moving from the Go BareRTC"):

- another method is HTTP 405 (with `Allow: POST`), another content type or a body that is not
  the JSON object the endpoint takes is 400, each with a JSON `Error`;
- an admin endpoint needs `APIKey` equal to `AdminAPIKey`, compared in constant time; a wrong
  or missing one is 403, and counts against the caller's address: past
  `Limits.APIFailuresPerMinute` failures in a minute, every call from that address is 429
  (with `Retry-After`) until the minute is over;
- every call is logged in one line: path, address, status and what it did, never the key,
  a token or what was signed.

An endpoint is a function of the decoded body that returns its answer and a note for the log
(`Done`), or raises `Refusal(status, words)`; `failure(words)` builds its answer for a refusal.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import msgspec
from quart import Blueprint, Response, request, session

from app.auth import SignInError, session_identity, token_identity
from app.web.client_ip import client_ip
from app.web.limits import retry_after
from app.web.state import chat_state

log = logging.getLogger("app.api")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
UNSET = msgspec.UNSET
DENIED = "Authentication denied."

B = TypeVar("B", bound=msgspec.Struct)
A = TypeVar("A", bound=msgspec.Struct)


class Refusal(Exception):
    """A call the endpoint turns down: an HTTP status and the words for `Error`."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status


@dataclass(frozen=True)
class Done(Generic[A]):
    """An endpoint's answer, and what the log line says it did (no secrets)."""

    answer: A
    note: str = "OK"


Work = Callable[[B], Awaitable[Done[A]]]


def json_response(body: msgspec.Struct, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status=status, content_type="application/json")


def api_endpoint(
    blueprint: Blueprint, path: str, body_type: type[B], failure: Callable[[str], A], *, keyed: bool = True
) -> Callable[[Work[B, A]], Work[B, A]]:
    """Register `work` at `path` on `blueprint` (a POST of `body_type`; `keyed`: needs `APIKey`)."""

    def register(work: Work[B, A]) -> Work[B, A]:
        async def view() -> Response:
            return await _answer(blueprint.url_prefix or "", path, body_type, failure, work, keyed)

        name = path.strip("/").replace("/", "_").replace("-", "_")
        blueprint.add_url_rule(path, name, view, methods=METHODS, provide_automatic_options=False)
        return work

    return register


async def _answer(
    prefix: str, path: str, body_type: type[B], failure: Callable[[str], A], work: Work[B, A], keyed: bool
) -> Response:
    address = client_ip(request, chat_state().settings)
    where = prefix + path
    try:
        body = await _body(body_type)
        if keyed:
            check_admin_key(getattr(body, "APIKey", ""), address)
        done = await work(body)
    except Refusal as refusal:
        log.info("API %s from %s: %d %s", where, address, refusal.status, refusal)
        response = json_response(failure(str(refusal)), refusal.status)
        if refusal.status == 405:
            response.headers["Allow"] = "POST"
        elif refusal.status == 429:
            response.headers["Retry-After"] = str(retry_after())
        return response
    log.info("API %s from %s: 200 %s", where, address, done.note)
    return json_response(done.answer)


async def _body(body_type: type[B]) -> B:
    if request.method != "POST":
        raise Refusal(405, "Only POST methods allowed")
    if request.mimetype != "application/json":
        raise Refusal(400, "Only application/json content-types allowed")
    try:
        return msgspec.json.decode(await request.get_data(), type=body_type)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise Refusal(400, f"The request is not valid: {error}") from None


def check_admin_key(key: str, address: str) -> None:
    """Pass a caller whose `key` is the `AdminAPIKey`; Refusal (403, or 429 past the limit) otherwise."""
    state = chat_state()
    failures = state.api_failures
    limit = state.settings.limits.api_failures_per_minute
    if limit and failures.count(address) >= limit:
        raise Refusal(429, "Too many calls with a wrong APIKey from your address; try again in a minute.")
    expected = state.settings.admin_api_key
    if not (key and expected and hmac.compare_digest(key.encode(), expected.encode())):
        failures.add(address)
        raise Refusal(403, DENIED)


def member_of(token: str) -> str:
    """The site member making a call: by their token (`JWTToken`), or by this chat's session."""
    settings = chat_state().settings
    if token:
        if not settings.jwt.enabled:
            raise Refusal(400, "JWT authentication is not available.")
        try:
            return token_identity(token, settings).name
        except SignInError as error:
            raise Refusal(400, str(error)) from None
    identity = session_identity(session.get("identity"), settings)
    if identity is None or not identity.signed_in:
        raise Refusal(401, "Sign in as a member of the site first (JWTToken, or the chat's session).")
    return identity.name
