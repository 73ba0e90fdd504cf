"""`saphan agency list|show|add|import|deactivate|activate|load-examples`: manage agencies from
the command line (one transaction per command; bad input: a message naming the field, exit 1,
nothing written)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from sqlalchemy.orm import Session

from agencies import store
from agencies.bundled import import_agencies, load_examples, read_agencies
from agencies.models import Agency
from agencies.store import AgencyError, AgencyIn
from agencies.vocab import AGENCY_KINDS
from saphan.db import session_scope
from saphan.settings import get_settings

agency_app = typer.Typer(help="Agencies (organisations that take cases).", no_args_is_help=True)
T = TypeVar("T")


def _run(change: Callable[[Session], T]) -> T:
    try:
        with session_scope() as session:
            return change(session)
    except AgencyError as exc:
        typer.echo(f"ERROR: {exc}", err=True)
        raise typer.Exit(1) from None


def _no_examples_in_production(what: str) -> None:
    if get_settings().production:
        typer.echo(f"ERROR: {what}: example agencies are never loaded in production", err=True)
        raise typer.Exit(1)


def _coverage(agency: Agency) -> str:
    provinces = ", ".join(agency.provinces or [])
    if agency.national:
        return f"national{' + ' + provinces if provinces else ''}"
    return provinces or "-"


@agency_app.command("list")
def list_command(all_: bool = typer.Option(False, "--all", help="Also deactivated ones")) -> None:
    """Agencies: code, kind, coverage, state; examples are marked."""
    def rows(session: Session) -> list[tuple[str, ...]]:
        return [(a.code, a.kind, _coverage(a),
                 ("active" if a.active else "deactivated") + (" EXAMPLE" if a.example else ""),
                 a.name_en) for a in store.all_agencies(session, active_only=not all_)]

    typer.echo(f"{'code':<20} {'kind':<26} {'covers':<24} {'state':<20} name")
    for code, kind, covers, state, name in _run(rows):
        typer.echo(f"{code:<20} {kind:<26} {covers:<24} {state:<20} {name}")


@agency_app.command("show")
def show_command(code: str) -> None:
    """Every field of one agency."""
    def fields(session: Session) -> list[tuple[str, str]]:
        a = store.by_code(session, code)
        return [("code", a.code), ("name_th", a.name_th), ("name_en", a.name_en),
                ("kind", a.kind), ("covers", _coverage(a)),
                ("handover_contact", a.handover_contact or "-"),
                ("directory_services", ", ".join(a.directory_services or []) or "-"),
                ("example", "yes" if a.example else "no"),
                ("active", "yes" if a.active else "no"), ("source", a.source or "-"),
                ("reviewed_on", a.reviewed_on.isoformat() if a.reviewed_on else "-")]

    for key, value in _run(fields):
        typer.echo(f"{key:<19} {value}")


@agency_app.command("add")
def add_command(
    code: str,
    name_th: str = typer.Option(..., "--name-th", help="Thai name"),
    name_en: str = typer.Option(..., "--name-en", help="English name"),
    kind: str = typer.Option(..., help=" | ".join(AGENCY_KINDS)),
    provinces: str = typer.Option("", help="Comma-separated provinces (English or Thai), "
                                           "or 'national'"),
    contact: str = typer.Option("", help="Hand-over contact (at most 300 characters)"),
    services: str = typer.Option("", help="Comma-separated directory service ids"),
    source: str = typer.Option("", help="Where the facts come from"),
    reviewed_on: str = typer.Option("", help="YYYY-MM-DD"),
) -> None:
    """Add an agency."""
    def add(session: Session) -> Agency:
        data = AgencyIn.from_mapping({
            "code": code, "name_th": name_th, "name_en": name_en, "kind": kind,
            "provinces": provinces, "handover_contact": contact, "directory_services": services,
            "source": source, "reviewed_on": reviewed_on}, "agency")
        return store.add(session, data)

    row = _run(add)
    typer.echo(f"agency {row.code} added")


@agency_app.command("import")
def import_command(path: Path) -> None:
    """Create or update the agencies of a YAML file (`agencies: [...]`) by code, all or none."""
    try:
        rows = read_agencies(path)
    except AgencyError as exc:
        typer.echo(f"ERROR: {exc}", err=True)
        raise typer.Exit(1) from None
    if any(row.example for row in rows):
        _no_examples_in_production(path.name)
    report = _run(lambda session: import_agencies(session, rows))
    typer.echo(f"{path.name}: {report}")


@agency_app.command("deactivate")
def deactivate_command(code: str) -> None:
    """Stop routing and referring to an agency (its accounts and cases stay)."""
    _run(lambda session: store.set_active(session, code, False))
    typer.echo(f"agency {code.strip().lower()} deactivated")


@agency_app.command("activate")
def activate_command(code: str) -> None:
    """Let a deactivated agency take cases again."""
    _run(lambda session: store.set_active(session, code, True))
    typer.echo(f"agency {code.strip().lower()} activated")


@agency_app.command("load-examples")
def load_examples_command() -> None:
    """Create or update the bundled example agencies (never in production)."""
    _no_examples_in_production("load-examples")
    report = _run(load_examples)
    typer.echo(f"example agencies: {report}")


# `saphan directory stale` (registered on the directory's command group by cli/main.py: the
# listing is per keeping agency, and agencies sit above the directory).
def stale_cmd(
    days: int = typer.Option(None, "--days", min=1,
                             help="Days without verification (default: the setting "
                                  "SAPHAN_DIRECTORY_STALE_DAYS)"),
) -> None:
    """List the services not verified for N days, per keeping agency (to re-check them)."""
    from referral_directory.samples import samples_allowed
    from referral_directory.staleness import stale_days, stale_services
    from saphan.db import session_scope

    days = days or stale_days()
    with session_scope() as session:
        stale = stale_services(session, days=days)
        keepers: dict[str, list[str]] = {}
        for agency in store.all_agencies(session, active_only=False,
                                         examples=samples_allowed()):
            for external_id in agency.directory_services or []:
                keepers.setdefault(external_id, []).append(agency.code)
        groups: dict[str, list[str]] = {}
        for service in stale:
            verified = service.last_verified.isoformat() if service.last_verified else "never"
            line = f"  {service.external_id}\t{verified}\t{service.name_en}"
            for code in keepers.get(service.external_id, ["(no agency)"]):
                groups.setdefault(code, []).append(line)
    typer.echo(f"{len(stale)} services not verified for {days} days")
    for code in sorted(groups):
        typer.echo(f"{code}: {len(groups[code])}")
        for line in groups[code]:
            typer.echo(line)
