"""Benchmark: what the pages read, on a large demo portfolio, on SQLite and on PostgreSQL.

Run from the project root:

    .venv/bin/python bench/portfolio_reads.py [--initiatives 2000] [--db sqlite|postgresql|both]

Loads ``portfolio demo`` data of the given size into a fresh database, then times (median of 5 runs,
time.perf_counter) the reads behind each page: the portfolio overview (all, and filtered by stage),
"my decisions" for the portfolio owner (rules evaluated for every waiting gate), and one initiative
page (view, gate status, benefit summaries and the unit breakdown of its first indicator).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench._setup import databases, migrated_engine  # noqa: E402
from db.engine import read_session, write_session  # noqa: E402
from db.models import Benefit, Indicator, Initiative, Measurement, User  # noqa: E402
from portfolio.demo import load_demo  # noqa: E402
from portfolio.gates import gate_status, my_decisions  # noqa: E402
from portfolio.initiatives import initiative_view
from portfolio.reports import OverviewFilters, portfolio_overview  # noqa: E402
from portfolio.indicator_figures import indicator_summaries, unit_breakdown  # noqa: E402
from portfolio.permissions import load_actor  # noqa: E402


def median_time(action, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(label: str, url: str, initiatives: int) -> None:
    engine = migrated_engine(url)
    start = time.perf_counter()
    with write_session(engine) as session:
        counts = load_demo(session=session, initiatives=initiatives, seed=1, today=date(2026, 11, 2))
    print(f"{label:<11} demo     {initiatives} initiatives, {counts['measurements']} measurements "
          f"loaded in {time.perf_counter() - start:.2f} s")
    with read_session(engine) as session:
        owner = load_actor(session=session, user_id=session.exec(
            select(User.id).where(User.username == "owner")).one())
        busiest = session.exec(
            select(Initiative.id).join(Benefit, Benefit.initiative_id == Initiative.id)
            .join(Indicator, Indicator.benefit_id == Benefit.id)
            .join(Measurement, Measurement.indicator_id == Indicator.id)
            .group_by(Initiative.id).order_by(func.count().desc()).limit(1)).one()
        first_indicator = session.exec(select(Indicator.id).join(Benefit)
                                       .where(Benefit.initiative_id == busiest)).first()

        def page(initiative_id: int) -> None:
            view = initiative_view(session=session, actor=owner, initiative_id=initiative_id)
            gate_status(session=session, initiative=view.initiative)
            indicator_summaries(session=session, initiative_id=initiative_id)
            unit_breakdown(session=session, indicator_id=first_indicator)

        figures = [
            ("overview", "all initiatives", lambda: portfolio_overview(session=session, filters=OverviewFilters())),
            ("overview", "stage = pilot",
             lambda: portfolio_overview(session=session, filters=OverviewFilters(stage="pilot"))),
            ("decisions", f"{len(my_decisions(session=session, actor=owner))} gates for owner",
             lambda: my_decisions(session=session, actor=owner)),
            ("initiative", f"number {busiest}", lambda: page(busiest)),
        ]
        for name, what, action in figures:
            print(f"{label:<11} {name:<10} {what:<28} {median_time(action) * 1000:8.1f} ms (median of 5)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=2000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for label, url in databases(args.db):
        run(label, url, args.initiatives)


if __name__ == "__main__":
    main()
