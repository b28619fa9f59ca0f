"""Follow-up by level (portfolio.indicator_views), on SQLite and PostgreSQL: hand-computed buckets of a sum and a
mean indicator at every grouping (year, quarter, month, ISO week across a new year, day), sub-units in and the
sibling and parent units out, the direction-aware status per bucket, the "not available at this level" rule,
whole-initiative figures, every problem of the choices, and who sees what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from db.engine import get_engine, read_session, write_session
from portfolio.errors import PermissionDenied, ValidationError
from portfolio.indicator_views import (
    NO_PORTFOLIOS,
    IndicatorLevelView,
    indicator_view,
    window,
)
from portfolio.permissions import load_actor
from tests.factories import (
    make_benefit,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_portfolio,
    make_user,
)
from workflows.vocabulary import IndicatorStatus

TODAY = date(2026, 1, 6)  # a Tuesday; its ISO week (2026-W02) starts on Monday 5 January

# The daily figures (day, unit, value): R is the parent of H, C is below H, X is H's sibling.
DAILY = [(date(2025, 6, 3), "C", 4), (date(2025, 6, 10), "H", 8), (date(2025, 8, 15), "C", 6),
         (date(2025, 12, 28), "H", 10), (date(2025, 12, 31), "C", 2), (date(2026, 1, 2), "H", 4),
         (date(2025, 6, 3), "X", 1000), (date(2025, 6, 3), "R", 500)]


@dataclass
class Org:
    url: str
    units: dict[str, int]
    users: dict[str, int]
    indicators: dict[str, int]


@pytest.fixture
def org(db_url) -> Org:
    """Portfolio P (owner, steering member) and an unrelated portfolio Q; units R > H > C and R > X. In P, an
    initiative owned by H with a daily sum, a daily mean and a monthly sum indicator, and one with a
    higher-is-better and a lower-is-better monthly mean indicator with a plan; in Q, an initiative on H."""
    with write_session(get_engine(db_url)) as session:
        owner = make_user(session, username="owner")
        steering = make_user(session, username="steering")
        stranger = make_user(session, username="stranger")
        admin = make_user(session, username="admin", role="admin")
        lead = make_user(session, username="lead")
        p = make_portfolio(session, owner=owner)
        q = make_portfolio(session, owner=owner)
        from db.models import RoleAssignment
        session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=p.id))
        session.add(RoleAssignment(user_id=steering.id, role="steering", portfolio_id=p.id))
        session.add(RoleAssignment(user_id=lead.id, role="implementation_lead", portfolio_id=p.id))
        session.add(RoleAssignment(user_id=lead.id, role="implementation_lead", portfolio_id=q.id))
        session.flush()
        r = make_org_unit(session, name="Region")
        h = make_org_unit(session, name="Hospital", parent=r)
        c = make_org_unit(session, name="Clinic", parent=h)
        x = make_org_unit(session, name="Other hospital", parent=r)
        units = {"R": r, "H": h, "C": c, "X": x}
        first = make_initiative(session, portfolio=p, creator=lead, lead=lead, org_unit=h, title="A daily")
        benefit = make_benefit(session, first)
        daily_sum = make_indicator(session, benefit, name="Daily sum", frequency="day", aggregation="sum")
        daily_mean = make_indicator(session, benefit, name="Daily mean", frequency="day", aggregation="mean")
        monthly = make_indicator(session, benefit, name="Monthly sum", frequency="month", aggregation="sum")
        for day, unit, value in DAILY:
            make_measurement(session, daily_sum, period=day, value=value, org_unit=units[unit])
            make_measurement(session, daily_mean, period=day, value=value, org_unit=units[unit])
        make_measurement(session, monthly, period=date(2025, 12, 1), value=7, org_unit=c)
        second = make_initiative(session, portfolio=p, creator=lead, lead=lead, org_unit=h, title="B planned")
        benefit = make_benefit(session, second)
        plan = {"baseline_date": date(2025, 1, 1), "target_date": date(2026, 1, 1), "frequency": "month"}
        higher = make_indicator(session, benefit, name="Higher", direction="higher", aggregation="sum",
                                baseline_value=100, target_value=200, **plan)
        lower = make_indicator(session, benefit, name="Lower", direction="lower", aggregation="mean",
                               baseline_value=200, target_value=100, **plan)
        # July on plan, August slightly behind, September behind (plans 149.6, 158.1, 166.6 and 150.4, 141.9,
        # 133.4); the sum is reported by two units, the mean's two units average to the figure.
        for month, (up_c, up_h), (down_c, down_h) in (
                (7, (70, 80), (140, 160)), (8, (45, 100), (150, 160)), (9, (60, 60), (170, 190))):
            make_measurement(session, higher, period=date(2025, month, 1), value=up_c, org_unit=c)
            make_measurement(session, higher, period=date(2025, month, 1), value=up_h, org_unit=h)
            make_measurement(session, lower, period=date(2025, month, 1), value=down_c, org_unit=c)
            make_measurement(session, lower, period=date(2025, month, 1), value=down_h, org_unit=h)
        other = make_initiative(session, portfolio=q, creator=lead, lead=lead, org_unit=h, title="C elsewhere")
        elsewhere = make_indicator(session, make_benefit(session, other), name="Elsewhere", frequency="day")
        make_measurement(session, elsewhere, period=date(2026, 1, 2), value=1, org_unit=h)
        return Org(db_url, {k: u.id for k, u in units.items()},
                   {u.username: u.id for u in (owner, steering, stranger, admin, lead)},
                   {"daily_sum": daily_sum.id, "daily_mean": daily_mean.id, "monthly": monthly.id,
                    "higher": higher.id, "lower": lower.id, "elsewhere": elsewhere.id})


def _view(org: Org, level: str, span: int, grouping: str, unit: str = "H", user: str = "owner") -> IndicatorLevelView:
    with read_session(get_engine(org.url)) as session:
        actor = load_actor(session=session, user_id=org.users[user])
        return indicator_view(session=session, actor=actor, org_unit_id=org.units[unit], level=level, span=span,
                              grouping=grouping, today=TODAY)


def _figures(view: IndicatorLevelView, indicator_id: int) -> dict[date, float]:
    """An indicator's buckets that have a figure, as {first day: figure}."""
    [figures] = [f for f in view.indicators if f.indicator.id == indicator_id]
    return {b.start: b.actual for b in figures.buckets if b.actual is not None}


# level, span, grouping: the daily sum's and the daily mean's buckets (of H and C; X and R left out).
BUCKETS = [
    ("strategic", 2, "year", {date(2025, 1, 1): 30, date(2026, 1, 1): 4},
     {date(2025, 1, 1): 6, date(2026, 1, 1): 4}),
    ("strategic", 2, "quarter",
     {date(2025, 4, 1): 12, date(2025, 7, 1): 6, date(2025, 10, 1): 12, date(2026, 1, 1): 4},
     {date(2025, 4, 1): 6, date(2025, 7, 1): 6, date(2025, 10, 1): 6, date(2026, 1, 1): 4}),
    ("tactical", 12, "month",
     {date(2025, 6, 1): 12, date(2025, 8, 1): 6, date(2025, 12, 1): 12, date(2026, 1, 1): 4},
     {date(2025, 6, 1): 6, date(2025, 8, 1): 6, date(2025, 12, 1): 6, date(2026, 1, 1): 4}),
    # ISO week 2026-W01 runs from Monday 29 December 2025: 31 December and 2 January fall in it, 28 December not.
    ("operational", 8, "week", {date(2025, 12, 22): 10, date(2025, 12, 29): 6},
     {date(2025, 12, 22): 10, date(2025, 12, 29): 3}),
    ("operational", 2, "day", {date(2025, 12, 31): 2, date(2026, 1, 2): 4},
     {date(2025, 12, 31): 2, date(2026, 1, 2): 4}),
]


@pytest.mark.parametrize(("level", "span", "grouping", "sums", "means"), BUCKETS)
def test_buckets_sum_and_mean_hand_computed(org, level, span, grouping, sums, means):
    view = _view(org, level, span, grouping)
    assert _figures(view, org.indicators["daily_sum"]) == pytest.approx(sums)
    assert _figures(view, org.indicators["daily_mean"]) == pytest.approx(means)


@pytest.mark.parametrize(("level", "span", "grouping", "first", "last", "count"), [
    ("strategic", 2, "year", date(2025, 1, 1), date(2026, 12, 31), 2),
    ("strategic", 2, "quarter", date(2025, 1, 1), date(2026, 12, 31), 8),
    ("tactical", 12, "month", date(2025, 2, 1), date(2026, 1, 31), 12),
    ("operational", 8, "week", date(2025, 11, 17), date(2026, 1, 11), 8),
    ("operational", 2, "day", date(2025, 12, 29), date(2026, 1, 11), 14),
])
def test_every_bucket_of_the_span_is_listed(org, level, span, grouping, first, last, count):
    view = _view(org, level, span, grouping)
    assert (view.first_day, view.last_day) == (first, last) == window(view.level, span, TODAY)
    [daily] = [f for f in view.indicators if f.indicator.id == org.indicators["daily_sum"]]
    assert len(daily.buckets) == count
    assert daily.buckets[0].start <= first and daily.buckets[-1].start <= last


def test_sub_units_in_sibling_and_parent_out(org):
    # Chosen R, the sibling X and R's own figure count too: 4 + 8 + 1000 + 500 in June.
    assert _figures(_view(org, "tactical", 12, "month", unit="R"), org.indicators["daily_sum"])[
        date(2025, 6, 1)] == 1512
    # Chosen C, only C's own: 4 in June.
    assert _figures(_view(org, "tactical", 12, "month", unit="C"), org.indicators["daily_sum"])[
        date(2025, 6, 1)] == 4
    # Chosen X, only its figure; the initiatives H owns show nothing else.
    view = _view(org, "tactical", 12, "month", unit="X")
    assert [f.indicator.name for f in view.indicators] == ["Daily mean", "Daily sum"]
    assert _figures(view, org.indicators["daily_sum"]) == {date(2025, 6, 1): 1000}


STATUS = {date(2025, 7, 1): IndicatorStatus.GREEN, date(2025, 8, 1): IndicatorStatus.AMBER,
          date(2025, 9, 1): IndicatorStatus.RED}


@pytest.mark.parametrize("name", ["higher", "lower"])
def test_status_per_bucket_is_direction_aware(org, name):
    view = _view(org, "tactical", 12, "month")
    [figures] = [f for f in view.indicators if f.indicator.id == org.indicators[name]]
    buckets = {b.start: b for b in figures.buckets}
    assert {start: buckets[start].status for start in STATUS} == STATUS
    assert {start: buckets[start].actual for start in STATUS} == (
        {date(2025, 7, 1): 150, date(2025, 8, 1): 145, date(2025, 9, 1): 120} if name == "higher"
        else {date(2025, 7, 1): 150, date(2025, 8, 1): 155, date(2025, 9, 1): 180})
    # The plan on the bucket's (one) period: 1 July is day 181 of 365 on the way.
    planned = 100 + 100 * 181 / 365 if name == "higher" else 200 - 100 * 181 / 365
    assert buckets[date(2025, 7, 1)].planned == pytest.approx(planned)
    assert buckets[date(2025, 6, 1)].status == IndicatorStatus.UNKNOWN and buckets[date(2025, 6, 1)].actual is None


def test_sum_over_a_quarter_is_judged_on_its_periods(org):
    # Q3 2025 of the higher-is-better sum: 150 + 145 + 120 = 415 in 3 months, the plan read on 1 August (the middle
    # of July to September's firsts) is 158.08 a month, so 474.25 for the quarter; 138.3 a month is 19.7 % behind.
    view = _view(org, "strategic", 1, "quarter", user="owner")
    assert view.first_day == date(2026, 1, 1)
    view = _view(org, "strategic", 2, "quarter")
    [figures] = [f for f in view.indicators if f.indicator.id == org.indicators["higher"]]
    [q3] = [b for b in figures.buckets if b.start == date(2025, 7, 1)]
    assert (q3.actual, q3.periods, q3.status) == (415, 3, IndicatorStatus.AMBER)
    assert q3.planned == pytest.approx(3 * (100 + 100 * 212 / 365))


@pytest.mark.parametrize(("level", "span", "grouping", "shown"), [
    ("operational", 8, "week", False), ("operational", 8, "day", False), ("tactical", 12, "month", True),
    ("strategic", 2, "quarter", True),
])
def test_a_monthly_indicator_is_not_available_per_week_or_day(org, level, span, grouping, shown):
    view = _view(org, level, 26 if level == "operational" else span, grouping)
    [monthly] = [f for f in view.indicators if f.indicator.id == org.indicators["monthly"]]
    assert monthly.available is shown
    assert _figures(view, org.indicators["monthly"]) == (
        {date(2025, 10 if grouping == "quarter" else 12, 1): 7} if shown else {})
    if not shown:
        assert monthly.buckets == ()


def test_a_whole_initiative_figure_counts_for_its_owning_unit_and_replaces_the_units(org):
    with write_session(get_engine(org.url)) as session:
        from db.models import Indicator
        make_measurement(session, session.get(Indicator, org.indicators["higher"]), period=date(2025, 7, 1),
                         value=155)
    # H owns the initiative: the whole figure replaces C's and H's 70 + 80 of July; R above it sees it too.
    for unit in ("H", "R"):
        assert _figures(_view(org, "tactical", 12, "month", unit=unit), org.indicators["higher"])[
            date(2025, 7, 1)] == 155
    # C, below the owner, keeps its own figure.
    assert _figures(_view(org, "tactical", 12, "month", unit="C"), org.indicators["higher"])[date(2025, 7, 1)] == 70


@pytest.mark.parametrize(("user", "names"), [
    ("owner", ["Daily mean", "Daily sum", "Monthly sum", "Higher", "Lower"]),
    ("steering", ["Daily mean", "Daily sum", "Monthly sum", "Higher", "Lower"]),
    ("admin", ["Daily mean", "Daily sum", "Monthly sum", "Higher", "Lower", "Elsewhere"]),
])
def test_who_sees_which_indicators(org, user, names):
    view = _view(org, "strategic", 2, "year", user=user)
    assert [f.indicator.name for f in view.indicators] == names
    assert view.total == len(names)
    assert [f.initiative_title for f in view.indicators][:3] == ["A daily"] * 3


@pytest.mark.parametrize("user", ["stranger", "lead"])
def test_someone_outside_every_steering_group_is_refused(org, user):
    with pytest.raises(PermissionDenied) as refused:
        _view(org, "strategic", 2, "year", user=user)
    assert [m.msgid for m in refused.value.messages] == [NO_PORTFOLIOS]


def test_the_limit_keeps_the_count_of_all(org):
    with read_session(get_engine(org.url)) as session:
        view = indicator_view(session=session, actor=load_actor(session=session, user_id=org.users["admin"]),
                              org_unit_id=org.units["H"], level="strategic", span=2, grouping="year", today=TODAY,
                              limit=2)
    assert ([f.indicator.name for f in view.indicators], view.total) == (["Daily mean", "Daily sum"], 6)


@pytest.mark.parametrize(("unit", "level", "span", "grouping", "expected"), [
    (999999, "strategic", 2, "year", ["There is no org unit number 999999."]),
    ("H", "monthly", 2, "year", ["Unknown level 'monthly'. The levels are: strategic, tactical, operational."]),
    ("H", "operational", 30, "month", ["The operational level is grouped by week, day, not by 'month'.",
                                       "The span of the operational level is 1 to 26, not 30."]),
    (999999, "strategic", 5, "day", ["There is no org unit number 999999.",
                                     "The strategic level is grouped by year, quarter, not by 'day'.",
                                     "The span of the strategic level is 1 to 4, not 5."]),
])
def test_every_problem_of_the_choices_is_named(org, unit, level, span, grouping, expected):
    with read_session(get_engine(org.url)) as session:
        actor = load_actor(session=session, user_id=org.users["owner"])
        with pytest.raises(ValidationError) as refused:
            indicator_view(session=session, actor=actor, org_unit_id=org.units.get(unit, unit), level=level,
                           span=span, grouping=grouping, today=TODAY)
    assert [m.render("en") for m in refused.value.messages] == expected
