"""The initiative page offers exactly what the registry allows: for every role (and a benefit owner) and
three initiatives, the buttons and forms on the page are those ``PERMISSIONS`` allows that user on that
initiative, and no page module decides a permission or copies a refusal by itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import Benefit, GateDecision, Indicator, Initiative, User
from portfolio.permissions import PERMISSIONS, initiative_scope, load_actor, refusal
from tests.factories import World, make_benefit, make_indicator, make_initiative, make_user
from tests.ui.conftest import no_exception, open_initiative, open_tab, sign_in, texts
from workflows.lifecycle import FINAL_STAGES

USERS = ("admin", "owner", "lead", "steering", "reporter", "benefitowner")

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
    "save volumes": lambda key: key == "save_volumes",
}
AUDIT_DOWNLOAD = "Download the audit trail (CSV)"
TABS = ("Gate", "Checklist", "Benefits", "Details", "Decision owners", "History")


@pytest.fixture
def initiatives(app_db) -> dict[str, int]:
    """Three initiatives of the factories' portfolio, by name: the ready idea led by "lead" (no benefits);
    a scale-up led by "lead", whose benefit "benefitowner" owns, with an open conditional go from its
    pilot gate; a pilot led by someone else, whose benefit "benefitowner" owns too. The benefits have
    one indicator each."""
    with write_session(app_db) as session:
        world = World(session)
        benefit_owner = make_user(session, username="benefitowner", display_name="Nora Nyttoägare")
        scale_up = make_initiative(session, portfolio=world.portfolio, creator=world.lead, lead=world.lead,
                                   org_unit=world.unit, stage="scale_up", title="Robot pharmacy")
        pilot = make_initiative(session, portfolio=world.portfolio, creator=world.lead,
                                lead=make_user(session, username="lead2"), org_unit=world.unit, stage="pilot",
                                title="Video interpreting")
        for initiative in (scale_up, pilot):
            make_indicator(session, make_benefit(session, initiative, owner=benefit_owner), baseline_value=10.0,
                           target_value=20.0)
        # Test set-up, written directly: the conditional go that took the scale-up past its pilot gate.
        session.add(GateDecision(initiative_id=scale_up.id, outcome="conditional_go", from_stage="pilot",
                                 to_stage="scale_up", decided_by_id=world.owner.id,
                                 rationale="Go once the DPIA is signed.", conditions="DPIA signed"))
        return {"idea": world.initiative.id, "scale_up": scale_up.id, "pilot": pilot.id}


def every_section(at):
    """Show every section of the open tab that is drawn only when opened: yield once with every expander open
    (opened ones may hold more), then once per tab of the indicators' own tabs."""
    while closed := [key for key in at.session_state.keys() if key.startswith("open_") and not at.session_state[key]]:
        for key in closed:
            at.session_state[key] = True
        no_exception(at.run())
    yield
    indicator_tabs = [key for key in at.session_state.keys() if key.startswith("indicator_tab_")]
    for label in dict.fromkeys(t.label for t in at.tabs if t.label not in TABS):
        for key in indicator_tabs:
            at.session_state[key] = label
        no_exception(at.run())
        yield


def offered_by_the_page(at) -> set[str]:
    """The controls of every tab: only the open tab runs, so each tab is opened in turn, and in it every section
    that is drawn only when opened."""
    offered = set()
    for tab in TABS:
        open_tab(at, tab)
        for _ in every_section(at):
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
        "save volumes": bool(has_indicators) and "calculation.edit" in may,
        "audit download": "audit.export" in may,
    }.items() if yes}


@pytest.mark.parametrize("username", USERS)
def test_the_page_offers_what_the_registry_allows(app, app_db, initiatives, username):
    sign_in(app, username)
    offered, allowed = {}, {}
    for name, initiative_id in initiatives.items():
        offered[name] = offered_by_the_page(open_initiative(app, initiative_id))
        allowed[name] = allowed_by_the_registry(app_db, username, initiative_id)
    assert offered == allowed


def test_the_table_above_is_not_empty_either_way(app_db, initiatives):
    """The comparison means something: the benefit owner explains deviations and nothing else, the
    owner marks the conditions met on the scale-up, and every control is offered to someone somewhere."""
    scale_up = initiatives["scale_up"]
    assert allowed_by_the_registry(app_db, "benefitowner", scale_up) == {"explain deviation"}
    assert "mark conditions met" in allowed_by_the_registry(app_db, "owner", scale_up)
    assert "mark conditions met" not in allowed_by_the_registry(app_db, "steering", scale_up)
    everything = set().union(*(allowed_by_the_registry(app_db, username, initiative_id)
                               for username in USERS for initiative_id in initiatives.values()))
    assert everything == {*CONTROLS, "audit download"}


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
def test_only_those_who_may_change_the_lead_get_the_lead_field(app, world, username, may_change):
    sign_in(app, username)
    open_initiative(app, world.initiative.id, "Details")
    assert app.selectbox(key="details_lead").disabled is not may_change
    refused = "Only the portfolio owner or an administrator may change the implementation lead."
    assert (refused in texts(app.caption)) is not may_change
    # The lead still saves the other details.
    assert not app.button(key="FormSubmitter:details-Save details").disabled
