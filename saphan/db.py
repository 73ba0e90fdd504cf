"""Database engine, sessions and the declarative base shared by every model module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from saphan.settings import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of all app tables (one metadata, one Alembic history)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # gateway, actions and CLI write concurrently
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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


def reset_caches() -> None:
    """Forget the cached engine and settings (used by tests that switch databases)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    get_settings.cache_clear()
