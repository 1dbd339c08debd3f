"""The pages: the chat (or the sign-in form), about, sign-in and sign-out."""

from __future__ import annotations

import logging
import time

from markupsafe import Markup
from quart import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from quart.typing import ResponseReturnValue

from app.auth import SignInError, check_guest_name, guest_identity, members_only, session_identity, token_identity
from app.chat.commands import duration_words
from app.chat.model import Identity, dom_key
from app.chat.room import Room
from app.settings import Settings
from app.version import version
from app.web.client_ip import client_ip

log = logging.getLogger("app.pages")
blueprint = Blueprint("pages", __name__)


def _room() -> Room:
    room: Room = current_app.config["ROOM"]
    return room


def _settings() -> Settings:
    return _room().settings


@blueprint.before_app_request
async def log_page_view() -> None:  # async: Quart runs a plain def in a thread
    if request.endpoint and not request.endpoint.endswith("static"):
        log.info("%s %s %s", client_ip(request, _settings()), request.method, request.path)


def current_identity() -> Identity | None:
    return session_identity(session.get("identity"), _settings())


@blueprint.route("/", methods=["GET", "POST"])
async def index() -> ResponseReturnValue:
    settings = _settings()
    token = request.args.get("jwt") if request.method == "GET" else (await request.form).get("jwt")
    if token is not None or request.method == "POST":
        if not settings.jwt.enabled:
            return redirect(url_for("pages.index"), 303)  # JWT is off: the token is ignored
        return await _sign_in_with_token(token or "")
    identity = current_identity()
    if identity is None:
        if members_only(settings):
            return await _members_only_page()
        return await render_template("signin.html", error=None, username="")
    room = _room()
    members = room.members()
    rows = Markup("".join(room.who_rows()))
    return await render_template("chat.html", me=identity, me_key=dom_key(identity.name),
                                 members=members, rows=rows)


async def _sign_in_with_token(token: str) -> ResponseReturnValue:
    """Sign in with the host site's token, then leave the token behind with a redirect."""
    settings = _settings()
    try:
        identity = token_identity(token, settings)
    except SignInError as error:
        log.info("%s refused a sign-in token: %s", client_ip(request, settings), str(error).split(".")[0])
        return await render_template("error.html", heading="Cannot sign you in", message=str(error),
                                     guest_link=not settings.jwt.strict), 403
    if (until := await _room().banned_until(identity.name)) is not None:
        return await render_template("error.html", heading="Banned", message=(
            f"You are banned from this chat for another {duration_words(until - time.time())}.")), 403
    session["identity"] = identity.to_session()
    session.permanent = True
    log.info("%s signed in with a token as %r%s", client_ip(request, settings), identity.name,
             " (operator)" if identity.op else "")
    return redirect(url_for("pages.index"), 303)


async def _members_only_page() -> ResponseReturnValue:
    return await render_template(
        "error.html", heading="Members only",
        message="This chat is for members of the website. Please enter it from there."), 403


@blueprint.post("/login")
async def login() -> ResponseReturnValue:
    if members_only(_settings()):
        return await _members_only_page()
    form = await request.form
    wanted = form.get("username", "")
    try:
        name = check_guest_name(wanted, _settings())
    except SignInError as error:
        return await render_template("signin.html", error=str(error), username=wanted[:64]), 400
    if (until := await _room().banned_until(name)) is not None:
        banned = f"The name {name} is banned from this chat for another {duration_words(until - time.time())}."
        return await render_template("signin.html", error=banned, username=wanted[:64]), 403
    unique = _room().unique_name(name)
    if unique != name:
        await flash(f"The name {name} is in use, so you are {unique}.")
    session["identity"] = guest_identity(unique).to_session()
    session.permanent = True
    return redirect(url_for("pages.index"))


@blueprint.post("/logout")
async def logout() -> ResponseReturnValue:
    session.pop("identity", None)
    return redirect(url_for("pages.index"))


@blueprint.get("/about")
async def about() -> ResponseReturnValue:
    return await render_template("about.html", version=version())
