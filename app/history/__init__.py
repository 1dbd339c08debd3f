"""Saved direct messages (`[DirectMessageHistory]`): the only thing this chat keeps on disk.

`history_for(settings)` gives the store the settings ask for, or None when history is off.
`store.SqlHistory` implements the chat's `MessageHistory` port (app/chat/ports.py) with
SQLAlchemy 2 Core on asyncio: aiosqlite for a SQLite file on one host, asyncpg for PostgreSQL
when the chat runs on several. `schema.py` is the one schema; `migrate.py` runs the Alembic
migrations in `migrations/` at start-up. This package depends on `app.chat`, never the reverse.
"""

from __future__ import annotations

from app.history.store import SqlHistory
from app.settings import Settings


def history_for(settings: Settings) -> SqlHistory | None:
    """The store for `settings`, or None when DM history is off."""
    if not settings.direct_message_history.enabled:
        return None
    return SqlHistory(settings.direct_message_history, settings.path)


__all__ = ["SqlHistory", "history_for"]
