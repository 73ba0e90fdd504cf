"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright (no
browser download at test time). `tests/conftest.py` turns these into the `browser` and `page`
fixtures; a test that needs a browser errors (never skips) when Chromium is missing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (Playwright `Browser`), closed afterwards."""
    if not CHROMIUM.exists():  # an error, never a skip: browser tests must run in CI
        raise RuntimeError("install Debian's chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Any, width: int = PHONE["width"], height: int = PHONE["height"]) -> Any:
    """A page in a context of its own (own cookies), with the tests' default timeout."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()
