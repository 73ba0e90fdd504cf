"""Referral directory: organisations and services.

Revision ID: 0001_directory
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_directory"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("name_th", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_directory_organisations"),
        sa.UniqueConstraint("external_id", name="uq_directory_organisations_external_id"),
    )
    op.create_table(
        "directory_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("service_type", sa.String(30), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("name_th", sa.String(300), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("description_th", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("province", sa.String(60), nullable=True),
        sa.Column("district", sa.String(100), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("national", sa.Boolean(), nullable=False),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("line_id", sa.String(100), nullable=True),
        sa.Column("website", sa.String(500), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("opening_hours", sa.String(300), nullable=True),
        sa.Column("is_24h", sa.Boolean(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("cost_notes", sa.Text(), nullable=True),
        sa.Column("eligibility_notes", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(20), nullable=False),
        sa.Column("last_verified", sa.Date(), nullable=True),
        sa.Column("sample", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["directory_organisations.id"],
            name="fk_directory_services_organisation_id_directory_organisations",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name="ck_directory_services_latitude_range"
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name="ck_directory_services_longitude_range"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_directory_services"),
        sa.UniqueConstraint("external_id", name="uq_directory_services_external_id"),
    )
    op.create_index(
        "ix_directory_services_type_lat_lon",
        "directory_services",
        ["service_type", "latitude", "longitude"],
    )
    op.create_index(
        "ix_directory_services_province_type", "directory_services", ["province", "service_type"]
    )
    op.create_index(
        "ix_directory_services_national_type", "directory_services", ["national", "service_type"]
    )
    op.create_index(
        "ix_directory_services_organisation_id", "directory_services", ["organisation_id"]
    )


def downgrade() -> None:
    op.drop_table("directory_services")
    op.drop_table("directory_organisations")
