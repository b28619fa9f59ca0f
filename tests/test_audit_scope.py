"""Audit exports and the history tab follow the reader's scope: only initiatives the reader may read,
events without an initiative for administrators only, and the before/after detail of a change only
for administrators, the portfolio owner and its steering group. The operator's export is unfiltered."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, Initiative, RoleAssignment, User
from portfolio.audit import AUDIT_CSV_COLUMNS, export_audit_csv, export_audit_for
from portfolio.auth import create_user
from portfolio.errors import PermissionDenied
from portfolio.initiative_view import initiative_view
from portfolio.initiatives import update_initiative
from portfolio.permissions import initiative_scope, refusal
from tests.factories import World, actor, make_decision_owner, make_initiative, make_portfolio, make_user

AUDIT_EXPORT = "Only an administrator or the steering group may export the audit trail."
AUDIT_READ = ("Only administrators, the portfolio's owners, steering group and implementation leads, and the "
              "initiative's own lead and decision owners may read its audit trail.")
AUDIT_DETAIL = "Only an administrator, the portfolio owner or the steering group may see what a change changed."


@dataclass
class TwoPortfolios:
    """Portfolio A (the World: its owner, lead, steering member...) with two initiatives, and
    portfolio B with its own owner, steering member and initiative. B's steering member is also the
    decision owner of A's second initiative, and an administrator created one account (an event
    that belongs to no initiative)."""

    world: World
    a_first: int
    a_second: int
    b_only: int
    users: dict[str, User]


@pytest.fixture
def two(engine) -> TwoPortfolios:
    with write_session(engine) as session:
        world = World(session)
        a_second = make_initiative(session, portfolio=world.portfolio, creator=world.lead, title="Second in A")
        owner_b = make_user(session, username="owner_b")
        portfolio_b = make_portfolio(session, owner=owner_b, name="Portfolio B")
        session.add(RoleAssignment(user_id=owner_b.id, role="portfolio_owner", portfolio_id=portfolio_b.id))
        steering_b = make_user(session, username="steering_b", role="steering", portfolio=portfolio_b)
        b_only = make_initiative(session, portfolio=portfolio_b, creator=owner_b, title="Only in B")
        make_decision_owner(session, a_second, steering_b, gate="concept")
        create_user(session=session, username="newcomer", display_name="New Comer", password="a-long-password-1")
        users = {**world.users, "owner_b": owner_b, "steering_b": steering_b}
    # A change with a before and an after in each of A's initiatives.
    for initiative_id in (world.initiative.id, a_second.id):
        with write_session(engine) as session:
            initiative = session.get(Initiative, initiative_id)
            update_initiative(session=session, actor=actor(session, world.owner), initiative_id=initiative_id,
                              expected_version=initiative.version, changes={"need_owner": "Head of care"})
    return TwoPortfolios(world, world.initiative.id, a_second.id, b_only.id, users)


def _rows(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0].split(",") == AUDIT_CSV_COLUMNS
    return rows


def _events(engine) -> list[AuditEvent]:
    with read_session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def test_steering_of_another_portfolio_may_not_export_this_initiative(engine, two):
    with read_session(engine) as session:
        steering_b = actor(session, two.users["steering_b"])
        with pytest.raises(PermissionDenied) as error:
            export_audit_for(session=session, actor=steering_b, initiative_id=two.a_first)
        assert error.value.render("en") == [AUDIT_EXPORT]
        # Their own portfolio's initiative they do export.
        assert {r["initiative_id"] for r in _rows(export_audit_for(
            session=session, actor=steering_b, initiative_id=two.b_only))} == {str(two.b_only)}


# reader -> (initiatives whose events the whole-trail export holds, those shown with their detail,
#            whether events without an initiative are in it)
WHOLE_TRAIL = {
    "admin": ({"a_first", "a_second", "b_only"}, {"a_first", "a_second", "b_only"}, True),
    "steering": ({"a_first", "a_second"}, {"a_first", "a_second"}, False),
    # B's steering member reads A's second initiative as its decision owner, without the detail.
    "steering_b": ({"b_only", "a_second"}, {"b_only"}, False),
}


@pytest.mark.parametrize(("reader", "expected"), WHOLE_TRAIL.items(), ids=WHOLE_TRAIL)
def test_the_whole_trail_holds_only_what_the_reader_may_read(engine, two, reader, expected):
    readable, detailed, without_initiative = expected
    ids = {"a_first": two.a_first, "a_second": two.a_second, "b_only": two.b_only}
    with read_session(engine) as session:
        rows = _rows(export_audit_for(session=session, actor=actor(session, two.users[reader])))
    events = {e.id: e for e in _events(engine)}
    wanted = [e for e in events.values()
              if (e.initiative_id is None and without_initiative)
              or e.initiative_id in {ids[name] for name in readable}]
    assert [int(r["id"]) for r in rows] == [e.id for e in wanted]
    for row in rows:
        event = events[int(row["id"])]
        shown = event.initiative_id is None or event.initiative_id in {ids[name] for name in detailed}
        assert (row["before"] != "") == (shown and event.before is not None), row
        assert (row["after"] != "") == (shown and event.after is not None), row
    # The changes in A carry their detail for A's readers with "audit.detail", and not for the others.
    updates = [r for r in rows if r["action"] == "initiative.update"]
    assert updates and all(bool(r["before"]) == ("a_first" in detailed) for r in updates
                           if r["initiative_id"] == str(two.a_first))
    assert all(bool(r["before"]) == ("a_second" in detailed) for r in updates if r["initiative_id"] == str(two.a_second))


@pytest.mark.parametrize("reader", ["owner", "lead", "reporter", "stranger", "owner_b"])
def test_only_administrators_and_steering_groups_export(engine, two, reader):
    with read_session(engine) as session:
        with pytest.raises(PermissionDenied) as error:
            export_audit_for(session=session, actor=actor(session, two.users[reader]))
    assert error.value.render("en") == [AUDIT_EXPORT]


def test_the_operators_export_is_the_whole_trail(engine, two):
    with read_session(engine) as session:
        rows = _rows(export_audit_csv(session=session))
        total = session.exec(select(func.count()).select_from(AuditEvent)).one()
    assert len(rows) == total
    assert "user.create" in {r["action"] for r in rows}
    assert all(r["after"] for r in rows if r["action"] == "initiative.update")


# role -> what the history tab of A's first initiative shows: None = no audit rows and this refusal,
# "who/when/what" = the rows without their detail, "detail" = the rows with before and after.
HISTORY = {"admin": "detail", "owner": "detail", "steering": "detail", "lead": "who/when/what",
           "reporter": AUDIT_READ, "stranger": AUDIT_READ, "steering_b": AUDIT_READ, "owner_b": AUDIT_READ}


@pytest.mark.parametrize(("role", "expected"), HISTORY.items(), ids=HISTORY)
def test_history_tab_follows_the_scope(engine, two, role, expected):
    with read_session(engine) as session:
        view = initiative_view(session=session, actor=actor(session, two.users[role]), initiative_id=two.a_first,
                               tab="history")
    trail = [e for e in _events(engine) if e.initiative_id == two.a_first]
    if expected not in ("detail", "who/when/what"):
        assert (view.audit, view.allowed["audit.read"].render("en")) == ((), expected)
        return
    assert view.allowed["audit.read"] is None
    assert [(a.action, a.at) for a in view.audit] == [(e.action, e.at) for e in reversed(trail)]
    if expected == "detail":
        assert view.allowed["audit.detail"] is None
        assert [(a.before, a.after) for a in view.audit] == [(e.before, e.after) for e in reversed(trail)]
    else:
        assert view.allowed["audit.detail"].render("en") == AUDIT_DETAIL
        assert {(a.before, a.after) for a in view.audit} == {(None, None)}


def test_a_decision_owner_reads_the_trail_of_that_initiative_only(engine, two):
    with read_session(engine) as session:
        steering_b = actor(session, two.users["steering_b"])
        second = initiative_view(session=session, actor=steering_b, initiative_id=two.a_second, tab="history")
        first = initiative_view(session=session, actor=steering_b, initiative_id=two.a_first, tab="history")
    assert second.audit and {(a.before, a.after) for a in second.audit} == {(None, None)}
    assert first.audit == ()


def test_the_sql_rule_matches_the_registry(engine, two):
    """``audit_readable`` (lists, exports) and the "audit.read" grants (one initiative) agree."""
    from portfolio.permissions import audit_readable

    with read_session(engine) as session:
        initiatives = session.exec(select(Initiative).order_by(col(Initiative.id))).all()
        for name, user in two.users.items():
            reader = actor(session, user)
            clause = audit_readable(reader)
            query = select(Initiative.id)
            in_sql = set(session.exec(query if clause is None else query.where(clause)).all())
            by_grants = {i.id for i in initiatives
                         if refusal("audit.read", reader, initiative_scope(session, i)) is None}
            assert (name, in_sql) == (name, by_grants)
