"""Screening: enrollment codes, enrolled officers, screening records.

Revision ID: 0004_screening
Revises: 0003_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_screening"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "enrollment_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(120), nullable=False),
        sa.Column("role", sa.String(60), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_enrollment_codes_code_hash")),
    )
    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_user", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(120), nullable=False),
        sa.Column("role", sa.String(60), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("enrolled_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["code_id"], ["enrollment_codes.id"], ondelete="SET NULL",
                                name=op.f("fk_officers_code_id_enrollment_codes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
    )
    op.create_index(op.f("ix_officers_line_user"), "officers", ["line_user"])
    op.create_table(
        "screening_records",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("agency", sa.String(120), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("questionnaire_version", sa.String(40), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("stopped_early", sa.Boolean(), nullable=False),
        sa.Column("notes_encrypted", sa.Text(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"], ondelete="SET NULL",
                                name=op.f("fk_screening_records_officer_id_officers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_records")),
    )
    op.create_index(op.f("ix_screening_records_officer_id"), "screening_records", ["officer_id"])
    op.create_index(op.f("ix_screening_records_created_at"), "screening_records", ["created_at"])


def downgrade() -> None:
    op.drop_table("screening_records")
    op.drop_table("officers")
    op.drop_table("enrollment_codes")
