"""`saphan`: the admin command line (run the stack, migrate, train, manage data)."""

from __future__ import annotations

import signal
import sys

import typer

from saphan.settings import get_settings

app = typer.Typer(help="Saphan admin commands.", no_args_is_help=True)
db_app = typer.Typer(help="App database.", no_args_is_help=True)
model_app = typer.Typer(help="Rasa model.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(model_app, name="model")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the app database to the newest schema and load bundled data."""
    from saphan.bootstrap import prepare_database

    prepare_database(get_settings())
    typer.echo("database is up to date")


@model_app.command("train")
def model_train() -> None:
    """Train the Rasa model if its inputs changed; print its path."""
    from saphan.rasa_model import ensure_model

    typer.echo(str(ensure_model()))


@app.command("run")
def run() -> None:
    """Prepare (migrate, load data, train if needed) and run Rasa, actions and gateway."""
    from saphan.bootstrap import prepare
    from saphan.processes import action_server_spec, gateway_spec, rasa_spec
    from saphan.supervisor import ChildExited, Supervisor

    settings = get_settings()
    model = prepare(settings)
    specs = [action_server_spec(settings), rasa_spec(settings, model), gateway_spec(settings)]
    sup = Supervisor(specs)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        sup.start()
        sup.wait_healthy()
        base = settings.gateway_url
        sup.log("all services are healthy. Open:")
        sup.log(f"  simulator   {base}/simulator")
        sup.log(f"  dashboard   {base}/dashboard")
        sup.log(f"  health      {base}/healthz")
        sup.log(f"  API docs    {base}/docs")
        sup.log(f"  Rasa        {settings.rasa_url}   actions {settings.action_server_url}")
        sup.log("Ctrl-C stops everything.")
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
