"""Portfolio-level reads at scale: My decisions in pages with exact group counts, statements that never
bind one parameter per row, and the SQL sub-tree walk that replaces loading whole trees."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import OrgUnit, Portfolio, RoleAssignment
from portfolio.decision_queue import my_decisions_page
from portfolio.permissions import descendants, subtree_ids
from portfolio.reports import OverviewFilters, portfolio_overview
from tests.factories import (
    actor,
    make_benefit,
    make_indicator,
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
