"""Every chart has a text alternative (WCAG 1.1.1): a sentence with the chart's figures, given to the chart as its
``alt`` (which the browser reads out as the chart's name), or a table of its figures under it. On SQLite and
PostgreSQL; the browser test (tests/browser/test_accessibility.py) checks that every chart drawn has a name."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from streamlit.testing.v1 import AppTest

from db.engine import write_session
from db.models import Indicator, Initiative, User
from portfolio.benefits_math import CashflowYear
from tests.factories import World, make_benefit, make_calculation, make_indicator, make_measurement
from tests.ui.conftest import APP, no_exception, open_initiative, open_section, sign_in


def _alts(at: AppTest) -> list[str]:
    return [chart.proto.alt for chart in at.get("vega_lite_chart")]


@pytest.fixture
def measured(app_db) -> World:
    """"Digital triage" (created in 2024) with a monthly indicator measured in February and May 2025."""
    with write_session(app_db) as session:
        world = World(session)
        initiative = session.get(Initiative, world.initiative.id)
        initiative.created_at = datetime(2024, 6, 1, tzinfo=timezone.utc)
        calls = make_indicator(session, make_benefit(session, initiative, title="Faster answers"), code="CALLS",
                               name="Calls answered", unit="calls", frequency="month", baseline_value=100.0,
                               baseline_date=date(2025, 1, 1), target_value=200.0, target_date=date(2026, 1, 1))
        make_measurement(session, calls, period=date(2025, 2, 1), value=120.0)
        make_measurement(session, calls, period=date(2025, 5, 1), value=1140.25)
    world.calls_id = calls.id
    return world


def test_the_indicator_chart_of_the_benefits_tab_says_its_figures(app, measured):
    sign_in(app, "owner")
    open_initiative(app, measured.initiative.id, "Benefits")
    open_section(app, f"open_indicator_{measured.calls_id}")
    assert _alts(app) == ["Chart of Calls answered (calls) from 1 Feb 2025 to 1 May 2025: first 120, latest 1,140.25, "
                          "lowest 120, highest 1,140.25; baseline 100, target 200."]


def test_the_calculation_chart_says_where_its_running_total_ends_and_the_indicators_money(app, app_db):
    with write_session(app_db) as session:
        world = World(session, stage="pilot")
        # 850 a minute and visit, 1,200 visits a year: planned 5, 10 minutes less in 2026, 2027; realised 4, 9.
        waits = make_indicator(session, make_benefit(session, world.initiative, money_per_unit=850), code="WAIT",
                               name="Waiting minutes", direction="lower", frequency="year", baseline_value=40.0,
                               baseline_date=date(2025, 1, 1), target_value=25.0, target_date=date(2028, 1, 1))
        session.get(Indicator, waits.id).volume_per_year = 1200.0  # test set-up: the volume the money form sets
        make_measurement(session, waits, period=date(2026, 1, 1), value=36.0)
        make_measurement(session, waits, period=date(2027, 1, 1), value=31.0)
        make_calculation(session, world.initiative, [CashflowYear(2026, investment=1_000_000, from_indicators=True),
                                                     CashflowYear(2027, from_indicators=True)])
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id, "Benefits")
    open_section(app, "open_calculation_chart")
    # Discounted net: 4,080,000 − 1,000,000 = 3,080,000, then 9,180,000 / 1.03 = 8,912,621.36; in all 11,992,621.
    # Planned 5,100,000 + 10,200,000; realised 4,080,000 + 9,180,000.
    assert _alts(app) == ["Chart of the benefit calculation by year, 2026 to 2027: each year's discounted net and "
                          "their running total, which ends at 11,992,621. The table above gives every year. Beside "
                          "them, the benefit the indicators planned (15,300,000 in all) and realised (13,260,000 in "
                          "all)."]


def test_a_calculation_without_money_from_indicators_says_only_its_running_total(app, app_db):
    with write_session(app_db) as session:
        world = World(session)
        make_calculation(session, world.initiative, [CashflowYear(2026, investment=100_000, operation=10_000),
                                                     CashflowYear(2027, operation=10_000, benefit=80_000),
                                                     CashflowYear(2028, operation=10_000, benefit=80_000)])
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id, "Benefits")
    open_section(app, "open_calculation_chart")
    # −110,000 + 70,000 / 1.03 + 70,000 / 1.03² = 23,942.88.
    assert _alts(app) == ["Chart of the benefit calculation by year, 2026 to 2028: each year's discounted net and "
                          "their running total, which ends at 23,943. The table above gives every year."]


def test_the_report_charts_say_their_figures_in_the_readers_digits(measured, app_db):
    with write_session(app_db) as session:
        session.get(User, measured.steering.id).language = "sv"
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "steering")
    at.session_state["report_from"] = date(2025, 1, 1)
    at.session_state["report_to"] = date(2025, 6, 30)
    no_exception(at.switch_page("portfolio/ui/report.py").run())
    [alt] = _alts(at)
    # Swedish dates and digits (a decimal comma, a space between thousands) in whatever words the catalogue has.
    assert "1 feb. 2025" in alt and "1 maj 2025" in alt, alt
    assert "1\xa0140,25" in alt and "120" in alt and "200" in alt, alt


def test_the_follow_up_chart_points_to_the_table_under_it(app, measured, app_db):
    today = date.today()
    with write_session(app_db) as session:
        make_measurement(session, session.get(Indicator, measured.calls_id), period=date(today.year, today.month, 1),
                         value=150.0, org_unit=measured.unit)
    sign_in(app, "steering")
    app.query_params.update({"unit": str(measured.unit.id), "level": "strategic", "span": "2", "group": "year"})
    no_exception(app.switch_page("portfolio/ui/indicator_views.py").run())
    assert _alts(app) == [f"Chart of Calls answered, actual against planned, {date.today().year - 1} to "
                          f"{date.today().year}; the table below gives every period."]
    assert app.dataframe, "the table of the chart's figures is under it"
