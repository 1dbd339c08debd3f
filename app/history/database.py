"""The engine for `DirectMessageHistory.DatabaseURL`: SQLite beside the settings, or PostgreSQL.

`sqlite://` and `postgresql://` are taken to mean their asyncio drivers (aiosqlite, asyncpg).
A relative SQLite path is resolved against the settings file's folder, so the database is
where the operator's settings are, whatever directory the server was started from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
CONNECT_TIMEOUT_SECONDS = 5.0


def database_url(url: str, settings_path: str) -> URL:
    """The URL to connect to: its asyncio driver, and a SQLite path made absolute."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if parsed.drivername == backend and backend in ASYNC_DRIVERS:
        parsed = parsed.set(drivername=ASYNC_DRIVERS[backend])
    database = parsed.database
    if backend == "sqlite" and database and database != ":memory:" and not Path(database).is_absolute():
        base = Path(settings_path).resolve().parent if settings_path else Path.cwd()
        parsed = parsed.set(database=str(base / database))
    return parsed


def where(url: URL) -> str:
    """The database, for logs: a SQLite file, or host/database (never the password)."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite {url.database}"
    return f"PostgreSQL {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def create_engine(url: URL) -> AsyncEngine:
    """An engine for the database. PostgreSQL's connections are checked before use (a restarted
    server is no error); a SQLite file has no server to lose, and the check would cost a trip
    through aiosqlite's thread for every write."""
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=4, max_overflow=4, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS}
    )


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Write-ahead logging: readers do not wait for the writer, and several processes on one
    host (workers over Redis) share the file; a writer waits for another rather than failing."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
