"""`make bench-growth`: cost as work grows (issue 22, point 5). Prints numbers, asserts nothing.

    queue   the dashboard queue with N open cases (10,000), seeded through `cases.service`, on
            SQLite and PostgreSQL: GET /dashboard p50/p95 for a logged-in caseworker over real
            HTTP against a gateway process, and the live update (a claim -> the SSE event at a
            subscriber -> the rows the page then fetches).
    turns   turn 1 vs turn 200 of one conversation through the full path (signed webhook ->
            gateway -> Rasa -> actions -> fake LINE): median latency of turns 1-10 vs 191-200
            and Rasa tracker events per turn (the session expiry is bot/domain session_config).
    screening  one officer screening question by question through the full path (officer
            channel): latency of each answer, the first 10 vs the last 10.
    memory  RSS of gateway, Rasa and action server (with children) at start and after
            `--minutes` of closed-loop load with the mix of `benchmarks/performance.py`.

Directory search at 100k entries is `make bench-directory` (benchmarks/directory.md).

    PYTHONPATH=. .venv/bin/python benchmarks/growth.py queue --cases 10000
    PYTHONPATH=. .venv/bin/python benchmarks/growth.py turns --turns 200
    PYTHONPATH=. .venv/bin/python benchmarks/growth.py screening
    PYTHONPATH=. .venv/bin/python benchmarks/growth.py memory --minutes 60 --users 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import yaml

from agencies import store as agency_store
from benchmarks.performance import MIX, PROCESSES, closed_loop, cpu_ms, full_sender
from cases import accounts, labels, referrals, service
from cases.models import Caseworker
from cases.vocab import REFERRAL_REASONS
from content.catalogue import text as catalogue_text
from gateway.rasa_bridge import conversation_id
from referral_directory.bundled import load_bundled
from reliability.live_stack import CHANNEL, Arrivals, live_stack
from reliability.load import StepResult, percentile, send_and_wait
from reliability.report import machine
from saphan.db import session_scope_for, utcnow
from saphan.processes import gateway_spec
from saphan.rasa_model import ensure_model
from saphan.supervisor import Supervisor
from screening import enrollment
from screening.loader import ScreeningData, default_screening
from testsupport.channels import CHANNELS, SECRETS
from testsupport.databases import migrated_database
from testsupport.fake_line import FakeLine
from testsupport.line_turns import inbox_settled
from testsupport.stack import running_stack, stack_settings

PASSWORD = "growth bench password 0123"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
#: Seeded cases: (priority, weight); a share is claimed by the caseworker ("mine").
PRIORITY_MIX = (("urgent", 1), ("high", 3), ("normal", 6))
CLAIMED_SHARE = 0.2
SHARED_SHARE = 0.05  # owned by another agency, referred to the bench's
LABELLED_SHARE = 0.1
SPREAD_H = 12.0  # cases created over the last hours: urgent/high/normal past 5 min/1 h/4 h
#: One person's long conversation: no report (a report hands the person to a caseworker and
#: later messages no longer reach Rasa), so every turn is a Rasa turn.
LONG_CONVERSATION = [text for text, _, kind in MIX["en"] + MIX["th"]
                     if kind in ("service search", "rights", "small talk")]


# -- queue with many open cases ---------------------------------------------------------------
def seed_cases(database_url: str, count: int, seed: int = 7) -> int:
    """`count` open cases through `cases.service` (committed every 500), shaped like a busy
    agency's queue: created over the last `SPREAD_H` hours (many past their target), a share
    claimed by the bench caseworker (an agency admin), a line from each person and a reply by
    the caseworker on some claimed ones, a label on `LABELLED_SHARE`, and `SHARED_SHARE` owned
    by another agency and referred to the bench's (accepted). Returns the caseworker's id."""
    rng = random.Random(seed)
    levels, weights = zip(*PRIORITY_MIX, strict=True)
    with session_scope_for(database_url) as session:
        worker = accounts.add_caseworker(session, "growth-bench", PASSWORD, "agency_admin")
        other = agency_store.add(session, agency_store.AgencyIn(
            code="growth-other", name_th="growth other", name_en="growth other", kind="ngo",
            provinces=("Nan",)))
        sender = accounts.add_caseworker(session, "growth-other", PASSWORD,
                                         agency_id=other.id)
        tag = labels.create(session, worker, "growth")
        ids = (worker.id, other.id, sender.id, tag.id)
    done = 0
    while done < count:
        with session_scope_for(database_url) as session:
            worker, sender = session.get(Caseworker, ids[0]), session.get(Caseworker, ids[2])
            for n in range(done, min(count, done + 500)):
                shared = rng.random() < SHARED_SHARE
                case = service.create_case(session, service.NewCase(
                    conversation_id=f"Ugrowth{n:08d}", priority=rng.choices(levels, weights)[0],
                    source="request", language=rng.choice(("th", "en", "my")),
                    summary="seeded for the growth benchmark", province="Tak",
                    agency_id=ids[1] if shared else None)).case
                session.flush()
                case.created_at = utcnow() - timedelta(hours=rng.uniform(0, SPREAD_H))
                service.add_message(session, case.id, "user", "seeded line")
                if shared:
                    referral = referrals.refer(session, case.id, referrals.HandoverIn(
                        reason=REFERRAL_REASONS[0], to_agency_id=worker.agency_id,
                        shares=["conversation"], consent="given", consent_method="chat",
                        consent_language="th"), sender)
                    referrals.accept(session, referral.id, worker)
                elif rng.random() < CLAIMED_SHARE:
                    service.claim(session, case.id, worker.id)
                    if rng.random() < 0.5:
                        service.add_message(session, case.id, "caseworker", "seeded reply",
                                            caseworker_id=worker.id)
                if rng.random() < LABELLED_SHARE:
                    labels.add_to_case(session, worker, case.id, ids[3])
            done = min(count, done + 500)
    return ids[0]


def login(client: httpx.Client) -> str:
    """Log the bench caseworker in (cookie on `client`); the session's CSRF token."""
    page = client.get("/dashboard/login")
    csrf = CSRF.search(page.text)
    assert csrf, "login page without CSRF field"
    response = client.post("/dashboard/login", data={
        "username": "growth-bench", "password": PASSWORD, "csrf": csrf.group(1)})
    assert response.status_code == 303, response.status_code
    found = CSRF.search(client.get("/dashboard").text)
    assert found, "queue without CSRF field"
    return found.group(1)


@contextmanager
def gateway_only(database_url: str, work: Path) -> Iterator[str]:
    """A real gateway process on `database_url` (Rasa is not needed for the dashboard)."""
    with FakeLine() as line:
        settings = stack_settings(database_url, work, line_api_base_url=line.url,
                                  line_channels=json.dumps([CHANNEL]), log_level="WARNING")
        with open(work / "gateway.log", "a", encoding="utf-8") as out:
            spec = gateway_spec(settings)  # ready without Rasa: /readyz, not /healthz
            spec = replace(spec, health_url=f"{settings.gateway_url}/readyz")
            sup = Supervisor([spec], out=out)
            try:
                sup.start()
                sup.wait_healthy(timeout=120)
                yield settings.gateway_url
            finally:
                sup.stop()


class SseWatch:
    """Reads /dashboard/events in a thread and notes when each event kind arrives."""

    def __init__(self, client: httpx.Client) -> None:
        self.client, self.arrived = client, []  # (monotonic, kind)
        self.ready, self.stop = threading.Event(), False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.ready.wait(30)

    def _read(self) -> None:
        try:
            self._lines()
        except httpx.HTTPError:  # the gateway stopped first
            return

    def _lines(self) -> None:
        with self.client.stream("GET", "/dashboard/events", timeout=None) as response:
            for line in response.iter_lines():
                if line.startswith(": connected"):
                    self.ready.set()
                if line.startswith("event:"):
                    self.arrived.append((time.monotonic(), line.split(":", 1)[1].strip()))
                if self.stop:
                    return

    def first_after(self, since: float, kind: str, timeout: float = 10) -> float | None:
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            hit = next((t for t, k in list(self.arrived) if t >= since and k == kind), None)
            if hit is not None:
                return hit
            time.sleep(0.002)
        return None


def measure_queue(url: str, requests: int, updates: int) -> dict[str, object]:
    timings: dict[str, list[float]] = {"page": [], "rows": [], "mine": [], "waiting": [],
                                       "label": [], "sse": [], "sse+rows": []}
    with httpx.Client(base_url=url, timeout=120) as client:
        csrf = login(client)
        page = client.get("/dashboard")
        shown = page.text.count('<tr id="case-')
        tag = re.search(r'data-label="(\d+)"', page.text)
        paths = (("page", "/dashboard"), ("rows", "/dashboard/queue/rows"),
                 ("mine", "/dashboard?show=mine"), ("waiting", "/dashboard?show=waiting_person"),
                 ("label", f"/dashboard?label={tag.group(1) if tag else ''}"))
        for _ in range(requests):
            for name, path in paths:
                start = time.monotonic()
                assert client.get(path).status_code == 200
                timings[name].append((time.monotonic() - start) * 1000)
        for _ in range(3):  # every open case on one page, as before the queue paged
            start = time.monotonic()
            assert client.get("/dashboard", params={"limit": 10**6}).status_code == 200
            timings.setdefault("all rows", []).append((time.monotonic() - start) * 1000)
        unclaimed = re.findall(r'action="/dashboard/cases/(\d+)/claim"', page.text)
        with httpx.Client(base_url=url, timeout=120, cookies=client.cookies) as listener:
            watch = SseWatch(listener)
            for case_id in unclaimed[:updates]:
                start = time.monotonic()
                client.post(f"/dashboard/cases/{case_id}/claim", data={"csrf": csrf})
                seen = watch.first_after(start, "case_updated")
                if seen is None:
                    continue
                timings["sse"].append((seen - start) * 1000)
                client.get("/dashboard/queue/rows")  # what the page does on the event
                timings["sse+rows"].append((time.monotonic() - start) * 1000)
            watch.stop = True
    return {"rows_shown": shown, **{k: _p(v) for k, v in timings.items()}}


def _p(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    return (f"p50 {statistics.median(ordered):.0f} / p95 {percentile(ordered, 95):.0f} ms "
            f"(n={len(values)})")


def run_queue(args: argparse.Namespace) -> None:
    for database in args.databases:
        with tempfile.TemporaryDirectory(prefix="growth-") as tmp, \
                migrated_database(database, Path(tmp), args.postgres_url) as db_url:
            start = time.monotonic()
            seed_cases(db_url, args.cases)
            seeded_s = time.monotonic() - start
            with gateway_only(db_url, Path(tmp)) as url:
                found = measure_queue(url, args.requests, args.updates)
            print(f"\nqueue, {database}, {args.cases} open cases (seeded in {seeded_s:.0f} s "
                  f"through cases.service):")
            for key, value in found.items():
                print(f"  {key:10s} {value}")


# -- turn 1 vs turn N ---------------------------------------------------------------------------
def session_expiry_minutes() -> object:
    core = yaml.safe_load(Path("bot/domain/core.yml").read_text(encoding="utf-8"))
    return core.get("session_config", {}).get("session_expiration_time")


def run_turns(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="growth-") as tmp, \
            live_stack(Path(tmp), "sqlite") as live:
        user = f"Ugrowthturns{random.getrandbits(40):010x}"
        fresh = f"Ugrowthfresh{random.getrandbits(40):010x}"
        latencies, events_after, control, rasa_cpu = [], [], [], []
        rasa_pid = live.pids()["rasa"]
        key = live.stack.settings.pseudonym_key.get_secret_value()
        tracker = (f"{live.stack.rasa_url}/conversations/"
                   f"{conversation_id(key, CHANNEL['name'], user)}/tracker")

        async def turn(client: httpx.AsyncClient, who: str, n: int) -> float:
            result = StepResult(1)
            await send_and_wait(client, live, who, LONG_CONVERSATION[n % len(LONG_CONVERSATION)],
                                result)
            return result.e2e_ms[0] if result.e2e_ms else float("nan")

        async def drive() -> None:
            async with httpx.AsyncClient(timeout=30) as client:
                for n in range(args.turns):
                    before = cpu_ms(rasa_pid)
                    latencies.append(await turn(client, user, n))
                    rasa_cpu.append(cpu_ms(rasa_pid) - before)  # Rasa CPU of the turn
                    response = await client.get(tracker, params={**live.stack.rasa_auth,
                                                                 "include_events": "ALL"})
                    events_after.append(len(response.json().get("events", [])))
                for n in range(10):  # a new conversation now: the machine's load, not growth
                    control.append(await turn(client, fresh, n))

        asyncio.run(drive())
    first, last = latencies[:10], latencies[-10:]
    per_turn = [b - a for a, b in zip([0, *events_after], events_after, strict=False)]
    print(f"\nturns: one conversation of {args.turns} turns (full path, SQLite, Rasa SQL "
          f"tracker store); session_expiration_time {session_expiry_minutes()} min")
    print(f"  median latency turns 1-10: {statistics.median(first):.0f} ms; "
          f"turns {args.turns - 9}-{args.turns}: {statistics.median(last):.0f} ms "
          f"(ratio {statistics.median(last) / statistics.median(first):.2f})")
    print(f"  Rasa CPU per turn (median, robust to other load; 10 ms ticks): turns 2-11 "
          f"{statistics.median(rasa_cpu[1:11]):.0f} ms, turns {args.turns - 9}-{args.turns} "
          f"{statistics.median(rasa_cpu[-10:]):.0f} ms; mean of turns 2-11 "
          f"{statistics.mean(rasa_cpu[1:11]):.1f}, of the last 10 "
          f"{statistics.mean(rasa_cpu[-10:]):.1f} ms (turn 1 loads Rasa's lazy parts)")
    print(f"  control: turns 1-10 of a new conversation right after: "
          f"{statistics.median(control):.0f} ms")
    print(f"  unanswered turns: {sum(1 for x in latencies if x != x)}")
    print(f"  tracker events: after turn 1 {events_after[0]}, after turn 10 "
          f"{events_after[min(9, len(events_after) - 1)]}, after turn {args.turns} "
          f"{events_after[-1]}; per turn median {statistics.median(per_turn[1:]):.0f}")


# -- a long officer screening --------------------------------------------------------------------
#: The officer's answers: an adult in fishing, labour; typed nationality and province; "no" to
#: every indicator (the adaptive order stops only when nothing left can change the result, so
#: "no" asks the most: 45 of the 59 indicators).
SCREEN_CONTEXT = {"under_18": "no", "sector": "fishing", "exploitation_form": "labour"}
SCREEN_TYPED = {"nationality": "Myanmar", "province": "Chonburi"}


def _screen_reply(data: ScreeningData, message: dict) -> tuple[str, str, str]:
    """(kind, "tap"|"say", what) answering the officer's current question `message`."""
    taps = [i["action"]["data"] for i in message.get("quickReply", {}).get("items", [])]
    body = message.get("text", "").split(": ", 1)[-1].split("\n")[0]
    for context in data.questionnaire.context:
        if context.officer.get("en") == body:
            if context.id in SCREEN_TYPED:
                return "context", "say", SCREEN_TYPED[context.id]
            return "context", "tap", SCREEN_CONTEXT[context.id]
    if "profile:no:labour" in taps:
        return "profile", "tap", "profile:no:labour"
    if "no" in taps and "not_sure" in taps:
        return "indicator", "tap", "no"
    raise RuntimeError(f"not a screening question: {body[:80]!r}")


def run_screening(args: argparse.Namespace) -> None:
    pinned = os.environ.get("SAPHAN_BENCH_MODEL")
    model = Path(pinned) if pinned else ensure_model()
    data, user = default_screening(), f"Ugrowthofficer{random.getrandbits(40):010x}"
    done = catalogue_text("screening", "ask_refer", "en")
    with tempfile.TemporaryDirectory(prefix="growth-") as tmp, FakeLine() as line, \
            migrated_database("sqlite", Path(tmp)) as db_url:
        with session_scope_for(db_url) as session:
            load_bundled(session)
            code, _ = enrollment.issue_code(session, "Growth bench", "investigator",
                                            timedelta(days=1))
        arrivals = Arrivals()
        line.state.calls = arrivals  # type: ignore[assignment]
        settings = stack_settings(db_url, Path(tmp), line_api_base_url=line.url,
                                  line_channels=json.dumps(CHANNELS), log_level="WARNING",
                                  rasa_timeout_s=60.0)  # a slow turn is measured, not retried

        def turn(event: dict) -> tuple[float, list[dict]]:
            """Send one officer event; ms to the first answer, and every message it got."""
            before, start = len(line.messages_to(user)), time.monotonic()
            sent = line.send_webhook(settings.gateway_url, "officer", SECRETS["officer"],
                                     [event])
            assert sent.status_code == 200, sent.status_code
            line.wait_for(lambda: len(line.messages_to(user)) > before, timeout=60)
            arrived = arrivals.answered_at(event["replyToken"], user, start)
            line.wait_for(lambda: inbox_settled(db_url, user), timeout=60)
            return ((arrived or time.monotonic()) - start) * 1000, \
                [m for _, m in line.messages_to(user)[before:]]

        with running_stack(settings, model, with_gateway=True, log=Path(tmp) / "stack.log"):
            turn(line.text_event(user, "start screening"))
            _, messages = turn(line.text_event(user, code))
            _, messages = turn(line.postback_event(user, "mode:list"))  # one question a turn
            asked: list[tuple[str, float]] = []
            shown = ""  # each question is numbered: the same text again is a refused answer
            while messages[-1].get("text") != done:
                if messages[-1].get("text") == shown or len(asked) >= 100:
                    raise RuntimeError(f"the screening does not advance after {len(asked)} "
                                       f"answers: {shown[:60]!r}")
                shown = messages[-1].get("text", "")
                kind, how, what = _screen_reply(data, messages[-1])
                ms, messages = turn(line.postback_event(user, what) if how == "tap"
                                    else line.text_event(user, what))
                asked.append((kind, ms))
    times = [ms for _, ms in asked]
    kinds = {k: sum(1 for x, _ in asked if x == k) for k in ("profile", "context", "indicator")}
    print(f"\nscreening: one officer, one screening question by question (full path, SQLite, "
          f"Rasa SQL tracker store): {len(asked)} answers ({kinds}), then the result")
    print(f"  median latency answers 1-10: {statistics.median(times[:10]):.0f} ms; "
          f"answers {len(times) - 9}-{len(times)}: {statistics.median(times[-10:]):.0f} ms "
          f"(ratio {statistics.median(times[-10:]) / statistics.median(times[:10]):.2f}); "
          f"the result turn {times[-1]:.0f} ms")
    print("  every answer (ms): " + " ".join(f"{ms:.0f}" for ms in times))


# -- memory under load ---------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    """Resident set of `pid` and its descendants (MB, from /proc)."""
    from benchmarks.performance import _children

    tree, total, todo = _children(), 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(tree.get(current, []))
    return total / 2**20


def run_memory(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="growth-") as tmp, \
            live_stack(Path(tmp), "sqlite") as live:
        pids = live.pids()
        before = {name: rss_mb(pids[name]) for name in PROCESSES}
        print("\nmemory: RSS at start (MB): " + ", ".join(
            f"{k} {v:.0f}" for k, v in before.items()) + f"; total {sum(before.values()):.0f}")
        seconds, step, elapsed, answered = args.minutes * 60, 60.0, 0.0, 0
        while elapsed < seconds:
            chunk = min(step, seconds - elapsed)
            result = asyncio.run(closed_loop(full_sender(live), args.users, chunk,
                                             seed=int(elapsed), prefix="m"))
            elapsed += chunk
            answered += result.answered
            now = {name: rss_mb(pids[name]) for name in PROCESSES}
            print(f"  after {elapsed / 60:.1f} min ({answered} answered): " + ", ".join(
                f"{k} {v:.0f}" for k, v in now.items()) + f"; total {sum(now.values()):.0f}",
                flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    queue = sub.add_parser("queue")
    queue.add_argument("--cases", type=int, default=10_000)
    queue.add_argument("--requests", type=int, default=20)
    queue.add_argument("--updates", type=int, default=20)
    queue.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    queue.add_argument("--postgres-url", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    turns = sub.add_parser("turns")
    turns.add_argument("--turns", type=int, default=200)
    sub.add_parser("screening")
    memory = sub.add_parser("memory")
    memory.add_argument("--minutes", type=float, default=60)
    memory.add_argument("--users", type=int, default=4)
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    {"queue": run_queue, "turns": run_turns, "memory": run_memory,
     "screening": run_screening}[args.what](args)
    print(f"Machine after: {machine()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
