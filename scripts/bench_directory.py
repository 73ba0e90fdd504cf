"""Directory benchmark: import rate and nearest-10 latency on 100,000 generated services.

Runs on SQLite (temporary file) and PostgreSQL (temporary schema; skipped if unreachable),
prints p50/p95 of `search_services` (nearest 10 with a type filter), the query plans, and
writes benchmarks/directory.md.

    .venv/bin/python scripts/bench_directory.py [--rows 100000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from referral_directory.files import read_records
from referral_directory.gazetteer import provinces
from referral_directory.geo import bounding_box
from referral_directory.models import Service
from referral_directory.records import CSV_COLUMNS
from referral_directory.search import FIRST_RING_KM, ServiceQuery, search_services
from referral_directory.store import upsert_records
from referral_directory.vocab import SERVICE_TYPES
from saphan.db import make_engine
from saphan.language import LANGUAGES
from saphan.migrate import upgrade
from saphan.paths import ROOT
from testsupport.databases import postgres_schema_url, sqlite_url

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SEED = 20261123
LANGS = list(LANGUAGES)


def generate_csv(path: Path, rows: int, rng: random.Random) -> None:
    """`rows` services clustered around province seats (gaussian, sigma 0.25 deg)."""
    table = list(provinces().values())
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for i in range(rows):
            p = rng.choice(table)
            writer.writerow(
                {
                    "id": f"bench-{i}",
                    "type": rng.choice(SERVICE_TYPES),
                    "name_en": f"Service {i}",
                    "province": p.name_en,
                    "latitude": f"{p.latitude + rng.gauss(0, 0.25):.5f}",
                    "longitude": f"{p.longitude + rng.gauss(0, 0.25):.5f}",
                    "languages": ";".join(rng.sample(LANGS, rng.randint(1, 3))),
                    "opening_hours": "mon-fri 08:30-16:30",
                    "source": "generated",
                    "confidence": "low",
                    "sample": "true",
                    "national": "false",
                    "is_24h": "false",
                }
            )


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def plan(engine: Engine, lat: float, lon: float) -> str:
    """The plan of the nearest-N candidate query (first ring)."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, FIRST_RING_KM)
    where = (
        f"service_type = 'shelter' AND latitude BETWEEN {min_lat:.5f} AND {max_lat:.5f} "
        f"AND longitude BETWEEN {min_lon:.5f} AND {max_lon:.5f}"
    )
    sql = f"SELECT * FROM {Service.__tablename__} WHERE {where}"
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
            return "\n".join(str(r[-1]) for r in rows)
        rows = conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)).all()
        return "\n".join(r[0] for r in rows)


def run(kind: str, url: str, csv_path: Path, queries: int, rng: random.Random) -> dict:
    upgrade(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    records = read_records(csv_path)
    t1 = time.perf_counter()
    with Session(engine) as session, session.begin():
        upsert_records(session, records)
    t2 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    n = len(records)
    points = [
        (p.latitude + rng.gauss(0, 0.3), p.longitude + rng.gauss(0, 0.3), rng.choice(SERVICE_TYPES))
        for p in rng.choices(list(provinces().values()), k=queries + 50)
    ]
    times: list[float] = []
    cpu: list[float] = []
    with Session(engine) as session:
        for i, (lat, lon, stype) in enumerate(points):
            q = ServiceQuery(service_type=stype, latitude=lat, longitude=lon, limit=10)
            start, start_cpu = time.perf_counter(), time.process_time()
            hits = search_services(session, q).hits
            elapsed = (time.perf_counter() - start) * 1000
            elapsed_cpu = (time.process_time() - start_cpu) * 1000
            session.expunge_all()
            if i >= 50:  # warm-up
                times.append(elapsed)
                cpu.append(elapsed_cpu)
            assert hits, (kind, lat, lon, stype)
    trivial: list[float] = []  # one `SELECT 1` round trip: the machine's latency floor
    with engine.connect() as conn:
        for _ in range(queries):
            start = time.perf_counter()
            conn.execute(text("SELECT 1")).all()
            trivial.append((time.perf_counter() - start) * 1000)
    result = {
        "kind": kind,
        "select1_p95": percentile(trivial, 95),
        "rows": n,
        "validate_rate": n / (t1 - t0),
        "write_rate": n / (t2 - t1),
        "import_rate": n / (t2 - t0),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "cpu_p50": percentile(cpu, 50),
        "cpu_p95": percentile(cpu, 95),
        "load": os.getloadavg()[0],
        "plan": plan(engine, 13.75, 100.5),
    }
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "directory.md")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        csv_path = Path(tmp) / "services.csv"
        generate_csv(csv_path, args.rows, random.Random(SEED))
        targets = [("sqlite", sqlite_url(Path(tmp), "bench.db"))]
        try:
            targets.append(
                ("postgresql", stack.enter_context(postgres_schema_url(args.postgres_url)))
            )
        except Exception as exc:
            print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        for kind, url in targets:
            r = run(kind, url, csv_path, args.queries, random.Random(SEED + 1))
            results.append(r)
            print(
                f"{kind:10s} rows={r['rows']} import={r['import_rate']:,.0f} rows/s "
                f"(validate {r['validate_rate']:,.0f}/s, write {r['write_rate']:,.0f}/s)  "
                f"nearest-10: p50={r['p50']:.2f} ms p95={r['p95']:.2f} ms "
                f"(client CPU p50={r['cpu_p50']:.2f} p95={r['cpu_p95']:.2f}; "
                f"load avg {r['load']:.1f} on {os.cpu_count()} CPUs; "
                f"SELECT 1 p95={r['select1_p95']:.2f} ms)"
            )
            print("  plan:\n    " + r["plan"].replace("\n", "\n    "))
    lines = [
        "# Directory benchmark",
        "",
        f"`scripts/bench_directory.py --rows {args.rows} --queries {args.queries}` "
        "(`make bench-directory`). Services clustered around province seats; queries: "
        "`search_services` nearest 10 with a type filter from random points, after 50 warm-up "
        "queries. Import = read + validate a CSV file, then upsert in one transaction. "
        "The plans below show the candidate query using the (service_type, latitude, "
        "longitude) index, not a table scan.",
        "",
        "Wall-clock p50/p95 include waiting for the CPU: the `load` column is the 1-minute load",
        f"average during the run on this {os.cpu_count()}-CPU machine; `CPU` is this process's",
        "CPU time per query (excludes the database server's time on PostgreSQL);",
        "`SELECT 1 p95` is the latency of a trivial round trip, the floor on this machine.",
        "",
        "| database | rows | import rows/s | validate rows/s | write rows/s "
        "| p50 ms | p95 ms | CPU p50 | CPU p95 | load | SELECT 1 p95 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['kind']} | {r['rows']:,} | {r['import_rate']:,.0f} | {r['validate_rate']:,.0f} "
            f"| {r['write_rate']:,.0f} | {r['p50']:.2f} | {r['p95']:.2f} "
            f"| {r['cpu_p50']:.2f} | {r['cpu_p95']:.2f} | {r['load']:.1f} "
            f"| {r['select1_p95']:.2f} |"
        )
    for r in results:
        lines += [
            "",
            f"Query plan ({r['kind']}, first ring around Bangkok):",
            "",
            "```",
            r["plan"],
            "```",
        ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
