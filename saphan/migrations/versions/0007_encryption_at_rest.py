"""Encryption at rest of message texts, notes, closure reasons and screening answers.

The columns below now hold Fernet tokens (`saphan.crypto`, keys `SAPHAN_ENCRYPTION_KEYS`);
existing rows are encrypted here with the first key. `cases.address` becomes `Text` (a token
is longer than the 500 characters it held). Screening notes, already tokens under
`SAPHAN_SCREENING_NOTES_KEY`, are re-encrypted under the new key list (that key must still be
set for this upgrade when notes exist). The downgrade decrypts everything back (and puts the
notes back under `SAPHAN_SCREENING_NOTES_KEY` when it is set).

Revision ID: 0007_encryption_at_rest
Revises: 0006_accounts_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet

from saphan.crypto import DecryptionError, decrypt, encrypt, rewrite_texts, rotate
from saphan.settings import get_settings

revision = "0007_encryption_at_rest"
down_revision = "0006_accounts_sessions"
branch_labels = None
depends_on = None

#: table -> (primary key, columns encrypted by this revision)
ENCRYPTED = {
    "inbox_events": ("id", ("payload",)),
    "outbox_messages": ("id", ("messages",)),
    "cases": ("id", ("summary", "screening", "closure_reason", "address")),
    "case_messages": ("id", ("body",)),
    "case_notes": ("id", ("body",)),
    "case_referrals": ("id", ("details",)),
    "screening_records": ("id", ("context", "answers", "result")),
}


def _address_type(old: sa.types.TypeEngine, new: sa.types.TypeEngine, sqlite_new: str) -> None:
    """Change the declared type of `cases.address`. On SQLite not by copying the table (batch
    mode): dropping `cases` there would cascade-delete its messages, notes and events; native
    ALTERs keep every row (SQLite ≥ 3.35)."""
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("cases", "address", existing_type=old, type_=new, existing_nullable=True)
        return
    op.execute(f"ALTER TABLE cases ADD COLUMN address_new {sqlite_new}")
    cases = sa.table("cases", sa.column("address"), sa.column("address_new"))
    op.execute(cases.update().values(address_new=cases.c.address))
    op.execute("ALTER TABLE cases DROP COLUMN address")
    op.execute("ALTER TABLE cases RENAME COLUMN address_new TO address")


def upgrade() -> None:
    _address_type(sa.String(500), sa.Text(), "TEXT")
    bind = op.get_bind()
    for table, (key, columns) in ENCRYPTED.items():
        rewrite_texts(bind, table, key, columns, encrypt)
    rewrite_texts(bind, "screening_records", "id", ("notes_encrypted",), _notes_to_new_keys)


def _notes_to_new_keys(token: str) -> str:
    try:
        return rotate(token)
    except DecryptionError:
        raise DecryptionError(
            "screening notes exist that no key opens: set SAPHAN_SCREENING_NOTES_KEY to the key "
            "they were saved with for this upgrade") from None


def _under_old_notes_key(token: str) -> str:
    old = get_settings().screening_notes_key.get_secret_value().strip()
    return Fernet(old.encode()).encrypt(decrypt(token).encode()).decode() if old else token


def downgrade() -> None:
    bind = op.get_bind()
    for table, (key, columns) in ENCRYPTED.items():
        rewrite_texts(bind, table, key, columns, decrypt)
    rewrite_texts(bind, "screening_records", "id", ("notes_encrypted",), _under_old_notes_key)
    _address_type(sa.Text(), sa.String(500), "VARCHAR(500)")
