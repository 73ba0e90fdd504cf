"""Capture every log line this process writes, in the production format."""

from __future__ import annotations

import logging


class LogLines(logging.Handler):
    """Every formatted log record of this process, as the production format prints it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
