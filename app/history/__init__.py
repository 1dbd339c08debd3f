"""Saved direct messages (`[DirectMessageHistory]`): the only thing this chat keeps on disk.

`history_for(settings)` gives the store the settings ask for, or None when history is off.
`store.SqlHistory` implements the chat's `MessageHistory` port (app/chat/ports.py) with
SQLAlchemy 2 Core on asyncio: aiosqlite for a SQLite file on one host, asyncpg for PostgreSQL
when the chat runs on several. `schema.py` is the one schema; `migrate.py` runs the Alembic
migrations in `migrations/` at start-up. This package depends on `app.chat`, never the reverse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.settings import Settings

if TYPE_CHECKING:
    from app.history.store import SqlHistory


def history_for(settings: Settings) -> SqlHistory | None:
    """The store for `settings`, or None when DM history is off. SQLAlchemy and Alembic are
    imported only then: some 30 MB of a server's memory that a chat without history never needs."""
    if not settings.direct_message_history.enabled:
        return None
    from app.history.store import SqlHistory

    return SqlHistory(settings.direct_message_history, settings.path)


__all__ = ["history_for"]
