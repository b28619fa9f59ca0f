"""The initiative page offers exactly what the registry allows: for every demo role (and the benefit
owner) and a few initiatives, the buttons and forms on the page are those ``PERMISSIONS`` allows that
user on that initiative, and no page module decides a permission or copies a refusal by itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import Benefit, GateDecision, Indicator, Initiative, User
from portfolio.permissions import PERMISSIONS, initiative_scope, load_actor, refusal
from tests.ui.conftest import open_initiative, open_tab
from workflows.lifecycle import FINAL_STAGES

USERS = ("admin", "owner", "lead", "steering", "reporter", "benefitowner")
# The demo initiatives (seed 7): 1 is an idea led by "lead"; 10 is in scale-up, led by "lead", with
# benefits owned by "benefitowner" and (added below) an open conditional go; 3 is a pilot led by
# someone else, with benefits owned by "benefitowner".
INITIATIVES = (1, 10, 3)

# control -> how to find it among the page's enabled buttons (by key)
CONTROLS = {
    "gate decision": lambda key: key == "record_decision",
    "save checklist": lambda key: key == "save_checklist",
    "save details": lambda key: key == "FormSubmitter:details-Save details",
    "change decision owner": lambda key: key == "FormSubmitter:reassign-Change decision owner",
    "mark conditions met": lambda key: key.startswith("conditions_"),
    "explain deviation": lambda key: key.startswith("explain_button_"),
    "add benefit": lambda key: key == "FormSubmitter:benefit_form-Add benefit",
    "add indicator": lambda key: key.startswith("FormSubmitter:ind_") and key.endswith("_form-Add indicator"),
    "save calculation": lambda key: key == "save_calculation",
}
AUDIT_DOWNLOAD = "Download the audit trail (CSV)"
TABS = ("Gate", "Checklist", "Benefits", "Details", "Decision owners", "History")


@pytest.fixture
def conditional_go(demo_db):
    """An open conditional go on initiative 10, at its pilot gate (test set-up, written directly)."""
    with write_session(demo_db) as session:
        owner = session.exec(select(User).where(User.username == "owner")).one()
        session.add(GateDecision(initiative_id=10, outcome="conditional_go", from_stage="pilot", to_stage="scale_up",
                                 decided_by_id=owner.id, rationale="Go once the DPIA is signed.",
                                 conditions="DPIA signed"))


def offered_by_the_page(at) -> set[str]:
    """The controls of every tab: only the open tab runs, so each tab is opened in turn."""
    offered = set()
    for tab in TABS:
        open_tab(at, tab)
        keys = [b.key or "" for b in at.button if not b.disabled]
        offered |= {name for name, matches in CONTROLS.items() if any(matches(key) for key in keys)}
        if any(b.proto.label == AUDIT_DOWNLOAD and not b.proto.disabled for b in at.get("download_button")):
            offered.add("audit download")
    return offered


def allowed_by_the_registry(engine, username: str, initiative_id: int) -> set[str]:
    with read_session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        actor = load_actor(session=session, user_id=user.id)
        initiative = session.get(Initiative, initiative_id)
        scope = initiative_scope(session, initiative)
        may = {action for action in PERMISSIONS if refusal(action, actor, scope) is None}
        has_benefits = session.exec(select(Benefit.id).where(Benefit.initiative_id == initiative_id)).first()
        has_indicators = session.exec(select(Indicator.id).join(Benefit).where(
            Benefit.initiative_id == initiative_id)).first()
        open_conditions = session.exec(select(GateDecision).where(
            GateDecision.initiative_id == initiative_id, GateDecision.outcome == "conditional_go",
            col(GateDecision.conditions_met).is_(False))).all()
        may_mark = any(refusal("gate.conditions_met", actor, initiative_scope(session, initiative, d.from_stage))
                       is None for d in open_conditions)
        open_gate = initiative.stage not in FINAL_STAGES
    return {name for name, yes in {
        "gate decision": open_gate and "gate.decide" in may,
        "save checklist": open_gate and "checklist.update" in may,
        "save details": "initiative.edit" in may,
        "change decision owner": "decision_owner.assign" in may,
        "mark conditions met": may_mark,
        "explain deviation": bool(has_indicators) and "deviation.explain" in may,
        "add benefit": "benefit.edit" in may,
        "add indicator": bool(has_benefits) and "benefit.edit" in may,
        "save calculation": "calculation.edit" in may,
        "audit download": "audit.export" in may,
    }.items() if yes}


def _sign_in_as(at, engine, username: str):
    # The benefit owner has no demo button; every user is signed in the same way.
    with read_session(engine) as session:
        at.session_state["user_id"] = session.exec(select(User.id).where(User.username == username)).one()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("initiative_id", INITIATIVES)
@pytest.mark.parametrize("username", USERS)
def test_the_page_offers_what_the_registry_allows(app, demo_db, conditional_go, username, initiative_id):
    _sign_in_as(app, demo_db, username)
    open_initiative(app, initiative_id)
    assert offered_by_the_page(app) == allowed_by_the_registry(demo_db, username, initiative_id)


def test_the_table_above_is_not_empty_either_way(app, demo_db, conditional_go):
    """The comparison means something: the benefit owner explains deviations and nothing else, and
    the owner marks the conditions met on initiative 10."""
    assert allowed_by_the_registry(demo_db, "benefitowner", 10) == {"explain deviation"}
    assert "mark conditions met" in allowed_by_the_registry(demo_db, "owner", 10)
    assert "mark conditions met" not in allowed_by_the_registry(demo_db, "steering", 10)


# ------------------------------------------------------------------ no page decides by itself

UI = Path(__file__).resolve().parents[2] / "portfolio" / "ui"
REFUSALS = {p.refusal for p in PERMISSIONS.values()} | {d.message for p in PERMISSIONS.values() for d in p.denials}
# What an Actor says about roles; a page that reads it is deciding a permission itself.
ROLE_FIELDS = {"is_admin", "owned_portfolios", "steering_portfolios", "lead_portfolios", "reporting_units", "roles"}
PERMISSION_CHECKS = {"allowed", "refusal", "require"}


@pytest.mark.parametrize("module", sorted(UI.glob("*.py")), ids=lambda p: p.name)
def test_no_page_copies_a_refusal_or_checks_a_role(module):
    tree = ast.parse(module.read_text(encoding="utf-8"))
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    role_reads = sorted({node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                         and node.attr in ROLE_FIELDS and "actor" in ast.unparse(node.value)})
    checks = sorted({alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     and node.module == "portfolio.permissions" for alias in node.names
                     if alias.name in PERMISSION_CHECKS})
    assert (sorted(strings & REFUSALS), role_reads, checks) == ([], [], [])


@pytest.mark.parametrize(("username", "may_change"), [("owner", True), ("admin", True), ("lead", False)])
def test_only_those_who_may_change_the_lead_get_the_lead_field(app, demo_db, username, may_change):
    _sign_in_as(app, demo_db, username)
    open_initiative(app, 1, "Details")
    assert app.selectbox(key="details_lead").disabled is not may_change
    refused = "Only the portfolio owner or an administrator may change the implementation lead."
    assert (refused in [c.value for c in app.caption]) is not may_change
    # The lead still saves the other details.
    assert not app.button(key="FormSubmitter:details-Save details").disabled
