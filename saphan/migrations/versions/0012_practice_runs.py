"""Finished practice screenings kept for the trainer's cohort view (issue 24 pt 4): fictional
cases only, never mixed with `screening_records`.

Revision ID: 0012_practice_runs
Revises: 0011_case_labels
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_practice_runs"
down_revision = "0011_case_labels"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "practice_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("agency", sa.String(120), nullable=False),
        sa.Column("cohort", sa.String(60), nullable=True),
        sa.Column("case_key", sa.String(60), nullable=False),
        sa.Column("finished_at", TZ, nullable=False),
        sa.Column("expected_category", sa.String(40), nullable=False),
        sa.Column("recorded_category", sa.String(40), nullable=False),
        sa.Column("right_result", sa.Boolean(), nullable=False),
        sa.Column("missed", sa.JSON(), nullable=False),
        sa.Column("wrong", sa.JSON(), nullable=False),
        sa.Column("not_asked", sa.JSON(), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"], ondelete="SET NULL",
                                name=op.f("fk_practice_runs_officer_id_officers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_runs")),
    )
    for column in ("officer_id", "cohort", "finished_at"):
        op.create_index(op.f(f"ix_practice_runs_{column}"), "practice_runs", [column])


def downgrade() -> None:
    for column in ("officer_id", "cohort", "finished_at"):
        op.drop_index(op.f(f"ix_practice_runs_{column}"), table_name="practice_runs")
    op.drop_table("practice_runs")
