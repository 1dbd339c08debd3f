"""BareRTC for Python: a self-hosted webcam chat room.

`create_app()` builds the Quart application; nothing else happens at import time.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta

from quart import Quart

from app import log_filters
from app.assets import STATIC, install_asset_helper
from app.auth import weak_key_warning
from app.broker import broker_for
from app.chat.emoji import EmojiTable
from app.chat.model import SESSION_LIFETIME_SECONDS
from app.chat.render import template_environment
from app.chat.room import Room
from app.gc_policy import tune_for_serving
from app.history import history_for
from app.serving import (
    SecondProcess,
    claim_single_process,
    log_descriptor_exhaustion_once_a_minute,
    single_room_problem,
    stop_on_sigterm,
    this_worker,
)
from app.serving import wait_for_shutdown as hypercorn_shutdown
from app.settings import Settings, load_settings
from app.web import hypercorn_ws
from app.web.asgi import ChatApp
from app.web.security import install_security
from app.web.send_queue import PacingClock
from app.web.state import EXTENSION, ChatState
from app.webhooks import WebhookSender

EMOJI_DATA = "vendor/emoji-picker/data.json"  # the picker's emoji, also the server's shortcodes
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def create_app(settings: Settings | None = None) -> Quart:
    """The application, for `settings` or the file named by $BARERTC_SETTINGS (./settings.toml).

    Loaded by a Hypercorn worker (`hypercorn 'app:create_app()'`, or `python -m app --workers`),
    it applies the settings to that worker's Hypercorn configuration and sockets, and refuses
    to run more than one process without Redis."""
    if settings is None:
        settings = load_settings(os.environ.get("BARERTC_SETTINGS", "settings.toml"))
    worker = this_worker()
    if problem := single_room_problem(settings, worker.count):
        raise SystemExit(problem)
    worker.adopt(settings)
    if not logging.getLogger().handlers:  # run by `hypercorn 'app:create_app()'`: log like python -m app
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    log_filters.install()
    if (warning := weak_key_warning(settings)) is not None:
        logging.getLogger("app").warning("%s", warning)
    broker = broker_for(settings)
    try:
        lock = claim_single_process(settings) if broker.in_process else None
    except SecondProcess as refusal:
        raise SystemExit(str(refusal)) from None

    try:
        hypercorn_ws.install()
    except hypercorn_ws.HypercornChanged as refusal:
        raise SystemExit(str(refusal)) from None

    app = ChatApp(__name__)
    app.secret_key = settings.session_secret
    app.config.update(
        SESSION_COOKIE_NAME="barertc_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=SESSION_LIFETIME_SECONDS),
        SEND_FILE_MAX_AGE_DEFAULT=None,
    )
    templates = template_environment()
    templates.globals["settings"] = settings
    for name in templates.list_templates():  # loaded now, not on first use: at the descriptor
        templates.get_template(name)  # limit a template read from disk would fail to render
    install_asset_helper(app, templates)
    saved_dms = history_for(settings)
    webhooks = WebhookSender(settings)
    state = ChatState(
        settings=settings,
        broker=broker,
        templates=templates,
        room=Room(
            settings,
            broker.bus,
            broker.registry,
            broker.messages,
            templates,
            EmojiTable.load(STATIC / EMOJI_DATA, extra=settings.reactions.emoji),
            saved_dms,
            webhooks,
            broker.pictures,
        ),
        history=saved_dms,
        webhooks=webhooks,
        pacing=PacingClock(settings.limits.coalesce_milliseconds / 1000),
        process_lock=lock,
        in_worker=worker.shutdown is not None,
    )
    install_security(app, lambda: state.settings)
    app.extensions[EXTENSION] = state

    from app.web import admin_api, api, history_api, pages, pictures

    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(admin_api.blueprint)
    app.register_blueprint(history_api.blueprint)
    app.register_blueprint(pictures.blueprint)

    shutdown = worker.shutdown

    @app.before_serving
    async def start_serving() -> None:
        log_descriptor_exhaustion_once_a_minute(asyncio.get_running_loop())
        if shutdown is not None:
            stop_on_sigterm(shutdown)
        await state.start(None if shutdown is None else lambda: hypercorn_shutdown(shutdown))
        tune_for_serving()

    @app.after_serving
    async def stop_serving() -> None:
        await state.stop()

    return app
