"""`saphan demo seed`: demo accounts in three of the bundled example agencies of Tak, so a
newcomer can walk the NRM path locally (docs/walkthrough.md): a migrant escalates in Tak, the
provincial social-welfare office (MSDHS) takes the case and hands it over to the police
anti-trafficking unit, which accepts; the NGO account shows what an agency that is not on the
case sees (nothing).

Development only: the command refuses in production. Passwords are never fixed defaults
(a public repository would make them everyone's): each new account gets a random one,
printed once, unless `--password` sets one for all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from agencies import store as agency_store
from agencies.bundled import load_examples
from cases.accounts import AccountError, add_caseworker, password_problem, reset_password
from cases.models import Caseworker
from saphan.db import session_scope
from saphan.settings import get_settings

demo_app = typer.Typer(help="Demo data for trying Saphan locally (never in production).",
                       no_args_is_help=True)
ACTOR = "cli:demo-seed"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    agency_code: str  # one of agencies/data/examples.yml
    role: str
    display_name: str


#: The walk's accounts (docs/walkthrough.md): two of the office that receives the case, one of
#: the unit it is handed to, one of an agency that is never on the case.
DEMO_ACCOUNTS = (
    DemoAccount("demo-msdhs", "tak-msdhs", "caseworker", "Demo MSDHS caseworker (Tak)"),
    DemoAccount("demo-msdhs-lead", "tak-msdhs", "supervisor", "Demo MSDHS supervisor (Tak)"),
    DemoAccount("demo-police", "tak-police-atp", "caseworker", "Demo police ATP caseworker (Tak)"),
    DemoAccount("demo-ngo", "tak-ngo", "caseworker", "Demo NGO caseworker (Mae Sot)"),
)


@dataclass(frozen=True)
class Seeded:
    account: DemoAccount
    password: str | None  # None: the account existed and kept its password


def new_password(username: str) -> str:
    """A random password that meets the one password rule (cases.accounts)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if password_problem(candidate, username) is None:
            return candidate


def seed(session: Session, password: str | None = None, reset: bool = False) -> list[Seeded]:
    """Load the example agencies and create the demo accounts that do not exist yet (with
    `password`, else a random one each); `reset` gives existing ones a new password (their
    sessions end). Raises AccountError (a weak `password`) before anything is written."""
    for account in DEMO_ACCOUNTS:
        problem = password_problem(password, account.username) if password else None
        if problem:
            raise AccountError(problem)
    load_examples(session)
    done = []
    for account in DEMO_ACCOUNTS:
        chosen = password or new_password(account.username)
        exists = session.execute(select(Caseworker.id).where(
            Caseworker.username == account.username)).first()
        if exists is None:
            agency = agency_store.by_code(session, account.agency_code)
            add_caseworker(session, account.username, chosen, account.role,
                           account.display_name, agency.id)
        elif reset:
            reset_password(session, account.username, chosen, ACTOR)
        else:
            chosen = None
        done.append(Seeded(account, chosen))
    return done


@demo_app.command("seed")
def seed_command(
    password: str = typer.Option("", help="One password for every demo account (default: a "
                                          "random one each, printed once)"),
    reset: bool = typer.Option(False, "--reset",
                               help="Give existing demo accounts a new password too"),
) -> None:
    """Create the example agencies of Tak and demo accounts in three of them (development)."""
    settings = get_settings()
    if settings.production:
        typer.echo("ERROR: `saphan demo seed` makes accounts for trying Saphan and is refused "
                   "in production (SAPHAN_ENVIRONMENT=production); add real accounts with "
                   "`saphan caseworker add --agency CODE`", err=True)
        raise typer.Exit(1)
    try:
        with session_scope() as session:
            seeded = seed(session, password or None, reset)
    except AccountError as exc:
        typer.echo(f"ERROR: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{'username':<17} {'role':<11} {'agency':<15} password")
    for row in seeded:
        shown = row.password or "(exists, unchanged; --reset sets a new one)"
        typer.echo(f"{row.account.username:<17} {row.account.role:<11} "
                   f"{row.account.agency_code:<15} {shown}")
    if any(row.password for row in seeded):
        typer.echo("The passwords are shown only now. Log in at "
                   f"{settings.gateway_url}/dashboard; the path: docs/walkthrough.md")
