"""AppTest of the benefit report page: the steering group reads the report of its portfolio for a period, with
small charts and the three downloads; a stranger reads the refusal; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from portfolio.ui.text import plain
from tests.test_benefit_report import REFUSAL, build
from tests.ui.conftest import APP, no_exception, sign_in, texts

PAGE = "portfolio/ui/report.py"


@pytest.fixture
def built(app_db, monkeypatch):
    monkeypatch.delenv("PORTFOLIO_TIMEZONE", raising=False)
    return build(app_db)


def _open(username: str) -> AppTest:
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run(), username)
    at.session_state["report_from"] = date(2025, 1, 1)
    at.session_state["report_to"] = date(2025, 6, 30)
    return no_exception(at.switch_page(PAGE).run())


def test_the_steering_group_reads_the_report_with_charts_and_downloads(built):
    at = _open("steering")
    assert at.title[0].value == "Benefit report"
    assert at.selectbox(key="report_portfolio").value == built.world.portfolio.id
    shown = texts(at.markdown)
    assert plain("3 initiatives were open in the period.") in shown
    assert plain("3 gate decisions were taken in the period. Outcomes: Go: 1, Hold: 1 and Stop: 1.") in shown
    assert plain("Stands in Stopped; it stood in Idea when the period began.") in shown
    assert plain("Calls answered: 140 in 2025-05, 40% of the way from 100 to 200 (On track).") in texts(at.caption)
    # One chart per indicator with values: CALLS, WAIT and COMPL of the first initiative, VISITS of the third.
    assert len(at.get("vega_lite_chart")) == 4
    assert [button.proto.label for button in at.get("download_button")] == [
        "Download PDF", "Download Excel", "Download CSV (zip)"]
    stages, decisions, stopped = (frame.value for frame in at.dataframe)
    assert stages.iloc[-1].tolist() == ["Stopped", 1, 2, 1]
    assert decisions["Outcome"].tolist() == ["Go", "Hold", "Stop"]
    assert stopped["Reason"].tolist() == ["Too costly to scale"]


def test_a_sub_portfolio_is_chosen_from_the_readable_ones(built):
    at = _open("substeering")
    assert at.selectbox(key="report_portfolio").options == ["Sub-portfolio"]
    assert plain("1 initiative was open in the period.") in texts(at.markdown)


def test_a_stranger_reads_why_not(built):
    at = _open("stranger")
    assert texts(at.error) == [REFUSAL]
    assert at.get("download_button") == []
