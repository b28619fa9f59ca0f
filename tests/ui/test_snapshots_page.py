"""AppTest of the meeting snapshots page: the list per portfolio, freezing for a meeting (refusals in words,
nothing stored), a snapshot opened exactly as it was frozen after the data changed, its downloads, and two
meetings compared side by side; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import Initiative, ReportSnapshot
from portfolio.benefit_report import BenefitReport
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.report_render import render_html
from portfolio.snapshots import freeze_report
from tests.factories import actor, make_benefit, make_indicator, make_measurement
from tests.ui.conftest import no_exception, sign_in, texts

PAGE = "portfolio/ui/snapshots.py"
FREEZE = "FormSubmitter:freeze_snapshot-Freeze the report"
PERIOD = (date(2026, 1, 1), date.today())


def _freeze(engine, world, name: str, day: date) -> int:
    with write_session(engine) as session:
        return freeze_report(session=session, actor=actor(session, world.steering), portfolio_id=world.portfolio.id,
                             meeting_name=name, meeting_date=day, period_from=PERIOD[0], period_to=PERIOD[1],
                             language="en").id


def _open_page(app):
    return no_exception(app.switch_page(PAGE).run())


def _frame_html(app) -> str:
    (frame,) = app.get("iframe")
    src = frame.proto.src
    prefix = "data:text/html;charset=utf-8;base64,"
    assert src.startswith(prefix)
    return base64.b64decode(src[len(prefix):]).decode("utf-8")


def _count(engine) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(ReportSnapshot)).one()


def _change_the_data(engine, world) -> None:
    """A measurement of a new indicator and a gate decision: what a report made now would show."""
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        benefit = make_benefit(session, initiative, title="Shorter waits")
        indicator = make_indicator(session, benefit, code="WAIT", name="Waiting time", direction="lower",
                                   baseline_value=100.0, baseline_date=date(2026, 1, 1), target_value=50.0,
                                   target_date=date(2027, 1, 1))
        make_measurement(session, indicator, period=date(2026, 11, 1), value=60.0)
        record_gate_decision(session=session, actor=actor(session, world.owner), initiative_id=initiative.id,
                             expected_version=initiative.version,
                             data=DecisionInput(outcome="go", rationale="The steering group agreed today"))


def _stored_report(engine, snapshot_id: int) -> BenefitReport:
    import json

    with read_session(engine) as session:
        return BenefitReport.from_payload(json.loads(session.get(ReportSnapshot, snapshot_id).payload))


def test_a_snapshot_opens_exactly_as_it_was_frozen(app, world, app_db):
    snapshot_id = _freeze(app_db, world, "Styrgrupp september", date(2026, 9, 3))
    frozen_html = render_html(_stored_report(app_db, snapshot_id), "en")
    _change_the_data(app_db, world)
    sign_in(app, "steering")
    assert "snapshots" in app.session_state["pages"]
    _open_page(app)
    assert app.title[0].value == "Meeting snapshots"
    table = app.dataframe[0].value
    assert list(table.columns) == ["Meeting", "Meeting date", "Period", "Language", "Frozen by", "Frozen at"]
    assert table.iloc[0][:5].tolist() == ["Styrgrupp september", "3 Sept 2026",
                                          f"1 Jan 2026 – {PERIOD[1].day} {PERIOD[1]:%b} {PERIOD[1].year}"
                                          .replace("Sep ", "Sept "), "English", "Stina Styrgrupp"]
    app.selectbox(key="snapshots_open").set_value(snapshot_id)
    no_exception(app.run())
    assert app.query_params["snapshot"] == str(snapshot_id)
    assert "Styrgrupp september (3 Sept 2026\\)" in texts(app.subheader)
    # The frozen report, not today's: "Digital triage" still in Idea, without the indicator added since.
    html = _frame_html(app)
    assert html == frozen_html
    assert "Waiting time" not in html
    assert [b.proto.label for b in app.get("download_button")] == [
        "Download PDF", "Download Excel", "Download CSV (zip)"]


def test_freezing_for_a_meeting_and_its_refusals(app, world, app_db):
    sign_in(app, "steering")
    _open_page(app)
    assert texts(app.info) == ["No snapshot of this portfolio has been frozen yet."]
    app.date_input(key="freeze_meeting_date").set_value(date(2026, 12, 3))
    no_exception(app.button(key=FREEZE).click().run())
    assert texts(app.error) == ["The meeting needs a name."]
    assert _count(app_db) == 0

    app.text_input(key="freeze_meeting_name").input("Styrgrupp 2026-12-03")
    app.date_input(key="freeze_meeting_date").set_value(date(2026, 12, 3))
    no_exception(app.button(key=FREEZE).click().run())
    assert texts(app.success) == ["The benefit report is frozen for the meeting Styrgrupp 2026\\-12\\-03 on 3 Dec 2026."]
    assert _count(app_db) == 1
    # The new snapshot is open, and the form is empty again.
    assert app.selectbox(key="snapshots_open").value is not None
    # What was typed is shown as typed: Markdown's characters are escaped.
    assert "Styrgrupp 2026\\-12\\-03 (3 Dec 2026\\)" in texts(app.subheader)
    assert app.text_input(key="freeze_meeting_name").value == ""
    assert "Digital triage" in _frame_html(app)

    app.text_input(key="freeze_meeting_name").input("Styrgrupp 2026-12-03")
    app.date_input(key="freeze_meeting_date").set_value(date(2026, 12, 3))
    no_exception(app.button(key=FREEZE).click().run())
    assert texts(app.error) == ["This portfolio already has a snapshot for the meeting “Styrgrupp 2026\\-12\\-03” on "
                                "2026\\-12\\-03."]
    assert app.text_input(key="freeze_meeting_name").value == "Styrgrupp 2026-12-03"
    assert _count(app_db) == 1


def test_two_meetings_compared_side_by_side(app, world, app_db):
    _freeze(app_db, world, "Styrgrupp september", date(2026, 9, 3))
    _change_the_data(app_db, world)
    _freeze(app_db, world, "Styrgrupp december", date(2026, 12, 3))
    sign_in(app, "owner")
    _open_page(app)
    assert app.selectbox(key="compare_first").value != app.selectbox(key="compare_second").value
    tables = [frame.value for frame in app.dataframe[1:]]
    first, second = "Styrgrupp september (3 Sept 2026)", "Styrgrupp december (3 Dec 2026)"
    stages = tables[0]
    assert list(stages.columns) == ["Stage", first, second, "Change"]
    assert stages.values.tolist()[:2] == [["Idea", "1", "0", "−1"], ["Concept", "0", "1", "+1"]]
    assert list(tables[1].columns) == ["", first, second, "Change"]
    assert tables[2].values.tolist() == [["Digital triage", "Idea", "Concept"]]
    assert list(tables[2].columns) == ["Initiative", first, second]
    assert "No new initiatives." in texts(app.caption)
    assert "No initiative was stopped." in texts(app.caption)
    # The other way round: the same moves backwards.
    app.selectbox(key="compare_first").set_value(app.selectbox(key="compare_second").value)
    no_exception(app.run())
    assert "Choose two different meetings." in texts(app.caption)


def test_only_those_who_may_read_snapshots_see_the_page(app, world):
    sign_in(app, "lead")
    assert "snapshots" not in app.session_state["pages"]


def test_what_was_typed_shows_as_typed(app, world, app_db):
    from tests.ui.test_plain_text import TITLE, assert_nothing_live
    from portfolio.ui.text import plain

    with write_session(app_db) as session:
        initiative = session.get(Initiative, world.initiative.id)
        initiative.title = TITLE
    first = _freeze(app_db, world, "Styrgrupp september", date(2026, 9, 3))
    _change_the_data(app_db, world)
    _freeze(app_db, world, TITLE, date(2026, 12, 3))
    sign_in(app, "steering")
    _open_page(app)
    app.selectbox(key="snapshots_open").set_value(first + 1)
    no_exception(app.run())
    assert f"{plain(TITLE)} (3 Dec 2026\\)" in texts(app.subheader)
    assert_nothing_live(app)
    # Table cells and headers are never read as Markdown: they hold the text as typed.
    assert app.dataframe[0].value["Meeting"].tolist() == [TITLE, "Styrgrupp september"]
    assert app.dataframe[3].value.values.tolist() == [[TITLE, "Idea", "Concept"]]


def test_a_swedish_reader_reads_the_page_in_swedish(app, world, app_db):
    from db.models import User

    _freeze(app_db, world, "Styrgrupp september", date(2026, 9, 3))
    _freeze(app_db, world, "Styrgrupp december", date(2026, 12, 3))
    with write_session(app_db) as session:
        session.get(User, world.steering.id).language = "sv"
    sign_in(app, "steering")
    _open_page(app)
    assert app.title[0].value == "Mötesögonblicksbilder"
    assert texts(app.subheader) == ["Frys rapporten inför ett möte", "Ögonblicksbilder", "Jämför två möten"]
    assert app.button(key=FREEZE.replace("Freeze the report", "Frys rapporten")).label == "Frys rapporten"
    assert list(app.dataframe[0].value.columns) == ["Möte", "Mötesdatum", "Period", "Språk", "Frusen av", "Frusen"]
    assert app.dataframe[0].value["Mötesdatum"].tolist() == ["3 dec. 2026", "3 sep. 2026"]
    assert list(app.dataframe[1].value.columns) == ["Fas", "Styrgrupp september (3 sep. 2026)",
                                                    "Styrgrupp december (3 dec. 2026)", "Förändring"]
    assert "Inget initiativ bytte fas." in texts(app.caption)
