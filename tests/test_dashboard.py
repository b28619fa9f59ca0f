"""The portfolio dashboard's read model (portfolio.dashboard), on SQLite and PostgreSQL: exact funnel counts and
costs for a hand-built organisation, each filter with the sub-portfolios and sub-units it takes in, who sees what,
and every flag at its edges (the stage limit, gates overdue and coming up, overdue measurements, conditions past
their due date), and the value/cost bubbles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from db.engine import get_engine, read_session, write_session
from db.models import GateDecision, Initiative, RoleAssignment
from portfolio import dashboard as board_module
from portfolio.benefits_math import CashflowYear, calculate
from portfolio.dashboard import (
    NO_PORTFOLIOS,
    NOT_YOURS,
    Bubble,
    ConditionsDue,
    DashboardFilters,
    GateDue,
    InStage,
    MeasurementsDue,
    StageFigures,
    StatusCount,
    dashboard,
    dashboard_page,
)
from portfolio.errors import PermissionDenied
from portfolio.permissions import Scope, allowed, load_actor
from portfolio.worklists import due_date, due_period
from tests.factories import (
    make_benefit,
    make_calculation,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_portfolio,
    make_user,
)
from workflows.lifecycle import STAGES
from workflows.vocabulary import Frequency

TODAY = date(2026, 6, 15)
ZONE = ZoneInfo("Europe/Stockholm")
LIMIT = 180


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """``day`` at ``hour`` in Stockholm, as the UTC time the database stores."""
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(timezone.utc)


@dataclass
class Org:
    """Portfolio P with a sub-portfolio S, and an unrelated portfolio Q; units R > H > C, and X apart.

    The initiatives, (key: portfolio, unit, stage, estimated cost, on hold):
    i1 P R idea 100; i2 P H concept 200; i3 S C pilot 400 on hold; i4 S X pilot (no cost); i5 P C realised 800;
    i6 S H stopped 1600; i7 Q C idea 3200."""

    url: str
    ids: dict[str, int]
    portfolios: dict[str, int]
    units: dict[str, int]
    users: dict[str, int]


COSTS = {"i1": 100.0, "i2": 200.0, "i3": 400.0, "i4": 0.0, "i5": 800.0, "i6": 1600.0, "i7": 3200.0}
STAGE_OF = {"i1": "idea", "i2": "concept", "i3": "pilot", "i4": "pilot", "i5": "realised", "i6": "stopped",
            "i7": "idea"}


@pytest.fixture
def org(db_url) -> Org:
    with write_session(get_engine(db_url)) as session:
        owner = make_user(session, username="owner", display_name="Olga Ägare")
        p = make_portfolio(session, owner=owner, name="P")
        s = make_portfolio(session, owner=owner, parent=p, name="S")
        q = make_portfolio(session, name="Q")
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=p.id))
        r = make_org_unit(session, name="R")
        h = make_org_unit(session, name="H", parent=r)
        c = make_org_unit(session, name="C", parent=h)
        x = make_org_unit(session, name="X")
        lead = make_user(session, username="lead", role="implementation_lead", portfolio=p)
        steering = make_user(session, username="steering", role="steering", portfolio=p)
        steering_q = make_user(session, username="steering_q", role="steering", portfolio=q)
        admin = make_user(session, username="admin", role="admin")
        stranger = make_user(session, username="stranger")
        where = {"i1": (p, r), "i2": (p, h), "i3": (s, c), "i4": (s, x), "i5": (p, c), "i6": (s, h), "i7": (q, c)}
        ids = {}
        for key, (portfolio, unit) in where.items():
            initiative = make_initiative(
                session, portfolio=portfolio, creator=lead, lead=lead, stage=STAGE_OF[key], org_unit=unit,
                title=f"Initiative {key}", estimated_cost=COSTS[key] or None, on_hold=key == "i3",
                hold_review_date=TODAY + timedelta(days=60) if key == "i3" else None,
                # Well inside every limit, so that only the tests of the edges flag anything.
                stage_entered_at=_at(TODAY - timedelta(days=10)))
            ids[key] = initiative.id
        return Org(db_url, ids, {"P": p.id, "S": s.id, "Q": q.id}, {"R": r.id, "H": h.id, "C": c.id, "X": x.id},
                   {"owner": owner.id, "lead": lead.id, "steering": steering.id, "steering_q": steering_q.id,
                    "admin": admin.id, "stranger": stranger.id})


def read(org: Org, user: str = "steering", today: date = TODAY, **filters):
    with read_session(get_engine(org.url)) as session:
        actor = load_actor(session=session, user_id=org.users[user])
        return dashboard(session=session, actor=actor, filters=DashboardFilters(**filters), today=today)


def funnel_of(keys: set[str]) -> tuple[StageFigures, ...]:
    """The funnel the initiatives ``keys`` make, figured by hand from the fixture's table."""
    return tuple(StageFigures(stage, sum(1 for k in keys if STAGE_OF[k] == stage),
                              sum(COSTS[k] for k in keys if STAGE_OF[k] == stage), 0,
                              LIMIT if stage not in ("realised", "stopped") else None)
                 for stage in STAGES)


def test_the_funnel_counts_and_costs_every_stage_of_the_portfolio_and_its_sub_portfolio(org):
    board = read(org)
    assert board.funnel == (
        StageFigures("idea", 1, 100.0, 0, LIMIT), StageFigures("concept", 1, 200.0, 0, LIMIT),
        StageFigures("pilot", 2, 400.0, 0, LIMIT), StageFigures("scale_up", 0, 0.0, 0, LIMIT),
        StageFigures("benefits_realisation", 0, 0.0, 0, LIMIT), StageFigures("realised", 1, 800.0, 0, None),
        StageFigures("stopped", 1, 1600.0, 0, None))
    assert (board.initiatives, board.cost) == (6, 3100.0)
    assert board.statuses == (StatusCount("active", 3), StatusCount("on_hold", 1), StatusCount("realised", 1),
                              StatusCount("stopped", 1))


@pytest.mark.parametrize("filters, keys", [
    ({}, {"i1", "i2", "i3", "i4", "i5", "i6"}),
    ({"portfolio": "P"}, {"i1", "i2", "i3", "i4", "i5", "i6"}),
    ({"portfolio": "S"}, {"i3", "i4", "i6"}),
    ({"unit": "R"}, {"i1", "i2", "i3", "i5", "i6"}),
    ({"unit": "H"}, {"i2", "i3", "i5", "i6"}),
    ({"unit": "C"}, {"i3", "i5"}),
    ({"unit": "X"}, {"i4"}),
    ({"stage": "pilot"}, {"i3", "i4"}),
    ({"stage": "scale_up"}, set()),
    ({"status": "active"}, {"i1", "i2", "i4"}),
    ({"status": "on_hold"}, {"i3"}),
    ({"status": "realised"}, {"i5"}),
    ({"status": "stopped"}, {"i6"}),
    ({"portfolio": "S", "unit": "H"}, {"i3", "i6"}),
    ({"portfolio": "S", "unit": "H", "stage": "pilot", "status": "active"}, set()),
])
def test_each_filter_takes_in_what_lies_below_it(org, filters, keys):
    arguments = {}
    if "portfolio" in filters:
        arguments["portfolio_id"] = org.portfolios[filters["portfolio"]]
    if "unit" in filters:
        arguments["org_unit_id"] = org.units[filters["unit"]]
    arguments.update({k: v for k, v in filters.items() if k in ("stage", "status")})
    board = read(org, **arguments)
    assert board.funnel == funnel_of(keys)
    assert board.initiatives == len(keys)


@pytest.mark.parametrize("user, keys", [
    ("steering", {"i1", "i2", "i3", "i4", "i5", "i6"}),
    ("owner", {"i1", "i2", "i3", "i4", "i5", "i6"}),
    ("steering_q", {"i7"}),
    ("admin", {"i1", "i2", "i3", "i4", "i5", "i6", "i7"}),
])
def test_each_user_sees_the_portfolios_they_may(org, user, keys):
    assert read(org, user).funnel == funnel_of(keys)


@pytest.mark.parametrize("user", ["stranger", "lead"])
def test_someone_outside_every_steering_group_and_ownership_is_told_so(org, user):
    with pytest.raises(PermissionDenied) as refused:
        read(org, user)
    assert refused.value.render("en") == [
        "The dashboard shows the portfolios whose steering group or owners you belong to, and you belong to none."]
    assert NO_PORTFOLIOS in refused.value.messages[0].msgid


def test_a_portfolio_outside_the_users_own_is_refused(org):
    with pytest.raises(PermissionDenied) as refused:
        read(org, "steering", portfolio_id=org.portfolios["Q"])
    assert refused.value.render("en") == [
        "Only the portfolio's steering group, its owners and administrators may see its dashboard."]
    assert refused.value.messages[0].msgid == NOT_YOURS


def test_whom_the_dashboard_shows_a_portfolio_is_whom_report_read_allows(org):
    # The dashboard is the steering group's report: its scope is the grants of "report.read".
    with read_session(get_engine(org.url)) as session:
        for user_id in org.users.values():
            actor = load_actor(session=session, user_id=user_id)
            for portfolio_id in org.portfolios.values():
                may = allowed("report.read", actor, Scope(portfolio_id=portfolio_id))
                try:
                    dashboard(session=session, actor=actor, filters=DashboardFilters(portfolio_id=portfolio_id),
                              today=TODAY)
                    shown = True
                except PermissionDenied:
                    shown = False
                assert shown == may, (user_id, portfolio_id)


def test_every_problem_of_the_filters_is_named_at_once(org):
    with read_session(get_engine(org.url)) as session:
        actor = load_actor(session=session, user_id=org.users["steering"])
        page = dashboard_page(session=session, actor=actor, filters=DashboardFilters(stage="nope", status="closed"),
                              today=TODAY)
    assert page.dashboard is None
    assert [m.render("en") for m in page.problems] == [
        "Unknown stage 'nope'. The stages are: idea, concept, pilot, scale_up, benefits_realisation, realised, "
        "stopped.",
        "Unknown status 'closed'. The statuses are: active, on_hold, realised, stopped."]
    # The choice lists hold only the portfolios the user sees.
    assert [entry.name for entry in page.portfolios.entries] == ["P", "S"]


# ------------------------------------------------------------------ time in stage and gates, at their edges


def _place(org: Org, key: str, *, entered: datetime | None = None, on_hold: bool = False,
           review: date | None = None) -> None:
    with write_session(get_engine(org.url)) as session:
        initiative = session.get(Initiative, org.ids[key])
        if entered is not None:
            initiative.stage_entered_at = entered
        initiative.on_hold, initiative.hold_review_date = on_hold, review
        session.add(initiative)


@pytest.mark.parametrize("days, flagged", [(LIMIT - 1, False), (LIMIT, False), (LIMIT + 1, True)])
def test_an_initiative_is_flagged_past_its_stage_limit_and_not_at_it(org, days, flagged):
    _place(org, "i2", entered=_at(TODAY - timedelta(days=days)))
    board = read(org)
    concept = board.funnel[1]
    assert concept.past_limit == (1 if flagged else 0)
    expected = (InStage(org.ids["i2"], "Initiative i2", "concept", False, TODAY - timedelta(days=days), days,
                        LIMIT),) if flagged else ()
    assert board.in_stage.rows == expected
    assert board.in_stage.total == len(expected)


@pytest.mark.parametrize("hour, minute", [(0, 5), (23, 55)])
def test_days_in_stage_count_in_the_organisations_time_zone(org, hour, minute):
    # 00:05 in Stockholm on the limit's day is 22:05 UTC the day before: still the limit's day, not past it.
    _place(org, "i2", entered=_at(TODAY - timedelta(days=LIMIT), hour, minute))
    assert read(org).funnel[1].past_limit == 0
    _place(org, "i2", entered=_at(TODAY - timedelta(days=LIMIT + 1), hour, minute))
    assert read(org).funnel[1].past_limit == 1


def test_each_stage_may_have_a_limit_of_its_own(org, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_STAGE_LIMIT_DAYS", "180,pilot=30")
    _place(org, "i4", entered=_at(TODAY - timedelta(days=31)))
    _place(org, "i2", entered=_at(TODAY - timedelta(days=31)))
    board = read(org)
    assert [(f.stage, f.past_limit, f.limit_days) for f in board.funnel[:3]] == [
        ("idea", 0, 180), ("concept", 0, 180), ("pilot", 1, 30)]
    assert board.in_stage.rows == (InStage(org.ids["i4"], "Initiative i4", "pilot", False, TODAY - timedelta(days=31),
                                           31, 30),)


# The gate of an initiative not on hold falls due when its stage limit runs out.
@pytest.mark.parametrize("days_in_stage, overdue, coming", [
    (LIMIT + 1, True, False),   # due yesterday
    (LIMIT, False, True),       # due today
    (LIMIT - 30, False, True),  # due in 30 days
    (LIMIT - 31, False, False),  # due in 31 days
])
def test_a_gate_falls_due_when_the_stage_limit_runs_out(org, days_in_stage, overdue, coming):
    _place(org, "i2", entered=_at(TODAY - timedelta(days=days_in_stage)))
    board = read(org)
    gate = GateDue(org.ids["i2"], "Initiative i2", "concept", False,
                   TODAY - timedelta(days=days_in_stage) + timedelta(days=LIMIT), "Olga Ägare")
    assert board.gates_overdue.rows == ((gate,) if overdue else ())
    assert board.gates_coming.rows == ((gate,) if coming else ())
    assert (board.gates_overdue.total, board.gates_coming.total) == (int(overdue), int(coming))


# The gate of an initiative on hold falls due on the hold's review date.
@pytest.mark.parametrize("review_in, overdue, coming", [(-1, True, False), (0, False, True), (30, False, True),
                                                        (31, False, False)])
def test_a_held_gate_falls_due_on_its_review_date(org, review_in, overdue, coming):
    review = TODAY + timedelta(days=review_in)
    # Long in its stage, but a hold's gate is due on its review date, not at the stage limit.
    _place(org, "i3", entered=_at(TODAY - timedelta(days=LIMIT + 50)), on_hold=True, review=review)
    board = read(org)
    gate = GateDue(org.ids["i3"], "Initiative i3", "pilot", True, review, "Olga Ägare")
    assert board.gates_overdue.rows == ((gate,) if overdue else ())
    assert board.gates_coming.rows == ((gate,) if coming else ())
    # Past the limit all the same: time in stage counts whatever the hold.
    assert board.in_stage.total == 1


def test_gates_are_listed_earliest_due_first_across_stages_with_limits_of_their_own(org, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_STAGE_LIMIT_DAYS", "180,pilot=30")
    _place(org, "i1", entered=_at(TODAY - timedelta(days=185)))  # idea: due 5 days ago
    _place(org, "i4", entered=_at(TODAY - timedelta(days=40)))   # pilot: due 10 days ago
    _place(org, "i3", on_hold=True, review=TODAY - timedelta(days=7))
    board = read(org)
    assert [(g.id, g.due) for g in board.gates_overdue.rows] == [
        (org.ids["i4"], TODAY - timedelta(days=10)), (org.ids["i3"], TODAY - timedelta(days=7)),
        (org.ids["i1"], TODAY - timedelta(days=5))]


def test_the_lists_show_the_first_rows_and_count_them_all(org, monkeypatch):
    monkeypatch.setattr(board_module, "LIST_LIMIT", 1)
    _place(org, "i1", entered=_at(TODAY - timedelta(days=200)))
    _place(org, "i2", entered=_at(TODAY - timedelta(days=190)))
    board = read(org)
    assert [row.id for row in board.in_stage.rows] == [org.ids["i1"]]
    assert board.in_stage.total == 2
    assert [row.id for row in board.gates_overdue.rows] == [org.ids["i1"]]
    assert board.gates_overdue.total == 2


# ------------------------------------------------------------------ overdue measurements and conditions


def test_overdue_measurements_follow_the_worklists_at_their_edges(org):
    month = Frequency.MONTH
    due = due_period(month, TODAY)  # 2026-05-01
    with write_session(get_engine(org.url)) as session:
        def indicator(key: str):
            return make_indicator(session, make_benefit(session, session.get(Initiative, org.ids[key])),
                                  frequency="month")

        on_time = indicator("i1")
        make_measurement(session, on_time, period=due, value=1)
        late = indicator("i2")
        make_measurement(session, late, period=date(2026, 4, 1), value=1)
        indicator("i2")  # nothing reported
        indicator("i4")
        make_measurement(session, indicator("i4"), period=date(2026, 2, 1), value=1)
        stale_but_realised = indicator("i5")
        make_measurement(session, stale_but_realised, period=date(2025, 1, 1), value=1)
    board = read(org)
    assert board.measurements.rows == (
        MeasurementsDue(org.ids["i4"], "Initiative i4", "pilot", 2, 2, due_date(month, date(2026, 2, 1), TODAY)),
        MeasurementsDue(org.ids["i2"], "Initiative i2", "concept", 2, 2, due_date(month, date(2026, 4, 1), TODAY)),
    )
    assert [row.due for row in board.measurements.rows] == [date(2026, 4, 1), date(2026, 6, 1)]
    assert (board.measurements.total, board.overdue_indicators) == (2, 4)


@pytest.mark.parametrize("days_ago, past_due", [(LIMIT - 1, False), (LIMIT, False), (LIMIT + 1, True)])
def test_conditions_fall_due_when_the_limit_of_the_stage_they_opened_runs_out(org, days_ago, past_due):
    decided = TODAY - timedelta(days=days_ago)
    with write_session(get_engine(org.url)) as session:
        for key, met in (("i3", False), ("i4", True), ("i6", False)):
            session.add(GateDecision(initiative_id=org.ids[key], outcome="conditional_go", from_stage="concept",
                                     to_stage="pilot", decided_by_id=org.users["owner"], decided_at=_at(decided, 23, 30),
                                     rationale="Good enough to try", conditions="Sign the data agreement",
                                     conditions_met=met))
    board = read(org)
    expected = (ConditionsDue(org.ids["i3"], "Initiative i3", "pilot", decided, "Olga Ägare",
                              decided + timedelta(days=LIMIT), "Sign the data agreement"),) if past_due else ()
    # Met conditions (i4) and a stopped initiative's (i6) are not listed.
    assert board.conditions.rows == expected
    assert board.conditions.total == len(expected)


# ------------------------------------------------------------------ value and cost


def test_the_bubbles_give_each_calculation_its_npv_against_its_investment(org, monkeypatch):
    small = [CashflowYear(2026, investment=1000), CashflowYear(2027, operation=100, benefit=600),
             CashflowYear(2028, operation=100, benefit=600)]
    large = [CashflowYear(2026, investment=2000), CashflowYear(2027, investment=1000, benefit=500)]
    with write_session(get_engine(org.url)) as session:
        make_calculation(session, session.get(Initiative, org.ids["i3"]), small)
        make_calculation(session, session.get(Initiative, org.ids["i4"]), large, discount_rate=0.05)
        make_calculation(session, session.get(Initiative, org.ids["i7"]), large)  # another portfolio's
    board = read(org)
    assert board.bubbles.total == 2
    assert board.bubbles.rows == (
        Bubble(org.ids["i4"], "Initiative i4", "pilot", 3000.0, pytest.approx(-2000 - 500 / 1.05), None),
        Bubble(org.ids["i3"], "Initiative i3", "pilot", 1000.0, pytest.approx(-1000 + 500 / 1.03 + 500 / 1.03 ** 2),
               400.0),
    )
    assert board.bubbles.rows[1].npv == calculate(small, 0.03).npv
    monkeypatch.setattr(board_module, "BUBBLE_LIMIT", 1)
    board = read(org)
    assert ([b.id for b in board.bubbles.rows], board.bubbles.total) == ([org.ids["i4"]], 2)
    assert read(org, stage="idea").bubbles.total == 0


# ------------------------------------------------------------------ the setting


@pytest.mark.parametrize("value, limits", [
    (None, {"idea": 180, "concept": 180, "pilot": 180, "scale_up": 180, "benefits_realisation": 180}),
    ("90", {"idea": 90, "concept": 90, "pilot": 90, "scale_up": 90, "benefits_realisation": 90}),
    ("pilot=365, 90", {"idea": 90, "concept": 90, "pilot": 365, "scale_up": 90, "benefits_realisation": 90}),
    ("idea=30", {"idea": 30, "concept": 180, "pilot": 180, "scale_up": 180, "benefits_realisation": 180}),
])
def test_the_stage_limit_is_one_number_or_one_per_stage(monkeypatch, value, limits):
    from db.settings import Settings

    if value is None:
        monkeypatch.delenv("PORTFOLIO_STAGE_LIMIT_DAYS", raising=False)
    else:
        monkeypatch.setenv("PORTFOLIO_STAGE_LIMIT_DAYS", value)
    settings = Settings.from_env()
    assert {stage: settings.stage_limit(stage) for stage in limits} == limits


@pytest.mark.parametrize("value", ["soon", "0", "pilot=0", "pilot=-5", "gate=30", "stopped=30", "90,120"])
def test_a_stage_limit_that_is_no_limit_is_refused_at_start(monkeypatch, value):
    from db.settings import Settings

    monkeypatch.setenv("PORTFOLIO_STAGE_LIMIT_DAYS", value)
    with pytest.raises(ValueError) as refused:
        Settings.from_env()
    assert str(refused.value) == (
        "PORTFOLIO_STAGE_LIMIT_DAYS must be a number of days such as 180, optionally with stages such as "
        f"180,pilot=365 (stages: idea, concept, pilot, scale_up, benefits_realisation), not {value!r}")
