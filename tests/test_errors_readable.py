"""Errors a person can read: text a database cannot store (a NUL byte, other control characters, half a
surrogate pair) or text longer than allowed is refused with the product's message by every action that
stores free text, never with a database error; a link to an id no initiative can have says so."""

from __future__ import annotations

import pytest

from db.engine import read_session, write_session
from portfolio.benefits import BenefitInput, IndicatorInput, create_benefit, create_indicator, explain_deviation, \
    revise_baseline
from portfolio.checklists import ChecklistChange, update_checklist
from portfolio.errors import TEXT_MAX, NotFound, ValidationError
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.initiative_view import initiative_view
from portfolio.initiatives import InitiativeCreate, create_initiative, update_initiative
from tests.factories import World, actor, assert_refused, benefits_snapshot, checklist_items, make_benefit, \
    make_indicator

NUL = "Digital\x00triage"
LONG = "x" * (TEXT_MAX + 1)


def _control(field: str) -> str:
    return f"{field} must not contain control characters."


def _long(field: str, count: int = TEXT_MAX) -> str:
    return f"{field} may have at most {count} characters."


@pytest.fixture
def world(engine):
    with write_session(engine) as session:
        world = World(session)
        benefit = make_benefit(session, world.initiative)
        world.indicator = make_indicator(session, benefit, baseline_value=10.0, target_value=20.0)
        return world


def _as(session, user):
    return actor(session, user)


# name -> (action(session, world), the messages of the refusal)
CASES = {
    "new idea: NUL in the title": (
        lambda s, w: create_initiative(session=s, actor=_as(s, w.lead), data=InitiativeCreate(
            title=NUL, portfolio_id=w.portfolio.id)),
        [_control("title")]),
    "new idea: escape and half a surrogate pair, over-long need owner": (
        lambda s, w: create_initiative(session=s, actor=_as(s, w.lead), data=InitiativeCreate(
            title="Robots", portfolio_id=w.portfolio.id, description="\x1b[2J", need_description="\ud800",
            need_owner="y" * 201)),
        [_control("description"), _control("need_description"), _long("need_owner", 200)]),
    "new idea: over-long description": (
        lambda s, w: create_initiative(session=s, actor=_as(s, w.lead), data=InitiativeCreate(
            title="Robots", portfolio_id=w.portfolio.id, description=LONG)),
        [_long("description")]),
    "edit: NUL in the title and the effects": (
        lambda s, w: update_initiative(session=s, actor=_as(s, w.lead), initiative_id=w.initiative.id,
                                       expected_version=w.initiative.version,
                                       changes={"title": NUL, "expected_effects": "less\x00waiting"}),
        [_control("title"), _control("expected_effects")]),
    "decision: NUL in the rationale": (
        lambda s, w: record_gate_decision(session=s, actor=_as(s, w.owner), initiative_id=w.initiative.id,
                                          expected_version=w.initiative.version,
                                          data=DecisionInput(outcome="go", rationale="A clear\x00need for it")),
        [_control("rationale")]),
    "decision: NUL in the stop reason, over-long lessons": (
        lambda s, w: record_gate_decision(session=s, actor=_as(s, w.owner), initiative_id=w.initiative.id,
                                          expected_version=w.initiative.version,
                                          data=DecisionInput(outcome="stop", rationale="The money is not there",
                                                            stop_reason="No\x00money",
                                                             lessons_learned=LONG)),
        [_control("stop_reason"), _long("lessons_learned")]),
    "checklist: NUL in the reason": (
        lambda s, w: update_checklist(session=s, actor=_as(s, w.lead), initiative_id=w.initiative.id, changes=[
            ChecklistChange(item_id=item.id, expected_version=item.version, status="not_applicable",
                            not_applicable_reason="Not\x00here")
            for item in checklist_items(s, w.initiative.id, "idea")[:1]]),
        [_control("not_applicable_reason")]),
    "benefit: NUL in the title and the description": (
        lambda s, w: create_benefit(session=s, actor=_as(s, w.lead), initiative_id=w.initiative.id,
                                    data=BenefitInput(title=NUL, category="freed_capacity", recipient="staff",
                                                      description="a\x00b")),
        [_control("title"), _control("description")]),
    "indicator: NUL in the code and the name": (
        lambda s, w: create_indicator(session=s, actor=_as(s, w.lead), benefit_id=w.indicator.benefit_id,
                                      data=IndicatorInput(code="I\x00-1", name=NUL)),
        [_control("code"), _control("name")]),
    "deviation: NUL in the explanation": (
        lambda s, w: explain_deviation(session=s, actor=_as(s, w.lead), indicator_id=w.indicator.id,
                                       expected_version=w.indicator.version, explanation="Late\x00start"),
        [_control("deviation_explanation")]),
    "baseline: NUL in the reason": (
        lambda s, w: revise_baseline(session=s, actor=_as(s, w.lead), indicator_id=w.indicator.id,
                                     expected_version=w.indicator.version, baseline_value=12.0,
                                     reason="Re\x00measured"),
        [_control("reason")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_text_a_database_cannot_store_is_refused_in_words(engine, world, case):
    action, messages = CASES[case]
    before = benefits_snapshot(engine)
    assert_refused(engine, world.initiative.id, ValidationError, messages, lambda session: action(session, world))
    assert benefits_snapshot(engine) == before


def test_line_breaks_and_tabs_are_text(engine, world):
    with write_session(engine) as session:
        decision = record_gate_decision(
            session=session, actor=_as(session, world.owner), initiative_id=world.initiative.id,
            expected_version=world.initiative.version,
            data=DecisionInput(outcome="go", rationale="Clear need:\n\t- queues\r\n\t- waits"))
    assert decision.rationale == "Clear need:\n\t- queues\r\n\t- waits"


@pytest.mark.parametrize("initiative_id", [2**31, 2**63 - 1])
def test_an_id_beyond_the_column_is_not_found(engine, world, initiative_id):
    # PostgreSQL's integer column holds 32 bits; a larger id must still be "not found", not a database error.
    with read_session(engine) as session:
        with pytest.raises(NotFound) as error:
            initiative_view(session=session, actor=_as(session, world.owner), initiative_id=initiative_id)
    assert error.value.render("en") == [f"There is no initiative number {initiative_id}."]
