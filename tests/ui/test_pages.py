"""One AppTest per page, asserting what the page shows."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import ChecklistItem, GateDecision, Initiative
from tests.ui.conftest import open_initiative, open_tab, sign_in, texts


def _stage(engine, initiative_id: int) -> str:
    with read_session(engine) as session:
        return session.get(Initiative, initiative_id).stage


# ------------------------------------------------------------------ sign-in


def test_sign_in_offers_one_demo_user_per_role(app):
    assert app.title[0].value == "Initiative portfolio"
    assert [b.label for b in app.button] == [
        "Sign in",
        "admin – Administrator",
        "owner – Portfolio owner and decision owner",
        "lead – Implementation lead",
        "steering – Steering group",
        "reporter – Unit reporter",
    ]


def test_demo_users_do_not_exist_for_sign_in_when_demo_mode_is_off(app, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_DEMO", "0")
    app.run()
    assert [b.label for b in app.button] == ["Sign in"]
    app.text_input[0].input("owner")
    app.text_input[1].input("demo")
    app.button[0].click().run()
    assert texts(app.error) == ["Wrong user name or password."]
    assert app.title[0].value == "Initiative portfolio"


def test_wrong_password_is_refused(app):
    app.text_input[0].input("owner")
    app.text_input[1].input("not-the-password")
    app.button[0].click().run()
    assert texts(app.error) == ["Wrong user name or password."]


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


def test_overview_counts_initiatives_per_stage(app, demo_db):
    sign_in(app, "owner")
    with read_session(demo_db) as session:
        counts = dict(session.exec(select(Initiative.stage, func.count()).group_by(Initiative.stage)).all())
    shown = {m.label: int(m.value) for m in app.metric}
    assert shown["Idea"] == counts.get("idea", 0)
    assert shown["Pilot"] == counts.get("pilot", 0)
    assert sum(shown.values()) == 24
    table = app.dataframe[0].value
    assert len(table) == 24


def test_overview_filters_by_stage(app, demo_db):
    sign_in(app, "owner")
    app.selectbox(key="filter_stage").select("pilot").run()
    table = app.dataframe[0].value
    assert set(table["Stage"]) == {"Pilot"}
    with read_session(demo_db) as session:
        pilots = session.exec(select(func.count()).select_from(Initiative).where(Initiative.stage == "pilot")).one()
    assert len(table) == pilots
    assert {m.label: m.value for m in app.metric}["Idea"] == "0"


def test_overview_refuses_a_stage_outside_the_lifecycle(app):
    sign_in(app, "owner")
    app.query_params["stage"] = "testing"
    app.run()
    assert texts(app.error) == [
        "Unknown stage 'testing'. The stages are: idea, concept, pilot, scale_up, benefits_realisation, "
        "realised, stopped."
    ]
    assert not app.dataframe


# ------------------------------------------------------------------ initiative page


def test_owner_approves_a_ready_gate(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, 1)
    assert app.title[0].value == "Digitalt vårdmöte i primärvården"
    assert "**Stage:** Idea" in app.markdown[0].value
    assert texts(app.success) == ["Every rule of the gate holds."]
    # The fast-track checklist of the demo idea is open, so the fast track is not offered.
    assert app.selectbox(key="gate_outcome").options == ["Go", "Conditional go", "Hold", "Stop"]
    app.button(key="record_decision").click().run()
    assert "The decision is recorded." in texts(app.success)
    assert "**Stage:** Concept" in app.markdown[0].value
    assert _stage(demo_db, 1) == "concept"


def test_gate_panel_lists_every_unmet_rule_and_hides_go(app, demo_db):
    sign_in(app, "owner")
    with write_session(demo_db) as session:
        initiative = session.get(Initiative, 1)
        initiative.need_owner = ""
        initiative.expected_effects = ""
        session.add(initiative)
    open_initiative(app, 1)
    assert texts(app.warning) == ["Before a go decision, this must be done:"]
    assert "- No need owner is named." in texts(app.markdown)
    assert "- The expected effects are not described." in texts(app.markdown)
    options = app.selectbox(key="gate_outcome").options
    assert "Go" not in options and "Conditional go" not in options
    assert "Stop" in options


def test_lead_sees_why_they_cannot_decide(app):
    sign_in(app, "lead")
    open_initiative(app, 1)
    assert "The implementation lead of an initiative may not decide its gates." in texts(app.info)
    assert not [s for s in app.selectbox if s.key == "gate_outcome"]


def test_stale_decision_is_refused_and_nothing_is_written(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, 1)
    with write_session(demo_db) as session:  # someone else edits the initiative meanwhile
        initiative = session.get(Initiative, 1)
        initiative.version += 1
        session.add(initiative)
    with read_session(demo_db) as session:
        decisions_before = session.exec(select(func.count()).select_from(GateDecision)).one()
    app.button(key="record_decision").click().run()
    assert texts(app.error) == [
        "Someone else changed this initiative while you were working on it. Nothing of yours was saved. "
        "Reload the page to see the latest version and try again."
    ]
    assert _stage(demo_db, 1) == "idea"
    with read_session(demo_db) as session:
        assert session.exec(select(func.count()).select_from(GateDecision)).one() == decisions_before


def test_stop_without_reason_is_refused(app, demo_db):
    sign_in(app, "owner")
    open_initiative(app, 1)
    app.selectbox(key="gate_outcome").select("stop").run()
    app.button(key="record_decision").click().run()
    assert texts(app.error) == ["A stop needs a reason.\n\nA stop needs the lessons learned."]
    assert _stage(demo_db, 1) == "idea"


def test_lead_updates_the_checklist(app, demo_db):
    sign_in(app, "lead")
    open_initiative(app, 4, "Checklist")
    with read_session(demo_db) as session:
        stage = session.get(Initiative, 4).stage
    app.session_state["checklist_editor"] = {
        "edited_rows": {0: {"status": "Not applicable", "reason": "Covered by the regional plan"}},
        "added_rows": [], "deleted_rows": [],
    }
    app.button(key="save_checklist").click().run()
    assert "The checklist is saved." in texts(app.success)
    with read_session(demo_db) as session:
        item = session.exec(select(ChecklistItem).where(ChecklistItem.initiative_id == 4,
                                                        ChecklistItem.stage == stage)
                            .order_by(ChecklistItem.position)).first()
    assert (item.status, item.not_applicable_reason) == ("not_applicable", "Covered by the regional plan")


def test_steering_member_cannot_edit_the_checklist(app):
    sign_in(app, "steering")
    open_initiative(app, 4, "Checklist")
    assert app.button(key="save_checklist").disabled
    assert "Only the implementation lead or the portfolio owner may update the checklist." in texts(app.caption)


def test_history_shows_decisions_and_audit(app):
    sign_in(app, "owner")
    open_initiative(app, 1)
    app.button(key="record_decision").click().run()
    open_tab(app, "History")
    audit = app.dataframe[-1].value
    assert audit.iloc[0]["Action"] == "gate.go"
    assert audit.iloc[0]["Who"] == "Petra Portföljägare"
    assert any("Go · Idea → Concept · Petra Portföljägare" in m for m in texts(app.markdown))


def test_only_the_open_tab_runs(app):
    def benefits_drawn() -> tuple[bool, bool]:
        return ("Benefit calculation" in texts(app.subheader),
                any((e.key or "").startswith("grid_") for e in app.data_editor))

    sign_in(app, "owner")
    open_initiative(app, 3)
    assert texts(app.subheader) == ["Gate: Pilot"]
    assert benefits_drawn() == (False, False)
    open_tab(app, "Benefits")
    assert benefits_drawn() == (True, True)
    assert "Gate: Pilot" not in texts(app.subheader)
    open_tab(app, "Gate")
    assert benefits_drawn() == (False, False)


# ------------------------------------------------------------------ new idea


def test_new_idea_with_empty_title_is_refused(app, demo_db):
    sign_in(app, "reporter")
    app.switch_page("portfolio/ui/new_idea.py").run()
    app.text_input[0].input("   ")
    app.button(key="FormSubmitter:new_idea-Propose idea").click().run()
    assert texts(app.error) == ["The title must not be empty."]
    with read_session(demo_db) as session:
        assert session.exec(select(func.count()).select_from(Initiative)).one() == 24


def test_any_user_proposes_an_idea(app, demo_db):
    sign_in(app, "reporter")
    app.switch_page("portfolio/ui/new_idea.py").run()
    app.text_input[0].input("Digital egenvård vid diabetes")
    app.button(key="FormSubmitter:new_idea-Propose idea").click().run()
    assert texts(app.success) == ["The idea Digital egenvård vid diabetes is registered as number 25."]
    assert _stage(demo_db, 25) == "idea"


# ------------------------------------------------------------------ my decisions


def test_my_decisions_lists_the_gates_waiting_for_the_owner(app, demo_db):
    sign_in(app, "owner")
    app.switch_page("portfolio/ui/my_decisions.py").run()
    assert app.title[0].value == "My decisions"
    with read_session(demo_db) as session:
        open_gates = session.exec(select(func.count()).select_from(Initiative)
                                  .where(Initiative.stage.not_in(("realised", "stopped")))).one()
    caption = app.caption[0].value
    assert caption.startswith(f"{open_gates} gates are waiting for you; ")
    assert app.button(key="open_1").label == "Open initiative"
    assert any("Digitalt vårdmöte i primärvården" in m for m in texts(app.markdown))


def test_my_decisions_is_empty_for_the_lead(app):
    sign_in(app, "lead")
    app.switch_page("portfolio/ui/my_decisions.py").run()
    assert texts(app.info) == ["No gates are waiting for you."]


@pytest.mark.parametrize("username, offered", [("admin", True), ("steering", True), ("owner", False),
                                               ("lead", False), ("reporter", False)])
def test_audit_download_is_offered_to_admins_and_the_steering_group(app, username, offered):
    sign_in(app, username)
    open_initiative(app, 1, "History")
    assert bool([b for b in app.get("download_button") if b.proto.label == "Download the audit trail (CSV)"]) \
        is offered


def test_lead_edits_the_details(app, demo_db):
    sign_in(app, "lead")
    open_initiative(app, 1, "Details")
    app.text_input(key="details_need_owner").input("Verksamhetschef primärvård")
    app.button(key="FormSubmitter:details-Save details").click().run()
    assert "The details are saved." in texts(app.success)
    with read_session(demo_db) as session:
        initiative = session.get(Initiative, 1)
    assert (initiative.need_owner, initiative.version) == ("Verksamhetschef primärvård", 2)


def test_details_with_an_empty_title_are_refused(app, demo_db):
    sign_in(app, "lead")
    open_initiative(app, 1, "Details")
    app.text_input(key="details_title").input(" ")
    app.button(key="FormSubmitter:details-Save details").click().run()
    assert texts(app.error) == ["The title must not be empty."]
    with read_session(demo_db) as session:
        initiative = session.get(Initiative, 1)
    assert (initiative.title, initiative.version) == ("Digitalt vårdmöte i primärvården", 1)


def test_admin_reassigns_a_decision_owner(app, demo_db):
    sign_in(app, "admin")
    open_initiative(app, 1, "Decision owners")
    app.selectbox(key="owner_gate").select("concept")
    owner_box = app.selectbox(key="owner_user")
    owner_box.select_index(owner_box.options.index("Sven Styrgrupp"))
    app.button(key="FormSubmitter:reassign-Change decision owner").click().run()
    assert "The decision owner is changed." in texts(app.success)
    owners = next(d.value for d in app.dataframe if list(d.value.columns) == ["Gate", "Decision owner"])
    assert owners.set_index("Gate").loc["Concept", "Decision owner"] == "Sven Styrgrupp"
    assert owners.set_index("Gate").loc["Idea", "Decision owner"] == "Petra Portföljägare"
    # An administrator does not decide: the gate panel offers them no decision.
    open_tab(app, "Gate")
    assert "Only the decision owner of this gate may decide it." in texts(app.info)


def test_owner_is_not_offered_the_reassign_form(app):
    sign_in(app, "owner")
    open_initiative(app, 1, "Decision owners")
    assert [s.value for s in app.subheader] == ["Decision owners"]
    assert not [s for s in app.selectbox if s.key == "owner_user"]
