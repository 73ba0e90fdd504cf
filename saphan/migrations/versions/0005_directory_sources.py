"""Directory: where an entry's facts come from, and whether it still needs a phone number.

Revision ID: 0005_directory_sources
Revises: 0004_screening
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_directory_sources"
down_revision = "0004_screening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Server defaults fill the rows that exist already (NOT NULL columns on a filled table).
    op.add_column(
        "directory_services",
        sa.Column("source_url", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column("directory_services", sa.Column("source_note", sa.Text(), nullable=True))
    op.add_column(
        "directory_services",
        sa.Column("needs_phone", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("directory_services") as batch:
        batch.drop_column("needs_phone")
        batch.drop_column("source_note")
        batch.drop_column("source_url")
