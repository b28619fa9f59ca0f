"""Benchmark: each page's read against the minimal hand-written SQL giving the same figures, on SQLite and
PostgreSQL, at several portfolio sizes.

Run from the project root:

    .venv/bin/python bench/portfolio_reads.py [--sizes 2000,20000] [--db sqlite|postgresql|both]

For every size, loads ``portfolio demo`` data into a fresh database, then times (warm median of 5 runs,
time.perf_counter) what each page reads, and the raw SQL that fetches the same rows:

- overview: the first page (100 rows) of all initiatives and the count per stage;
- my decisions: the first page (50 cards) for the demo portfolio owner, every waiting gate's readiness
  and the counts per portfolio and readiness (raw: the same facts, fetched as rows);
- initiative: the page of the initiative with the most measurements (view, gate status, indicator
  summaries, the unit breakdown of its first indicator);
- lead worklist: the first page (50 rows) of the demo lead's initiatives, with open checklist items, overdue
  measurements and due dates over all of them (raw: the same facts, fetched as rows);
- reporter worklist: every figure the demo reporter's units report, with the due period's stored value.

Prints app ms, raw ms, their ratio, and whether the read is within the target 1.5 × raw + 100 ms.
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

from sqlalchemy import func, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench._setup import databases, migrated_engine  # noqa: E402
from db.engine import read_session, write_session  # noqa: E402
from db.models import Benefit, Indicator, Initiative, Measurement, User  # noqa: E402
from portfolio.demo import load_demo  # noqa: E402
from portfolio.decision_queue import my_decisions_page  # noqa: E402
from portfolio.gates import gate_status  # noqa: E402
from portfolio.indicator_figures import indicator_summaries, unit_breakdown  # noqa: E402
from portfolio.initiative_view import initiative_view  # noqa: E402
from portfolio.permissions import load_actor  # noqa: E402
from portfolio.reports import OVERVIEW_PER_PAGE, OverviewFilters, portfolio_overview  # noqa: E402
from portfolio.worklists import due_period, lead_worklist, reporter_worklist  # noqa: E402
from workflows.vocabulary import Frequency  # noqa: E402

RAW_OVERVIEW = [
    "SELECT stage, count(*) FROM initiative GROUP BY stage",
    "SELECT i.id, i.title, i.stage, i.on_hold, p.name, u.name, l.display_name, i.stage_entered_at,"
    " i.hold_review_date FROM initiative i JOIN portfolio p ON p.id = i.portfolio_id"
    " LEFT JOIN org_unit u ON u.id = i.org_unit_id LEFT JOIN app_user l ON l.id = i.lead_id"
    f" ORDER BY i.id LIMIT {OVERVIEW_PER_PAGE}",
]

# The waiting gates of one user, written once and joined into each fact query.
_WAITING = (
    "SELECT i.id FROM initiative i WHERE i.stage NOT IN ('realised', 'stopped')"
    " AND (EXISTS (SELECT 1 FROM gate_decision_owner o WHERE o.initiative_id = i.id AND o.gate = i.stage"
    " AND o.user_id = :user) OR i.portfolio_id IN (SELECT id FROM portfolio WHERE owner_decides = TRUE"
    " AND id IN (SELECT portfolio_id FROM role_assignment WHERE user_id = :user AND role = 'portfolio_owner')))"
    " AND (i.lead_id IS NULL OR i.lead_id <> :user)"
)
RAW_DECISIONS = [
    "SELECT i.id, i.title, i.stage, i.portfolio_id, p.name, i.lead_id, i.leads_since_last_gate,"
    " i.need_description, i.need_owner, i.expected_effects, i.org_unit_id, i.stage_entered_at"
    f" FROM initiative i JOIN portfolio p ON p.id = i.portfolio_id WHERE i.id IN ({_WAITING})",
    "SELECT c.initiative_id, c.stage, c.key, c.label, c.required, c.status, c.not_applicable_reason"
    f" FROM checklist_item c JOIN initiative i ON i.id = c.initiative_id WHERE c.initiative_id IN ({_WAITING})"
    " AND (c.stage = i.stage OR c.stage = 'fast_track')",
    f"SELECT b.id, b.initiative_id, b.title, b.owner_id FROM benefit b WHERE b.initiative_id IN ({_WAITING})",
    "SELECT n.id, n.benefit_id, b.initiative_id, n.code, n.name, n.aggregation, n.baseline_value,"
    " n.target_value, n.direction, n.baseline_date, n.deviation_explanation FROM indicator n"
    f" JOIN benefit b ON b.id = n.benefit_id WHERE b.initiative_id IN ({_WAITING})",
    "SELECT m.indicator_id, m.period_start, m.org_unit_id IS NULL, sum(m.value), avg(m.value) FROM measurement m"
    " JOIN (SELECT n.id AS indicator_id, (SELECT max(period_start) FROM measurement x"
    " WHERE x.indicator_id = n.id) AS period FROM indicator n JOIN benefit b ON b.id = n.benefit_id"
    f" WHERE b.initiative_id IN ({_WAITING})) l ON l.indicator_id = m.indicator_id AND l.period = m.period_start"
    " GROUP BY m.indicator_id, m.period_start, m.org_unit_id IS NULL",
    "SELECT DISTINCT c.initiative_id FROM benefit_calculation c JOIN calculation_year y"
    f" ON y.calculation_id = c.id WHERE c.initiative_id IN ({_WAITING})",
]
RAW_INITIATIVE = [
    "SELECT i.*, p.name, u.name, l.display_name FROM initiative i JOIN portfolio p ON p.id = i.portfolio_id"
    " LEFT JOIN org_unit u ON u.id = i.org_unit_id LEFT JOIN app_user l ON l.id = i.lead_id WHERE i.id = :id",
    "SELECT o.gate, u.display_name FROM gate_decision_owner o JOIN app_user u ON u.id = o.user_id"
    " WHERE o.initiative_id = :id",
    "SELECT * FROM checklist_item WHERE initiative_id = :id ORDER BY stage, position",
    "SELECT d.*, u.display_name FROM gate_decision d JOIN app_user u ON u.id = d.decided_by_id"
    " WHERE d.initiative_id = :id ORDER BY d.id DESC",
    "SELECT e.*, u.display_name FROM audit_event e LEFT JOIN app_user u ON u.id = e.user_id"
    " WHERE e.initiative_id = :id ORDER BY e.id DESC",
    "SELECT n.* FROM indicator n JOIN benefit b ON b.id = n.benefit_id WHERE b.initiative_id = :id",
    "SELECT m.indicator_id, m.period_start, m.org_unit_id IS NULL, sum(m.value), avg(m.value) FROM measurement m"
    " JOIN indicator n ON n.id = m.indicator_id JOIN benefit b ON b.id = n.benefit_id WHERE b.initiative_id = :id"
    " GROUP BY m.indicator_id, m.period_start, m.org_unit_id IS NULL",
    "SELECT m.org_unit_id, sum(m.value), count(*) FROM measurement m WHERE m.indicator_id = :indicator"
    " AND m.org_unit_id IS NOT NULL AND m.period_start = (SELECT max(period_start) FROM measurement"
    " WHERE indicator_id = :indicator) GROUP BY m.org_unit_id",
    "SELECT id, parent_id, name FROM org_unit ORDER BY name",
]

# The demo's reference day, on which the worklists' due periods are reckoned.
DEMO_DAY = date(2026, 11, 2)
_LED = "i.lead_id = :user AND i.stage NOT IN ('realised', 'stopped')"
RAW_LEAD = [
    f"SELECT count(*) FROM initiative i WHERE {_LED}",
    "SELECT i.id, i.title, i.stage, i.on_hold, (SELECT count(*) FROM checklist_item c WHERE c.initiative_id = i.id"
    f" AND c.stage = i.stage AND c.status = 'open') FROM initiative i WHERE {_LED}",
    "SELECT b.initiative_id, n.frequency, n.latest_period"
    f" FROM indicator n JOIN benefit b ON b.id = n.benefit_id JOIN initiative i ON i.id = b.initiative_id WHERE {_LED}",
]
RAW_REPORTER = [
    "WITH RECURSIVE mine(id) AS (SELECT org_unit_id FROM role_assignment WHERE user_id = :user AND role = 'reporter'"
    " UNION SELECT u.id FROM org_unit u JOIN mine ON u.parent_id = mine.id),"
    " up(unit_id, owner_id, parent_id) AS (SELECT u.id, u.id, u.parent_id FROM org_unit u WHERE u.id IN"
    " (SELECT id FROM mine) UNION SELECT up.unit_id, p.id, p.parent_id FROM org_unit p JOIN up ON p.id = up.parent_id),"
    " measured AS (SELECT indicator_id, org_unit_id, max(period_start) AS latest FROM measurement"
    " WHERE org_unit_id IN (SELECT id FROM mine) GROUP BY indicator_id, org_unit_id),"
    " pairs AS (SELECT i.id AS initiative_id, up.unit_id FROM initiative i JOIN up ON up.owner_id = i.org_unit_id"
    " UNION SELECT b.initiative_id, m.org_unit_id FROM measured m JOIN indicator n ON n.id = m.indicator_id"
    " JOIN benefit b ON b.id = n.benefit_id)"
    " SELECT i.id, i.title, i.stage, n.code, n.name, n.frequency, u.id, u.name, u.code, m.latest, v.value, v.version"
    " FROM pairs p JOIN initiative i ON i.id = p.initiative_id JOIN benefit b ON b.initiative_id = i.id"
    " JOIN indicator n ON n.benefit_id = b.id JOIN org_unit u ON u.id = p.unit_id"
    " LEFT JOIN measured m ON m.indicator_id = n.id AND m.org_unit_id = u.id"
    " LEFT JOIN measurement v ON v.indicator_id = n.id AND v.org_unit_id = u.id AND v.period_start = CASE n.frequency"
    " WHEN 'day' THEN :day WHEN 'week' THEN :week WHEN 'month' THEN :month WHEN 'quarter' THEN :quarter ELSE :year END"
    " WHERE i.stage NOT IN ('realised', 'stopped')",
]


def median_time(action, runs: int = 5) -> float:
    """The warm median: one run first to fill caches, then the median of ``runs``."""
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw(session, statements: list[str], **params):
    """Run each statement and fetch every row, as the minimal hand-written reading of a page."""
    def action() -> None:
        for statement in statements:
            session.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement}).all()
    return action


def run(label: str, url: str, initiatives: int) -> None:
    engine = migrated_engine(url)
    start = time.perf_counter()
    with write_session(engine) as session:
        counts = load_demo(session=session, initiatives=initiatives, seed=1, today=DEMO_DAY)
    print(f"{label:<10} {initiatives:>6} demo        {counts.get('measurements', 0)} measurements "
          f"loaded in {time.perf_counter() - start:.1f} s", flush=True)
    with read_session(engine) as session:
        owner_id = session.exec(select(User.id).where(User.username == "owner")).one()
        owner = load_actor(session=session, user_id=owner_id)
        busiest = session.exec(
            select(Initiative.id).join(Benefit, Benefit.initiative_id == Initiative.id)
            .join(Indicator, Indicator.benefit_id == Benefit.id)
            .join(Measurement, Measurement.indicator_id == Indicator.id)
            .group_by(Initiative.id).order_by(func.count().desc()).limit(1)).one()
        first_indicator = session.exec(select(Indicator.id).join(Benefit)
                                       .where(Benefit.initiative_id == busiest).order_by(Indicator.id)).first()

        def page(initiative_id: int) -> None:
            view = initiative_view(session=session, actor=owner, initiative_id=initiative_id)
            gate_status(session=session, initiative=view.initiative)
            indicator_summaries(session=session, initiative_id=initiative_id)
            unit_breakdown(session=session, indicator_id=first_indicator)

        decisions = my_decisions_page(session=session, actor=owner)
        lead_id, reporter_id = (session.exec(select(User.id).where(User.username == name)).one()
                                for name in ("lead", "reporter"))
        lead, reporter = (load_actor(session=session, user_id=user_id) for user_id in (lead_id, reporter_id))
        led = lead_worklist(session=session, actor=lead, today=DEMO_DAY).total
        reported = len(reporter_worklist(session=session, actor=reporter, today=DEMO_DAY).cells)
        due = {frequency.value: due_period(frequency, DEMO_DAY) for frequency in Frequency}
        figures = [
            ("overview", "page 1 of all",
             lambda: portfolio_overview(session=session, filters=OverviewFilters(), per_page=OVERVIEW_PER_PAGE),
             raw(session, RAW_OVERVIEW)),
            ("decisions", f"{decisions.total} gates",
             lambda: my_decisions_page(session=session, actor=owner), raw(session, RAW_DECISIONS, user=owner_id)),
            ("initiative", f"number {busiest}", lambda: page(busiest),
             raw(session, RAW_INITIATIVE, id=busiest, indicator=first_indicator)),
            ("lead list", f"{led} initiatives", lambda: lead_worklist(session=session, actor=lead, today=DEMO_DAY),
             raw(session, RAW_LEAD, user=lead_id)),
            ("reporter", f"{reported} figures",
             lambda: reporter_worklist(session=session, actor=reporter, today=DEMO_DAY),
             raw(session, RAW_REPORTER, user=reporter_id, **due)),
        ]
        for name, what, app_read, raw_read in figures:
            app_ms, raw_ms = median_time(app_read) * 1000, median_time(raw_read) * 1000
            verdict = "ok" if app_ms <= 1.5 * raw_ms + 100 else "MISSES 1.5 x raw + 100 ms"
            print(f"{label:<10} {initiatives:>6} {name:<11} {what:<16} app {app_ms:8.1f} ms  raw {raw_ms:8.1f} ms"
                  f"  ratio {app_ms / raw_ms:5.2f}  {verdict}", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sizes", default="2000", help="comma-separated numbers of initiatives (e.g. 2000,20000)")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        for label, url in databases(args.db):
            run(label, url, size)


if __name__ == "__main__":
    main()
