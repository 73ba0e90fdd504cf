"""Encryption at rest: Fernet tokens under a key list (`SAPHAN_ENCRYPTION_KEYS`, MultiFernet).

The first key encrypts, every key decrypts, so a key is rotated without downtime: put a new
key first, run `saphan keys rotate` (re-encrypts every stored value with the first key), then
drop the old key. `SAPHAN_SCREENING_NOTES_KEY` (the screening notes' key before this list) is
accepted as one more decrypt-only key until `saphan keys rotate` has re-encrypted those notes.

Columns of personal free text are declared `EncryptedText` / `EncryptedJSON`: Python code
reads and writes plain values, the database only ever holds tokens. Tokens are randomised, so
such a column cannot be compared, sorted or searched in SQL (filter in Python after loading).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, Connection, Dialect, MetaData, Table, Text, select, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from saphan.db import NUL_REPLACEMENT
from saphan.settings import Settings, SettingsError, get_settings

KEYS_VARIABLE = "SAPHAN_ENCRYPTION_KEYS"
#: `Column.info` flag of a column that stores Fernet tokens made by its owner (not by a type).
TOKEN_COLUMN = "fernet_token"


class EncryptionKeyError(SettingsError):
    """The key list is empty or holds something that is not a Fernet key (never shown)."""


class DecryptionError(ValueError):
    """No configured key opens a stored value (a key was dropped too early, or bad data)."""


def generate_key() -> str:
    """A new random Fernet key (what `SAPHAN_ENCRYPTION_KEYS` holds, comma-separated)."""
    return Fernet.generate_key().decode()


@lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise EncryptionKeyError(f"{KEYS_VARIABLE} is empty; make a key with `saphan keys new`")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError:
            raise EncryptionKeyError(
                f"{KEYS_VARIABLE}: key {position} is not a Fernet key (32 url-safe base64 "
                "bytes); make one with `saphan keys new`") from None
    return MultiFernet(fernets)


def key_list(settings: Settings | None = None) -> tuple[str, ...]:
    """The encryption keys (first encrypts), then the legacy screening notes key if set."""
    settings = settings or get_settings()
    keys = list(settings.encryption_key_list)
    legacy = settings.screening_notes_key.get_secret_value().strip()
    if legacy and legacy not in keys:
        keys.append(legacy)
    return tuple(keys)


def keyring(settings: Settings | None = None) -> MultiFernet:
    """The configured keys as one MultiFernet; `EncryptionKeyError` if they are unusable."""
    return _keyring(key_list(settings))


def encrypt(text: str, settings: Settings | None = None) -> str:
    """`text` as a Fernet token under the first key."""
    return keyring(settings).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, settings: Settings | None = None) -> str:
    """The text of a token made under any configured key; `DecryptionError` otherwise."""
    try:
        return keyring(settings).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError(
            f"no key of {KEYS_VARIABLE} opens a stored value (was a key dropped before "
            "`saphan keys rotate`?)") from None


def rotate(token: str, settings: Settings | None = None) -> str:
    """The same value re-encrypted under the first key."""
    try:
        return keyring(settings).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError(f"no key of {KEYS_VARIABLE} opens a stored value") from None


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token (the column itself is `Text`).

    A NUL character becomes U+FFFD before encryption, as every other text parameter does
    (`saphan.db._replace_nul`), so values read back the same on SQLite and PostgreSQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(str(value).replace("\x00", NUL_REPLACEMENT))

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value (object, list, …) stored as a Fernet token of its JSON text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(decrypt(value))


def is_encrypted(column: Column[Any]) -> bool:
    """Whether the column holds Fernet tokens (an encrypted type, or flagged `TOKEN_COLUMN`)."""
    return isinstance(column.type, EncryptedText | EncryptedJSON) or bool(
        column.info.get(TOKEN_COLUMN))


def encrypted_columns(metadata: MetaData) -> Iterator[tuple[Table, Column[Any]]]:
    """Every (table, column) of `metadata` that holds tokens, in a stable order."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if is_encrypted(column):
                yield table, column


def rewrite_texts(db: Session | Connection, table: str, key: str, columns: Sequence[str],
                  transform: Callable[[str], str], batch: int = 500) -> int:
    """Apply `transform` to the raw stored text of `columns` in every row of `table` (primary
    key column `key`); NULL stays NULL. Used by migrations (encrypt, decrypt) and by
    `reencrypt_all`; works on raw text, so no decrypted value reaches the SQL log. Returns the
    number of rows written."""
    cols = [sql_column(name, Text) for name in columns]
    pk = sql_column(key)
    target = sql_table(table, pk, *cols)
    changed = 0
    last: Any = None
    while True:
        query = select(pk, *cols).order_by(pk).limit(batch)
        if last is not None:
            query = query.where(pk > last)
        rows = db.execute(query).all()
        if not rows:
            return changed
        for row in rows:
            values = {name: transform(value)
                      for name, value in zip(columns, row[1:], strict=True) if value is not None}
            if values:
                db.execute(update(target).where(pk == row[0]).values(values))
                changed += 1
        last = rows[-1][0]


def reencrypt_all(db: Session | Connection, metadata: MetaData,
                  settings: Settings | None = None) -> dict[str, int]:
    """Re-encrypt every stored token of every encrypted column of `metadata` under the first
    key (`saphan keys rotate`): {"table.column": rows}. `DecryptionError` if a token opens
    with no configured key (nothing of that transaction is kept by the caller)."""
    keyring(settings)  # unusable keys fail before anything is read
    report = {}
    for table, column in encrypted_columns(metadata):
        (pk,) = table.primary_key.columns
        report[f"{table.name}.{column.name}"] = rewrite_texts(
            db, table.name, pk.name, [column.name], lambda token: rotate(token, settings))
    return report
