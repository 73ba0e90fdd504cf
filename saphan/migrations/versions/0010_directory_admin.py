"""Keeping the directory current (issue 20 pt 6): a service can be retired (kept, hidden from
every search) and says who last verified it; every change made by people is in the history
table `directory_service_changes` (directory facts only, no personal data).

Revision ID: 0010_directory_admin
Revises: 0009_agencies_nrm
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_directory_admin"
down_revision = "0009_agencies_nrm"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("directory_services", sa.Column("retired_on", sa.Date(), nullable=True))
    op.add_column("directory_services", sa.Column("verified_by", sa.String(64), nullable=True))
    op.create_table(
        "directory_service_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(300), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"], ["directory_services.id"], ondelete="CASCADE",
            name=op.f("fk_directory_service_changes_service_id_directory_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_service_changes")),
    )
    op.create_index(op.f("ix_directory_service_changes_service_id"),
                    "directory_service_changes", ["service_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_directory_service_changes_service_id"),
                  table_name="directory_service_changes")
    op.drop_table("directory_service_changes")
    with op.batch_alter_table("directory_services") as batch:
        batch.drop_column("verified_by")
        batch.drop_column("retired_on")
