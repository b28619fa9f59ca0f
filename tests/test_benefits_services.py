"""Benefits, indicators and the benefit calculation: validation, permissions, the baseline lock,
deviations, the figures read from measurements, and the saved calculation."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, Benefit, GateDecision, Indicator, IndicatorUpdate, Initiative
from portfolio import benefits_math
from portfolio.benefits import (
    BenefitInput,
    IndicatorInput,
    baseline_locked,
    benefits_of,
    create_benefit,
    create_indicator,
    explain_deviation,
    get_calculation,
    revise_baseline,
    save_calculation,
)
from portfolio.benefits_math import CashflowYear, Status
from portfolio.errors import Conflict, NotFound, PermissionDenied, ValidationError
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.gate_facts import benefit_facts
from portfolio.indicator_figures import indicator_summaries, unit_breakdown
from portfolio.permissions import Scope, allowed, refusal
from tests.factories import (
    World,
    actor,
    benefits_snapshot,
    make_benefit,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_user,
)

BENEFIT_EDIT = "Only the implementation lead or the portfolio owner may change the benefits of this initiative."
CALC_EDIT = "Only the implementation lead or the portfolio owner may change the benefit calculation."
LOCKED = "The baseline is locked because the pilot gate is passed; only the portfolio owner may change it."
REASON = "Give a reason for changing a locked baseline."
STALE_INDICATOR = ("Someone else changed this indicator while you were working on it. Nothing of yours was saved. "
                   "Reload the page to see the latest version and try again.")
STALE_CALC = ("Someone else changed this benefit calculation while you were working on it. Nothing of yours was "
              "saved. Reload the page to see the latest version and try again.")


@dataclass
class Setup:
    world: World
    benefit_owner: object
    benefit_id: int
    indicator_id: int


def build(engine, *, stage: str = "pilot") -> Setup:
    with write_session(engine) as session:
        world = World(session, stage=stage)
        benefit_owner = make_user(session, username="benefit-owner")
        benefit = make_benefit(session, world.initiative, owner=benefit_owner, title="Shorter waits")
        indicator = make_indicator(session, benefit, code="WAIT", name="Waiting days", direction="lower",
                                   baseline_value=200, target_value=0)
    return Setup(world, benefit_owner, benefit.id, indicator.id)


def refuse(engine, error_type, action) -> list[str]:
    """Run ``action(session)`` in one transaction; it must raise ``error_type`` and change nothing."""
    before = benefits_snapshot(engine)
    with pytest.raises(error_type) as error:
        with write_session(engine) as session:
            action(session)
    assert benefits_snapshot(engine) == before
    return [str(m) for m in error.value.messages]


def get_indicator(engine, indicator_id: int) -> Indicator:
    with read_session(engine) as session:
        return session.get(Indicator, indicator_id)


def last_audit(engine) -> AuditEvent:
    with read_session(engine) as session:
        return session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()


# ------------------------------------------------------------------ creating benefits and indicators


def test_create_benefit_reports_every_problem_together(engine):
    s = build(engine)

    def create(session):
        create_benefit(session=session, actor=actor(session, s.world.lead), initiative_id=s.world.initiative.id,
                       data=BenefitInput(title="  ", category="fame", recipient="nobody", kind="maybe",
                                         owner_id=99999, money_per_unit=-1))

    assert refuse(engine, ValidationError, create) == [
        "The title must not be empty.", "Choose a category.", "Choose a recipient.", "Choose benefit or dis-benefit.",
        "The benefit owner does not exist.", "The money value per unit must be zero or more.",
    ]


def test_create_benefit_refuses_non_finite_money(engine):
    s = build(engine)
    for money in (math.nan, math.inf):
        assert refuse(engine, ValidationError, lambda session: create_benefit(
            session=session, actor=actor(session, s.world.owner), initiative_id=s.world.initiative.id,
            data=BenefitInput(title="Money", category="cash_savings", recipient="organisation",
                              money_per_unit=money))) == ["The money value per unit must be zero or more."]


def test_create_benefit_writes_it_with_an_audit_event(engine):
    s = build(engine)
    with write_session(engine) as session:
        benefit = create_benefit(
            session=session, actor=actor(session, s.world.owner), initiative_id=s.world.initiative.id,
            data=BenefitInput(title="  Fewer calls  ", category="freed_capacity", recipient="staff",
                              kind="dis_benefit", owner_id=s.benefit_owner.id, money_per_unit=12.5,
                              planned_realisation_date=date(2026, 6, 30)))
    with read_session(engine) as session:
        stored = session.get(Benefit, benefit.id)
        assert (stored.title, stored.kind, stored.owner_id, stored.money_per_unit) == (
            "Fewer calls", "dis_benefit", s.benefit_owner.id, 12.5)
        assert [b.benefit.title for b in benefits_of(session, s.world.initiative.id)] == ["Shorter waits",
                                                                                         "Fewer calls"]
    event = last_audit(engine)
    assert (event.action, event.entity_id, event.initiative_id, event.user_id) == (
        "benefit.create", benefit.id, s.world.initiative.id, s.world.owner.id)
    assert event.after["planned_realisation_date"] == "2026-06-30"


def test_create_benefit_for_a_missing_initiative(engine):
    s = build(engine)
    assert refuse(engine, NotFound, lambda session: create_benefit(
        session=session, actor=actor(session, s.world.owner), initiative_id=99999,
        data=BenefitInput(title="X", category="cash_savings", recipient="staff"))) == [
        "There is no initiative number 99999."]


def test_create_indicator_reports_every_problem_together(engine):
    s = build(engine)

    def create(session):
        create_indicator(session=session, actor=actor(session, s.world.lead), benefit_id=s.benefit_id,
                         data=IndicatorInput(code=" ", name="", direction="up", frequency="hourly",
                                             aggregation="max", baseline_value=math.nan, amber_tolerance=0.5,
                                             red_tolerance=0.2, valid_min=10, valid_max=5, target_value=50))

    assert refuse(engine, ValidationError, create) == [
        "The indicator code must not be empty.",
        "The indicator name must not be empty.",
        "Choose whether higher or lower is better.",
        "Choose how often the indicator is measured.",
        "Choose how values combine across units.",
        "baseline_value must be a number.",
        "The tolerances must satisfy 0 ≤ amber ≤ red.",
        "The valid range is empty: its minimum is above its maximum.",
        "baseline_value is outside the valid range.",
        "target_value is outside the valid range.",
        "Give the date the baseline was measured.",
        "Give the date the target should be reached.",
    ]


def test_create_indicator_dates_and_range(engine):
    s = build(engine)
    assert refuse(engine, ValidationError, lambda session: create_indicator(
        session=session, actor=actor(session, s.world.lead), benefit_id=s.benefit_id,
        data=IndicatorInput(code="NEW", name="New", baseline_value=-1, baseline_date=date(2025, 6, 1),
                            target_value=5, target_date=date(2025, 6, 1), valid_min=0, amber_tolerance=-0.1))) == [
        "The tolerances must satisfy 0 ≤ amber ≤ red.",
        "baseline_value is outside the valid range.",
        "The target date must come after the baseline date.",
    ]


def test_duplicate_indicator_code(engine):
    s = build(engine)
    assert refuse(engine, ValidationError, lambda session: create_indicator(
        session=session, actor=actor(session, s.world.lead), benefit_id=s.benefit_id,
        data=IndicatorInput(code="  WAIT ", name="Again"))) == ["The indicator code WAIT is already used."]


def test_create_indicator_for_a_missing_benefit(engine):
    s = build(engine)
    assert refuse(engine, NotFound, lambda session: create_indicator(
        session=session, actor=actor(session, s.world.lead), benefit_id=99999,
        data=IndicatorInput(code="X", name="X"))) == ["There is no benefit number 99999."]


def test_create_indicator_stores_stripped_code_and_name(engine):
    s = build(engine)
    with write_session(engine) as session:
        indicator = create_indicator(session=session, actor=actor(session, s.world.owner), benefit_id=s.benefit_id,
                                     data=IndicatorInput(code=" CALLS ", name=" Calls ", frequency="week"))
    stored = get_indicator(engine, indicator.id)
    assert (stored.code, stored.name, stored.frequency, stored.version) == ("CALLS", "Calls", "week", 1)
    assert last_audit(engine).action == "indicator.create"


# ------------------------------------------------------------------ permissions

ROLES = ("owner", "lead", "steering", "reporter", "admin", "stranger", "benefit_owner")
# action -> the roles allowed (on the initiative, for a measurement of the initiative's own unit).
TABLE = {
    "benefit.edit": {"owner", "lead"},
    "calculation.edit": {"owner", "lead"},
    "deviation.explain": {"owner", "lead", "benefit_owner"},
    "measurement.report": {"owner", "lead", "reporter", "benefit_owner"},
    "baseline.revise_locked": {"owner"},
}
REFUSALS = {
    "benefit.edit": BENEFIT_EDIT,
    "calculation.edit": CALC_EDIT,
    "deviation.explain": "Only the implementation lead, the benefit owner or the portfolio owner may explain a deviation.",
    "measurement.report": "You may only report figures for your own units.",
    "baseline.revise_locked": LOCKED,
}


def test_permission_table(engine):
    s = build(engine)
    with read_session(engine) as session:
        actors = {role: actor(session, s.world.users[role]) for role in ROLES if role != "benefit_owner"}
        actors["benefit_owner"] = actor(session, s.benefit_owner)
    scope = Scope(portfolio_id=s.world.portfolio.id, lead_id=s.world.lead.id, org_unit_id=s.world.unit.id,
                  benefit_owner_ids=frozenset({s.benefit_owner.id}))
    got = {action: {role for role in ROLES if allowed(action, actors[role], scope)} for action in TABLE}
    assert got == TABLE
    for action, roles in TABLE.items():
        for role in set(ROLES) - roles:
            assert str(refusal(action, actors[role], scope)) == REFUSALS[action], (action, role)
    # Without a unit, reporting is for the whole initiative: the unit reporter may not.
    whole = Scope(portfolio_id=s.world.portfolio.id, lead_id=s.world.lead.id,
                  benefit_owner_ids=frozenset({s.benefit_owner.id}))
    assert {r for r in ROLES if allowed("measurement.report", actors[r], whole)} == {"owner", "lead", "benefit_owner"}
    # Another initiative of the same portfolio: the lead and benefit owner of this one have no say there.
    other = Scope(portfolio_id=s.world.portfolio.id, lead_id=None)
    assert {r for r in ROLES if allowed("benefit.edit", actors[r], other)} == {"owner"}
    assert str(refusal("benefit.edit", None, scope)) == "You must sign in first."


@pytest.mark.parametrize("role", ["steering", "reporter", "admin", "stranger", "benefit_owner"])
def test_benefit_actions_refuse_other_roles_and_change_nothing(engine, role):
    s = build(engine)
    user = s.benefit_owner if role == "benefit_owner" else s.world.users[role]
    assert refuse(engine, PermissionDenied, lambda session: make_benefit(session, s.world.initiative, by=user)) \
        == [BENEFIT_EDIT]
    assert refuse(engine, PermissionDenied, lambda session: create_indicator(
        session=session, actor=actor(session, user), benefit_id=s.benefit_id,
        data=IndicatorInput(code="NEW", name="New"))) == [BENEFIT_EDIT]
    assert refuse(engine, PermissionDenied, lambda session: save_calculation(
        session=session, actor=actor(session, user), initiative_id=s.world.initiative.id, expected_version=None,
        discount_rate=0.03, years=[CashflowYear(2025, investment=10)])) == [CALC_EDIT]
    assert refuse(engine, PermissionDenied, lambda session: revise_baseline(
        session=session, actor=actor(session, user), indicator_id=s.indicator_id, expected_version=1,
        baseline_value=150)) == [BENEFIT_EDIT]
    if role != "benefit_owner":
        assert refuse(engine, PermissionDenied, lambda session: explain_deviation(
            session=session, actor=actor(session, user), indicator_id=s.indicator_id, expected_version=1,
            explanation="x")) == [REFUSALS["deviation.explain"]]


# ------------------------------------------------------------------ baseline lock


def revise(engine, user, indicator_id, value, reason="", version=None):
    with write_session(engine) as session:
        v = version if version is not None else session.get(Indicator, indicator_id).version
        return revise_baseline(session=session, actor=actor(session, user), indicator_id=indicator_id,
                               expected_version=v, baseline_value=value, reason=reason)


def pass_pilot_gate(engine, s: Setup) -> None:
    """A real go from pilot to scale-up: measurement after the baseline, a calculation, the checklist done."""
    with write_session(engine) as session:
        make_measurement(session, session.get(Indicator, s.indicator_id), period=date(2025, 3, 1), value=150)
        save_calculation(session=session, actor=actor(session, s.world.lead), initiative_id=s.world.initiative.id,
                         expected_version=None, discount_rate=0.03, years=[CashflowYear(2025, investment=100)])
    with write_session(engine) as session:
        initiative = session.get(Initiative, s.world.initiative.id)
        record_gate_decision(session=session, actor=actor(session, s.world.owner), initiative_id=initiative.id,
                             expected_version=initiative.version,
                             data=DecisionInput("go", rationale="Every rule of the gate holds"))
    with read_session(engine) as session:
        assert session.get(Initiative, s.world.initiative.id).stage == "scale_up"
        assert baseline_locked(session, s.world.initiative.id)


def test_before_the_pilot_gate_the_lead_revises_the_baseline_without_reason(engine):
    s = build(engine)
    with read_session(engine) as session:
        assert not baseline_locked(session, s.world.initiative.id)
    revise(engine, s.world.lead, s.indicator_id, 180)
    indicator = get_indicator(engine, s.indicator_id)
    assert (indicator.baseline_value, indicator.original_baseline_value, indicator.version) == (180, None, 2)
    event = last_audit(engine)
    assert event.action == "indicator.revise_baseline"
    assert event.before == {"baseline_value": 200, "baseline_date": "2025-01-01", "original_baseline_value": None}
    assert event.after == {"baseline_value": 180, "baseline_date": "2025-01-01", "original_baseline_value": None,
                           "locked": False, "reason": ""}


def test_after_the_pilot_gate_only_the_owner_with_a_reason_revises_the_baseline(engine):
    s = build(engine)
    pass_pilot_gate(engine, s)
    version = get_indicator(engine, s.indicator_id).version
    assert refuse(engine, PermissionDenied, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.lead), indicator_id=s.indicator_id,
        expected_version=version, baseline_value=180, reason="Better data")) == [LOCKED]
    assert refuse(engine, ValidationError, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.owner), indicator_id=s.indicator_id,
        expected_version=version, baseline_value=180, reason="   ")) == [REASON]

    revise(engine, s.world.owner, s.indicator_id, 180, reason="  The register was corrected  ")
    indicator = get_indicator(engine, s.indicator_id)
    assert (indicator.baseline_value, indicator.original_baseline_value, indicator.version) == (180, 200, version + 1)
    event = last_audit(engine)
    assert event.before == {"baseline_value": 200, "baseline_date": "2025-01-01", "original_baseline_value": None}
    assert event.after == {"baseline_value": 180, "baseline_date": "2025-01-01", "original_baseline_value": 200,
                           "locked": True, "reason": "The register was corrected"}

    # A second revision keeps the very first baseline as the original.
    revise(engine, s.world.owner, s.indicator_id, 170, reason="Again")
    indicator = get_indicator(engine, s.indicator_id)
    assert (indicator.baseline_value, indicator.original_baseline_value) == (170, 200)


@pytest.mark.parametrize("outcome", ["go", "conditional_go", "fast_track"])
def test_a_forward_decision_into_scale_up_locks_the_baseline(engine, outcome):
    s = build(engine)
    with write_session(engine) as session:
        session.add(GateDecision(initiative_id=s.world.initiative.id, outcome=outcome,
                                 from_stage="idea" if outcome == "fast_track" else "pilot", to_stage="scale_up",
                                 decided_by_id=s.world.owner.id))
    assert refuse(engine, PermissionDenied, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.lead), indicator_id=s.indicator_id, expected_version=1,
        baseline_value=180)) == [LOCKED]
    assert refuse(engine, ValidationError, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.owner), indicator_id=s.indicator_id, expected_version=1,
        baseline_value=180)) == [REASON]


def test_decisions_that_do_not_pass_the_pilot_gate_do_not_lock(engine):
    s = build(engine)
    with write_session(engine) as session:
        for outcome, to_stage in (("hold", "pilot"), ("recycle", "concept"), ("go", "pilot")):
            session.add(GateDecision(initiative_id=s.world.initiative.id, outcome=outcome,
                                     from_stage="concept" if to_stage == "pilot" else "pilot", to_stage=to_stage,
                                     decided_by_id=s.world.owner.id))
    revise(engine, s.world.lead, s.indicator_id, 190)
    assert get_indicator(engine, s.indicator_id).original_baseline_value is None


def test_baseline_revision_validates_the_value_and_both_problems_are_listed(engine):
    s = build(engine)
    with write_session(engine) as session:
        indicator = session.get(Indicator, s.indicator_id)
        indicator.valid_min, indicator.valid_max = 0, 500
        session.add(GateDecision(initiative_id=s.world.initiative.id, outcome="go", from_stage="pilot",
                                 to_stage="scale_up", decided_by_id=s.world.owner.id))
    assert refuse(engine, ValidationError, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.owner), indicator_id=s.indicator_id, expected_version=1,
        baseline_value=600)) == ["baseline_value is outside the valid range.", REASON]
    assert refuse(engine, ValidationError, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.owner), indicator_id=s.indicator_id, expected_version=1,
        baseline_value=math.nan, reason="x")) == ["baseline_value must be a number."]


def test_a_revised_baseline_must_leave_the_target_on_the_side_the_indicator_points_to(engine):
    """Lower is better, target 0: a baseline revised to below the target would make getting worse look
    like progress. Refused with the direction in words, nothing changed; a baseline equal to the target
    (hold the level) is accepted."""
    s = build(engine)
    before = benefits_snapshot(engine)
    assert refuse(engine, ValidationError, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.lead), indicator_id=s.indicator_id, expected_version=1,
        baseline_value=-5)) == ["The target must be below the baseline, because lower is better for this indicator."]
    assert benefits_snapshot(engine) == before
    revise(engine, s.world.lead, s.indicator_id, 0)


def test_stale_version_conflicts(engine):
    s = build(engine)
    revise(engine, s.world.lead, s.indicator_id, 190)  # now version 2
    assert refuse(engine, Conflict, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.lead), indicator_id=s.indicator_id, expected_version=1,
        baseline_value=180)) == [STALE_INDICATOR]
    assert refuse(engine, Conflict, lambda session: explain_deviation(
        session=session, actor=actor(session, s.world.lead), indicator_id=s.indicator_id, expected_version=1,
        explanation="x")) == [STALE_INDICATOR]
    assert refuse(engine, NotFound, lambda session: revise_baseline(
        session=session, actor=actor(session, s.world.lead), indicator_id=99999, expected_version=1,
        baseline_value=180)) == ["There is no indicator number 99999."]


@pytest.mark.parametrize("role", ["lead", "owner", "benefit_owner"])
def test_explain_deviation(engine, role):
    s = build(engine)
    user = s.benefit_owner if role == "benefit_owner" else s.world.users[role]
    with write_session(engine) as session:
        explain_deviation(session=session, actor=actor(session, user), indicator_id=s.indicator_id,
                          expected_version=1, explanation="  Staff shortage in the autumn.  ")
    indicator = get_indicator(engine, s.indicator_id)
    assert (indicator.deviation_explanation, indicator.version) == ("Staff shortage in the autumn.", 2)
    event = last_audit(engine)
    assert (event.action, event.user_id, event.before, event.after) == (
        "indicator.explain_deviation", user.id, {"deviation_explanation": ""},
        {"deviation_explanation": "Staff shortage in the autumn."})


# ------------------------------------------------------------------ figures


def test_indicator_summaries(engine):
    with write_session(engine) as session:
        world = World(session, stage="scale_up")
        north, south = make_org_unit(session, name="North"), make_org_unit(session, name="South")
        benefit = make_benefit(session, world.initiative)
        falling = make_indicator(session, benefit, code="FALL", name="Falling", direction="lower",
                                 baseline_value=200, target_value=0, aggregation="sum")
        mean = make_indicator(session, benefit, code="MEAN", name="Mean", direction="higher",
                              baseline_value=10, target_value=20, aggregation="mean")
        empty = make_indicator(session, benefit, code="EMPTY", name="No data", frequency="quarter")
        for period, n, s_ in ((date(2025, 4, 1), 80, 90), (date(2025, 6, 1), 60, 40)):
            make_measurement(session, falling, period=period, value=n, org_unit=north)
            make_measurement(session, falling, period=period, value=s_, org_unit=south)
        make_measurement(session, mean, period=date(2025, 9, 1), value=11, org_unit=north)
        make_measurement(session, mean, period=date(2025, 9, 1), value=13, org_unit=south)
        initiative_id = world.initiative.id
    with read_session(engine) as session:
        summaries = indicator_summaries(session=session, initiative_id=initiative_id, today=date(2025, 10, 15))
    by_code = {s.indicator.code: s for s in summaries}
    assert [s.indicator.code for s in summaries] == ["FALL", "MEAN", "EMPTY"]

    fall = by_code["FALL"]
    assert fall.series == [(date(2025, 4, 1), 170.0), (date(2025, 6, 1), 100.0)]  # sums per period
    assert (fall.latest_period, fall.latest_value, fall.progress) == (date(2025, 6, 1), 100.0, 0.5)
    assert fall.status is Status.GREEN  # 100 is ahead of the plan (about 117 on 1 June)
    assert fall.overdue  # monthly, last measured in June, now mid-October

    m = by_code["MEAN"]
    assert m.series == [(date(2025, 9, 1), 12.0)]  # the mean of 11 and 13
    assert m.progress == pytest.approx(0.2)
    # The plan on 1 September is about 16.7; 12 is about 47 % of the distance behind: red.
    assert m.status is Status.RED
    assert not m.overdue  # September is the last completed month

    e = by_code["EMPTY"]
    assert (e.series, e.latest_value, e.progress, e.status) == ([], None, None, Status.UNKNOWN)
    assert e.overdue


def test_indicator_summaries_amber_and_no_dates(engine):
    with write_session(engine) as session:
        world = World(session)
        benefit = make_benefit(session, world.initiative)
        # Baseline 0 on 2025-01-01, target 100 on 2026-01-01: the plan on 2025-07-01 is about 49.6.
        amber = make_indicator(session, benefit, code="AMB", baseline_value=0, target_value=100,
                               amber_tolerance=0.1, red_tolerance=0.25)
        undated = make_indicator(session, benefit, code="UND")
        make_measurement(session, amber, period=date(2025, 7, 1), value=35)
        make_measurement(session, undated, period=date(2025, 7, 1), value=35)
        initiative_id = world.initiative.id
    with read_session(engine) as session:
        a, u = indicator_summaries(session=session, initiative_id=initiative_id, today=date(2025, 7, 20))
    assert (a.progress, a.status, a.overdue) == (0.35, Status.AMBER, False)
    assert (u.progress, u.status) == (None, Status.UNKNOWN)


def test_indicator_summaries_of_an_initiative_without_indicators(engine):
    s = build(engine)
    with write_session(engine) as session:
        other = make_initiative(session, portfolio=s.world.portfolio, creator=s.world.lead)
    with read_session(engine) as session:
        assert indicator_summaries(session=session, initiative_id=other.id) == []
        assert indicator_summaries(session=session, initiative_id=99999) == []


def test_unit_breakdown_rolls_values_up_the_org_tree(engine):
    with write_session(engine) as session:
        world = World(session)
        region = make_org_unit(session, name="Region")
        hospital_a = make_org_unit(session, name="A hospital", parent=region)
        hospital_b = make_org_unit(session, name="B hospital", parent=region)
        make_org_unit(session, name="C hospital without data", parent=region)
        a1 = make_org_unit(session, name="A1 ward", parent=hospital_a)
        a2 = make_org_unit(session, name="A2 ward", parent=hospital_a)
        b1 = make_org_unit(session, name="B1 ward", parent=hospital_b)
        benefit = make_benefit(session, world.initiative)
        total = make_indicator(session, benefit, code="SUM", aggregation="sum")
        mean = make_indicator(session, benefit, code="MEAN", aggregation="mean")
        june, july = date(2025, 6, 1), date(2025, 7, 1)
        for unit, value in ((a1, 10), (a2, 20), (b1, 60)):
            make_measurement(session, total, period=july, value=value, org_unit=unit)
            make_measurement(session, mean, period=july, value=value, org_unit=unit)
        make_measurement(session, total, period=june, value=1, org_unit=a1)
        make_measurement(session, total, period=july, value=999)  # whole initiative: not a unit figure
        ids = (total.id, mean.id)
        names = {u.id: u.name for u in (region, hospital_a, hospital_b, a1, a2, b1)}
    with read_session(engine) as session:
        sums = unit_breakdown(session=session, indicator_id=ids[0])
        means = unit_breakdown(session=session, indicator_id=ids[1])
        earlier = unit_breakdown(session=session, indicator_id=ids[0], period=june)
        nothing = unit_breakdown(session=session, indicator_id=ids[0], period=date(2020, 1, 1))
        missing = unit_breakdown(session=session, indicator_id=99999)
    assert [(f.name, f.depth, f.value, f.reporting_units) for f in sums] == [
        ("Region", 0, 90.0, 3), ("A hospital", 1, 30.0, 2), ("A1 ward", 2, 10.0, 1), ("A2 ward", 2, 20.0, 1),
        ("B hospital", 1, 60.0, 1), ("B1 ward", 2, 60.0, 1)]
    # The mean of all leaf values (10, 20, 60), not the mean of the hospitals' means (15, 60).
    assert [(f.name, f.value) for f in means] == [
        ("Region", 30.0), ("A hospital", 15.0), ("A1 ward", 10.0), ("A2 ward", 20.0), ("B hospital", 60.0),
        ("B1 ward", 60.0)]
    assert {f.org_unit_id for f in sums} == set(names)
    assert [(f.name, f.depth, f.value) for f in earlier] == [("Region", 0, 1.0), ("A hospital", 1, 1.0),
                                                             ("A1 ward", 2, 1.0)]
    assert nothing == [] and missing == []


def test_unit_breakdown_counts_a_parent_s_own_value(engine):
    with write_session(engine) as session:
        world = World(session)
        parent = make_org_unit(session, name="Parent")
        child = make_org_unit(session, name="Child", parent=parent)
        benefit = make_benefit(session, world.initiative)
        total = make_indicator(session, benefit, code="SUM", aggregation="sum")
        mean = make_indicator(session, benefit, code="MEAN", aggregation="mean")
        for indicator in (total, mean):
            make_measurement(session, indicator, period=date(2025, 7, 1), value=4, org_unit=parent)
            make_measurement(session, indicator, period=date(2025, 7, 1), value=8, org_unit=child)
        ids = (total.id, mean.id)
    with read_session(engine) as session:
        assert [(f.name, f.value) for f in unit_breakdown(session=session, indicator_id=ids[0])] == [
            ("Parent", 12.0), ("Child", 8.0)]
        assert [(f.name, f.value) for f in unit_breakdown(session=session, indicator_id=ids[1])] == [
            ("Parent", 6.0), ("Child", 8.0)]


# ------------------------------------------------------------------ benefit calculation

YEARS = [
    CashflowYear(2025, investment=1000, operation=100, benefit=0),
    CashflowYear(2026, operation=100, benefit=800, benefit_low=600, benefit_high=1000),
    CashflowYear(2027, operation=100, benefit=700, benefit_low=500, benefit_high=900),
]


def save(engine, user, initiative_id, years, *, version=None, rate=0.03):
    with write_session(engine) as session:
        return save_calculation(session=session, actor=actor(session, user), initiative_id=initiative_id,
                                expected_version=version, discount_rate=rate, years=years)


def test_save_and_get_calculation(engine):
    s = build(engine)
    with read_session(engine) as session:
        assert get_calculation(session=session, initiative_id=s.world.initiative.id) is None
    view = save(engine, s.world.lead, s.world.initiative.id, list(reversed(YEARS)))
    with read_session(engine) as session:
        stored = get_calculation(session=session, initiative_id=s.world.initiative.id)
    assert stored == view
    assert (stored.discount_rate, stored.version, [y.year for y in stored.years]) == (0.03, 1, [2025, 2026, 2027])
    assert stored.result == benefits_math.calculate(YEARS)  # 3 % is the default rate
    npv = -1100 + 700 / 1.03 + 600 / 1.03 ** 2
    assert stored.result.npv == pytest.approx(npv)
    assert stored.result.npv == pytest.approx(145.17, abs=0.01)
    assert stored.result.npv_low == pytest.approx(-1100 + 500 / 1.03 + 400 / 1.03 ** 2)
    assert stored.result.npv_high == pytest.approx(-1100 + 900 / 1.03 + 800 / 1.03 ** 2)
    assert stored.result.payback_year == 2027
    event = last_audit(engine)
    assert (event.action, event.before) == ("calculation.save", None)
    assert event.after["discount_rate"] == 0.03 and [y["year"] for y in event.after["years"]] == [2027, 2026, 2025]


def test_calculation_validation_lists_every_problem(engine):
    s = build(engine)
    years = [
        CashflowYear(2025, investment=-1),
        CashflowYear(2026, benefit=100, benefit_low=150),
        CashflowYear(2026, benefit=100, benefit_high=50),
        CashflowYear(2027, operation=-5, benefit=10),
        CashflowYear(2028, benefit=math.inf),
    ]
    assert refuse(engine, ValidationError, lambda session: save_calculation(
        session=session, actor=actor(session, s.world.lead), initiative_id=s.world.initiative.id,
        expected_version=None, discount_rate=1.5, years=years)) == [
        "The discount rate must be between 0 % and 100 %.",
        "Year 2025: costs must not be negative.",
        "Year 2026: the low benefit must not exceed the expected one, nor the expected the high one.",
        "Year 2026 appears more than once.",
        "Year 2026: the low benefit must not exceed the expected one, nor the expected the high one.",
        "Year 2027: costs must not be negative.",
        "Year 2028: every amount must be a number.",
    ]
    assert refuse(engine, ValidationError, lambda session: save_calculation(
        session=session, actor=actor(session, s.world.lead), initiative_id=s.world.initiative.id,
        expected_version=None, discount_rate=math.nan, years=[])) == [
        "The discount rate must be between 0 % and 100 %."]


def test_replacing_a_calculation_audits_before_and_after_and_refuses_a_stale_version(engine):
    s = build(engine)
    save(engine, s.world.lead, s.world.initiative.id, YEARS)
    new_years = [CashflowYear(2025, investment=500), CashflowYear(2026, benefit=800)]
    view = save(engine, s.world.owner, s.world.initiative.id, new_years, version=1, rate=0.05)
    assert (view.version, view.discount_rate, view.years) == (2, 0.05, new_years)
    assert view.result == benefits_math.calculate(new_years, 0.05)
    assert view.result.payback_year == 2026
    event = last_audit(engine)
    assert event.before == {"discount_rate": 0.03, "years": [
        {"year": 2025, "investment": 1000, "operation": 100, "benefit": 0, "benefit_low": None, "benefit_high": None,
         "from_indicators": False},
        {"year": 2026, "investment": 0, "operation": 100, "benefit": 800, "benefit_low": 600, "benefit_high": 1000,
         "from_indicators": False},
        {"year": 2027, "investment": 0, "operation": 100, "benefit": 700, "benefit_low": 500, "benefit_high": 900,
         "from_indicators": False},
    ]}
    assert event.after == {"discount_rate": 0.05, "years": [
        {"year": 2025, "investment": 500, "operation": 0, "benefit": 0, "benefit_low": None, "benefit_high": None,
         "from_indicators": False},
        {"year": 2026, "investment": 0, "operation": 0, "benefit": 800, "benefit_low": None, "benefit_high": None,
         "from_indicators": False},
    ]}
    # Someone who read version 1 (or who saw no calculation at all) may not overwrite version 2.
    for stale in (1, None):
        assert refuse(engine, Conflict, lambda session: save_calculation(
            session=session, actor=actor(session, s.world.lead), initiative_id=s.world.initiative.id,
            expected_version=stale, discount_rate=0.03, years=YEARS)) == [STALE_CALC]


def test_a_whole_initiative_value_is_the_period_figure_not_added_to_the_units(engine):
    with write_session(engine) as session:
        world = World(session, stage="pilot")
        benefit = make_benefit(session, world.initiative)
        indicator = make_indicator(session, benefit, aggregation="sum", frequency="month",
                                   baseline_value=0.0, target_value=100.0)
        other = make_org_unit(session)
        for unit, value in ((world.unit, 10.0), (other, 20.0)):
            make_measurement(session, indicator, period=date(2025, 3, 1), value=value, org_unit=unit)
            make_measurement(session, indicator, period=date(2025, 4, 1), value=value, org_unit=unit)
        make_measurement(session, indicator, period=date(2025, 4, 1), value=35.0)
        initiative_id = world.initiative.id
    with read_session(engine) as session:
        [summary] = indicator_summaries(session=session, initiative_id=initiative_id, today=date(2025, 4, 20))
        facts = benefit_facts(session, [initiative_id])[initiative_id]
    assert summary.series == [(date(2025, 3, 1), 30.0), (date(2025, 4, 1), 35.0)]
    assert summary.latest_value == 35.0
    assert facts.indicators[0].measured_after_baseline


def _benefit_data(**fields) -> BenefitInput:
    return BenefitInput(**{"title": "Shorter waits", "category": "access_waiting_times",
                           "recipient": "patients_citizens", **fields})


@pytest.mark.parametrize("role, allowed_to", [("owner", True), ("lead", True), ("steering", False),
                                              ("reporter", False), ("admin", False), ("stranger", False)])
def test_update_benefit_by_role(engine, role, allowed_to):
    from portfolio.benefits import update_benefit

    s = build(engine)

    def change(session):
        return update_benefit(session=session, actor=actor(session, s.world.users[role]), benefit_id=s.benefit_id,
                              expected_version=1, data=_benefit_data(owner_id=s.world.steering.id))

    if not allowed_to:
        assert refuse(engine, PermissionDenied, change) == [BENEFIT_EDIT]
        return
    with write_session(engine) as session:
        change(session)
    with read_session(engine) as session:
        stored = session.get(Benefit, s.benefit_id)
    assert (stored.owner_id, stored.version) == (s.world.steering.id, 2)
    event = last_audit(engine)
    assert (event.action, event.before, event.after) == (
        "benefit.update", {"owner_id": s.benefit_owner.id}, {"owner_id": s.world.steering.id})


def test_update_benefit_refuses_stale_and_bad_input(engine):
    from portfolio.benefits import update_benefit

    s = build(engine)
    assert refuse(engine, Conflict, lambda session: update_benefit(
        session=session, actor=actor(session, s.world.lead), benefit_id=s.benefit_id, expected_version=7,
        data=_benefit_data())) == [
        "Someone else changed this benefit while you were working on it. Nothing of yours was saved. "
        "Reload the page to see the latest version and try again."]
    assert refuse(engine, ValidationError, lambda session: update_benefit(
        session=session, actor=actor(session, s.world.lead), benefit_id=s.benefit_id, expected_version=1,
        data=_benefit_data(title=" ", category="fame"))) == ["The title must not be empty.", "Choose a category."]


def _indicator_data(engine, indicator_id: int, **changes) -> IndicatorUpdate:
    """The indicator's current values as the edit form sends them, with ``changes``."""
    with read_session(engine) as session:
        return IndicatorUpdate.model_validate(session.get(Indicator, indicator_id), update=changes)


def test_update_indicator_changes_its_description_and_target(engine):
    from portfolio.benefits import update_indicator

    s = build(engine)
    data = _indicator_data(engine, s.indicator_id, name="Days to first contact", target_value=20.0,
                           amber_tolerance=0.05, red_tolerance=0.2)
    with write_session(engine) as session:
        update_indicator(session=session, actor=actor(session, s.world.owner), indicator_id=s.indicator_id,
                         expected_version=1, data=data)
    with read_session(engine) as session:
        stored = session.get(Indicator, s.indicator_id)
    assert (stored.name, stored.target_value, stored.amber_tolerance, stored.version) == (
        "Days to first contact", 20.0, 0.05, 2)
    event = last_audit(engine)
    assert (event.action, event.before) == (
        "indicator.update", {"name": "Waiting days", "target_value": 0.0, "amber_tolerance": 0.1,
                             "red_tolerance": 0.25})


def test_update_indicator_keeps_baseline_code_and_frequency_in_their_place(engine):
    from portfolio.benefits import update_indicator

    s = build(engine)
    with write_session(engine) as session:
        indicator = session.get(Indicator, s.indicator_id)
        make_measurement(session, indicator, period=date(2025, 3, 1), value=150.0)
    data = _indicator_data(engine, s.indicator_id, baseline_value=180.0, code="WAIT-2", frequency="week")
    assert refuse(engine, ValidationError, lambda session: update_indicator(
        session=session, actor=actor(session, s.world.lead), indicator_id=s.indicator_id, expected_version=1,
        data=data)) == [
        "The baseline is changed with its own form, which records why.",
        "The code cannot change once values are reported with it.",
        "The frequency cannot change once values are reported for its periods.",
    ]
    assert refuse(engine, PermissionDenied, lambda session: update_indicator(
        session=session, actor=actor(session, s.world.steering), indicator_id=s.indicator_id, expected_version=1,
        data=_indicator_data(engine, s.indicator_id))) == [BENEFIT_EDIT]
    assert refuse(engine, Conflict, lambda session: update_indicator(
        session=session, actor=actor(session, s.world.lead), indicator_id=s.indicator_id, expected_version=5,
        data=_indicator_data(engine, s.indicator_id)))[0].startswith("Someone else changed this indicator")
