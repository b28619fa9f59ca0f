"""Who may do what: the PERMISSIONS table per role, the separation-of-duties rules, and the actions
themselves refusing (with the exact reason) and writing nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import GateDecision, Initiative, RoleAssignment
from portfolio.audit import export_audit_for
from portfolio.benefits import BenefitInput, create_benefit, explain_deviation, save_calculation
from portfolio.benefits_math import CashflowYear
from portfolio.checklists import ChecklistChange, update_checklist
from portfolio.dispatch import Dispatcher
from portfolio.errors import PermissionDenied, ValidationError
from portfolio.gates import (
    DecisionInput,
    assign_decision_owner,
    decision_options,
    mark_conditions_met,
    record_gate_decision,
)
from portfolio.initiative_view import initiative_view
from portfolio.initiatives import InitiativeCreate, create_initiative, update_initiative
from portfolio.permissions import PERMISSIONS, Scope, audit_readable, decision_owner_id, initiative_scope, refusal
from portfolio.public_export import public_json_for
from portfolio.reports import OverviewFilters, portfolio_overview
from tests.factories import (
    World,
    actor,
    assert_refused,
    checklist_items,
    make_benefit,
    make_decision_owner,
    make_indicator,
    make_initiative,
    make_org_unit,
    make_portfolio,
    make_user,
    snapshot,
)

# "proposer" proposed the initiative but is not its lead: its contact only until a lead is appointed.
ROLES = ("owner", "lead", "steering", "reporter", "admin", "stranger", "decision_owner", "proposer")

EDIT = "Only the implementation lead, the portfolio owner or an administrator may edit this initiative."
CHECKLIST = "Only the implementation lead or the portfolio owner may update the checklist."
DECIDE = "Only the decision owner of this gate may decide it."
LEAD_NEVER = "The implementation lead of an initiative may not decide its gates."
CONDITIONS = "Only the decision owner or the portfolio owner may mark the conditions as met."
SIGN_IN = "You must sign in first."
EDIT_AFTER_LEAD = ("You proposed this idea and were its contact until an implementation lead was appointed; now only "
                   "the lead, the portfolio owner or an administrator may edit it.")
CHECKLIST_AFTER_LEAD = ("You proposed this idea and were its contact until an implementation lead was appointed; now "
                        "only the lead or the portfolio owner may update its checklist.")


def build_world(engine, *, owner_decides: bool = False, lead: bool = True) -> World:
    """World plus a separate decision owner of the idea gate, assigned by the admin through the action, and
    "proposer", who proposed the idea; with ``lead=False`` no implementation lead is appointed yet."""
    with write_session(engine) as session:
        world = World(session, owner_decides=owner_decides)
        world.proposer = make_user(session, username="proposer", display_name="Petra Förslag")
        world.users["proposer"] = world.proposer
        # Test set-up, written directly: the idea was proposed by "proposer", and has no lead when asked.
        initiative = session.get(Initiative, world.initiative.id)
        initiative.created_by_id = world.proposer.id
        if not lead:
            initiative.lead_id, initiative.leads_since_last_gate = None, []
        session.add(initiative)
        session.flush()
        world.decider = make_user(session, username="decider")
        assign_decision_owner(session=session, actor=actor(session, world.admin), initiative_id=world.initiative.id,
                              expected_version=world.initiative.version, gate="idea", user_id=world.decider.id)
        world.users["decision_owner"] = world.decider
        world.version = world.initiative.version
    return world


def table(allowed: set[str], action: str, **special: str) -> dict[str, Optional[str]]:
    """role -> the refusal ``action`` gives (None: allowed): the registry's own refusal for every role not
    in ``allowed``, unless ``special`` names another (a separation-of-duties denial, an earlier check)."""
    return {role: None if role in allowed else special.get(role, PERMISSIONS[action].refusal) for role in ROLES}


@dataclass
class Case:
    """What one real action needs: ``prepare(session, world)`` builds its rows (as the lead or the decision
    owner would) and returns what ``run(session, actor, world, prepared)`` acts on."""

    run: Callable[[Any, Any, World, Any], object]
    prepare: Callable[[Any, World], Any] = lambda session, world: None


def _version(session, world: World) -> int:
    return session.get(Initiative, world.initiative.id).version


def _indicator(session, world: World):
    benefit = make_benefit(session, session.get(Initiative, world.initiative.id), by=world.owner)
    return make_indicator(session, benefit, by=world.owner, baseline_value=10.0, target_value=20.0)


def _conditional_go(session, world: World) -> GateDecision:
    return record_gate_decision(session=session, actor=actor(session, world.decider),
                                initiative_id=world.initiative.id, expected_version=_version(session, world),
                                data=DecisionInput(outcome="conditional_go", rationale="Every rule of the gate holds",
                                                  conditions="DPIA signed"))


# Every action of the registry that changes something, run through the function that takes it.
CASES: dict[str, Case] = {
    "initiative.create": Case(lambda s, a, w, _: create_initiative(session=s, actor=a, data=InitiativeCreate(
        title="Another idea", portfolio_id=w.portfolio.id))),
    "initiative.edit": Case(lambda s, a, w, _: update_initiative(
        session=s, actor=a, initiative_id=w.initiative.id, expected_version=_version(s, w),
        changes={"title": "Renamed"})),
    "initiative.change_lead": Case(lambda s, a, w, _: update_initiative(
        session=s, actor=a, initiative_id=w.initiative.id, expected_version=_version(s, w),
        changes={"lead_id": w.steering.id})),
    "checklist.update": Case(
        lambda s, a, w, item: update_checklist(session=s, actor=a, initiative_id=w.initiative.id,
                                               changes=[ChecklistChange(item.id, item.version, "open")]),
        lambda s, w: checklist_items(s, w.initiative.id, "idea")[0]),
    "gate.decide": Case(lambda s, a, w, _: record_gate_decision(
        session=s, actor=a, initiative_id=w.initiative.id, expected_version=_version(s, w),
        data=DecisionInput(outcome="go", rationale="Ready for the next stage"))),
    "gate.conditions_met": Case(lambda s, a, w, decision: mark_conditions_met(
        session=s, actor=a, decision_id=decision.id), _conditional_go),
    "decision_owner.assign": Case(lambda s, a, w, _: assign_decision_owner(
        session=s, actor=a, initiative_id=w.initiative.id, expected_version=_version(s, w), gate="concept",
        user_id=w.steering.id)),
    "benefit.edit": Case(lambda s, a, w, _: create_benefit(
        session=s, actor=a, initiative_id=w.initiative.id,
        data=BenefitInput(title="Fewer calls", category="access_waiting_times", recipient="patients_citizens"))),
    "deviation.explain": Case(lambda s, a, w, indicator: explain_deviation(
        session=s, actor=a, indicator_id=indicator.id, expected_version=indicator.version,
        explanation="Staff shortage in the summer"), _indicator),
    "calculation.edit": Case(lambda s, a, w, _: save_calculation(
        session=s, actor=a, initiative_id=w.initiative.id, expected_version=None, discount_rate=0.03,
        years=[CashflowYear(year=2026, investment=100_000, benefit=50_000)])),
    # Reads that are actions of their own: the refusal comes before anything is read.
    "audit.export": Case(lambda s, a, w, _: export_audit_for(session=s, actor=a, initiative_id=w.initiative.id)),
    "export.public": Case(lambda s, a, w, _: public_json_for(session=s, actor=a)),
}
# Registry actions not run here: "baseline.revise_locked" needs a passed pilot gate (tests/test_benefits_services.py),
# "measurement.report" belongs to the import (tests/test_measurement_import.py), "audit.read" and "audit.detail"
# are read filters (tests/test_audit_scope.py), "signin.failures.read" (tests/test_signin_throttle.py),
# "report.read" (tests/test_benefit_report.py), "snapshot.freeze" and "snapshot.read" (tests/test_snapshots.py).
NOT_RUN = {"baseline.revise_locked", "measurement.report", "audit.read", "audit.detail", "signin.failures.read",
           "report.read", "snapshot.freeze", "snapshot.read"}

# action -> role -> expected refusal (None = it goes through), the portfolio's owner_decides off.
EXPECTED = {
    "initiative.create": table(set(ROLES), "initiative.create"),
    # The proposer is told why: a lead is appointed, so they are its contact no more.
    "initiative.edit": table({"owner", "lead", "admin"}, "initiative.edit", proposer=EDIT_AFTER_LEAD),
    # Changing the lead is an edit first: whoever may not edit is told so before anything else.
    "initiative.change_lead": table({"owner", "admin"}, "initiative.change_lead", steering=EDIT, reporter=EDIT,
                                    stranger=EDIT, decision_owner=EDIT, proposer=EDIT_AFTER_LEAD),
    "checklist.update": table({"owner", "lead"}, "checklist.update", proposer=CHECKLIST_AFTER_LEAD),
    "gate.decide": table({"decision_owner"}, "gate.decide", lead=LEAD_NEVER),
    "gate.conditions_met": table({"decision_owner", "owner"}, "gate.conditions_met"),
    "decision_owner.assign": table({"admin"}, "decision_owner.assign"),
    "benefit.edit": table({"owner", "lead"}, "benefit.edit"),
    "deviation.explain": table({"owner", "lead"}, "deviation.explain"),
    "calculation.edit": table({"owner", "lead"}, "calculation.edit"),
    "audit.export": table({"admin", "steering"}, "audit.export"),
    "export.public": table({"admin", "owner"}, "export.public"),
}
ROLE_ACTION = [(action, role, EXPECTED[action][role]) for action in CASES for role in ROLES]


def test_every_registry_action_is_run_or_named():
    assert set(CASES) | NOT_RUN == set(PERMISSIONS) and not set(CASES) & NOT_RUN
    assert set(EXPECTED) == set(CASES)


@pytest.mark.parametrize(("action", "role", "refusal_text"), ROLE_ACTION,
                         ids=[f"{action}-{role}" for action, role, _ in ROLE_ACTION])
def test_role_action_through_the_real_action(engine, action, role, refusal_text):
    """Each role runs each action through the dispatcher, the one path pages and the CLI use: it loads
    the user, opens the transaction and turns a refusal into its messages."""
    run_as(engine, build_world(engine), action, role, refusal_text)


# Before a lead is appointed, the proposer is the idea's contact: they edit its details and checklist, and
# nothing else that a lead could do. (After, they are "proposer" in EXPECTED above.)
CONTACT = {action: PERMISSIONS[action].refusal for action in CASES} | {
    "initiative.create": None, "initiative.edit": None, "checklist.update": None}


@pytest.mark.parametrize(("action", "refusal_text"), CONTACT.items(), ids=list(CONTACT))
def test_proposer_before_a_lead_through_the_real_action(engine, action, refusal_text):
    run_as(engine, build_world(engine, lead=False), action, "proposer", refusal_text)


def run_as(engine, world: World, action: str, role: str, refusal_text: Optional[str]) -> None:
    """Run the ``action`` case as ``role`` through the dispatcher: refused with exactly ``refusal_text`` and
    nothing changed, or (None) done and audited."""
    case = CASES[action]
    with write_session(engine) as session:
        prepared = case.prepare(session, world)
    before = snapshot(engine, world.initiative.id)
    done = Dispatcher(world.users[role].id, engine=engine).run(
        lambda session, actor: case.run(session, actor, world, prepared))
    after = snapshot(engine, world.initiative.id)
    if refusal_text is not None:
        assert (type(done.error), [m.render("en") for m in done.problems]) == (PermissionDenied, [refusal_text])
        assert after == before
    elif action in ("audit.export", "export.public"):
        assert done.ok and after == before  # a read: allowed, and nothing written
    else:
        assert done.ok and after["audit_events"] > before["audit_events"]


def test_owner_decides_lets_the_portfolio_owner_decide(engine):
    world = build_world(engine, owner_decides=True)
    with write_session(engine) as session:
        decision = record_gate_decision(session=session, actor=actor(session, world.owner),
                                        initiative_id=world.initiative.id, expected_version=world.version,
                                        data=DecisionInput(outcome="go", rationale="Ready for the next stage"))
    assert (decision.decided_by_id, snapshot(engine, world.initiative.id)["stage"]) == (world.owner.id, "concept")


# The read rules, through the scope the domain builds for an initiative.
READS = {
    "audit.read": table({"admin", "owner", "steering", "lead", "decision_owner"}, "audit.read"),
    "audit.detail": table({"admin", "owner", "steering"}, "audit.detail"),
}


def test_read_rules_per_role(engine):
    world = build_world(engine)
    with read_session(engine) as session:
        scope = initiative_scope(session, session.get(Initiative, world.initiative.id))
        actual = {action: {role: (lambda m: None if m is None else m.render("en"))(
            refusal(action, actor(session, world.users[role]), scope)) for role in ROLES} for action in READS}
    assert actual == READS


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

    def owner_refusal() -> Optional[str]:
        with read_session(engine) as session:
            scope = initiative_scope(session, session.get(Initiative, world.initiative.id))
            message = refusal("gate.decide", actor(session, world.owner), scope)
            return None if message is None else message.render("en")

    assert owner_refusal() == DECIDE
    with write_session(engine) as session:
        portfolio = session.get(type(world.portfolio), world.portfolio.id)
        portfolio.owner_decides = True
        session.add(portfolio)
    assert owner_refusal() is None


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
                                 expected_version=before["version"],
                                 data=DecisionInput(outcome="go", rationale="Every rule of the gate holds"))
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
                                 expected_version=world.version,
                                 data=DecisionInput(outcome="go", rationale="Every rule of the gate holds"))
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
                message = refusal(action, actor(session, user), initiative_scope(session, initiative))
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
                       initiative_scope(session, initiative)).render("en") == EDIT


# ---------------------------------------------------------------- end to end through the actions


def test_record_gate_decision_by_the_decision_owner(engine):
    world = build_world(engine)
    before = snapshot(engine, world.initiative.id)
    with write_session(engine) as session:
        decision = record_gate_decision(session=session, actor=actor(session, world.decider),
                                        initiative_id=world.initiative.id, expected_version=world.version,
                                        data=DecisionInput(outcome="go", rationale="Ready for the next stage"))
    after = snapshot(engine, world.initiative.id)
    assert (decision.from_stage, decision.to_stage, decision.decided_by_id) == ("idea", "concept", world.decider.id)
    assert (after["stage"], after["version"]) == ("concept", before["version"] + 1)
    assert after["decisions"] == before["decisions"] + 1


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
                       for role, message in EXPECTED["gate.decide"].items()}


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


# ---------------------------------------------------------------- the proposer, the idea's contact until a lead


def test_proposer_keeps_the_idea_up_to_date_until_a_lead_is_appointed(engine):
    world = build_world(engine, lead=False)
    with write_session(engine) as session:
        item = checklist_items(session, world.initiative.id, "idea")[0]
        proposer = actor(session, world.proposer)
        update_initiative(session=session, actor=proposer, initiative_id=world.initiative.id,
                          expected_version=_version(session, world), changes={"description": "Triage by video"})
        update_checklist(session=session, actor=proposer, initiative_id=world.initiative.id,
                         changes=[ChecklistChange(item.id, item.version, "done")])
    with write_session(engine) as session:
        update_initiative(session=session, actor=actor(session, world.owner), initiative_id=world.initiative.id,
                          expected_version=_version(session, world), changes={"lead_id": world.lead.id})
    with read_session(engine) as session:
        stored = session.get(Initiative, world.initiative.id)
        item = checklist_items(session, world.initiative.id, "idea")[0]
        assert (stored.description, stored.lead_id, item.status) == ("Triage by video", world.lead.id, "done")
    assert_refused(engine, world.initiative.id, PermissionDenied, [EDIT_AFTER_LEAD], lambda s: update_initiative(
        session=s, actor=actor(s, world.proposer), initiative_id=world.initiative.id,
        expected_version=_version(s, world), changes={"description": "Triage by telephone"}))
    assert_refused(engine, world.initiative.id, PermissionDenied, [CHECKLIST_AFTER_LEAD], lambda s: update_checklist(
        session=s, actor=actor(s, world.proposer), initiative_id=world.initiative.id,
        changes=[ChecklistChange(item.id, item.version, "open")]))
    with read_session(engine) as session:
        assert session.get(Initiative, world.initiative.id).description == "Triage by video"


def test_proposer_sees_their_idea_and_is_named_its_contact_until_a_lead_is_appointed(engine):
    """No filter hides an initiative from a signed-in reader: the proposer, who holds no role, finds the idea
    in the overview and opens it. The audit trail's filter (``audit_readable``, lists and exports) agrees with
    "audit.read", which the contact does not hold."""
    world = build_world(engine, lead=False)
    with read_session(engine) as session:
        proposer = actor(session, world.proposer)
        overview = portfolio_overview(session=session, filters=OverviewFilters())
        assert [(row.id, row.lead) for row in overview.rows] == [(world.initiative.id, None)]
        view = initiative_view(session=session, actor=proposer, initiative_id=world.initiative.id)
        assert (view.lead, view.contact.id, view.contact.name) == (None, world.proposer.id, "Petra Förslag")
        assert (view.allowed["initiative.edit"], view.allowed["checklist.update"]) == (None, None)
        assert view.allowed["audit.read"].render("en") == PERMISSIONS["audit.read"].refusal
        readable = session.exec(select(Initiative.id).where(audit_readable(proposer))).all()
        assert readable == []
    with write_session(engine) as session:
        update_initiative(session=session, actor=actor(session, world.owner), initiative_id=world.initiative.id,
                          expected_version=_version(session, world), changes={"lead_id": world.lead.id})
    with read_session(engine) as session:
        view = initiative_view(session=session, actor=actor(session, world.proposer),
                               initiative_id=world.initiative.id)
        assert (view.lead.name, view.contact) == ("Leif Ledare", None)
        assert view.allowed["initiative.edit"].render("en") == EDIT_AFTER_LEAD
        assert view.allowed["checklist.update"].render("en") == CHECKLIST_AFTER_LEAD
