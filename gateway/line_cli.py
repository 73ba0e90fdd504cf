"""`saphan line ...`: LINE channel administration."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="LINE channels.", no_args_is_help=True)


@app.command("setup")
def setup(
    channel: list[str] = typer.Option(None, "--channel", "-c",
                                      help="Channel name (repeatable); default: all."),
    image: Path = typer.Option(None, exists=True, dir_okay=False,
                               help="Rich menu image, 2500x1686 PNG/JPEG, ≤ 1 MB."),
    replace: bool = typer.Option(True, help="Delete older saphan-* rich menus."),
) -> None:
    """Create each channel's rich menu (Thai/English labels) and make it the default."""
    from gateway.channels import load_channels
    from gateway.rich_menu import grid_png, setup_channel
    from saphan.settings import get_settings

    settings = get_settings()
    channels = {k: v for k, v in load_channels(settings).items() if not v.is_simulator}
    unknown = sorted(set(channel or []) - set(channels))
    if unknown or not channels:
        typer.echo(f"unknown channel(s): {', '.join(unknown)}" if unknown
                   else "no LINE channels configured (SAPHAN_LINE_CHANNELS)", err=True)
        raise typer.Exit(2)
    if image is None:
        typer.echo("no --image given: uploading a plain coloured grid (labels show only in "
                   "LINE's accessibility text); make a designed image for production", err=True)
        data, content_type = grid_png(), "image/png"
    else:
        data = image.read_bytes()
        content_type = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
    for name in channel or sorted(channels):
        menu_id = setup_channel(settings, channels[name], data, content_type, replace)
        typer.echo(f"{name}: rich menu {menu_id} is the default")
