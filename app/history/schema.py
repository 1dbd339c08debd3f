"""The one schema of saved direct messages, for SQLite and PostgreSQL alike.

The migrations in `migrations/versions/` build exactly this (a test compares them on both
databases); a change here is a new migration there.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, Text

metadata = MetaData()

# SQLite numbers rows itself only for an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")

direct_messages = Table(
    "barertc_direct_messages",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("message_id", Text, nullable=False),  # the room's id of the message (take-back)
    Column("member_low", Text, nullable=False),  # the two people, sorted: one conversation
    Column("member_high", Text, nullable=False),
    Column("sender", Text, nullable=False),
    Column("text", Text, nullable=False),  # Markdown as typed; rendered when read
    Column("sent_at", BigInteger, nullable=False),  # epoch milliseconds
    Index("ix_barertc_dm_conversation", "member_low", "member_high", "sent_at", "id"),
    Index("ix_barertc_dm_member_high", "member_high", "member_low"),
    Index("ix_barertc_dm_message_id", "message_id"),
    Index("ix_barertc_dm_sent_at", "sent_at"),
)

VERSION_TABLE = "barertc_alembic_version"  # not alembic_version: the database may be shared
