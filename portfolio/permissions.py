"""Who may do what: one table, one check.

Permissions are declared once, as data (``PERMISSIONS``): each action names the grants that
allow it, the denials that override every grant (separation of duties), and the explanations that
tell someone refused more precisely why (a proposer, once a lead is appointed). Deny by default.
Actions call ``require``; pages show a button only when the view's map of refusals (built here,
e.g. by ``initiative_permissions``) has None for its action, and otherwise show that refusal.

Who may read an initiative's audit trail ("audit.read"; ``audit_readable`` is the same rule in SQL):
- administrators read everything;
- portfolio owners, steering-group members and implementation leads (role assignments) read the
  initiatives of their portfolios and of every portfolio below them;
- the implementation lead of an initiative and its decision owners (of any gate) read that initiative.
Audit events that belong to no initiative (users, role grants, sign-ins) are for administrators only.
The before/after detail of a change ("audit.detail") is for administrators, the portfolio owner and
the portfolio's steering group; other readers see who did what, and when.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Optional

from sqlalchemy import ColumnElement
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from db.models import Benefit, GateDecisionOwner, Initiative, OrgUnit, Portfolio, RoleAssignment, User
from portfolio.errors import PermissionDenied
from portfolio.i18n import N_, Message
from workflows.lifecycle import STAGE_ORDER
from workflows.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    """The signed-in user with their role assignments, scopes expanded down the trees."""

    user_id: int
    username: str
    display_name: str
    language: str
    is_admin: bool = False
    owned_portfolios: frozenset[int] = frozenset()
    steering_portfolios: frozenset[int] = frozenset()
    lead_portfolios: frozenset[int] = frozenset()
    reporting_units: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Scope:
    """The facts about the thing acted on that permissions depend on."""

    portfolio_id: Optional[int] = None
    lead_id: Optional[int] = None
    decision_owner_id: Optional[int] = None
    owner_decides: bool = False
    org_unit_id: Optional[int] = None
    benefit_owner_ids: frozenset[int] = frozenset()
    # The decision owners of every gate of the initiative (``decision_owner_id`` is the one of this gate).
    decision_owner_ids: frozenset[int] = frozenset()
    # Everyone who was the implementation lead since the last gate decision (the current lead included).
    leads_since_last_gate: frozenset[int] = frozenset()
    # Whoever proposed the initiative: its contact until an implementation lead is appointed.
    created_by_id: Optional[int] = None


Check = Callable[[Actor, Scope], bool]


@dataclass(frozen=True)
class Grant:
    name: str
    check: Check


@dataclass(frozen=True)
class Denial:
    name: str
    check: Check
    message: str


@dataclass(frozen=True)
class Explanation:
    """A refusal more precise than the permission's own, for the people ``check`` picks out; read only
    when no grant holds (someone who held a grant once is told why it ended)."""

    name: str
    check: Check
    message: str


SIGNED_IN = Grant("signed in", lambda actor, scope: True)
ADMIN = Grant("administrator", lambda actor, scope: actor.is_admin)
PORTFOLIO_OWNER = Grant("portfolio owner", lambda actor, scope: scope.portfolio_id in actor.owned_portfolios)
ANY_PORTFOLIO_OWNER = Grant("owner of a portfolio", lambda actor, scope: bool(actor.owned_portfolios))
STEERING = Grant(
    "steering group",
    lambda actor, scope: scope.portfolio_id in actor.steering_portfolios
    if scope.portfolio_id is not None
    else bool(actor.steering_portfolios),
)
INITIATIVE_LEAD = Grant("implementation lead", lambda actor, scope: scope.lead_id == actor.user_id)
PORTFOLIO_LEAD = Grant(
    "implementation lead in the portfolio", lambda actor, scope: scope.portfolio_id in actor.lead_portfolios)
DECISION_OWNER = Grant("decision owner", lambda actor, scope: scope.decision_owner_id == actor.user_id)
ANY_GATE_DECISION_OWNER = Grant(
    "decision owner of a gate of the initiative", lambda actor, scope: actor.user_id in scope.decision_owner_ids)
OWNER_WHEN_CONFIGURED = Grant(
    "portfolio owner (when the portfolio lets owners decide)",
    lambda actor, scope: scope.owner_decides and scope.portfolio_id in actor.owned_portfolios,
)
UNIT_REPORTER = Grant(
    "unit reporter",
    lambda actor, scope: scope.org_unit_id is not None and scope.org_unit_id in actor.reporting_units,
)
BENEFIT_OWNER = Grant("benefit owner", lambda actor, scope: actor.user_id in scope.benefit_owner_ids)
# Whoever proposes an idea is its contact, and keeps its description and checklist up to date, until
# an implementation lead is appointed.
PROPOSER_UNTIL_LEAD = Grant(
    "proposer (the contact until a lead is appointed)",
    lambda actor, scope: scope.lead_id is None and scope.created_by_id == actor.user_id,
)


def _proposer_with_a_lead(actor: Actor, scope: Scope) -> bool:
    return scope.lead_id is not None and scope.created_by_id == actor.user_id

LEAD_NEVER_DECIDES = Denial(
    "separation of duties",
    lambda actor, scope: scope.lead_id == actor.user_id,
    N_("The implementation lead of an initiative may not decide its gates."),
)
# Handing the lead to someone else for a moment does not make a lead a decider: whoever led the
# initiative at any time since its last gate decision stays refused until the next decision.
FORMER_LEAD_NEVER_DECIDES = Denial(
    "separation of duties (lead since the last gate decision)",
    lambda actor, scope: actor.user_id in scope.leads_since_last_gate,
    N_("You were the implementation lead of this initiative since its last gate decision, "
       "so you may not decide this gate."),
)


@dataclass(frozen=True)
class Permission:
    grants: tuple[Grant, ...]
    refusal: str
    denials: tuple[Denial, ...] = ()
    explanations: tuple[Explanation, ...] = ()


PERMISSIONS: dict[str, Permission] = {
    "initiative.create": Permission((SIGNED_IN,), N_("You must sign in to propose an idea.")),
    "initiative.edit": Permission(
        (INITIATIVE_LEAD, PROPOSER_UNTIL_LEAD, PORTFOLIO_OWNER, ADMIN),
        N_("Only the implementation lead, the portfolio owner or an administrator may edit this initiative."),
        explanations=(Explanation("proposer once a lead is appointed", _proposer_with_a_lead, N_(
            "You proposed this idea and were its contact until an implementation lead was appointed; now only "
            "the lead, the portfolio owner or an administrator may edit it.")),),
    ),
    "initiative.change_lead": Permission(
        (PORTFOLIO_OWNER, ADMIN),
        N_("Only the portfolio owner or an administrator may change the implementation lead."),
    ),
    "checklist.update": Permission(
        (INITIATIVE_LEAD, PROPOSER_UNTIL_LEAD, PORTFOLIO_OWNER),
        N_("Only the implementation lead or the portfolio owner may update the checklist."),
        explanations=(Explanation("proposer once a lead is appointed", _proposer_with_a_lead, N_(
            "You proposed this idea and were its contact until an implementation lead was appointed; now only "
            "the lead or the portfolio owner may update its checklist.")),),
    ),
    "gate.decide": Permission(
        (DECISION_OWNER, OWNER_WHEN_CONFIGURED),
        N_("Only the decision owner of this gate may decide it."),
        denials=(LEAD_NEVER_DECIDES, FORMER_LEAD_NEVER_DECIDES),
    ),
    "gate.conditions_met": Permission(
        (DECISION_OWNER, PORTFOLIO_OWNER),
        N_("Only the decision owner or the portfolio owner may mark the conditions as met."),
    ),
    "decision_owner.assign": Permission(
        (ADMIN,), N_("Only an administrator may reassign decision owners.")
    ),
    "benefit.edit": Permission(
        (INITIATIVE_LEAD, PORTFOLIO_OWNER),
        N_("Only the implementation lead or the portfolio owner may change the benefits of this initiative."),
    ),
    "baseline.revise_locked": Permission(
        (PORTFOLIO_OWNER,),
        N_("The baseline is locked because the pilot gate is passed; only the portfolio owner may change it."),
    ),
    "deviation.explain": Permission(
        (INITIATIVE_LEAD, PORTFOLIO_OWNER, BENEFIT_OWNER),
        N_("Only the implementation lead, the benefit owner or the portfolio owner may explain a deviation."),
    ),
    "measurement.report": Permission(
        (UNIT_REPORTER, INITIATIVE_LEAD, PORTFOLIO_OWNER, BENEFIT_OWNER),
        N_("You may only report figures for your own units."),
    ),
    "calculation.edit": Permission(
        (INITIATIVE_LEAD, PORTFOLIO_OWNER),
        N_("Only the implementation lead or the portfolio owner may change the benefit calculation."),
    ),
    "audit.export": Permission(
        (ADMIN, STEERING), N_("Only an administrator or the steering group may export the audit trail.")
    ),
    "audit.read": Permission(
        (ADMIN, PORTFOLIO_OWNER, STEERING, PORTFOLIO_LEAD, INITIATIVE_LEAD, ANY_GATE_DECISION_OWNER),
        N_("Only administrators, the portfolio's owners, steering group and implementation leads, and the "
           "initiative's own lead and decision owners may read its audit trail."),
    ),
    "audit.detail": Permission(
        (ADMIN, PORTFOLIO_OWNER, STEERING),
        N_("Only an administrator, the portfolio owner or the steering group may see what a change changed."),
    ),
    "report.read": Permission(
        (STEERING, PORTFOLIO_OWNER, ADMIN),
        N_("Only the portfolio's steering group, its owners and administrators may read its benefit report."),
    ),
    "signin.failures.read": Permission(
        (ADMIN,), N_("Only an administrator may see the failed sign-ins.")
    ),
    # The transparency export holds only what is public, but publishing it is the owners' act, not every reader's.
    "export.public": Permission(
        (ADMIN, ANY_PORTFOLIO_OWNER),
        N_("Only an administrator or a portfolio owner may download the transparency export."),
    ),
    # Meeting snapshots: the benefit report frozen for a steering meeting (portfolio.snapshots).
    "snapshot.freeze": Permission(
        (STEERING, PORTFOLIO_OWNER, ADMIN),
        N_("Only the portfolio's steering group, its owners and administrators may freeze its benefit report "
           "for a meeting."),
    ),
    "snapshot.read": Permission(
        (STEERING, PORTFOLIO_OWNER, ADMIN),
        N_("Only the portfolio's steering group, its owners and administrators may open its meeting snapshots."),
    ),
}


def refusal(action: str, actor: Optional[Actor], scope: Scope = Scope()) -> Optional[Message]:
    """None when ``actor`` may take ``action`` on ``scope``; otherwise the reason in words."""
    permission = PERMISSIONS[action]
    if actor is None:
        return Message(N_("You must sign in first."))
    for denial in permission.denials:
        if denial.check(actor, scope):
            return Message(denial.message)
    if any(grant.check(actor, scope) for grant in permission.grants):
        return None
    for explanation in permission.explanations:
        if explanation.check(actor, scope):
            return Message(explanation.message)
    return Message(permission.refusal)


def allowed(action: str, actor: Optional[Actor], scope: Scope = Scope()) -> bool:
    """True when ``actor`` may take ``action`` in ``scope``; ``refusal`` says why not."""
    return refusal(action, actor, scope) is None


def require(action: str, actor: Optional[Actor], scope: Scope = Scope()) -> None:
    """Raise PermissionDenied with the reason unless ``actor`` may take ``action``."""
    message = refusal(action, actor, scope)
    if message is not None:
        raise PermissionDenied(message)


def descendants(pairs: Iterable[tuple[int, Optional[int]]], roots: set[int]) -> frozenset[int]:
    """The ``roots`` and every node below them, from (id, parent id) pairs: a role reaches the sub-tree."""
    children: dict[Optional[int], list[int]] = defaultdict(list)
    for node_id, parent_id in pairs:
        children[parent_id].append(node_id)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(children.get(node, ()))
    return frozenset(seen)


def subtree_ids(model: type[Portfolio] | type[OrgUnit], roots: Iterable[int]):
    """The SQL twin of ``descendants``: a selection of the ids of ``roots`` and everything below them in
    ``model``'s tree (portfolios or org units), walked by a recursive CTE inside the database."""
    tree = select(model.id.label("id")).where(col(model.id).in_(set(roots))).cte(
        f"{model.__tablename__}_subtree", recursive=True)
    child = aliased(model)
    # UNION (not UNION ALL) ends the walk even if a corrupt tree has a cycle.
    tree = tree.union(select(child.id).join(tree, child.parent_id == tree.c.id))
    return select(tree.c.id)


def load_actor(*, session: Session, user_id: int) -> Actor:
    """The user and their roles, with portfolio and unit scopes expanded to sub-trees."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise PermissionDenied(Message(N_("You must sign in first.")))
    assignments = session.exec(select(RoleAssignment).where(RoleAssignment.user_id == user_id)).all()
    by_role: dict[Role, set[int]] = defaultdict(set)
    units: set[int] = set()
    for assignment in assignments:
        if assignment.portfolio_id is not None:
            by_role[assignment.role].add(assignment.portfolio_id)
        if assignment.role == Role.REPORTER and assignment.org_unit_id is not None:
            units.add(assignment.org_unit_id)
    portfolio_tree = session.exec(select(Portfolio.id, Portfolio.parent_id)).all()
    unit_tree = session.exec(select(OrgUnit.id, OrgUnit.parent_id)).all() if units else []
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        language=user.language,
        is_admin=any(a.role == Role.ADMIN for a in assignments),
        owned_portfolios=descendants(portfolio_tree, by_role[Role.PORTFOLIO_OWNER]),
        steering_portfolios=descendants(portfolio_tree, by_role[Role.STEERING]),
        lead_portfolios=descendants(portfolio_tree, by_role[Role.IMPLEMENTATION_LEAD]),
        reporting_units=descendants(unit_tree, units),
    )


def decision_owner_id(session: Session, initiative_id: int, gate: str) -> Optional[int]:
    """The recorded decision owner of one gate of one initiative."""
    return session.exec(
        select(GateDecisionOwner.user_id).where(
            GateDecisionOwner.initiative_id == initiative_id, GateDecisionOwner.gate == gate)
    ).first()


def _decision_owners(session: Session, initiative_id: int) -> dict[str, int]:
    return dict(session.exec(
        select(GateDecisionOwner.gate, GateDecisionOwner.user_id).where(GateDecisionOwner.initiative_id == initiative_id)
    ).all())


def initiative_scope(session: Session, initiative: Initiative, gate: Optional[str] = None,
                     owners: Optional[dict[str, int]] = None) -> Scope:
    """What permissions depend on for one initiative: its portfolio (and whether the owner decides
    there), its lead and everyone who led it since the last gate decision, the decision owner of
    ``gate`` (default: the current stage) and of every gate (``owners``, read when not given), its
    benefit owners, and who proposed it."""
    portfolio = session.get(Portfolio, initiative.portfolio_id)
    benefit_owners = session.exec(
        select(Benefit.owner_id).where(Benefit.initiative_id == initiative.id, col(Benefit.owner_id).is_not(None))
    ).all()
    if owners is None:
        owners = _decision_owners(session, initiative.id)
    leads = set(initiative.leads_since_last_gate or ())
    if initiative.lead_id is not None:
        leads.add(initiative.lead_id)
    return Scope(
        portfolio_id=initiative.portfolio_id,
        lead_id=initiative.lead_id,
        decision_owner_id=owners.get(gate or initiative.stage),
        owner_decides=bool(portfolio and portfolio.owner_decides),
        benefit_owner_ids=frozenset(benefit_owners),
        decision_owner_ids=frozenset(owners.values()),
        leads_since_last_gate=frozenset(leads),
        created_by_id=initiative.created_by_id,
    )


def at_gate(action: str, gate: str) -> str:
    """The key of a gate-bound action (one decision owner per gate) in a map of refusals."""
    return f"{action}@{gate}"


# Everything the initiative page offers. "gate.conditions_met" belongs to the gate a conditional go
# was taken at, so it is listed once per gate, under ``at_gate(action, gate)``.
INITIATIVE_PAGE_ACTIONS = (
    "gate.decide", "checklist.update", "initiative.edit", "initiative.change_lead", "decision_owner.assign",
    "benefit.edit", "baseline.revise_locked", "deviation.explain", "measurement.report", "calculation.edit",
    "audit.read", "audit.detail", "audit.export",
)
GATE_BOUND_ACTIONS = ("gate.conditions_met",)


def initiative_permissions(session: Session, actor: Optional[Actor], initiative: Initiative,
                           ) -> dict[str, Optional[Message]]:
    """For every action of the initiative page: None when ``actor`` may take it on ``initiative``,
    otherwise the refusal to show instead of the button.

    "measurement.report" is None when the actor may report for the whole initiative or for any unit
    of their own (what each row may report is checked again when the figures are saved)."""
    owners = _decision_owners(session, initiative.id)
    scope = initiative_scope(session, initiative, owners=owners)
    result = {action: refusal(action, actor, scope) for action in INITIATIVE_PAGE_ACTIONS}
    if result["measurement.report"] is not None and actor is not None and actor.reporting_units:
        result["measurement.report"] = refusal(
            "measurement.report", actor, replace(scope, org_unit_id=min(actor.reporting_units)))
    for action in GATE_BOUND_ACTIONS:
        for gate in STAGE_ORDER:
            result[at_gate(action, gate)] = refusal(action, actor, replace(scope, decision_owner_id=owners.get(gate)))
    return result


def audit_readable(actor: Actor) -> Optional[ColumnElement[bool]]:
    """The "audit.read" rule as an SQL condition on ``Initiative`` (None: no limit, for administrators).

    Kept beside the grants it mirrors; a test checks that both give the same answer for every role."""
    if actor.is_admin:
        return None
    portfolios = actor.owned_portfolios | actor.steering_portfolios | actor.lead_portfolios
    decides = select(GateDecisionOwner.initiative_id).where(GateDecisionOwner.user_id == actor.user_id)
    return or_(col(Initiative.portfolio_id).in_(portfolios or {-1}), Initiative.lead_id == actor.user_id,
               col(Initiative.id).in_(decides))
