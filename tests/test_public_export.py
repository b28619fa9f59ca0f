"""The transparency export: the exact JSON of a small portfolio, nothing internal in it or in the HTML page, the
page self-contained and every typed text inert, stopped initiatives with their reason and lessons learned, the
command, and who may download it. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import jsonschema
import pytest
from click.testing import CliRunner
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import GateDecision, Initiative, RoleAssignment, User
from portfolio.cli import main
from portfolio.errors import PermissionDenied
from portfolio.public_export import (
    JSON_SCHEMA,
    export_document,
    html_page,
    json_text,
    public_export,
    public_html_for,
    public_json_for,
    transparency_page,
)
from tests.factories import (
    actor,
    make_benefit,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_portfolio,
    make_user,
)

GENERATED = datetime(2026, 11, 2, 8, 30, tzinfo=timezone.utc)
HOSTILE = '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>'


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def _decision(session, initiative: Initiative, by, outcome: str, from_stage: str, to_stage: str, at: datetime,
              **texts: str) -> GateDecision:
    """A decision row as the gate action writes it (test set-up: the stage is placed by the factory)."""
    decision = GateDecision(initiative_id=initiative.id, outcome=outcome, from_stage=from_stage, to_stage=to_stage,
                            decided_by_id=by.id, decided_at=at, **texts)
    session.add(decision)
    session.flush()
    return decision


@dataclass
class Published:
    """Ids of the small portfolio: a pilot, an internal one, and two stopped ones."""

    pilot: int
    internal: int
    stopped: int
    quiet_stop: int


def _build(session) -> Published:
    owner = make_user(session, username="owner", display_name="Olga Ägare")
    portfolio = make_portfolio(session, owner=owner, name="Digital vård")
    session.add(RoleAssignment(user_id=owner.id, role="portfolio_owner", portfolio_id=portfolio.id))
    make_user(session, username="steering", role="steering", portfolio=portfolio)
    make_user(session, username="admin", role="admin")
    centre = make_org_unit(session, name="Vårdcentralen Centrum")
    pharmacy = make_org_unit(session, name="Apoteket Norr")
    dates = {"created_at": _utc(2026, 1, 10, 9, 0)}

    pilot = make_initiative(
        session, portfolio=portfolio, creator=owner, stage="pilot", org_unit=centre, title="Digital triage",
        description="Chat before the call", need_description="Long telephone queues (staff shortage at night)",
        need_owner="Head of primary care", expected_effects="Shorter waits", need_description_internal=True,
        estimated_cost=1_250_000.0, stage_entered_at=_utc(2026, 3, 1, 23, 30), **dates)
    _decision(session, pilot, owner, "go", "idea", "concept", _utc(2026, 2, 1, 10, 0),
              rationale="The need is clear and owned")
    # 23:30 UTC is the next day in Stockholm: the day is the organisation's.
    _decision(session, pilot, owner, "conditional_go", "concept", "pilot", _utc(2026, 3, 1, 23, 30),
              rationale="Pilot in one centre first", conditions="DPIA signed by the DPO")
    waits = make_benefit(session, pilot, by=owner, title="Shorter waits", description="Fewer callers wait long",
                         planned_realisation_date=date(2026, 12, 31))
    days = make_indicator(session, waits, by=owner, name="Days to first contact", unit="days", direction="lower",
                          baseline_value=20.0, target_value=10.0, definition="Median days, internal method note")
    make_measurement(session, days, period=date(2025, 6, 1), value=15.0)
    calls = make_benefit(session, pilot, by=owner, title="Calmer phone lines", category="work_environment",
                         recipient="staff", kind="benefit")
    make_indicator(session, calls, by=owner, name="Calls per day", unit="calls", baseline_value=400.0,
                   target_value=300.0, direction="lower")

    internal = make_initiative(
        session, portfolio=portfolio, creator=owner, stage="concept", org_unit=centre, title="Secret merger",
        description="Merging two clinics", internal=True, **dates)
    _decision(session, internal, owner, "go", "idea", "concept", _utc(2026, 2, 3, 10, 0),
              rationale="Confidential board decision")
    hidden = make_benefit(session, internal, by=owner, title="Merged budgets")
    make_indicator(session, hidden, by=owner, name="Hidden savings", baseline_value=1.0, target_value=2.0)

    stopped = make_initiative(
        session, portfolio=portfolio, creator=owner, stage="stopped", org_unit=pharmacy, title="Robot pharmacy",
        description="Robots pick medicines", expected_effects="Fewer picking errors", rationale_internal=True,
        stage_entered_at=_utc(2026, 4, 2, 12, 0), **dates)
    _decision(session, stopped, owner, "stop", "idea", "stopped", _utc(2026, 4, 2, 12, 0),
              rationale="Costs exceed the benefit, says the board", stop_reason="No supplier met the requirements",
              lessons_learned="Ask suppliers before the idea gate")

    quiet = make_initiative(
        session, portfolio=portfolio, creator=owner, stage="stopped", org_unit=pharmacy, title="Drone deliveries",
        stop_reason_internal=True, lessons_learned_internal=True, description_internal=True,
        description="Drones between hospitals", expected_effects_internal=True, expected_effects="Faster samples",
        stage_entered_at=_utc(2026, 5, 5, 12, 0), **dates)
    _decision(session, quiet, owner, "hold", "idea", "idea", _utc(2026, 4, 20, 12, 0), rationale="Wait for the law",
              hold_review_date=date(2026, 5, 1))
    _decision(session, quiet, owner, "stop", "idea", "stopped", _utc(2026, 5, 5, 12, 0),
              rationale="The aviation authority said no", stop_reason="Airspace permit refused (case 2026-117)",
              lessons_learned="Talk to the authority first (named officer)")
    return Published(pilot=pilot.id, internal=internal.id, stopped=stopped.id, quiet_stop=quiet.id)


@pytest.fixture
def published(engine) -> Published:
    with write_session(engine) as session:
        return _build(session)


def _export(engine):
    with read_session(engine) as session:
        return public_export(session=session, generated_at=GENERATED)


def _expected(ids: Published) -> dict:
    return {
        "format": "initiative-portfolio-transparency",
        "format_version": 1,
        "generated_at": "2026-11-02T08:30:00Z",
        "time_zone": "Europe/Stockholm",
        "initiatives": [
            {
                "id": ids.pilot, "title": "Digital triage", "portfolio": "Digital vård",
                "org_unit": "Vårdcentralen Centrum", "stage": "pilot", "status": "active",
                "proposed_on": "2026-01-10", "stage_entered_on": "2026-03-02", "hold_review_date": None,
                "description": "Chat before the call", "expected_effects": "Shorter waits",
                "decisions": [
                    {"decided_on": "2026-02-01", "outcome": "go", "from_stage": "idea", "to_stage": "concept",
                     "rationale": "The need is clear and owned"},
                    {"decided_on": "2026-03-02", "outcome": "conditional_go", "from_stage": "concept",
                     "to_stage": "pilot", "rationale": "Pilot in one centre first"},
                ],
                "benefits": [
                    {"title": "Shorter waits", "category": "access_waiting_times", "recipient": "patients_citizens",
                     "kind": "benefit", "planned_realisation_date": "2026-12-31",
                     "indicators": [{
                         "name": "Days to first contact", "unit": "days", "direction": "lower",
                         "frequency": "month", "baseline_value": 20.0, "baseline_date": "2025-01-01",
                         "target_value": 10.0, "target_date": "2026-01-01", "latest_value": 15.0,
                         "latest_period": "2025-06", "progress": 0.5, "status": "green"}]},
                    {"title": "Calmer phone lines", "category": "work_environment", "recipient": "staff",
                     "kind": "benefit", "planned_realisation_date": None,
                     "indicators": [{
                         "name": "Calls per day", "unit": "calls", "direction": "lower", "frequency": "month",
                         "baseline_value": 400.0, "baseline_date": "2025-01-01", "target_value": 300.0,
                         "target_date": "2026-01-01", "latest_value": None, "latest_period": None,
                         "progress": None, "status": "unknown"}]},
                ],
                "stop": None,
            },
            {
                "id": ids.stopped, "title": "Robot pharmacy", "portfolio": "Digital vård", "org_unit": "Apoteket Norr",
                "stage": "stopped", "status": "closed", "proposed_on": "2026-01-10", "stage_entered_on": "2026-04-02",
                "hold_review_date": None, "description": "Robots pick medicines", "need_description": "",
                "expected_effects": "Fewer picking errors",
                "decisions": [{"decided_on": "2026-04-02", "outcome": "stop", "from_stage": "idea",
                               "to_stage": "stopped"}],
                "benefits": [],
                "stop": {"stopped_on": "2026-04-02", "reason": "No supplier met the requirements",
                         "lessons_learned": "Ask suppliers before the idea gate"},
            },
            {
                "id": ids.quiet_stop, "title": "Drone deliveries", "portfolio": "Digital vård",
                "org_unit": "Apoteket Norr", "stage": "stopped", "status": "closed", "proposed_on": "2026-01-10",
                "stage_entered_on": "2026-05-05", "hold_review_date": None, "need_description": "",
                "decisions": [
                    {"decided_on": "2026-04-20", "outcome": "hold", "from_stage": "idea", "to_stage": "idea",
                     "rationale": "Wait for the law"},
                    {"decided_on": "2026-05-05", "outcome": "stop", "from_stage": "idea", "to_stage": "stopped",
                     "rationale": "The aviation authority said no"},
                ],
                "benefits": [],
                "stop": {"stopped_on": "2026-05-05"},
            },
        ],
    }


# Everything the small portfolio marks internal, and what is never published (people, cost, working notes).
NEVER_PUBLISHED = [
    "Secret merger", "Merging two clinics", "Confidential board decision", "Merged budgets", "Hidden savings",
    "Long telephone queues", "Costs exceed the benefit", "Drones between hospitals", "Faster samples",
    "Airspace permit refused", "Talk to the authority first", "Olga Ägare", "Head of primary care",
    "DPIA signed", "Fewer callers wait long", "internal method note", "1250000", "1,250,000", "1 250 000",
]


def test_the_json_is_exactly_the_public_part(engine, published):
    assert export_document(_export(engine)) == _expected(published)


def test_the_json_meets_its_schema_and_the_schema_is_closed(engine, published):
    document = json.loads(json_text(_export(engine)))
    jsonschema.validate(document, JSON_SCHEMA, format_checker=jsonschema.FormatChecker())
    # A field that is not published cannot slip in unnoticed: every object of the schema is closed.
    for leak in ({"need_owner": "Head of primary care"}, {"estimated_cost": 1.0}, {"internal": True}):
        leaked = json.loads(json.dumps(document))
        leaked["initiatives"][0].update(leak)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(leaked, JSON_SCHEMA)
    leaked = json.loads(json.dumps(document))
    leaked["initiatives"][0]["decisions"][1]["conditions"] = "DPIA signed by the DPO"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(leaked, JSON_SCHEMA)


@pytest.mark.parametrize("language", ["en", "sv", "nb"])
def test_nothing_internal_is_in_the_json_or_the_page(engine, published, language):
    export = _export(engine)
    for text in (json_text(export), html_page(export, language)):
        assert [secret for secret in NEVER_PUBLISHED if secret in text] == []


class _Tags(HTMLParser):
    """Every tag and attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]


def _parsed(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def test_the_page_is_self_contained_and_runs_nothing(engine, published):
    page = html_page(_export(engine), "en")
    parsed = _parsed(page)
    assert parsed.tags <= {"html", "head", "meta", "title", "style", "body", "header", "h1", "p", "main", "section",
                           "h2", "div", "table", "thead", "tr", "th", "tbody", "td", "a", "article", "h3", "dl",
                           "dt", "dd", "h4", "br", "small"}
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    # Links only within the page; no attribute loads anything or runs anything.
    assert {value for tag, name, value in parsed.attributes if name == "href"} == {
        f"#initiative-{published.stopped}", f"#initiative-{published.quiet_stop}"}
    assert [a for a in parsed.attributes if a[1] == "src" or a[1].startswith("on")] == []
    assert not re.search(r"(?i)https?:|url\(|@import|//[a-z]", page.split("</style>")[1])
    style = page.split("<style>")[1].split("</style>")[0]
    assert "url(" not in style and "@import" not in style and "http" not in style
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
            in page)


def test_hostile_titles_and_texts_stay_text(engine, published):
    with write_session(engine) as session:
        for initiative_id in (published.pilot, published.stopped):
            row = session.get(Initiative, initiative_id)
            row.title, row.description = HOSTILE, f"**bold** {HOSTILE}"
            session.add(row)
    page = html_page(_export(engine), "en")
    parsed = _parsed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert [a for a in parsed.attributes if a[1].startswith("on") or "javascript" in a[2]] == []
    escaped = ("&lt;script&gt;alert(1)&lt;/script&gt; [click](javascript:alert(1)) "
               "&lt;img src=x onerror=alert(1)&gt;")
    # The stopped table and two articles name it; the description shows as typed, Markdown and all.
    assert page.count(escaped) == 5
    assert f"**bold** {escaped}" in page


def test_stopped_initiatives_carry_their_reason_and_lessons(engine, published):
    export = _export(engine)
    assert [(i.title, i.stop.stopped_on, i.stop.reason, i.stop.lessons_learned) for i in export.stopped] == [
        ("Robot pharmacy", date(2026, 4, 2), "No supplier met the requirements", "Ask suppliers before the idea gate"),
        ("Drone deliveries", date(2026, 5, 5), None, None),
    ]
    page = html_page(export, "en")
    stopped_table = page.split('<h2 id="stopped">')[1].split("</table>")[0]
    assert (f'<tr><td><a href="#initiative-{published.stopped}">Robot pharmacy</a></td><td>2 Apr 2026</td>'
            '<td><p class="text">No supplier met the requirements</p></td>'
            '<td><p class="text">Ask suppliers before the idea gate</p></td></tr>') in stopped_table
    assert (f'<tr><td><a href="#initiative-{published.quiet_stop}">Drone deliveries</a></td><td>5 May 2026</td>'
            '<td><p class="text"></p></td><td><p class="text"></p></td></tr>') in stopped_table


def test_an_initiative_marked_internal_later_leaves_the_export(engine, published):
    with write_session(engine) as session:
        row = session.get(Initiative, published.stopped)
        row.internal = True
        session.add(row)
    export = _export(engine)
    assert [i.id for i in export.initiatives] == [published.pilot, published.quiet_stop]
    assert "Robot pharmacy" not in html_page(export, "en")


def test_the_page_speaks_the_chosen_language(engine, published):
    export = _export(engine)
    swedish, norwegian = html_page(export, "sv"), html_page(export, "nb")
    assert swedish.startswith('<!DOCTYPE html>\n<html lang="sv">')
    assert norwegian.startswith('<!DOCTYPE html>\n<html lang="nb">')
    assert "<h1>Digitala initiativ: öppen redovisning</h1>" in swedish
    assert "<h1>Digitale tiltak: åpen rapportering</h1>" in norwegian
    # The vocabulary's labels and the dates are the reader's.
    assert "<dd>Avbruten</dd>" in swedish and "<dd>Avbrutt</dd>" in norwegian
    assert "<td>2 apr. 2026</td>" in swedish and "<td>2. apr. 2026</td>" in norwegian
    english = html_page(export, "en")
    assert "<h2 id=\"stopped\">Stopped initiatives</h2>" in english and "<dd>Stopped</dd>" in english


def test_the_command_writes_the_files(db_url, engine, published, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    target = tmp_path / "public"
    result = CliRunner().invoke(main, ["export-public", str(target), "--lang", "sv"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"wrote {target / 'transparency.json'}\nwrote {target / 'transparency.html'}\n"
                             f"wrote {target / 'transparency.schema.json'}\n"
                             "3 initiatives published, 2 of them stopped\n")
    document = json.loads((target / "transparency.json").read_text(encoding="utf-8"))
    expected = _expected(published)
    assert {**document, "generated_at": expected["generated_at"]} == expected
    assert (target / "transparency.html").read_text(encoding="utf-8").startswith('<!DOCTYPE html>\n<html lang="sv">')
    assert json.loads((target / "transparency.schema.json").read_text(encoding="utf-8")) == JSON_SCHEMA
    # The language of messages is the page's unless --lang says otherwise.
    again = CliRunner().invoke(main, ["--lang", "nb", "export-public", str(target)], catch_exceptions=False)
    assert again.exit_code == 0
    assert (target / "transparency.html").read_text(encoding="utf-8").startswith('<!DOCTYPE html>\n<html lang="nb">')


@pytest.mark.parametrize(("username", "refused"), [
    ("owner", None), ("admin", None),
    ("steering", "Only an administrator or a portfolio owner may download the transparency export."),
])
def test_who_may_download_it(engine, published, username, refused):
    with read_session(engine) as session:
        reader = actor(session, session.exec(select(User).where(User.username == username)).one())
        shown = transparency_page(session=session, actor=reader).refusal
        assert (shown if shown is None else shown.render("en")) == refused
        if refused is None:
            page = public_html_for(session=session, actor=reader, language="en").decode("utf-8")
            data = json.loads(public_json_for(session=session, actor=reader))
            assert "Digital triage" in page and [i["title"] for i in data["initiatives"]] == [
                "Digital triage", "Robot pharmacy", "Drone deliveries"]
            return
        for download in (lambda: public_html_for(session=session, actor=reader, language="en"),
                         lambda: public_json_for(session=session, actor=reader)):
            with pytest.raises(PermissionDenied) as error:
                download()
            assert error.value.render("en") == [refused]


def test_an_empty_portfolio_publishes_an_empty_page(engine):
    export = _export(engine)
    assert export_document(export)["initiatives"] == []
    page = html_page(export, "en")
    assert "<p>There are no initiatives to publish.</p>" in page
    assert "<p>No initiative has been stopped.</p>" in page
