"""`saphan keys`: encryption-at-rest keys (`SAPHAN_ENCRYPTION_KEYS`, see `saphan.crypto`).

Rotation: `saphan keys new`, put the new key FIRST in `SAPHAN_ENCRYPTION_KEYS` (keep the old
ones after it) and restart; `saphan keys rotate` re-encrypts every stored value under the
first key; then drop the old keys (and `SAPHAN_SCREENING_NOTES_KEY`) and restart again.
"""

from __future__ import annotations

import typer

keys_app = typer.Typer(help="Encryption-at-rest keys (new key, re-encrypt).",
                       no_args_is_help=True)


@keys_app.command("new")
def new() -> None:
    """Print a new random key for SAPHAN_ENCRYPTION_KEYS."""
    from saphan.crypto import generate_key

    typer.echo(generate_key())


@keys_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored value under the first key, in one transaction (all or none)."""
    from cli.models import load_all
    from saphan.crypto import DecryptionError, EncryptionKeyError, reencrypt_all
    from saphan.db import session_scope

    try:
        with session_scope() as session:
            report = reencrypt_all(session, load_all().metadata)
    except (DecryptionError, EncryptionKeyError) as exc:
        typer.echo(f"ERROR: {exc}; nothing was changed", err=True)
        raise typer.Exit(1) from None
    for column, rows in report.items():
        typer.echo(f"{column}: {rows} re-encrypted")
    typer.echo("every stored value is now under the first key; the others can be dropped")
