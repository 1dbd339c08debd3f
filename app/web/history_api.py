"""The saved-DM API, as the 2025 BareRTC serves it: /api/message/history, /usernames, /clear.

Each is a POST of JSON (`Content-Type: application/json`) answered with JSON; field names are
the Go server's. A caller is a member: by `JWTToken` (a token the host site signed, as for
signing in) or by the chat's own session cookie. `/api/message/clear` also takes the admin key
(`APIKey`, the `AdminAPIKey` setting, compared in constant time) with the `Username` to erase.
Self-contained on purpose: the admin API framework can take it in as it is.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import msgspec
from quart import Blueprint, Response, request, session

from app.auth import SignInError, session_identity, token_identity
from app.chat.markdown import render_markdown
from app.chat.ports import MessageHistory
from app.chat.stored import PARTNER_SORTS, HistoryUnavailable, PartnerSort, StoredMessage
from app.web.state import chat_state

blueprint = Blueprint("history_api", __name__, url_prefix="/api/message")
R = TypeVar("R", bound=msgspec.Struct)
UNSET = msgspec.UNSET


class HistoryRequest(msgspec.Struct):
    JWTToken: str = ""
    Username: str = ""
    BeforeID: int = 0


class UsernamesRequest(msgspec.Struct):
    JWTToken: str = ""
    Sort: str = "newest"
    Page: int = 1


class ClearRequest(msgspec.Struct):
    JWTToken: str = ""
    APIKey: str = ""
    Username: str = ""


class ApiMessage(msgspec.Struct):
    """One saved message: `msgID` is the row to page back from (`BeforeID`), `id` the chat's id."""

    msgID: int
    id: str
    username: str
    message: str  # HTML, rendered from the Markdown as in the chat
    timestamp: str  # RFC 3339, UTC


class HistoryResponse(msgspec.Struct):
    OK: bool
    Error: str | msgspec.UnsetType = UNSET
    Messages: list[ApiMessage] = msgspec.field(default_factory=list)
    Remaining: int = 0


class UsernamesResponse(msgspec.Struct):
    OK: bool
    Error: str | msgspec.UnsetType = UNSET
    Usernames: list[str] = msgspec.field(default_factory=list)
    Count: int = 0
    Pages: int = 0


class ClearResponse(msgspec.Struct):
    OK: bool
    Error: str | msgspec.UnsetType = UNSET
    MessagesErased: int = 0


class Refusal(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status


def _json(body: msgspec.Struct, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status=status, content_type="application/json")


async def _answer(
    request_type: type[R],
    failed: Callable[[str], msgspec.Struct],
    work: Callable[[MessageHistory, R], Awaitable[msgspec.Struct]],
) -> Response:
    """Check and parse the request, run `work`; a refusal is `failed(words)` with its status."""
    try:
        store = chat_state().history
        if store is None:
            raise Refusal(400, "Direct message history is not enabled on this server.")
        if request.mimetype != "application/json":
            raise Refusal(400, "Only application/json content-types allowed")
        try:
            body = msgspec.json.decode(await request.get_data(), type=request_type)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise Refusal(400, f"The request is not valid: {error}") from None
        return _json(await work(store, body))
    except Refusal as refusal:
        return _json(failed(str(refusal)), refusal.status)
    except HistoryUnavailable:
        return _json(failed("History is unavailable right now; please try again later."), 503)


def _member(token: str) -> str:
    """The member making the request: by their token, or by the chat's session."""
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
        raise Refusal(401, "Sign in as a member of the site (JWTToken, or the chat's session) first.")
    return identity.name


def _api_message(stored: StoredMessage) -> ApiMessage:
    when = datetime.fromtimestamp(stored.sent_at / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return ApiMessage(stored.row, stored.message_id, stored.sender, render_markdown(stored.text), when)


@blueprint.post("/history")
async def history() -> Response:
    async def work(store: MessageHistory, body: HistoryRequest) -> HistoryResponse:
        owner = _member(body.JWTToken)
        if not body.Username or body.Username == owner:
            raise Refusal(400, "Username must name the other person of the conversation.")
        page = await store.page(owner, body.Username, before=max(0, body.BeforeID))
        # newest first, as the Go server pages them
        return HistoryResponse(
            True, Messages=[_api_message(m) for m in reversed(page.messages)], Remaining=page.remaining
        )

    return await _answer(HistoryRequest, lambda error: HistoryResponse(False, error), work)


@blueprint.post("/usernames")
async def usernames() -> Response:
    async def work(store: MessageHistory, body: UsernamesRequest) -> UsernamesResponse:
        owner = _member(body.JWTToken)
        sort: PartnerSort = body.Sort if body.Sort in PARTNER_SORTS else "newest"
        page = await store.partners(owner, sort, max(1, body.Page))
        return UsernamesResponse(True, Usernames=list(page.usernames), Count=page.count, Pages=page.pages)

    return await _answer(UsernamesRequest, lambda error: UsernamesResponse(False, error), work)


@blueprint.post("/clear")
async def clear() -> Response:
    async def work(store: MessageHistory, body: ClearRequest) -> ClearResponse:
        if body.APIKey:
            if not _admin_key_matches(body.APIKey):
                raise Refusal(401, "Authentication denied.")
            if not body.Username:
                raise Refusal(400, "Username is required with the APIKey.")
            name = body.Username
        else:
            name = _member(body.JWTToken)
        return ClearResponse(True, MessagesErased=await store.clear(name))

    return await _answer(ClearRequest, lambda error: ClearResponse(False, error), work)


def _admin_key_matches(key: str) -> bool:
    expected = chat_state().settings.admin_api_key
    return bool(expected) and hmac.compare_digest(key.encode(), expected.encode())
