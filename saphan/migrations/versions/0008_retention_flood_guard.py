"""Retention and case-creation flood guard: legal hold and anonymisation of cases, shared
caseworker-notification counters.

Revision ID: 0008_retention_flood_guard
Revises: 0007_encryption_at_rest
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_retention_flood_guard"
down_revision = "0007_encryption_at_rest"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    # The server default fills the cases that exist already (NOT NULL on a filled table).
    op.add_column("cases", sa.Column("legal_hold", sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.add_column("cases", sa.Column("legal_hold_by", sa.String(64), nullable=True))
    op.add_column("cases", sa.Column("legal_hold_at", TZ, nullable=True))
    op.add_column("cases", sa.Column("legal_hold_reason", sa.String(300), nullable=True))
    op.add_column("cases", sa.Column("anonymised_at", TZ, nullable=True))
    op.create_table(
        "case_notification_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("window_start", TZ, nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notification_windows")),
        sa.UniqueConstraint("scope", "window_start",
                            name=op.f("uq_case_notification_windows_scope")),
    )
    op.create_index(op.f("ix_case_notification_windows_window_start"),
                    "case_notification_windows", ["window_start"])


def downgrade() -> None:
    op.drop_index(op.f("ix_case_notification_windows_window_start"),
                  table_name="case_notification_windows")
    op.drop_table("case_notification_windows")
    # Native DROP COLUMN (SQLite >= 3.35), not batch mode: copying `cases` on SQLite drops the
    # table, and its ON DELETE CASCADE would delete every case's events, messages and notes.
    for column in ("anonymised_at", "legal_hold_reason", "legal_hold_at", "legal_hold_by",
                   "legal_hold"):
        op.drop_column("cases", column)
