"""Separation of duties cannot be sidestepped: whoever led an initiative at any time since its last
gate decision may not decide the next gate, and only the portfolio owner or an administrator may
change the lead (audited)."""

from __future__ import annotations

import pytest

from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, Initiative, RoleAssignment
from portfolio.errors import PermissionDenied
from portfolio.gates import DecisionInput, decision_options, record_gate_decision
from portfolio.initiatives import update_initiative
from portfolio.permissions import initiative_scope, refusal
from tests.factories import World, actor, make_decision_owner, make_user, snapshot, waiting_gates

LEAD_NEVER = "The implementation lead of an initiative may not decide its gates."
FORMER_LEAD = ("You were the implementation lead of this initiative since its last gate decision, "
               "so you may not decide this gate.")
CHANGE_LEAD = "Only the portfolio owner or an administrator may change the implementation lead."
EDIT = "Only the implementation lead, the portfolio owner or an administrator may edit this initiative."


def _leads(engine, initiative_id: int) -> tuple[int | None, list[int]]:
    with read_session(engine) as session:
        initiative = session.get(Initiative, initiative_id)
        return initiative.lead_id, list(initiative.leads_since_last_gate)


def _last_audit_event(engine, initiative_id: int) -> AuditEvent:
    with read_session(engine) as session:
        return session.exec(select(AuditEvent).where(AuditEvent.initiative_id == initiative_id)
                            .order_by(col(AuditEvent.id).desc())).first()


def _change_lead(engine, by, initiative_id: int, lead_id: int | None) -> None:
    with write_session(engine) as session:
        version = session.get(Initiative, initiative_id).version
        update_initiative(session=session, actor=actor(session, by), initiative_id=initiative_id,
                          expected_version=version, changes={"lead_id": lead_id})


def _decide(engine, by, initiative_id: int, outcome: str = "go") -> None:
    with write_session(engine) as session:
        version = session.get(Initiative, initiative_id).version
        record_gate_decision(session=session, actor=actor(session, by), initiative_id=initiative_id,
                             expected_version=version, data=DecisionInput(outcome=outcome, rationale="Ready for the next stage"))


@pytest.fixture
def owner_who_leads(engine) -> World:
    """The portfolio owner is the recorded decision owner of every gate and also leads the initiative."""
    with write_session(engine) as session:
        world = World(session)
        initiative = session.get(Initiative, world.initiative.id)
        initiative.lead_id = world.owner.id
        session.add(initiative)
        world.deputy = make_user(session, username="deputy")
    return world


def test_owner_who_leads_cannot_hand_the_lead_away_decide_and_take_it_back(engine, owner_who_leads):
    world = owner_who_leads
    _change_lead(engine, world.owner, world.initiative.id, world.deputy.id)
    assert _leads(engine, world.initiative.id) == (world.deputy.id, [world.owner.id, world.deputy.id])
    before = snapshot(engine, world.initiative.id)
    with pytest.raises(PermissionDenied) as error:
        _decide(engine, world.owner, world.initiative.id)
    assert error.value.render("en") == [FORMER_LEAD]
    assert snapshot(engine, world.initiative.id) == before
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        options = decision_options(session=session, actor=actor(session, world.owner), initiative=initiative)
        assert (options.outcomes, options.refusal.render("en")) == ([], FORMER_LEAD)
        # The gate no longer waits for the owner; the deputy, now the lead, never decides either.
        assert waiting_gates(session, actor(session, world.owner)) == []
    _change_lead(engine, world.owner, world.initiative.id, world.owner.id)
    with pytest.raises(PermissionDenied) as error:
        _decide(engine, world.owner, world.initiative.id)
    assert error.value.render("en") == [LEAD_NEVER]


def test_someone_who_never_led_decides_and_the_decision_resets_the_list(engine, owner_who_leads):
    world = owner_who_leads
    _change_lead(engine, world.owner, world.initiative.id, world.deputy.id)
    _change_lead(engine, world.admin, world.initiative.id, world.lead.id)
    assert _leads(engine, world.initiative.id) == (world.lead.id, [world.owner.id, world.deputy.id, world.lead.id])
    with write_session(engine) as session:
        decider = make_user(session, username="decider")
        make_decision_owner(session, session.get(Initiative, world.initiative.id), decider)
    _decide(engine, decider, world.initiative.id)
    # Only the current lead stays barred from the next gate.
    assert _leads(engine, world.initiative.id) == (world.lead.id, [world.lead.id])
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        assert initiative.stage == "concept"
        scope = initiative_scope(session, initiative)
        assert refusal("gate.decide", actor(session, world.owner), scope) is None
        assert refusal("gate.decide", actor(session, world.lead), scope).render("en") == LEAD_NEVER


def test_removing_the_lead_keeps_the_former_lead_barred(engine, owner_who_leads):
    world = owner_who_leads
    _change_lead(engine, world.owner, world.initiative.id, None)
    assert _leads(engine, world.initiative.id) == (None, [world.owner.id])
    with pytest.raises(PermissionDenied) as error:
        _decide(engine, world.owner, world.initiative.id)
    assert error.value.render("en") == [FORMER_LEAD]


def test_a_portfolio_owner_who_decides_by_configuration_is_barred_too(engine):
    with write_session(engine) as session:
        world = World(session, owner_decides=True)
        decider = make_user(session, username="decider")
        make_decision_owner(session, session.get(Initiative, world.initiative.id), decider)
        # A second portfolio owner leads for a while.
        deputy_owner = make_user(session, username="deputy_owner")
        session.add(RoleAssignment(user_id=deputy_owner.id, role="portfolio_owner", portfolio_id=world.portfolio.id))
        session.flush()
    _change_lead(engine, world.owner, world.initiative.id, deputy_owner.id)
    _change_lead(engine, world.owner, world.initiative.id, world.lead.id)
    with read_session(engine) as session:
        scope = initiative_scope(session, session.get(Initiative, world.initiative.id))
        assert refusal("gate.decide", actor(session, deputy_owner), scope).render("en") == FORMER_LEAD
        assert refusal("gate.decide", actor(session, world.owner), scope) is None
        waiting = [p.initiative.id for p in waiting_gates(session, actor(session, deputy_owner))]
        assert waiting == []
        assert [p.initiative.id for p in waiting_gates(session, actor(session, world.owner))] == [
            world.initiative.id]


# role -> the refusal when they set a new lead (None: the lead is changed)
CHANGE_LEAD_BY_ROLE = {"owner": None, "admin": None, "lead": CHANGE_LEAD, "steering": EDIT, "reporter": EDIT,
                       "stranger": EDIT}


@pytest.mark.parametrize(("role", "expected"), CHANGE_LEAD_BY_ROLE.items(), ids=CHANGE_LEAD_BY_ROLE)
def test_who_may_change_the_lead(engine, role, expected):
    with write_session(engine) as session:
        world = World(session)
        successor = make_user(session, username="successor")
    before = snapshot(engine, world.initiative.id)
    if expected is None:
        _change_lead(engine, world.users[role], world.initiative.id, successor.id)
        assert _leads(engine, world.initiative.id) == (successor.id, [world.lead.id, successor.id])
        return
    with pytest.raises(PermissionDenied) as error:
        _change_lead(engine, world.users[role], world.initiative.id, successor.id)
    assert error.value.render("en") == [expected]
    assert snapshot(engine, world.initiative.id) == before
    assert _leads(engine, world.initiative.id) == (world.lead.id, [])


def test_the_lead_still_edits_the_other_details(engine):
    with write_session(engine) as session:
        world = World(session)
    with write_session(engine) as session:
        # The page sends every field, the unchanged lead included.
        update_initiative(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                          expected_version=world.initiative.version,
                          changes={"title": "Digital triage, phase 2", "lead_id": world.lead.id})
    assert snapshot(engine, world.initiative.id)["title"] == "Digital triage, phase 2"
    assert _leads(engine, world.initiative.id) == (world.lead.id, [])


def test_changing_the_lead_is_audited(engine):
    with write_session(engine) as session:
        world = World(session)
        successor = make_user(session, username="successor")
    _change_lead(engine, world.owner, world.initiative.id, successor.id)
    event = _last_audit_event(engine, world.initiative.id)
    assert (event.action, event.user_id, event.entity, event.entity_id) == (
        "initiative.update", world.owner.id, "initiative", world.initiative.id)
    assert event.before == {"lead_id": world.lead.id, "leads_since_last_gate": []}
    assert event.after == {"lead_id": successor.id, "leads_since_last_gate": [world.lead.id, successor.id]}


def test_a_lead_since_the_last_gate_cannot_be_made_decision_owner_of_the_next_gate(engine):
    """The administrator's reassignment follows the same rule as deciding: a former lead of this gate
    period is refused with their name, and nothing changes; the next gate's owner is not affected."""
    from portfolio.errors import ValidationError
    from portfolio.gates import assign_decision_owner
    from tests.factories import assert_refused

    with write_session(engine) as session:
        world = World(session)
        deputy = make_user(session, username="deputy", display_name="Dana Deputy")
    _change_lead(engine, world.owner, world.initiative.id, deputy.id)
    _change_lead(engine, world.owner, world.initiative.id, world.lead.id)
    with read_session(engine) as session:
        version = session.get(Initiative, world.initiative.id).version
    assert_refused(engine, world.initiative.id, ValidationError, [
        "Dana Deputy was the implementation lead of this initiative since its last gate decision, "
        "so they may not decide this gate."],
        lambda s: assign_decision_owner(session=s, actor=actor(s, world.admin), initiative_id=world.initiative.id,
                                        expected_version=version, gate="idea", user_id=deputy.id))
    with write_session(engine) as session:
        owner = assign_decision_owner(session=session, actor=actor(session, world.admin),
                                      initiative_id=world.initiative.id, expected_version=version,
                                      gate="concept", user_id=deputy.id)
        assert (owner.gate, owner.user_id) == ("concept", deputy.id)
