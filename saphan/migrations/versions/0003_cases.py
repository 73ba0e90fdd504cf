"""Cases: caseworkers, cases, case events/messages/notes/referrals, audit log.

Revision ID: 0003_cases
Revises: 0002_gateway
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_cases"
down_revision = "0002_gateway"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _child(table: str, *columns: sa.Column) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f(f"fk_{table}_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(op.f(f"ix_{table}_case_id"), table, ["case_id"])


def _worker(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["caseworkers.id"], ondelete="SET NULL",
                                   name=op.f(f"fk_{table}_{column}_caseworkers"))


def upgrade() -> None:
    op.create_table(
        "caseworkers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caseworkers")),
        sa.UniqueConstraint("username", name=op.f("uq_caseworkers_username")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("province", sa.String(60), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("screening", sa.Text(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("handoff_active", sa.Boolean(), nullable=False),
        sa.Column("closure_reason", sa.Text(), nullable=True),
        sa.Column("notify_level", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        _worker("cases", "assignee_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index(op.f("ix_cases_conversation_id"), "cases", ["conversation_id"])
    op.create_index(op.f("ix_cases_status"), "cases", ["status"])
    op.create_index(op.f("ix_cases_assignee_id"), "cases", ["assignee_id"])
    _child(
        "case_events",
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("from_value", sa.String(120), nullable=True),
        sa.Column("to_value", sa.String(120), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", TZ, nullable=False),
        _worker("case_events", "actor_id"),
    )
    _child(
        "case_messages",
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("caseworker_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        _worker("case_messages", "caseworker_id"),
    )
    _child(
        "case_notes",
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        _worker("case_notes", "author_id"),
    )
    _child(
        "case_referrals",
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("service_name", sa.String(300), nullable=False),
        sa.Column("organisation", sa.String(300), nullable=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("caseworker_id", sa.Integer(), nullable=True),
        sa.Column("at", TZ, nullable=False),
        _worker("case_referrals", "caseworker_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(300), nullable=True),
        sa.Column("at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_username"), "audit_log", ["username"])
    op.create_index(op.f("ix_audit_log_case_id"), "audit_log", ["case_id"])


def downgrade() -> None:
    for table in ("audit_log", "case_referrals", "case_notes", "case_messages", "case_events",
                  "cases", "caseworkers"):
        op.drop_table(table)
