"""Benchmark: Follow-up by level (``portfolio.indicator_views.indicator_view``) against the minimal hand-written SQL
giving the same figures, on the national-shape demo, on SQLite and PostgreSQL.

Run from the project root:

    .venv/bin/python bench/indicator_views.py [--initiatives 20000] [--db sqlite|postgresql|both]

Loads ``portfolio demo --initiatives N`` into a fresh database, then times (warm median of 5 runs) the view of the
top org unit (the whole organisation: the worst case) and of the unit with the most figures' parent, as the demo
portfolio owner, at each level: strategic (4 years by quarter), tactical (12 months), operational (8 weeks by week,
2 weeks by day). The raw SQL is the same two statements written by hand: the first indicators in scope with the
count of all, and their figures grouped by bucket. Prints app ms, raw ms, their ratio and whether the view is
within the target 1.5 × raw + 100 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bench._setup import databases, migrated_engine  # noqa: E402
from bench.portfolio_reads import DEMO_DAY, median_time  # noqa: E402
from db.engine import read_session, write_session  # noqa: E402
from db.models import Measurement, OrgUnit, User  # noqa: E402
from portfolio.demo import load_demo  # noqa: E402
from portfolio.indicator_views import INDICATOR_LIMIT, indicator_view, window  # noqa: E402
from portfolio.permissions import load_actor  # noqa: E402

VIEWS = [("strategic", 4, "quarter"), ("tactical", 12, "month"), ("operational", 8, "week"), ("operational", 2, "day")]
# The first day of the bucket holding m.period_start, written by hand for each database.
BUCKET = {
    "sqlite": {
        "quarter": "printf('%s-%02d-01', strftime('%Y', m.period_start),"
                   " (CAST(strftime('%m', m.period_start) AS INTEGER) - 1) / 3 * 3 + 1)",
        "month": "strftime('%Y-%m-01', m.period_start)",
        "week": "date(m.period_start, '-' || ((CAST(strftime('%w', m.period_start) AS INTEGER) + 6) % 7) || ' days')",
        "day": "m.period_start",
    },
    "postgresql": {grouping: f"CAST(date_trunc('{grouping}', m.period_start) AS DATE)"
                   for grouping in ("quarter", "month", "week")} | {"day": "m.period_start"},
}
SCOPE = (
    "WITH RECURSIVE units(id) AS (SELECT :unit UNION SELECT o.id FROM org_unit o JOIN units u ON o.parent_id = u.id)"
    " {select} FROM measurement m JOIN indicator n ON n.id = m.indicator_id JOIN benefit b ON b.id = n.benefit_id"
    " JOIN initiative i ON i.id = b.initiative_id"
    " WHERE m.period_start >= :first AND m.period_start <= :last AND i.portfolio_id IN ({portfolios})"
    " AND ((m.org_unit_id IN (SELECT id FROM units) AND NOT (i.org_unit_id IN (SELECT id FROM units) AND EXISTS ("
    "   SELECT 1 FROM measurement w WHERE w.indicator_id = m.indicator_id AND w.period_start = m.period_start"
    "   AND w.org_unit_id IS NULL)))"
    "  OR (m.org_unit_id IS NULL AND i.org_unit_id IN (SELECT id FROM units)))"
)
FINER = {"quarter": ("day", "week", "month", "quarter"), "month": ("day", "week", "month"), "week": ("day", "week"),
         "day": ("day",)}


def raw(session, dialect: str, unit: int, portfolios: str, level: str, span: int, grouping: str):
    """The view's figures by hand: the first indicators in scope with the count of all, then their buckets."""
    first, last = window(level, span, DEMO_DAY)
    params = {"unit": unit, "first": first, "last": last}
    shown = ("SELECT id, title, name, initiative_id, count(*) OVER () FROM ("
             + SCOPE.format(select="SELECT DISTINCT n.id, i.title, n.name, i.id AS initiative_id",
                            portfolios=portfolios)
             + f") s ORDER BY title, name, id LIMIT {INDICATOR_LIMIT}")
    frequencies = ", ".join(f"'{f}'" for f in FINER[grouping])
    bucket = BUCKET[dialect][grouping]
    grouped = (SCOPE.format(select=f"SELECT m.indicator_id, {bucket} AS bucket, CASE WHEN n.aggregation = 'sum' THEN"
                                   " sum(m.value) ELSE avg(m.value) END, count(DISTINCT m.period_start),"
                                   " min(m.period_start), max(m.period_start)", portfolios=portfolios)
               + " AND m.indicator_id IN ({ids}) AND n.frequency IN (" + frequencies + ")"
               " GROUP BY m.indicator_id, bucket, n.aggregation")

    def action() -> None:
        rows = session.execute(text(shown), params).all()
        ids = ", ".join(str(row[0]) for row in rows) or "NULL"
        session.execute(text(grouped.replace("{ids}", ids)), params).all()
    return action


def run(label: str, url: str, initiatives: int) -> None:
    engine = migrated_engine(url)
    start = time.perf_counter()
    with write_session(engine) as session:
        counts = load_demo(session=session, initiatives=initiatives, seed=1, today=DEMO_DAY)
    print(f"{label:<10} {initiatives:>6} demo  {counts.get('measurements', 0)} measurements loaded in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    with read_session(engine) as session:
        dialect = session.get_bind().dialect.name
        owner = load_actor(session=session, user_id=session.exec(select(User.id).where(User.username == "owner")).one())
        portfolios = ", ".join(str(p) for p in sorted(owner.owned_portfolios | owner.steering_portfolios)) or "NULL"
        top = session.exec(select(OrgUnit.id).where(col(OrgUnit.parent_id).is_(None)).order_by(OrgUnit.id)).first()
        busiest = session.exec(select(Measurement.org_unit_id).where(col(Measurement.org_unit_id).is_not(None))
                               .group_by(Measurement.org_unit_id).order_by(func.count().desc()).limit(1)).one()
        middle = session.get(OrgUnit, busiest).parent_id or busiest
        for unit_label, unit in (("top unit", top), ("mid unit", middle)):
            for level, span, grouping in VIEWS:
                def app_read():
                    return indicator_view(session=session, actor=owner, org_unit_id=unit, level=level, span=span,
                                          grouping=grouping, today=DEMO_DAY)
                view = app_read()
                app_ms = median_time(app_read) * 1000
                raw_ms = median_time(raw(session, dialect, unit, portfolios, level, span, grouping)) * 1000
                verdict = "ok" if app_ms <= 1.5 * raw_ms + 100 else "MISSES 1.5 x raw + 100 ms"
                what = f"{level} {span} by {grouping}"
                print(f"{label:<10} {unit_label} {what:<26} {view.total:>6} indicators  app {app_ms:8.1f} ms"
                      f"  raw {raw_ms:8.1f} ms  ratio {app_ms / raw_ms:5.2f}  {verdict}", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--initiatives", type=int, default=20000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for label, url in databases(args.db):
        run(label, url, args.initiatives)


if __name__ == "__main__":
    main()
