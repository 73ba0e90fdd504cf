"""LINE users note the languages they were given the privacy notice in (issue 18), so a person
who chooses or writes in another language than the welcome's gets the notice once in it.
Existing users have been given it in none: they get it once when they choose a language.

Revision ID: 0014_privacy_notice_languages
Revises: 0013_screening_person_mode
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_privacy_notice_languages"
down_revision = "0013_screening_person_mode"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("line_users", recreate="never") as batch:
        batch.add_column(sa.Column("notice_languages", sa.String(16), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("line_users") as batch:
        batch.drop_column("notice_languages")
