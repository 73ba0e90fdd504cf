"""Gateway: LINE users, durable inbox, outbox.

Revision ID: 0002_gateway
Revises: 0001_directory
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_gateway"
down_revision = "0001_directory"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "line_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("line_user_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_users")),
        sa.UniqueConstraint("channel", "line_user_id", name=op.f("uq_line_users_channel")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_line_users_conversation_id")),
    )
    op.create_table(
        "inbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_event_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("line_user_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("reply_token", sa.String(128), nullable=True),
        sa.Column("reply_token_used", sa.Boolean(), nullable=False),
        sa.Column("event_time", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("fallback_sent", sa.Boolean(), nullable=False),
        sa.Column("redeliveries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("completed_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_events")),
        sa.UniqueConstraint("webhook_event_id", name=op.f("uq_inbox_events_webhook_event_id")),
    )
    op.create_index(op.f("ix_inbox_events_line_user_id"), "inbox_events", ["line_user_id"])
    op.create_index(op.f("ix_inbox_events_status"), "inbox_events", ["status"])
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox_event_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("line_user_id", sa.String(64), nullable=False),
        sa.Column("retry_key", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=True),
        sa.Column("messages", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["inbox_event_id"], ["inbox_events.id"], ondelete="SET NULL",
            name=op.f("fk_outbox_messages_inbox_event_id_inbox_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("retry_key", name=op.f("uq_outbox_messages_retry_key")),
    )
    op.create_index(
        op.f("ix_outbox_messages_inbox_event_id"), "outbox_messages", ["inbox_event_id"]
    )
    op.create_index(op.f("ix_outbox_messages_line_user_id"), "outbox_messages", ["line_user_id"])


def downgrade() -> None:
    op.drop_table("outbox_messages")
    op.drop_table("inbox_events")
    op.drop_table("line_users")
