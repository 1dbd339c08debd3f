"""The pages: the chat (or the sign-in form), about, sign-in and sign-out.

Pages are rendered with the application's one Jinja environment (the one the room renders its
fragments with), synchronously: `page()` turns a template and its context into a response.
"""

from __future__ import annotations

import logging
import time

from markupsafe import Markup
from quart import Blueprint, Response, flash, get_flashed_messages, redirect, request, session, url_for
from quart.typing import ResponseReturnValue

from app.auth import SignInError, check_guest_name, guest_identity, members_only, session_identity, token_identity
from app.chat.commands import duration_words
from app.chat.model import Identity, dom_key
from app.chat.website import REASONS
from app.version import version
from app.web.client_ip import client_ip
from app.web.limits import retry_after, seconds_words
from app.web.security import cross_site, csp_nonce, token_post_origins
from app.web.state import chat_state

log = logging.getLogger("app.pages")
blueprint = Blueprint("pages", __name__)


def page(template: str, status: int = 200, **context: object) -> Response:
    """An HTML response: `template` rendered with `context`."""
    html = chat_state().templates.get_template(template).render(csp_nonce=csp_nonce(), **context)
    return Response(html, status=status, content_type="text/html; charset=utf-8")


@blueprint.before_app_request
async def log_page_view() -> None:  # async: Quart runs a plain def in a thread
    if request.endpoint and not request.endpoint.endswith(("static", "pictures.picture")):
        log.info("%s %s %s", client_ip(request, chat_state().settings), request.method, request.path)


async def current_identity() -> Identity | None:
    """Who the session cookie says this is, unless that session was signed out, kicked or banned."""
    identity = session_identity(session.get("identity"), chat_state().settings)
    if identity is not None and await chat_state().room.session_revoked(identity.sid):
        session.pop("identity", None)
        return None
    return identity


async def sign_in_refusal() -> Response | None:
    """HTTP 429 once this address has signed in `Limits.SignInsPerMinute` times this minute."""
    state = chat_state()
    limit = state.settings.limits.sign_ins_per_minute
    if not limit:
        return None
    address = client_ip(request, state.settings)
    if await state.broker.registry.count_sign_in(address) <= limit:
        return None
    wait = retry_after()
    log.warning("%s refused a sign-in: more than %d this minute", address, limit)
    response = page(
        "error.html",
        429,
        heading="Too many sign-ins",
        message=(
            f"Too many sign-ins have come from your network in the last minute. "
            f"Please try again in {seconds_words(wait)}."
        ),
    )
    response.headers["Retry-After"] = str(wait)
    return response


def cross_site_refusal() -> Response:
    log.warning(
        "%s refused a %s %s sent from another site",
        client_ip(request, chat_state().settings),
        request.method,
        request.path,
    )
    return page(
        "error.html",
        403,
        heading="Sent from another website",
        message=(
            "This form came from another website, so the chat did not act on it. Open the chat itself and try again."
        ),
    )


@blueprint.route("/", methods=["GET", "POST"])
async def index() -> ResponseReturnValue:
    settings = chat_state().settings
    token = request.args.get("jwt") if request.method == "GET" else (await request.form).get("jwt")
    if token is not None or request.method == "POST":
        if request.method == "POST" and cross_site(request, token_post_origins(settings)):
            return cross_site_refusal()
        if not settings.jwt.enabled:
            return redirect(url_for("pages.index"), 303)  # JWT is off: the token is ignored
        return await _sign_in_with_token(token or "")
    identity = await current_identity()
    if identity is None:
        if members_only(settings):
            if settings.jwt.landing_page_url:  # the way in is the website's
                return redirect(settings.jwt.landing_page_url, 302)
            return _members_only_page()
        again = session.pop("sign_in_again", None)  # "Choose another name" after a rename
        return page("signin.html", error=None, username=again or "", again=again is not None)
    room = chat_state().room
    me = await room.viewer(identity)
    rows, (count, cameras) = room.who.page_view(me)
    return page(
        "chat.html",
        me=me,
        me_key=dom_key(identity.name),
        count=count,
        cameras=cameras,
        rows=Markup("".join(rows)),
        channels=room.channels_for(me),
        flashes=get_flashed_messages(with_categories=True),
        history_on=settings.direct_message_history.enabled and identity.signed_in,
        report_reasons=REASONS if room.reports.enabled else (),
    )


async def _sign_in_with_token(token: str) -> ResponseReturnValue:
    """Sign in with the host site's token, then leave the token behind with a redirect."""
    state = chat_state()
    settings = state.settings
    if (refusal := await sign_in_refusal()) is not None:
        return refusal
    try:
        identity = token_identity(token, settings)
    except SignInError as error:
        log.info("%s refused a sign-in token: %s", client_ip(request, settings), str(error).split(".")[0])
        return page(
            "error.html", 403, heading="Cannot sign you in", message=str(error), guest_link=not settings.jwt.strict
        )
    if (until := await state.room.banned_until(identity.name)) is not None:
        return page(
            "error.html",
            403,
            heading="Banned",
            message=(f"You are banned from this chat for another {duration_words(until - time.time())}."),
        )
    session["identity"] = identity.to_session()
    session.permanent = True
    log.info(
        "%s signed in with a token as %r%s",
        client_ip(request, settings),
        identity.name,
        " (operator)" if identity.op else "",
    )
    return redirect(url_for("pages.index"), 303)


def _members_only_page() -> Response:
    return page(
        "error.html",
        403,
        heading="Members only",
        message="This chat is for members of the website. Please enter it from there.",
    )


@blueprint.post("/login")
async def login() -> ResponseReturnValue:
    state = chat_state()
    if cross_site(request):
        return cross_site_refusal()
    if members_only(state.settings):
        return _members_only_page()
    if (refusal := await sign_in_refusal()) is not None:
        return refusal
    form = await request.form
    wanted = form.get("username", "")
    address = client_ip(request, state.settings)
    if state.room.too_many_from(address):
        return page("signin.html", 429, error=state.room.names_refusal(address), username=wanted[:64])
    try:
        name = check_guest_name(wanted, state.settings)
    except SignInError as error:
        return page("signin.html", 400, error=str(error), username=wanted[:64])
    if (until := await state.room.banned_until(name)) is not None:
        banned = f"The name {name} is banned from this chat for another {duration_words(until - time.time())}."
        return page("signin.html", 403, error=banned, username=wanted[:64])
    unique = state.room.names.unique(name)
    if unique != name:
        await flash(f"{name} is taken; you are {unique}.", "renamed")
    session["identity"] = guest_identity(unique).to_session()
    session.permanent = True
    return redirect(url_for("pages.index"))


@blueprint.post("/logout")
async def logout() -> ResponseReturnValue:
    if cross_site(request):
        return cross_site_refusal()
    identity = session_identity(session.pop("identity", None), chat_state().settings)
    if identity is not None:
        await chat_state().room.sign_out(identity)
    again = (await request.form).get("again")
    if again is not None:  # "Choose another name": back to the form, the name given in it
        session["sign_in_again"] = again[:64]
    return redirect(url_for("pages.index"))


@blueprint.get("/about")
async def about() -> ResponseReturnValue:
    return page("about.html", version=version())
