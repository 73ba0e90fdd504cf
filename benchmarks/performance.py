"""`make bench-perf`: the benchmark of record for per-message cost (issue 22).

One stack, one model, one run: the bare Rasa REST path (Rasa + action server, `POST
/webhooks/rest/webhook`) and the full path (signed LINE webhook -> gateway -> Rasa -> actions
-> reply received by the fake LINE server on loopback) at 1, 4, 8, 16 closed-loop users
(each user waits for its answer before it sends the next message). For each step: msgs/s,
p50/p95/p99 latency and the CPU milliseconds per answered message of each process (gateway,
Rasa, action server, each with its children, from /proc/<pid>/stat utime+stime), plus the
ratio full/bare. `--runs N` repeats everything and reports medians: the machine is shared, so
msgs/s and latency move with other people's load; CPU ms per message is the robust number.

    PYTHONPATH=. .venv/bin/python benchmarks/performance.py --runs 3 --seconds 10
    ... --profile-dir /tmp/prof  # also py-spy the gateway during the full path's 8-user step
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from content.catalogue import full_languages
from reliability.live_stack import CHANNEL, LiveStack, live_stack
from reliability.load import StepResult, percentile, send_and_wait
from reliability.report import machine, table
from saphan.language import guess_language

#: The message mix: (text, weight, kind), by the language a simulated person writes in (each
#: conversation keeps one: Thai for `THAI_SHARE` of them). Service searches name a province or
#: town; reports open a case (the person's later messages then go to a caseworker on the full
#: path, which the bot acknowledges); screening turns on the public channel get the "officers
#: only" answer (the officer screening needs an enrolled officer account; not in this mix).
MIX: dict[str, list[tuple[str, int, str]]] = {
    "th": [
        ("หาที่พักพิงในเชียงใหม่", 3, "service search"),
        ("หาโรงพยาบาลในขอนแก่น", 2, "service search"),
        ("ต้องการล่ามภาษาพม่าที่ระนอง", 1, "service search"),
        ("ช่วยด้วย นายจ้างยึดหนังสือเดินทางของฉัน", 2, "report"),
        ("ไม่ได้รับค่าจ้างมาสามเดือนแล้ว", 1, "report"),
        ("ค่าแรงขั้นต่ำวันละเท่าไหร่", 2, "rights"),
        ("นายจ้างมีสิทธิ์เก็บพาสปอร์ตไหม", 1, "rights"),
        ("สวัสดีครับ", 3, "small talk"),
        ("ขอบคุณค่ะ", 2, "small talk"),
        ("เริ่มคัดกรอง", 1, "screening"),
    ],
    "en": [
        ("find a shelter in Bangkok", 3, "service search"),
        ("legal aid near Mae Sot", 2, "service search"),
        ("is there a hospital in Chiang Rai", 1, "service search"),
        ("my employer took my passport and I cannot leave", 2, "report"),
        ("I was not paid for three months", 1, "report"),
        ("can my employer keep my passport?", 2, "rights"),
        ("how many hours can I work per day", 1, "rights"),
        ("hello", 3, "small talk"),
        ("thank you", 2, "small talk"),
        ("start screening", 1, "screening"),
    ],
}
THAI_SHARE = 0.5
STEPS = (1, 4, 8, 16)
CONVERSATION_LENGTH = (2, 6)  # messages per simulated conversation, then a new user
PROCESSES = ("gateway", "rasa", "actions")
TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def pick(rng: random.Random, language: str) -> str:
    texts, weights, _ = zip(*MIX[language], strict=True)
    return rng.choices(texts, weights=weights)[0]


def mix_summary() -> str:
    shares = Counter[str]()
    for language, share in (("th", THAI_SHARE), ("en", 1 - THAI_SHARE)):
        total = sum(w for _, w, _ in MIX[language])
        for _, weight, kind in MIX[language]:
            shares[kind] += share * weight / total
    return (", ".join(f"{kind} {100 * w:.0f}%" for kind, w in shares.most_common())
            + f"; conversations {100 * THAI_SHARE:.0f}% Thai, the rest English, "
            f"{CONVERSATION_LENGTH[0]}-{CONVERSATION_LENGTH[1]} messages each")


# -- CPU of a process tree from /proc ---------------------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(_stat(int(entry))[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _stat(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_ms(pid: int, descendants: bool = True) -> float:
    """utime + stime of `pid` (all its threads) and its live descendants, in ms."""
    tree, total, todo = _children() if descendants else {}, 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = _stat(current)
            total += (int(fields[11]) + int(fields[12])) * TICK_MS
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(tree.get(current, []))
    return total


def cpu_all(pids: dict[str, int]) -> dict[str, float]:
    return {**{name: cpu_ms(pids[name]) for name in PROCESSES if name in pids},
            "driver": cpu_ms(os.getpid(), descendants=False)}


# -- the two paths ------------------------------------------------------------------------------
Send = Callable[[httpx.AsyncClient, str, str, StepResult], Awaitable[None]]


def bare_sender(live: LiveStack) -> Send:
    """Rasa's REST channel with the metadata the gateway would send."""
    url = f"{live.stack.rasa_url}/webhooks/rest/webhook"
    languages = full_languages("gateway")

    async def send(client: httpx.AsyncClient, user: str, text: str, result: StepResult) -> None:
        metadata = {"channel": CHANNEL["name"], "audience": CHANNEL["audience"],
                    "language": guess_language(text, "th", languages), "location": None}
        start = time.monotonic()
        try:
            response = await client.post(url, json={"sender": user, "message": text,
                                                    "metadata": metadata})
        except httpx.HTTPError:
            result.errors += 1
            return
        result.sent += 1
        if response.status_code == 200 and response.json():
            result.answered += 1
            result.e2e_ms.append((time.monotonic() - start) * 1000)
        else:
            result.silent[text] = result.silent.get(text, 0) + 1
    return send


def full_sender(live: LiveStack) -> Send:
    async def send(client: httpx.AsyncClient, user: str, text: str, result: StepResult) -> None:
        await send_and_wait(client, live, user, text, result)
    return send


async def closed_loop(send: Send, users: int, seconds: float, seed: int, prefix: str
                      ) -> StepResult:
    result = StepResult(users)
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds

    async def user_loop(n: int) -> None:
        while time.monotonic() < deadline:
            user = f"U{prefix}{seed:04d}{n:03d}{rng.getrandbits(48):012x}"
            language = "th" if rng.random() < THAI_SHARE else "en"
            for _ in range(rng.randint(*CONVERSATION_LENGTH)):
                if time.monotonic() >= deadline:
                    break
                await send(client, user, pick(rng, language), result)

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=users + 5)
                                 ) as client:
        begin = time.monotonic()
        await asyncio.gather(*(user_loop(n) for n in range(users)))
        result.seconds = time.monotonic() - begin
    return result


@dataclass
class Measured:
    path: str
    users: int
    rate: float
    p50: float
    p95: float
    p99: float
    answered: int
    unanswered: int
    cpu: dict[str, float] = field(default_factory=dict)  # ms per answered message


#: py-spy only samples threads holding the GIL (`--profile-gil`): on a loaded machine a thread
#: waiting for a core counts as busy otherwise, so syscalls where it was preempted (socket
#: writes, `os.urandom`) look expensive. Code that releases the GIL (SQLite executing a
#: statement) is then left out.
GIL_ONLY = False


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling the gateway's threads (collapsed stacks; see `profile_tops`)."""
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--duration",
                             str(max(1, int(seconds))), "--rate", "200", "--format", "raw",
                             "--output", str(out), "--nonblocking", *(["--gil"] * GIL_ONLY)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


#: Leaf frames of threads that wait (py-spy samples them too): the event loop in epoll, the
#: thread pool's idle workers, locks. Samples ending in one of them are left out.
IDLE_LEAVES = frozenset({"_worker (thread.py)", "Runner.run (runners.py)",
                         "Condition.wait (threading.py)", "Queue.get (queue.py)",
                         "select (selectors.py)", "Event.wait (threading.py)",
                         "Thread._wait_for_tstate_lock (threading.py)"})


#: (part of a frame's file path, the step it belongs to).
LINE, RASA = "LINE client (SDK, aiohttp)", "Rasa client (aiohttp; httpx before round 3)"
STEP_MARKERS = (("(gateway/rasa_bridge.py", RASA), ("(linebot/", LINE), ("(aiohttp/", LINE),
                ("(httpx/", RASA), ("(httpcore/", RASA))


def step_of(frames: list[str]) -> str:
    """The gateway step a sample belongs to: "db: <function>" for the function run in a
    transaction (`in_session`), else the client or server it is in."""
    for i, frame in enumerate(frames):
        if frame.startswith("in_session ") and i + 1 < len(frames):
            return "db: " + frames[i + 1].split(" (")[0]
        if frame.startswith(("ThreadPoolExecutor.submit", "_chain_future")):
            return "thread pool hand-off"
    for marker, step in STEP_MARKERS:
        if any(marker in frame for frame in frames):
            return step
    return "other (HTTP server, routing, processor)"


def profile_tops(collapsed: Path, n: int = 25) -> str:
    """Top functions of a py-spy raw profile, waiting samples (`IDLE_LEAVES`) left out: own
    samples and samples with the function on the stack (inclusive), as a share of the busy
    samples."""
    own, incl, steps, total = Counter[str](), Counter[str](), Counter[str](), 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        raw = stack.split(";")[1:]  # the first frame is the thread
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].split("/")[-1] + ")"
                  for f in raw]
        if not frames or frames[-1] in IDLE_LEAVES:
            continue
        total += int(count)
        steps[step_of(raw)] += int(count)
        if frames:
            own[frames[-1]] += int(count)
        for frame in set(frames):
            incl[frame] += int(count)
    lines = [f"busy samples: {total}", "", "by step:"]
    lines += [f"{100 * count / total:5.1f}%  {step}" for step, count in steps.most_common(n)]
    lines += ["", "own  incl  function"]
    for name, count in own.most_common(n):
        lines.append(f"{100 * count / total:4.1f}% {100 * incl[name] / total:5.1f}%  {name}")
    lines += ["", "inclusive (top):"]
    for name, count in incl.most_common(n):
        lines.append(f"{100 * count / total:5.1f}%  {name}")
    return "\n".join(lines)


async def measure_step(live: LiveStack, path: str, users: int, seconds: float, seed: int,
                       spy_to: Path | None) -> Measured:
    pids = live.pids()
    send = bare_sender(live) if path == "bare" else full_sender(live)
    spy = profile(pids["gateway"], seconds, spy_to) if spy_to else None
    before = cpu_all(pids)
    result = await closed_loop(send, users, seconds, seed, path[0])
    await asyncio.sleep(0.3)  # the last answers' bookkeeping (mark done) belongs to the step
    after = cpu_all(pids)
    if spy is not None:
        spy.wait(timeout=seconds + 30)
    n = max(1, result.answered)
    return Measured(path, users, result.rate, percentile(result.e2e_ms, 50),
                    percentile(result.e2e_ms, 95), percentile(result.e2e_ms, 99),
                    result.answered, result.unanswered,
                    {name: (after[name] - before[name]) / n for name in after})


#: Before the quiet measurement: the answers of the warm-up are finished and the dispatcher
#: has backed off to its idle pace (`gateway.workers.IDLE_POLL_S`).
SETTLE_S = 8.0


async def quiet_gateway_ms_per_s(live: LiveStack, seconds: float) -> float:
    """The gateway's CPU while nothing is sent to it (its timers and pollers: dispatcher
    rounds, lease sweeps, case re-notification, quota, retention), in ms per second."""
    pid = live.pids()["gateway"]
    await asyncio.sleep(SETTLE_S)
    before, start = cpu_ms(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_ms(pid) - before) / (time.monotonic() - start)


async def run_all(live: LiveStack, runs: int, seconds: float, steps: tuple[int, ...],
                  profile_dir: Path | None, idle_s: float) -> tuple[list[Measured], float]:
    warm = full_sender(live)
    await closed_loop(warm, 2, 4.0, seed=9999, prefix="w")  # loads Rasa's lazy parts
    idle = await quiet_gateway_ms_per_s(live, idle_s)
    print(f"  quiet gateway: {idle:.1f} ms CPU per s over {idle_s:.0f} s", flush=True)
    out = []
    for run in range(runs):
        for path in ("bare", "full"):
            for users in steps:
                spy_to = None
                if profile_dir and run == 0 and path == "full" and users == 8:
                    spy_to = profile_dir / "gateway.collapsed"
                m = await measure_step(live, path, users, seconds, seed=run * 100 + users,
                                       spy_to=spy_to)
                print(f"  run {run + 1} {path:4} {users:2} users: {m.rate:5.1f} msgs/s "
                      f"p50 {m.p50:5.0f} p95 {m.p95:5.0f} ms; CPU ms/msg "
                      + " ".join(f"{k} {v:.1f}" for k, v in m.cpu.items()), flush=True)
                out.append(m)
    return out, idle


def median_rows(results: list[Measured], steps: tuple[int, ...], idle: float
                ) -> list[list[object]]:
    """One row per path and users: medians over runs; `idle` is the quiet gateway's CPU
    (ms/s, `quiet_gateway_ms_per_s`)."""
    rows = []
    rate = {}
    for path in ("bare", "full"):
        for users in steps:
            ms = [m for m in results if m.path == path and m.users == users]
            med = {key: statistics.median(getattr(m, key) for m in ms)
                   for key in ("rate", "p50", "p95", "p99")}
            cpu = {name: statistics.median(m.cpu.get(name, 0.0) for m in ms)
                   for name in (*PROCESSES, "driver")}
            rate[path, users] = med["rate"]
            ratio = (f"{med['rate'] / rate['bare', users]:.2f}"
                     if path == "full" and rate.get(("bare", users)) else "")
            rows.append([path, users, round(med["rate"], 1), round(med["p50"]),
                         round(med["p95"]), round(med["p99"]),
                         *(round(cpu[name], 1) for name in PROCESSES),
                         round(sum(cpu[name] for name in PROCESSES), 1),
                         round(cpu["gateway"] - idle / med["rate"], 1) if path == "full"
                         and med["rate"] else "",
                         sum(m.unanswered for m in ms), ratio])
    return rows


HEADERS = ["path", "users", "msgs/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/msg gateway",
           "Rasa", "actions", "sum", "gateway less idle", "unanswered", "full/bare msgs/s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--users", default=",".join(map(str, STEPS)))
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--profile-dir", type=Path, help="py-spy the gateway (full, 8 users)")
    parser.add_argument("--profile-gil", action="store_true",
                        help="profile only threads holding the GIL (see GIL_ONLY)")
    parser.add_argument("--tops", type=Path, help="only print the tops of a saved profile")
    parser.add_argument("--idle-seconds", type=float, default=10.0,
                        help="how long the quiet gateway's CPU is measured (after the warm-up)")
    args = parser.parse_args()
    if args.tops:
        print(profile_tops(args.tops))
        return
    global GIL_ONLY
    GIL_ONLY = args.profile_gil
    steps = tuple(int(x) for x in args.users.split(","))
    if args.profile_dir:
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="saphan-perf-") as work, \
            live_stack(Path(work), args.database, args.postgres_url) as live:
        print("stack up:", live.pids(), flush=True)
        results, idle = asyncio.run(run_all(live, args.runs, args.seconds, steps,
                                            args.profile_dir, args.idle_seconds))
    print(f"\nMachine: {machine()}\nApp database: {args.database}; {args.runs} run(s), "
          f"{args.seconds:.0f} s per step, medians over runs; closed loop.\n"
          f"Mix: {mix_summary()}.\n")
    print(table(HEADERS, median_rows(results, steps, idle)))
    print("\nCPU ms/msg = (utime+stime delta of the process and its children) / answered "
          "messages; the robust number on a shared machine (msgs/s and latency move with "
          "other load). Gateway less idle = gateway CPU ms/msg minus its idle CPU "
          f"({idle:.1f} ms/s: timers and pollers of the gateway with no traffic, measured for "
          f"{args.idle_seconds:.0f} s after the warm-up) spread over the full path's msgs/s. "
          "During the bare steps the gateway is not idle: the action server calls its "
          "directory and case APIs.")
    if args.profile_dir and (args.profile_dir / "gateway.collapsed").exists():
        print("\nGateway profile (py-spy, full path, 8 users):\n")
        print(profile_tops(args.profile_dir / "gateway.collapsed"))


if __name__ == "__main__":
    main()
