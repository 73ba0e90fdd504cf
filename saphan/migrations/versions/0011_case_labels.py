"""Labels an agency keeps for its cases (issue 23 pt 2): `agency_labels` per agency,
`case_labels` linking them to cases (each agency sees only its own labels on a shared case).
`cases.notify_level`: the wider re-notification moves from 2 to `cases.service.WIDE` (1000) so
that 2..999 can count overdue reminders; a case already widely notified keeps that meaning.

Revision ID: 0011_case_labels
Revises: 0010_directory_admin
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_case_labels"
down_revision = "0010_directory_admin"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agency_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("retired_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], ondelete="CASCADE",
                                name=op.f("fk_agency_labels_agency_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_labels")),
        sa.UniqueConstraint("agency_id", "name", name=op.f("uq_agency_labels_agency_id")),
    )
    op.create_index(op.f("ix_agency_labels_agency_id"), "agency_labels", ["agency_id"])
    op.create_table(
        "case_labels",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_case_labels_case_id_cases")),
        sa.ForeignKeyConstraint(["label_id"], ["agency_labels.id"], ondelete="CASCADE",
                                name=op.f("fk_case_labels_label_id_agency_labels")),
        sa.ForeignKeyConstraint(["added_by"], ["caseworkers.id"], ondelete="SET NULL",
                                name=op.f("fk_case_labels_added_by_caseworkers")),
        sa.PrimaryKeyConstraint("case_id", "label_id", name=op.f("pk_case_labels")),
    )
    op.create_index(op.f("ix_case_labels_label_id"), "case_labels", ["label_id"])
    op.execute("UPDATE cases SET notify_level = 1000 WHERE notify_level = 2")


def downgrade() -> None:
    op.execute("UPDATE cases SET notify_level = 1 WHERE notify_level > 1 AND notify_level < 1000")
    op.execute("UPDATE cases SET notify_level = 2 WHERE notify_level >= 1000")
    op.drop_index(op.f("ix_case_labels_label_id"), table_name="case_labels")
    op.drop_table("case_labels")
    op.drop_index(op.f("ix_agency_labels_agency_id"), table_name="agency_labels")
    op.drop_table("agency_labels")
