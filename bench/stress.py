"""Stress benchmark: many people writing to a few initiatives at once, on PostgreSQL; nothing may be lost.

Run from the project root:

    .venv/bin/python bench/stress.py [--threads 20] [--writes 500] [--initiatives 10] [--seed 1]
                                     [--db postgresql|sqlite|both] [--quick]

``--threads`` threads each make ``--writes`` writes through ``perform``, as the pages make them, spread
over ``--initiatives`` initiatives so that they collide, all five kinds in equal shares:

- checklist: tick or untick an item of the current stage, with the version read just before;
- grid: correct (or fill in) one measurement from the grid, with the version read just before;
- import: a small file of 2 to 4 rows over one or two initiatives, without versions;
- calculation: save the benefit calculation with the version read just before (None before the first);
- decision: go, hold or recycle at the initiative's gate, with the version read just before.

Every outcome is counted per kind: a success, a conflict (the product's stale or busy message), a
refusal the product gives with reasons (invalid input, unmet gate rules, no permission), or a raw
error (anything else). Every value written is unique, so the check afterwards can find each one:

- measurements: per indicator, period and unit, the audited old → new values form one chain that
  starts from nothing, each old value the previous new one; the stored value is the last new value and
  its version counts the changes; every successful write is audited, and nothing else is;
- checklists, calculations and gate decisions: per row, the audited before/after values chain the
  same way, the stored version counts exactly the successful writes, the stored value is the last one;
- ``verify_chain`` (``portfolio verify-audit``) finds every hash chain intact.

Each broken link, missing or extra audit event, or stored value that is not the last one counts as a
lost update. The exit status is 1 unless there are no lost updates and no raw errors.
``--quick`` is a smoke run (4 threads × 50 writes). The test suite runs a smaller version of the same
workload on both databases (tests/test_concurrency_stress.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from db.engine import read_session, write_session  # noqa: E402
from db.models import (  # noqa: E402
    AuditEvent, BenefitCalculation, CalculationYear, ChecklistItem, GateDecision, Indicator, Initiative,
    Measurement, RoleAssignment,
)
from portfolio.actions import BUSY, perform  # noqa: E402
from portfolio.audit import ChainReport, verify_chain  # noqa: E402
from portfolio.benefits import save_calculation  # noqa: E402
from portfolio.benefits_math import CashflowYear  # noqa: E402
from portfolio.checklists import ChecklistChange, editable_stages, update_checklist  # noqa: E402
from portfolio.errors import Conflict, PermissionDenied, RuleViolation, ValidationError  # noqa: E402
from portfolio.gates import DecisionInput, record_gate_decision  # noqa: E402
from portfolio.measurement_files import RawRow  # noqa: E402
from portfolio.measurements import import_measurements  # noqa: E402
from portfolio.permissions import load_actor  # noqa: E402

KINDS = ("checklist", "grid", "import", "calculation", "decision")
REFUSALS = (ValidationError, RuleViolation, PermissionDenied)
PERIODS = (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))
UNIT_CODE = "STRESS-U1"
OUTCOMES = ("go", "hold", "recycle")


# ------------------------------------------------------------------ the organisation


@dataclass(frozen=True)
class Organisation:
    owner_id: int
    lead_id: int
    unit_id: int
    initiatives: list[int]
    codes: dict[int, list[str]]  # the indicator codes of each initiative
    start_versions: dict[int, int]  # initiative id -> version before the run
    start_stages: dict[int, str]
    start_items: dict[int, tuple[int, str]]  # checklist item id -> (version, status) before the run


def build_organisation(engine, initiatives: int) -> Organisation:
    """A portfolio whose owner decides its gates, an implementation lead, one coded org unit, and
    ``initiatives`` initiatives ready to pass the idea gate, each with one benefit and two monthly
    indicators (baseline 0, target 1e11: concept → pilot can pass, the figures never reach the target)."""
    from tests.factories import make_benefit, make_indicator, make_initiative, make_org_unit, make_portfolio, \
        make_user

    with write_session(engine) as session:
        owner = make_user(session, username="stress-owner")
        portfolio = make_portfolio(session, owner=owner, owner_decides=True, name="Stress")
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=portfolio.id))
        lead = make_user(session, username="stress-lead", role="implementation_lead", portfolio=portfolio)
        unit = make_org_unit(session, name="Stress unit")
        unit.code = UNIT_CODE
        session.add(unit)
        ids, codes = [], {}
        for n in range(initiatives):
            initiative = make_initiative(session, portfolio=portfolio, creator=lead, lead=lead, ready=True,
                                         org_unit=unit, title=f"Stress initiative {n + 1}")
            benefit = make_benefit(session, initiative, title=f"Benefit {n + 1}")
            codes[initiative.id] = [
                make_indicator(session, benefit, code=f"S{n + 1}-{letter}", name=f"Indicator {n + 1}{letter}",
                               frequency="month", baseline_value=0, target_value=1e11, valid_min=0,
                               valid_max=1e12).code
                for letter in "AB"]
            ids.append(initiative.id)
        session.flush()
        initiatives_now = session.exec(select(Initiative).where(col(Initiative.id).in_(ids))).all()
        items = session.exec(select(ChecklistItem).where(col(ChecklistItem.initiative_id).in_(ids))).all()
        return Organisation(
            owner_id=owner.id, lead_id=lead.id, unit_id=unit.id, initiatives=ids, codes=codes,
            start_versions={i.id: i.version for i in initiatives_now},
            start_stages={i.id: i.stage for i in initiatives_now},
            start_items={item.id: (item.version, item.status) for item in items},
        )


# ------------------------------------------------------------------ the writes


@dataclass
class Tally:
    """What happened, per kind of write, and what the successful writes wrote."""

    success: Counter = field(default_factory=Counter)
    conflict: Counter = field(default_factory=Counter)
    busy: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    raw: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    raw_examples: list[str] = field(default_factory=list)
    # (indicator code, period, org unit id) -> every value a successful write stored there
    measurements: dict[tuple, list[float]] = field(default_factory=lambda: defaultdict(list))
    checklist: Counter = field(default_factory=Counter)  # item id -> successful changes
    calculations: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    decisions: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    # Grid rows for a cell the user saw empty that replaced a value someone stored meanwhile.
    blind_overwrites: int = 0

    def add(self, other: "Tally") -> None:
        """Add another writer's tally to this one (after the threads have ended)."""
        for name in ("success", "conflict", "busy", "refused", "raw", "reasons", "checklist"):
            getattr(self, name).update(getattr(other, name))
        self.raw_examples += other.raw_examples
        for target, source in ((self.measurements, other.measurements),
                               (self.calculations, other.calculations), (self.decisions, other.decisions)):
            for key, values in source.items():
                target[key] += values
        self.blind_overwrites += other.blind_overwrites


class Writer:
    """One person at a screen: reads what the page shows, then saves a change through ``perform``."""

    def __init__(self, engine, org: Organisation, index: int, seed: int):
        self.engine, self.org, self.index = engine, org, index
        self.rng = random.Random(seed * 1_000_003 + index)
        self.tally = Tally()
        self.hold_until = date.today() + timedelta(days=30)
        self.kinds = {"checklist": self.checklist, "grid": self.grid, "import": self.file_import,
                      "calculation": self.calculation, "decision": self.decision}

    def unique_value(self, write: int, row: int = 0) -> float:
        """A value no other write of the run stores (so the check can find each one)."""
        return float(self.index * 10_000_000 + write * 10 + row + 1)

    def run(self, writes: int, start: threading.Barrier) -> None:
        start.wait()
        for write in range(writes):
            kind = self.rng.choice(KINDS)
            try:
                action, remember = self.kinds[kind](write)
                result = perform(action, engine=self.engine)
            except Conflict as error:
                self.tally.conflict[kind] += 1
                if error.messages[0].msgid == BUSY:
                    self.tally.busy[kind] += 1
                continue
            except REFUSALS as error:
                self.tally.refused[kind] += 1
                self.tally.reasons[(kind, error.messages[0].msgid)] += 1
                continue
            except Exception:  # noqa: BLE001 - a raw error is what this benchmark looks for
                self.tally.raw[kind] += 1
                self.tally.raw_examples.append(traceback.format_exc())
                continue
            self.tally.success[kind] += 1
            remember(result)

    def _actor(self, session, user_id: int):
        return load_actor(session=session, user_id=user_id)

    def _anyone(self) -> int:
        """The lead or the owner: both may tick, report and calculate."""
        return self.rng.choice((self.org.lead_id, self.org.owner_id))

    def checklist(self, write: int):
        """Tick or untick an item of the current stage's checklist, as last read."""
        initiative_id, user_id = self.rng.choice(self.org.initiatives), self._anyone()
        with read_session(self.engine) as session:
            stage = session.exec(select(Initiative.stage).where(Initiative.id == initiative_id)).one()
            items = session.exec(
                select(ChecklistItem.id, ChecklistItem.status, ChecklistItem.version)
                .where(ChecklistItem.initiative_id == initiative_id,
                       col(ChecklistItem.stage).in_(editable_stages(stage)))
                .order_by(col(ChecklistItem.id))).all()
            if not items:  # a closed initiative: any item, which the action refuses
                items = session.exec(select(ChecklistItem.id, ChecklistItem.status, ChecklistItem.version)
                                     .where(ChecklistItem.initiative_id == initiative_id)).all()
        item_id, status, version = self.rng.choice(items)
        change = ChecklistChange(item_id, version, "open" if status == "done" else "done")

        def remember(_updated) -> None:
            self.tally.checklist[item_id] += 1

        return (lambda session: update_checklist(session=session, actor=self._actor(session, user_id),
                                                 initiative_id=initiative_id, changes=[change])), remember

    def _key(self, initiative_id: int) -> tuple[str, date, Optional[int]]:
        return (self.rng.choice(self.org.codes[initiative_id]), self.rng.choice(PERIODS),
                self.rng.choice((None, self.org.unit_id)))

    def _row(self, number: int, key: tuple, value: Any, seen_version: Optional[int] = None) -> RawRow:
        code, period, unit_id = key
        return RawRow(number, code, period.strftime("%Y-%m"), UNIT_CODE if unit_id else "", value,
                      seen_version=seen_version)

    def grid(self, write: int):
        """Correct one value in the grid (or fill in an empty cell), with the version read just before."""
        initiative_id, user_id = self.rng.choice(self.org.initiatives), self._anyone()
        key = self._key(initiative_id)
        code, period, unit_id = key
        with read_session(self.engine) as session:
            unit = col(Measurement.org_unit_id).is_(None) if unit_id is None else Measurement.org_unit_id == unit_id
            version = session.exec(
                select(Measurement.version).join(Indicator, Indicator.id == Measurement.indicator_id)
                .where(Indicator.code == code, Measurement.period_start == period, unit)).first()
        value = self.unique_value(write)
        # As the grid sends it: the version of the value shown, 0 for a cell shown empty.
        rows = [self._row(1, key, value, seen_version=version or 0)]

        def remember(result) -> None:
            self.tally.measurements[_measurement_key(key)].append(value)
            if version is None and result.corrected:
                self.tally.blind_overwrites += 1

        return (lambda session: import_measurements(session=session, actor=self._actor(session, user_id),
                                                    rows=rows, source="form")), remember

    def file_import(self, write: int):
        """Import a small file of 2 to 4 rows over one or two initiatives; files carry no versions."""
        user_id = self._anyone()
        initiatives = self.rng.sample(self.org.initiatives, min(2, len(self.org.initiatives)))
        keys: list[tuple] = []
        while len(keys) < self.rng.randint(2, 4):
            key = self._key(self.rng.choice(initiatives))
            if key not in keys:
                keys.append(key)
        values = [self.unique_value(write, n) for n in range(len(keys))]
        # As a file has them: text, with a decimal comma now and then.
        rows = [self._row(n + 2, key, f"{value:.0f}" if n % 2 else f"{value:.1f}".replace(".", ","))
                for n, (key, value) in enumerate(zip(keys, values))]

        def remember(_result) -> None:
            for key, value in zip(keys, values):
                self.tally.measurements[_measurement_key(key)].append(value)

        return (lambda session: import_measurements(session=session, actor=self._actor(session, user_id), rows=rows,
                                                    file_name=f"stress-{self.index}-{write}.csv")), remember

    def calculation(self, write: int):
        """Save the benefit calculation with the version read just before (None: the first save)."""
        initiative_id, user_id = self.rng.choice(self.org.initiatives), self._anyone()
        with read_session(self.engine) as session:
            version = session.exec(select(BenefitCalculation.version)
                                   .where(BenefitCalculation.initiative_id == initiative_id)).first()
        value = self.unique_value(write)
        years = [CashflowYear(2026, investment=value, operation=1000, benefit=5000),
                 CashflowYear(2027, operation=1000, benefit=8000)]

        def remember(_view) -> None:
            self.tally.calculations[initiative_id].append(value)

        return (lambda session: save_calculation(
            session=session, actor=self._actor(session, user_id), initiative_id=initiative_id,
            expected_version=version, discount_rate=0.03, years=years)), remember

    def decision(self, write: int):
        """Decide go, hold or recycle at the initiative's gate, on the version read just before."""
        initiative_id = self.rng.choice(self.org.initiatives)
        with read_session(self.engine) as session:
            version = session.exec(select(Initiative.version).where(Initiative.id == initiative_id)).one()
        outcome = self.rng.choice(OUTCOMES)
        data = DecisionInput(outcome=outcome, rationale=f"Stress decision {self.index}-{write}",
                             hold_review_date=self.hold_until if outcome == "hold" else None)

        def remember(decision) -> None:
            self.tally.decisions[initiative_id].append(decision.id)

        return (lambda session: record_gate_decision(
            session=session, actor=self._actor(session, self.org.owner_id), initiative_id=initiative_id,
            expected_version=version, data=data)), remember


def _measurement_key(key: tuple) -> tuple:
    code, period, unit_id = key
    return code, period.isoformat(), unit_id


# ------------------------------------------------------------------ the check


def _events(session, *actions: str, like: Optional[str] = None) -> list[AuditEvent]:
    """Audit events of these actions, in the order of their chains (each initiative's chain in the
    order its writes committed)."""
    query = select(AuditEvent).order_by(col(AuditEvent.chain_id), col(AuditEvent.seq))
    query = query.where(col(AuditEvent.action).like(like)) if like else query.where(col(AuditEvent.action).in_(actions))
    return list(session.exec(query).all())


def _chain(problems: list[str], what: str, steps: list[tuple[Any, Any]], start: Any) -> None:
    """Each step's old value must be the previous step's new value (the first: ``start``)."""
    previous = start
    for number, (old, new) in enumerate(steps, start=1):
        if old != previous:
            problems.append(f"{what}: change {number} was audited from {old!r}, but the value was {previous!r}")
        previous = new


def check_measurements(session, org: Organisation, tally: Tally) -> list[str]:
    """Every lost or phantom measurement update: a broken old → new chain per value, a stored value or
    version that is not the trail's last, a successful write not audited, an audited one not written."""
    problems: list[str] = []
    history: dict[tuple, list[tuple]] = defaultdict(list)
    for event in _events(session, "measurement.import", "measurement.record"):
        old = {(v["indicator"], v["period"], v["org_unit_id"]): v["value"]
               for v in (event.before or {}).get("values", [])}
        for v in event.after["values"]:
            key = (v["indicator"], v["period"], v["org_unit_id"])
            history[key].append((old.get(key), v["value"]))
    stored = {(code, period.isoformat(), unit_id): (value, version)
              for code, period, unit_id, value, version in session.exec(
                  select(Indicator.code, Measurement.period_start, Measurement.org_unit_id, Measurement.value,
                         Measurement.version).join(Indicator, Indicator.id == Measurement.indicator_id)).all()}
    for key in sorted(set(history) | set(stored), key=str):
        steps = history.get(key, [])
        _chain(problems, f"measurement {key}", steps, None)
        if key not in stored:
            problems.append(f"measurement {key}: audited, but not stored")
        elif not steps:
            problems.append(f"measurement {key}: stored, but never audited")
        elif stored[key] != (steps[-1][1], len(steps)):
            problems.append(f"measurement {key}: stored {stored[key]} (value, version), but the trail ends at "
                            f"{steps[-1][1]!r} after {len(steps)} changes")
    audited = Counter((key, new) for key, steps in history.items() for _old, new in steps)
    written = Counter((key, value) for key, values in tally.measurements.items() for value in values)
    for item in (written - audited):
        problems.append(f"measurement {item[0]}: the successful write of {item[1]!r} is not in the audit trail")
    for item in (audited - written):
        problems.append(f"measurement {item[0]}: {item[1]!r} is audited, but no successful write stored it")
    return problems


def check_checklists(session, org: Organisation, tally: Tally) -> list[str]:
    """Every checklist item whose audited changes do not chain, or do not match its successful changes,
    its version or its stored status."""
    problems: list[str] = []
    steps: dict[int, list[tuple]] = defaultdict(list)
    for event in _events(session, "checklist.update"):
        steps[event.entity_id].append((event.before["status"], event.after["status"]))
    for item in session.exec(select(ChecklistItem).where(col(ChecklistItem.initiative_id).in_(org.initiatives))):
        start_version, start_status = org.start_items.get(item.id, (1, "open"))  # created by a decision: open
        changes = steps.get(item.id, [])
        _chain(problems, f"checklist item {item.id}", changes, start_status)
        last = changes[-1][1] if changes else start_status
        if (item.status, item.version - start_version) != (last, tally.checklist[item.id]) \
                or len(changes) != tally.checklist[item.id]:
            problems.append(f"checklist item {item.id}: {tally.checklist[item.id]} successful changes, "
                            f"{len(changes)} audited, version moved by {item.version - start_version}; "
                            f"stored {item.status!r}, last audited {last!r}")
    return problems


def check_calculations(session, org: Organisation, tally: Tally) -> list[str]:
    """Every calculation whose saves do not chain, whose version is not the number of successful saves,
    or whose stored figures are not the last audited ones."""
    problems: list[str] = []
    steps: dict[int, list[tuple]] = defaultdict(list)
    for event in _events(session, "calculation.save"):
        steps[event.initiative_id].append((event.before, event.after))
    for initiative_id in org.initiatives:
        saves = steps.get(initiative_id, [])
        _chain(problems, f"calculation of initiative {initiative_id}", saves, None)
        calculation = session.exec(select(BenefitCalculation)
                                   .where(BenefitCalculation.initiative_id == initiative_id)).first()
        successes = tally.calculations.get(initiative_id, [])
        version = calculation.version if calculation else 0
        if not (version == len(saves) == len(successes)):
            problems.append(f"calculation of initiative {initiative_id}: {len(successes)} successful saves, "
                            f"{len(saves)} audited, version {version} (must be 1 + the updates)")
        if calculation is not None:
            investment = session.exec(select(CalculationYear.investment).where(
                CalculationYear.calculation_id == calculation.id, CalculationYear.year == 2026)).one()
            audited = [after["years"][0]["investment"] for _before, after in saves]
            if not audited or investment != audited[-1]:
                problems.append(f"calculation of initiative {initiative_id}: stores {investment!r}, the trail ends at "
                                f"{audited[-1] if audited else None!r}")
            if sorted(audited) != sorted(successes):
                problems.append(f"calculation of initiative {initiative_id}: the audited saves are not the "
                                f"successful ones")
    return problems


def check_decisions(session, org: Organisation, tally: Tally) -> list[str]:
    """Every initiative whose audited stages do not chain, or whose decisions, version or stage do not
    match the successful decisions."""
    problems: list[str] = []
    steps: dict[int, list[tuple]] = defaultdict(list)
    for event in _events(session, like="gate.%"):
        steps[event.initiative_id].append(((event.before["stage"], event.before["on_hold"]),
                                           (event.after["stage"], event.after["on_hold"]), event.after["decision_id"]))
    for initiative_id in org.initiatives:
        audited = steps.get(initiative_id, [])
        _chain(problems, f"gate decisions of initiative {initiative_id}", [(old, new) for old, new, _ in audited],
               (org.start_stages[initiative_id], False))
        initiative = session.get(Initiative, initiative_id)
        stored = sorted(session.exec(select(GateDecision.id).where(GateDecision.initiative_id == initiative_id)).all())
        successes = sorted(tally.decisions.get(initiative_id, []))
        if stored != successes or sorted(d for *_, d in audited) != successes \
                or initiative.version - org.start_versions[initiative_id] != len(successes):
            problems.append(f"gate decisions of initiative {initiative_id}: {len(successes)} successful, "
                            f"{len(stored)} stored, {len(audited)} audited, version moved by "
                            f"{initiative.version - org.start_versions[initiative_id]}")
        last = audited[-1][1] if audited else (org.start_stages[initiative_id], False)
        if (initiative.stage, initiative.on_hold) != last:
            problems.append(f"gate decisions of initiative {initiative_id}: stored {initiative.stage}, "
                            f"the trail ends at {last}")
    return problems


# ------------------------------------------------------------------ the run


@dataclass
class StressReport:
    """The outcome of a run: the tally, every lost update found, and the audit chain's verification."""

    threads: int
    writes: int
    seconds: float
    tally: Tally
    lost: list[str]
    chain: ChainReport
    events: int

    @property
    def raw_errors(self) -> int:
        return sum(self.tally.raw.values())

    @property
    def ok(self) -> bool:
        return not self.lost and not self.raw_errors and not self.tally.blind_overwrites and self.chain.ok


def run_stress(engine, *, threads: int, writes: int, initiatives: int, seed: int = 1,
               log: Callable[[str], None] = lambda line: None) -> StressReport:
    """Build the organisation, run ``threads`` × ``writes`` writes at once, check that nothing was lost."""
    org = build_organisation(engine, initiatives)
    writers = [Writer(engine, org, index, seed) for index in range(threads)]
    start = threading.Barrier(threads + 1)
    workers = [threading.Thread(target=writer.run, args=(writes, start)) for writer in writers]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began
    log(f"{threads * writes} writes done in {seconds:.1f} s; checking the trail")
    tally = Tally()
    for writer in writers:
        tally.add(writer.tally)
    with read_session(engine) as session:
        lost = (check_measurements(session, org, tally) + check_checklists(session, org, tally)
                + check_calculations(session, org, tally) + check_decisions(session, org, tally))
        chain = verify_chain(session=session)
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return StressReport(threads, writes, seconds, tally, lost, chain, events)


def print_report(label: str, report: StressReport, initiatives: int) -> None:
    """The figures: per kind of write its outcomes, the refusals' reasons, lost updates, raw errors,
    the audit chain, wall time and writes per second."""
    t = report.tally
    total = report.threads * report.writes
    print(f"{label}: {report.threads} threads × {report.writes} writes = {total} writes over {initiatives} initiatives")
    print(f"  {'kind':<12}{'writes':>8}{'success':>9}{'conflict':>10}{'(busy)':>8}{'refused':>9}{'raw errors':>12}")
    for kind in KINDS + ("total",):
        counts = [sum(c.values()) if kind == "total" else c[kind]
                  for c in (t.success, t.conflict, t.busy, t.refused, t.raw)]
        print(f"  {kind:<12}{sum(counts) - counts[2]:>8}{counts[0]:>9}{counts[1]:>10}{counts[2]:>8}{counts[3]:>9}"
              f"{counts[4]:>12}")
    if t.reasons:
        print("  refusals, by reason:")
        for (kind, msgid), count in t.reasons.most_common():
            print(f"    {count:>6}  {kind:<12}{msgid[:90]}")
    print(f"  grid rows for a cell seen empty that replaced a value stored meanwhile: {t.blind_overwrites}")
    print(f"  lost updates: {len(report.lost)}")
    for problem in report.lost[:20]:
        print(f"    {problem}")
    print(f"  raw errors:   {report.raw_errors}")
    for example in t.raw_examples[:3]:
        print("    " + example.strip().replace("\n", "\n    "))
    chain = report.chain
    print(f"  audit chain:  {'intact' if chain.ok else 'BROKEN'} ({chain.checked} events in {chain.chains} chains"
          + ("" if chain.ok else f"; chain {chain.broken_chain}, event {chain.broken_seq}: {chain.reason}") + ")")
    successes = sum(t.success.values())
    print(f"  wall time:    {report.seconds:.1f} s, {total / report.seconds:.0f} writes/s "
          f"({successes / report.seconds:.0f} successful writes/s)")
    print(f"  result:       {'OK' if report.ok else 'FAILED'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--writes", type=int, default=500, help="Writes per thread.")
    parser.add_argument("--initiatives", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="postgresql")
    parser.add_argument("--quick", action="store_true", help="A smoke run: 4 threads × 50 writes.")
    args = parser.parse_args()
    if args.quick:
        args.threads, args.writes = 4, 50
    from bench._setup import databases, migrated_engine

    ok = True
    for label, url in databases(args.db):
        engine = migrated_engine(url, connections=args.threads)
        print(f"{label}: {args.threads} threads start (seed {args.seed})", flush=True)
        report = run_stress(engine, threads=args.threads, writes=args.writes, initiatives=args.initiatives,
                            seed=args.seed, log=lambda line: print(f"{label}: {line}", flush=True))
        print_report(label, report, args.initiatives)
        engine.dispose()
        ok = ok and report.ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
