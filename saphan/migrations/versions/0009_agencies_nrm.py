"""Agencies and the NRM pathway: agencies, accounts and cases of an agency (existing ones move
into the default agency), roles, note visibility, referrals as hand-overs with consent, case
access of other agencies, NRM stage changes, MDT conferences.

Revision ID: 0009_agencies_nrm
Revises: 0008_retention_flood_guard
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009_agencies_nrm"
down_revision = "0008_retention_flood_guard"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
DEFAULT_AGENCY = "default"  # agencies.vocab.DEFAULT_AGENCY_CODE (migrations import no domain)


def _reference_column(table: str, column: str, target: str, index: bool = False) -> None:
    """Add a nullable column with a named foreign key, in place. SQLite takes a REFERENCES
    column in ALTER TABLE only with a NULL default and Alembic cannot add the constraint
    there; a table copy (batch mode) would cascade-delete the rows of child tables."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} "
                           f"REFERENCES {target} (id)"))
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), sa.ForeignKey(
            f"{target}.id", name=op.f(name)), nullable=True))
    if index:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def _agency_column(table: str, column: str = "agency_id", index: bool = True) -> None:
    _reference_column(table, column, "agencies", index=index)


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name_th", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("provinces", sa.JSON(), nullable=False),
        sa.Column("national", sa.Boolean(), nullable=False),
        sa.Column("handover_contact", sa.String(300), nullable=True),
        sa.Column("directory_services", sa.JSON(), nullable=False),
        sa.Column("example", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(300), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_agencies_code")),
    )
    op.create_index(op.f("ix_agencies_kind"), "agencies", ["kind"])
    now = datetime.now(UTC)
    agencies = sa.table(
        "agencies", sa.column("code", sa.String), sa.column("name_th", sa.String),
        sa.column("name_en", sa.String), sa.column("kind", sa.String),
        sa.column("provinces", sa.JSON), sa.column("national", sa.Boolean),
        sa.column("directory_services", sa.JSON), sa.column("example", sa.Boolean),
        sa.column("active", sa.Boolean), sa.column("created_at", TZ),
        sa.column("updated_at", TZ))
    op.bulk_insert(agencies, [{
        "code": DEFAULT_AGENCY, "name_th": "หน่วยงานเริ่มต้น (โปรดเปลี่ยนชื่อ)",
        "name_en": "Default agency (rename me)", "kind": "ngo", "provinces": [],
        "national": True, "directory_services": [], "example": False, "active": True,
        "created_at": now, "updated_at": now}])
    default_id = f"(SELECT id FROM agencies WHERE code = '{DEFAULT_AGENCY}')"

    for table in ("caseworkers", "cases", "case_notes"):
        _agency_column(table)
        op.execute(sa.text(f"UPDATE {table} SET agency_id = {default_id}"))
    op.execute(sa.text("UPDATE caseworkers SET role = 'system_admin' WHERE role = 'admin'"))
    with op.batch_alter_table("case_notes", recreate="never") as batch:
        batch.add_column(sa.Column("visibility", sa.String(8), server_default="agency",
                                   nullable=False))

    _agency_column("case_referrals", "from_agency_id", index=False)
    _agency_column("case_referrals", "to_agency_id")
    op.execute(sa.text("UPDATE case_referrals SET from_agency_id = (SELECT agency_id FROM cases "
                       "WHERE cases.id = case_referrals.case_id)"))
    with op.batch_alter_table("case_referrals", recreate="never") as batch:
        batch.add_column(sa.Column("state", sa.String(12), server_default="recorded",
                                   nullable=False))
        batch.add_column(sa.Column("shares", sa.JSON(), server_default="[]", nullable=False))
        batch.add_column(sa.Column("summary_for_receiver", sa.Text(), nullable=True))
        batch.add_column(sa.Column("consent", sa.String(12), server_default="not_asked",
                                   nullable=False))
        batch.add_column(sa.Column("consent_method", sa.String(24), nullable=True))
        batch.add_column(sa.Column("consent_language", sa.String(8), nullable=True))
        batch.add_column(sa.Column("consent_at", TZ, nullable=True))
        batch.add_column(sa.Column("override_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("due_at", TZ, nullable=True))
        batch.add_column(sa.Column("reminded_at", TZ, nullable=True))
        batch.add_column(sa.Column("decided_at", TZ, nullable=True))
        batch.add_column(sa.Column("decline_reason", sa.Text(), nullable=True))
    # Accounts are deactivated, never deleted: no ON DELETE action (SQLite's reflection could
    # not read one on a column added in place, so the models compare equal this way).
    _reference_column("case_referrals", "consent_by", "caseworkers")
    _reference_column("case_referrals", "decided_by", "caseworkers")
    op.create_index(op.f("ix_case_referrals_state"), "case_referrals", ["state"])
    op.create_index(op.f("ix_case_referrals_due_at"), "case_referrals", ["due_at"])

    op.create_table(
        "case_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_case_access_case_id_cases")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_case_access_agency_id_agencies")),
        sa.ForeignKeyConstraint(["referral_id"], ["case_referrals.id"], ondelete="SET NULL",
                                name=op.f("fk_case_access_referral_id_case_referrals")),
        sa.ForeignKeyConstraint(["assignee_id"], ["caseworkers.id"], ondelete="SET NULL",
                                name=op.f("fk_case_access_assignee_id_caseworkers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_access")),
        sa.UniqueConstraint("case_id", "agency_id", name=op.f("uq_case_access_case_id")),
    )
    op.create_index(op.f("ix_case_access_case_id"), "case_access", ["case_id"])
    op.create_index(op.f("ix_case_access_agency_id"), "case_access", ["agency_id"])

    op.create_table(
        "case_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("from_stage", sa.String(32), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("record", sa.Text(), nullable=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_case_stages_case_id_cases")),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_case_stages_agency_id_agencies")),
        sa.ForeignKeyConstraint(["actor_id"], ["caseworkers.id"], ondelete="SET NULL",
                                name=op.f("fk_case_stages_actor_id_caseworkers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_stages")),
    )
    op.create_index(op.f("ix_case_stages_case_id"), "case_stages", ["case_id"])

    op.create_table(
        "mdt_conferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_mdt_conferences_case_id_cases")),
        sa.ForeignKeyConstraint(["recorded_by"], ["caseworkers.id"], ondelete="SET NULL",
                                name=op.f("fk_mdt_conferences_recorded_by_caseworkers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mdt_conferences")),
    )
    op.create_index(op.f("ix_mdt_conferences_case_id"), "mdt_conferences", ["case_id"])


def downgrade() -> None:
    for table in ("mdt_conferences", "case_stages", "case_access"):
        op.drop_table(table)
    op.execute(sa.text("UPDATE caseworkers SET role = 'admin' WHERE role = 'system_admin'"))
    op.execute(sa.text("UPDATE caseworkers SET role = 'caseworker' "
                       "WHERE role IN ('supervisor', 'agency_admin')"))
    op.drop_index(op.f("ix_case_referrals_due_at"), table_name="case_referrals")
    op.drop_index(op.f("ix_case_referrals_state"), table_name="case_referrals")
    op.drop_index(op.f("ix_case_referrals_to_agency_id"), table_name="case_referrals")
    for table, columns in (
        ("case_referrals", ("decline_reason", "decided_by", "decided_at", "reminded_at",
                            "due_at", "override_reason", "consent_at", "consent_by",
                            "consent_language", "consent_method", "consent",
                            "summary_for_receiver", "shares", "state", "to_agency_id",
                            "from_agency_id")),
        ("case_notes", ("visibility", "agency_id")),
        ("cases", ("agency_id",)),
        ("caseworkers", ("agency_id",)),
    ):
        for index_table in ("case_notes", "cases", "caseworkers"):
            if table == index_table:
                op.drop_index(op.f(f"ix_{table}_agency_id"), table_name=table)
        for column in columns:
            # Native DROP COLUMN (SQLite >= 3.35), never a table copy (see 0008).
            op.drop_column(table, column)
    op.drop_index(op.f("ix_agencies_kind"), table_name="agencies")
    op.drop_table("agencies")
