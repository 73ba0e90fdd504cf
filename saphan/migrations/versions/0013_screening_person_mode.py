"""Screening records note person-facing mode (issue 24 pt 2): who answered, in which language,
and whether unreviewed draft texts were shown. Existing rows were asked by the officer.

Revision ID: 0013_screening_person_mode
Revises: 0012_practice_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_screening_person_mode"
down_revision = "0012_practice_runs"
branch_labels = None
depends_on = None

COLUMNS = ("answered_by", "person_language", "drafts_shown")


def upgrade() -> None:
    with op.batch_alter_table("screening_records", recreate="never") as batch:
        batch.add_column(sa.Column("answered_by", sa.String(16), nullable=False,
                                   server_default="officer"))
        batch.add_column(sa.Column("person_language", sa.String(8), nullable=True))
        batch.add_column(sa.Column("drafts_shown", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("screening_records") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
