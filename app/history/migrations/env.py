"""Alembic's environment: run on the connection `app/history/migrate.py` hands over.

The connection is already inside a transaction (holding the migration lock); Alembic runs
in it, and the caller commits.
"""

from __future__ import annotations

from alembic import context

from app.history.schema import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
