"""Dashboard: server-side sessions and login throttling (the deactivation flag of an account is
the existing `caseworkers.active`).

Sessions made before this revision were stateless signed cookies; they match no row here, so
they no longer log anyone in.

Revision ID: 0006_accounts_sessions
Revises: 0005_directory_sources
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_accounts_sessions"
down_revision = "0005_directory_sources"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "caseworker_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("caseworker_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["caseworker_id"], ["caseworkers.id"], ondelete="CASCADE",
                                name=op.f("fk_caseworker_sessions_caseworker_id_caseworkers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caseworker_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_caseworker_sessions_token_hash")),
    )
    op.create_index(op.f("ix_caseworker_sessions_caseworker_id"), "caseworker_sessions",
                    ["caseworker_id"])
    op.create_index(op.f("ix_caseworker_sessions_expires_at"), "caseworker_sessions",
                    ["expires_at"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_index(op.f("ix_login_throttle_last_failure_at"), "login_throttle",
                    ["last_failure_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_throttle_last_failure_at"), table_name="login_throttle")
    op.drop_table("login_throttle")
    op.drop_index(op.f("ix_caseworker_sessions_expires_at"), table_name="caseworker_sessions")
    op.drop_index(op.f("ix_caseworker_sessions_caseworker_id"), table_name="caseworker_sessions")
    op.drop_table("caseworker_sessions")
