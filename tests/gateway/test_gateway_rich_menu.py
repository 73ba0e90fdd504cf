"""`saphan line setup` against the fake LINE platform over real HTTP."""

from __future__ import annotations

import json

import pytest
from gateway_helpers import CHANNELS
from typer.testing import CliRunner

from cli.main import app
from gateway.rich_menu import HEIGHT, WIDTH, grid_png
from saphan.db import reset_caches
from testsupport.fake_line import FakeLine


@pytest.fixture
def line_env(fake_line: FakeLine, monkeypatch: pytest.MonkeyPatch) -> FakeLine:
    monkeypatch.setenv("SAPHAN_LINE_API_BASE_URL", fake_line.url)
    monkeypatch.setenv("SAPHAN_LINE_DATA_API_BASE_URL", fake_line.url)
    monkeypatch.setenv("SAPHAN_LINE_CHANNELS", json.dumps(CHANNELS))
    reset_caches()
    yield fake_line
    reset_caches()


def test_setup_creates_default_menu_per_channel_and_replaces_old(line_env: FakeLine):
    runner = CliRunner()
    result = runner.invoke(app, ["line", "setup"])
    assert result.exit_code == 0, result.output
    state = line_env.state
    assert len(state.rich_menus) == 7
    menus = {m["name"]: m for m in state.rich_menus.values()}
    assert set(menus) == {"saphan-public", "saphan-officer", "saphan-public-th",
                          "saphan-public-en", "saphan-public-my", "saphan-public-km",
                          "saphan-public-lo"}  # the public's menu follows their language
    labels = [a["action"]["label"] for a in menus["saphan-officer"]["areas"]]
    assert len(labels) == 6 and all(" / " in label for label in labels)
    assert all(len(label) <= 20 for m in menus.values() for a in m["areas"]
               for label in [a["action"]["label"]])
    assert set(state.rich_menu_images) == set(state.rich_menus)
    tokens = {c.headers["authorization"] for c in line_env.calls("/v2/bot/richmenu")}
    assert tokens == {"Bearer public-token", "Bearer officer-token"}
    defaults = dict(state.default_rich_menus)
    assert set(defaults) == {"public-token", "officer-token"}
    assert state.rich_menus[defaults["officer-token"]]["name"] == "saphan-officer"
    assert runner.invoke(app, ["line", "setup", "-c", "public"]).exit_code == 0
    assert len(state.rich_menus) == 7
    assert state.default_rich_menus["public-token"] != defaults["public-token"]
    assert state.default_rich_menus["officer-token"] == defaults["officer-token"]


def test_setup_unknown_channel_fails_clearly(line_env: FakeLine):
    result = CliRunner().invoke(app, ["line", "setup", "-c", "nope"])
    assert result.exit_code == 2 and "unknown channel" in result.output
    assert line_env.state.rich_menus == {}


def test_grid_png_has_rich_menu_size():
    png = grid_png()
    assert png.startswith(b"\x89PNG") and len(png) < 1_000_000
    assert int.from_bytes(png[16:20], "big") == WIDTH
    assert int.from_bytes(png[20:24], "big") == HEIGHT


def test_menu_labels_come_from_the_catalogue_in_thai_and_english_or_one_language():
    from content.catalogue import text
    from gateway.rich_menu import menu_request
    from saphan.language import detect_language

    default = menu_request("public")
    language_button = default["areas"][-1]["action"]
    assert language_button["data"] == "/change_language"  # the bot then offers all five
    assert language_button["label"] == "ภาษา / Language"
    for code in ("my", "km", "lo"):
        menu = menu_request("public", code)
        assert menu["name"] == f"saphan-public-{code}"
        labels = [a["action"]["label"] for a in menu["areas"]]
        assert labels[-1] == text("gateway", "menu_public_change_language_label", code)
        assert all(len(label) <= 20 and detect_language(label) == code for label in labels)
