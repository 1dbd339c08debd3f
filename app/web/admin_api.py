"""The host website's API, with the 2025 BareRTC's paths and JSON field names (docs/api.md).

Admin endpoints take `APIKey` (the `AdminAPIKey` setting); the shared path of
app/web/admin_calls.py checks it, the method, the content type and the JSON, and logs every
call. `/api/profile` is the chat page's own call in the Go BareRTC: it takes the caller's
`JWTToken` (or this chat's session) instead.

- `/api/authenticate` `{APIKey, Claims}` -> `{OK, Error, JWT}`: a token signed with
  `JWT.SecretKey` for the claims given (five minutes), as for a bot signing in; also at
  `/api/authentication`, the name the Go BareRTC's docs give it.
- `/api/shutdown` `{APIKey}` -> `{OK, Error}`: every process restarts (`Room.shut_down`).
- `/api/disconnect/now` `{APIKey, Usernames, Message, Kick}` -> `{OK, Removed, Error}`.
- `/api/block/now` `{APIKey, Usernames}` -> `{OK, Error}`: every pair of them present is
  blocked from each other now (`People.block_between`).
- `/api/blocklist` `{APIKey, Username, Blocklist}` -> `{OK, Error}`: blocks placed when that
  member's next session starts (`People.blocks_on_sign_in`).
- `/api/amend-jwt` `{APIKey, Username, JWTToken}` -> `{OK, Error}`: the new token's claims for
  someone here (`People.amend`); 404 when they are not, 400 for a guest or another name.
- `/api/profile` `{JWTToken, Username}` -> `{OK, Error, ProfileFields}`: the profile webhook.
"""

from __future__ import annotations

import msgspec
from quart import Blueprint

from app.auth import SignInError, sign_token, token_identity
from app.chat.website import ProfileField, WebhookFailed
from app.web.admin_calls import UNSET, Done, Refusal, api_endpoint, member_of
from app.web.state import chat_state

blueprint = Blueprint("admin_api", __name__, url_prefix="/api")
Unset = msgspec.UnsetType


class Keyed(msgspec.Struct):
    APIKey: str = ""


class Answer(msgspec.Struct):
    OK: bool
    Error: str | Unset = UNSET


def failed(error: str) -> Answer:
    return Answer(False, error)


# --- /api/authenticate ----------------------------------------------------------------


class Claims(msgspec.Struct, omit_defaults=True):
    """The claims a token may carry (the Go BareRTC's `jwt.Claims`); others are left out."""

    sub: str = ""
    op: bool = False
    vip: bool = False
    img: str = ""
    url: str = ""
    nick: str = ""
    emoji: str = ""
    gender: str = ""
    rules: list[str] = msgspec.field(default_factory=list)
    iss: str = ""


class AuthenticateRequest(Keyed):
    Claims: Claims = msgspec.field(default_factory=Claims)


class AuthenticateAnswer(msgspec.Struct):
    OK: bool
    Error: str | Unset = UNSET
    JWT: str | Unset = UNSET


@api_endpoint(blueprint, "/authentication", AuthenticateRequest, lambda error: AuthenticateAnswer(False, error))
@api_endpoint(blueprint, "/authenticate", AuthenticateRequest, lambda error: AuthenticateAnswer(False, error))
async def authenticate(body: AuthenticateRequest) -> Done[AuthenticateAnswer]:
    key = chat_state().settings.jwt.secret_key
    if not key:
        raise Refusal(400, "The chat has no JWT.SecretKey to sign tokens with.")
    if not body.Claims.sub.strip():
        raise Refusal(400, "Claims.sub must be the username.")
    token = sign_token(msgspec.to_builtins(body.Claims), key)
    return Done(AuthenticateAnswer(True, JWT=token), f"signed a token for {body.Claims.sub!r}")


# --- /api/shutdown ----------------------------------------------------------------------


@api_endpoint(blueprint, "/shutdown", Keyed, failed)
async def shutdown(body: Keyed) -> Done[Answer]:
    await chat_state().room.shut_down("the admin API")
    return Done(Answer(True), "shutting down")


# --- /api/disconnect/now ------------------------------------------------------------------


class DisconnectRequest(Keyed):
    Usernames: list[str] = msgspec.field(default_factory=list)
    Message: str = ""
    Kick: bool = False


class DisconnectAnswer(msgspec.Struct):
    OK: bool
    Removed: int = 0
    Error: str | Unset = UNSET


@api_endpoint(blueprint, "/disconnect/now", DisconnectRequest, lambda error: DisconnectAnswer(False, Error=error))
async def disconnect_now(body: DisconnectRequest) -> Done[DisconnectAnswer]:
    removed = await chat_state().room.remove(body.Usernames, body.Message.strip(), kicked=body.Kick)
    how = "kicked" if body.Kick else "removed"
    return Done(DisconnectAnswer(True, removed), f"{how} {removed} of {body.Usernames!r}")


# --- /api/block/now and /api/blocklist ----------------------------------------------------


class BlockNowRequest(Keyed):
    Usernames: list[str] = msgspec.field(default_factory=list)


@api_endpoint(blueprint, "/block/now", BlockNowRequest, failed)
async def block_now(body: BlockNowRequest) -> Done[Answer]:
    people = chat_state().room.people
    names = list(dict.fromkeys(body.Usernames))
    pairs = [(first, second) for index, first in enumerate(names) for second in names[index + 1 :]]
    blocked = [pair for pair in pairs if await people.block_between(*pair)]
    return Done(Answer(True), f"blocked {len(blocked)} of {len(pairs)} pairs among {names!r}")


class BlocklistRequest(Keyed):
    Username: str = ""
    Blocklist: list[str] = msgspec.field(default_factory=list)


@api_endpoint(blueprint, "/blocklist", BlocklistRequest, failed)
async def blocklist(body: BlocklistRequest) -> Done[Answer]:
    if not body.Username:
        raise Refusal(400, "Username is required.")
    await chat_state().room.people.blocks_on_sign_in(body.Username, body.Blocklist)
    return Done(Answer(True), f"{len(body.Blocklist)} names for {body.Username!r}'s next sign-in")


# --- /api/amend-jwt -----------------------------------------------------------------------


class AmendRequest(Keyed):
    Username: str = ""
    JWTToken: str = ""


@api_endpoint(blueprint, "/amend-jwt", AmendRequest, failed)
async def amend_jwt(body: AmendRequest) -> Done[Answer]:
    settings = chat_state().settings
    if not settings.jwt.enabled:
        raise Refusal(400, "JWT authentication is not available.")
    try:
        identity = token_identity(body.JWTToken, settings)
    except SignInError as error:
        raise Refusal(401, f"The JWTToken is not valid: {error}") from None
    try:
        await chat_state().room.people.amend(body.Username, identity)
    except LookupError as absent:
        raise Refusal(404, str(absent)) from None
    except ValueError as refused:
        raise Refusal(400, str(refused)) from None
    return Done(Answer(True), f"amended the claims of {body.Username!r}")


# --- /api/profile ---------------------------------------------------------------------------


class ProfileRequest(msgspec.Struct):
    JWTToken: str = ""
    Username: str = ""


class ProfileAnswer(msgspec.Struct):
    OK: bool
    Error: str | Unset = UNSET
    ProfileFields: list[ProfileField] | Unset = UNSET


@api_endpoint(blueprint, "/profile", ProfileRequest, lambda error: ProfileAnswer(False, error), keyed=False)
async def profile(body: ProfileRequest) -> Done[ProfileAnswer]:
    state = chat_state()
    member_of(body.JWTToken)
    if state.webhooks is None or not state.webhooks.enabled("profile"):
        raise Refusal(400, "The website gives no profiles (its profile webhook is not enabled).")
    try:
        fields = await state.webhooks.profile(body.Username)
    except WebhookFailed as failure:
        raise Refusal(502, f"No profile: {failure}.") from None
    return Done(ProfileAnswer(True, ProfileFields=list(fields)), f"{len(fields)} fields about {body.Username!r}")
