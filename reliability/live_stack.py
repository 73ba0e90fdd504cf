"""The full local stack for measurements: real Rasa + action server + gateway processes on
free loopback ports, the fake LINE platform timing every reply/push it receives."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from reliability.tcp_cut import TcpCut
from saphan.rasa_model import ensure_model
from testsupport.channels import PUBLIC as CHANNEL
from testsupport.databases import migrated_database
from testsupport.fake_line import Call, FakeLine
from testsupport.stack import Stack, running_stack, stack_settings


class Arrivals(list):
    """The fake LINE's call list, also noting when messages arrive: the first reply per reply
    token, and every push per user (monotonic times)."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: dict[str, float] = {}
        self.pushes: dict[str, list[float]] = {}

    def append(self, call: Call) -> None:  # type: ignore[override]
        now = time.monotonic()
        super().append(call)
        if call.status != 200 or not isinstance(call.body, dict):
            return
        if call.path.endswith("/reply"):
            self.replies.setdefault(str(call.body.get("replyToken")), now)
        elif call.path.endswith("/push"):
            self.pushes.setdefault(str(call.body.get("to")), []).append(now)

    def answered_at(self, reply_token: str, user: str, since: float) -> float | None:
        """When the first message answering an event sent at `since` arrived, if it has."""
        if reply_token in self.replies:
            return self.replies[reply_token]
        return next((t for t in self.pushes.get(user, []) if t >= since), None)


@dataclass
class LiveStack:
    stack: Stack
    line: FakeLine
    arrivals: Arrivals
    database_url: str  # direct, for counting (the stack may reach it through `db_cut`)
    db_cut: TcpCut | None = None

    @property
    def webhook_url(self) -> str:
        return f"{self.stack.gateway_url}/line/{CHANNEL['name']}/webhook"

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.stack.supervisor.procs.items()}


@contextmanager
def live_stack(work: Path, database: str = "sqlite", postgres_url: str = "",
               **overrides: Any) -> Iterator[LiveStack]:
    """Start everything (trains the model only if its inputs changed; SAPHAN_BENCH_MODEL
    names a model file to use instead, to keep one model across runs); stop it afterwards."""
    pinned = os.environ.get("SAPHAN_BENCH_MODEL")
    model = Path(pinned) if pinned else ensure_model()
    with FakeLine() as line, migrated_database(database, work, postgres_url) as db_url:
        arrivals = Arrivals()
        line.state.calls = arrivals  # type: ignore[assignment]
        cut, stack_db_url = None, db_url
        if database == "postgresql":  # through a forwarder the fault script can cut
            url = make_url(db_url)
            cut = TcpCut((url.host or "127.0.0.1", url.port or 5432)).up()
            stack_db_url = url.set(host="127.0.0.1", port=cut.port).render_as_string(
                hide_password=False)
        settings = stack_settings(stack_db_url, work, line_api_base_url=line.url,
                                  line_channels=json.dumps([CHANNEL]), log_level="WARNING",
                                  **overrides)
        try:
            with running_stack(settings, model, with_gateway=True,
                               log=work / "stack.log") as stack:
                yield LiveStack(stack, line, arrivals, db_url, cut)
        finally:
            if cut is not None:
                cut.close()
