"""The History tab tells the audit trail in sentences, in the reader's language and the organisation's local
time; what someone typed stays plain text. The raw codes and JSON are only in the CSV download."""

from __future__ import annotations

import re
from datetime import date, timezone
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, User
from portfolio.benefits import BenefitInput, IndicatorInput, create_benefit, create_indicator, update_indicator
from portfolio.gates import DecisionInput, record_gate_decision
from portfolio.initiatives import InitiativeCreate, create_initiative
from portfolio.permissions import load_actor
from portfolio.ui.text import WORD_JOINER
from tests.factories import World
from tests.ui.conftest import open_initiative, sign_in, texts
from tests.ui.test_plain_text import assert_nothing_live

def trail(app) -> list[str]:
    """The History tab's audit trail, one sentence per line, as the reader reads it (Markdown escapes undone)."""
    body = [m.value for m in app.markdown if m.value.startswith("- ")][-1]
    return [re.sub(r"\\(.)", r"\1", line.removeprefix("- ")).replace(WORD_JOINER, "") for line in body.splitlines()]


def local_time(engine, action: str) -> str:
    """When the last ``action`` event happened, in Stockholm, read straight from its stored UTC time."""
    with read_session(engine) as session:
        at = session.exec(select(AuditEvent.at).where(AuditEvent.action == action)
                          .order_by(col(AuditEvent.id).desc())).first()
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at
    return f"{at.astimezone(ZoneInfo('Europe/Stockholm')):%H:%M}"


def _lower_the_target(engine, world: World) -> None:
    with write_session(engine) as session:
        lead = load_actor(session=session, user_id=world.lead.id)
        benefit = create_benefit(session=session, actor=lead, initiative_id=world.initiative.id, data=BenefitInput(
            title="Shorter waits", category="access_waiting_times", recipient="patients_citizens"))
        indicator = create_indicator(session=session, actor=lead, benefit_id=benefit.id, data=IndicatorInput(
            code="WAIT-1", name="Waiting time", direction="lower", baseline_value=42.0, baseline_date=date(2026, 1, 1),
            target_value=30.0, target_date=date(2027, 1, 1)))
        data = IndicatorInput(**{**indicator.model_dump(include=set(IndicatorInput.model_fields)),
                                 "target_value": 25.0})
        update_indicator(session=session, actor=lead, indicator_id=indicator.id, expected_version=indicator.version,
                         data=data)


def test_the_history_tab_tells_the_trail_in_sentences(app, app_db, world):
    _lower_the_target(app_db, world)
    sign_in(app, "owner")
    open_initiative(app, world.initiative.id, "History")
    lines = trail(app)
    assert re.fullmatch(r"Leif Ledare changed the indicator “Waiting time”: the target from 30 to 25 "
                        r"\(\d{1,2} [A-Z][a-z]{2} \d{4}, (\d\d:\d\d)\)", lines[0])
    assert lines[0].endswith(f", {local_time(app_db, 'indicator.update')})")
    assert [re.sub(r" \([^()]*\)$", "", line) for line in lines[1:]] == [
        "Leif Ledare added the indicator “Waiting time”",
        "Leif Ledare added the benefit “Shorter waits”",
        "Leif Ledare proposed the initiative “Digital triage”",
    ]
    # No table of codes and JSON on the page: those are in the download (tests/test_audit_prose.py).
    assert not any("indicator.update" in body or '{"' in body for body in texts(app.markdown))
    assert not app.dataframe


def test_a_norwegian_reader_reads_the_trail_in_norwegian(app, app_db, world):
    _lower_the_target(app_db, world)
    with write_session(app_db) as session:
        session.get(User, world.steering.id).language = "nb"
    sign_in(app, "steering")
    open_initiative(app, world.initiative.id, "Historikk")  # the tab's label in the reader's language
    assert "Revisjonslogg" in texts(app.subheader)
    assert len(app.get("download_button")) == 1  # the steering group downloads the codes and JSON
    assert re.fullmatch(r"Leif Ledare endret indikatoren «Waiting time»: målverdien fra 30 til 25 "
                        r"\(\d{1,2}\. [a-z]+\.? \d{4}, \d\d:\d\d\)", trail(app)[0])


def test_a_reader_without_the_detail_reads_who_did_what(app, app_db, world):
    _lower_the_target(app_db, world)
    sign_in(app, "lead")
    open_initiative(app, world.initiative.id, "History")
    assert [re.sub(r" \([^()]*\)$", "", line) for line in trail(app)] == [
        "Leif Ledare changed the indicator “Waiting time”",
        "Leif Ledare added the indicator “Waiting time”",
        "Leif Ledare added the benefit “Shorter waits”",
        "Leif Ledare proposed the initiative",
    ]
    assert "Only an administrator, the portfolio owner or the steering group may see what a change changed." in \
        texts(app.caption)


def test_a_typed_title_is_plain_text_in_the_trail(app, app_db, world):
    title = "[Log in again](http://evil.example/login) $x^2$ **now**"
    with write_session(app_db) as session:
        owner = load_actor(session=session, user_id=world.owner.id)
        initiative = create_initiative(session=session, actor=owner, data=InitiativeCreate(
            title=title, portfolio_id=world.portfolio.id, need_description="Queues", need_owner="Head of care",
            expected_effects="Shorter queues", org_unit_id=world.unit.id))
        initiative_id = initiative.id
    with write_session(app_db) as session:
        record_gate_decision(session=session, actor=load_actor(session=session, user_id=world.owner.id),
                             initiative_id=initiative_id, expected_version=1, data=DecisionInput(
                                 outcome="stop", rationale="No longer needed here",
                                 stop_reason="[Read more](http://evil.example/why)", lessons_learned="Ask first"))
    sign_in(app, "owner")
    open_initiative(app, initiative_id, "History")
    lines = [re.sub(r" \([^()]*\)$", "", line) for line in trail(app)]
    assert lines == ["Olga Ägare stopped the initiative in Idea; reason: “[Read more](http://evil.example/why)”",
                     f"Olga Ägare proposed the initiative “{title}”"]
    assert_nothing_live(app)
