"""The benefit calculation fed by the indicators, on SQLite and PostgreSQL: the volumes an indicator counts for,
the years whose expected benefit the indicators give (planned, then realised as measurements arrive), years
typed by hand beside them, and the refusals, each with its exact message and nothing changed after it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, CalculationYear, Indicator
from portfolio.benefits import (
    VolumeInput,
    calculation_with_money,
    get_calculation,
    save_calculation,
    save_volumes,
)
from portfolio.benefits_math import CashflowYear
from portfolio.errors import Conflict, NotFound, PermissionDenied, ValidationError
from portfolio.indicator_figures import indicator_summaries
from tests.factories import (
    World,
    actor,
    benefits_snapshot,
    make_benefit,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
)

CALC_EDIT = "Only the implementation lead or the portfolio owner may change the benefit calculation."
STALE_INDICATOR = ("Someone else changed this indicator while you were working on it. Nothing of yours was saved. "
                   "Reload the page to see the latest version and try again.")
NO_MONEY = ("Year {year}: no indicator gives money yet, so type the expected benefit (a benefit needs a money value "
            "per indicator unit, and its indicator a volume per year, a baseline and a target).")
RANGE = "Year {year}: the low benefit must not exceed the expected one, nor the expected the high one."


@dataclass
class Waits:
    """The hand-computed example of tests/test_benefits_math.py in a database: waiting minutes per visit
    (yearly, a mean across units, lower is better) from 40 on 2025-01-01 to 25 on 2028-01-01, worth 850 SEK per
    minute and visit; 36 measured in 2026 (the mean of two clinics) and 31 in 2027 (for the whole initiative)."""

    world: World
    initiative_id: int
    waits_id: int
    unpriced_id: int  # an indicator of a benefit without a money value: it gives no money


def waits(engine, *, volume: float | None = 1200) -> Waits:
    with write_session(engine) as session:
        world = World(session, stage="pilot")
        benefit = make_benefit(session, world.initiative, title="Shorter waits", money_per_unit=850)
        indicator = make_indicator(session, benefit, code="WAIT", name="Waiting minutes", unit="minutes",
                                   direction="lower", frequency="year", aggregation="mean",
                                   baseline_value=40.0, baseline_date=date(2025, 1, 1),
                                   target_value=25.0, target_date=date(2028, 1, 1))
        unpriced = make_indicator(session, make_benefit(session, world.initiative, title="Calmer staff"),
                                  code="CALM", name="Calm", baseline_value=3.0, target_value=4.0)
        other = make_org_unit(session, name="Ortopedkliniken")
        make_measurement(session, indicator, period=date(2026, 1, 1), value=34.0, org_unit=world.unit)
        make_measurement(session, indicator, period=date(2026, 1, 1), value=38.0, org_unit=other)
        # A figure for the whole initiative is the period's figure: the clinics' 20 and 50 do not count.
        make_measurement(session, indicator, period=date(2027, 1, 1), value=20.0, org_unit=world.unit)
        make_measurement(session, indicator, period=date(2027, 1, 1), value=50.0, org_unit=other)
        make_measurement(session, indicator, period=date(2027, 1, 1), value=31.0)
        ids = Waits(world, world.initiative.id, indicator.id, unpriced.id)
    if volume is not None:
        with write_session(engine) as session:
            save_volumes(session=session, actor=actor(session, ids.world.lead), initiative_id=ids.initiative_id,
                         volumes=[VolumeInput(ids.waits_id, 1, volume)])
    return ids


def snapshot(engine) -> dict:
    """What a refused action must leave as it was: the benefits' rows, the volumes and the years' sources."""
    with read_session(engine) as session:
        return {**benefits_snapshot(engine),
                "volumes": session.exec(select(Indicator.id, Indicator.volume_per_year)
                                        .order_by(col(Indicator.id))).all(),
                "sources": session.exec(select(CalculationYear.year, CalculationYear.benefit_from_indicators)
                                        .order_by(col(CalculationYear.id))).all()}


def refuse(engine, error_type, action) -> list[str]:
    """Run ``action(session)`` in one transaction; it must raise ``error_type`` and change nothing."""
    before = snapshot(engine)
    with pytest.raises(error_type) as error:
        with write_session(engine) as session:
            action(session)
    assert snapshot(engine) == before
    return error.value.render("en")


def save(engine, user, initiative_id, years, *, version=None):
    with write_session(engine) as session:
        return save_calculation(session=session, actor=actor(session, user), initiative_id=initiative_id,
                                expected_version=version, discount_rate=0.03, years=years)


def last_audit(engine) -> AuditEvent:
    with read_session(engine) as session:
        return session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()


# Investment in the first year, operation every year, and the benefit left to the indicators.
YEARS = [
    CashflowYear(2025, investment=6_000_000, operation=500_000, from_indicators=True),
    CashflowYear(2026, operation=500_000, from_indicators=True),
    CashflowYear(2027, operation=500_000, benefit_low=8_000_000, benefit_high=10_000_000, from_indicators=True),
    CashflowYear(2028, operation=500_000, from_indicators=True),
]


def test_the_indicators_give_each_year_its_benefit_by_hand(engine):
    s = waits(engine)
    view = save(engine, s.world.lead, s.initiative_id, YEARS)
    # One minute saved is worth 850 × 1,200 = 1,020,000 SEK a year. Planned: 0, 5, 10, 15 minutes;
    # realised: 40 − 36 = 4 in 2026, 40 − 31 = 9 in 2027 (the whole initiative's figure).
    assert [(r.year, r.benefit, r.from_indicators, r.planned, r.realised) for r in view.rows] == [
        (2025, 0, True, 0, None),
        (2026, pytest.approx(4_080_000), True, pytest.approx(5_100_000), pytest.approx(4_080_000)),
        (2027, pytest.approx(9_180_000), True, pytest.approx(10_200_000), pytest.approx(9_180_000)),
        (2028, pytest.approx(15_300_000), True, pytest.approx(15_300_000), None),
    ]
    # Net −6,500,000; 3,580,000; 8,680,000; 14,800,000 discounted at 3 %: NPV 18,701,557.21, payback 2027.
    assert view.result.npv == pytest.approx(18_701_557.21)
    assert view.result.payback_year == 2027
    with read_session(engine) as session:
        assert get_calculation(session=session, initiative_id=s.initiative_id) == view
        stored = session.exec(select(CalculationYear.year, CalculationYear.benefit,
                                     CalculationYear.benefit_from_indicators)
                              .order_by(col(CalculationYear.year))).all()
    assert [(year, round(benefit), marked) for year, benefit, marked in stored] == [
        (2025, 0, True), (2026, 4_080_000, True), (2027, 9_180_000, True), (2028, 15_300_000, True)]
    event = last_audit(engine)
    assert event.action == "calculation.save"
    assert [(y["year"], round(y["benefit"]), y["from_indicators"]) for y in event.after["years"]] == [
        (2025, 0, True), (2026, 4_080_000, True), (2027, 9_180_000, True), (2028, 15_300_000, True)]


def test_a_new_measurement_changes_a_year_from_indicators_without_a_save(engine):
    s = waits(engine)
    save(engine, s.world.lead, s.initiative_id, YEARS)
    with write_session(engine) as session:
        make_measurement(session, session.get(Indicator, s.waits_id), period=date(2028, 1, 1), value=24.0)
    with read_session(engine) as session:
        view = get_calculation(session=session, initiative_id=s.initiative_id)
    # 40 − 24 = 16 minutes → 16,320,000 SEK, ahead of the plan's 15,300,000; the stored figure is the one saved.
    last = view.rows[-1]
    assert (last.benefit, last.planned, last.realised) == pytest.approx((16_320_000, 15_300_000, 16_320_000))
    assert view.years[-1].benefit == pytest.approx(15_300_000)
    assert view.version == 1


def test_years_typed_by_hand_stay_as_typed_beside_years_from_indicators(engine):
    s = waits(engine)
    view = save(engine, s.world.lead, s.initiative_id, [
        CashflowYear(2026, benefit=1_000_000),
        CashflowYear(2027, from_indicators=True),
    ])
    assert [(r.year, r.benefit, r.from_indicators, r.planned) for r in view.rows] == [
        (2026, 1_000_000, False, pytest.approx(5_100_000)),
        (2027, pytest.approx(9_180_000), True, pytest.approx(10_200_000)),
    ]


def test_the_money_of_the_indicators_and_what_each_lacks(engine):
    s = waits(engine)
    with read_session(engine) as session:
        calculation, money = calculation_with_money(session=session, initiative_id=s.initiative_id)
        summaries = {x.indicator.id: x for x in indicator_summaries(session=session, initiative_id=s.initiative_id)}
    assert calculation is None
    assert money.gives_money
    assert [(row.code, row.money_per_unit, row.volume_per_year, [m.render("en") for m in row.missing])
            for row in money.indicators] == [
        ("WAIT", 850, 1200, []),
        ("CALM", None, None, ["Its benefit has no money value per indicator unit.", "It has no volume per year."]),
    ]
    # The years from the baseline's to the target's, as the calculation would propose them.
    assert {year: (round(m.planned), None if m.realised is None else round(m.realised), round(m.expected))
            for year, m in money.years.items()} == {
        2025: (0, None, 0), 2026: (5_100_000, 4_080_000, 4_080_000), 2027: (10_200_000, 9_180_000, 9_180_000),
        2028: (15_300_000, None, 15_300_000)}
    # The measured values it reads are the figures the Benefits tab shows.
    assert summaries[s.waits_id].series == [(date(2026, 1, 1), 36.0), (date(2027, 1, 1), 31.0)]


def test_without_an_indicator_that_gives_money_a_year_needs_a_typed_benefit(engine):
    s = waits(engine, volume=None)
    assert refuse(engine, ValidationError, lambda session: save_calculation(
        session=session, actor=actor(session, s.world.lead), initiative_id=s.initiative_id, expected_version=None,
        discount_rate=0.03, years=[
            CashflowYear(2025, investment=-1),
            CashflowYear(2026, from_indicators=True),
            CashflowYear(2027, benefit=5, from_indicators=True),
            CashflowYear(2028, operation=math.nan, benefit_high=1, from_indicators=True),
        ])) == ["Year 2025: costs must not be negative.", NO_MONEY.format(year=2026), NO_MONEY.format(year=2027),
                NO_MONEY.format(year=2028), "Year 2028: every amount must be a number."]
    with read_session(engine) as session:
        _calculation, money = calculation_with_money(session=session, initiative_id=s.initiative_id)
    assert not money.gives_money and money.years == {}


def test_a_typed_range_must_hold_the_indicators_figure(engine):
    s = waits(engine)
    # 2026's figure is 4,080,000 and 2027's 9,180,000.
    assert refuse(engine, ValidationError, lambda session: save_calculation(
        session=session, actor=actor(session, s.world.lead), initiative_id=s.initiative_id, expected_version=None,
        discount_rate=0.03, years=[
            CashflowYear(2026, benefit_low=5_000_000, from_indicators=True),
            CashflowYear(2027, benefit_high=9_000_000, from_indicators=True),
            CashflowYear(2028, benefit_low=1, benefit_high=20_000_000, from_indicators=True),
        ])) == [RANGE.format(year=2026), RANGE.format(year=2027)]


def test_a_range_that_a_later_measurement_leaves_behind_widens_to_hold_it(engine):
    s = waits(engine)
    save(engine, s.world.lead, s.initiative_id, [
        CashflowYear(2028, benefit_low=14_000_000, benefit_high=16_000_000, from_indicators=True)])
    with write_session(engine) as session:
        make_measurement(session, session.get(Indicator, s.waits_id), period=date(2028, 1, 1), value=22.0)
    with read_session(engine) as session:
        view = get_calculation(session=session, initiative_id=s.initiative_id)
    # 18 minutes → 18,360,000, above the typed high: the high NPV is the expected one, never below it.
    assert view.result.npv == pytest.approx(18_360_000)
    assert (view.result.npv_low, view.result.npv_high) == pytest.approx((14_000_000, 18_360_000))


# ------------------------------------------------------------------ volumes


def test_the_volume_per_year_is_set_and_audited(engine):
    s = waits(engine, volume=None)
    with write_session(engine) as session:
        save_volumes(session=session, actor=actor(session, s.world.owner), initiative_id=s.initiative_id,
                     volumes=[VolumeInput(s.waits_id, 1, 1200), VolumeInput(s.unpriced_id, 1, None)])
    with read_session(engine) as session:
        indicator = session.get(Indicator, s.waits_id)
        unchanged = session.get(Indicator, s.unpriced_id)
    assert (indicator.volume_per_year, indicator.version, unchanged.version) == (1200, 2, 1)
    event = last_audit(engine)
    assert (event.action, event.entity_id, event.before, event.after) == (
        "indicator.set_volume", s.waits_id, {"volume_per_year": None}, {"volume_per_year": 1200})


def test_bad_volumes_are_refused_each_with_its_indicator(engine):
    s = waits(engine, volume=None)
    assert refuse(engine, ValidationError, lambda session: save_volumes(
        session=session, actor=actor(session, s.world.lead), initiative_id=s.initiative_id,
        volumes=[VolumeInput(s.waits_id, 1, -1), VolumeInput(s.unpriced_id, 1, math.nan)])) == [
        "WAIT: the volume per year must be zero or more.", "CALM: the volume per year must be zero or more."]
    with pytest.raises(ValidationError) as error:
        with write_session(engine) as session:
            save_volumes(session=session, actor=actor(session, s.world.lead), initiative_id=s.initiative_id,
                         volumes=[VolumeInput(s.waits_id, 1, math.inf)])
    assert [p.field for p in error.value.problems] == ["WAIT"]


def test_volumes_refuse_a_stale_indicator_another_initiatives_indicator_and_other_roles(engine):
    s = waits(engine, volume=None)
    assert refuse(engine, Conflict, lambda session: save_volumes(
        session=session, actor=actor(session, s.world.lead), initiative_id=s.initiative_id,
        volumes=[VolumeInput(s.waits_id, 7, 10)])) == [STALE_INDICATOR]
    with write_session(engine) as session:
        elsewhere = make_initiative(session, portfolio=s.world.portfolio, creator=s.world.lead, lead=s.world.lead,
                                    stage="pilot")
        foreign = make_indicator(session, make_benefit(session, elsewhere), code="ELSEWHERE", name="Elsewhere")
    assert refuse(engine, NotFound, lambda session: save_volumes(
        session=session, actor=actor(session, s.world.lead), initiative_id=s.initiative_id,
        volumes=[VolumeInput(foreign.id, 1, 10)])) == [f"There is no indicator number {foreign.id}."]
    for role in ("steering", "reporter", "admin", "stranger"):
        assert refuse(engine, PermissionDenied, lambda session: save_volumes(
            session=session, actor=actor(session, s.world.users[role]), initiative_id=s.initiative_id,
            volumes=[VolumeInput(s.waits_id, 1, 10)])) == [CALC_EDIT]

