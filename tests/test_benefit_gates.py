"""The four benefit gate rules, through gate_status, decision_options and record_gate_decision:
a go is refused with exactly the unmet rules and changes nothing, and passes once they are met."""

from __future__ import annotations

from datetime import date

import pytest

from db.engine import read_session, write_session
from db.models import Benefit, GateDecision, Initiative
from portfolio.benefits import explain_deviation, save_calculation
from portfolio.benefits_math import CashflowYear
from portfolio.errors import RuleViolation
from portfolio.gates import DecisionInput, decision_options, gate_status, record_gate_decision
from tests.factories import (
    World,
    actor,
    benefits_snapshot,
    make_benefit,
    make_indicator,
    make_measurement,
    make_org_unit,
    make_user,
    snapshot,
)

NO_BASELINE_AND_TARGET = "No indicator has both a baseline and a target."
NO_CALCULATION = "There is no benefit calculation."
NO_INDICATORS = "The initiative has no indicators to measure."
NO_BENEFITS = "The initiative has no benefits."


def status_and_options(engine, world: World) -> tuple[list[str], list[str]]:
    """The unmet rules of a go, and the outcomes the decision owner is offered."""
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        unmet = [str(m) for m in gate_status(session=session, initiative=initiative).unmet("go")]
        options = decision_options(session=session, actor=actor(session, world.owner), initiative=initiative)
    assert options.refusal is None
    assert [str(m) for m in options.status.unmet("go")] == unmet
    return unmet, options.outcomes


RATIONALE = "Every rule of the gate holds"


def go(engine, world: World, outcome: str = "go", **fields) -> GateDecision:
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        return record_gate_decision(session=session, actor=actor(session, world.owner), initiative_id=initiative.id,
                                    expected_version=initiative.version,
                                    data=DecisionInput(outcome, **{"rationale": RATIONALE, **fields}))


def assert_go_refused(engine, world: World, messages: list[str]) -> None:
    """gate_status, decision_options and record_gate_decision agree: the go is refused with exactly
    ``messages`` and nothing changes."""
    unmet, outcomes = status_and_options(engine, world)
    assert unmet == messages
    assert "go" not in outcomes and "conditional_go" not in outcomes
    assert {"hold", "stop"} <= set(outcomes)
    before = (snapshot(engine, world.initiative.id), benefits_snapshot(engine))
    for outcome, fields in (("go", {}), ("conditional_go", {"conditions": "Report in May"})):
        with pytest.raises(RuleViolation) as error:
            go(engine, world, outcome, **fields)
        assert [str(m) for m in error.value.messages] == messages
        assert (snapshot(engine, world.initiative.id), benefits_snapshot(engine)) == before


def assert_go_passes(engine, world: World, to_stage: str) -> None:
    unmet, outcomes = status_and_options(engine, world)
    assert unmet == []
    assert outcomes[:2] == ["go", "conditional_go"]
    decision = go(engine, world, rationale="The rules hold")
    assert (decision.from_stage, decision.to_stage, decision.outcome) == (world.initiative.stage, to_stage, "go")
    with read_session(engine) as session:
        assert session.get(Initiative, world.initiative.id).stage == to_stage


# ------------------------------------------------------------------ concept -> pilot


def test_concept_gate_needs_an_indicator_with_baseline_and_target(engine):
    with write_session(engine) as session:
        world = World(session, stage="concept", ready=True)
    assert_go_refused(engine, world, [NO_BASELINE_AND_TARGET])

    with write_session(engine) as session:
        benefit = make_benefit(session, world.initiative)
        make_indicator(session, benefit, name="Baseline only", baseline_value=10)
        make_indicator(session, benefit, name="Target only", target_value=20)
    assert_go_refused(engine, world, [NO_BASELINE_AND_TARGET])

    with write_session(engine) as session:
        make_indicator(session, session.get(Benefit, benefit.id), name="Both", baseline_value=0, target_value=0)
    assert_go_passes(engine, world, "pilot")


def test_concept_gate_lists_the_checklist_beside_the_benefit_rule(engine):
    with write_session(engine) as session:
        world = World(session, stage="concept", ready=False)
    unmet, _ = status_and_options(engine, world)
    assert unmet[0] == NO_BASELINE_AND_TARGET
    assert len(unmet) == 2 and unmet[1].startswith("The checklist for Concept is not complete: 4 required items")


# ------------------------------------------------------------------ pilot -> scale-up


def test_pilot_gate_needs_measurements_after_the_baseline_and_a_calculation(engine):
    with write_session(engine) as session:
        world = World(session, stage="pilot", ready=True)
    assert_go_refused(engine, world, [NO_INDICATORS, NO_CALCULATION])

    with write_session(engine) as session:
        benefit = make_benefit(session, world.initiative)
        early = make_indicator(session, benefit, name="Waiting days", direction="lower", baseline_value=30,
                               baseline_date=date(2025, 3, 15), target_value=10)
        never = make_indicator(session, benefit, name="Calls answered", baseline_value=50, target_value=80)
        undated = make_indicator(session, benefit, name="No baseline")
        # The March period starts before the baseline date, so it is not a measurement after the baseline.
        make_measurement(session, early, period=date(2025, 3, 1), value=28)
        make_measurement(session, undated, period=date(2024, 1, 1), value=1)
    assert_go_refused(engine, world, [
        "These indicators have no measurement after their baseline: Waiting days; Calls answered.", NO_CALCULATION])

    with write_session(engine) as session:
        make_measurement(session, early, period=date(2025, 4, 1), value=25)
        make_measurement(session, never, period=date(2025, 2, 1), value=55)
        # A calculation without any year is no calculation.
        save_calculation(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                         expected_version=None, discount_rate=0.03, years=[])
    assert_go_refused(engine, world, [NO_CALCULATION])

    with write_session(engine) as session:
        save_calculation(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                         expected_version=1, discount_rate=0.03,
                         years=[CashflowYear(2025, investment=100), CashflowYear(2026, benefit=200)])
    assert_go_passes(engine, world, "scale_up")


# ------------------------------------------------------------------ scale-up -> benefits realisation


def test_scale_up_gate_needs_a_benefit_owner_for_every_benefit(engine):
    with write_session(engine) as session:
        world = World(session, stage="scale_up", ready=True)
    assert_go_refused(engine, world, [NO_BENEFITS])

    with write_session(engine) as session:
        manager = make_user(session, username="line-manager")
        first = make_benefit(session, world.initiative, title="Shorter waits")
        second = make_benefit(session, world.initiative, title="Fewer calls")
        owned = make_benefit(session, world.initiative, title="Safer care", owner=manager)
        for benefit in (first, second, owned):
            make_indicator(session, benefit)
    assert_go_refused(engine, world, ["These benefits have no benefit owner: Shorter waits; Fewer calls."])

    with write_session(engine) as session:
        benefit = session.get(Benefit, first.id)
        benefit.owner_id = manager.id
        session.add(benefit)
    assert_go_refused(engine, world, ["These benefits have no benefit owner: Fewer calls."])

    with write_session(engine) as session:
        benefit = session.get(Benefit, second.id)
        benefit.owner_id = world.steering.id
        session.add(benefit)
    assert_go_passes(engine, world, "benefits_realisation")


def test_scale_up_gate_names_benefits_without_indicators(engine):
    with write_session(engine) as session:
        world = World(session, stage="scale_up", ready=True)
        make_benefit(session, world.initiative, title="Unowned")
        make_benefit(session, world.initiative, title="Unmeasured", owner=world.steering)
    assert_go_refused(engine, world, [
        "These benefits have no benefit owner: Unowned. These have no indicator with a measurement schedule: "
        "Unowned; Unmeasured."])


# ------------------------------------------------------------------ benefits realisation -> realised


def test_realisation_gate_needs_every_indicator_at_target_or_explained(engine):
    with write_session(engine) as session:
        world = World(session, stage="benefits_realisation", ready=True)
        benefit = make_benefit(session, world.initiative, owner=world.steering)
        waits = make_indicator(session, benefit, name="Waiting days", direction="lower", baseline_value=30,
                               target_value=10)
        calls = make_indicator(session, benefit, name="Calls answered", baseline_value=50, target_value=80)
        unmeasured = make_indicator(session, benefit, name="Satisfaction", baseline_value=3, target_value=4)
        make_measurement(session, waits, period=date(2025, 6, 1), value=12)   # 90 % of the way
        make_measurement(session, calls, period=date(2025, 6, 1), value=70)
    assert_go_refused(engine, world, [
        "These indicators are not at their target and the deviation is not explained: "
        "Waiting days; Calls answered; Satisfaction."])

    with write_session(engine) as session:
        make_measurement(session, waits, period=date(2025, 7, 1), value=10)   # the latest value is at target
        make_measurement(session, calls, period=date(2025, 7, 1), value=90)   # beyond the target counts too
        # Whitespace is no explanation.
        explain_deviation(session=session, actor=actor(session, world.lead), indicator_id=unmeasured.id,
                          expected_version=1, explanation="   ")
    assert_go_refused(engine, world, [
        "These indicators are not at their target and the deviation is not explained: Satisfaction."])

    with write_session(engine) as session:
        explain_deviation(session=session, actor=actor(session, world.steering), indicator_id=unmeasured.id,
                          expected_version=2, explanation="The survey was cancelled this year.")
    assert_go_passes(engine, world, "realised")


def test_realisation_gate_uses_the_latest_combined_value(engine):
    with write_session(engine) as session:
        world = World(session, stage="benefits_realisation", ready=True)
        north, south = (make_benefit(session, world.initiative, owner=world.steering),
                        make_benefit(session, world.initiative, owner=world.steering))
        a, b = make_org_unit(session, name="A"), make_org_unit(session, name="B")
        total = make_indicator(session, north, name="Visits", baseline_value=0, target_value=100,
                               aggregation="sum")
        mean = make_indicator(session, south, name="Score", baseline_value=0, target_value=100,
                              aggregation="mean")
        for indicator in (total, mean):
            make_measurement(session, indicator, period=date(2025, 6, 1), value=60, org_unit=a)
            make_measurement(session, indicator, period=date(2025, 6, 1), value=60, org_unit=b)
            make_measurement(session, indicator, period=date(2025, 5, 1), value=500, org_unit=a)
    # Visits: 60 + 60 = 120 in June (at target). Score: the mean of June is 60 (not at target), whatever May was.
    assert_go_refused(engine, world, [
        "These indicators are not at their target and the deviation is not explained: Score."])
