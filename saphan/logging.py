"""Logging setup shared by Saphan's processes: plain text or one JSON object per line
(`SAPHAN_LOG_FORMAT=json`, for log collectors), personal identifiers masked in both.

Code never logs message texts, names or LINE ids (docs/operations.md, "Logs"); `redact` is
the net under that rule for what slips through (an exception message quoting a LINE user id or
a phone number). Ids bound with `log_ids` (the request id by `RequestIds`; an event id where
a caller binds it) are added to every JSON line, so one message can be followed through the
logs without knowing whose it was.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from saphan.settings import get_settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: LINE user, group and room ids (U/C/R + 32 hex digits) and phone numbers (a 0 or a +country
#: code, then 8-11 digits, maybe grouped by spaces or dashes; the hotlines 191 and 1300 are
#: too short, dates and times start otherwise).
_LINE_ID = re.compile(r"\b[UCR][0-9a-f]{32}\b")
_PHONE = re.compile(r"(?<![\w.:+-])(?:\+\d{1,3}[ -]?|0)\d(?:[ -]?\d){7,10}(?![\w.:-])")
#: Loggers uvicorn sets up with handlers of its own: in JSON mode they use ours.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_OURS = "_saphan_handler"
REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

_ids: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("saphan_log_ids",
                                                                            default=None)


def redact(text: str) -> str:
    """`text` with LINE ids and phone-like numbers masked."""
    return _PHONE.sub("[phone]", _LINE_ID.sub("[line-id]", text))


@contextmanager
def log_ids(**ids: str | int) -> Iterator[None]:
    """Add ids (e.g. `event_id=12`) to every JSON log line written inside the block (this
    task and the tasks it starts)."""
    token = _ids.set({**(_ids.get() or {}), **{key: str(value) for key, value in ids.items()}})
    try:
        yield
    finally:
        _ids.reset(token)


class TextFormatter(logging.Formatter):
    """The classic one-line format, message and traceback redacted."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        masked = logging.makeLogRecord(record.__dict__)
        masked.message = redact(record.message)
        return super().formatMessage(masked)

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, process,
    pid, the bound ids and, for an exception, its type and redacted traceback."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "process": self.process,
            "pid": record.process,
        }
        entry.update(_ids.get() or {})
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
            entry["exception_type"] = getattr(record.exc_info[0], "__name__", "")
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(process: str = "saphan") -> None:
    """One stderr handler on the root logger in the configured format (idempotent: calling
    it again only updates the format); in JSON mode uvicorn's loggers write through it too."""
    settings = get_settings()
    root = logging.getLogger()
    root.setLevel(settings.log_level.upper())
    handler = next((h for h in root.handlers if getattr(h, _OURS, False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    json_lines = settings.log_format == "json"
    handler.setFormatter(JsonFormatter(process) if json_lines else TextFormatter())
    if json_lines:
        logging.captureWarnings(True)  # Python warnings as JSON lines too, not raw stderr
        for name in UVICORN_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers = [handler]
            logger.propagate = False
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise


Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class RequestIds:
    """ASGI middleware: each HTTP request gets a request id (the caller's `X-Request-ID` when
    it is a plain token, else a new one), bound for logging and echoed in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode(), b"")
        text = given.decode("latin-1")
        request_id = text if _REQUEST_ID.match(text) else uuid.uuid4().hex

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with log_ids(request_id=request_id):
            await self.app(scope, receive, send_with_id)
