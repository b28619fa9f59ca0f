"""The audit trail reads as sentences: one per recorded action code, in English, Swedish and Norwegian,
with labels for vocabulary ids, names for user ids, the reader's number and date formats and the
organisation's local time; never a raw code or JSON. The CSV export keeps the raw codes and JSON."""

from __future__ import annotations

import ast
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional

import pytest
from sqlalchemy import event as sa_event

from db.engine import read_session, write_session
from db.models import Initiative
from db.settings import get_settings
from portfolio.audit import export_audit_for
from portfolio.audit_prose import (
    FIELDS,
    SENTENCES,
    Moment,
    Names,
    audit_sentence,
    describe,
    references,
    shorten,
)
from portfolio.benefits import BenefitInput, IndicatorInput, create_benefit, create_indicator, update_indicator
from portfolio.checklists import ChecklistChange, update_checklist
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.initiative_view import initiative_view
from portfolio.initiatives import EDITABLE_FIELDS, update_initiative
from tests.factories import World, actor, checklist_items
from workflows.vocabulary import Outcome

ROOT = Path(__file__).resolve().parents[1]
ZONE = "Europe/Stockholm"
# 09:42 UTC on a winter day: 10:42 in Stockholm (CET).
AT = datetime(2026, 3, 14, 9, 42, tzinfo=timezone.utc)
WHEN = {"en": "(14 Mar 2026, 10:42)", "sv": "(14 mars 2026 10:42)", "nb": "(14. mars 2026, 10:42)"}
LANGUAGES = ("en", "sv", "nb")

NAMES = Names(
    users={1: "Anna Berg", 2: "Bo Ek", 3: "Cecilia Dahl"},
    org_units={10: "Vårdcentralen Centrum", 11: "Akutmottagningen"},
    portfolios={20: "Digital vård"},
    benefits={30: "Kortare väntetider"},
    indicators={40: "Väntetid till första kontakt"},
    checklist_items={50: "Head of unit supports further work"},
)


@dataclass(frozen=True)
class Entry:
    """An audit event as stored (the fields ``audit_prose.Event`` reads)."""

    action: str
    user_id: Optional[int] = 1
    entity: str = "initiative"
    entity_id: Optional[int] = 7
    before: Optional[dict[str, Any]] = None
    after: Optional[dict[str, Any]] = None
    at: datetime = AT


def _gate(action: str, from_stage: str, to_stage: str, **after: Any) -> Entry:
    return Entry(action, user_id=2, before={"stage": from_stage, "on_hold": False, "hold_review_date": None},
                 after={"stage": to_stage, "on_hold": False, "hold_review_date": None, "decision_id": 3,
                        "rationale": "", "conditions": "", "stop_reason": "", "lessons_learned": "", "rework": "",
                        **after})


def _values(*codes: str) -> list[dict[str, Any]]:
    return [{"indicator": code, "period": "2026-02-01", "org_unit_id": 10, "value": 31.0} for code in codes]


# One event of each recorded action code, with before and after as the code that records it writes them.
FIXTURES: dict[str, Entry] = {
    "initiative.create": Entry("initiative.create", after={
        "title": "Digital triage", "portfolio_id": 20, "org_unit_id": 10, "description": "", "stage": "idea"}),
    "initiative.update": Entry("initiative.update", before={"estimated_cost": 500000, "lead_id": None,
                                                            "leads_since_last_gate": []},
                               after={"estimated_cost": 650000.5, "lead_id": 2, "leads_since_last_gate": [2]}),
    "gate.go": _gate("gate.go", "idea", "concept", rationale="The need is clear and has an owner"),
    "gate.conditional_go": _gate("gate.conditional_go", "concept", "pilot", rationale="Good plan, one gap",
                                 conditions="The DPIA is signed before the pilot starts"),
    "gate.hold": _gate("gate.hold", "pilot", "pilot", on_hold=True, hold_review_date="2026-04-15"),
    "gate.recycle": _gate("gate.recycle", "pilot", "concept", rationale="The pilot plan has no test group",
                          rework="Name the test group and its units"),
    "gate.stop": _gate("gate.stop", "concept", "stopped", stop_reason="No funding for the rollout",
                       lessons_learned="Ask the paying parties first"),
    "gate.fast_track": _gate("gate.fast_track", "idea", "scale_up",
                             rationale="An off-the-shelf app three regions already use"),
    "gate.conditions_met": Entry("gate.conditions_met", entity="gate_decision", entity_id=3,
                                 before={"conditions_met": False}, after={"conditions_met": True}),
    "decision_owner.assign": Entry("decision_owner.assign", entity="gate_decision_owner", entity_id=4,
                                   before={"gate": "pilot", "user_id": 1}, after={"gate": "pilot", "user_id": 3}),
    "checklist.update": Entry("checklist.update", entity="checklist_item", entity_id=50,
                              before={"key": "manager_support", "status": "open", "not_applicable_reason": ""},
                              after={"key": "manager_support", "status": "not_applicable",
                                     "not_applicable_reason": "Decided by the board"}),
    "checklist.reopen": Entry("checklist.reopen", user_id=2, entity="checklist_item", entity_id=50,
                              before={"key": "manager_support", "status": "done", "not_applicable_reason": ""},
                              after={"key": "manager_support", "status": "open", "not_applicable_reason": "",
                                     "decision_id": 3}),
    "benefit.create": Entry("benefit.create", entity="benefit", entity_id=30, after={
        "title": "Kortare väntetider", "category": "access_waiting_times", "recipient": "patients_citizens",
        "owner_id": 1}),
    "benefit.update": Entry("benefit.update", entity="benefit", entity_id=30,
                            before={"category": "access_waiting_times", "owner_id": 1},
                            after={"category": "freed_capacity", "owner_id": 3}),
    "indicator.create": Entry("indicator.create", entity="indicator", entity_id=40, after={
        "code": "WAIT-1", "name": "Väntetid till första kontakt", "frequency": "month", "baseline_value": 42.0,
        "target_value": 30.0}),
    "indicator.update": Entry("indicator.update", entity="indicator", entity_id=40,
                              before={"target_value": 30.0}, after={"target_value": 25.0}),
    "indicator.set_volume": Entry("indicator.set_volume", entity="indicator", entity_id=40,
                                  before={"volume_per_year": None}, after={"volume_per_year": 12000.0}),
    "indicator.revise_baseline": Entry("indicator.revise_baseline", entity="indicator", entity_id=40,
                                       before={"baseline_value": 42.0, "baseline_date": "2026-01-01",
                                               "original_baseline_value": None},
                                       after={"baseline_value": 40.5, "baseline_date": "2026-01-01",
                                              "original_baseline_value": 42.0, "locked": True,
                                              "reason": "The first count missed one unit"}),
    "indicator.explain_deviation": Entry("indicator.explain_deviation", entity="indicator", entity_id=40,
                                         before={"deviation_explanation": ""},
                                         after={"deviation_explanation": "Staff shortage during the summer"}),
    "calculation.save": Entry("calculation.save", entity="benefit_calculation", entity_id=5, after={
        "discount_rate": 0.035, "years": [{"year": 2026, "investment": 100.0}, {"year": 2030, "investment": 0.0}]}),
    "measurement.record": Entry("measurement.record", user_id=3, entity="measurement", entity_id=None,
                                before={"values": _values("WAIT-1")},
                                after={"file": "", "source": "form", "inserted": 2, "corrected": 1,
                                       "values": _values("WAIT-1", "WAIT-1", "WAIT-1")}),
    "measurement.import": Entry("measurement.import", user_id=3, entity="measurement", entity_id=None, after={
        "file": "februari.xlsx", "source": "import", "inserted": 1200, "corrected": 0,
        "values": _values("WAIT-1", "WAIT-2", "CALLS", "VISITS")}),
    "demo.measurements": Entry("demo.measurements", user_id=3, entity="measurement", entity_id=None,
                               after={"measurements": 1234}),
    "user.create": Entry("user.create", user_id=None, entity="user", entity_id=3, after={
        "username": "cecilia", "display_name": "Cecilia Dahl", "is_demo": False}),
    "role.grant": Entry("role.grant", user_id=None, entity="role_assignment", entity_id=8, after={
        "user_id": 3, "role": "steering", "portfolio_id": 20, "org_unit_id": None}),
    "user.deactivate": Entry("user.deactivate", user_id=None, entity="user", entity_id=2,
                             before={"is_active": True}, after={"is_active": False}),
    "user.language": Entry("user.language", entity="user", entity_id=1, before={"language": "sv"},
                           after={"language": "nb"}),
    "user.link_sso": Entry("user.link_sso", user_id=None, entity="user", entity_id=3,
                           before={"sso_identity": None}, after={"sso_identity": "cecilia.dahl@region.se"}),
    "user.sign_in_sso": Entry("user.sign_in_sso", user_id=3, entity="user", entity_id=3, after={
        "claim": "email", "identity": "cecilia.dahl@region.se", "issuer": "https://login.region.se"}),
    "database.mark_demo": Entry("database.mark_demo", user_id=None, entity="database", entity_id=1,
                                after={"is_demo": True}),
    "demo.load": Entry("demo.load", user_id=None, entity="demo", entity_id=None, after={
        "initiatives": 40, "seed": 1, "reference_day": "2026-11-02"}),
    "snapshot.freeze": Entry("snapshot.freeze", user_id=2, entity="report_snapshot", entity_id=9, after={
        "portfolio_id": 20, "meeting_name": "Styrgruppens decembermöte", "meeting_date": "2026-12-03",
        "period_from": "2026-01-01", "period_to": "2026-11-30", "language": "sv", "payload_version": 1,
        "content_hash": "9f" * 32}),
}


def say(entry: Entry, language: str, *, detail: bool = True, zone: str = ZONE) -> str:
    return audit_sentence(entry, NAMES, detail=detail, zone=zone).render(language)


# ------------------------------------------------------------------ every code has a sentence


def _codes_in(node: ast.expr, where: str) -> set[str]:
    """The action codes an ``action=`` argument can hold; a form this cannot read fails the test."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes_in(node.body, where) | _codes_in(node.orelse, where)
    if (isinstance(node, ast.JoinedStr) and len(node.values) == 2 and isinstance(node.values[0], ast.Constant)
            and node.values[0].value == "gate." and isinstance(node.values[1], ast.FormattedValue)):
        return {f"gate.{outcome}" for outcome in Outcome}  # a gate decision's code is its outcome's
    raise AssertionError(f"{where}: write the action code as a literal, so that its sentence can be checked")


def recorded_action_codes() -> set[str]:
    """Every action code the code base gives the audit trail: the ``action=`` arguments and ``"action"``
    keys of the calls and event dicts in ``portfolio`` and ``workflows`` (not those of the recorder and of
    the sentences themselves, which pass codes on; ``db`` cannot record, it is below ``portfolio.audit``)."""
    codes: set[str] = set()
    readers = {ROOT / "portfolio" / "audit.py", ROOT / "portfolio" / "audit_prose.py"}
    files = [path for package in ("portfolio", "workflows") for path in sorted((ROOT / package).rglob("*.py"))
             if path not in readers]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.keyword) and node.arg == "action":
                codes |= _codes_in(node.value, where)
            if isinstance(node, ast.Dict):
                codes |= {code for key, value in zip(node.keys, node.values)
                          if isinstance(key, ast.Constant) and key.value == "action"
                          for code in _codes_in(value, where)}
    return codes


def test_every_recorded_action_code_has_a_sentence():
    codes = recorded_action_codes()
    assert {"initiative.create", "gate.go", "indicator.update", "measurement.import", "user.create"} <= codes
    assert sorted(codes - set(SENTENCES)) == []


def test_every_recorded_action_code_has_a_fixture_here():
    assert sorted(recorded_action_codes() - set(FIXTURES)) == []


def test_every_editable_field_has_a_name():
    from db.models import BenefitBase, IndicatorBase

    editable = {*EDITABLE_FIELDS, *BenefitBase.model_fields, *IndicatorBase.model_fields}
    assert sorted(editable - set(FIELDS)) == []


# ------------------------------------------------------------------ the sentences


NO_RAW = [
    re.compile(r"[{}]"),                      # an unfilled placeholder or JSON
    re.compile(r'"\w+"\s*:'),                 # a JSON key
    re.compile(r"\b[a-z]+_[a-z_]+\b"),        # a raw id (not_applicable, scale_up, access_waiting_times)
    re.compile(r"\b(None|True|False|null)\b"),
    re.compile(r"\d{4}-\d{2}-\d{2}"),         # an ISO date instead of the reader's
]


@pytest.mark.parametrize("detail", [True, False], ids=["detail", "short"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_every_sentence_reads_as_prose(code, language, detail):
    text = say(FIXTURES[code], language, detail=detail)
    assert [pattern.pattern for pattern in NO_RAW if pattern.search(text)] == [], text
    assert code not in text
    assert text.endswith(WHEN[language])
    who = FIXTURES[code].user_id
    assert text.startswith(NAMES.users[who] if who else {"en": "The system", "sv": "Systemet", "nb": "Systemet"}[
        language])


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_the_short_sentence_says_nothing_of_what_changed(code):
    """A reader without "audit.detail" sees who did what, and when: no value from before or after."""
    entry = FIXTURES[code]
    shown = set(NAMES.users.values()) | set(NAMES.benefits.values()) | set(NAMES.indicators.values())
    # What someone typed (texts, file names, addresses, dates): ids such as "stopped" are words of sentences too.
    typed = {value for values in (entry.before or {}, entry.after or {}) for value in values.values()
             if isinstance(value, str) and re.search(r"[\s.@\d]", value) and value not in shown}
    text = say(entry, "en", detail=False)
    assert [value for value in typed if value in text] == []
    assert "from" not in text.split("(")[0] or code.startswith("measurement.")


EXACT = {
    ("indicator.update", "en"): "Anna Berg changed the indicator “Väntetid till första kontakt”: the target from 30 "
                                "to 25 (14 Mar 2026, 10:42)",
    ("indicator.update", "sv"): "Anna Berg ändrade indikatorn ”Väntetid till första kontakt”: målvärdet från 30 till "
                                "25 (14 mars 2026 10:42)",
    ("indicator.update", "nb"): "Anna Berg endret indikatoren «Väntetid till första kontakt»: målverdien fra 30 til "
                                "25 (14. mars 2026, 10:42)",
    ("gate.go", "en"): "Bo Ek decided go: Idea → Concept; rationale: “The need is clear and has an owner” "
                       "(14 Mar 2026, 10:42)",
    ("gate.go", "sv"): "Bo Ek beslutade att gå vidare: Idé → Koncept; motivering: ”The need is clear and has an "
                       "owner” (14 mars 2026 10:42)",
    ("gate.go", "nb"): "Bo Ek besluttet å gå videre: Idé → Konsept; begrunnelse: «The need is clear and has an "
                       "owner» (14. mars 2026, 10:42)",
    ("initiative.update", "en"): "Anna Berg changed the estimated cost from 500,000 to 650,000.5 and the "
                                 "implementation lead to Bo Ek (14 Mar 2026, 10:42)",
    ("initiative.update", "sv"): "Anna Berg ändrade den beräknade kostnaden från 500\xa0000 till 650\xa0000,5 och "
                                 "införandeansvarig till Bo Ek (14 mars 2026 10:42)",
    ("initiative.update", "nb"): "Anna Berg endret den estimerte kostnaden fra 500\xa0000 til 650\xa0000,5 og "
                                 "innføringsansvarlig til Bo Ek (14. mars 2026, 10:42)",
    ("checklist.update", "en"): "Anna Berg marked the checklist item “Head of unit supports further work” as not "
                                "applicable; reason: “Decided by the board” (14 Mar 2026, 10:42)",
    ("checklist.update", "sv"): "Anna Berg markerade checklistpunkten ”Enhetschefen stöder fortsatt arbete” som ej "
                                "tillämplig; skäl: ”Decided by the board” (14 mars 2026 10:42)",
    ("checklist.update", "nb"): "Anna Berg markerte sjekklistepunktet «Enhetsleder støtter videre arbeid» som ikke "
                                "aktuelt; grunn: «Decided by the board» (14. mars 2026, 10:42)",
    ("benefit.update", "en"): "Anna Berg changed the benefit “Kortare väntetider”: the category from Access and "
                              "waiting times to Freed capacity and the benefit owner from Anna Berg to Cecilia Dahl "
                              "(14 Mar 2026, 10:42)",
    ("gate.hold", "sv"): "Bo Ek pausade initiativet i Pilot till omprövningen 15 apr. 2026 (14 mars 2026 10:42)",
    ("measurement.import", "nb"): "Cecilia Dahl importerte måleverdier for WAIT-1, WAIT-2, CALLS og andre fra filen "
                                  "«februari.xlsx» (nye: 1\xa0200, korrigerte: 0) (14. mars 2026, 10:42)",
    ("calculation.save", "sv"): "Anna Berg sparade nyttokalkylen: kalkylränta 3,5\xa0%, år 2026–2030 "
                                "(14 mars 2026 10:42)",
    ("role.grant", "en"): "The system gave Cecilia Dahl the role Steering group in the portfolio “Digital vård” "
                          "(14 Mar 2026, 10:42)",
}


@pytest.mark.parametrize(("code", "language"), EXACT, ids=[f"{c}-{lang}" for c, lang in EXACT])
def test_exact_sentences(code, language):
    assert say(FIXTURES[code], language) == EXACT[(code, language)]


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Anna Berg changed the indicator “Väntetid till första kontakt” (14 Mar 2026, 10:42)"),
    ("sv", "Anna Berg ändrade indikatorn ”Väntetid till första kontakt” (14 mars 2026 10:42)"),
    ("nb", "Anna Berg endret indikatoren «Väntetid till första kontakt» (14. mars 2026, 10:42)"),
])
def test_the_short_form_of_an_edit(language, expected):
    assert say(FIXTURES["indicator.update"], language, detail=False) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Anna Berg made a change: report.freeze (14 Mar 2026, 10:42)"),
    ("sv", "Anna Berg gjorde en ändring: report.freeze (14 mars 2026 10:42)"),
    ("nb", "Anna Berg gjorde en endring: report.freeze (14. mars 2026, 10:42)"),
])
def test_an_unknown_code_reads_as_a_generic_sentence(language, expected):
    entry = Entry("report.freeze", before={"snapshot": 1}, after={"snapshot": 2, "title": "{x}"})
    assert say(entry, language) == expected


def test_long_texts_are_shortened_on_one_line():
    assert shorten("Short text") == "Short text"
    assert shorten("line one\n\n  line two") == "line one line two"
    long = "The pilot showed that the telephone queue fell by half, while the number of visits stayed the same."
    assert shorten(long) == "The pilot showed that the telephone queue fell by half, while the number of…"
    assert len(shorten("x" * 500)) == 80


def test_a_title_is_quoted_as_typed_never_as_markup_of_the_sentence():
    entry = Entry("initiative.create", after={"title": "[Log in again](http://evil.example) $x^2$"})
    assert say(entry, "en").startswith("Anna Berg proposed the initiative “[Log in again](http://evil.example) $x^2$”")


def test_user_ids_are_named_and_unknown_ones_numbered():
    entry = Entry("decision_owner.assign", user_id=99, entity="gate_decision_owner",
                  before={"gate": "scale_up", "user_id": None}, after={"gate": "scale_up", "user_id": 3})
    assert describe(entry, NAMES, detail=True).render("en") == (
        "#99 made Cecilia Dahl the decision owner at the gate Scale-up")
    assert references([entry])["users"] == {99, 3}


def test_references_list_every_id_a_page_must_name():
    wanted = references(FIXTURES.values())
    assert wanted == {"users": {1, 2, 3}, "org_units": {10}, "portfolios": {20}, "benefits": {30},
                      "indicators": {40}, "checklist_items": {50}}


# ------------------------------------------------------------------ local time


@pytest.mark.parametrize(("utc", "zone", "expected"), [
    (datetime(2026, 1, 15, 9, 42, tzinfo=timezone.utc), "Europe/Stockholm", "15 Jan 2026, 10:42"),  # CET, +1
    (datetime(2026, 7, 15, 9, 42, tzinfo=timezone.utc), "Europe/Stockholm", "15 Jul 2026, 11:42"),  # CEST, +2
    (datetime(2026, 1, 15, 9, 42, tzinfo=timezone.utc), "Europe/Oslo", "15 Jan 2026, 10:42"),
    (datetime(2026, 7, 15, 9, 42, tzinfo=timezone.utc), "Europe/Oslo", "15 Jul 2026, 11:42"),
    (datetime(2026, 7, 15, 9, 42, tzinfo=timezone.utc), "Europe/Helsinki", "15 Jul 2026, 12:42"),
    # SQLite hands back timestamps without their zone: they are UTC.
    (datetime(2026, 7, 15, 9, 42), "Europe/Stockholm", "15 Jul 2026, 11:42"),
    # Late in the evening in UTC is the next day in Stockholm.
    (datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc), "Europe/Stockholm", "1 Jan 2027, 00:30"),
])
def test_times_are_shown_in_local_time(utc, zone, expected):
    assert Moment(utc, zone).render("en") == expected


@pytest.mark.parametrize(("language", "winter", "summer"), [
    ("en", "15 Jan 2026, 10:42", "15 Jul 2026, 11:42"),
    ("sv", "15 jan. 2026 10:42", "15 juli 2026 11:42"),
    ("nb", "15. jan. 2026, 10:42", "15. juli 2026, 11:42"),
])
def test_times_are_written_the_readers_way(language, winter, summer):
    assert [Moment(datetime(2026, month, 15, 9, 42, tzinfo=timezone.utc), ZONE).render(language)
            for month in (1, 7)] == [winter, summer]


def test_the_time_zone_is_a_setting(monkeypatch):
    monkeypatch.delenv("PORTFOLIO_TIMEZONE", raising=False)
    assert get_settings().timezone == "Europe/Stockholm"
    monkeypatch.setenv("PORTFOLIO_TIMEZONE", "Europe/Oslo")
    assert get_settings().timezone == "Europe/Oslo"
    monkeypatch.setenv("PORTFOLIO_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="PORTFOLIO_TIMEZONE must name a time zone such as Europe/Stockholm"):
        get_settings()


# ------------------------------------------------------------------ the history tab's read model


@pytest.fixture
def changed(engine) -> World:
    """The World's idea after a few changes through the actions: the owner appoints a new lead and sets
    the cost, approves the gate, the lead marks a concept item not applicable, adds a benefit and an
    indicator and lowers its target from 30 to 25."""
    with write_session(engine) as session:
        world = World(session)
        owner, lead = actor(session, world.owner), actor(session, world.lead)
        update_initiative(session=session, actor=owner, initiative_id=world.initiative.id,
                          expected_version=world.initiative.version, changes={"estimated_cost": 650000.0})
    with write_session(engine) as session:
        version = session.get(Initiative, world.initiative.id).version
        record_gate_decision(session=session, actor=actor(session, world.owner), initiative_id=world.initiative.id,
                             expected_version=version,
                             data=DecisionInput(outcome="go", rationale="The need is clear and owned"))
    with write_session(engine) as session:
        lead = actor(session, world.lead)
        item = checklist_items(session, world.initiative.id, "concept")[0]
        update_checklist(session=session, actor=lead, initiative_id=world.initiative.id, changes=[ChecklistChange(
            item_id=item.id, expected_version=item.version, status="not_applicable",
            not_applicable_reason="Covered by the regional plan")])
        benefit = create_benefit(session=session, actor=lead, initiative_id=world.initiative.id, data=BenefitInput(
            title="Shorter waits", category="access_waiting_times", recipient="patients_citizens"))
        indicator = create_indicator(session=session, actor=lead, benefit_id=benefit.id, data=IndicatorInput(
            code="WAIT-1", name="Waiting time", unit="days", direction="lower", baseline_value=42.0, baseline_date=date(2026, 1, 1),
            target_value=30.0, target_date=date(2027, 1, 1)))
        data = IndicatorInput(**{**indicator.model_dump(include=set(IndicatorInput.model_fields)),
                                 "target_value": 25.0})
        update_indicator(session=session, actor=lead, indicator_id=indicator.id,
                         expected_version=indicator.version, data=data)
    return world


def _history(engine, world: World, reader: str, language: str = "en") -> list[str]:
    with read_session(engine) as session:
        view = initiative_view(session=session, actor=actor(session, world.users[reader]),
                               initiative_id=world.initiative.id, tab="history")
    # The sentences; their times (the moments the test ran) are ``when``, beside them.
    assert all(a.when.zone == "Europe/Stockholm" and a.when.at == a.at for a in view.audit)
    return [a.sentence.render(language) for a in view.audit]


def test_the_history_tells_the_changes_in_words(engine, changed):
    assert _history(engine, changed, "owner") == [
        "Leif Ledare changed the indicator “Waiting time”: the target from 30 to 25",
        "Leif Ledare added the indicator “Waiting time”",
        "Leif Ledare added the benefit “Shorter waits”",
        "Leif Ledare marked the checklist item “Pilot plan with start and end dates, test group and partners” as "
        "not applicable; reason: “Covered by the regional plan”",
        "Olga Ägare decided go: Idea → Concept; rationale: “The need is clear and owned”",
        "Olga Ägare changed the estimated cost to 650,000",
        "Leif Ledare proposed the initiative “Digital triage”",
    ]


def test_the_history_reads_in_the_readers_language(engine, changed):
    assert _history(engine, changed, "owner", "nb")[0] == (
        "Leif Ledare endret indikatoren «Waiting time»: målverdien fra 30 til 25")
    assert _history(engine, changed, "owner", "sv")[0] == (
        "Leif Ledare ändrade indikatorn ”Waiting time”: målvärdet från 30 till 25")


def test_a_reader_without_the_detail_reads_who_did_what(engine, changed):
    assert _history(engine, changed, "lead") == [
        "Leif Ledare changed the indicator “Waiting time”",
        "Leif Ledare added the indicator “Waiting time”",
        "Leif Ledare added the benefit “Shorter waits”",
        "Leif Ledare updated the checklist item “Pilot plan with start and end dates, test group and partners”",
        "Olga Ägare decided go",
        "Olga Ägare changed the initiative's details",
        "Leif Ledare proposed the initiative",
    ]


def test_the_history_names_in_a_fixed_number_of_queries(engine, changed):
    """Names are read once per kind for the page, not once per event: more events, no more queries."""
    def queries() -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa_event.listen(engine, "before_cursor_execute", listener)
        try:
            _history(engine, changed, "owner")
        finally:
            sa_event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    before = queries()
    with write_session(engine) as session:
        for cost in (1.0, 2.0, 3.0, 4.0):
            version = session.get(Initiative, changed.initiative.id).version
            update_initiative(session=session, actor=actor(session, changed.owner),
                              initiative_id=changed.initiative.id, expected_version=version,
                              changes={"estimated_cost": cost, "lead_id": changed.owner.id if cost % 2 else
                                       changed.lead.id})
    assert queries() == before


def test_the_export_keeps_the_raw_codes_and_json(engine, changed):
    with read_session(engine) as session:
        text = export_audit_for(session=session, actor=actor(session, changed.steering),
                                initiative_id=changed.initiative.id)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in rows] == [
        "initiative.create", "initiative.update", "gate.go", "checklist.update", "benefit.create",
        "indicator.create", "indicator.update"]
    assert (rows[-1]["before"], rows[-1]["after"]) == ('{"target_value": 30.0}', '{"target_value": 25.0}')
    assert '"status": "not_applicable"' in rows[3]["after"]
