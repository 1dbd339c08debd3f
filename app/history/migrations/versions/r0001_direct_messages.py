"""Saved direct messages: one table, four indexes.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "barertc_direct_messages",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("member_low", sa.Text(), nullable=False),
        sa.Column("member_high", sa.Text(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_barertc_dm_conversation", "barertc_direct_messages", ["member_low", "member_high", "sent_at", "id"]
    )
    op.create_index("ix_barertc_dm_member_high", "barertc_direct_messages", ["member_high", "member_low"])
    op.create_index("ix_barertc_dm_message_id", "barertc_direct_messages", ["message_id"])
    op.create_index("ix_barertc_dm_sent_at", "barertc_direct_messages", ["sent_at"])


def downgrade() -> None:
    op.drop_table("barertc_direct_messages")
