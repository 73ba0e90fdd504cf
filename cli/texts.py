"""`saphan texts`: the translator round trip of the text catalogue and the know-your-rights
answers (content/translations.py).

    saphan texts export --language my > my.csv     # send to the translator
    saphan texts import my.csv [--dry-run]         # their file back: texts and review records
"""

from __future__ import annotations

from pathlib import Path

import typer

texts_app = typer.Typer(help="Text catalogue: export and import translations.",
                        no_args_is_help=True)


@texts_app.command("export")
def export(language: str = typer.Option(..., "--language", "-l", help="my, km, lo, th or en"),
           file_format: str = typer.Option("csv", "--format", help="csv"),
           texts_dir: Path | None = typer.Option(None, "--texts-dir", hidden=True),
           rights_file: Path | None = typer.Option(None, "--rights-file", hidden=True)) -> None:
    """Print one language's person-facing texts and rights answers as CSV (with the
    English/Thai source and review state)."""
    from content.rights import RIGHTS_FILE
    from content.translations import FORMATS, TranslationError, export_csv
    from saphan.language import LANGUAGES

    if file_format not in FORMATS:
        raise typer.BadParameter(f"format must be one of {', '.join(FORMATS)}",
                                 param_hint="--format")
    if language not in LANGUAGES:
        raise typer.BadParameter(f"language must be one of {', '.join(LANGUAGES)}",
                                 param_hint="--language")
    try:
        typer.echo(export_csv(language, *([texts_dir] if texts_dir else []),
                              rights_file=rights_file or RIGHTS_FILE), nl=False)
    except TranslationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


@texts_app.command("import")
def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
            dry_run: bool = typer.Option(False, "--dry-run", help="check only, write nothing"),
            texts_dir: Path | None = typer.Option(None, "--texts-dir", hidden=True),
            rights_file: Path | None = typer.Option(None, "--rights-file", hidden=True)) -> None:
    """Apply a translation file: changed texts and rights answers, and review records where
    the file gives them."""
    from content.rights import RIGHTS_FILE
    from content.translations import TranslationError, import_csv

    try:
        report = import_csv(file.read_text(encoding="utf-8"),
                            *([texts_dir] if texts_dir else []), dry_run=dry_run,
                            rights_file=rights_file or RIGHTS_FILE)
    except (TranslationError, UnicodeDecodeError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    verb = "would change" if dry_run else "changed"
    typer.echo(f"{verb} {report.changed} text(s); marked {report.reviewed} reviewed; "
               f"{report.unchanged} unchanged")
