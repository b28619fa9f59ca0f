"""Meeting snapshots: who may freeze and open them, what a freeze stores (the report's payload, canonical, with
its SHA-256) and audits, every problem of the freeze form at once, a snapshot that opens exactly as it was
after the data changed, tampering found when a snapshot is opened, and what moved between two meetings.
Everything on SQLite and PostgreSQL (``engine`` runs on both)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from db.engine import read_session, write_session
from db.models import AuditEvent, Initiative, ReportSnapshot
from portfolio.benefit_report import (
    PAYLOAD_VERSION,
    BenefitReport,
    CostSummary,
    IndicatorLine,
    InitiativeSection,
    MoneySummary,
    ReportSummary,
    StageCount,
    StatusCounts,
    StoppedInitiative,
    benefit_report,
)
from portfolio.dispatch import Dispatcher
from portfolio.errors import DomainError, NotFound, PermissionDenied, ValidationError
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.permissions import PERMISSIONS
from portfolio.report_render import chart_svgs, render_csv, render_html, render_pdf, render_xlsx
from portfolio.snapshots import (
    BenefitMove,
    FrozenReport,
    InitiativeMove,
    SnapshotSummary,
    StageMove,
    canonical_json,
    compare_snapshots,
    freeze_report,
    open_snapshot,
    snapshots_of,
    snapshots_view,
)
from tests.factories import (
    World,
    actor,
    at_once,
    make_benefit,
    make_indicator,
    make_initiative,
    make_measurement,
    make_portfolio,
    make_user,
)
from tests.pdf_text import pdf_pages

MEETING = "Styrgrupp 2026-12-03"
MEETING_DAY = date(2026, 12, 3)
PERIOD = (date(2026, 1, 1), date.today())
FREEZE_REFUSAL = PERMISSIONS["snapshot.freeze"].refusal
READ_REFUSAL = PERMISSIONS["snapshot.read"].refusal
TAMPERED = ("This snapshot has been tampered with: its content no longer matches what was recorded when it was "
            "frozen. It cannot be opened.")


@pytest.fixture
def world(engine) -> World:
    with write_session(engine) as session:
        return World(session)


def freeze(engine, user, portfolio_id: int, **overrides):
    """Freeze through the dispatcher (the pages' and the CLI's path) as ``user``; its ``Done``."""
    arguments = dict(portfolio_id=portfolio_id, meeting_name=MEETING, meeting_date=MEETING_DAY,
                     period_from=PERIOD[0], period_to=PERIOD[1], language="en") | overrides
    return Dispatcher(user.id, engine=engine).run(freeze_report, **arguments)


def frozen(engine, user, portfolio_id: int, **overrides) -> SnapshotSummary:
    done = freeze(engine, user, portfolio_id, **overrides)
    assert done.ok, [m.render("en") for m in done.problems]
    return done.result


def opened(engine, user, snapshot_id: int) -> FrozenReport:
    with read_session(engine) as session:
        return open_snapshot(session=session, actor=actor(session, user), snapshot_id=snapshot_id)


def state(engine) -> dict:
    """What a refused freeze must leave as it was: the snapshots and the audit trail."""
    with read_session(engine) as session:
        return {"snapshots": session.exec(select(ReportSnapshot.id, ReportSnapshot.payload, ReportSnapshot.content_hash)
                                          .order_by(ReportSnapshot.id)).all(),
                "audit_events": session.exec(select(func.count()).select_from(AuditEvent)).one()}


def english(done) -> list[str]:
    return [message.render("en") for message in done.problems]


# ------------------------------------------------------------------ who may freeze and open


ROLES = ("owner", "steering", "admin", "lead", "reporter", "stranger")
ALLOWED = {"owner", "steering", "admin"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["snapshot.freeze", "snapshot.read"])
def test_role_action(engine, world, action, role):
    """The steering group, the portfolio's owners and administrators freeze and open snapshots; nobody else,
    each refused with the registry's words and nothing changed."""
    user = world.users[role]
    if action == "snapshot.freeze":
        before = state(engine)
        done = freeze(engine, user, world.portfolio.id)
        if role in ALLOWED:
            assert done.ok and state(engine)["audit_events"] == before["audit_events"] + 1
        else:
            assert (type(done.error), english(done)) == (PermissionDenied, [FREEZE_REFUSAL])
            assert state(engine) == before
        return
    snapshot = frozen(engine, world.steering, world.portfolio.id)
    before = state(engine)
    listed = Dispatcher(user.id, engine=engine).run(snapshots_of, portfolio_id=world.portfolio.id)
    opening = Dispatcher(user.id, engine=engine).run(open_snapshot, snapshot_id=snapshot.id)
    if role in ALLOWED:
        assert [s.id for s in listed.result] == [snapshot.id]
        assert opening.result.snapshot == snapshot
    else:
        for done in (listed, opening):
            assert (type(done.error), english(done)) == (PermissionDenied, [READ_REFUSAL])
    assert state(engine) == before


def test_the_steering_group_of_a_parent_portfolio_reaches_its_sub_portfolios_and_no_other(engine, world):
    with write_session(engine) as session:
        child = make_portfolio(session, parent=world.portfolio, name="Primärvård")
        other = make_portfolio(session, name="Another region")
        other_steering = make_user(session, role="steering", portfolio=other)
    assert frozen(engine, world.steering, child.id).portfolio == "Primärvård"
    done = freeze(engine, other_steering, child.id)
    assert english(done) == [FREEZE_REFUSAL]
    with read_session(engine) as session:
        view = snapshots_view(session=session, actor=actor(session, other_steering))
        assert (view.portfolios.names(), view.portfolio_id) == ({other.id: "Another region"}, other.id)
        assert view.allowed == {"snapshot.freeze": None, "snapshot.read": None}
        view = snapshots_view(session=session, actor=actor(session, world.lead))
        assert (view.portfolios.entries, view.portfolio_id, view.snapshots) == ((), None, ())
        assert view.allowed["snapshot.freeze"].render("en") == FREEZE_REFUSAL


def test_a_missing_portfolio_or_snapshot_is_named(engine, world):
    done = freeze(engine, world.admin, 999)
    assert (type(done.error), english(done)) == (NotFound, ["There is no portfolio number 999."])
    done = Dispatcher(world.admin.id, engine=engine).run(open_snapshot, snapshot_id=4711)
    assert (type(done.error), english(done)) == (NotFound, ["There is no meeting snapshot number 4711."])


# ------------------------------------------------------------------ what a freeze stores


def test_freezing_stores_the_reports_payload_canonical_with_its_hash_and_audits_it(engine, world):
    snapshot = frozen(engine, world.steering, world.portfolio.id, meeting_name=f"  {MEETING} ", language="sv")
    with read_session(engine) as session:
        row = session.get(ReportSnapshot, snapshot.id)
        fresh = benefit_report(session, actor(session, world.steering), world.portfolio.id, *PERIOD).to_payload()
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "snapshot.freeze")).one()
    payload = json.loads(row.payload)
    # The report as it was made: equal to a report made now but for the moment it was made.
    assert payload["report"].pop("generated_at") != fresh["report"].pop("generated_at")
    assert payload == fresh
    assert row.payload == canonical_json(json.loads(row.payload))
    assert list(json.loads(row.payload)) == sorted(json.loads(row.payload))
    assert row.content_hash == hashlib.sha256(row.payload.encode("utf-8")).hexdigest()
    assert (row.meeting_name, row.meeting_date, row.period_from, row.period_to, row.language, row.payload_version,
            row.frozen_by_id) == (MEETING, MEETING_DAY, *PERIOD, "sv", PAYLOAD_VERSION, world.steering.id)
    assert (event.user_id, event.entity, event.entity_id, event.initiative_id) == (
        world.steering.id, "report_snapshot", snapshot.id, None)
    assert event.after == {"portfolio_id": world.portfolio.id, "meeting_name": MEETING,
                           "meeting_date": "2026-12-03", "period_from": PERIOD[0].isoformat(),
                           "period_to": PERIOD[1].isoformat(), "language": "sv", "payload_version": PAYLOAD_VERSION,
                           "content_hash": row.content_hash}
    assert snapshot == SnapshotSummary(
        id=row.id, portfolio_id=world.portfolio.id, portfolio=world.portfolio.name, meeting_name=MEETING,
        meeting_date=MEETING_DAY, period_from=PERIOD[0], period_to=PERIOD[1], language="sv",
        payload_version=PAYLOAD_VERSION, content_hash=row.content_hash, frozen_by="Stina Styrgrupp",
        frozen_at=snapshot.frozen_at)


def test_canonical_json_has_sorted_keys_and_no_spaces():
    assert canonical_json({"b": [1, 2.5, None], "a": {"é": "Å ä"}}) == '{"a":{"é":"Å ä"},"b":[1,2.5,null]}'
    with pytest.raises(ValueError):
        canonical_json({"a": float("nan")})


def test_snapshots_are_listed_newest_meeting_first(engine, world):
    for name, day in [("Styrgrupp september", date(2026, 9, 3)), ("Styrgrupp december", date(2026, 12, 3)),
                      ("Styrgrupp oktober", date(2026, 10, 1))]:
        frozen(engine, world.owner, world.portfolio.id, meeting_name=name, meeting_date=day)
    with read_session(engine) as session:
        listed = snapshots_of(session=session, actor=actor(session, world.steering), portfolio_id=world.portfolio.id)
    assert [(s.meeting_name, s.frozen_by) for s in listed] == [
        ("Styrgrupp december", "Olga Ägare"), ("Styrgrupp oktober", "Olga Ägare"),
        ("Styrgrupp september", "Olga Ägare")]


# ------------------------------------------------------------------ the freeze form's problems


@pytest.mark.parametrize(("overrides", "messages"), [
    ({"meeting_name": "   "}, ["The meeting needs a name."]),
    ({"meeting_name": "x" * 201}, ["The meeting name may have at most 200 characters."]),
    ({"meeting_name": "Styrgrupp\x00"}, ["meeting_name must not contain control characters."]),
    ({"meeting_date": "the third"}, ["The meeting date must be a date, such as 2026-12-03."]),
    ({"meeting_date": None}, ["The meeting date must be a date, such as 2026-12-03."]),
    ({"period_from": "2026-13-01"}, ["The period's first day must be a date, such as 2026-01-01."]),
    ({"period_to": datetime(2026, 11, 30, tzinfo=timezone.utc)},
     ["The period's last day must be a date, such as 2026-11-30."]),
    ({"period_from": date(2026, 6, 1), "period_to": date(2026, 5, 31)},
     ["The period must not end before it begins."]),
    ({"language": "de"}, ["Unknown language 'de'. The languages are: sv, nb, en."]),
], ids=["name-blank", "name-long", "name-control", "date-typo", "date-missing", "from-invalid", "to-a-time",
        "period-backwards", "language"])
def test_each_problem_of_the_form_is_refused_in_words(engine, world, overrides, messages):
    before = state(engine)
    done = freeze(engine, world.steering, world.portfolio.id, **overrides)
    assert (type(done.error), english(done)) == (ValidationError, messages)
    assert state(engine) == before


def test_every_problem_is_listed_at_once(engine, world):
    before = state(engine)
    done = freeze(engine, world.steering, world.portfolio.id, meeting_name="", meeting_date="soon",
                  period_from=date(2026, 6, 1), period_to=date(2026, 5, 1), language="fi")
    assert english(done) == ["The meeting needs a name.", "The meeting date must be a date, such as 2026-12-03.",
                             "The period must not end before it begins.",
                             "Unknown language 'fi'. The languages are: sv, nb, en."]
    assert [p.field for p in done.error.problems] == ["meeting_name", "meeting_date", "period_to", "language"]
    assert state(engine) == before


def test_a_second_snapshot_of_the_same_meeting_is_refused(engine, world):
    frozen(engine, world.steering, world.portfolio.id)
    before = state(engine)
    done = freeze(engine, world.owner, world.portfolio.id, meeting_name=f" {MEETING}", period_to=date(2026, 6, 30),
                  period_from="2026-13-01")
    assert (type(done.error), english(done)) == (ValidationError, [
        "The period's first day must be a date, such as 2026-01-01.",
        "This portfolio already has a snapshot for the meeting “Styrgrupp 2026-12-03” on 2026-12-03."])
    assert state(engine) == before
    # Another day, or another portfolio, is another meeting.
    frozen(engine, world.steering, world.portfolio.id, meeting_date=date(2026, 12, 4))
    with write_session(engine) as session:
        child = make_portfolio(session, parent=world.portfolio)
    frozen(engine, world.steering, child.id)


def test_two_freezes_of_one_meeting_at_once_store_one_snapshot(engine, world):
    """The unique key holds where the check cannot see the other transaction: the loser runs again and is told."""
    results = at_once(lambda: freeze(engine, world.steering, world.portfolio.id),
                      lambda: freeze(engine, world.owner, world.portfolio.id))
    assert sorted(done.ok for done in results) == [False, True]
    (refused,) = [done for done in results if not done.ok]
    assert english(refused) == [
        "This portfolio already has a snapshot for the meeting “Styrgrupp 2026-12-03” on 2026-12-03."]
    assert len(state(engine)["snapshots"]) == 1


# ------------------------------------------------------------------ a snapshot stays as it was


def _measured_indicator(engine, world):
    """An indicator of "Digital triage" falling from 100 towards 50 over 2026, measured 105 in September and 100
    in October: red."""
    with write_session(engine) as session:
        initiative = session.get(Initiative, world.initiative.id)
        benefit = make_benefit(session, initiative, title="Shorter waits")
        indicator = make_indicator(session, benefit, code="WAIT", name="Waiting time", direction="lower",
                                   baseline_value=100.0, baseline_date=date(2026, 1, 1), target_value=50.0,
                                   target_date=date(2027, 1, 1))
        make_measurement(session, indicator, period=date(2026, 9, 1), value=105.0)
        make_measurement(session, indicator, period=date(2026, 10, 1), value=100.0)
        return indicator


def rendered(report: BenefitReport) -> tuple[str, dict[int, str]]:
    """The report's HTML in Swedish, and its charts with their clip paths numbered from 1 in each: vl-convert
    numbers them on from one chart to the next in a process, which changes no drawing (each chart is an image
    of its own)."""
    def renumbered(svg: str) -> str:
        numbers: dict[str, int] = {}
        return re.sub(r"clip\d+", lambda m: f"clip{numbers.setdefault(m.group(0), len(numbers) + 1)}", svg)

    return render_html(report, "sv", charts=False), {k: renumbered(v) for k, v in chart_svgs(report).items()}


def exported(report: BenefitReport) -> tuple[dict[str, bytes], dict[str, list[tuple]], str]:
    """What the snapshot's downloads hold, read back: the CSV files, every Excel sheet's values, and the PDF's
    text."""
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(render_xlsx(report, "sv")))
    sheets = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}
    text = "\n".join(pdf_pages(render_pdf(report, "sv")))
    return render_csv(report, "sv"), sheets, text


def _decide(engine, world, initiative_id: int, outcome: str, **fields) -> None:
    with write_session(engine) as session:
        initiative = session.get(Initiative, initiative_id)
        record_gate_decision(session=session, actor=actor(session, world.owner), initiative_id=initiative_id,
                             expected_version=initiative.version,
                             data=DecisionInput(outcome=outcome, rationale="The steering group agreed today",
                                                **fields))


def test_a_snapshot_opens_as_it_was_after_the_data_changed(engine, world):
    indicator = _measured_indicator(engine, world)
    snapshot = frozen(engine, world.steering, world.portfolio.id)
    before = opened(engine, world.steering, snapshot.id)
    html_before = rendered(before.report)
    exported_before = exported(before.report)
    assert len(html_before[1]) == 1  # the indicator's chart
    line = before.report.initiatives[0].indicators[0]
    assert (before.report.initiatives[0].stage, line.latest_value, line.status) == ("idea", 100.0, "red")

    # A new measurement and a gate decision later, a report made now shows them...
    with write_session(engine) as session:
        make_measurement(session, indicator, period=date(2026, 11, 1), value=50.0)
    _decide(engine, world, world.initiative.id, "go")
    with read_session(engine) as session:
        now = benefit_report(session, actor(session, world.steering), world.portfolio.id, *PERIOD)
    assert (now.initiatives[0].stage, now.initiatives[0].indicators[0].latest_value) == ("concept", 50.0)

    # ...and the snapshot opens exactly as it was frozen.
    after = opened(engine, world.steering, snapshot.id)
    assert after == before
    assert after.payload == before.payload and after.snapshot.content_hash == snapshot.content_hash
    assert after.report.to_payload() == json.loads(after.payload)
    assert (after.report.initiatives[0].stage, after.report.initiatives[0].indicators[0].latest_value) == (
        "idea", 100.0)
    # It renders as it did (the charts included), and not as a report made now.
    assert rendered(after.report) == html_before
    assert rendered(now) != html_before
    # Its files, made from the stored data, read as they did at the meeting.
    assert exported(after.report) == exported_before
    assert exported(now) != exported_before


# ------------------------------------------------------------------ tampering


def _drop_guards(engine) -> None:
    """What someone with the database's own rights could do: remove the triggers that refuse changes."""
    with write_session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("DROP TRIGGER report_snapshot_no_change ON report_snapshot"))
        else:
            session.execute(text("DROP TRIGGER report_snapshot_no_update"))


@pytest.mark.parametrize("change", ["payload", "payload and hash", "meeting"])
def test_tampering_is_found_when_a_snapshot_is_opened(engine, world, change):
    snapshot = frozen(engine, world.steering, world.portfolio.id)
    with read_session(engine) as session:
        stored = session.get(ReportSnapshot, snapshot.id).payload
    _drop_guards(engine)
    forged = stored.replace('"portfolio":"', '"portfolio":"Forged ')
    assert forged != stored
    statement = {
        "payload": ("UPDATE report_snapshot SET payload = :payload WHERE id = :id", {"payload": forged}),
        # A forger who recomputes the hash is still caught by the freeze's entry in the audit trail.
        "payload and hash": ("UPDATE report_snapshot SET payload = :payload, content_hash = :hash WHERE id = :id",
                             {"payload": forged, "hash": hashlib.sha256(forged.encode()).hexdigest()}),
        "meeting": ("UPDATE report_snapshot SET meeting_date = :day WHERE id = :id", {"day": date(2026, 12, 10)}),
    }[change]
    with write_session(engine) as session:
        assert session.execute(text(statement[0]), {"id": snapshot.id, **statement[1]}).rowcount == 1
    done = Dispatcher(world.steering.id, engine=engine).run(open_snapshot, snapshot_id=snapshot.id)
    assert (type(done.error), english(done)) == (DomainError, [TAMPERED])


# ------------------------------------------------------------------ what moved between two meetings


def test_comparing_two_meetings_in_the_database(engine, world):
    """Between the meetings: "Digital triage" went to concept, "Paper forms" was stopped, "Video visits" was
    proposed, and the waiting time moved from behind plan to on track."""
    indicator = _measured_indicator(engine, world)
    with write_session(engine) as session:
        portfolio = world.portfolio
        paper = make_initiative(session, portfolio=portfolio, creator=world.lead, lead=world.lead,
                                title="Paper forms")
    september = frozen(engine, world.steering, world.portfolio.id, meeting_name="Styrgrupp september",
                       meeting_date=date(2026, 9, 3))
    with write_session(engine) as session:
        make_measurement(session, indicator, period=date(2026, 11, 1), value=50.0)
        video = make_initiative(session, portfolio=world.portfolio, creator=world.lead, title="Video visits")
    _decide(engine, world, world.initiative.id, "go")
    _decide(engine, world, paper.id, "stop", stop_reason="No funding", lessons_learned="Ask the payers first")
    december = frozen(engine, world.steering, world.portfolio.id)

    comparison = compare_snapshots(opened(engine, world.steering, september.id),
                                   opened(engine, world.steering, december.id))
    assert (comparison.first.meeting_name, comparison.second.meeting_name) == ("Styrgrupp september", MEETING)
    assert [m for m in comparison.stages if m.first or m.second] == [
        StageMove("idea", 2, 1), StageMove("concept", 0, 1), StageMove("stopped", 0, 1)]
    assert [m.difference for m in comparison.stages if m.first or m.second] == [-1, 1, 1]
    assert comparison.changed_stage == (
        InitiativeMove(world.initiative.id, "Digital triage", "idea", "concept"),
        InitiativeMove(paper.id, "Paper forms", "idea", "stopped"))
    assert comparison.new == (InitiativeMove(video.id, "Video visits", None, "idea"),)
    assert comparison.stopped == (InitiativeMove(paper.id, "Paper forms", "idea", "stopped"),)
    assert comparison.left == ()
    assert comparison.benefits == (BenefitMove(world.initiative.id, "Digital triage", "Shorter waits", "red", "green"),)


def _section(initiative_id: int, title: str, stage: str, *indicators: IndicatorLine) -> InitiativeSection:
    return InitiativeSection(
        initiative_id=initiative_id, title=title, portfolio="Digital vård", org_unit=None, lead=None,
        stage_at_start="idea", stage=stage, on_hold=False, estimated_cost=None, investment=None, operation=None,
        planned_money=None, realised_money=None, decisions=(), indicators=indicators)


def _indicator(benefit: str, status: str, indicator_id: int = 1) -> IndicatorLine:
    return IndicatorLine(
        indicator_id=indicator_id, code=f"I{indicator_id}", name="Indicator", unit="", direction="higher",
        frequency="month",
        benefit_title=benefit, dis_benefit=False, baseline_value=None, original_baseline_value=None,
        baseline_date=None, target_value=None, target_date=None, latest_period=None, latest_value=None,
        progress=None, status=status, series=())


def _frozen(snapshot_id: int, stages: dict[str, int], sections, *, planned: float, realised: float,
            stopped=()) -> FrozenReport:
    """A hand-made frozen report: the comparison reads nothing but the reports."""
    summary = ReportSummary(
        stages=tuple(StageCount(stage, 0, count) for stage, count in stages.items()), outcomes=(), decisions=0,
        benefits=StatusCounts(), indicators=StatusCounts(),
        money=MoneySummary(planned=planned, realised=realised, calculation_benefit=0.0, initiatives_with_money=1),
        costs=CostSummary(0.0, 0.0, 0.0, 0.0, 0.0, 0), stopped=tuple(stopped))
    report = BenefitReport(portfolio_id=1, portfolio="Digital vård", period_from=date(2026, 1, 1),
                           period_to=date(2026, 8, 31), generated_at=datetime(2026, 9, 1, tzinfo=timezone.utc),
                           generated_by="Anna Berg", timezone="Europe/Stockholm", summary=summary,
                           initiatives=tuple(sections))
    summary_row = SnapshotSummary(snapshot_id, 1, "Digital vård", f"Meeting {snapshot_id}", date(2026, 9, snapshot_id),
                                  date(2026, 1, 1), date(2026, 8, 31), "en", PAYLOAD_VERSION, "0" * 64, "Anna Berg",
                                  datetime(2026, 9, 1, tzinfo=timezone.utc))
    return FrozenReport(snapshot=summary_row, report=report, payload=canonical_json(report.to_payload()))


def test_comparison_by_hand():
    first = _frozen(1, {"idea": 3, "concept": 1, "pilot": 0, "stopped": 1}, [
        _section(1, "Triage", "idea", _indicator("Shorter waits", "amber", 1), _indicator("Shorter waits", "green", 2)),
        _section(2, "Forms", "idea", _indicator("Less paper", "green", 3)),
        _section(3, "Robot", "concept", _indicator("Freed hours", "unknown", 4)),
        _section(4, "Chat", "idea"),
        _section(5, "Fax", "stopped"),
    ], planned=1_000.0, realised=400.0)
    second = _frozen(2, {"idea": 2, "concept": 1, "pilot": 1, "stopped": 2}, [
        # Triage's worst indicator is now red; Forms is unchanged; Robot moved on and got a status; Chat is
        # gone from the report (closed before its period); Fax stays stopped; Lab is new and was stopped too.
        _section(1, "Triage", "pilot", _indicator("Shorter waits", "red", 1), _indicator("Shorter waits", "green", 2)),
        _section(2, "Forms", "idea", _indicator("Less paper", "green", 3)),
        _section(3, "Robot", "concept", _indicator("Freed hours", "green", 4)),
        _section(5, "Fax", "stopped"),
        _section(6, "Lab", "stopped"),
        _section(7, "Portal", "idea"),
    ], planned=1_500.0, realised=1_150.5, stopped=[
        StoppedInitiative(6, "Lab", datetime(2026, 10, 1, tzinfo=timezone.utc), "idea", "No need", "Ask first")])
    comparison = compare_snapshots(first, second)
    assert [(m.stage, m.first, m.second, m.difference) for m in comparison.stages] == [
        ("idea", 3, 2, -1), ("concept", 1, 1, 0), ("pilot", 0, 1, 1), ("stopped", 1, 2, 1)]
    assert comparison.changed_stage == (InitiativeMove(1, "Triage", "idea", "pilot"),)
    assert comparison.new == (InitiativeMove(6, "Lab", None, "stopped"), InitiativeMove(7, "Portal", None, "idea"))
    assert comparison.stopped == (InitiativeMove(6, "Lab", None, "stopped"),)
    assert comparison.left == (InitiativeMove(4, "Chat", "idea", None),)
    assert comparison.benefits == (BenefitMove(1, "Triage", "Shorter waits", "amber", "red"),
                                   BenefitMove(3, "Robot", "Freed hours", "unknown", "green"))
    money = comparison.money
    assert (money.first_realised, money.second_realised, money.realised_difference) == (400.0, 1_150.5, 750.5)
    assert (money.first_planned, money.second_planned, money.planned_difference) == (1_000.0, 1_500.0, 500.0)
