"""Benchmark: reading and importing a large measurement file on SQLite and on PostgreSQL.

Run from the project root:

    .venv/bin/python bench/import_measurements.py [--rows 100000] [--db sqlite|postgresql|both] [--profile]

For each database it migrates a fresh database, creates a small organisation (a portfolio with an
owner, 20 org units with codes, one initiative with 10 indicators of mixed frequencies), generates
valid CSV rows in memory, and times with ``time.perf_counter``:

- parse:    ``read_rows`` on the CSV bytes;
- import:   ``import_measurements`` in one write transaction (validate + write + commit);
- reimport: the same rows again, which must write nothing.

``--profile`` runs the import phase under cProfile and prints where the time goes.
PostgreSQL is a throwaway server (``tests.pg.PostgresServer``), stopped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from db.engine import get_engine, read_session, write_session  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Measurement, OrgUnit, Portfolio, RoleAssignment, User  # noqa: E402
from portfolio.benefits import BenefitInput, IndicatorInput, create_benefit, create_indicator  # noqa: E402
from portfolio.benefits_math import Frequency, format_period, next_period_start, period_start  # noqa: E402
from portfolio.initiatives import InitiativeCreate, create_initiative  # noqa: E402
from portfolio.measurement_files import read_rows  # noqa: E402
from portfolio.measurements import ImportResult, import_measurements  # noqa: E402
from portfolio.permissions import load_actor  # noqa: E402

# (code, frequency, aggregation, share of the rows). Daily indicators carry most rows, as in real use.
INDICATORS = [
    ("VISITS-DIGITAL", "day", "sum", 0.25),
    ("VISITS-PHONE", "day", "sum", 0.25),
    ("CALLBACKS", "day", "sum", 0.25),
    ("WAIT-DAYS", "week", "mean", 0.06),
    ("QUEUE-LENGTH", "week", "mean", 0.06),
    ("NO-SHOWS", "week", "sum", 0.06),
    ("STAFF-HOURS", "month", "sum", 0.03),
    ("SICK-LEAVE", "month", "mean", 0.02),
    ("SATISFACTION", "quarter", "mean", 0.01),
    ("COST-PER-VISIT", "year", "mean", 0.01),
]
START = {"day": date(2022, 1, 1), "week": date(2015, 1, 5), "month": date(2010, 1, 1),
         "quarter": date(2013, 1, 1), "year": date(1976, 1, 1)}


def build_organisation(engine) -> tuple[str, list[str]]:
    """Owner, portfolio, 20 coded org units (region > 4 hospitals > 15 clinics), one initiative with
    one benefit and 10 indicators. Returns the owner's username and the unit codes."""
    with write_session(engine) as session:
        owner = User(username="bench-owner", display_name="Bench Owner", password_hash="x")
        session.add(owner)
        session.flush()
        portfolio = Portfolio(name="Digital care", owner_id=owner.id)
        session.add(portfolio)
        session.flush()
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=portfolio.id))
        region = OrgUnit(name="Region", code="R00")
        session.add(region)
        session.flush()
        units = [region]
        for h in range(4):
            hospital = OrgUnit(name=f"Hospital {h + 1}", code=f"H{h + 1:02d}", parent_id=region.id)
            session.add(hospital)
            session.flush()
            units.append(hospital)
            for c in range(4 if h < 3 else 3):
                clinic = OrgUnit(name=f"Clinic {h + 1}.{c + 1}", code=f"C{h + 1}{c + 1}", parent_id=hospital.id)
                session.add(clinic)
                units.append(clinic)
        session.flush()
        assert len(units) == 20
        actor = load_actor(session=session, user_id=owner.id)
        initiative = create_initiative(session=session, actor=actor, data=InitiativeCreate(
            title="Digital first line", portfolio_id=portfolio.id, need_description="Long queues",
            org_unit_id=region.id))
        actor = load_actor(session=session, user_id=owner.id)
        benefit = create_benefit(session=session, actor=actor, initiative_id=initiative.id,
                                 data=BenefitInput(title="Better access", category="access_waiting_times",
                                                   recipient="patients_citizens", owner_id=owner.id))
        for code, frequency, aggregation, _ in INDICATORS:
            create_indicator(session=session, actor=actor, benefit_id=benefit.id, data=IndicatorInput(
                code=code, name=code.replace("-", " ").title(), frequency=frequency, aggregation=aggregation,
                valid_min=0, valid_max=1_000_000))
        return owner.username, [u.code for u in units]


def generate_csv(rows: int, unit_codes: list[str], seed: int = 1) -> bytes:
    """``rows`` valid, distinct rows (semicolon-separated, decimal comma, as Swedish Excel writes them)."""
    rng = random.Random(seed)
    quotas = [int(rows * share) for *_, share in INDICATORS]
    quotas[0] += rows - sum(quotas)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["indicator", "period", "org_unit", "value"])
    for (code, frequency, _, _), quota in zip(INDICATORS, quotas):
        freq = Frequency(frequency)
        period = period_start(freq, START[frequency])
        written = 0
        while written < quota:
            label = format_period(freq, period)
            for unit in unit_codes:
                if written == quota:
                    break
                writer.writerow([code, label, unit, f"{rng.uniform(0, 5000):.2f}".replace(".", ",")])
                written += 1
            period = next_period_start(freq, period)
    return buffer.getvalue().encode("utf-8")


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


def bench(db: str, url: str, rows: int, profile: bool) -> dict[str, float]:
    upgrade(url)
    engine = get_engine(url)
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

    stored = count_measurements(engine)
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
    args = parser.parse_args()

    results = {}
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as directory:
            results["sqlite"] = bench("sqlite", f"sqlite:///{directory}/bench.db", args.rows, args.profile)
    if args.db in ("postgresql", "both"):
        from tests.pg import throwaway_database

        with throwaway_database() as url:
            results["postgresql"] = bench("postgresql", url, args.rows, args.profile)
    for db, phases in results.items():
        total = phases["parse"] + phases["import"]
        verdict = "well under 10 s" if total < 5 else ("under 10 s" if total < 10 else "OVER 10 s")
        print(f"{db:<11} total    parse + import {total:.2f} s for {args.rows} rows ({verdict})")


if __name__ == "__main__":
    main()
