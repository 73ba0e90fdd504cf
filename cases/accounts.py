"""Caseworker accounts (argon2 password hashes) and the `saphan caseworker` commands."""

from __future__ import annotations

import getpass
import os

import typer
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.models import Caseworker
from cases.vocab import ROLES
from saphan.db import session_scope, utcnow

MIN_PASSWORD = 10
_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    pass


def add_caseworker(session: Session, username: str, password: str, role: str = "caseworker",
                   display_name: str | None = None) -> Caseworker:
    """Create an account; raises `AccountError` for a bad role, short password or taken name."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "")\
            .replace("-", "").isalnum():
        raise AccountError("username: 1-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    taken = AccountError(f"username {username!r} is taken")
    if session.execute(select(Caseworker.id).where(Caseworker.username == username)).first():
        raise taken
    row = Caseworker(username=username, display_name=(display_name or username)[:120], role=role,
                     password_hash=_hasher.hash(password), active=True, created_at=utcnow())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # taken concurrently; the caller's transaction is rolled back
        raise taken from None
    return row


def authenticate(session: Session, username: str, password: str) -> Caseworker | None:
    """The active account with this username and password, else None."""
    row = session.execute(select(Caseworker).where(
        Caseworker.username == username.strip().lower())).scalar_one_or_none()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return row if row is not None and row.active else None


def get_caseworker(session: Session, caseworker_id: int) -> Caseworker | None:
    return session.get(Caseworker, caseworker_id)


def active_caseworkers(session: Session) -> list[Caseworker]:
    return list(session.execute(select(Caseworker).where(Caseworker.active.is_(True))
                                .order_by(Caseworker.username)).scalars())


caseworker_app = typer.Typer(help="Caseworker dashboard accounts.", no_args_is_help=True)


@caseworker_app.command("add")
def add_command(
    username: str,
    role: str = typer.Option("caseworker", help="admin or caseworker"),
    name: str = typer.Option("", help="Display name (default: the username)"),
) -> None:
    """Create a dashboard account; the password is read from SAPHAN_NEW_PASSWORD or a prompt."""
    password = os.environ.get("SAPHAN_NEW_PASSWORD") or getpass.getpass("Password: ")
    try:
        with session_scope() as session:
            add_caseworker(session, username, password, role, name or None)
    except AccountError as exc:
        typer.echo(f"ERROR: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"caseworker {username.strip().lower()} ({role}) added")
