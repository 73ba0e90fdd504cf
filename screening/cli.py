"""`saphan officer code|list|revoke|export`: enrollment codes, officers, screening export."""

from __future__ import annotations

import typer

from saphan.db import session_scope
from screening.enrollment import (
    EnrollmentError,
    issue_code,
    list_officers,
    parse_duration,
    revoke_officer,
)

officer_app = typer.Typer(help="Officers who may screen (enrollment codes).", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"ERROR: {message}", err=True)
    raise typer.Exit(1)


@officer_app.command("code")
def code_command(
    agency: str = typer.Option(..., help="Agency of the officer, e.g. 'DSDW Chonburi'"),
    role: str = typer.Option(..., help="Role, e.g. 'labour inspector'"),
    expires_in: str = typer.Option("7d", help="How long the code is valid: 7d, 12h, 30m"),
) -> None:
    """Issue a single-use enrollment code (printed once; only its hash is kept)."""
    try:
        with session_scope() as session:
            code, row = issue_code(session, agency, role, parse_duration(expires_in))
    except EnrollmentError as exc:
        _fail(str(exc))
    typer.echo(code)
    typer.echo(f"agency: {row.agency} | role: {row.role} | expires: "
               f"{row.expires_at:%Y-%m-%d %H:%M} UTC | single use", err=True)


@officer_app.command("list")
def list_command(
    all_: bool = typer.Option(False, "--all", help="Include revoked officers"),
) -> None:
    """List enrolled officers (id, agency, role, enrolled, revoked)."""
    with session_scope() as session:
        officers = list_officers(session, include_revoked=all_)
    if not officers:
        typer.echo("no officers")
        return
    for officer in officers:
        revoked = f"{officer.revoked_at:%Y-%m-%d %H:%M}" if officer.revoked_at else "-"
        typer.echo(f"{officer.id}\t{officer.agency}\t{officer.role}\t"
                   f"{officer.enrolled_at:%Y-%m-%d %H:%M}\trevoked: {revoked}")


@officer_app.command("revoke")
def revoke_command(officer_id: int) -> None:
    """Revoke an officer: that chat can no longer screen."""
    try:
        with session_scope() as session:
            officer = revoke_officer(session, officer_id)
    except EnrollmentError as exc:
        _fail(str(exc))
    typer.echo(f"officer {officer.id} ({officer.agency}) revoked")


@officer_app.command("notes")
def notes_command(
    record_id: str,
    show: bool = typer.Option(False, "--show", help="Print the decrypted notes instead"),
) -> None:
    """Attach free-text notes to a screening (read from stdin; stored encrypted), or --show."""
    import sys

    from screening.notes import NotesKeyError
    from screening.store import load_record, record_notes, set_notes

    try:
        with session_scope() as session:
            if show:
                row = load_record(session, record_id)
                if row is None:
                    _fail(f"no screening {record_id}")
                typer.echo(record_notes(row) or "(no notes)")
                return
            set_notes(session, record_id, sys.stdin.read())
    except (NotesKeyError, ValueError) as exc:
        _fail(str(exc))
    except KeyError as exc:
        _fail(str(exc.args[0]))
    typer.echo(f"notes saved (encrypted) for screening {record_id}")


@officer_app.command("export")
def export_command(
    fmt: str = typer.Option("json", "--format", help="json or csv"),
) -> None:
    """Print all screening records in IOM HTCDS field names (stdout)."""
    from screening.htcds import export_csv, export_json
    from screening.store import all_records

    if fmt not in ("json", "csv"):
        _fail("format must be json or csv")
    with session_scope() as session:
        records = all_records(session)
    typer.echo(export_json(records) if fmt == "json" else export_csv(records), nl=False)
