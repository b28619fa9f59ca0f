"""One AppTest per page, asserting what the page shows, on rows the factories build (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import GateDecision, Initiative
from tests.factories import (
    World,
    checklist_items,
    make_benefit,
    make_indicator,
    make_initiative,
    make_portfolio,
    make_user,
    snapshot,
)
from tests.ui.conftest import open_initiative, open_tab, sign_in, texts, type_sign_in

STALE = ("Someone else changed this initiative while you were working on it. Nothing of yours was saved. "
         "Reload the page to see the latest version and try again.")
PROPOSE = "FormSubmitter:new_idea-Propose idea"
SAVE_DETAILS = "FormSubmitter:details-Save details"


def _initiative(engine, initiative_id: int) -> Initiative:
    with read_session(engine) as session:
        return session.get(Initiative, initiative_id)


def _world(engine, **options) -> World:
    with write_session(engine) as session:
        return World(session, **options)


# ------------------------------------------------------------------ sign-in


def test_wrong_password_is_refused_and_the_right_one_signs_in(app, world):
    assert [b.label for b in app.button] == ["Sign in"]  # no demo accounts outside a demo database
    type_sign_in(app, "owner", "not-the-password")
    assert texts(app.error) == ["Wrong user name or password."]
    assert "user_id" not in app.session_state
    assert app.title[0].value == "Initiative portfolio"
    sign_in(app, "owner")
    assert app.session_state["user_id"] == world.owner.id
    assert app.title[0].value == "My decisions"  # the portfolio owner lands on the gates waiting for them
    assert "Signed in as Olga Ägare" in texts(app.sidebar.markdown)


@pytest.mark.parametrize("language, title, button", [
    ("sv", "Initiativportfölj", "Logga in"),
    ("nb", "Tiltaksportefølje", "Logg inn"),
    ("en", "Initiative portfolio", "Sign in"),
])
def test_language_picker_translates_the_page(app, language, title, button):
    app.sidebar.selectbox(key="lang").select(language).run()
    assert app.title[0].value == title
    assert app.button[0].label == button


# ------------------------------------------------------------------ overview

STAGES_SHOWN = ("Idea", "Concept", "Pilot", "Scale-up", "Benefits realisation", "Realised", "Stopped")


@pytest.fixture
def portfolio_of_five(app_db) -> World:
    """The world's ready idea and four more initiatives: two pilots, a concept and a stopped one."""
    with write_session(app_db) as session:
        world = World(session)
        for title, stage in (("Robot pharmacy", "pilot"), ("Video interpreting", "pilot"),
                             ("Night sensors", "concept"), ("Fax replacement", "stopped")):
            make_initiative(session, portfolio=world.portfolio, creator=world.lead, org_unit=world.unit, stage=stage,
                            title=title)
    return world


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def open_overview(at):
    """Open the overview from the navigation (the owner lands on "My decisions")."""
    return at.switch_page("portfolio/ui/overview.py").run()


def test_overview_counts_initiatives_per_stage(app, portfolio_of_five):
    open_overview(sign_in(app, "owner"))
    assert _metrics(app) == dict(zip(STAGES_SHOWN, ("1", "1", "2", "0", "0", "0", "1")))
    table = app.dataframe[0].value
    assert sorted(zip(table["Title"], table["Stage"])) == [
        ("Digital triage", "Idea"), ("Fax replacement", "Stopped"), ("Night sensors", "Concept"),
        ("Robot pharmacy", "Pilot"), ("Video interpreting", "Pilot")]
    assert "5 initiatives. Choose a row to open the initiative." in texts(app.caption)


def test_overview_filters_by_stage(app, portfolio_of_five):
    open_overview(sign_in(app, "owner"))
    app.selectbox(key="filter_stage").select("pilot").run()
    table = app.dataframe[0].value
    assert sorted(zip(table["Title"], table["Stage"])) == [("Robot pharmacy", "Pilot"), ("Video interpreting", "Pilot")]
    assert _metrics(app) == dict(zip(STAGES_SHOWN, ("0", "0", "2", "0", "0", "0", "0")))


def test_overview_refuses_a_stage_outside_the_lifecycle(app, world):
    open_overview(sign_in(app, "owner"))
    app.query_params["stage"] = "testing"
    app.run()
    assert texts(app.error) == [
        "Unknown stage 'testing'. The stages are: idea, concept, pilot, scale_up, benefits_realisation, "
        "realised, stopped."
    ]
    assert not app.dataframe


# ------------------------------------------------------------------ initiative page


def decide(app, outcome: str, rationale: str) -> None:
    """Choose ``outcome`` in the gate panel, write the rationale and record the decision."""
    app.selectbox(key="gate_outcome").select(outcome).run()
    app.text_area(key="gate_rationale").input(rationale)
    app.button(key="record_decision").click().run()


def test_owner_approves_a_ready_gate(app, world, app_db):
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    assert app.title[0].value == "Digital triage"
    assert "**Stage:** Idea" in app.markdown[0].value
    assert texts(app.success) == ["Every rule of the gate holds."]
    # The idea's fast-track checklist is open, so the fast track is not offered.
    assert app.selectbox(key="gate_outcome").options == ["Go", "Conditional go", "Hold", "Stop"]
    decide(app, "go", "The need and its owner are clear")
    assert "The decision is recorded." in texts(app.success)
    assert "**Stage:** Concept" in app.markdown[0].value
    assert _initiative(app_db, world.initiative.id).stage == "concept"
    with read_session(app_db) as session:
        decisions = session.exec(select(GateDecision)).all()
    assert [(d.outcome, d.from_stage, d.to_stage, d.decided_by_id, d.rationale) for d in decisions] == [
        ("go", "idea", "concept", world.owner.id, "The need and its owner are clear")]


def test_no_decision_is_chosen_for_the_decision_owner(app, world, app_db):
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    assert app.selectbox(key="gate_outcome").value is None
    before = snapshot(app_db, world.initiative.id)
    app.button(key="record_decision").click().run()
    assert texts(app.error) == ["Choose a decision first."]
    decide(app, "go", "Ready")
    assert texts(app.error) == ["The decision needs a rationale of at least 3 words: say why."]
    assert snapshot(app_db, world.initiative.id) == before


def test_gate_panel_lists_every_unmet_rule_and_hides_go(app, world, app_db):
    with write_session(app_db) as session:
        initiative = session.get(Initiative, world.initiative.id)
        initiative.need_owner = ""
        initiative.expected_effects = ""
        session.add(initiative)
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    assert texts(app.warning) == ["Before a go decision, this must be done:"]
    fast_track = texts(app.expander[0].markdown)
    gate = [line for line in texts(app.markdown) if line.startswith("- ")][:-len(fast_track)]
    assert gate == ["- No need owner is named.", "- The expected effects are not described."]
    assert fast_track[0] == "- No need owner is named."
    assert app.selectbox(key="gate_outcome").options == ["Hold", "Stop"]


def test_lead_sees_why_they_cannot_decide(app, world):
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id)
    assert texts(app.info) == ["The implementation lead of an initiative may not decide its gates."]
    assert not [s for s in app.selectbox if s.key == "gate_outcome"]
    assert not [b for b in app.button if b.key == "record_decision"]


def test_stale_decision_is_refused_and_nothing_is_written(app, world, app_db):
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    app.selectbox(key="gate_outcome").select("go").run()
    app.text_area(key="gate_rationale").input("Every rule of the gate holds")
    with write_session(app_db) as session:  # someone else edits the initiative meanwhile
        initiative = session.get(Initiative, world.initiative.id)
        initiative.version += 1
        session.add(initiative)
    before = snapshot(app_db, world.initiative.id)
    app.button(key="record_decision").click().run()
    assert texts(app.error) == [STALE]
    assert snapshot(app_db, world.initiative.id) == before
    assert before["stage"] == "idea"


def test_stop_without_reason_is_refused(app, world, app_db):
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    before = snapshot(app_db, world.initiative.id)
    decide(app, "stop", "No money for it")
    assert texts(app.error) == ["A stop needs a reason.\n\nA stop needs the lessons learned."]
    assert snapshot(app_db, world.initiative.id) == before
    assert before["stage"] == "idea"


def test_lead_updates_the_checklist(app, app_db):
    world = _world(app_db, stage="concept", ready=False)
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Checklist")
    assert app.subheader[0].value == "Checklist for Concept"
    with read_session(app_db) as session:
        before = checklist_items(session, world.initiative.id, "concept")
    app.selectbox(key=f"checklist_{before[0].id}_1_status").select("not_applicable")
    app.text_input(key=f"checklist_{before[0].id}_1_reason").input("Covered by the regional plan")
    app.button(key="save_checklist").click().run()
    assert texts(app.success) == ["The checklist is saved."]
    with read_session(app_db) as session:
        after = checklist_items(session, world.initiative.id, "concept")
    assert (after[0].id, after[0].status, after[0].not_applicable_reason) == (
        before[0].id, "not_applicable", "Covered by the regional plan")
    assert [(i.status, i.version) for i in after[1:]] == [(i.status, i.version) for i in before[1:]]


def test_steering_member_cannot_edit_the_checklist(app, world):
    sign_in(app, "steering")
    open_initiative(app, world.initiative.id, "Checklist")
    assert app.button(key="save_checklist").disabled
    assert "Only the implementation lead or the portfolio owner may update the checklist." in texts(app.caption)


def test_history_shows_decisions_and_audit(app, world):
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    decide(app, "go", "Every rule of the gate holds")
    open_tab(app, "History")
    trail = [m.value for m in app.markdown if "proposed the initiative" in m.value][0].splitlines()
    assert trail[0].startswith("- Olga Ägare decided go\\: Idea → Concept; rationale\\: “Every rule of the gate holds”")
    assert trail[-1].startswith("- Leif Ledare proposed the initiative “Digital triage”")
    assert any("Go · Idea → Concept · Olga Ägare" in m for m in texts(app.markdown))


def test_only_the_open_tab_runs(app, app_db):
    with write_session(app_db) as session:
        world = World(session, stage="pilot")
        make_indicator(session, make_benefit(session, world.initiative), direction="lower", baseline_value=10.0,
                       target_value=5.0)

    def benefits_drawn() -> tuple[bool, bool]:
        return "Benefit calculation" in texts(app.subheader), bool(app.table)  # the indicators' figures

    sign_in(app, "owner")
    open_initiative(app, world.initiative.id)
    assert texts(app.subheader) == ["Gate: Pilot"]
    assert benefits_drawn() == (False, False)
    open_tab(app, "Benefits")
    assert benefits_drawn() == (True, True)
    assert "Gate: Pilot" not in texts(app.subheader)
    open_tab(app, "Gate")
    assert benefits_drawn() == (False, False)


# ------------------------------------------------------------------ new idea


def test_new_idea_with_empty_title_is_refused(app, world, app_db):
    sign_in(app, "reporter")
    app.switch_page("portfolio/ui/new_idea.py").run()
    before = snapshot(app_db)
    app.text_input(key="new_idea_title").input("   ")
    app.button(key=PROPOSE).click().run()
    assert texts(app.error) == ["The title must not be empty."]
    assert snapshot(app_db) == before


def test_any_user_proposes_an_idea(app, world, app_db):
    sign_in(app, "reporter")
    app.switch_page("portfolio/ui/new_idea.py").run()
    app.text_input(key="new_idea_title").input("Digital egenvård vid diabetes")
    app.button(key=PROPOSE).click().run()
    number = world.initiative.id + 1
    assert texts(app.success) == [f"The idea Digital egenvård vid diabetes is registered as number {number}."]
    added = _initiative(app_db, number)
    assert (added.title, added.stage, added.portfolio_id, added.created_by_id) == (
        "Digital egenvård vid diabetes", "idea", world.portfolio.id, world.reporter.id)


# ------------------------------------------------------------------ my decisions


@pytest.fixture
def waiting(app_db) -> tuple[World, Initiative, Initiative]:
    """The owner's ready idea, a pilot of theirs that is not ready, and an idea another owner decides."""
    with write_session(app_db) as session:
        world = World(session)
        pilot = make_initiative(session, portfolio=world.portfolio, creator=world.lead, org_unit=world.unit,
                                stage="pilot", title="Robot pharmacy")
        elsewhere = make_portfolio(session, owner=make_user(session, username="other-owner"), name="Elsewhere")
        other = make_initiative(session, portfolio=elsewhere, creator=world.lead, org_unit=world.unit,
                                title="Not for the owner")
    return world, pilot, other


def test_my_decisions_lists_the_gates_waiting_for_the_owner(app, waiting):
    world, pilot, other = waiting
    sign_in(app, "owner")
    app.switch_page("portfolio/ui/my_decisions.py").run()
    assert app.title[0].value == "My decisions"
    assert texts(app.caption)[0] == "2 gates are waiting for you. 1 is ready for a decision."
    name = world.portfolio.name
    assert texts(app.subheader) == [f"{name}: ready (1)", f"{name}: not ready (1)"]
    cards = texts(app.markdown)
    assert "**Digital triage**  \nGate: Idea · ✅ Ready" in cards
    assert "**Robot pharmacy**  \nGate: Pilot · ⏳ Not ready" in cards
    assert not any("Not for the owner" in card for card in cards)
    links = [(link.proto.label, link.proto.page, link.proto.query_string) for link in app.get("page_link")]
    assert links == [("Open initiative", "initiative", f"id={world.initiative.id}"),
                     ("Open initiative", "initiative", f"id={pilot.id}")]
    # The unmet rules of the gate that is not ready, a line each.
    assert texts(app.caption)[1:] == ["  \n".join([
        "– The initiative has no indicators to measure.",
        "– There is no benefit calculation.",
        "– The checklist for Pilot is not complete: 5 required items are open (Pilot evaluated with a "
        "recommendation to scale up or stop; Receiving units have a manager's commitment; Management and "
        "maintenance agreed; Funding for rollout and operation confirmed by the paying parties; Required "
        "consultations recorded).",
    ])]
    app.query_params["id"] = str(pilot.id)
    app.switch_page("portfolio/ui/initiative.py").run()  # where the link leads
    assert app.title[0].value == "Robot pharmacy"


def test_my_decisions_is_empty_for_the_lead(app, world):
    sign_in(app, "lead")
    app.switch_page("portfolio/ui/my_decisions.py").run()
    assert texts(app.info) == ["No gates are waiting for you."]


@pytest.mark.parametrize("username, offered", [("admin", True), ("steering", True), ("owner", False),
                                               ("lead", False), ("reporter", False)])
def test_audit_download_is_offered_to_admins_and_the_steering_group(app, world, username, offered):
    sign_in(app, username)
    open_initiative(app, world.initiative.id, "History")
    assert bool([b for b in app.get("download_button") if b.proto.label == "Download the audit trail (CSV)"]) \
        is offered


def test_lead_edits_the_details(app, world, app_db):
    version = _initiative(app_db, world.initiative.id).version
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Details")
    app.text_input(key="details_need_owner").input("Verksamhetschef primärvård")
    app.button(key=SAVE_DETAILS).click().run()
    assert "The details are saved." in texts(app.success)
    initiative = _initiative(app_db, world.initiative.id)
    assert (initiative.need_owner, initiative.version) == ("Verksamhetschef primärvård", version + 1)


def test_details_with_an_empty_title_are_refused(app, world, app_db):
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "Details")
    before = snapshot(app_db, world.initiative.id)
    app.text_input(key="details_title").input(" ")
    app.button(key=SAVE_DETAILS).click().run()
    assert texts(app.error) == ["The title must not be empty."]
    assert snapshot(app_db, world.initiative.id) == before
    assert before["title"] == "Digital triage"


def test_admin_reassigns_a_decision_owner(app, world):
    sign_in(app, "admin")
    open_initiative(app, world.initiative.id, "Decision owners")
    app.selectbox(key="owner_gate").select("concept")
    owner_box = app.selectbox(key="owner_user")
    owner_box.select_index(owner_box.options.index("Stina Styrgrupp"))
    app.button(key="FormSubmitter:reassign-Change decision owner").click().run()
    assert "The decision owner is changed." in texts(app.success)
    owners = next(d.value for d in app.dataframe if list(d.value.columns) == ["Gate", "Decision owner"])
    assert owners.set_index("Gate").loc["Concept", "Decision owner"] == "Stina Styrgrupp"
    assert owners.set_index("Gate").loc["Idea", "Decision owner"] == "Olga Ägare"
    # An administrator does not decide: the gate panel offers them no decision.
    open_tab(app, "Gate")
    assert "Only the decision owner of this gate may decide it." in texts(app.info)


def test_owner_is_not_offered_the_reassign_form(app, world):
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id, "Decision owners")
    assert [s.value for s in app.subheader] == ["Decision owners"]
    assert not [s for s in app.selectbox if s.key == "owner_user"]
