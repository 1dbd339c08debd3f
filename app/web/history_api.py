"""The saved-DM API, as the 2025 BareRTC serves it: /api/message/history, /usernames, /clear.

Each is a POST of JSON answered with JSON on the shared path of app/web/admin_calls.py (405,
400, logging); field names are the Go server's. A caller is a member: by `JWTToken` (a token
the host site signed, as for signing in) or by the chat's own session cookie.
`/api/message/clear` also takes the admin key (`APIKey`, checked as every admin call's is:
403 when wrong, and the per-address failure limit) with the `Username` to erase.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
from quart import Blueprint, request

from app.chat.markdown import render_markdown
from app.chat.ports import MessageHistory
from app.chat.stored import PARTNER_SORTS, HistoryUnavailable, PartnerSort, StoredMessage
from app.web.admin_calls import A, B, Done, Refusal, Work, api_endpoint, check_admin_key, member_of
from app.web.client_ip import client_ip
from app.web.state import chat_state

blueprint = Blueprint("history_api", __name__, url_prefix="/api/message")
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


def _store() -> MessageHistory:
    store = chat_state().history
    if store is None:
        raise Refusal(400, "Direct message history is not enabled on this server.")
    return store


def _endpoint(path: str, body_type: type[B], failure: Callable[[str], A]) -> Callable[[Work[B, A]], Work[B, A]]:
    """A history endpoint: the shared JSON path (app/web/admin_calls.py), history being off or
    its database away said in words."""

    def register(work: Work[B, A]) -> Work[B, A]:
        async def guarded(body: B) -> Done[A]:
            _store()  # off: said first
            try:
                return await work(body)
            except HistoryUnavailable:
                raise Refusal(503, "History is unavailable right now; please try again later.") from None

        api_endpoint(blueprint, path, body_type, failure, keyed=False)(guarded)
        return work

    return register


def _api_message(stored: StoredMessage) -> ApiMessage:
    when = datetime.fromtimestamp(stored.sent_at / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return ApiMessage(stored.row, stored.message_id, stored.sender, render_markdown(stored.text), when)


@_endpoint("/history", HistoryRequest, lambda error: HistoryResponse(False, error))
async def history(body: HistoryRequest) -> Done[HistoryResponse]:
    owner = member_of(body.JWTToken)
    if not body.Username or body.Username == owner:
        raise Refusal(400, "Username must name the other person of the conversation.")
    page = await _store().page(owner, body.Username, before=max(0, body.BeforeID))
    # newest first, as the Go server pages them
    messages = [_api_message(m) for m in reversed(page.messages)]
    return Done(HistoryResponse(True, Messages=messages, Remaining=page.remaining), f"{len(messages)} messages")


@_endpoint("/usernames", UsernamesRequest, lambda error: UsernamesResponse(False, error))
async def usernames(body: UsernamesRequest) -> Done[UsernamesResponse]:
    owner = member_of(body.JWTToken)
    sort: PartnerSort = body.Sort if body.Sort in PARTNER_SORTS else "newest"
    page = await _store().partners(owner, sort, max(1, body.Page))
    return Done(UsernamesResponse(True, Usernames=list(page.usernames), Count=page.count, Pages=page.pages))


@_endpoint("/clear", ClearRequest, lambda error: ClearResponse(False, error))
async def clear(body: ClearRequest) -> Done[ClearResponse]:
    store = _store()
    if body.APIKey:  # the website, for anyone
        check_admin_key(body.APIKey, client_ip(request, chat_state().settings))
        if not body.Username:
            raise Refusal(400, "Username is required with the APIKey.")
        name = body.Username
    else:
        name = member_of(body.JWTToken)
    erased = await store.clear(name)
    return Done(ClearResponse(True, MessagesErased=erased), f"erased {erased} messages")
