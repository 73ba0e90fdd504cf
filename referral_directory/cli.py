"""`saphan directory import|export|validate|load-bundled`: manage directory data files."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from referral_directory.files import DirectoryFileError, read_records, write_csv
from referral_directory.records import ServiceRecord

directory_app = typer.Typer(help="Referral directory data.", no_args_is_help=True)


def _read_or_exit(path: Path) -> list[ServiceRecord]:
    try:
        return read_records(path)
    except DirectoryFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@directory_app.command("validate")
def validate(path: Path) -> None:
    """Check a CSV/YAML file without touching the database."""
    records = _read_or_exit(path)
    samples = sum(r.sample for r in records)
    typer.echo(f"{path}: {len(records)} valid entries ({samples} marked sample)")


@directory_app.command("import")
def import_(path: Path) -> None:
    """Import a CSV/YAML file in one transaction (create or update by id)."""
    from referral_directory.samples import SamplesNotAllowedError
    from referral_directory.store import upsert_records
    from saphan.db import session_scope

    records = _read_or_exit(path)
    try:
        with session_scope() as session:
            report = upsert_records(session, records)
    except SamplesNotAllowedError as exc:
        typer.echo(f"{path}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{path}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged"
    )


@directory_app.command("export")
def export(
    output: Path = typer.Option(None, "--output", "-o", help="CSV file (default: stdout)"),
) -> None:
    """Export every service as CSV (the import format)."""
    from referral_directory.store import all_records
    from saphan.db import session_scope

    with session_scope() as session:
        records = all_records(session)
    if output is None:
        write_csv(records, sys.stdout)
        return
    tmp = output.with_name(output.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        write_csv(records, out)
    tmp.replace(output)
    typer.echo(f"{output}: {len(records)} services", err=True)


@directory_app.command("load-bundled")
def load_bundled_cmd() -> None:
    """Create or update the entries shipped with Saphan (samples: not in production)."""
    from referral_directory.bundled import load_bundled
    from saphan.db import session_scope

    with session_scope() as session:
        report = load_bundled(session)
    typer.echo(f"bundled: {report.created} created, {report.updated} updated")


@directory_app.command("remove-samples")
def remove_samples_cmd() -> None:
    """Delete every sample entry (before going to production)."""
    from referral_directory.store import delete_samples
    from saphan.db import session_scope

    with session_scope() as session:
        removed = delete_samples(session)
    typer.echo(f"{removed} sample entries removed")
