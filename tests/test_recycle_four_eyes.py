"""Recycle and four eyes at a gate, against a real database (SQLite and PostgreSQL).

A recycle reopens the checklist of the stage it returns to and names what must be redone, which the gate
panel shows until a decision takes the initiative out of that stage. Whoever completed checklist items of a
gate may not approve it (four eyes, a process option on by default); a fast track always involves two
people."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, ChecklistItem, GateDecision, Initiative, Portfolio
from portfolio import gates
from portfolio.checklists import ChecklistChange, create_checklist, update_checklist
from portfolio.errors import PermissionDenied, ValidationError
from portfolio.gates import DecisionInput, decision_options, record_gate_decision
from portfolio.initiative_view import initiative_view
from workflows.process import DEFAULT_PROCESS_FILE, load_process
from workflows.rules import ChecklistFact, OwnWork, four_eyes
from tests.factories import (
    World,
    actor,
    assert_refused,
    checklist_items,
    complete_checklist,
    make_decision_owner,
    make_benefit,
    make_indicator,
    make_initiative,
    make_user,
    snapshot,
)

RATIONALE = "The work is not good enough yet"
REWORK = "Redo the pilot plan with the ward managers"
IN_A_MONTH = date.today() + timedelta(days=30)
NEEDS_REWORK = "A recycle needs to say what must be redone."
NEEDS_RATIONALE = "The decision needs a rationale of at least 3 words: say why."
PORTFOLIO = "Primary care"


def four_eyes_refusal(mine: int, completed: int, who: str) -> str:
    return (f"You completed checklist items of this gate yourself ({mine} of {completed}). "
            f"Another person must confirm this gate: {who}.")


def fast_track_refusal(mine: int, completed: int, who: str) -> str:
    return (f"You completed items of the fast-track checklist yourself ({mine} of {completed}), and a fast track "
            f"always involves two people. Another person must confirm it: {who}.")


def new_world(engine, **kwargs) -> World:
    with write_session(engine) as session:
        world = World(session, **kwargs)
        session.get(Portfolio, world.portfolio.id).name = PORTFOLIO
        return world


def decide(engine, user, initiative_id: int, **data) -> GateDecision:
    with write_session(engine) as session:
        version = session.get(Initiative, initiative_id).version
        return record_gate_decision(session=session, actor=actor(session, user), initiative_id=initiative_id,
                                    expected_version=version,
                                    data=DecisionInput(**{"rationale": RATIONALE, **data}))


def refuse(engine, world: World, user, error_type, messages: list[str], **data) -> None:
    with read_session(engine) as session:
        version = session.get(Initiative, world.initiative.id).version
    assert_refused(engine, world.initiative.id, error_type, messages, lambda s: record_gate_decision(
        session=s, actor=actor(s, user), initiative_id=world.initiative.id, expected_version=version,
        data=DecisionInput(**{"rationale": RATIONALE, **data})))


def tick(engine, user, initiative_id: int, stage: str, count: int | None = None) -> None:
    """``user`` marks the first ``count`` items of the ``stage`` checklist done through the checklist action."""
    with write_session(engine) as session:
        items = checklist_items(session, initiative_id, stage)[:count]
        update_checklist(session=session, actor=actor(session, user), initiative_id=initiative_id,
                         changes=[ChecklistChange(item.id, item.version, "done") for item in items])


def statuses(engine, initiative_id: int, stage: str) -> dict[str, tuple[str, str]]:
    with read_session(engine) as session:
        return {i.key: (i.status, i.not_applicable_reason) for i in checklist_items(session, initiative_id, stage)}


def gate_panel(engine, user, initiative_id: int):
    with read_session(engine) as session:
        return initiative_view(session=session, actor=actor(session, user), initiative_id=initiative_id).gate


# ---------------------------------------------------------------- recycle reopens the checklist it returns to

BACK = [("concept", "idea"), ("pilot", "concept"), ("scale_up", "pilot"), ("benefits_realisation", "scale_up")]


@pytest.mark.parametrize(("stage", "back_to"), BACK)
def test_recycle_reopens_the_checklist_of_the_stage_it_returns_to_and_only_it(engine, stage, back_to):
    world = new_world(engine, stage=stage, ready=True)
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        for earlier in (back_to, "fast_track"):
            create_checklist(session=session, initiative_id=initiative.id, stage=earlier)
            complete_checklist(session, initiative, earlier)
        # The earlier stage's checklist as its lead left it: one item not applicable with a reason, one open.
        first, *_, last = checklist_items(session, initiative.id, back_to)
        first.status, first.not_applicable_reason = "not_applicable", "Done nationally"
        last.status = "open"
        other = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                stage=stage, ready=True)
        create_checklist(session=session, initiative_id=other.id, stage=back_to)
        complete_checklist(session, other, back_to)
    before = snapshot(engine)
    earlier = statuses(engine, world.initiative.id, back_to)

    decision = decide(engine, world.owner, world.initiative.id, outcome="recycle", rework=f"  {REWORK}  ")

    assert (decision.to_stage, decision.rework) == (back_to, REWORK)
    assert statuses(engine, world.initiative.id, back_to) == {key: ("open", "") for key in earlier}
    after = snapshot(engine)
    assert [row[0] for row in after["checklist"]] == [row[0] for row in before["checklist"]]
    changed = {b[0] for b, a in zip(before["checklist"], after["checklist"]) if b != a}
    with read_session(engine) as session:
        expected = {i.id for i in checklist_items(session, world.initiative.id, back_to)
                    if earlier[i.key][0] != "open"}
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "checklist.reopen")
                              .order_by(col(AuditEvent.id))).all()
    # Only the settled items of the stage returned to changed (the stage left, the fast-track list and
    # the other initiative are as they were); each change is one audited reopening that names the decision.
    assert changed == expected
    assert [(e.entity_id, e.user_id, e.before["status"], e.before["not_applicable_reason"], e.after)
            for e in events] == [
        (item_id, world.owner.id, earlier[key][0], earlier[key][1],
         {"key": key, "status": "open", "not_applicable_reason": "", "decision_id": decision.id})
        for item_id, key in _ids_and_keys(engine, world.initiative.id, back_to) if item_id in expected]
    assert after["audit_events"] == before["audit_events"] + 1 + len(expected)
    with read_session(engine) as session:
        gate_event = session.exec(select(AuditEvent).where(AuditEvent.action == "gate.recycle")).one()
    assert gate_event.after["rework"] == REWORK


def _ids_and_keys(engine, initiative_id: int, stage: str) -> list[tuple[int, str]]:
    with read_session(engine) as session:
        return [(i.id, i.key) for i in checklist_items(session, initiative_id, stage)]


def test_after_a_recycle_the_gate_waits_for_the_reopened_items(engine):
    world = new_world(engine, stage="concept", ready=True)
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        for earlier in ("idea", "fast_track"):
            create_checklist(session=session, initiative_id=initiative.id, stage=earlier)
        complete_checklist(session, initiative, "idea")
    decide(engine, world.owner, world.initiative.id, outcome="recycle", rework=REWORK)
    panel = gate_panel(engine, world.owner, world.initiative.id)
    assert [m.render("en") for m in panel.unmet_go] == [
        "The checklist for Idea is not complete: 3 required items are open (Need analysed with the staff and "
        "patients who have it; Existing solutions in the organisation and nationally checked; Head of unit "
        "supports further work)."]
    assert panel.outcomes == ("hold", "stop")
    tick(engine, world.lead, world.initiative.id, "idea")
    assert gate_panel(engine, world.owner, world.initiative.id).outcomes == (
        "go", "conditional_go", "hold", "stop")


@pytest.mark.parametrize(("data", "messages"), [
    ({"rework": ""}, [NEEDS_REWORK]),
    ({"rework": "  \n "}, [NEEDS_REWORK]),
    ({"rework": "", "rationale": "Not yet"}, [NEEDS_RATIONALE, NEEDS_REWORK]),
    ({"rework": "x" * 20_001}, ["rework may have at most 20000 characters."]),
])
def test_a_recycle_without_what_must_be_redone_is_refused_and_changes_nothing(engine, data, messages):
    world = new_world(engine, stage="pilot", ready=True)
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        create_checklist(session=session, initiative_id=initiative.id, stage="concept")
        complete_checklist(session, initiative, "concept")
    refuse(engine, world, world.owner, ValidationError, messages, outcome="recycle", **data)
    with pytest.raises(ValidationError) as error:
        with write_session(engine) as session:
            record_gate_decision(session=session, actor=actor(session, world.owner),
                                 initiative_id=world.initiative.id, expected_version=world.initiative.version,
                                 data=DecisionInput(**{"rationale": RATIONALE, "outcome": "recycle", **data}))
    assert [p.field for p in error.value.problems][-1] == "rework"


def test_only_a_recycle_keeps_what_must_be_redone(engine):
    world = new_world(engine)
    decision = decide(engine, world.owner, world.initiative.id, outcome="go", rework="Typed, then go chosen")
    assert decision.rework == ""


# ---------------------------------------------------------------- what must be redone, in the gate panel

@pytest.mark.parametrize(("next_outcome", "data", "still_shown"), [
    ("hold", {"hold_review_date": IN_A_MONTH}, True),
    ("go", {}, False),
    ("conditional_go", {"conditions": "Pilot plan signed"}, False),
    ("stop", {"stop_reason": "No money", "lessons_learned": "Ask first"}, False),
    ("recycle", {"rework": "Start over from the need"}, False),
])
def test_the_gate_panel_shows_what_must_be_redone_until_a_decision_takes_the_initiative_out_of_the_stage(
        engine, next_outcome, data, still_shown):
    world = new_world(engine, stage="pilot", ready=True)
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        create_checklist(session=session, initiative_id=initiative.id, stage="concept")
        complete_checklist(session, initiative, "concept")
        # What the concept gate's go needs besides its checklist.
        make_indicator(session, make_benefit(session, initiative), baseline_value=20.0, target_value=40.0)
    assert gate_panel(engine, world.owner, world.initiative.id).rework is None
    recycle = decide(engine, world.owner, world.initiative.id, outcome="recycle", rework=REWORK)

    for reader in (world.owner, world.lead, world.steering):
        rework = gate_panel(engine, reader, world.initiative.id).rework
        assert (rework.text, rework.decided_by, rework.from_stage) == (REWORK, "Olga Ägare", "pilot")
        assert abs(rework.decided.local() - recycle.decided_at) < timedelta(seconds=1)
    # Completing the reopened items does not end it: only the decision owner judges the work redone.
    tick(engine, world.lead, world.initiative.id, "concept")
    assert gate_panel(engine, world.owner, world.initiative.id).rework.text == REWORK

    decide(engine, world.owner, world.initiative.id, outcome=next_outcome, **data)
    panel = gate_panel(engine, world.owner, world.initiative.id)
    if still_shown:
        assert panel.rework.text == REWORK
    elif next_outcome == "recycle":  # the newer recycle's note replaces the older one
        assert (panel.rework.text, panel.rework.from_stage) == ("Start over from the need", "concept")
    else:
        assert panel is None or panel.rework is None


def test_what_was_redone_is_not_shown_again_when_the_initiative_returns_to_the_stage(engine):
    world = new_world(engine, stage="concept", ready=True)
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        for earlier in ("idea", "fast_track"):
            create_checklist(session=session, initiative_id=initiative.id, stage=earlier)
        complete_checklist(session, initiative, "idea")
    decide(engine, world.owner, world.initiative.id, outcome="recycle", rework=REWORK)
    tick(engine, world.lead, world.initiative.id, "idea")
    decide(engine, world.owner, world.initiative.id, outcome="go")
    assert gate_panel(engine, world.owner, world.initiative.id).rework is None
    decide(engine, world.owner, world.initiative.id, outcome="hold", hold_review_date=IN_A_MONTH)
    assert gate_panel(engine, world.owner, world.initiative.id).rework is None


# ---------------------------------------------------------------- four eyes, the pure check

def fact(key: str, *, stage: str = "idea", status: str = "done", by: int | None = 1, reason: str = "",
         required: bool = True) -> ChecklistFact:
    return ChecklistFact(stage=stage, key=key, label=key, required=required, status=status,
                         not_applicable_reason=reason, completed_by=by)


@pytest.mark.parametrize(("items", "expected"), [
    ((), None),
    ((fact("a", by=2), fact("b", by=None)), None),  # someone else, or nobody recorded
    ((fact("a"), fact("b", by=2)), OwnWork(mine=1, completed=2)),
    ((fact("a"), fact("b"), fact("c", required=False)), OwnWork(mine=3, completed=3)),
    ((fact("a", status="open"), fact("b", by=2)), None),  # an open item was completed by nobody
    ((fact("a", status="not_applicable", reason="Done nationally"), fact("b", by=2)), OwnWork(1, 2)),
    ((fact("a", status="not_applicable", reason="  "), fact("b", by=2)), None),  # not settled without a reason
    ((fact("a", stage="fast_track"), fact("b", stage="concept"), fact("c", by=2)), None),  # other lists
])
def test_four_eyes_counts_the_settled_items_of_the_checklist_the_decider_completed(items, expected):
    assert four_eyes(items, "idea", 1) == expected


# ---------------------------------------------------------------- four eyes at the gate

def _world_with_ticks(engine, *, owner_decides: bool, owner_ticks: int, decision_owner: str = "owner") -> World:
    """An idea whose rules hold: the owner ticked the first ``owner_ticks`` items, the lead the rest."""
    world = new_world(engine, owner_decides=owner_decides, ready=False)
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        initiative.need_description, initiative.need_owner = "Long queues", "Head of primary care"
        initiative.expected_effects = "Shorter queues"
        world.deputy = make_user(session, username="deputy", display_name="Dag Deputy")
        if decision_owner != "owner":
            make_decision_owner(session, initiative, getattr(world, decision_owner))
    if owner_ticks:
        tick(engine, world.owner, world.initiative.id, "idea", owner_ticks)
    tick(engine, world.lead, world.initiative.id, "idea")  # the rest (unchanged items are left as they are)
    return world


@pytest.mark.parametrize(("owner_decides", "owner_ticks", "decision_owner", "mine", "who"), [
    # The owner decides as the decision owner; nobody else may decide this gate.
    (False, 2, "owner", 2, "someone an administrator makes the decision owner of this gate"),
    (False, 3, "owner", 3, "someone an administrator makes the decision owner of this gate"),
    # The owner decides as a portfolio owner: another owner, or the gate's own decision owner, must.
    (True, 3, "deputy", 3, f"the decision owner Dag Deputy or another portfolio owner of {PORTFOLIO}"),
    (True, 1, "owner", 1, f"another portfolio owner of {PORTFOLIO}"),
])
@pytest.mark.parametrize("outcome", ["go", "conditional_go"])
def test_whoever_completed_checklist_items_may_not_approve_the_gate(engine, owner_decides, owner_ticks,
                                                                     decision_owner, mine, who, outcome):
    world = _world_with_ticks(engine, owner_decides=owner_decides, owner_ticks=owner_ticks,
                              decision_owner=decision_owner)
    message = four_eyes_refusal(mine, 3, who)
    refuse(engine, world, world.owner, PermissionDenied, [message], outcome=outcome, conditions="Budget set")
    with read_session(engine) as session:
        options = decision_options(session=session, actor=actor(session, world.owner),
                                   initiative=session.get(Initiative, world.initiative.id))
    assert options.outcomes == ["hold", "stop"]
    assert options.second_person["go"].render("en") == message
    panel = gate_panel(engine, world.owner, world.initiative.id)
    assert (panel.unmet_go, panel.second_person_go.render("en")) == ((), message)


def test_the_decision_owner_who_ticked_items_too_is_not_named(engine):
    world = _world_with_ticks(engine, owner_decides=True, owner_ticks=1, decision_owner="deputy")
    with write_session(engine) as session:
        complete_checklist(session, session.get(Initiative, world.initiative.id), "idea", by=world.deputy)
        items = checklist_items(session, world.initiative.id, "idea")
        items[0].updated_by_id = world.owner.id
    refuse(engine, world, world.owner, PermissionDenied,
           [four_eyes_refusal(1, 3, f"another portfolio owner of {PORTFOLIO}")], outcome="go")


def test_a_decision_owner_who_is_no_portfolio_owner_is_sent_to_the_portfolio_owners(engine):
    world = _world_with_ticks(engine, owner_decides=True, owner_ticks=0, decision_owner="deputy")
    with write_session(engine) as session:
        complete_checklist(session, session.get(Initiative, world.initiative.id), "idea", by=world.deputy)
    refuse(engine, world, world.deputy, PermissionDenied,
           [four_eyes_refusal(3, 3, f"a portfolio owner of {PORTFOLIO}")], outcome="go")


@pytest.mark.parametrize("outcome, data", [
    ("hold", {"hold_review_date": IN_A_MONTH}),
    ("stop", {"stop_reason": "No money", "lessons_learned": "Ask first"}),
])
def test_whoever_completed_the_items_may_still_hold_or_stop(engine, outcome, data):
    world = _world_with_ticks(engine, owner_decides=False, owner_ticks=3)
    assert decide(engine, world.owner, world.initiative.id, outcome=outcome, **data).outcome == outcome


def test_a_second_person_confirms_the_gate(engine):
    world = _world_with_ticks(engine, owner_decides=True, owner_ticks=3, decision_owner="deputy")
    with read_session(engine) as session:
        options = decision_options(session=session, actor=actor(session, world.deputy),
                                   initiative=session.get(Initiative, world.initiative.id))
    assert (options.outcomes, options.second_person) == (["go", "conditional_go", "hold", "stop"], {})
    decision = decide(engine, world.deputy, world.initiative.id, outcome="go")
    assert (decision.decided_by_id, decision.to_stage) == (world.deputy.id, "concept")


def test_the_lead_completes_and_the_owner_approves(engine):
    world = _world_with_ticks(engine, owner_decides=False, owner_ticks=0)
    assert decide(engine, world.owner, world.initiative.id, outcome="go").to_stage == "concept"


# ---------------------------------------------------------------- the process option, and the fast track

@pytest.fixture
def process_without_four_eyes(tmp_path, monkeypatch) -> None:
    """The default process with ``four_eyes = false``, for the gate decisions of the test."""
    text = DEFAULT_PROCESS_FILE.read_text(encoding="utf-8")
    assert "four_eyes = true" in text
    path = tmp_path / "process.toml"
    path.write_text(text.replace("four_eyes = true", "four_eyes = false"), encoding="utf-8")
    monkeypatch.setattr(gates, "load_process", lambda: load_process(Path(path)))


def test_the_process_option_off_lets_whoever_completed_the_items_approve(engine, process_without_four_eyes):
    world = _world_with_ticks(engine, owner_decides=False, owner_ticks=3)
    assert gate_panel(engine, world.owner, world.initiative.id).second_person_go is None
    assert decide(engine, world.owner, world.initiative.id, outcome="go").to_stage == "concept"


@pytest.mark.parametrize("option", ["on", "off"])
def test_a_fast_track_always_involves_two_people(engine, request, option):
    if option == "off":
        request.getfixturevalue("process_without_four_eyes")
    world = _world_with_ticks(engine, owner_decides=False, owner_ticks=0)
    tick(engine, world.owner, world.initiative.id, "fast_track", 2)
    tick(engine, world.lead, world.initiative.id, "fast_track")
    message = fast_track_refusal(2, 3, "someone an administrator makes the decision owner of this gate")
    refuse(engine, world, world.owner, PermissionDenied, [message], outcome="fast_track")
    panel = gate_panel(engine, world.owner, world.initiative.id)
    assert (panel.unmet_fast_track, panel.second_person_fast_track.render("en")) == ((), message)
    assert "fast_track" not in panel.outcomes
    # The gate's own go is the lead's work alone, so the owner may still approve that.
    assert (panel.second_person_go, "go" in panel.outcomes) == (None, True)


def test_a_fast_track_the_lead_prepared_is_approved_by_the_owner(engine):
    world = _world_with_ticks(engine, owner_decides=False, owner_ticks=0)
    tick(engine, world.lead, world.initiative.id, "fast_track")
    assert decide(engine, world.owner, world.initiative.id, outcome="fast_track").to_stage == "scale_up"


@pytest.mark.parametrize(("line", "expected"), [
    ("", True), ("four_eyes = true", True), ("four_eyes = false", False)])
def test_the_process_file_sets_four_eyes(tmp_path, line, expected):
    path = tmp_path / "process.toml"
    path.write_text(f"{line}\n[gates.idea]\nrules = []\n", encoding="utf-8")
    assert load_process(path).four_eyes is expected


def test_the_process_file_refuses_a_four_eyes_that_is_not_true_or_false(tmp_path):
    path = tmp_path / "process.toml"
    path.write_text('four_eyes = "yes"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="four_eyes must be true or false, not 'yes'"):
        load_process(path)
