"""Meeting snapshots: the benefit report of a portfolio, frozen for a named, dated steering meeting.

``freeze_report`` makes the report (``portfolio.benefit_report``) and stores its data, not a rendering of it:
the payload as canonical JSON (sorted keys, no spaces) with its SHA-256 ``content_hash``. A snapshot is never
changed: the database refuses any UPDATE or DELETE of a ``report_snapshot`` row (triggers of migration 0008),
and the freeze's audit entry, in the hash-chained trail, keeps what was frozen. ``open_snapshot`` reads the
payload back as the ``BenefitReport`` it was, after checking it against its hash and that audit entry, so a
snapshot renders and exports exactly as it was at the meeting, however the data has changed since.
``compare_snapshots`` says what moved between two meetings.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlmodel import Session, col, select

from db.models import AuditEvent, Portfolio, ReportSnapshot, User
from portfolio.audit import record
from portfolio.benefit_report import PAYLOAD_VERSION, BenefitReport, benefit_report, this_year_so_far
from portfolio.choices import Choice, Choices
from portfolio.errors import DomainError, FieldProblem, NotFound, ValidationError, text_problems
from portfolio.i18n import LANGUAGES, N_, Message
from portfolio.locking import MAX_ID
from portfolio.permissions import Actor, Scope, refusal, require
from workflows.vocabulary import IndicatorStatus, Stage

MEETING_NAME_MAX = 200
# The action code of a freeze in the audit trail (written as a literal where it is recorded).
FREEZE_ACTION = "snapshot.freeze"

NO_PORTFOLIO = N_("There is no portfolio number {id}.")
NO_SNAPSHOT = N_("There is no meeting snapshot number {id}.")
NAME_REQUIRED = N_("The meeting needs a name.")
NAME_TOO_LONG = N_("The meeting name may have at most {count} characters.")
NOT_A_MEETING_DATE = N_("The meeting date must be a date, such as 2026-12-03.")
NOT_A_FIRST_DAY = N_("The period's first day must be a date, such as 2026-01-01.")
NOT_A_LAST_DAY = N_("The period's last day must be a date, such as 2026-11-30.")
# The benefit report's own words for the same problem.
PERIOD_BACKWARDS = N_("The period must not end before it begins.")
UNKNOWN_LANGUAGE = N_("Unknown language {language}. The languages are: {languages}.")
DUPLICATE = N_("This portfolio already has a snapshot for the meeting “{meeting}” on {date}.")
TAMPERED = N_("This snapshot has been tampered with: its content no longer matches what was recorded when it "
              "was frozen. It cannot be opened.")
UNREADABLE = N_("This snapshot was frozen in an older layout of the report (version {version}), which this "
                "version of the app cannot read.")


# ------------------------------------------------------------------ the payload as stored


def canonical_json(payload: dict) -> str:
    """The payload as the one text that is stored and hashed: sorted keys, no spaces, strict JSON."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(text: str) -> str:
    """The SHA-256 (hex) of a canonical payload."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ read models


@dataclass(frozen=True)
class SnapshotSummary:
    """One frozen snapshot as the list shows it: the meeting, the report's period and who froze it when."""

    id: int
    portfolio_id: int
    portfolio: str
    meeting_name: str
    meeting_date: date
    period_from: date
    period_to: date
    language: str
    payload_version: int
    content_hash: str
    frozen_by: str
    frozen_at: datetime


@dataclass(frozen=True)
class FrozenReport:
    """An opened snapshot: what it is, its report as it was frozen, and the stored canonical payload (text)."""

    snapshot: SnapshotSummary
    report: BenefitReport
    payload: str

    def payload_data(self) -> dict:
        """The stored payload as data (a fresh copy each time)."""
        return json.loads(self.payload)




def _summaries(session: Session, *where: Any) -> tuple[SnapshotSummary, ...]:
    rows = session.exec(
        select(ReportSnapshot.id, ReportSnapshot.portfolio_id, Portfolio.name, ReportSnapshot.meeting_name,
               ReportSnapshot.meeting_date, ReportSnapshot.period_from, ReportSnapshot.period_to,
               ReportSnapshot.language, ReportSnapshot.payload_version, ReportSnapshot.content_hash,
               User.display_name, ReportSnapshot.frozen_at)
        .join(Portfolio, Portfolio.id == ReportSnapshot.portfolio_id)
        .join(User, User.id == ReportSnapshot.frozen_by_id)
        .where(*where)
        .order_by(col(ReportSnapshot.meeting_date).desc(), col(ReportSnapshot.frozen_at).desc(),
                  col(ReportSnapshot.id).desc())
    ).all()
    return tuple(SnapshotSummary(*row[:-1], frozen_at=_utc(row[-1])) for row in rows)


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _portfolio(session: Session, portfolio_id: int) -> Portfolio:
    portfolio = session.get(Portfolio, portfolio_id) if isinstance(portfolio_id, int) and 0 < portfolio_id <= MAX_ID \
        else None
    if portfolio is None:
        raise NotFound(Message(NO_PORTFOLIO, {"id": portfolio_id}))
    return portfolio


def snapshots_of(*, session: Session, actor: Actor, portfolio_id: int) -> tuple[SnapshotSummary, ...]:
    """The snapshots frozen for ``portfolio_id``, newest meeting first ("snapshot.read")."""
    _portfolio(session, portfolio_id)
    require("snapshot.read", actor, Scope(portfolio_id=portfolio_id))
    return _summaries(session, ReportSnapshot.portfolio_id == portfolio_id)


def reads_snapshots(actor: Optional[Actor]) -> bool:
    """True when ``actor`` may open the snapshots of some portfolio (the navigation shows the page to them)."""
    return actor is not None and bool(actor.is_admin or actor.owned_portfolios or actor.steering_portfolios)


def _readable_portfolios(session: Session, actor: Actor) -> Choices:
    rows = session.exec(select(Portfolio.id, Portfolio.name).order_by(Portfolio.name, Portfolio.id)).all()
    return Choices(entries=tuple(Choice(*row) for row in rows
                                 if refusal("snapshot.read", actor, Scope(portfolio_id=row[0])) is None))


# ------------------------------------------------------------------ freezing


def _as_date(value: Any) -> Optional[date]:
    """A day from a date or its ISO text (``2026-12-03``); None for anything else (a time, a typo, nothing)."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def freeze_report(*, session: Session, actor: Actor, portfolio_id: int, meeting_name: str, meeting_date: Any,
                  period_from: Any, period_to: Any, language: str) -> SnapshotSummary:
    """Freeze the benefit report of ``portfolio_id`` for the days ``period_from`` to ``period_to`` for the
    meeting ``meeting_name`` on ``meeting_date``, in ``language`` ("snapshot.freeze": the portfolio's steering
    group, its owners, administrators). Every problem of the input is listed; a second snapshot for the same
    meeting (name and date) of the portfolio is refused. Stores the report's payload with its hash and
    audits the freeze, in the caller's transaction."""
    portfolio = _portfolio(session, portfolio_id)
    require("snapshot.freeze", actor, Scope(portfolio_id=portfolio_id))
    name = (meeting_name or "").strip() if isinstance(meeting_name, str) else ""
    day, first, last = _as_date(meeting_date), _as_date(period_from), _as_date(period_to)
    problems: list[FieldProblem] = []
    if not name:
        problems.append(FieldProblem("meeting_name", Message(NAME_REQUIRED)))
    elif len(name) > MEETING_NAME_MAX:
        problems.append(FieldProblem("meeting_name", Message(NAME_TOO_LONG, {"count": MEETING_NAME_MAX})))
    problems += text_problems(None, {"meeting_name": name}, length_checked=("meeting_name",))
    # Only a valid name is looked up (PostgreSQL refuses a NUL even in a comparison).
    name_ok = not problems
    if day is None:
        problems.append(FieldProblem("meeting_date", Message(NOT_A_MEETING_DATE)))
    if first is None:
        problems.append(FieldProblem("period_from", Message(NOT_A_FIRST_DAY)))
    if last is None:
        problems.append(FieldProblem("period_to", Message(NOT_A_LAST_DAY)))
    if first is not None and last is not None and last < first:
        problems.append(FieldProblem("period_to", Message(PERIOD_BACKWARDS)))
    if language not in LANGUAGES:
        problems.append(FieldProblem("language", Message(
            UNKNOWN_LANGUAGE, {"language": repr(language), "languages": ", ".join(LANGUAGES)})))
    if name_ok and day is not None and session.exec(select(ReportSnapshot.id).where(
            ReportSnapshot.portfolio_id == portfolio_id, ReportSnapshot.meeting_name == name,
            ReportSnapshot.meeting_date == day)).first() is not None:
        problems.append(FieldProblem("meeting_name", Message(DUPLICATE, {"meeting": name,
                                                                          "date": day.isoformat()})))
    if problems:
        raise ValidationError(problems)

    report = benefit_report(session, actor, portfolio_id, first, last)
    payload = report.to_payload()
    text = canonical_json(payload)
    row = ReportSnapshot(portfolio_id=portfolio_id, meeting_name=name, meeting_date=day, period_from=first,
                         period_to=last, language=language, payload=text,
                         payload_version=payload.get("version", PAYLOAD_VERSION), content_hash=content_hash(text),
                         frozen_by_id=actor.user_id)
    session.add(row)
    session.flush()
    record(session=session, user_id=actor.user_id, action="snapshot.freeze", entity="report_snapshot",
           entity_id=row.id, after=_recorded(row))
    return SnapshotSummary(
        id=row.id, portfolio_id=portfolio_id, portfolio=portfolio.name, meeting_name=name, meeting_date=day,
        period_from=first, period_to=last, language=language, payload_version=row.payload_version,
        content_hash=row.content_hash, frozen_by=actor.display_name, frozen_at=_utc(row.frozen_at))


def _recorded(row: ReportSnapshot) -> dict[str, Any]:
    """What the freeze's audit entry keeps of a snapshot (and what opening it checks the row against)."""
    return {"portfolio_id": row.portfolio_id, "meeting_name": row.meeting_name,
            "meeting_date": row.meeting_date.isoformat(), "period_from": row.period_from.isoformat(),
            "period_to": row.period_to.isoformat(), "language": row.language,
            "payload_version": row.payload_version, "content_hash": row.content_hash}


# ------------------------------------------------------------------ opening


def open_snapshot(*, session: Session, actor: Actor, snapshot_id: int) -> FrozenReport:
    """The snapshot ``snapshot_id`` with its report exactly as it was frozen ("snapshot.read").

    Refused as tampered with when its payload no longer matches its hash, or the row no longer matches what
    the freeze's audit entry recorded (a row changed behind the database's triggers, hash and all)."""
    row = session.get(ReportSnapshot, snapshot_id) if isinstance(snapshot_id, int) and 0 < snapshot_id <= MAX_ID \
        else None
    if row is None:
        raise NotFound(Message(NO_SNAPSHOT, {"id": snapshot_id}))
    require("snapshot.read", actor, Scope(portfolio_id=row.portfolio_id))
    recorded = session.exec(select(AuditEvent.after).where(
        AuditEvent.action == FREEZE_ACTION, AuditEvent.entity == "report_snapshot",
        AuditEvent.entity_id == row.id).order_by(col(AuditEvent.id))).first()
    if content_hash(row.payload) != row.content_hash or recorded != _recorded(row):
        raise DomainError(Message(TAMPERED))
    try:
        report = BenefitReport.from_payload(json.loads(row.payload))
    except (ValueError, KeyError, TypeError) as error:
        raise DomainError(Message(UNREADABLE, {"version": row.payload_version})) from error
    (summary,) = _summaries(session, ReportSnapshot.id == row.id)
    return FrozenReport(snapshot=summary, report=report, payload=row.payload)


# ------------------------------------------------------------------ comparing two meetings


@dataclass(frozen=True)
class StageMove:
    """How many initiatives stood in ``stage`` at the end of each snapshot's period, and the difference."""

    stage: str
    first: int
    second: int

    @property
    def difference(self) -> int:
        """second − first."""
        return self.second - self.first


@dataclass(frozen=True)
class InitiativeMove:
    """An initiative whose stage differs between the two snapshots (None: not in that snapshot's report)."""

    initiative_id: int
    title: str
    first_stage: Optional[str]
    second_stage: Optional[str]


@dataclass(frozen=True)
class BenefitMove:
    """A benefit whose status differs between the two snapshots: the worst status of its indicators."""

    initiative_id: int
    initiative_title: str
    benefit: str
    first_status: str
    second_status: str


@dataclass(frozen=True)
class MoneyMove:
    """The benefit in money, realised and planned, in each snapshot's period, and the differences."""

    first_realised: float
    second_realised: float
    first_planned: float
    second_planned: float

    @property
    def realised_difference(self) -> float:
        """second − first of the realised money."""
        return self.second_realised - self.first_realised

    @property
    def planned_difference(self) -> float:
        """second − first of the planned money."""
        return self.second_planned - self.first_planned


@dataclass(frozen=True)
class SnapshotComparison:
    """What moved between two meetings, ``first`` the earlier snapshot and ``second`` the later one."""

    first: SnapshotSummary
    second: SnapshotSummary
    stages: tuple[StageMove, ...]
    changed_stage: tuple[InitiativeMove, ...]
    new: tuple[InitiativeMove, ...]
    stopped: tuple[InitiativeMove, ...]
    # Open in the first report, absent from the second: closed before the second period began.
    left: tuple[InitiativeMove, ...]
    benefits: tuple[BenefitMove, ...]
    money: MoneyMove


_SEVERITY = {IndicatorStatus.RED: 3, IndicatorStatus.AMBER: 2, IndicatorStatus.GREEN: 1, IndicatorStatus.UNKNOWN: 0}


def _benefit_statuses(report: BenefitReport) -> dict[tuple[int, str], tuple[str, str]]:
    """(initiative id, benefit title) -> (initiative title, the worst status of the benefit's indicators)."""
    statuses: dict[tuple[int, str], list[str]] = defaultdict(list)
    titles: dict[int, str] = {}
    for section in report.initiatives:
        titles[section.initiative_id] = section.title
        for line in section.indicators:
            statuses[(section.initiative_id, line.benefit_title)].append(line.status)
    return {key: (titles[key[0]], str(max(values, key=lambda s: _SEVERITY.get(IndicatorStatus(s), 0))))
            for key, values in statuses.items()}


def compare_snapshots(first: FrozenReport, second: FrozenReport) -> SnapshotComparison:
    """What moved from the meeting of ``first`` to the meeting of ``second``: initiatives per stage, those that
    changed stage, new and stopped initiatives (and those the second report no longer lists), benefits whose
    status changed, and the money realised and planned. Nothing is read from the database: both reports are as they were frozen."""
    a, b = first.report, second.report
    at_a = {count.stage: count.at_end for count in a.summary.stages}
    at_b = {count.stage: count.at_end for count in b.summary.stages}
    stages = tuple(StageMove(stage, at_a.get(stage, 0), at_b.get(stage, 0))
                   for stage in [*at_a, *(s for s in at_b if s not in at_a)])
    in_a = {section.initiative_id: section for section in a.initiatives}
    in_b = {section.initiative_id: section for section in b.initiatives}
    changed = tuple(InitiativeMove(i, in_b[i].title, in_a[i].stage, in_b[i].stage)
                    for i in sorted(in_a.keys() & in_b.keys()) if in_a[i].stage != in_b[i].stage)
    new = tuple(InitiativeMove(i, in_b[i].title, None, in_b[i].stage) for i in sorted(in_b.keys() - in_a.keys()))
    left = tuple(InitiativeMove(i, in_a[i].title, in_a[i].stage, None) for i in sorted(in_a.keys() - in_b.keys()))
    stopped_before = {i for i, section in in_a.items() if section.stage == Stage.STOPPED}
    stopped_before |= {s.initiative_id for s in a.summary.stopped}
    stopped_now = {i: (section.title, in_a[i].stage if i in in_a else None)
                   for i, section in in_b.items() if section.stage == Stage.STOPPED}
    for line in b.summary.stopped:
        stopped_now.setdefault(line.initiative_id, (line.title, in_a[line.initiative_id].stage
                                                    if line.initiative_id in in_a else None))
    stopped = tuple(InitiativeMove(i, title, before, Stage.STOPPED.value)
                    for i, (title, before) in sorted(stopped_now.items()) if i not in stopped_before)
    benefits_a, benefits_b = _benefit_statuses(a), _benefit_statuses(b)
    benefits = tuple(BenefitMove(key[0], benefits_b[key][0], key[1], benefits_a[key][1], benefits_b[key][1])
                     for key in sorted(benefits_a.keys() & benefits_b.keys())
                     if benefits_a[key][1] != benefits_b[key][1])
    money = MoneyMove(first_realised=a.summary.money.realised, second_realised=b.summary.money.realised,
                      first_planned=a.summary.money.planned, second_planned=b.summary.money.planned)
    return SnapshotComparison(first=first.snapshot, second=second.snapshot, stages=stages, changed_stage=changed,
                              new=new, stopped=stopped, left=left, benefits=benefits, money=money)


# ------------------------------------------------------------------ the page's one read


@dataclass(frozen=True)
class SnapshotsView:
    """The snapshots page's one read: the portfolios the reader may open snapshots of, the chosen one with its
    snapshots (newest meeting first), the period the freeze form proposes, per action ("snapshot.freeze",
    "snapshot.read") None when the reader may take it on the chosen portfolio, otherwise the refusal; the
    snapshot asked to be opened and the comparison asked for, or the problems that kept them from opening."""

    portfolios: Choices
    portfolio_id: Optional[int]
    snapshots: tuple[SnapshotSummary, ...]
    allowed: dict[str, Optional[Message]]
    default_period: tuple[date, date]
    opened: Optional[FrozenReport] = None
    comparison: Optional[SnapshotComparison] = None
    problems: tuple[Message, ...] = ()


def snapshots_view(*, session: Session, actor: Actor, portfolio_id: Optional[int] = None,
                   open_id: Optional[int] = None, compare: Optional[tuple[int, int]] = None,
                   today: Optional[date] = None) -> SnapshotsView:
    """What the snapshots page shows for ``actor``: the portfolios whose snapshots they may open and, for the
    chosen one (default: the first of them), its snapshots and what they may do there; the snapshot
    ``open_id`` opened, and the snapshots ``compare`` (earlier, later; by default the two newest) compared, when
    they belong to it."""
    portfolios = _readable_portfolios(session, actor)
    names = portfolios.names()
    if portfolio_id not in names:
        portfolio_id = next(iter(names), None)
    scope = Scope(portfolio_id=portfolio_id)
    allowed = {action: refusal(action, actor, scope) for action in ("snapshot.freeze", "snapshot.read")}
    snapshots = _summaries(session, ReportSnapshot.portfolio_id == portfolio_id) if portfolio_id is not None else ()
    listed = {s.id for s in snapshots}
    if compare is None and len(snapshots) > 1:
        compare = (snapshots[1].id, snapshots[0].id)
    opened = comparison = None
    problems: list[Message] = []
    try:
        if open_id in listed:
            opened = open_snapshot(session=session, actor=actor, snapshot_id=open_id)
        if compare is not None and set(compare) <= listed and compare[0] != compare[1]:
            comparison = compare_snapshots(*(opened if opened is not None and opened.snapshot.id == i
                                             else open_snapshot(session=session, actor=actor, snapshot_id=i)
                                             for i in compare))
    except DomainError as error:
        problems.extend(error.messages)
    return SnapshotsView(portfolios=portfolios, portfolio_id=portfolio_id, snapshots=snapshots, allowed=allowed,
                         default_period=this_year_so_far(today), opened=opened, comparison=comparison,
                         problems=tuple(problems))
