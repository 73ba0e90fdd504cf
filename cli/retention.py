"""`saphan retention`: run the retention job once (or see what it would do) and manage legal
holds (docs/privacy.md). The steps are the gateway's own (`gateway.app.retention_steps`)."""

from __future__ import annotations

import typer

from cases import audit, service
from gateway.app import retention_steps
from gateway.retention import run_retention
from saphan.db import session_scope
from saphan.settings import get_settings

retention_app = typer.Typer(help="Retention of personal data and legal holds.",
                            no_args_is_help=True)


@retention_app.command("run")
def run_command(dry_run: bool = typer.Option(False, "--dry-run",
                                             help="Show what would go; change nothing.")) -> None:
    """Purge what is past its retention period; print what was purged and what was kept."""
    settings = get_settings()
    report = run_retention(retention_steps(settings), dry_run=dry_run)
    typer.echo(f"retention {'(dry run, nothing changed)' if dry_run else 'done'}: payloads "
               f"kept {settings.retention_payload_days} days, closed cases "
               f"{settings.retention_closed_case_months} months, practice runs "
               f"{settings.retention_practice_run_months} months")
    for key, value in sorted(report.items()):
        typer.echo(f"  {key}: {value}")


def _hold(case_id: int, on: bool, reason: str, by: str) -> None:
    try:
        with session_scope() as session:
            service.set_legal_hold(session, case_id, on, reason, by)
            audit.record(session, by, "legal_hold" if on else "legal_hold_released", case_id,
                         "via command line")
    except service.CaseError as exc:
        typer.echo(f"ERROR: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"case {case_id}: legal hold {'on' if on else 'released'}")


@retention_app.command("hold")
def hold_command(case_id: int,
                 reason: str = typer.Option(..., help="Why (e.g. the court order's reference)."),
                 by: str = typer.Option(..., help="Who orders the hold (kept and audited).")
                 ) -> None:
    """Put a case on legal hold: retention never anonymises it."""
    _hold(case_id, True, reason, by)


@retention_app.command("release")
def release_command(case_id: int,
                    by: str = typer.Option(..., help="Who releases it (kept and audited)."),
                    reason: str = typer.Option("", help="Why (optional).")) -> None:
    """Release a legal hold: the case is anonymised when its retention period is over."""
    _hold(case_id, False, reason, by)


@retention_app.command("holds")
def holds_command() -> None:
    """List the cases on legal hold: who, when, why."""
    with session_scope() as session:
        for row in service.on_legal_hold(session):
            at = row.legal_hold_at.strftime("%Y-%m-%d %H:%M") if row.legal_hold_at else "-"
            typer.echo(f"case {row.id}  {row.status}  by {row.legal_hold_by}  at {at} UTC  "
                       f"{row.legal_hold_reason}")
