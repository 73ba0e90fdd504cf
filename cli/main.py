"""`saphan`: the admin command line (run the stack, migrate, train, manage data).

It sits above the domain packages and adds their command groups; the core `saphan/` imports
none of them."""

from __future__ import annotations

import signal
import sys

import typer

from agencies.cli import agency_app, stale_cmd
from cases.accounts import caseworker_app
from cli.demo import demo_app
from cli.keys import keys_app
from cli.retention import retention_app
from cli.texts import texts_app
from gateway.line_cli import app as line_app
from referral_directory.cli import directory_app
from saphan.settings import get_settings
from screening.cli import officer_app

app = typer.Typer(help="Saphan admin commands.", no_args_is_help=True)
db_app = typer.Typer(help="App database.", no_args_is_help=True)
model_app = typer.Typer(help="Rasa model.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(model_app, name="model")
directory_app.command("stale")(stale_cmd)
app.add_typer(directory_app, name="directory")
app.add_typer(caseworker_app, name="caseworker")
app.add_typer(agency_app, name="agency")
app.add_typer(line_app, name="line")
app.add_typer(officer_app, name="officer")
app.add_typer(retention_app, name="retention")
app.add_typer(keys_app, name="keys")
app.add_typer(texts_app, name="texts")
app.add_typer(demo_app, name="demo")


@app.callback()
def check_settings() -> None:
    """Every command: in production, refuse default or weak secrets (saphan/production.py)."""
    from saphan.production import require_safe_settings

    require_safe_settings(get_settings(), "cli")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the app database to the newest schema and load bundled data."""
    from cli.bootstrap import prepare_database

    prepare_database(get_settings())
    typer.echo("database is up to date")


@model_app.command("train")
def model_train() -> None:
    """Train the Rasa model if its inputs changed; print its path."""
    from saphan.rasa_model import ModelTrainingError, ensure_model

    try:
        typer.echo(str(ensure_model()))
    except ModelTrainingError as exc:
        typer.echo(f"ERROR: {exc} (see Rasa's output above)", err=True)
        raise typer.Exit(1) from None


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    """Treat SIGTERM like Ctrl-C so `saphan run` stops its children either way."""
    raise KeyboardInterrupt


@app.command("run")
def run() -> None:
    """Prepare (migrate, load data, train if needed) and run Rasa, actions and gateway."""
    from cli.bootstrap import prepare
    from saphan.processes import action_server_spec, gateway_spec, rasa_spec
    from saphan.rasa_model import ModelTrainingError
    from saphan.supervisor import ChildExited, Supervisor
    from screening.errors import ScreeningDataError

    settings = get_settings()
    try:
        model = prepare(settings)
    except (ModelTrainingError, ScreeningDataError) as exc:
        typer.echo(f"[saphan] ERROR: {exc} (see Rasa's output above)", err=True)
        raise typer.Exit(1) from None
    specs = [action_server_spec(settings), rasa_spec(settings, model), gateway_spec(settings)]
    sup = Supervisor(specs)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        sup.start()
        sup.wait_healthy()
        base = settings.gateway_url
        sup.log("all services are healthy. Open:")
        if settings.simulator_on:
            sup.log(f"  simulator   {base}/simulator")
        sup.log(f"  dashboard   {base}/dashboard   (add an account: saphan caseworker add)")
        sup.log(f"  health      {base}/healthz")
        if settings.docs_on:
            sup.log(f"  API docs    {base}/docs")
        sup.log(f"  Rasa        {settings.rasa_url}   actions {settings.action_server_url}")
        sup.log("Ctrl-C stops everything; a part that crashes is restarted.")
        sup.watch()
    except KeyboardInterrupt:
        sup.log("stopping ...")
    except (ChildExited, TimeoutError) as exc:
        sup.log(f"ERROR: {exc}; stopping the others")
        sup.stop()
        sys.exit(1)
    sup.stop()


if __name__ == "__main__":
    app()
