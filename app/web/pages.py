"""The pages: the chat (or the sign-in form), about, sign-in and sign-out."""

from __future__ import annotations

import logging

from markupsafe import Markup
from quart import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from quart.typing import ResponseReturnValue

from app.auth import SignInError, check_guest_name, guest_identity
from app.chat.model import Identity, dom_key
from app.chat.room import Room
from app.settings import Settings
from app.web.client_ip import client_ip

log = logging.getLogger("app.pages")
blueprint = Blueprint("pages", __name__)


def _room() -> Room:
    room: Room = current_app.config["ROOM"]
    return room


def _settings() -> Settings:
    return _room().settings


@blueprint.before_app_request
def log_page_view() -> None:
    if request.endpoint and not request.endpoint.endswith("static"):
        log.info("%s %s %s", client_ip(request, _settings()), request.method, request.path)


def current_identity() -> Identity | None:
    return Identity.from_session(session.get("identity"))


@blueprint.get("/")
async def index() -> ResponseReturnValue:
    identity = current_identity()
    if identity is None:
        return await render_template("signin.html", error=None, username="")
    room = _room()
    members = room.members()
    rows = Markup("".join(room.who_rows()))
    return await render_template("chat.html", me=identity, me_key=dom_key(identity.name),
                                 members=members, rows=rows)


@blueprint.post("/login")
async def login() -> ResponseReturnValue:
    form = await request.form
    wanted = form.get("username", "")
    try:
        name = check_guest_name(wanted, _settings())
    except SignInError as error:
        return await render_template("signin.html", error=str(error), username=wanted[:64]), 400
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
    return await render_template("about.html")
