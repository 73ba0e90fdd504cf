"""Database engine, sessions and the declarative base shared by every model module."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from saphan.settings import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the one clock of the app)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` as aware UTC; a naive value is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """The one datetime column type: binds UTC, always returns aware UTC.

    SQLite has no time zones and drops ``tzinfo`` (an aware non-UTC value would be stored as
    its wall-clock time), and PostgreSQL reads a naive value in the session's zone; converting
    every value to UTC here makes both store the same instant. Naive values are taken as UTC.
    The column is ``DateTime(timezone=True)``, so migrations and the schema are unchanged.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    """Declarative base of all app tables (one metadata, one Alembic history)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # gateway, actions and CLI write concurrently
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten with zeros
    cursor.close()


def scrub_deleted(engine: Engine, tables: Sequence[str]) -> str:
    """After personal data was deleted (erasure, retention): leave none of it in the files.

    SQLite: `secure_delete` (every connection) already zeroed the freed cells, but the
    write-ahead log keeps the old page images until it is checkpointed and truncated, which
    this does. PostgreSQL has no secure delete: deleted rows stay in the table's pages until
    VACUUM prunes them, which this runs on `tables`; it does not guarantee the bytes are
    overwritten, nor reach WAL archives, replicas or backups (docs/security.md: encrypted
    disks and backups, texts encrypted at rest). Returns what was done, for the log."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        return "wal checkpoint busy" if busy else "wal checkpointed and truncated"
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.exec_driver_sql(f'VACUUM "{table}"')
        return f"vacuumed {len(tables)} tables"
    return "nothing to do"


#: Stored in place of a NUL character, which PostgreSQL text cannot hold.
NUL_REPLACEMENT = "\ufffd"


def _no_nul(value: object) -> object:
    return value.replace("\x00", NUL_REPLACEMENT) if isinstance(value, str) else value


def _replace_nul(conn: object, cursor: object, statement: str, parameters: object,
                 context: object, executemany: bool) -> tuple[str, object]:
    """NUL in a text parameter becomes U+FFFD on every database, so a stray NUL in user or
    API text is stored the same way on SQLite and PostgreSQL instead of failing there."""
    def clean(params: object) -> object:
        if isinstance(params, dict):
            return {k: _no_nul(v) for k, v in params.items()}
        if isinstance(params, (list, tuple)):
            return type(params)(_no_nul(v) for v in params)
        return params

    if executemany and isinstance(parameters, (list, tuple)):
        return statement, [clean(p) for p in parameters]
    return statement, clean(parameters)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL mode, a busy timeout and foreign keys; on every
    database a NUL in a text parameter is stored as U+FFFD."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if parsed.drivername in ("postgresql", "postgres"):
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(
                hide_password=False)
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    event.listen(engine, "before_cursor_execute", _replace_nul, retval=True)
    return engine


@lru_cache
def get_engine() -> Engine:
    """The engine for the configured app database (cached per process)."""
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = (factory or get_sessionmaker())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


P = ParamSpec("P")
R = TypeVar("R")


def in_session(call: Callable[Concatenate[Session, P], R], *args: P.args,
               **kwargs: P.kwargs) -> R:
    """`call(session, *args, **kwargs)` in its own transaction: how an edge (a command, a job)
    calls one domain function."""
    with session_scope() as session:
        return call(session, *args, **kwargs)


async def run_in_session(call: Callable[Concatenate[Session, P], R], *args: P.args,
                         **kwargs: P.kwargs) -> R:
    """`in_session` in a worker thread, for async code (the database driver blocks)."""
    return await asyncio.to_thread(in_session, call, *args, **kwargs)


@contextmanager
def session_scope_for(url: str) -> Iterator[Session]:
    """`session_scope` on the database at `url` (not the configured one); for commands and
    tests that prepare a database other than this process's. The engine is disposed after."""
    engine = make_engine(url)
    try:
        with session_scope(sessionmaker(engine, expire_on_commit=False)) as session:
            yield session
    finally:
        engine.dispose()


def reset_caches() -> None:
    """Forget the cached engine and settings (used by tests that switch databases)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    get_settings.cache_clear()
