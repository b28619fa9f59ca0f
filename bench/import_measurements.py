"""Benchmark: reading and importing a large measurement file on SQLite and on PostgreSQL.

Run from the project root:

    .venv/bin/python bench/import_measurements.py [--rows 100000] [--db sqlite|postgresql|both] [--profile]
                                                  [--filled 2000]

For each database it migrates a fresh database, fills it with the demo data of ``--filled``
initiatives (default 2,000: about 11,000 indicators and 500,000 measurements; 0 for an
empty database), creates a small organisation (a portfolio with an owner, 20 org units with codes,
one initiative with 10 indicators of mixed frequencies), generates valid CSV rows in memory, and
times with ``time.perf_counter``:

- parse:    ``read_rows`` on the CSV bytes;
- import:   ``import_measurements`` in one write transaction (validate + write + commit);
- reimport: the same rows again, which must write nothing.

``--profile`` runs the import phase under cProfile and prints where the time goes.
PostgreSQL is a throwaway server (``tests.pg.PostgresServer``), stopped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench._setup import build_organisation, databases, generate_csv, migrated_engine  # noqa: E402
from db.engine import read_session, write_session  # noqa: E402
from db.models import Measurement, User  # noqa: E402
from portfolio.demo import load_demo  # noqa: E402
from portfolio.measurement_files import read_rows  # noqa: E402
from portfolio.measurements import ImportResult, import_measurements  # noqa: E402
from portfolio.permissions import load_actor  # noqa: E402

def count_measurements(engine) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(Measurement)).one()


def run_import(engine, username: str, rows) -> ImportResult:
    with write_session(engine) as session:
        user_id = session.exec(select(User.id).where(User.username == username)).one()
        return import_measurements(session=session, actor=load_actor(session=session, user_id=user_id), rows=rows,
                                   file_name="bench.csv")


def line(db: str, phase: str, rows: int, seconds: float) -> None:
    rate = rows / seconds if seconds else float("inf")
    print(f"{db:<11} {phase:<8} {rows} rows  {seconds:6.2f} s  ({rate:,.0f} rows/s)", flush=True)


def fill(engine, initiatives: int) -> None:
    """Demo data first, so the import goes into a database that already holds data, as in real use."""
    if not initiatives:
        return
    t0 = time.perf_counter()
    with write_session(engine) as session:
        counts = load_demo(session=session, initiatives=initiatives, seed=1, today=date(2026, 11, 2))
    print(f"filled with {counts['initiatives']} initiatives, {counts['measurements']} measurements "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)


def bench(db: str, url: str, rows: int, profile: bool, filled: int = 0) -> dict[str, float]:
    engine = migrated_engine(url)
    fill(engine, filled)
    filled_rows = count_measurements(engine)
    username, codes = build_organisation(engine)
    content = generate_csv(rows, codes)
    print(f"{db:<11} file     {rows} rows  {len(content) / 1e6:.1f} MB", flush=True)

    t0 = time.perf_counter()
    raw = read_rows(content, "bench.csv")
    parse = time.perf_counter() - t0
    line(db, "parse", len(raw), parse)

    profiler = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    first = run_import(engine, username, raw)
    if profiler:
        profiler.disable()
    imported = time.perf_counter() - t0
    line(db, "import", len(raw), imported)

    t0 = time.perf_counter()
    second = run_import(engine, username, raw)
    reimported = time.perf_counter() - t0
    line(db, "reimport", len(raw), reimported)

    stored = count_measurements(engine) - filled_rows
    ok = first == ImportResult(rows, 0, 0) and second == ImportResult(0, 0, rows) and stored == rows
    print(f"{db:<11} check    first import {first}, second import {second}, {stored} rows stored: "
          f"{'OK' if ok else 'MISMATCH'}", flush=True)
    if profiler:
        print(f"--- {db}: cProfile of the import phase (top 25 by cumulative time) ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
        print(f"--- {db}: top 20 by own time ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(20)
    engine.dispose()
    if not ok:
        raise SystemExit(f"{db}: row count check failed")
    return {"parse": parse, "import": imported, "reimport": reimported}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="Profile the import phase with cProfile.")
    parser.add_argument("--filled", type=int, default=2000,
                        help="Demo initiatives loaded before the import (0: an empty database).")
    args = parser.parse_args()

    results = {db: bench(db, url, args.rows, args.profile, args.filled) for db, url in databases(args.db)}
    for db, phases in results.items():
        total = phases["parse"] + phases["import"]
        verdict = "within the 3 s target" if total <= 3 else "OVER the 3 s target"
        print(f"{db:<11} total    parse + import {total:.2f} s for {args.rows} rows ({verdict})")


if __name__ == "__main__":
    main()
