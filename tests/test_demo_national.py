"""The demo generator at national shape: a real organisation's tree, 3 to 8 indicators per initiative,
gates decided by many people, every row audited, and the same data whatever the batch size."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import get_engine, read_session, write_session
from db.models import (
    AuditEvent,
    Benefit,
    GateDecision,
    GateDecisionOwner,
    Indicator,
    Initiative,
    Measurement,
    OrgUnit,
    User,
)
from portfolio import demo
from portfolio.audit import verify_chain
from portfolio.cli import main
from tests import conftest

DAY = date(2026, 11, 2)


def load(engine, initiatives: int, seed: int = 7) -> dict[str, int]:
    with write_session(engine) as session:
        return demo.load_demo(session=session, initiatives=initiatives, seed=seed, today=DAY)


@pytest.fixture
def second_engine(request, engine, sqlite_template, tmp_path):
    """Another fresh database of the same kind as ``engine``."""
    if engine.dialect.name == "sqlite":
        url = conftest._sqlite_url(sqlite_template, tmp_path)
    else:
        url = conftest._pg_url(request.getfixturevalue("pg_server"))
    yield get_engine(url)
    get_engine(url).dispose()


def test_the_organisation_is_a_region_and_a_health_trust_of_about_1500_units(engine):
    counts = load(engine, initiatives=0)
    with read_session(engine) as session:
        units = session.exec(select(OrgUnit)).all()
    by_id = {u.id: u for u in units}

    def root(unit: OrgUnit) -> OrgUnit:
        return root(by_id[unit.parent_id]) if unit.parent_id else unit

    def depth(unit: OrgUnit) -> int:
        return 1 + depth(by_id[unit.parent_id]) if unit.parent_id else 1

    assert counts["org_units"] == len(units) and 1400 <= len(units) <= 1600
    per_root = Counter(root(u).name for u in units)
    assert per_root["Region Exempel"] > 600 and per_root["Helse Eksempel HF"] > 400
    assert max(depth(u) for u in units) == 4  # region, hospital, clinic, unit
    # Names are unique (an import may name a unit), and so are the codes: HSA-like in Sweden, RESH-like in Norway.
    assert len({u.name.casefold() for u in units}) == len(units)
    assert len({u.code for u in units}) == len(units)
    for unit in units:
        pattern = r"RESH-1\d{5}" if root(unit).name == "Helse Eksempel HF" else r"SE2321000000-\d{4}"
        assert re.fullmatch(pattern, unit.code), unit.code
    assert {"Akutmottagningen", "Medicinkliniken", "Kirurgkliniken"} <= {u.name for u in units}


def test_every_initiative_has_3_to_8_indicators_and_gates_have_many_decision_owners(engine):
    counts = load(engine, initiatives=120)
    with read_session(engine) as session:
        indicators = Counter(session.exec(select(Benefit.initiative_id).join(
            Indicator, Indicator.benefit_id == Benefit.id)).all())
        owners = session.exec(select(GateDecisionOwner.initiative_id, GateDecisionOwner.gate,
                                     GateDecisionOwner.user_id)).all()
        leads = dict(session.exec(select(Initiative.id, Initiative.lead_id)).all())
        owner_id = session.exec(select(User.id).where(User.username == "owner")).one()
        decisions = session.exec(select(GateDecision.initiative_id, GateDecision.from_stage,
                                        GateDecision.decided_by_id)).all()
        measured = session.exec(select(func.count(func.distinct(Measurement.indicator_id)))).one()
    assert set(indicators) == set(leads) and all(3 <= n <= 8 for n in indicators.values())
    assert counts["indicators"] == sum(indicators.values()) and measured > 0
    # The showcase's gates are all the demo owner's; the others are spread over heads of clinics and
    # hospitals, none of whom leads the initiative.
    assert {user for initiative, _gate, user in owners if initiative <= demo.SHOWCASE} == {owner_id}
    others = Counter(user for initiative, _gate, user in owners if initiative > demo.SHOWCASE)
    assert len(others) > 20 and counts["decision_owners"] == len(others)
    assert all(user != leads[initiative] for initiative, _gate, user in owners)
    gate_owner = {(initiative, gate): user for initiative, gate, user in owners}
    assert all(decided_by == gate_owner[(initiative, gate)] for initiative, gate, decided_by in decisions)


def test_every_row_is_audited_from_the_initiatives_creation_on(engine):
    counts = load(engine, initiatives=40)
    with read_session(engine) as session:
        assert verify_chain(session=session).ok
        events = session.exec(select(AuditEvent.initiative_id, AuditEvent.action, AuditEvent.after)
                              .where(col(AuditEvent.initiative_id).is_not(None))
                              .order_by(col(AuditEvent.chain_id), col(AuditEvent.seq))).all()
    first = {}
    actions = Counter()
    measured = 0
    for initiative_id, action, after in events:
        first.setdefault(initiative_id, action)
        actions[action] += 1
        if action == "demo.measurements":
            measured += after["measurements"]
    assert set(first.values()) == {"initiative.create"} and len(first) == counts["initiatives"]
    assert (actions["benefit.create"], actions["indicator.create"]) == (counts["benefits"], counts["indicators"])
    assert sum(n for action, n in actions.items() if action.startswith("gate.")) == counts["decisions"]
    assert measured == counts["measurements"]


def _fingerprint(engine) -> list:
    with read_session(engine) as session:
        return [
            session.exec(select(Initiative.title, Initiative.stage, Initiative.org_unit_id, Initiative.on_hold)
                         .order_by(col(Initiative.id))).all(),
            session.exec(select(GateDecisionOwner.initiative_id, GateDecisionOwner.gate, User.username)
                         .join(User, User.id == GateDecisionOwner.user_id).order_by(col(GateDecisionOwner.id))).all(),
            session.exec(select(Indicator.code, Indicator.name, Indicator.baseline_date, Indicator.target_date)
                         .order_by(col(Indicator.id))).all(),
            session.exec(select(Measurement.indicator_id, Measurement.period_start, Measurement.org_unit_id,
                                Measurement.value).order_by(col(Measurement.id))).all(),
        ]


def test_the_batch_size_changes_nothing(engine, second_engine, monkeypatch):
    load(engine, initiatives=30, seed=4)
    monkeypatch.setattr(demo, "BATCH", 7)
    load(second_engine, initiatives=30, seed=4)
    assert _fingerprint(engine) == _fingerprint(second_engine)


def test_the_command_prints_its_time_and_peak_memory(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = CliRunner().invoke(main, ["demo", "--initiatives", "5", "--seed", "2", "--today", "2026-11-02"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"loaded demo data: 5 initiatives, .*, \d+ org units, \d+ decision owners "
                        r"in \d+\.\d s, peak memory \d+ MB\n", result.stdout), result.stdout
