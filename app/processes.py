"""How many processes serve the chat, and the refusal to split one room between them.

Without Redis, the room lives in one process's memory: two workers would be two rooms that
cannot see each other. So asking for more than one worker with no `[Redis] URL` stops start-up
with a message that says what to configure: `python -m app --workers N` checks its option, and
`create_app()` checks the Hypercorn configuration that is loading it
(`hypercorn 'app:create_app()' --workers N`, or `workers` in a Hypercorn config file).
"""

from __future__ import annotations

import sys

from hypercorn.config import Config

from app.settings import Settings


def needs_redis_message(workers: int) -> str:
    return (f"{workers} worker processes asked for, but no Redis is configured: each worker would hold "
            "a separate chat room. Set [Redis] URL in settings.toml (or the BARERTC_REDIS_URL environment "
            "variable) to a redis://host:port/db URL so the workers form one chat, or run one worker.")


def single_room_problem(settings: Settings, workers: int) -> str | None:
    """Why this many workers cannot run with these settings, or None when they can."""
    if workers > 1 and not settings.redis.url:
        return needs_redis_message(workers)
    return None


def hypercorn_workers() -> int:
    """The worker count of the Hypercorn that is loading the app; 1 when none is.

    Hypercorn's worker function loads the application with its `Config` in a local variable,
    and that configuration (from the command line or a config file) is the only place the
    count is known inside a worker process.
    """
    frame = sys._getframe(1)
    while frame is not None:
        config = frame.f_locals.get("config")
        if isinstance(config, Config):
            return int(config.workers)
        frame = frame.f_back  # type: ignore[assignment]
    return 1
