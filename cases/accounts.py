"""Caseworker accounts (argon2 password hashes; deactivation; password changes end the other
sessions) and the `saphan caseworker` commands."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable

import typer
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agencies import store as agency_store
from cases import audit, sessions
from cases.models import Caseworker
from cases.vocab import ROLES
from saphan.db import session_scope, utcnow

#: The one password rule (the dashboard states it from these numbers: text `password_rule`).
MIN_PASSWORD = 10
MIN_DISTINCT = 5
_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    pass


class WrongPassword(AccountError):
    """The current password given to change it is wrong."""


def password_problem(password: str, username: str) -> str | None:
    """What is wrong with `password` under the one rule (at least MIN_PASSWORD characters,
    MIN_DISTINCT of them different, not containing the username), else None."""
    if len(password) < MIN_PASSWORD:
        return f"password must have at least {MIN_PASSWORD} characters"
    if len(set(password)) < MIN_DISTINCT:
        return f"password must have at least {MIN_DISTINCT} different characters"
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        return "password must not contain the username"
    return None


def add_caseworker(session: Session, username: str, password: str, role: str = "caseworker",
                   display_name: str | None = None, agency_id: int | None = None) -> Caseworker:
    """Create an account of agency `agency_id` (None: the default agency); raises
    `AccountError` for a bad role, short password, taken name or unknown agency."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "")\
            .replace("-", "").isalnum():
        raise AccountError("username: 1-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    problem = password_problem(password, username)
    if problem:
        raise AccountError(problem)
    try:
        agency = (agency_store.default_agency(session) if agency_id is None
                  else agency_store.get(session, agency_id))
    except agency_store.AgencyError as exc:
        raise AccountError(f"agency: {exc}") from None
    taken = AccountError(f"username {username!r} is taken")
    if session.execute(select(Caseworker.id).where(Caseworker.username == username)).first():
        raise taken
    row = Caseworker(username=username, display_name=(display_name or username)[:120], role=role,
                     agency_id=agency.id, password_hash=_hasher.hash(password), active=True,
                     created_at=utcnow())
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


def all_caseworkers(session: Session) -> list[Caseworker]:
    return list(session.execute(select(Caseworker).order_by(Caseworker.username)).scalars())


def by_username(session: Session, username: str) -> Caseworker:
    row = session.execute(select(Caseworker).where(
        Caseworker.username == username.strip().lower())).scalar_one_or_none()
    if row is None:
        raise AccountError(f"no caseworker {username.strip().lower()!r}")
    return row


def _set_password(worker: Caseworker, password: str) -> None:
    problem = password_problem(password, worker.username)
    if problem:
        raise AccountError(problem)
    worker.password_hash = _hasher.hash(password)


def change_password(session: Session, worker: Caseworker, current: str, new: str,
                    keep_token: str) -> int:
    """The account's own change (dashboard): `current` must be right (else `WrongPassword`),
    `new` must follow the rule (else `AccountError`); every other session of the account ends.
    Returns how many ended."""
    try:
        _hasher.verify(worker.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise WrongPassword("current password is wrong") from None
    _set_password(worker, new)
    audit.record(session, worker.username, "password_changed")
    return sessions.revoke_all(session, worker.id, keep_token)


def reset_password(session: Session, username: str, new: str, actor: str) -> int:
    """An operator sets a new password (forgotten or leaked): every session of the account
    ends. Returns how many ended."""
    worker = by_username(session, username)
    _set_password(worker, new)
    audit.record(session, actor, "password_reset", detail=worker.username)
    return sessions.revoke_all(session, worker.id)


def set_active(session: Session, username: str, active: bool, actor: str) -> int:
    """Deactivate (no login; every live session ends at once) or reactivate an account; the
    account and its history stay. Returns how many sessions ended."""
    worker = by_username(session, username)
    worker.active = active
    audit.record(session, actor, "activate" if active else "deactivate", detail=worker.username)
    return 0 if active else sessions.revoke_all(session, worker.id)


class NotPermitted(AccountError):
    """The acting account may not manage this account (dashboard: 403)."""


#: Roles that manage accounts: an agency admin its own agency's, a system admin everyone's.
ACCOUNT_ADMIN_ROLES = ("agency_admin", "system_admin")


def accounts_of(session: Session, agency_id: int | None = None) -> list[Caseworker]:
    """The accounts of one agency (None: every account), by username."""
    query = select(Caseworker).order_by(Caseworker.username)
    if agency_id is not None:
        query = query.where(Caseworker.agency_id == agency_id)
    return list(session.execute(query).scalars())


def may_manage(actor: Caseworker, agency_id: int | None, role: str | None = None) -> bool:
    """Whether `actor` may manage an account of `agency_id` that has (or is to get) `role`:
    a system admin any; an agency admin only its own agency's and never a system admin."""
    if not actor.active:
        return False
    if actor.role == "system_admin":
        return True
    return (actor.role == "agency_admin" and agency_id == actor.agency_id
            and role != "system_admin")


def _managed(session: Session, actor: Caseworker, username: str) -> Caseworker:
    """The account `actor` is about to change; `NotPermitted` if it may not (also for its own
    account: nobody locks themselves out here; the own password has its own page)."""
    target = by_username(session, username)
    if not may_manage(actor, target.agency_id, target.role):
        raise NotPermitted(f"you may not manage the account {target.username!r}")
    if target.id == actor.id:
        raise NotPermitted("you cannot change your own account here")
    return target


def add_managed(session: Session, actor: Caseworker, username: str, password: str, role: str,
                display_name: str | None, agency_id: int | None) -> Caseworker:
    """An account added by an admin (dashboard): an agency admin adds to its own agency only,
    never a system admin. Audited."""
    agency_id = actor.agency_id if agency_id is None else agency_id
    if not may_manage(actor, agency_id, role):
        raise NotPermitted("you may not add this account (agency or role)")
    row = add_caseworker(session, username, password, role, display_name, agency_id)
    audit.record(session, actor.username, "account_added",
                 detail=f"{row.username} role {role} agency {agency_id}")
    return row


def change_role(session: Session, actor: Caseworker, username: str, role: str) -> Caseworker:
    """Give an account another role (`ROLES`); an agency admin never grants system_admin.
    Audited."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    target = _managed(session, actor, username)
    if not may_manage(actor, target.agency_id, role):
        raise NotPermitted(f"you may not give the role {role}")
    return set_role(session, target.username, role, actor.username)


def set_role(session: Session, username: str, role: str, actor: str) -> Caseworker:
    """An operator (command line) or a checked admin sets an account's role. Audited."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    target = by_username(session, username)
    old, target.role = target.role, role
    audit.record(session, actor, "role_changed", detail=f"{target.username} {old} -> {role}")
    return target


def set_active_managed(session: Session, actor: Caseworker, username: str,
                       active: bool) -> int:
    """`set_active` by an admin of the account's agency (or a system admin)."""
    target = _managed(session, actor, username)
    return set_active(session, target.username, active, actor.username)


def reset_password_managed(session: Session, actor: Caseworker, username: str,
                           new: str) -> int:
    """`reset_password` by an admin of the account's agency (or a system admin)."""
    target = _managed(session, actor, username)
    return reset_password(session, target.username, new, actor.username)


caseworker_app = typer.Typer(help="Caseworker dashboard accounts.", no_args_is_help=True)


@caseworker_app.command("add")
def add_command(
    username: str,
    role: str = typer.Option("caseworker", help=" | ".join(ROLES)),
    name: str = typer.Option("", help="Display name (default: the username)"),
    agency: str = typer.Option("", help="Agency code (default: the default agency); "
                                        "see `saphan agency list`"),
) -> None:
    """Create a dashboard account; the password is read from SAPHAN_NEW_PASSWORD or a prompt."""
    password = os.environ.get("SAPHAN_NEW_PASSWORD") or getpass.getpass("Password: ")
    try:
        with session_scope() as session:
            agency_id = agency_store.by_code(session, agency).id if agency else None
            row = add_caseworker(session, username, password, role, name or None, agency_id)
            code = agency_store.get(session, row.agency_id).code if row.agency_id else "-"
    except (AccountError, agency_store.AgencyError) as exc:
        typer.echo(f"ERROR: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"caseworker {username.strip().lower()} ({role}, agency {code}) added")


def _run(change: Callable[..., int], *args: object) -> int:
    """One account change in its own transaction; `AccountError` -> message and exit 1."""
    try:
        with session_scope() as session:
            return change(session, *args)
    except AccountError as exc:
        typer.echo(f"ERROR: {exc}", err=True)
        raise typer.Exit(1) from None


def _cli_actor() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no login name in some containers
        return "cli"


@caseworker_app.command("list")
def list_command(agency: str = typer.Option("", help="Only this agency's accounts (code)")) -> None:
    """Every account: username, role, agency, active or deactivated, live sessions, name."""
    try:
        with session_scope() as session:
            agency_id = agency_store.by_code(session, agency).id if agency else None
            codes = {a.id: a.code for a in agency_store.all_agencies(session, active_only=False)}
            live = sessions.live_counts(session)
            rows = [(w.username, w.role, codes.get(w.agency_id or 0, "-"),
                     "active" if w.active else "deactivated", str(live.get(w.id, 0)),
                     w.display_name) for w in accounts_of(session, agency_id)]
    except agency_store.AgencyError as exc:
        typer.echo(f"ERROR: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{'username':<24} {'role':<12} {'agency':<16} {'state':<11} {'sessions':>8}  name")
    for username, role, code, state, count, name in rows:
        typer.echo(f"{username:<24} {role:<12} {code:<16} {state:<11} {count:>8}  {name}")


@caseworker_app.command("deactivate")
def deactivate_command(username: str) -> None:
    """Stop an account: it cannot log in and its open sessions end now (history is kept)."""
    ended = _run(set_active, username, False, _cli_actor())
    typer.echo(f"caseworker {username.strip().lower()} deactivated; {ended} session(s) ended")


@caseworker_app.command("activate")
def activate_command(username: str) -> None:
    """Let a deactivated account log in again."""
    _run(set_active, username, True, _cli_actor())
    typer.echo(f"caseworker {username.strip().lower()} activated")


@caseworker_app.command("role")
def role_command(username: str, role: str = typer.Argument(..., help=" | ".join(ROLES))) -> None:
    """Give an account another role."""
    def change(session: Session, *args: str) -> int:
        set_role(session, *args)
        return 0

    _run(change, username, role, _cli_actor())
    typer.echo(f"caseworker {username.strip().lower()} is now {role}")


@caseworker_app.command("reset-password")
def reset_password_command(username: str) -> None:
    """Set a new password (from SAPHAN_NEW_PASSWORD or a prompt, typed twice); every session
    of the account ends."""
    password = os.environ.get("SAPHAN_NEW_PASSWORD")
    if not password:
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            typer.echo("ERROR: the two passwords differ", err=True)
            raise typer.Exit(1)
    ended = _run(reset_password, username, password, _cli_actor())
    typer.echo(f"password of {username.strip().lower()} reset; {ended} session(s) ended")
