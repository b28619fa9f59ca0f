"""The domain actions against a real database (SQLite and PostgreSQL): what they write, what they
refuse, and that a refusal writes nothing."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col, select

from db.engine import get_engine, read_session, write_session
from db.models import AuditEvent, GateDecision, GateDecisionOwner, Initiative, OrgUnit, Portfolio
from portfolio.audit import AUDIT_CSV_COLUMNS, export_audit_csv
from portfolio.checklists import ChecklistChange, update_checklist
from portfolio.demo import load_demo
from portfolio.errors import Conflict, NotFound, PermissionDenied, RuleViolation, ValidationError
from portfolio.gates import (
    DecisionInput,
    assign_decision_owner,
    decision_options,
    mark_conditions_met,
    record_gate_decision,
)
from portfolio.initiatives import InitiativeCreate, create_initiative, parse_stage, update_initiative
from portfolio.reports import OverviewFilters, portfolio_overview
from tests import conftest
from tests.factories import (
    World,
    actor,
    assert_refused,
    checklist_items,
    complete_checklist,
    make_decision_owner,
    make_initiative,
    make_org_unit,
    make_portfolio,
    make_user,
    snapshot,
    waiting_gates,
)

STALE = ("Someone else changed this initiative while you were working on it. Nothing of yours was saved. "
         "Reload the page to see the latest version and try again.")
STALE_CHECKLIST = ("Someone else changed this checklist while you were working on it. Nothing of yours was saved. "
                   "Reload the page to see the latest version and try again.")
IDEA_LABELS = ("Need analysed with the staff and patients who have it",
               "Existing solutions in the organisation and nationally checked",
               "Head of unit supports further work")
FAST_TRACK_LABELS = ("The solution is off the shelf and already in use elsewhere",
                     "Cost within the fast-track limit",
                     "Information security and data protection checked")
IN_A_MONTH = date.today() + timedelta(days=30)


def new_world(engine, **kwargs) -> World:
    with write_session(engine) as session:
        return World(session, **kwargs)


# A rationale of the words every decision that moves an initiative needs.
RATIONALE = "Every rule of the gate holds"


def decide(engine, user, initiative_id: int, version: int, **data) -> GateDecision:
    with write_session(engine) as session:
        return record_gate_decision(session=session, actor=actor(session, user), initiative_id=initiative_id,
                                    expected_version=version, data=DecisionInput(**{"rationale": RATIONALE, **data}))


def refuse_decision(engine, world: World, error_type, messages, user=None, version=None, **data) -> None:
    assert_refused(engine, world.initiative.id, error_type, messages, lambda s: record_gate_decision(
        session=s, actor=actor(s, user or world.owner), initiative_id=world.initiative.id,
        expected_version=world.initiative.version if version is None else version,
        data=DecisionInput(**{"rationale": RATIONALE, **data})))


def audit_events(engine, initiative_id: int | None = None) -> list[AuditEvent]:
    with read_session(engine) as session:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        if initiative_id is not None:
            query = query.where(AuditEvent.initiative_id == initiative_id)
        return list(session.exec(query).all())


def keys(engine, initiative_id: int, stage: str) -> list[str]:
    with read_session(engine) as session:
        return [i.key for i in checklist_items(session, initiative_id, stage)]


# ---------------------------------------------------------------- create_initiative


def test_create_initiative_validation(engine):
    world = new_world(engine)

    def create(**fields):
        return lambda s: create_initiative(session=s, actor=actor(s, world.lead), data=InitiativeCreate(**fields))

    assert_refused(engine, None, ValidationError, ["The title must not be empty."],
                   create(title="   ", portfolio_id=world.portfolio.id))
    # Every problem is reported at once, each with its field.
    assert_refused(engine, None, ValidationError, [
        "The title must not be empty.", "Choose a portfolio.", "The org unit does not exist.",
        "The estimated cost must be zero or more.",
    ], create(title="", portfolio_id=987654, org_unit_id=987654, estimated_cost=-1.0))
    with pytest.raises(ValidationError) as error:
        with write_session(engine) as session:
            create(title="", portfolio_id=987654, org_unit_id=987654, estimated_cost=-1.0)(session)
    assert [p.field for p in error.value.problems] == ["title", "portfolio_id", "org_unit_id", "estimated_cost"]
    assert_refused(engine, None, ValidationError, ["The title may have at most 300 characters.", "Choose a portfolio."],
                   create(title="x" * 301, portfolio_id=None))


def test_create_initiative_writes_checklists_decision_owners_and_audit(engine):
    world = new_world(engine)
    before = snapshot(engine)
    with write_session(engine) as session:
        initiative = create_initiative(session=session, actor=actor(session, world.steering), data=InitiativeCreate(
            title="  Video interpreting  ", portfolio_id=world.portfolio.id, org_unit_id=world.unit.id,
            need_description="Interpreters arrive late", estimated_cost=12000.0))
    with read_session(engine) as session:
        stored = session.get(Initiative, initiative.id)
        owners = session.exec(select(GateDecisionOwner.gate, GateDecisionOwner.user_id)
                              .where(GateDecisionOwner.initiative_id == initiative.id)).all()
    assert (stored.title, stored.stage, stored.version, stored.created_by_id, stored.lead_id) == (
        "Video interpreting", "idea", 1, world.steering.id, None)
    assert keys(engine, initiative.id, "idea") == ["need_analysis", "existing_solutions", "manager_support"]
    assert keys(engine, initiative.id, "fast_track") == ["off_the_shelf", "within_fast_track_limit",
                                                         "security_checked"]
    assert keys(engine, initiative.id, "concept") == []
    assert sorted(owners) == sorted((gate, world.owner.id) for gate in
                                    ("idea", "concept", "pilot", "scale_up", "benefits_realisation"))
    events = audit_events(engine, initiative.id)
    assert [(e.action, e.entity, e.entity_id, e.user_id) for e in events] == [
        ("initiative.create", "initiative", initiative.id, world.steering.id)]
    assert events[0].after["stage"] == "idea" and events[0].after["portfolio_id"] == world.portfolio.id
    assert events[0].before is None
    after = snapshot(engine)
    assert (after["initiatives"], after["audit_events"], after["decisions"]) == (
        before["initiatives"] + 1, before["audit_events"] + 1, before["decisions"])


def test_decision_owners_come_from_the_nearest_portfolio_with_an_owner(engine):
    with write_session(engine) as session:
        owner = make_user(session)
        parent = make_portfolio(session, owner=owner)
        child = make_portfolio(session, parent=parent)
        orphan = make_portfolio(session)
        creator = make_user(session)
        in_child = make_initiative(session, portfolio=child, creator=creator)
        in_orphan = make_initiative(session, portfolio=orphan, creator=creator)
    with read_session(engine) as session:
        def owners(initiative):
            return set(session.exec(select(GateDecisionOwner.user_id)
                                    .where(GateDecisionOwner.initiative_id == initiative.id)).all())
        assert owners(in_child) == {owner.id}
        assert owners(in_orphan) == set()


# ---------------------------------------------------------------- update_initiative


def test_update_initiative_refusals(engine):
    world = new_world(engine)

    def update(user, changes, version=world.initiative.version, initiative_id=world.initiative.id):
        return lambda s: update_initiative(session=s, actor=actor(s, user), initiative_id=initiative_id,
                                           expected_version=version, changes=changes)

    assert_refused(engine, world.initiative.id, Conflict, [STALE],
                   update(world.lead, {"title": "New title"}, version=world.initiative.version - 1))
    assert_refused(engine, world.initiative.id, ValidationError, [
        "The title must not be empty.", "The implementation lead does not exist.",
        "The estimated cost must be zero or more.",
    ], update(world.owner, {"title": " ", "lead_id": 987654, "estimated_cost": -5}))
    assert_refused(engine, world.initiative.id, ValidationError, [
        "The field stage cannot be edited here.", "The field version cannot be edited here.",
    ], update(world.owner, {"stage": "pilot", "version": 9}))
    assert_refused(engine, world.initiative.id, NotFound, ["There is no initiative number 987654."],
                   update(world.lead, {"title": "x"}, version=1, initiative_id=987654))


def test_update_initiative_changes_audits_and_bumps_the_version(engine):
    world = new_world(engine)
    version = world.initiative.version
    with write_session(engine) as session:
        update_initiative(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                          expected_version=version,
                          changes={"title": "  Digital triage 2 ", "need_owner": "Head of primary care",
                                   "estimated_cost": 5000.0})
    after = snapshot(engine, world.initiative.id)
    assert (after["title"], after["version"]) == ("Digital triage 2", version + 1)
    event = audit_events(engine, world.initiative.id)[-1]
    # Only what really changed is audited (need_owner already had this value).
    assert (event.action, event.before, event.after) == (
        "initiative.update", {"title": "Digital triage", "estimated_cost": None},
        {"title": "Digital triage 2", "estimated_cost": 5000.0})
    # Saving the same values again writes nothing.
    before = snapshot(engine, world.initiative.id)
    with write_session(engine) as session:
        update_initiative(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                          expected_version=version + 1, changes={"title": "Digital triage 2"})
    assert snapshot(engine, world.initiative.id) == before


# ---------------------------------------------------------------- update_checklist


def _items(engine, world: World, stage: str = "idea"):
    with read_session(engine) as session:
        return checklist_items(session, world.initiative.id, stage)


def test_update_checklist_is_all_or_nothing(engine):
    world = new_world(engine, ready=False)
    first, second, third = _items(engine, world)
    assert_refused(engine, world.initiative.id, ValidationError, [
        f"{IDEA_LABELS[1]}: give a reason when an item is not applicable.",
        f"{IDEA_LABELS[2]}: unknown status finished.",
    ], lambda s: update_checklist(session=s, actor=actor(s, world.lead), initiative_id=world.initiative.id, changes=[
        ChecklistChange(first.id, first.version, "done"),
        ChecklistChange(second.id, second.version, "not_applicable", "   "),
        ChecklistChange(third.id, third.version, "finished"),
    ]))


def test_update_checklist_applies_valid_changes(engine):
    world = new_world(engine, ready=False)
    first, second, third = _items(engine, world)
    before = snapshot(engine, world.initiative.id)
    with write_session(engine) as session:
        updated = update_checklist(session=session, actor=actor(session, world.lead),
                                   initiative_id=world.initiative.id, changes=[
                                       ChecklistChange(first.id, first.version, "done"),
                                       ChecklistChange(second.id, second.version, "not_applicable", "  No staff  "),
                                       ChecklistChange(third.id, third.version, "open"),  # unchanged
                                   ])
    assert [i.key for i in updated] == ["need_analysis", "existing_solutions"]
    items = {i.key: i for i in _items(engine, world)}
    assert (items["need_analysis"].status, items["need_analysis"].version, items["need_analysis"].updated_by_id) == (
        "done", 2, world.lead.id)
    assert (items["existing_solutions"].status, items["existing_solutions"].not_applicable_reason) == (
        "not_applicable", "No staff")
    assert (items["manager_support"].status, items["manager_support"].version) == ("open", 1)
    events = audit_events(engine, world.initiative.id)[-2:]
    assert [(e.action, e.entity_id, e.before["status"], e.after["status"]) for e in events] == [
        ("checklist.update", first.id, "open", "done"),
        ("checklist.update", second.id, "open", "not_applicable")]
    after = snapshot(engine, world.initiative.id)
    assert after["audit_events"] == before["audit_events"] + 2
    assert after["version"] == before["version"]  # the checklist has its own versions


def test_update_checklist_on_a_stale_item_is_a_conflict(engine):
    world = new_world(engine, ready=False)
    first, second, _ = _items(engine, world)
    assert_refused(engine, world.initiative.id, Conflict, [STALE_CHECKLIST], lambda s: update_checklist(
        session=s, actor=actor(s, world.owner), initiative_id=world.initiative.id, changes=[
            ChecklistChange(first.id, first.version, "done"),
            ChecklistChange(second.id, second.version + 1, "done")]))


def test_only_the_current_stage_checklist_can_change(engine):
    world = new_world(engine, stage="concept", ready=False)
    with write_session(engine) as session:
        from portfolio.checklists import create_checklist
        create_checklist(session=session, initiative_id=world.initiative.id, stage="idea")
    idea_item = _items(engine, world, "idea")[0]
    concept_item = _items(engine, world, "concept")[0]
    assert_refused(engine, world.initiative.id, ValidationError, [
        f"{IDEA_LABELS[0]}: only the checklist of the current stage can be changed.",
        f"{FAST_TRACK_LABELS[0]}: only the checklist of the current stage can be changed.",
    ], lambda s: update_checklist(session=s, actor=actor(s, world.lead), initiative_id=world.initiative.id, changes=[
        ChecklistChange(concept_item.id, concept_item.version, "done"),
        ChecklistChange(idea_item.id, idea_item.version, "done"),
        ChecklistChange(_items(engine, world, "fast_track")[0].id, 1, "done"),
    ]))


def test_fast_track_checklist_is_editable_at_the_idea_stage(engine):
    world = new_world(engine)
    item = _items(engine, world, "fast_track")[0]
    with write_session(engine) as session:
        update_checklist(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                         changes=[ChecklistChange(item.id, item.version, "done")])
    assert _items(engine, world, "fast_track")[0].status == "done"


def test_checklist_item_of_another_initiative_is_refused(engine):
    world = new_world(engine)
    with write_session(engine) as session:
        other = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead)
    with read_session(engine) as session:
        foreign = checklist_items(session, other.id, "idea")[0]
    assert_refused(engine, world.initiative.id, ValidationError, [
        f"Checklist item {foreign.id} does not belong to this initiative.",
        "Checklist item 987654 does not belong to this initiative.",
    ], lambda s: update_checklist(session=s, actor=actor(s, world.lead), initiative_id=world.initiative.id, changes=[
        ChecklistChange(foreign.id, foreign.version, "done"), ChecklistChange(987654, 1, "done")]))


# ---------------------------------------------------------------- record_gate_decision


def test_go_moves_the_stage_and_writes_decision_audit_and_next_checklist(engine):
    world = new_world(engine)
    before = snapshot(engine, world.initiative.id)
    with read_session(engine) as session:
        entered = session.get(Initiative, world.initiative.id).stage_entered_at
    decision = decide(engine, world.owner, world.initiative.id, world.initiative.version, outcome="go",
                      rationale="  A clear need  ")
    after = snapshot(engine, world.initiative.id)
    assert (after["stage"], after["version"], after["on_hold"]) == ("concept", before["version"] + 1, False)
    assert (after["decisions"], after["audit_events"]) == (before["decisions"] + 1, before["audit_events"] + 1)
    with read_session(engine) as session:
        stored = session.get(GateDecision, decision.id)
        assert session.get(Initiative, world.initiative.id).stage_entered_at >= entered
    assert (stored.outcome, stored.from_stage, stored.to_stage, stored.decided_by_id, stored.rationale) == (
        "go", "idea", "concept", world.owner.id, "A clear need")
    assert keys(engine, world.initiative.id, "concept") == [
        "pilot_plan", "pilot_cost", "security_classification", "dpia", "procurement_route"]
    event = audit_events(engine, world.initiative.id)[-1]
    assert (event.action, event.user_id, event.entity, event.entity_id) == (
        "gate.go", world.owner.id, "initiative", world.initiative.id)
    assert event.before == {"stage": "idea", "on_hold": False, "hold_review_date": None}
    assert (event.after["stage"], event.after["decision_id"], event.after["rationale"]) == (
        "concept", decision.id, "A clear need")


def test_stale_unknown_and_impossible_decisions(engine):
    world = new_world(engine)
    refuse_decision(engine, world, Conflict, [STALE], version=world.initiative.version + 1, outcome="go")
    refuse_decision(engine, world, ValidationError, ["Unknown decision 'approve'."], outcome="approve")
    refuse_decision(engine, world, ValidationError, ["The decision Recycle is not possible in stage Idea."],
                    outcome="recycle", rework="The need analysis")
    assert_refused(engine, None, NotFound, ["There is no initiative number 987654."], lambda s: record_gate_decision(
        session=s, actor=actor(s, world.owner), initiative_id=987654, expected_version=1,
        data=DecisionInput(outcome="go", rationale="Every rule of the gate holds")))


def test_conditional_go_needs_conditions(engine):
    world = new_world(engine)
    refuse_decision(engine, world, ValidationError, ["A conditional go needs its conditions."],
                    outcome="conditional_go", conditions="  ")
    decision = decide(engine, world.owner, world.initiative.id, world.initiative.version,
                      outcome="conditional_go", conditions="DPIA signed before the pilot")
    assert (decision.to_stage, decision.conditions, decision.conditions_met) == (
        "concept", "DPIA signed before the pilot", False)
    assert snapshot(engine, world.initiative.id)["stage"] == "concept"


def test_hold_needs_a_future_review_date(engine):
    world = new_world(engine)
    for review, message in [(None, "A hold needs a review date."),
                            (date.today(), "The review date must be in the future."),
                            (date.today() - timedelta(days=3), "The review date must be in the future.")]:
        refuse_decision(engine, world, ValidationError, [message], outcome="hold", hold_review_date=review)


def test_hold_keeps_the_stage_and_sets_on_hold_until_the_next_decision(engine):
    world = new_world(engine)
    version = world.initiative.version
    decision = decide(engine, world.owner, world.initiative.id, version, outcome="hold", hold_review_date=IN_A_MONTH)
    after = snapshot(engine, world.initiative.id)
    assert (after["stage"], after["on_hold"], after["hold_review_date"], after["version"]) == (
        "idea", True, IN_A_MONTH, version + 1)
    assert (decision.from_stage, decision.to_stage, decision.hold_review_date) == ("idea", "idea", IN_A_MONTH)
    assert audit_events(engine, world.initiative.id)[-1].after["hold_review_date"] == IN_A_MONTH.isoformat()
    # The checklist is not duplicated by staying in the stage.
    assert keys(engine, world.initiative.id, "idea") == ["need_analysis", "existing_solutions", "manager_support"]
    decide(engine, world.owner, world.initiative.id, version + 1, outcome="go")
    after = snapshot(engine, world.initiative.id)
    assert (after["stage"], after["on_hold"], after["hold_review_date"]) == ("concept", False, None)


def test_recycle_goes_back_one_stage(engine):
    world = new_world(engine, stage="concept", ready=False)
    decision = decide(engine, world.owner, world.initiative.id, world.initiative.version, outcome="recycle",
                      rationale="The need is unclear", rework="Analyse the need with the staff")
    assert (decision.from_stage, decision.to_stage) == ("concept", "idea")
    assert snapshot(engine, world.initiative.id)["stage"] == "idea"
    assert keys(engine, world.initiative.id, "idea") == ["need_analysis", "existing_solutions", "manager_support"]
    assert keys(engine, world.initiative.id, "concept") == [
        "pilot_plan", "pilot_cost", "security_classification", "dpia", "procurement_route"]


def test_stop_needs_reason_and_lessons_and_then_closes_the_initiative(engine):
    world = new_world(engine, stage="pilot", ready=False)
    refuse_decision(engine, world, ValidationError,
                    ["A stop needs a reason.", "A stop needs the lessons learned."], outcome="stop")
    refuse_decision(engine, world, ValidationError, ["A stop needs the lessons learned."], outcome="stop",
                    stop_reason="Too costly", lessons_learned=" ")
    before = snapshot(engine, world.initiative.id)
    decision = decide(engine, world.owner, world.initiative.id, world.initiative.version, outcome="stop",
                      stop_reason=" Too costly ", lessons_learned=" Measure first ")
    after = snapshot(engine, world.initiative.id)
    assert after["stage"] == "stopped"
    assert (decision.from_stage, decision.to_stage, decision.stop_reason, decision.lessons_learned) == (
        "pilot", "stopped", "Too costly", "Measure first")
    assert after["checklist"] == before["checklist"]  # no checklist for a final stage
    assert audit_events(engine, world.initiative.id)[-1].action == "gate.stop"


def test_fast_track_needs_the_fast_track_checklist(engine):
    world = new_world(engine)
    refuse_decision(engine, world, RuleViolation, [
        "The checklist for Fast track is not complete: 3 required items are open ("
        + "; ".join(FAST_TRACK_LABELS) + ")."], outcome="fast_track")
    with write_session(engine) as session:
        complete_checklist(session, session.get(Initiative, world.initiative.id), "fast_track")
    decision = decide(engine, world.owner, world.initiative.id, world.initiative.version, outcome="fast_track")
    assert (decision.from_stage, decision.to_stage) == ("idea", "scale_up")
    assert snapshot(engine, world.initiative.id)["stage"] == "scale_up"
    assert keys(engine, world.initiative.id, "scale_up") == ["rollout_live", "handover", "training"]
    assert keys(engine, world.initiative.id, "concept") == []


def test_unmet_rules_are_all_listed(engine):
    world = new_world(engine, ready=False)
    unmet = ["The need is not described.", "No need owner is named.", "The expected effects are not described.",
             "The checklist for Idea is not complete: 3 required items are open (" + "; ".join(IDEA_LABELS) + ")."]
    refuse_decision(engine, world, RuleViolation, unmet, outcome="go")
    refuse_decision(engine, world, RuleViolation, unmet, outcome="conditional_go", conditions="Some")


def test_backward_and_holding_outcomes_do_not_need_the_rules(engine):
    world = new_world(engine, ready=False)
    decision = decide(engine, world.owner, world.initiative.id, world.initiative.version, outcome="hold",
                      hold_review_date=IN_A_MONTH)
    assert decision.to_stage == "idea"


@pytest.mark.parametrize("final", ["realised", "stopped"])
def test_no_decision_on_a_final_stage(engine, final):
    world = new_world(engine, stage=final, ready=False, owner_decides=True)
    closed = [f"The initiative is closed ({final.title()}); it has no more gates to decide."]
    refuse_decision(engine, world, ValidationError, closed, outcome="go")
    refuse_decision(engine, world, ValidationError, closed, outcome="stop", stop_reason="r", lessons_learned="l")
    # Whoever asks, the answer is that the initiative is closed, not a question of who may decide.
    with write_session(engine) as session:
        session.get(Portfolio, world.portfolio.id).owner_decides = False
    refuse_decision(engine, world, ValidationError, closed, outcome="go")


# ---------------------------------------------------------------- decision options, my decisions


def test_decision_options_offer_only_permitted_outcomes_whose_rules_hold(engine):
    world = new_world(engine, ready=False)
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        options = decision_options(session=session, actor=actor(session, world.owner), initiative=initiative)
        assert (options.outcomes, options.refusal) == (["hold", "stop"], None)
        assert [m.render("en") for m in options.status.unmet("go")][:1] == ["The need is not described."]
        assert not options.status.ready("go")
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        initiative.need_description, initiative.need_owner = "Queues", "Head of care"
        initiative.expected_effects = "Shorter queues"
        complete_checklist(session, initiative, "idea")
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        options = decision_options(session=session, actor=actor(session, world.owner), initiative=initiative)
        assert options.outcomes == ["go", "conditional_go", "hold", "stop"]
    with write_session(engine) as session:
        complete_checklist(session, session.get(Initiative, world.initiative.id), "fast_track")
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        options = decision_options(session=session, actor=actor(session, world.owner), initiative=initiative)
        assert options.outcomes == ["go", "conditional_go", "hold", "stop", "fast_track"]
        steering = decision_options(session=session, actor=actor(session, world.steering), initiative=initiative)
        assert (steering.outcomes, steering.refusal.render("en")) == (
            [], "Only the decision owner of this gate may decide it.")


def test_decision_options_on_a_final_stage_are_empty(engine):
    world = new_world(engine, stage="realised", ready=False)
    with read_session(engine) as session:
        options = decision_options(session=session, actor=actor(session, world.owner),
                                   initiative=session.get(Initiative, world.initiative.id))
    assert (options.outcomes, options.refusal) == ([], None)


def test_my_decisions_lists_waiting_gates_and_excludes_those_i_lead(engine):
    with write_session(engine) as session:
        world = World(session)
        not_ready = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                    title="Not ready")
        led_by_owner = make_initiative(session, portfolio=world.portfolio, creator=world.owner, lead=world.owner,
                                       ready=True, title="Led by the owner")
        closed = make_initiative(session, portfolio=world.portfolio, creator=world.lead, stage="realised",
                                 title="Closed")
        someone_else = make_initiative(session, portfolio=world.portfolio, creator=world.lead, title="Other owner")
        make_decision_owner(session, someone_else, world.steering)
        other_gate = make_initiative(session, portfolio=world.portfolio, creator=world.lead, title="Other gate")
        make_decision_owner(session, other_gate, world.steering, gate="idea")
    with read_session(engine) as session:
        pending = waiting_gates(session, actor(session, world.owner))
        steering = waiting_gates(session, actor(session, world.steering))
    by_title = {p.initiative.title: p for p in pending}
    assert set(by_title) == {"Digital triage", "Not ready"}
    assert by_title["Digital triage"].ready and by_title["Digital triage"].unmet == []
    assert not by_title["Not ready"].ready
    assert by_title["Not ready"].unmet[0].render("en") == "The need is not described."
    assert {p.initiative.title for p in steering} == {"Other owner", "Other gate"}
    assert led_by_owner.id and closed.id


def test_my_decisions_includes_owner_decides_portfolios(engine):
    with write_session(engine) as session:
        world = World(session, owner_decides=True)
        make_decision_owner(session, world.initiative, world.steering)
    with read_session(engine) as session:
        assert [p.initiative.id for p in waiting_gates(session, actor(session, world.owner))] == [
            world.initiative.id]
        assert waiting_gates(session, actor(session, world.lead)) == []
        assert waiting_gates(session, actor(session, world.admin)) == []


# ---------------------------------------------------------------- conditions, decision owners


def test_mark_conditions_met(engine):
    world = new_world(engine)
    decision = decide(engine, world.owner, world.initiative.id, world.initiative.version, outcome="conditional_go",
                      conditions="Budget confirmed")
    # Only a conditional go has conditions.
    with write_session(engine) as session:
        plain = record_gate_decision(session=session, actor=actor(session, world.owner),
                                     initiative_id=world.initiative.id, expected_version=world.initiative.version + 1,
                                     data=DecisionInput(outcome="hold", rationale="Every rule of the gate holds", hold_review_date=IN_A_MONTH))
    assert_refused(engine, world.initiative.id, NotFound, [f"There is no conditional decision number {plain.id}."],
                   lambda s: mark_conditions_met(session=s, actor=actor(s, world.owner), decision_id=plain.id))
    before = snapshot(engine, world.initiative.id)
    with write_session(engine) as session:
        mark_conditions_met(session=session, actor=actor(session, world.owner), decision_id=decision.id)
    with read_session(engine) as session:
        assert session.get(GateDecision, decision.id).conditions_met is True
    event = audit_events(engine, world.initiative.id)[-1]
    assert (event.action, event.entity, event.entity_id, event.before, event.after) == (
        "gate.conditions_met", "gate_decision", decision.id, {"conditions_met": False}, {"conditions_met": True})
    after = snapshot(engine, world.initiative.id)
    assert after["audit_events"] == before["audit_events"] + 1 and after["version"] == before["version"]
    # Marking again changes nothing.
    with write_session(engine) as session:
        mark_conditions_met(session=session, actor=actor(session, world.owner), decision_id=decision.id)
    assert snapshot(engine, world.initiative.id) == after


def test_assign_decision_owner_is_audited_with_before_and_after(engine):
    world = new_world(engine)
    version = world.initiative.version
    assert_refused(engine, world.initiative.id, ValidationError, ["Unknown gate 'realised'.", "The user does not exist."],
                   lambda s: assign_decision_owner(session=s, actor=actor(s, world.admin),
                                                   initiative_id=world.initiative.id, expected_version=version,
                                                   gate="realised", user_id=987654))
    assert_refused(engine, world.initiative.id, Conflict, [STALE], lambda s: assign_decision_owner(
        session=s, actor=actor(s, world.admin), initiative_id=world.initiative.id,
        expected_version=version + 5, gate="idea", user_id=world.steering.id))
    with write_session(engine) as session:
        assign_decision_owner(session=session, actor=actor(session, world.admin), initiative_id=world.initiative.id,
                              expected_version=version, gate="concept", user_id=world.steering.id)
    event = audit_events(engine, world.initiative.id)[-1]
    assert (event.action, event.user_id, event.before, event.after) == (
        "decision_owner.assign", world.admin.id, {"gate": "concept", "user_id": world.owner.id},
        {"gate": "concept", "user_id": world.steering.id})
    after = snapshot(engine, world.initiative.id)
    assert after["version"] == version + 1
    assert (world.initiative.id, "concept", world.steering.id, 2) in after["decision_owners"]
    assert (world.initiative.id, "idea", world.owner.id, 1) in after["decision_owners"]


def test_an_admin_may_not_make_themselves_a_decision_owner(engine):
    world = new_world(engine)
    assert_refused(engine, world.initiative.id, ValidationError, ["You may not make yourself a decision owner."],
                   lambda s: assign_decision_owner(session=s, actor=actor(s, world.admin),
                                                   initiative_id=world.initiative.id,
                                                   expected_version=world.initiative.version, gate="idea",
                                                   user_id=world.admin.id))


# ---------------------------------------------------------------- overview


def test_portfolio_overview_filters_and_counts(engine):
    with write_session(engine) as session:
        creator = make_user(session)
        top = make_portfolio(session, name="Top")
        sub = make_portfolio(session, parent=top, name="Sub")
        other = make_portfolio(session, name="Other")
        region = make_org_unit(session, name="Region")
        ward = make_org_unit(session, parent=region, name="Ward")
        elsewhere = make_org_unit(session, name="Elsewhere")
        made = {}
        for title, portfolio, unit, stage, on_hold in [
            ("a", top, region, "idea", False), ("b", sub, ward, "concept", False),
            ("c", other, elsewhere, "pilot", False), ("d", top, elsewhere, "stopped", False),
            ("e", sub, region, "idea", True),
        ]:
            made[title] = make_initiative(session, portfolio=portfolio, creator=creator, org_unit=unit, stage=stage,
                                          on_hold=on_hold, title=title)

    def titles(**filters):
        with read_session(engine) as session:
            return [row.title for row in portfolio_overview(session=session, filters=OverviewFilters(**filters)).rows]

    assert titles() == ["a", "b", "c", "d", "e"]
    assert titles(portfolio_id=top.id) == ["a", "b", "d", "e"]
    assert titles(portfolio_id=sub.id) == ["b", "e"]
    assert titles(stage="idea") == ["a", "e"]
    assert titles(org_unit_id=region.id) == ["a", "b", "e"]
    assert titles(org_unit_id=ward.id) == ["b"]
    assert titles(status="active") == ["a", "b", "c"]
    assert titles(status="on_hold") == ["e"]
    assert titles(status="closed") == ["d"]
    assert titles(portfolio_id=top.id, stage="idea", status="active") == ["a"]
    with read_session(engine) as session:
        overview = portfolio_overview(session=session, filters=OverviewFilters(portfolio_id=top.id))
    assert overview.count_per_stage == {"idea": 2, "concept": 1, "pilot": 0, "scale_up": 0,
                                        "benefits_realisation": 0, "realised": 0, "stopped": 1}
    row = next(r for r in overview.rows if r.title == "b")
    assert (row.id, row.stage, row.status, row.portfolio, row.org_unit, row.lead) == (
        made["b"].id, "concept", "active", "Sub", "Ward", None)
    assert [r.status for r in overview.rows] == ["active", "active", "closed", "on_hold"]


def test_parse_stage_names_the_valid_stages(engine):
    message = ("Unknown stage 'bogus'. The stages are: idea, concept, pilot, scale_up, benefits_realisation, "
               "realised, stopped.")
    with pytest.raises(ValidationError) as error:
        parse_stage("bogus")
    assert error.value.render("en") == [message]
    assert parse_stage("pilot") == "pilot"
    with read_session(engine) as session:
        with pytest.raises(ValidationError) as error:
            portfolio_overview(session=session, filters=OverviewFilters(stage="bogus"))
    assert [str(m) for m in error.value.messages] == [message]


def test_an_unknown_status_filter_is_refused(engine):
    with read_session(engine) as session:
        with pytest.raises(ValidationError) as error:
            portfolio_overview(session=session, filters=OverviewFilters(status="finished"))
    assert error.value.render("en") == ["Unknown status 'finished'. The statuses are: active, on_hold, closed."]


# ---------------------------------------------------------------- database guards


def test_audit_table_is_append_only(engine):
    world = new_world(engine)
    event = audit_events(engine, world.initiative.id)[0]
    for statement in ("UPDATE audit_event SET action = 'tampered' WHERE id = :id",
                      "DELETE FROM audit_event WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement), {"id": event.id})
    again = audit_events(engine, world.initiative.id)[0]
    assert (again.id, again.action, again.after) == (event.id, "initiative.create", event.after)
    assert len(audit_events(engine)) == snapshot(engine)["audit_events"]


def test_stage_check_constraint(engine):
    world = new_world(engine)
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(text("UPDATE initiative SET stage = 'limbo' WHERE id = :id"),
                               {"id": world.initiative.id})
    assert snapshot(engine, world.initiative.id)["stage"] == "idea"
    before = snapshot(engine)
    now = world.initiative.created_at
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(insert(Initiative.__table__).values(
                title="Raw", description="", need_description="", need_owner="", expected_effects="",
                portfolio_id=world.portfolio.id, stage="limbo", on_hold=False, created_at=now,
                stage_entered_at=now, version=1))
    assert snapshot(engine) == before
    # The same insert with a lifecycle stage is accepted (so the stage was the only problem).
    with engine.begin() as connection:
        connection.execute(insert(Initiative.__table__).values(
            title="Raw", description="", need_description="", need_owner="", expected_effects="",
            portfolio_id=world.portfolio.id, stage="pilot", on_hold=False, created_at=now,
            stage_entered_at=now, version=1))
    assert snapshot(engine)["initiatives"] == before["initiatives"] + 1


# ---------------------------------------------------------------- audit export


def test_export_audit_csv(engine):
    world = new_world(engine)
    decide(engine, world.owner, world.initiative.id, world.initiative.version, outcome="go", rationale="Ok, go ahead")
    with write_session(engine) as session:
        other = make_initiative(session, portfolio=world.portfolio, creator=world.steering, title="Other")
    with read_session(engine) as session:
        rows = list(csv.reader(io.StringIO(export_audit_csv(session=session))))
        only = list(csv.reader(io.StringIO(export_audit_csv(session=session, initiative_id=world.initiative.id))))
    assert rows[0] == AUDIT_CSV_COLUMNS == ["id", "at", "user", "action", "entity", "entity_id", "initiative_id",
                                            "before", "after"]
    events = audit_events(engine)
    assert [r[0] for r in rows[1:]] == [str(e.id) for e in events]
    assert [(r[2], r[3], r[6]) for r in only[1:]] == [
        ("lead", "initiative.create", str(world.initiative.id)), ("owner", "gate.go", str(world.initiative.id))]
    assert ("steering", "initiative.create", str(other.id)) in [(r[2], r[3], r[6]) for r in rows[1:]]
    go = only[-1]
    assert (go[4], go[5]) == ("initiative", str(world.initiative.id))
    assert json.loads(go[7]) == {"hold_review_date": None, "on_hold": False, "stage": "idea"}
    assert json.loads(go[8])["stage"] == "concept"
    assert only[1][7] == ""  # a create has no "before"


# ---------------------------------------------------------------- demo


@pytest.fixture
def second_engine(request, engine, sqlite_template, tmp_path):
    """Another fresh database of the same kind as ``engine``."""
    if engine.dialect.name == "sqlite":
        url = conftest._sqlite_url(sqlite_template, tmp_path)
    else:
        url = conftest._pg_url(request.getfixturevalue("pg_server"))
    yield get_engine(url)
    get_engine(url).dispose()


def _demo_rows(engine, seed: int, initiatives: int = 20, today: date = date(2025, 1, 15)):
    with write_session(engine) as session:
        load_demo(session=session, initiatives=initiatives, seed=seed, today=today)
    with read_session(engine) as session:
        return [tuple(r) for r in session.exec(
            select(Initiative.title, Initiative.stage, OrgUnit.name, Portfolio.name)
            .join(OrgUnit, OrgUnit.id == Initiative.org_unit_id)
            .join(Portfolio, Portfolio.id == Initiative.portfolio_id)
            .order_by(col(Initiative.id))).all()]


def test_demo_is_the_same_for_the_same_seed(engine, second_engine):
    first = _demo_rows(engine, seed=7)
    second = _demo_rows(second_engine, seed=7)
    assert len(first) == 20
    assert first == second


def test_demo_differs_for_another_seed(engine, second_engine):
    assert _demo_rows(engine, seed=1) != _demo_rows(second_engine, seed=2)


def test_demo_first_initiatives_are_ready_for_the_owner(engine):
    with write_session(engine) as session:
        load_demo(session=session, initiatives=12, seed=5, today=date.today())
    with read_session(engine) as session:
        from db.models import User
        owner = session.exec(select(User).where(User.username == "owner")).one()
        owner_actor = actor(session, owner)
        stages = []
        for initiative_id in (1, 2, 3):
            initiative = session.get(Initiative, initiative_id)
            options = decision_options(session=session, actor=owner_actor, initiative=initiative)
            stages.append(initiative.stage)
            assert options.refusal is None
            assert "go" in options.outcomes, [m.render("en") for m in options.status.unmet("go")]
        pending = {p.initiative.id: p.ready for p in waiting_gates(session, owner_actor)}
    assert stages == ["idea", "concept", "pilot"]
    assert pending[1] and pending[2] and pending[3]


def test_audit_export_timestamps_say_they_are_utc(engine):
    from datetime import datetime, timezone

    world = new_world(engine)
    with read_session(engine) as session:
        rows = list(csv.DictReader(io.StringIO(export_audit_csv(session=session,
                                                                initiative_id=world.initiative.id))))
    at = datetime.fromisoformat(rows[0]["at"])
    assert at.utcoffset() is not None and at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(timezone.utc) - at).total_seconds()) < 600


# ---------------------------------------------------------------- regressions (each once a defect)


def _too_long_need_owner(session, world):
    update_initiative(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                      expected_version=world.initiative.version, changes={"need_owner": "x" * 201})


def _too_long_reason(session, world):
    item = checklist_items(session, world.initiative.id, "idea")[0]
    update_checklist(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                     changes=[ChecklistChange(item.id, item.version, "not_applicable", "r" * 1001)])


def _too_long_username(session, world):
    from portfolio.auth import create_user
    create_user(session=session, username="u" * 101, display_name="Long", password="long-enough")


@pytest.mark.parametrize("action, messages", [
    (_too_long_need_owner, ["need_owner may have at most 200 characters."]),
    (_too_long_reason, ["not_applicable_reason may have at most 1000 characters."]),
    (_too_long_username, ["username may have at most 100 characters."]),
], ids=["need-owner", "not-applicable-reason", "username"])
def test_over_long_text_is_refused_with_its_limit_and_nothing_changes(engine, action, messages):
    world = new_world(engine)
    assert_refused(engine, world.initiative.id, ValidationError, messages, lambda session: action(session, world))


def test_create_audit_records_what_was_stored(engine):
    world = new_world(engine)
    with write_session(engine) as session:
        initiative = create_initiative(session=session, actor=actor(session, world.lead), data=InitiativeCreate(
            title="  Padded title  ", portfolio_id=world.portfolio.id))
    event = audit_events(engine, initiative.id)[0]
    assert event.after["title"] == snapshot(engine, initiative.id)["title"] == "Padded title"


@pytest.mark.parametrize("role, allowed_to", [("admin", True), ("steering", True), ("owner", False),
                                              ("lead", False), ("reporter", False), ("stranger", False)])
def test_audit_export_for_a_signed_in_user(engine, role, allowed_to):
    from portfolio.audit import export_audit_for

    world = new_world(engine)
    with read_session(engine) as session:
        who = actor(session, world.users[role])
        if allowed_to:
            text = export_audit_for(session=session, actor=who, initiative_id=world.initiative.id)
            assert text.splitlines()[0] == "id,at,user,action,entity,entity_id,initiative_id,before,after"
        else:
            with pytest.raises(PermissionDenied) as error:
                export_audit_for(session=session, actor=who, initiative_id=world.initiative.id)
            assert error.value.render("en") == [
                "Only an administrator or the steering group may export the audit trail."]
