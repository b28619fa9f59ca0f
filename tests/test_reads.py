"""Portfolio-level reads at scale: My decisions in pages with exact group counts, statements that never
bind one parameter per row, and the SQL sub-tree walk that replaces loading whole trees."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import ChecklistItem, Initiative, OrgUnit, Portfolio, RoleAssignment
from portfolio.benefits_math import CashflowYear
from portfolio.decision_queue import SQL_RULES, my_decisions_page
from portfolio.permissions import (
    FORMER_LEAD_NEVER_DECIDES,
    LEAD_NEVER_DECIDES,
    PERMISSIONS,
    descendants,
    subtree_ids,
)
from portfolio.reports import OverviewFilters, portfolio_overview
from tests.factories import (
    actor,
    make_benefit,
    make_indicator,
    make_calculation,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_portfolio,
    make_user,
    waiting_gates,
)

# (portfolio name, ready, how many waiting gates) -- 110 gates, so the first page holds 50 of them.
GROUPS = [("Alfa", True, 30), ("Alfa", False, 35), ("Beta", True, 5), ("Beta", False, 40)]


def _waiting_gates(engine) -> dict:
    """Two portfolios whose owner decides, with the gates of GROUPS waiting for their owner; some
    initiatives carry a measured indicator, so every fact query has rows to read."""
    with write_session(engine) as session:
        owner = make_user(session, username="owner")
        lead = make_user(session, username="lead")
        portfolios = {}
        for name in ("Beta", "Alfa"):
            portfolio = make_portfolio(session, owner=owner, owner_decides=True, name=name)
            session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=portfolio.id))
            session.add(RoleAssignment(user_id=lead.id, role="implementation_lead", portfolio_id=portfolio.id))
            portfolios[name] = portfolio
        session.flush()
        unit = make_org_unit(session)
        ids: dict[tuple[str, bool], list[int]] = {}
        for name, ready, count in GROUPS:
            for n in range(count):
                initiative = make_initiative(session, portfolio=portfolios[name], creator=lead, lead=lead,
                                             ready=ready, org_unit=unit, title=f"{name} {ready} {n}")
                ids.setdefault((name, ready), []).append(initiative.id)
                if n < 2:
                    indicator = make_indicator(session, make_benefit(session, initiative), baseline_value=10,
                                               target_value=20)
                    make_measurement(session, indicator, period=date(2026, 1, 1), value=15)
        return {"owner": owner, "ids": ids}


def test_my_decisions_pages_hold_50_cards_grouped_by_portfolio_and_readiness(engine):
    world = _waiting_gates(engine)
    # Groups in order: by portfolio name, ready ones first; inside a group the oldest first.
    expected = [i for name, ready, _count in sorted(GROUPS, key=lambda g: (g[0], not g[1]))
                for i in world["ids"][(name, ready)]]
    with read_session(engine) as session:
        owner = actor(session, world["owner"])
        first = my_decisions_page(session=session, actor=owner, page=1)
        second = my_decisions_page(session=session, actor=owner, page=2)
        third = my_decisions_page(session=session, actor=owner, page=3)
        beyond = my_decisions_page(session=session, actor=owner, page=99)
        everything = waiting_gates(session, owner)
    assert [g.initiative.id for g in everything] == expected
    assert [g.initiative.id for g in first.gates] == expected[:50]
    assert second.gates[0].initiative.id == expected[50]
    assert [g.initiative.id for g in second.gates] == expected[50:100]
    assert [g.initiative.id for g in third.gates] == expected[100:]
    assert [(f.total, f.ready, f.page, f.pages) for f in (first, second, third, beyond)] == [
        (110, 35, 1, 3), (110, 35, 2, 3), (110, 35, 3, 3), (110, 35, 3, 3)]
    assert [(g.portfolio, g.ready, g.count) for g in first.groups] == [
        ("Alfa", True, 30), ("Alfa", False, 35), ("Beta", True, 5), ("Beta", False, 40)]
    assert first.groups == third.groups
    assert all(g.ready == (g.unmet == []) for g in everything)
    assert {g.initiative.id: g.ready for g in everything} == {
        i: ready for (_name, ready), ids in world["ids"].items() for i in ids}


# ---------------------------------------------------------------- readiness in SQL, rule by rule
#
# Each case is one initiative waiting for the portfolio owner: its title, its stage, whether its gate is
# ready, and what is set up on top of an initiative whose stage checklist and idea fields are complete.
# The queue computes readiness in SQL and the cards' messages with the rules themselves: both must agree.

def _fields(**values):
    def setup(session, initiative, world):
        for name, value in values.items():
            setattr(initiative, name, value)
        session.add(initiative)
    return setup


def _item(key: str, status: str, reason: str = ""):
    def setup(session, initiative, world):
        item = session.exec(select(ChecklistItem).where(ChecklistItem.initiative_id == initiative.id,
                                                        ChecklistItem.key == key)).one()
        item.status, item.not_applicable_reason = status, reason
        session.add(item)
    return setup


def _indicators(*specs, owner: bool = True, calculation: bool = False):
    """One benefit with an indicator per spec: (indicator fields, [(period, value, unit?)], explanation)."""
    def setup(session, initiative, world):
        benefit = make_benefit(session, initiative, owner=world["owner"] if owner else None)
        for fields, values, explanation in specs:
            indicator = make_indicator(session, benefit, **fields)
            for period, value, *unit in values:
                make_measurement(session, indicator, period=period, value=value,
                                 org_unit=world["units"][unit[0]] if unit else None)
            if explanation:
                indicator.deviation_explanation = explanation
                session.add(indicator)
        if calculation:
            make_calculation(session, initiative, [CashflowYear(2026, investment=100, benefit=50)])
    return setup


def _both(*setups):
    def setup(session, initiative, world):
        for each in setups:
            each(session, initiative, world)
    return setup


def _nothing(session, initiative, world):
    return None


UP = {"baseline_value": 10, "target_value": 20}  # baseline date 2025-01-01
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
READINESS_CASES = [
    ("idea complete", "idea", True, _nothing),
    ("idea, need of whitespace", "idea", False, _fields(need_description=" \t\n")),
    ("idea, need owner a no-break space", "idea", False, _fields(need_owner="\u00a0")),
    ("idea, effects of ideographic spaces", "idea", False, _fields(expected_effects="\u3000\u2003")),
    ("idea, no owning unit", "idea", False, _fields(org_unit_id=None)),
    ("idea, item not applicable with a reason", "idea", True, _item("need_analysis", "not_applicable", "Done")),
    ("idea, item not applicable without a reason", "idea", False,
     _item("need_analysis", "not_applicable", " \u2003")),
    ("idea, item open", "idea", False, _item("need_analysis", "open")),
    ("concept, baseline and target", "concept", True, _indicators((UP, [], ""))),
    ("concept, optional item open", "concept", True,
     _both(_indicators((UP, [], "")), _item("procurement_route", "open"))),
    ("concept, no target", "concept", False, _indicators(({"baseline_value": 10}, [], ""))),
    ("concept, no indicator", "concept", False, _nothing),
    ("pilot, measured after the baseline", "pilot", True,
     _indicators((UP, [(date(2024, 6, 1), 1), (JAN, 12)], ""), calculation=True)),
    ("pilot, measured on the baseline date only", "pilot", False,
     _indicators((UP, [(date(2025, 1, 1), 12)], ""), calculation=True)),
    ("pilot, no baseline date, measured once", "pilot", True,
     _indicators(({}, [(date(2020, 1, 1), 3)], ""), calculation=True)),
    ("pilot, one of two indicators unmeasured", "pilot", False,
     _indicators((UP, [(JAN, 12)], ""), (UP, [], ""), calculation=True)),
    ("pilot, no calculation", "pilot", False, _indicators((UP, [(JAN, 12)], ""))),
    ("pilot, no indicators", "pilot", False, _nothing),
    ("scale-up, owned and measured benefit", "scale_up", True, _indicators((UP, [], ""))),
    ("scale-up, benefit without owner", "scale_up", False, _indicators((UP, [], ""), owner=False)),
    ("scale-up, benefit without indicator", "scale_up", False, _indicators()),
    ("scale-up, no benefits", "scale_up", False, _nothing),
    ("realisation, units summed reach the target", "benefits_realisation", True,
     _indicators((UP, [(JAN, 1, 0), (FEB, 12, 0), (FEB, 8, 1)], ""))),
    ("realisation, an earlier period reached it", "benefits_realisation", False,
     _indicators((UP, [(JAN, 25), (FEB, 15)], ""))),
    ("realisation, the whole figure counts over the units", "benefits_realisation", False,
     _indicators((UP, [(FEB, 15, 0), (FEB, 15, 1), (FEB, 18)], ""))),
    ("realisation, mean of the units at target", "benefits_realisation", True,
     _indicators(({**UP, "aggregation": "mean"}, [(FEB, 20, 0), (FEB, 22, 1)], ""))),
    ("realisation, mean of the units below target", "benefits_realisation", False,
     _indicators(({**UP, "aggregation": "mean"}, [(FEB, 18, 0), (FEB, 21, 1)], ""))),
    ("realisation, target overshot", "benefits_realisation", True, _indicators((UP, [(MAR, 25)], ""))),
    ("realisation, falling indicator at target", "benefits_realisation", True, _indicators(
        ({"baseline_value": 200, "target_value": 0, "direction": "lower"}, [(MAR, 0)], ""))),
    ("realisation, falling indicator half way", "benefits_realisation", False, _indicators(
        ({"baseline_value": 200, "target_value": 0, "direction": "lower"}, [(MAR, 100)], ""))),
    ("realisation, flat target, higher is better, above", "benefits_realisation", True, _indicators(
        ({"baseline_value": 10, "target_value": 10}, [(MAR, 11)], ""))),
    ("realisation, flat target, lower is better, above", "benefits_realisation", False, _indicators(
        ({"baseline_value": 10, "target_value": 10, "direction": "lower"}, [(MAR, 11)], ""))),
    ("realisation, flat target, lower is better, on it", "benefits_realisation", True, _indicators(
        ({"baseline_value": 10, "target_value": 10, "direction": "lower"}, [(MAR, 10)], ""))),
    ("realisation, not measured", "benefits_realisation", False, _indicators((UP, [], ""))),
    ("realisation, below target, explained", "benefits_realisation", True,
     _indicators((UP, [(MAR, 12)], "Demand fell"))),
    ("realisation, no target, explained", "benefits_realisation", True,
     _indicators(({"baseline_value": 10}, [(MAR, 12)], "No target was set"))),
    ("realisation, explanation of whitespace", "benefits_realisation", False,
     _indicators((UP, [(MAR, 12)], " \n\u00a0"))),
    ("realisation, no indicators", "benefits_realisation", True, _nothing),
]


def test_my_decisions_computes_readiness_as_the_gate_rules_do(engine):
    with write_session(engine) as session:
        owner, lead = make_user(session, username="owner"), make_user(session, username="lead")
        portfolio = make_portfolio(session, owner=owner, owner_decides=True, name="Alfa")
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=portfolio.id))
        session.add(RoleAssignment(user_id=lead.id, role="implementation_lead", portfolio_id=portfolio.id))
        world = {"owner": owner, "units": [make_org_unit(session), make_org_unit(session)]}
        for title, stage, _ready, setup in READINESS_CASES:
            initiative = make_initiative(session, portfolio=portfolio, creator=lead, lead=lead, stage=stage,
                                         ready=True, org_unit=world["units"][0], title=title)
            setup(session, initiative, world)
            session.flush()
    with read_session(engine) as session:
        gates = waiting_gates(session, actor(session, owner))
        page = my_decisions_page(session=session, actor=actor(session, owner))
    assert {g.initiative.title: g.ready for g in gates} == {title: ready for title, _, ready, _ in READINESS_CASES}
    assert [g.initiative.title for g in gates if g.ready != (g.unmet == [])] == []
    ready = sum(1 for *_, is_ready, _ in READINESS_CASES if is_ready)
    assert [(g.ready, g.count) for g in page.groups] == [(True, ready), (False, len(READINESS_CASES) - ready)]


def test_every_gate_rule_has_its_sql_twin():
    from workflows.rules import RULES

    assert SQL_RULES.keys() == RULES.keys()


def test_my_decisions_leaves_out_gates_of_initiatives_the_user_leads_or_led_since_the_last_decision(engine):
    # The queue applies the denials of "gate.decide" in SQL: a new denial must be added there too.
    assert PERMISSIONS["gate.decide"].denials == (LEAD_NEVER_DECIDES, FORMER_LEAD_NEVER_DECIDES)
    with write_session(engine) as session:
        owner, lead, other = (make_user(session, username=name) for name in ("owner", "lead", "other"))
        portfolio = make_portfolio(session, owner=owner, owner_decides=True)
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=portfolio.id))
        cases = {"led by the owner": (owner, []), "led by the owner before": (lead, [owner.id, lead.id]),
                 "led by another before": (lead, [other.id, lead.id]), "led by the lead": (lead, [lead.id])}
        for title, (leader, since) in cases.items():
            make_initiative(session, portfolio=portfolio, creator=leader, lead=leader, title=title,
                            leads_since_last_gate=since)
    with read_session(engine) as session:
        titles = {g.initiative.title for g in waiting_gates(session, actor(session, owner))}
        led = session.exec(select(Initiative.leads_since_last_gate).where(
            Initiative.title == "led by the owner before")).one()
    assert titles == {"led by another before", "led by the lead"}
    assert owner.id in led


def test_my_decisions_and_the_overview_bind_a_few_parameters_however_many_rows(engine):
    world = _waiting_gates(engine)
    bound: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        bound.append(len(parameters or ()))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with read_session(engine) as session:
            owner = actor(session, world["owner"])
            bound.clear()
            page = my_decisions_page(session=session, actor=owner, page=2)
            overview = portfolio_overview(session=session, filters=OverviewFilters(
                portfolio_id=session.exec(select(Portfolio.id).where(Portfolio.name == "Alfa")).one()),
                per_page=100)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.total == 110 and overview.total == 65 and len(overview.rows) == 65
    assert bound and max(bound) <= 100


def _random_tree(session, model, rng: random.Random, size: int) -> list[tuple[int, int | None]]:
    nodes: list = []
    for _ in range(size):
        parent = rng.choice(nodes) if nodes and rng.random() < 0.85 else None
        nodes.append(make_org_unit(session, parent=parent) if model is OrgUnit
                     else make_portfolio(session, parent=parent))
    return [(node.id, node.parent_id) for node in nodes]


@pytest.mark.parametrize("model", [OrgUnit, Portfolio])
def test_the_sql_subtree_equals_descendants_on_random_trees(engine, model):
    rng = random.Random(7)
    with write_session(engine) as session:
        pairs = _random_tree(session, model, rng, 120)
    ids = [node_id for node_id, _ in pairs]
    with read_session(engine) as session:
        for _ in range(25):
            roots = set(rng.sample(ids, rng.choice((1, 1, 2, 5))))
            assert set(session.exec(subtree_ids(model, roots)).all()) == set(descendants(pairs, roots))
