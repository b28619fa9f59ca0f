"""Nothing lost when people work at once: the initiative is the unit of concurrency.

Every write takes its initiative's lock first, so writers of one initiative queue and the second one
sees what the first wrote: a stale correction is refused, a file correction audits the true old
value, two first saves of a calculation cannot collide, and writers of different initiatives never
wait for each other. Nothing but the product's own messages reaches a user.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import create_engine
from sqlmodel import col, select

from db.engine import get_engine, read_session, write_session
from db.models import AuditEvent, BenefitCalculation, Measurement
from portfolio.actions import UNREACHABLE, DatabaseUnavailable, perform
from portfolio.audit import data_version, verify_chain
from portfolio.benefits import save_calculation
from portfolio.benefits_math import CashflowYear
from portfolio.errors import Conflict
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.measurement_files import RawRow
from portfolio.measurements import import_measurements
from tests.conftest import _pg_url
from tests.factories import World, at_once, actor, benefits_snapshot, make_benefit, make_indicator, make_initiative, \
    make_measurement

STALE_FIGURES = ("Someone else changed these figures while you were working on them. Nothing of yours was saved. "
                 "Reload the page to see the latest version and try again.")
STALE_CALCULATION = ("Someone else changed this benefit calculation while you were working on it. Nothing of yours "
                     "was saved. Reload the page to see the latest version and try again.")
ROUNDS = 5


@pytest.fixture
def org(engine):
    return _make_org(engine)


def _make_org(engine) -> dict:
    """A pilot with one monthly indicator and a stored value of 10 for January 2026 (version 1)."""
    with write_session(engine) as session:
        world = World(session, stage="pilot")
        benefit = make_benefit(session, world.initiative, title="Shorter waits")
        indicator = make_indicator(session, benefit, code="WAIT", name="Waiting days", frequency="month")
        make_measurement(session, indicator, period=date(2026, 1, 1), value=10.0)
        return {"world": world, "indicator_id": indicator.id, "initiative_id": world.initiative.id,
                "lead_id": world.lead.id, "owner_id": world.owner.id}


def _import(engine, user_id: int, rows: list[RawRow], source: str = "import"):
    def work(session):
        from portfolio.permissions import load_actor

        return import_measurements(session=session, actor=load_actor(session=session, user_id=user_id), rows=rows,
                                   source=source, file_name="fix.csv")
    return lambda: perform(work, engine=engine)


def _value_history(engine, indicator_code: str = "WAIT", period: str = "2026-01-01") -> list[tuple]:
    """(old, new) of every audited change of one measurement, in chain order."""
    history = []
    with read_session(engine) as session:
        for event in session.exec(select(AuditEvent).where(col(AuditEvent.action).like("measurement.%"))
                                  .order_by(col(AuditEvent.seq))).all():
            old = {(v["indicator"], v["period"]): v["value"] for v in (event.before or {}).get("values", [])}
            for v in event.after["values"]:
                key = (v["indicator"], v["period"])
                if key == (indicator_code, period):
                    history.append((old.get(key), v["value"]))
    return history


def test_a_stale_grid_correction_is_refused_and_the_first_one_stays(engine, org):
    """Two people corrected 10 from the same screen: to 11 and to 12. The second is told; nothing of
    theirs is written, and the trail reads 10 → 11 only."""
    grid_row = lambda value: [RawRow(1, "WAIT", "2026-01", "", value, seen_version=1)]  # noqa: E731
    assert perform(lambda s: import_measurements(session=s, actor=actor(s, org["world"].lead), rows=grid_row("11"),
                                                 source="form"), engine=engine).corrected == 1
    before = benefits_snapshot(engine)
    with pytest.raises(Conflict) as refused:
        perform(lambda s: import_measurements(session=s, actor=actor(s, org["world"].owner), rows=grid_row("12"),
                                              source="form"), engine=engine)
    assert refused.value.render("en") == [STALE_FIGURES]
    assert benefits_snapshot(engine) == before
    assert _value_history(engine) == [(10.0, 11.0)]


def test_a_grid_row_for_a_value_that_was_removed_or_never_seen_is_stale(engine, org):
    row = [RawRow(1, "WAIT", "2026-02", "", "7", seen_version=1)]  # the user saw a value that is not there
    before = benefits_snapshot(engine)
    with pytest.raises(Conflict) as refused:
        perform(lambda s: import_measurements(session=s, actor=actor(s, org["world"].lead), rows=row, source="form"),
                engine=engine)
    assert refused.value.render("en") == [STALE_FIGURES]
    assert benefits_snapshot(engine) == before


def test_simultaneous_grid_corrections_exactly_one_wins(engine, org):
    results = at_once(*(_import(engine, user_id, [RawRow(1, "WAIT", "2026-01", "", value, seen_version=1)],
                                 source="form")
                         for user_id, value in ((org["lead_id"], "11"), (org["owner_id"], "12"))))
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], Conflict) and lost[0].render("en") == [STALE_FIGURES]
    with read_session(engine) as session:
        stored = session.exec(select(Measurement.value, Measurement.version)).one()
    history = _value_history(engine)
    assert len(history) == 1 and history[0][0] == 10.0 and stored == (history[0][1], 2)


def test_simultaneous_file_corrections_audit_a_true_chain(engine, org):
    """Files carry no versions: both corrections apply, one after the other, and the audit trail
    says so (10 → 11 → 12 or 10 → 12 → 11, never 10 → 11 and 10 → 12)."""
    for _ in range(ROUNDS):
        results = at_once(*(_import(engine, user_id, [RawRow(2, "WAIT", "2026-01", "", value)])
                             for user_id, value in ((org["lead_id"], "11"), (org["owner_id"], "12"))))
        assert not any(isinstance(r, Exception) for r in results), results
    history = _value_history(engine)
    assert history[0][0] == 10.0
    assert all(later[0] == earlier[1] for earlier, later in zip(history, history[1:])), history
    with read_session(engine) as session:
        assert session.exec(select(Measurement.value)).one() == history[-1][1]
        assert verify_chain(session=session).ok


def test_two_first_saves_of_a_calculation_at_once_never_collide(engine, org):
    """Both users saw no calculation and save one: one is stored, the other is refused as stale
    (today: a raw UniqueViolation on PostgreSQL). Ten rounds, a fresh initiative each."""
    with write_session(engine) as session:
        world = org["world"]
        initiative_ids = [make_initiative(session, portfolio=world.portfolio, creator=world.lead,
                                          lead=world.lead).id for _ in range(ROUNDS * 2)]
    years = lambda benefit: [CashflowYear(2026, 100_000, 10_000, benefit)]  # noqa: E731
    for initiative_id in initiative_ids:
        def save(user_id: int, benefit: float):
            return lambda: perform(lambda s: save_calculation(
                session=s, actor=actor(s, s.get(type(world.lead), user_id)), initiative_id=initiative_id,
                expected_version=None, discount_rate=0.03, years=years(benefit)), engine=engine)
        results = at_once(save(org["lead_id"], 50_000), save(org["owner_id"], 60_000))
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1, results
        assert isinstance(refused[0], Conflict) and refused[0].render("en") == [STALE_CALCULATION]
        with read_session(engine) as session:
            calculations = session.exec(select(BenefitCalculation).where(
                BenefitCalculation.initiative_id == initiative_id)).all()
        assert [c.version for c in calculations] == [1]


def test_imports_over_two_initiatives_in_opposite_order_do_not_deadlock(engine, org):
    """Each import locks its initiatives in id order, whatever the order of its rows."""
    with write_session(engine) as session:
        world = org["world"]
        other = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                stage="pilot")
        make_indicator(session, make_benefit(session, other, title="Fewer calls"), code="CALLS",
                       name="Calls", frequency="month")
    for round_number in range(ROUNDS):
        value = str(20 + round_number)
        forward = [RawRow(2, "WAIT", "2026-02", "", value), RawRow(3, "CALLS", "2026-02", "", value)]
        backward = list(reversed(forward))
        results = at_once(_import(engine, org["owner_id"], forward), _import(engine, org["owner_id"], backward))
        assert not any(isinstance(r, Exception) for r in results), results
    with read_session(engine) as session:
        assert verify_chain(session=session).ok


def test_a_write_bumps_only_its_own_initiatives_data_version(engine, org):
    with write_session(engine) as session:
        world = org["world"]
        other_id = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead).id
    with read_session(engine) as session:
        own_before, other_before = (data_version(session, org["initiative_id"]), data_version(session, other_id))
        list_before = data_version(session)
    _import(engine, org["lead_id"], [RawRow(2, "WAIT", "2026-03", "", "9")])()
    with read_session(engine) as session:
        assert data_version(session, other_id) == other_before
        assert data_version(session, org["initiative_id"]) != own_before
        assert data_version(session) != list_before


@pytest.fixture
def pg_engine(pg_server):
    """A fresh PostgreSQL database only: what these tests show does not exist on SQLite, which has one
    writer at a time by design and no connection pool shared across threads."""
    url = _pg_url(pg_server)
    yield get_engine(url)
    get_engine(url).dispose()


@pytest.fixture
def pg_org(pg_engine):
    return _make_org(pg_engine)


def test_a_decision_on_another_initiative_does_not_wait_for_an_open_import(pg_engine, pg_org):
    """There is no global write lock: while one transaction writes figures of initiative A and has not
    committed, a gate decision on initiative B completes."""
    engine, org = pg_engine, pg_org
    with write_session(engine) as session:
        world = org["world"]
        other = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                ready=True)
        other_id, other_version = other.id, other.version
    done = threading.Event()
    outcome: dict[str, object] = {}

    def decide() -> None:
        try:
            outcome["decision"] = perform(lambda s: record_gate_decision(
                session=s, actor=actor(s, s.get(type(world.owner), org["owner_id"])), initiative_id=other_id,
                expected_version=other_version,
                data=DecisionInput(outcome="go", rationale="Every rule of the gate holds")), engine=engine)
        finally:
            done.set()

    with write_session(engine) as session:
        import_measurements(session=session, actor=actor(session, world.lead),
                            rows=[RawRow(2, "WAIT", "2026-04", "", "8")], file_name="open.csv")
        thread = threading.Thread(target=decide)
        thread.start()
        assert done.wait(timeout=10), "the decision waited for another initiative's open import"
    thread.join()
    assert outcome["decision"].to_stage == "concept"


def test_an_exhausted_connection_pool_gives_the_conflict_message(pg_engine):
    engine = create_engine(pg_engine.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    held = engine.connect()
    try:
        with pytest.raises(Conflict) as refused:
            perform(lambda session: session.exec(select(Measurement.id)).first(), engine=engine)
        assert refused.value.render("en") == [
            "Someone else was saving changes to the same data at the same moment. Nothing of yours was saved. "
            "Try again."]
    finally:
        held.close()
        engine.dispose()


def test_an_unreachable_database_gives_a_message_without_its_address(db_url):
    url = ("postgresql+psycopg://postgres@127.0.0.1:9/nowhere" if db_url.startswith("postgresql")
           else "sqlite:////nonexistent-directory/sub/portfolio.db")
    engine = create_engine(url, connect_args={"connect_timeout": 2} if url.startswith("postgresql") else {})
    with pytest.raises(DatabaseUnavailable) as refused:
        perform(lambda session: session.exec(select(Measurement.id)).first(), engine=engine)
    assert refused.value.render("en") == ["The database cannot be reached; trying again."]
    assert UNREACHABLE == "The database cannot be reached; trying again."
    engine.dispose()


def test_a_grid_row_added_to_a_cell_filled_meanwhile_is_stale(engine, org):
    """The user saw February empty and typed 7; someone stored 9 there meanwhile: refused, 9 stays."""
    _import(engine, org["owner_id"], [RawRow(2, "WAIT", "2026-02", "", "9")])()
    before = benefits_snapshot(engine)
    with pytest.raises(Conflict) as refused:
        perform(lambda s: import_measurements(session=s, actor=actor(s, org["world"].lead),
                                              rows=[RawRow(2, "WAIT", "2026-02", "", "7", seen_version=0)],
                                              source="form"), engine=engine)
    assert refused.value.render("en") == [STALE_FIGURES]
    assert benefits_snapshot(engine) == before


def test_a_large_import_is_audited_in_parts_that_list_every_value(engine, org, monkeypatch):
    import portfolio.measurements as measurements

    monkeypatch.setattr(measurements, "AUDIT_PART", 2)
    rows = [RawRow(2, "WAIT", "2026-01", "", "11"), *(RawRow(3 + n, "WAIT", f"2026-{n + 2:02d}", "", str(n))
                                                      for n in range(4))]
    result = _import(engine, org["lead_id"], rows)()
    assert result.inserted + result.corrected == 5
    with read_session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "measurement.import")
                              .order_by(col(AuditEvent.seq))).all()
        assert verify_chain(session=session).ok
    assert [len(e.after["values"]) for e in events] == [2, 2, 1]
    assert sum(e.after["inserted"] + e.after["corrected"] for e in events) == 5
    olds = [v for e in events for v in (e.before or {}).get("values", [])]
    assert olds == [{"indicator": "WAIT", "period": "2026-01-01", "org_unit_id": None, "value": 10.0}]
