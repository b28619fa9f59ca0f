"""Benchmark: the benefit report of a 200-initiative portfolio in a national-size database, on SQLite and PostgreSQL.

Run from the project root:

    .venv/bin/python bench/report.py [--initiatives 20000] [--size 200] [--db sqlite|postgresql|both]

Loads ``portfolio demo --initiatives N`` into a fresh database and moves ``--size`` of its initiatives (every
hundredth, so all stages are among them) into a portfolio of their own under the demo's root portfolio: a
200-initiative portfolio among the other 19,800. For the demo steering member and the year so far, it then times

- **server:** the report's read (``benefit_report``, warm median of 5 runs) against the minimal hand-written SQL
  that fetches the same figures (``RAW``), with the target 1.5 × raw + 100 ms; the process's CPU time of both
  is printed beside them (on SQLite it includes the database's own work);
- **PDF** (``render_pdf``) and **Excel** (``render_xlsx``) of that report, once each after a warm-up (the first
  chart conversion starts vl-convert's engine), with the target under 10 s each. Their CPU time is printed too:
  on a machine shared with other work the wall-clock time says more about the machine than about the code.

A missed target is printed, not an error.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import update  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bench._setup import databases  # noqa: E402
from bench.portfolio_reads import median_time, raw  # noqa: E402
from db.engine import get_engine, read_session, write_session  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Initiative, Portfolio, User  # noqa: E402
from db.settings import get_settings  # noqa: E402
from portfolio.benefit_report import benefit_report, period_bounds, this_year_so_far  # noqa: E402
from portfolio.demo import load_demo  # noqa: E402
from portfolio.permissions import load_actor  # noqa: E402
from portfolio.report_render import chart_svgs, render_pdf, render_xlsx  # noqa: E402

TARGET_FILE_SECONDS = 10.0
NAME = "Benchmark portfolio"

# The minimal reading of the same figures by hand, for one portfolio (:portfolio, no sub-portfolios) and the
# period's instants (:start, :end) and last day (:last_day).
_STAGE_AT = ("coalesce((SELECT d.to_stage FROM gate_decision d WHERE d.initiative_id = i.id AND d.decided_at < {at}"
             " ORDER BY d.decided_at DESC, d.id DESC LIMIT 1), (SELECT d.from_stage FROM gate_decision d"
             " WHERE d.initiative_id = i.id AND d.decided_at >= {at} ORDER BY d.decided_at, d.id LIMIT 1), i.stage)")
_SCOPE = "i.portfolio_id = :portfolio AND i.created_at < :end"
RAW = [
    # Every initiative with its stage at both ends of the period: the stage counts and the sections.
    f"SELECT i.id, i.title, i.on_hold, i.estimated_cost, i.created_at, p.name, u.name, l.display_name,"
    f" {_STAGE_AT.format(at=':start')}, {_STAGE_AT.format(at=':end')} FROM initiative i"
    " JOIN portfolio p ON p.id = i.portfolio_id LEFT JOIN org_unit u ON u.id = i.org_unit_id"
    f" LEFT JOIN app_user l ON l.id = i.lead_id WHERE {_SCOPE}",
    # The decisions of the period (their outcomes counted from these rows).
    "SELECT d.*, i.title, u.display_name FROM gate_decision d JOIN initiative i ON i.id = d.initiative_id"
    f" JOIN app_user u ON u.id = d.decided_by_id WHERE {_SCOPE} AND d.decided_at >= :start AND d.decided_at < :end",
    # The indicators with their benefits.
    "SELECT n.*, b.initiative_id, b.title, b.kind, b.money_per_unit FROM indicator n JOIN benefit b"
    f" ON b.id = n.benefit_id JOIN initiative i ON i.id = b.initiative_id WHERE {_SCOPE}",
    # Their values per period up to the period's end, combined across org units.
    "SELECT m.indicator_id, m.period_start, m.org_unit_id IS NULL, n.aggregation, sum(m.value), avg(m.value)"
    " FROM measurement m JOIN indicator n ON n.id = m.indicator_id JOIN benefit b ON b.id = n.benefit_id"
    f" JOIN initiative i ON i.id = b.initiative_id WHERE {_SCOPE} AND m.period_start <= :last_day"
    " GROUP BY m.indicator_id, m.period_start, m.org_unit_id IS NULL, n.aggregation",
    # The benefit calculations' years.
    "SELECT c.initiative_id, y.* FROM calculation_year y JOIN benefit_calculation c ON c.id = y.calculation_id"
    f" JOIN initiative i ON i.id = c.initiative_id WHERE {_SCOPE}",
]


def median_cpu(action, runs: int = 5) -> float:
    """The warm median of this process's CPU time for ``action`` (the database's own work included on SQLite,
    where it runs in the process; not on PostgreSQL)."""
    action()
    times = []
    for _ in range(runs):
        start = _cpu()
        action()
        times.append(_cpu() - start)
    return sorted(times)[runs // 2]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load(url: str, initiatives: int) -> float:
    """Migrate ``url`` and load the demo data into it; returns the seconds it took."""
    started = time.perf_counter()
    upgrade(url)
    with write_session(get_engine(url)) as session:
        load_demo(session=session, initiatives=initiatives, seed=7)
    return time.perf_counter() - started


def carve(url: str, size: int) -> int:
    """A portfolio of ``size`` initiatives under the demo's root portfolio: every hundredth initiative is moved into
    it (bench set-up, written directly). Returns its id."""
    with write_session(get_engine(url)) as session:
        root = session.exec(select(Portfolio.id).where(col(Portfolio.parent_id).is_(None))).first()
        owner = session.exec(select(Portfolio.owner_id).where(Portfolio.id == root)).one()
        portfolio = Portfolio(name=NAME, parent_id=root, owner_id=owner)
        session.add(portfolio)
        session.flush()
        ids = session.exec(select(Initiative.id).order_by(Initiative.id)).all()
        step = max(1, len(ids) // size)
        chosen = ids[::step][:size]
        session.exec(update(Initiative).where(col(Initiative.id).in_(chosen)).values(portfolio_id=portfolio.id))
        return portfolio.id


def run(label: str, url: str, initiatives: int, size: int) -> None:
    portfolio_id = carve(url, size)
    engine = get_engine(url)
    period_from, period_to = this_year_so_far()
    start, end = period_bounds(period_from, period_to, get_settings().timezone)
    with read_session(engine) as session:
        steering_id = session.exec(select(User.id).where(User.username == "steering")).one()
        steering = load_actor(session=session, user_id=steering_id)

        def read():
            return benefit_report(session, steering, portfolio_id, period_from, period_to)

        report = read()
        by_hand = raw(session, RAW, portfolio=portfolio_id, start=start, end=end, last_day=period_to)
        app_ms, raw_ms = median_time(read) * 1000, median_time(by_hand) * 1000
        app_cpu, raw_cpu = median_cpu(read) * 1000, median_cpu(by_hand) * 1000
    indicators = sum(len(s.indicators) for s in report.initiatives)
    charts = sum(1 for s in report.initiatives for line in s.indicators if len(line.series) > 1)
    verdict = "ok" if app_ms <= 1.5 * raw_ms + 100 else "MISSES 1.5 x raw + 100 ms"
    print(f"  server  {label:<10} {initiatives:>6} report ({len(report.initiatives)} initiatives, {indicators} "
          f"indicators, {report.summary.decisions} decisions)  app {app_ms:8.1f} ms  raw {raw_ms:8.1f} ms  "
          f"ratio {app_ms / raw_ms:5.2f}  {verdict}  (cpu: app {app_cpu:.1f} ms, raw {raw_cpu:.1f} ms; load average "
          f"{os.getloadavg()[0]:.1f})", flush=True)
    chart_svgs(report)  # warm-up: vl-convert's engine starts with its first chart
    for name, render in (("PDF", render_pdf), ("Excel", render_xlsx)):
        cpu, started = _cpu(), time.perf_counter()
        content = render(report, "sv")
        seconds, cpu_seconds = time.perf_counter() - started, _cpu() - cpu
        verdict = "ok" if seconds < TARGET_FILE_SECONDS else f"MISSES {TARGET_FILE_SECONDS:.0f} s"
        extra = f", {charts} charts" if name == "PDF" else ""
        print(f"  file    {label:<10} {initiatives:>6} {name:<5} {len(content) / 1e6:5.1f} MB{extra}  "
              f"{seconds:6.2f} s (cpu {cpu_seconds:5.2f} s, load average {os.getloadavg()[0]:.1f})  {verdict}",
              flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--initiatives", type=int, default=20000)
    parser.add_argument("--size", type=int, default=200, help="initiatives in the reported portfolio")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    try:
        for label, url in databases(args.db):
            seconds = load(url, args.initiatives)
            print(f"{label}: {args.initiatives:,} demo initiatives loaded in {seconds:.0f} s", flush=True)
            run(label, url, args.initiatives, args.size)
            get_engine(url).dispose()
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
