"""The benefit report: its figures for a hand-built portfolio, who may read it and what it covers, its JSON round
trip, the sentences in sv, nb and en, and its PDF, Excel, CSV and command-line forms; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from click.testing import CliRunner
from sqlalchemy import event
from sqlmodel import Session

from db.engine import read_session, write_session
from db.models import GateDecision, Indicator, Initiative, RoleAssignment
from portfolio import benefits_math
from portfolio.benefit_report import (
    PAYLOAD_VERSION,
    BenefitReport,
    CostSummary,
    OutcomeCount,
    SeriesPoint,
    StageCount,
    StatusCounts,
    benefit_report,
)
from portfolio.cli import main
from portfolio.errors import PermissionDenied, ValidationError
from portfolio.i18n import translator
from portfolio.report_render import render_csv, render_html, render_pdf, render_xlsx
from tests.factories import (
    World,
    actor,
    make_benefit,
    make_calculation,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_portfolio,
    make_user,
)
from tests.pdf_text import pdf_pages

ROOT = Path(__file__).resolve().parents[1]
PERIOD = (date(2025, 1, 1), date(2025, 6, 30))
REFUSAL = "Only the portfolio's steering group, its owners and administrators may read its benefit report."
HOSTILE = '=HYPERLINK("http://evil.example","Open")'
SCRIPT = "<script>alert('x')</script> Triage"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def _decide(session: Session, initiative: Initiative, by, outcome: str, to_stage: str, at: datetime,
            **texts: str) -> None:
    """A gate decision taken at ``at`` (test set-up writes the row and the stage directly, to date it)."""
    session.add(GateDecision(initiative_id=initiative.id, outcome=outcome, from_stage=initiative.stage,
                             to_stage=to_stage, decided_by_id=by.id, decided_at=at, **texts))
    initiative.stage = to_stage
    session.add(initiative)
    session.flush()


def _created(session: Session, initiative: Initiative, at: datetime, **fields) -> Initiative:
    initiative.created_at = at
    for name, value in fields.items():
        setattr(initiative, name, value)
    session.add(initiative)
    session.flush()
    return initiative


@dataclass
class Built:
    """The hand-built organisation: World, a sub-portfolio with its own steering member, another portfolio."""

    world: World
    sub_portfolio_id: int
    other_portfolio_id: int
    sub_steering_id: int
    ids: dict[str, int]


def build(engine) -> Built:
    """Portfolio P (World's) with A (concept since before the period, three indicators, money, a calculation),
    C (proposed in the period, on hold, a hostile title) and E (stopped before the period); sub-portfolio S
    with B (idea → concept → stopped in the period); another portfolio O with D (a decision in the period)."""
    with write_session(engine) as session:
        world = World(session)
        owner, lead = world.owner, world.lead
        # A name with no English word in it, so that the translated report can be searched for English text.
        world.portfolio.name = "Region Västerhamn"
        session.add(world.portfolio)
        sub = make_portfolio(session, parent=world.portfolio, owner=owner, name="Sub-portfolio")
        other = make_portfolio(session, owner=owner, name="Other portfolio")
        sub_steering = make_user(session, username="substeering", display_name="Sune Sub", role="steering",
                                 portfolio=sub)
        session.add(RoleAssignment(user_id=lead.id, role="implementation_lead", portfolio_id=sub.id))
        long_ago = utc(2024, 6, 1)
        a = _created(session, session.get(Initiative, world.initiative.id), long_ago, estimated_cost=1500.0)
        _decide(session, a, owner, "go", "concept", utc(2024, 10, 1), rationale="Ready")
        b = _created(session, make_initiative(session, portfolio=sub, creator=lead, lead=lead, title=SCRIPT),
                     long_ago, estimated_cost=800.0)
        # 23:30 UTC on New Year's Eve is 00:30 on 1 January in Stockholm: inside the period.
        _decide(session, b, owner, "go", "concept", utc(2024, 12, 31, 23, 30), rationale="A good idea")
        _decide(session, b, owner, "stop", "stopped", utc(2025, 5, 20, 10), stop_reason="Too costly to scale",
                lessons_learned="Measure the baseline first")
        c = _created(session, make_initiative(session, portfolio=world.portfolio, creator=lead, lead=lead,
                                              title=HOSTILE), utc(2025, 3, 1), on_hold=True)
        _decide(session, c, owner, "hold", "idea", utc(2025, 4, 15, 9), hold_review_date=date(2025, 9, 1))
        # 22:30 UTC on 30 June is 00:30 on 1 July in Stockholm: after the period.
        _decide(session, c, owner, "hold", "idea", utc(2025, 6, 30, 22, 30), hold_review_date=date(2025, 10, 1))
        d = _created(session, make_initiative(session, portfolio=other, creator=lead, lead=lead), long_ago)
        _decide(session, d, owner, "go", "concept", utc(2025, 3, 3))
        e = _created(session, make_initiative(session, portfolio=world.portfolio, creator=lead, lead=lead),
                     long_ago)
        _decide(session, e, owner, "stop", "stopped", utc(2024, 12, 1), stop_reason="Duplicate", lessons_learned="-")

        speed = make_benefit(session, a, title="Faster answers", money_per_unit=50.0)
        calls = make_indicator(session, speed, code="CALLS", name="Calls answered", frequency="month",
                               aggregation="sum", baseline_value=100.0, baseline_date=date(2025, 1, 1),
                               target_value=200.0, target_date=date(2026, 1, 1))
        wait = make_indicator(session, speed, code="WAIT", name="Waiting days", direction="lower", frequency="month",
                              aggregation="mean", unit="days", baseline_value=20.0, baseline_date=date(2025, 1, 1),
                              target_value=10.0, target_date=date(2026, 1, 1))
        safety = make_benefit(session, a, title="Fewer complaints")
        complaints = make_indicator(session, safety, code="COMPL", name="Complaints", direction="lower",
                                    baseline_value=50.0, baseline_date=date(2025, 1, 1), target_value=10.0,
                                    target_date=date(2026, 1, 1))
        # Test set-up: the volume the calculation's money inputs would set.
        session.get(Indicator, calls.id).volume_per_year = 12.0
        make_measurement(session, calls, period=date(2025, 5, 1), value=140.0)
        make_measurement(session, calls, period=date(2025, 8, 1), value=300.0)  # after the period
        make_measurement(session, wait, period=date(2025, 6, 1), value=19.0, org_unit=world.unit)
        make_measurement(session, wait, period=date(2025, 6, 1), value=17.0, org_unit=make_org_unit(session))
        make_measurement(session, complaints, period=date(2025, 6, 1), value=50.0)
        make_calculation(session, a, [benefits_math.CashflowYear(2025, investment=1000.0, benefit=300.0),
                                      benefits_math.CashflowYear(2026, operation=200.0, benefit=500.0)])
        users = make_benefit(session, b, title="More users")
        make_indicator(session, users, code="USERS", name="Users", baseline_value=0.0, target_value=10.0)
        visits = make_benefit(session, c, title="More visits")
        video = make_indicator(session, visits, code="VISITS", name="Video visits", baseline_value=0.0,
                               baseline_date=date(2025, 1, 1), target_value=10.0, target_date=date(2025, 12, 31))
        make_measurement(session, video, period=date(2025, 3, 1), value=5.0)
        return Built(world, sub.id, other.id, sub_steering.id, {"A": a.id, "B": b.id, "C": c.id, "D": d.id, "E": e.id})


@pytest.fixture(autouse=True)
def stockholm(monkeypatch):
    monkeypatch.delenv("PORTFOLIO_TIMEZONE", raising=False)


@pytest.fixture
def built(engine) -> Built:
    return build(engine)


def report_for(engine, user_id: int, portfolio_id: int, period=PERIOD) -> BenefitReport:
    with read_session(engine) as session:
        from portfolio.permissions import load_actor

        return benefit_report(session, load_actor(session=session, user_id=user_id), portfolio_id, *period)


@pytest.fixture
def report(engine, built) -> BenefitReport:
    return report_for(engine, built.world.steering.id, built.world.portfolio.id)


# ---------------------------------------------------------------- figures


def test_stages_at_the_start_and_end_of_the_period(report):
    assert report.summary.stages == (
        StageCount("idea", 1, 1), StageCount("concept", 1, 1), StageCount("pilot", 0, 0), StageCount("scale_up", 0, 0),
        StageCount("benefits_realisation", 0, 0), StageCount("realised", 0, 0), StageCount("stopped", 1, 2))


def test_decisions_of_the_period_in_the_organisations_time_zone(report, built):
    ids = built.ids
    assert [(d.initiative_id, d.outcome, d.from_stage, d.to_stage) for d in report.decisions] == [
        (ids["B"], "go", "idea", "concept"), (ids["C"], "hold", "idea", "idea"), (ids["B"], "stop", "concept", "stopped")]
    assert report.summary.decisions == 3
    assert report.summary.outcomes == (OutcomeCount("go", 1), OutcomeCount("conditional_go", 0), OutcomeCount("hold", 1),
                                       OutcomeCount("recycle", 0), OutcomeCount("stop", 1), OutcomeCount("fast_track", 0))
    assert report.decisions[0].decided_by == "Olga Ägare"


def test_initiatives_open_in_the_period_with_their_stages(report, built):
    ids = built.ids
    assert [(s.initiative_id, s.stage_at_start, s.stage, s.on_hold, s.portfolio) for s in report.initiatives] == [
        (ids["A"], "concept", "concept", False, built.world.portfolio.name),
        (ids["B"], "idea", "stopped", False, "Sub-portfolio"),
        (ids["C"], None, "idea", True, built.world.portfolio.name)]
    assert [len(s.decisions) for s in report.initiatives] == [0, 2, 1]


def test_stopped_initiatives_with_their_reasons(report, built):
    (stopped,) = report.summary.stopped
    assert (stopped.initiative_id, stopped.title, stopped.from_stage, stopped.reason, stopped.lessons_learned,
            stopped.stopped_at) == (built.ids["B"], SCRIPT, "concept", "Too costly to scale",
                                    "Measure the baseline first", utc(2025, 5, 20, 10))


def test_indicators_at_the_end_of_the_period(report):
    lines = {line.code: line for section in report.initiatives for line in section.indicators}
    figures = {code: (line.latest_period, line.latest_value, line.progress, line.status) for code, line in lines.items()}
    assert figures == {
        # Ahead of the planned path (132.9 on 1 May); the value of August lies after the period.
        "CALLS": (date(2025, 5, 1), 140.0, pytest.approx(0.4), "green"),
        # The mean of two units, 18: 2.1 days behind the path's 15.9, 21 % of the distance (amber 10 %, red 25 %).
        "WAIT": (date(2025, 6, 1), 18.0, pytest.approx(0.2), "amber"),
        "COMPL": (date(2025, 6, 1), 50.0, 0.0, "red"),
        "USERS": (None, None, None, "unknown"),
        "VISITS": (date(2025, 3, 1), 5.0, 0.5, "green"),
    }
    assert lines["CALLS"].series == (SeriesPoint(date(2025, 5, 1), 140.0),)


def test_benefits_count_by_their_worst_indicator(report):
    # Faster answers: amber (one green, one amber); Fewer complaints: red; More users: no figures; More visits: green.
    assert report.summary.benefits == StatusCounts(on_track=1, at_risk=1, off_track=1, unknown=1)
    assert report.summary.indicators == StatusCounts(on_track=2, at_risk=1, off_track=1, unknown=1)


def test_money_planned_and_realised_in_the_period(report, built):
    worth = 50.0 * 12  # money per unit × volume per year
    # January to June: the planned path stands 0, 31, 59, 90, 120 and 151 days along a 365-day path of 100 units.
    planned = worth * 100 * (0 + 31 + 59 + 90 + 120 + 151) / 365
    money = report.summary.money
    assert (money.planned, money.realised, money.calculation_benefit, money.initiatives_with_money) == (
        pytest.approx(planned), pytest.approx(worth * 40), 300.0, 1)
    a = report.initiatives[0]
    assert (a.planned_money, a.realised_money) == (pytest.approx(planned), pytest.approx(worth * 40))
    assert [(s.planned_money, s.realised_money) for s in report.initiatives[1:]] == [(None, None), (None, None)]


def test_over_a_whole_year_the_money_is_the_calculations(engine, built):
    """Over a calendar year the report's money equals the benefit calculation's for that year."""
    report = report_for(engine, built.world.steering.id, built.world.portfolio.id, (date(2025, 1, 1), date(2025, 12, 31)))
    calls = benefits_math.MonetisedIndicator(
        direction="higher", frequency="month", aggregation="sum", baseline=100.0, target=200.0,
        baseline_date=date(2025, 1, 1), target_date=date(2026, 1, 1), money_per_unit=50.0, volume_per_year=12.0,
        measured=((date(2025, 5, 1), 140.0), (date(2025, 8, 1), 300.0)))
    year = benefits_math.indicator_money_year(calls, 2025)
    assert (report.summary.money.planned, report.summary.money.realised) == (
        pytest.approx(year.planned), pytest.approx(year.realised))


def test_costs_against_estimates(report):
    assert report.summary.costs == CostSummary(estimated=2300.0, investment=1000.0, operation=200.0,
                                               investment_in_period=1000.0, operation_in_period=0.0,
                                               without_calculation=2)
    assert [(s.estimated_cost, s.investment, s.operation) for s in report.initiatives] == [
        (1500.0, 1000.0, 200.0), (800.0, None, None), (None, None, None)]


# ---------------------------------------------------------------- who may read it, and what it covers


@pytest.mark.parametrize(("role", "allowed"), [
    ("owner", True), ("steering", True), ("admin", True), ("lead", False), ("reporter", False), ("stranger", False)])
def test_who_may_read_the_report(engine, built, role, allowed):
    user = built.world.users[role]
    if allowed:
        assert len(report_for(engine, user.id, built.world.portfolio.id).initiatives) == 3
    else:
        with pytest.raises(PermissionDenied) as refused:
            report_for(engine, user.id, built.world.portfolio.id)
        assert refused.value.render("en") == [REFUSAL]


def test_a_sub_portfolios_steering_group_reads_its_own_part_only(engine, built):
    with pytest.raises(PermissionDenied):
        report_for(engine, built.sub_steering_id, built.world.portfolio.id)
    report = report_for(engine, built.sub_steering_id, built.sub_portfolio_id)
    assert [s.initiative_id for s in report.initiatives] == [built.ids["B"]]
    assert {c.stage: (c.at_start, c.at_end) for c in report.summary.stages if c.at_start or c.at_end} == {
        "idea": (1, 0), "stopped": (0, 1)}


def test_a_period_that_ends_before_it_begins_is_refused(engine, built):
    with pytest.raises(ValidationError) as refused:
        report_for(engine, built.world.steering.id, built.world.portfolio.id, (date(2025, 6, 1), date(2025, 5, 1)))
    assert refused.value.render("en") == ["The period must not end before it begins."]


def test_the_number_of_queries_does_not_grow_with_the_portfolio(engine, built):
    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731 - counts every statement the report sends
        event.listen(engine, "before_cursor_execute", listener)
        try:
            report_for(engine, built.world.steering.id, built.world.portfolio.id)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    before = statements()
    with write_session(engine) as session:
        for number in range(5):
            initiative = make_initiative(session, portfolio=session.get(type(built.world.portfolio),
                                                                        built.world.portfolio.id),
                                         creator=built.world.lead, lead=built.world.lead)
            indicator = make_indicator(session, make_benefit(session, initiative), baseline_value=1.0,
                                       target_value=2.0)
            make_measurement(session, indicator, period=date(2025, 2, 1), value=1.5)
    assert statements() == before


# ---------------------------------------------------------------- JSON round trip


def test_the_report_round_trips_through_json(report):
    payload = report.to_payload()
    text = json.dumps(payload, allow_nan=False)
    assert payload["version"] == PAYLOAD_VERSION
    assert payload["report"]["period_from"] == "2025-01-01"
    assert BenefitReport.from_payload(json.loads(text)) == report


def test_a_payload_of_another_version_is_not_read(report):
    payload = {**report.to_payload(), "version": PAYLOAD_VERSION + 1}
    with pytest.raises(ValueError):
        BenefitReport.from_payload(payload)


# ---------------------------------------------------------------- sentences


def _text(html: str) -> str:
    """The visible text of the HTML, entities decoded, runs of white space as one space."""
    import html as html_module

    body = re.sub(r"<style>.*?</style>|<head>.*?</head>", "", html, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", body)))


SENTENCES = {
    "en": ["3 initiatives were open in the period.",
           "3 gate decisions were taken in the period. Outcomes: Go: 1, Hold: 1 and Stop: 1.",
           "Stands in Stopped; it stood in Idea when the period began.",
           "20/05/2025: Stop from Concept to Stopped, decided by Olga Ägare.",
           "Calls answered: 140 in 2025-05, 40% of the way from 100 to 200 (On track).",
           "Not measured yet: Users."],
    "sv": ["3 initiativ var öppna under perioden.",
           "3 beslut vid beslutspunkter fattades under perioden. Utfall: Gå vidare: 1, Pausa: 1 och Avbryt: 1.",
           "Är i fasen Avbruten; det var i fasen Idé när perioden började.",
           "2025-05-20: Avbryt från Koncept till Avbruten, beslutat av Olga Ägare.",
           "Calls answered: 140 för 2025-05, 40\u00a0% av vägen från 100 till 200 (Enligt plan).",
           "Inte mätt ännu: Users."],
    "nb": ["3 tiltak var åpne i perioden.",
           "3 beslutninger ved beslutningspunkter ble tatt i perioden. Utfall: Gå videre: 1, Sett på vent: 1 og "
           "Avbryt: 1.",
           "Er i fasen Avbrutt; det var i fasen Idé da perioden begynte.",
           "20.05.2025: Avbryt fra Konsept til Avbrutt, besluttet av Olga Ägare.",
           "Calls answered: 140 for 2025-05, 40\u00a0% av veien fra 100 til 200 (I rute).",
           "Ikke målt ennå: Users."],
}


@pytest.mark.parametrize("language", ["en", "sv", "nb"])
def test_the_report_in_plain_sentences(report, language):
    text = _text(render_html(report, language, charts=False))
    for sentence in SENTENCES[language]:
        assert sentence in text


def _msgids(path: Path) -> set[str]:
    return {message for _line, message, _comments, _context in
            extract_from_file("python", str(path), keywords={"N_": None, "Np_": (1, 2)})
            if isinstance(message, str)}


@pytest.mark.parametrize("language", ["sv", "nb"])
def test_no_english_text_is_left_in_a_translated_report(report, language):
    _ = translator(language)
    text = _text(render_html(report, language, charts=False))
    # Whole sentences and labels of the renderer (those with placeholders are checked through their parts).
    english = [m for m in _msgids(ROOT / "portfolio" / "report_render.py")
               if "{" not in m and len(m) >= 8 and _(m) != m]
    assert english and [m for m in english if m in text] == []


def test_typed_text_is_html_escaped(report):
    html = render_html(report, "en", charts=False)
    assert "<script>" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Triage" in html
    assert html.count("<script") == 0


# ---------------------------------------------------------------- files


def test_the_pdf_has_the_portfolio_period_and_page_numbers_on_every_page(report, tmp_path):
    pdf = render_pdf(report, "en")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    pages = pdf_pages(pdf)
    assert len(pages) >= 1
    for number, text in enumerate(pages, start=1):
        assert report.portfolio in text
        assert "Period: 1 January 2025 – 30 June 2025" in text
        assert "Made on" in text
        assert f"Page {number} of {len(pages)}" in text


def test_the_pdf_draws_a_chart_per_indicator_with_values(report):
    html = render_html(report, "en")
    # CALLS has one value in the chart's window and gets none; WAIT, COMPL and VISITS one value each too.
    assert html.count('class="chart"') == 0
    longer = BenefitReport.from_payload(report.to_payload())
    from dataclasses import replace

    a = longer.initiatives[0]
    calls = replace(a.indicators[0], series=(SeriesPoint(date(2025, 4, 1), 120.0), SeriesPoint(date(2025, 5, 1), 140.0)))
    longer = replace(longer, initiatives=(replace(a, indicators=(calls, *a.indicators[1:])), *longer.initiatives[1:]))
    html = render_html(longer, "en")
    assert html.count('<img class="chart" src="data:image/svg+xml;base64,') == 1
    assert 'alt="Chart of Calls answered over the period."' in html


def test_the_workbook_has_typed_cells_frozen_headers_and_neutralised_text(report):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(render_xlsx(report, "en")))
    assert workbook.sheetnames == ["Summary", "Stages", "Decisions", "Stopped initiatives", "Initiatives",
                                   "Indicators", "Values per period"]
    assert {sheet.freeze_panes for sheet in workbook.worksheets} == {"A2"}
    summary = {row[0].value: row[1] for row in workbook["Summary"].iter_rows(min_row=2)}
    assert (summary["Initiatives open in the period"].value, summary["Estimated cost"].value) == (3, 2300)
    assert summary["Estimated cost"].number_format == "#,##0"
    decisions = list(workbook["Decisions"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in decisions] == [datetime(2025, 1, 1), datetime(2025, 4, 15), datetime(2025, 5, 20)]
    assert workbook["Decisions"]["A2"].is_date
    initiatives = workbook["Initiatives"]
    titles = {row[0].value: row[1] for row in initiatives.iter_rows(min_row=2)}
    assert (titles[report.initiatives[2].initiative_id].value, titles[report.initiatives[2].initiative_id].data_type) == (
        "'" + HOSTILE, "s")
    assert initiatives.column_dimensions["B"].width > 30
    indicators = {row[2].value: row for row in workbook["Indicators"].iter_rows(min_row=2)}
    assert (indicators["CALLS"][12].value, indicators["CALLS"][12].number_format) == (pytest.approx(0.4), "0%")
    assert indicators["CALLS"][7].is_date and indicators["CALLS"][6].value == 100


def test_one_csv_per_table_every_cell_neutralised(report):
    files = render_csv(report, "en")
    assert set(files) == {"summary.csv", "stages.csv", "decisions.csv", "stopped.csv", "initiatives.csv",
                          "indicators.csv", "values.csv"}
    rows = list(csv.reader(io.StringIO(files["initiatives.csv"].decode("utf-8-sig"))))
    assert rows[0][:2] == ["No.", "Initiative"]
    assert [row[1] for row in rows[1:]] == ["Digital triage", SCRIPT, "'" + HOSTILE]
    stages = list(csv.reader(io.StringIO(files["stages.csv"].decode("utf-8-sig"))))
    assert stages[-1] == ["Stopped", "1", "2", "1"]


# ---------------------------------------------------------------- command line


@pytest.fixture
def cli(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.mark.parametrize("name", ["report.pdf", "report.xlsx", "report.zip", "report-csv"])
def test_the_command_writes_the_report(cli, built, tmp_path, name):
    output = tmp_path / name
    result = cli("report", "--as", "steering", "--portfolio-id", str(built.world.portfolio.id), "--from", "2025-01-01",
                 "--to", "2025-06-30", "-o", str(output), "--lang", "sv")
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"wrote the benefit report of {built.world.portfolio.name} for 2025-01-01 to "
                             f"2025-06-30 to {output}\n")
    if name.endswith(".pdf"):
        assert output.read_bytes().startswith(b"%PDF-")
    elif name.endswith(".xlsx"):
        from openpyxl import load_workbook

        assert load_workbook(output).sheetnames[0] == "Sammanfattning"
    elif name.endswith(".zip"):
        assert "initiatives.csv" in zipfile.ZipFile(output).namelist()
    else:
        assert (output / "decisions.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_command_refuses_a_stranger(cli, built, tmp_path):
    output = tmp_path / "report.pdf"
    result = cli("report", "--as", "stranger", "--portfolio-id", str(built.world.portfolio.id), "-o", str(output))
    assert (result.exit_code, result.stderr, output.exists()) == (1, f"error: {REFUSAL}\n", False)
