"""Who may do what: the PERMISSIONS table per role, the separation-of-duties rules, and the actions
themselves refusing (with the exact reason) and writing nothing."""

from __future__ import annotations

from typing import Callable, Optional

import pytest

from db.engine import read_session, write_session
from db.models import GateDecision, Initiative, RoleAssignment
from portfolio.checklists import ChecklistChange, update_checklist
from portfolio.errors import PermissionDenied, ValidationError
from portfolio.gates import (
    DecisionInput,
    assign_decision_owner,
    decision_options,
    mark_conditions_met,
    record_gate_decision,
)
from portfolio.initiatives import update_initiative
from portfolio.permissions import PERMISSIONS, Scope, decision_owner_id, initiative_scope, refusal
from tests.factories import (
    World,
    actor,
    checklist_items,
    make_decision_owner,
    make_initiative,
    make_org_unit,
    make_portfolio,
    make_user,
    snapshot,
)

ROLES = ("owner", "lead", "steering", "reporter", "admin", "stranger", "decision_owner")

EDIT = "Only the implementation lead, the portfolio owner or an administrator may edit this initiative."
CHECKLIST = "Only the implementation lead or the portfolio owner may update the checklist."
DECIDE = "Only the decision owner of this gate may decide it."
LEAD_NEVER = "The implementation lead of an initiative may not decide its gates."
CONDITIONS = "Only the decision owner or the portfolio owner may mark the conditions as met."
ASSIGN = "Only an administrator may reassign decision owners."
AUDIT = "Only an administrator or the steering group may export the audit trail."
CHANGE_LEAD = "Only the portfolio owner or an administrator may change the implementation lead."
AUDIT_READ = ("Only administrators, the portfolio's owners, steering group and implementation leads, and the "
              "initiative's own lead and decision owners may read its audit trail.")
AUDIT_DETAIL = "Only an administrator, the portfolio owner or the steering group may see what a change changed."
SIGN_IN = "You must sign in first."


def build_world(engine, *, owner_decides: bool = False) -> World:
    """World plus a separate decision owner of the idea gate, assigned by the admin through the action."""
    with write_session(engine) as session:
        world = World(session, owner_decides=owner_decides)
        world.decider = make_user(session, username="decider")
        assign_decision_owner(session=session, actor=actor(session, world.admin), initiative_id=world.initiative.id,
                              expected_version=world.initiative.version, gate="idea", user_id=world.decider.id)
        world.users["decision_owner"] = world.decider
        world.version = world.initiative.version
    return world


def action_scope(session, action: str, initiative: Initiative) -> Scope:
    """The scope each action builds for its check (as the domain code builds it)."""
    if action in ("gate.decide", "audit.read", "audit.detail"):
        return initiative_scope(session, initiative)
    if action == "gate.conditions_met":
        return Scope(portfolio_id=initiative.portfolio_id,
                     decision_owner_id=decision_owner_id(session, initiative.id, initiative.stage))
    if action == "initiative.create":
        return Scope()
    if action in ("decision_owner.assign", "audit.export"):
        return Scope(portfolio_id=initiative.portfolio_id)
    return Scope(portfolio_id=initiative.portfolio_id, lead_id=initiative.lead_id)


def refusals(engine, world: World, action: str) -> dict[str, Optional[str]]:
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        scope = action_scope(session, action, initiative)
        result = {}
        for role in ROLES:
            message = refusal(action, actor(session, world.users[role]), scope)
            result[role] = None if message is None else message.render("en")
        return result


def table(allowed: set[str], message: str, **special: str) -> dict[str, Optional[str]]:
    return {role: None if role in allowed else special.get(role, message) for role in ROLES}


# action -> role -> expected refusal (None = allowed), with the portfolio's owner_decides off / on.
PERMISSION_TABLE = {
    "initiative.create": table(set(ROLES), ""),
    "initiative.edit": table({"owner", "lead", "admin"}, EDIT),
    "checklist.update": table({"owner", "lead"}, CHECKLIST),
    "gate.decide": table({"decision_owner"}, DECIDE, lead=LEAD_NEVER),
    "gate.conditions_met": table({"decision_owner", "owner"}, CONDITIONS),
    "decision_owner.assign": table({"admin"}, ASSIGN),
    "audit.export": table({"admin", "steering"}, AUDIT),
    "initiative.change_lead": table({"owner", "admin"}, CHANGE_LEAD),
    # The lead (role in the portfolio and lead of the initiative) and the decision owner read the trail.
    "audit.read": table({"admin", "owner", "steering", "lead", "decision_owner"}, AUDIT_READ),
    "audit.detail": table({"admin", "owner", "steering"}, AUDIT_DETAIL),
}
# With owner_decides the portfolio owner decides too; nothing else changes.
OWNER_DECIDES_TABLE = {**PERMISSION_TABLE,
                       "gate.decide": table({"decision_owner", "owner"}, DECIDE, lead=LEAD_NEVER)}


@pytest.mark.parametrize(("owner_decides", "expected"), [(False, PERMISSION_TABLE), (True, OWNER_DECIDES_TABLE)],
                         ids=["owner_decides-off", "owner_decides-on"])
def test_role_action_table(engine, owner_decides, expected):
    world = build_world(engine, owner_decides=owner_decides)
    actual = {action: refusals(engine, world, action) for action in expected}
    for action in expected:  # one assertion per action, so a failure names the action
        assert (action, actual[action]) == (action, expected[action])


def test_table_covers_the_core_actions():
    covered = set(PERMISSION_TABLE)
    assert covered == {"initiative.create", "initiative.edit", "checklist.update", "gate.decide",
                       "gate.conditions_met", "decision_owner.assign", "audit.export", "initiative.change_lead",
                       "audit.read", "audit.detail"}
    assert covered <= set(PERMISSIONS)


@pytest.mark.parametrize("action", sorted(PERMISSIONS))
def test_nobody_signed_in_is_refused_everything(action):
    assert refusal(action, None, Scope()).render("en") == SIGN_IN


# ---------------------------------------------------------------- who decides


def test_portfolio_owner_decides_as_recorded_decision_owner(engine):
    # By default the portfolio owner is recorded as the decision owner of every gate.
    with write_session(engine) as session:
        world = World(session, owner_decides=False)
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        assert decision_owner_id(session, initiative.id, "idea") == world.owner.id
        scope = initiative_scope(session, initiative)
        assert refusal("gate.decide", actor(session, world.owner), scope) is None
        assert refusal("gate.decide", actor(session, world.steering), scope).render("en") == DECIDE


def test_portfolio_owner_decides_only_when_configured(engine):
    world = build_world(engine, owner_decides=False)
    assert refusals(engine, world, "gate.decide")["owner"] == DECIDE
    with write_session(engine) as session:
        portfolio = session.get(type(world.portfolio), world.portfolio.id)
        portfolio.owner_decides = True
        session.add(portfolio)
    assert refusals(engine, world, "gate.decide")["owner"] is None


def test_decision_owner_of_another_gate_does_not_decide_this_one(engine):
    with write_session(engine) as session:
        world = World(session)
        other = make_user(session, username="concept_decider")
        make_decision_owner(session, world.initiative, other, gate="concept")
    with read_session(engine) as session:
        scope = initiative_scope(session, session.get(Initiative, world.initiative.id))
        assert refusal("gate.decide", actor(session, other), scope).render("en") == DECIDE


@pytest.mark.parametrize("how", ["recorded_decision_owner", "portfolio_owner_who_decides", "both"])
def test_lead_never_decides(engine, how):
    with write_session(engine) as session:
        world = World(session, owner_decides=how != "recorded_decision_owner")
        if how != "portfolio_owner_who_decides":
            make_decision_owner(session, world.initiative, world.lead)
        if how != "recorded_decision_owner":
            session.add(RoleAssignment(user_id=world.lead.id, role="portfolio_owner",
                                       portfolio_id=world.portfolio.id))
            session.flush()
    before = snapshot(engine, world.initiative.id)
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        lead = actor(session, world.lead)
        assert refusal("gate.decide", lead, initiative_scope(session, initiative)).render("en") == LEAD_NEVER
        options = decision_options(session=session, actor=lead, initiative=initiative)
        assert options.outcomes == [] and options.refusal.render("en") == LEAD_NEVER
    with pytest.raises(PermissionDenied) as error:
        with write_session(engine) as session:
            record_gate_decision(session=session, actor=actor(session, world.lead), initiative_id=world.initiative.id,
                                 expected_version=before["version"], data=DecisionInput(outcome="go"))
    assert error.value.render("en") == [LEAD_NEVER]
    assert snapshot(engine, world.initiative.id) == before


def test_admin_reassigns_decision_owners_but_cannot_decide(engine):
    world = build_world(engine)
    with read_session(engine) as session:
        assert decision_owner_id(session, world.initiative.id, "idea") == world.decider.id
    before = snapshot(engine, world.initiative.id)
    with pytest.raises(PermissionDenied) as error:
        with write_session(engine) as session:
            record_gate_decision(session=session, actor=actor(session, world.admin), initiative_id=world.initiative.id,
                                 expected_version=world.version, data=DecisionInput(outcome="go"))
    assert error.value.render("en") == [DECIDE]
    assert snapshot(engine, world.initiative.id) == before


def test_admin_cannot_make_the_lead_a_decision_owner(engine):
    world = build_world(engine)
    before = snapshot(engine, world.initiative.id)
    with pytest.raises(ValidationError) as error:
        with write_session(engine) as session:
            assign_decision_owner(session=session, actor=actor(session, world.admin),
                                  initiative_id=world.initiative.id, expected_version=world.version, gate="concept",
                                  user_id=world.lead.id)
    assert error.value.render("en") == [LEAD_NEVER]
    assert snapshot(engine, world.initiative.id) == before


def test_portfolio_owner_scope_covers_sub_portfolios(engine):
    with write_session(engine) as session:
        parent_owner = make_user(session, username="parent_owner")
        parent = make_portfolio(session, owner=parent_owner, name="Parent")
        session.add(RoleAssignment(user_id=parent_owner.id, role="portfolio_owner", portfolio_id=parent.id))
        child = make_portfolio(session, parent=parent, owner_decides=True, name="Child")
        grandchild = make_portfolio(session, parent=child, owner_decides=True, name="Grandchild")
        sibling_owner = make_user(session, username="sibling_owner")
        sibling = make_portfolio(session, owner=sibling_owner, owner_decides=True, name="Sibling")
        session.add(RoleAssignment(user_id=sibling_owner.id, role="portfolio_owner", portfolio_id=sibling.id))
        lead = make_user(session, username="lead")
        decider = make_user(session, username="decider")
        initiative = make_initiative(session, portfolio=grandchild, creator=lead, lead=lead, ready=True)
        # The default decision owner is found up the tree; move it to someone else so only the
        # portfolio-owner scope is left to grant the decision.
        assert decision_owner_id(session, initiative.id, "idea") == parent_owner.id
        make_decision_owner(session, initiative, decider)
    with read_session(engine) as session:
        initiative = session.get(Initiative, initiative.id)
        owner_actor = actor(session, parent_owner)
        assert grandchild.id in owner_actor.owned_portfolios and child.id in owner_actor.owned_portfolios
        outcomes = {}
        for who, user in (("parent_owner", parent_owner), ("sibling_owner", sibling_owner)):
            for action in ("initiative.edit", "checklist.update", "gate.decide", "gate.conditions_met"):
                message = refusal(action, actor(session, user), action_scope(session, action, initiative))
                outcomes[who, action] = None if message is None else message.render("en")
    assert outcomes == {
        ("parent_owner", "initiative.edit"): None,
        ("parent_owner", "checklist.update"): None,
        ("parent_owner", "gate.decide"): None,
        ("parent_owner", "gate.conditions_met"): None,
        ("sibling_owner", "initiative.edit"): EDIT,
        ("sibling_owner", "checklist.update"): CHECKLIST,
        ("sibling_owner", "gate.decide"): DECIDE,
        ("sibling_owner", "gate.conditions_met"): CONDITIONS,
    }


def test_owner_of_a_sub_portfolio_has_no_say_in_the_parent(engine):
    with write_session(engine) as session:
        parent = make_portfolio(session, owner_decides=True)
        child_owner = make_user(session, username="child_owner")
        child = make_portfolio(session, parent=parent, owner=child_owner, owner_decides=True)
        session.add(RoleAssignment(user_id=child_owner.id, role="portfolio_owner", portfolio_id=child.id))
        lead = make_user(session)
        initiative = make_initiative(session, portfolio=parent, creator=lead, lead=lead)
    with read_session(engine) as session:
        initiative = session.get(Initiative, initiative.id)
        child_actor = actor(session, child_owner)
        assert refusal("gate.decide", child_actor, initiative_scope(session, initiative)).render("en") == DECIDE
        assert refusal("initiative.edit", child_actor,
                       action_scope(session, "initiative.edit", initiative)).render("en") == EDIT


# ---------------------------------------------------------------- end to end through the actions


# role -> what record_gate_decision does: None = the go is recorded, else the refusal
DECIDE_END_TO_END = {"owner": DECIDE, "lead": LEAD_NEVER, "steering": DECIDE, "reporter": DECIDE,
                     "admin": DECIDE, "stranger": DECIDE, "decision_owner": None}


def test_record_gate_decision_refused_per_role(engine):
    world = build_world(engine)
    before = snapshot(engine, world.initiative.id)
    denied = {role: message for role, message in DECIDE_END_TO_END.items() if message is not None}
    results = {role: _attempt(engine, world, role, lambda s, a: record_gate_decision(
        session=s, actor=a, initiative_id=world.initiative.id, expected_version=world.version,
        data=DecisionInput(outcome="go", rationale="Ready"))) for role in denied}
    assert results == denied
    assert snapshot(engine, world.initiative.id) == before


def test_record_gate_decision_by_the_decision_owner(engine):
    world = build_world(engine)
    before = snapshot(engine, world.initiative.id)
    with write_session(engine) as session:
        decision = record_gate_decision(session=session, actor=actor(session, world.decider),
                                        initiative_id=world.initiative.id, expected_version=world.version,
                                        data=DecisionInput(outcome="go", rationale="Ready"))
    after = snapshot(engine, world.initiative.id)
    assert (decision.from_stage, decision.to_stage, decision.decided_by_id) == ("idea", "concept", world.decider.id)
    assert (after["stage"], after["version"]) == ("concept", before["version"] + 1)
    assert after["decisions"] == before["decisions"] + 1


def _attempt(engine, world: World, role: str, perform: Callable) -> Optional[str]:
    """Run one action as ``role`` in its own transaction; the refusal text, or None when it went through."""
    try:
        with write_session(engine) as session:
            perform(session, actor(session, world.users[role]))
    except PermissionDenied as error:
        assert len(error.messages) == 1
        return str(error.messages[0])
    return None


def test_update_initiative_end_to_end(engine):
    world = build_world(engine)
    denied = ("steering", "reporter", "stranger", "decision_owner")
    before = snapshot(engine, world.initiative.id)
    results = {
        role: _attempt(engine, world, role, lambda s, a: update_initiative(
            session=s, actor=a, initiative_id=world.initiative.id, expected_version=world.version,
            changes={"title": "Renamed"}))
        for role in denied
    }
    assert results == dict.fromkeys(denied, EDIT)
    assert snapshot(engine, world.initiative.id) == before
    # Each permitted role does get through (each on the then-current version).
    for role in ("lead", "owner", "admin"):
        version = snapshot(engine, world.initiative.id)["version"]
        assert _attempt(engine, world, role, lambda s, a: update_initiative(
            session=s, actor=a, initiative_id=world.initiative.id, expected_version=version,
            changes={"title": f"Renamed by {role}"})) is None
        assert snapshot(engine, world.initiative.id)["title"] == f"Renamed by {role}"


def test_update_checklist_end_to_end(engine):
    world = build_world(engine)
    with read_session(engine) as session:
        item = checklist_items(session, world.initiative.id, "idea")[0]
    denied = ("steering", "reporter", "admin", "stranger", "decision_owner")
    before = snapshot(engine, world.initiative.id)
    change = [ChecklistChange(item.id, item.version, "open")]
    results = {role: _attempt(engine, world, role, lambda s, a: update_checklist(
        session=s, actor=a, initiative_id=world.initiative.id, changes=change)) for role in denied}
    assert results == dict.fromkeys(denied, CHECKLIST)
    assert snapshot(engine, world.initiative.id) == before
    assert _attempt(engine, world, "lead", lambda s, a: update_checklist(
        session=s, actor=a, initiative_id=world.initiative.id, changes=change)) is None
    assert snapshot(engine, world.initiative.id)["checklist"] != before["checklist"]


def test_mark_conditions_met_end_to_end(engine):
    world = build_world(engine)
    with write_session(engine) as session:
        decision = record_gate_decision(session=session, actor=actor(session, world.decider),
                                        initiative_id=world.initiative.id, expected_version=world.version,
                                        data=DecisionInput(outcome="conditional_go", conditions="DPIA signed"))
    denied = ("lead", "steering", "reporter", "admin", "stranger")
    before = snapshot(engine, world.initiative.id)
    results = {role: _attempt(engine, world, role, lambda s, a: mark_conditions_met(
        session=s, actor=a, decision_id=decision.id)) for role in denied}
    assert results == dict.fromkeys(denied, CONDITIONS)
    assert snapshot(engine, world.initiative.id) == before
    with read_session(engine) as session:
        assert session.get(GateDecision, decision.id).conditions_met is False


def test_assign_decision_owner_end_to_end(engine):
    world = build_world(engine)
    denied = ("owner", "lead", "steering", "reporter", "stranger", "decision_owner")
    before = snapshot(engine, world.initiative.id)
    results = {role: _attempt(engine, world, role, lambda s, a: assign_decision_owner(
        session=s, actor=a, initiative_id=world.initiative.id, expected_version=world.version, gate="idea",
        user_id=world.steering.id)) for role in denied}
    assert results == dict.fromkeys(denied, ASSIGN)
    assert snapshot(engine, world.initiative.id) == before


def test_decision_options_per_role(engine):
    world = build_world(engine)
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        offered = {}
        for role in ROLES:
            options = decision_options(session=session, actor=actor(session, world.users[role]),
                                       initiative=initiative)
            offered[role] = (options.outcomes, options.refusal.render("en") if options.refusal else None)
    everything = ["go", "conditional_go", "hold", "stop"]  # the fast-track checklist is still open
    assert offered == {role: ([], message) if message else (everything, None)
                       for role, message in DECIDE_END_TO_END.items()}


def test_reporter_scope_covers_sub_units(engine):
    with write_session(engine) as session:
        world = World(session)
        ward = make_org_unit(session, parent=world.unit, name="Ward")
        elsewhere = make_org_unit(session, name="Elsewhere")
    with read_session(engine) as session:
        reporter = actor(session, world.reporter)
        assert reporter.reporting_units == frozenset({world.unit.id, ward.id})
        assert refusal("measurement.report", reporter, Scope(org_unit_id=ward.id)) is None
        assert refusal("measurement.report", reporter, Scope(org_unit_id=elsewhere.id)).render("en") == (
            "You may only report figures for your own units.")


# ---------------------------------------------------------------- what the initiative page offers


def test_initiative_permissions_are_the_registry_for_every_page_action(engine):
    from dataclasses import replace

    from portfolio.permissions import GATE_BOUND_ACTIONS, INITIATIVE_PAGE_ACTIONS, at_gate, initiative_permissions
    from workflows.lifecycle import STAGE_ORDER

    world = build_world(engine)
    with read_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        scope = initiative_scope(session, initiative)
        for role, user in world.users.items():
            who = actor(session, user)
            page = initiative_permissions(session, who, initiative)
            expected = {action: refusal(action, who, scope) for action in INITIATIVE_PAGE_ACTIONS}
            # A reporter may report for their own units on any initiative.
            if who.reporting_units:
                expected["measurement.report"] = refusal(
                    "measurement.report", who, replace(scope, org_unit_id=min(who.reporting_units)))
            expected.update({at_gate(action, gate): refusal(action, who, initiative_scope(session, initiative, gate))
                             for action in GATE_BOUND_ACTIONS for gate in STAGE_ORDER})
            assert (role, page) == (role, expected)
        assert initiative_permissions(session, actor(session, world.reporter), initiative)["measurement.report"] is None
        assert initiative_permissions(session, actor(session, world.decider), initiative)[
            at_gate("gate.conditions_met", "idea")] is None
        assert initiative_permissions(session, actor(session, world.decider), initiative)[
            at_gate("gate.conditions_met", "concept")].render("en") == CONDITIONS
