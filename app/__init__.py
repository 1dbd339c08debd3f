"""BareRTC for Python: a self-hosted webcam chat room.

`create_app()` builds the Quart application; nothing else happens at import time.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta
from multiprocessing.synchronize import Event as EventType

from quart import Quart

from app import log_filters
from app.assets import install_asset_helper
from app.auth import weak_key_warning
from app.broker import broker_for
from app.chat.room import Room
from app.gc_policy import tune_for_serving
from app.processes import hypercorn_worker, single_room_problem, stop_on_sigterm, wait_for_shutdown
from app.settings import Settings, load_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def create_app(settings: Settings | None = None) -> Quart:
    """The application, for `settings` or the file named by $BARERTC_SETTINGS (./settings.toml)."""
    if settings is None:
        settings = load_settings(os.environ.get("BARERTC_SETTINGS", "settings.toml"))
    worker = hypercorn_worker()
    problem = single_room_problem(settings, worker.count)
    if problem:
        raise SystemExit(problem)
    if not logging.getLogger().handlers:  # run by `hypercorn 'app:create_app()'`: log like python -m app
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    log_filters.install()
    if (warning := weak_key_warning(settings)) is not None:
        logging.getLogger("app").warning("%s", warning)
    app = Quart(__name__)
    app.secret_key = settings.session_secret
    app.config.update(
        SESSION_COOKIE_NAME="barertc_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        SEND_FILE_MAX_AGE_DEFAULT=None,
    )
    room = Room(settings, broker_for(settings))
    app.config["ROOM"] = room
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["settings"] = settings
    install_asset_helper(app)

    from app.web import api, pages, socket

    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(socket.blueprint)

    watcher: list[asyncio.Task[None]] = []

    @app.before_serving
    async def start_room() -> None:
        await room.start()
        tune_for_serving()
        if worker.shutdown is not None:
            stop_on_sigterm(worker.shutdown)
            watcher.append(asyncio.create_task(_close_room_on_shutdown(room, worker.shutdown)))

    @app.after_serving
    async def stop_room() -> None:
        for task in watcher:
            task.cancel()
        await room.close()

    return app


async def _close_room_on_shutdown(room: Room, shutdown: EventType) -> None:
    """Under Hypercorn's workers: when told to stop, close every socket with 1012 at once (so
    browsers reconnect to a running worker) rather than when the graceful timeout runs out."""
    await wait_for_shutdown(shutdown)
    logging.getLogger("app").info("shutting down: closing sockets with 1012")
    await room.close()
