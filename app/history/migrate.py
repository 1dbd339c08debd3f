"""Bring the database's schema up to date at start-up: Alembic, under a lock.

Several processes may start together (Hypercorn workers, several hosts): each runs the
migrations inside one transaction that first takes a lock, so one migrates and the others
then find the schema current. PostgreSQL: a transaction-scoped advisory lock. SQLite (one
host by nature): an exclusive lock on a file beside the database.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.history.schema import VERSION_TABLE

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
ADVISORY_LOCK = 0x62617265  # "bare": any 64-bit number the site's own code does not use


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine) -> None:
    """Migrate to the newest revision (a no-op when another process just did)."""
    async with _file_lock(engine), engine.begin() as connection:
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync, opts={"version_table": VERSION_TABLE}).get_current_revision()
        )


@asynccontextmanager
async def _file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """For a SQLite file: hold `<database>.migrate-lock` exclusively; otherwise nothing."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    descriptor = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
