"""SQLModel tables. The schema itself changes only through Alembic migrations (db/migrations).

Mutable rows carry ``version``; actions compare it with the version the user saw and refuse
a stale write (optimistic locking). A column of vocabulary ids (stage, outcome, role, frequency, ...) is
typed with its ``StrEnum`` from ``workflows.vocabulary``, loads as its members and is guarded by a check
constraint generated from it. Benefits and indicators are families, as in the fastapi full-stack template:
``...Base`` holds the fields a user fills in; the table, ``...Create``, ``...Update`` and ``...Public``
build on it, so a new field is written once here (and in its migration and form hint).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any, Optional

from pydantic import ConfigDict, ValidatorFunctionWrapHandler, field_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import (JSON, BigInteger, CheckConstraint, Column, DateTime, Index, String, Text, UniqueConstraint, false,
                        text)
from sqlmodel import Field, SQLModel

from db.columns import VocabularyType, one_of
from workflows.lifecycle import STAGE_ORDER
from workflows.vocabulary import (
    Aggregation,
    BenefitCategory,
    BenefitKind,
    ChecklistStatus,
    Direction,
    Frequency,
    MeasurementSource,
    Outcome,
    Recipient,
    Role,
    Stage,
)

# The role ids as plain text, for the command line's choices (click matches an enum member by its name).
ROLES: tuple[str, ...] = tuple(role.value for role in Role)


def utcnow() -> datetime:
    """The current time in UTC, zone-aware, for time stamp defaults."""
    return datetime.now(timezone.utc)


def _id_field(vocabulary: type[StrEnum], length: int, **kw: Any) -> Any:
    return Field(sa_type=VocabularyType(vocabulary, length), **kw)


def _member_or_as_given(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # An input model keeps an unknown id as typed, so that the action's validation names it together with
    # every other problem of the form (in the reader's language) instead of failing on the first.
    try:
        return handler(value)
    except PydanticValidationError:
        return value


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, **kw))


# Org unit: a node in the organisation tree (region, hospital, clinic, ward, municipality, ...).
class OrgUnit(SQLModel, table=True):
    __tablename__ = "org_unit"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # The unit's code in the organisation's register (HSA-id, RESH-id, ...); used by file imports.
    code: Optional[str] = Field(default=None, max_length=64, sa_column_kwargs={"unique": True})
    parent_id: Optional[int] = Field(default=None, foreign_key="org_unit.id", index=True)
    version: int = 1


# Portfolio: a set of initiatives with an owner; portfolios nest.
class Portfolio(SQLModel, table=True):
    __tablename__ = "portfolio"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    parent_id: Optional[int] = Field(default=None, foreign_key="portfolio.id", index=True)
    # The default decision owner of every gate of a new initiative in this portfolio.
    owner_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    # When true the portfolio owner may decide any gate in the portfolio, beside the recorded owner.
    owner_decides: bool = False
    version: int = 1


# User: a local account (argon2 hash) or a demo account, which only works in demo mode.
class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("sso_identity", name="uq_app_user_sso_identity"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True, index=True)
    display_name: str = Field(max_length=200)
    password_hash: str
    is_demo: bool = False
    is_active: bool = True
    language: str = Field(default="sv", max_length=5)
    # The identity-provider claim (e.g. email or sub) an administrator linked to this account for
    # single sign-on; no account is ever created from a sign-in by itself.
    sso_identity: Optional[str] = Field(default=None, max_length=320)
    version: int = 1


# Role assignment: a role for a user, scoped to a portfolio or an org unit (or global for admin).
class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignment"
    __table_args__ = (one_of("role", Role, name="ck_role_assignment_role"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: Role = _id_field(Role, 40)
    portfolio_id: Optional[int] = Field(default=None, foreign_key="portfolio.id")
    org_unit_id: Optional[int] = Field(default=None, foreign_key="org_unit.id")


# Initiative: one digital initiative moving through the lifecycle.
class Initiative(SQLModel, table=True):
    __tablename__ = "initiative"
    __table_args__ = (one_of("stage", Stage, name="ck_initiative_stage"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    need_description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    need_owner: str = Field(default="", max_length=200)
    expected_effects: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    portfolio_id: int = Field(foreign_key="portfolio.id", index=True)
    org_unit_id: Optional[int] = Field(default=None, foreign_key="org_unit.id", index=True)
    lead_id: Optional[int] = Field(default=None, foreign_key="app_user.id", index=True)
    created_by_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    stage: Stage = _id_field(Stage, 40, default=Stage.IDEA, index=True)
    on_hold: bool = False
    hold_review_date: Optional[date] = None
    estimated_cost: Optional[float] = None
    created_at: datetime = _ts()
    stage_entered_at: datetime = _ts()
    # Everyone who has been the implementation lead since the last gate decision (the current lead
    # included): none of them may decide the next gate (separation of duties).
    leads_since_last_gate: list = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=text("'[]'")))
    # Internal: left out of the transparency export (portfolio.public_export). ``internal`` leaves out the whole
    # initiative; each ``..._internal`` flag one text: its own, the stop decision's, or its decisions' rationales.
    internal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    description_internal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    need_description_internal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    expected_effects_internal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    stop_reason_internal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    lessons_learned_internal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    rationale_internal: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Bumped by every write to anything the initiative owns (checklist, benefits, measurements, ...).
    # Read caches key on it; the UPDATE that bumps it is also the initiative's write lock.
    data_version: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    version: int = 1


# Decision owner: who decides one gate (named by the stage it leaves) of one initiative.
class GateDecisionOwner(SQLModel, table=True):
    __tablename__ = "gate_decision_owner"
    __table_args__ = (
        UniqueConstraint("initiative_id", "gate", name="uq_gate_decision_owner"),
        one_of("gate", STAGE_ORDER, name="ck_gate_decision_owner_gate"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    gate: Stage = _id_field(Stage, 40)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    version: int = 1


# Checklist item: created from the stage templates of the process configuration.
class ChecklistItem(SQLModel, table=True):
    __tablename__ = "checklist_item"
    __table_args__ = (
        UniqueConstraint("initiative_id", "stage", "key", name="uq_checklist_item"),
        one_of("status", ChecklistStatus, name="ck_checklist_item_status"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    stage: str = Field(max_length=40)  # a lifecycle stage, or "fast_track" for the fast-track list
    key: str = Field(max_length=80)
    label: str = Field(max_length=300)  # English source text; translated through the catalogue
    required: bool = True
    position: int = 0
    status: ChecklistStatus = _id_field(ChecklistStatus, 20, default=ChecklistStatus.OPEN)
    not_applicable_reason: str = Field(default="", max_length=1000)
    updated_by_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    updated_at: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    version: int = 1


# Gate decision: what a decision owner decided at a gate. Written once, never updated,
# except that the conditions of a conditional go are later marked met.
class GateDecision(SQLModel, table=True):
    __tablename__ = "gate_decision"
    __table_args__ = (
        one_of("outcome", Outcome, name="ck_gate_decision_outcome"),
        one_of("from_stage", Stage, name="ck_gate_decision_from"),
        one_of("to_stage", Stage, name="ck_gate_decision_to"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    outcome: Outcome = _id_field(Outcome, 20)
    from_stage: Stage = _id_field(Stage, 40)
    to_stage: Stage = _id_field(Stage, 40)
    decided_by_id: int = Field(foreign_key="app_user.id")
    decided_at: datetime = _ts()
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    conditions: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    conditions_met: bool = False
    hold_review_date: Optional[date] = None
    stop_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    lessons_learned: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # What a recycle sends back to be redone (empty for every other outcome).
    rework: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


# Audit event: append-only (database triggers refuse UPDATE, DELETE, TRUNCATE and replacing a row).
# Each event is a link of a hash chain: ``hash`` covers its content and ``prev_hash``, the hash of the
# event before it in its chain, so an edited, removed or inserted row breaks the chain. Each
# initiative has a chain of its own (``chain_id`` = its id; 0 for events outside initiatives), so
# appending needs only the initiative's own lock, never a lock shared by every writer.
class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain_id", "seq", name="uq_audit_event_chain_seq"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    chain_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    at: datetime = _ts(index=True)
    user_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=80, index=True)
    entity: str = Field(max_length=80)
    entity_id: Optional[int] = Field(default=None, index=True)
    initiative_id: Optional[int] = Field(default=None, index=True)
    before: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    after: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


# Audit chain head: the last link of one hash chain (id = the chain's id). Locking it orders appends.
class AuditChain(SQLModel, table=True):
    __tablename__ = "audit_chain"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(default="", sa_column=Column(String(64), nullable=False))


# Data version: bumped by writes that belong to no initiative (users, roles, org units, portfolios).
# Writes to an initiative bump ``Initiative.data_version`` instead, so they never queue on one row.
class DataVersion(SQLModel, table=True):
    __tablename__ = "data_version"
    id: int = Field(default=1, primary_key=True)
    value: int = 0


# Database info: one row saying what this database is. A demo database is created as one
# (``portfolio demo``); demo accounts and the demo password work only there.
class DatabaseInfo(SQLModel, table=True):
    __tablename__ = "database_info"
    id: int = Field(default=1, primary_key=True)
    is_demo: bool = False
    created_at: datetime = _ts()


# User session: one signed-in browser. Only hashes are stored: ``handoff_hash`` of the one-time code that
# carries a fresh sign-in to the browser (valid for a minute), then ``token_hash`` of the session cookie.
# A session ends when it has been idle past ``expires_at``, at sign-out, or when its user is deactivated.
class UserSession(SQLModel, table=True):
    __tablename__ = "user_session"
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    handoff_hash: Optional[str] = Field(default=None, max_length=64, sa_column_kwargs={"unique": True})
    token_hash: Optional[str] = Field(default=None, max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()
    expires_at: datetime = _ts()
    ended_at: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    end_reason: str = Field(default="", max_length=20)


# Sign-in failure: one failed sign-in attempt (throttling and the administrators' view).
class SignInFailure(SQLModel, table=True):
    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_username_at", "username", "at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=200)
    at: datetime = _ts()


# Benefit: the fields a user fills in, shared by the table and the input and output models below.
class BenefitBase(SQLModel):
    title: str = Field(sa_type=String(300))
    category: BenefitCategory = _id_field(BenefitCategory, 40)
    recipient: Recipient = _id_field(Recipient, 40)
    kind: BenefitKind = _id_field(BenefitKind, 20, default=BenefitKind.BENEFIT)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    owner_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    planned_realisation_date: Optional[date] = None
    # Money per indicator unit (SEK/NOK), to monetise the indicator's change.
    money_per_unit: Optional[float] = None
    strategic_goal: str = Field(default="", sa_type=String(300))

    keep_unknown_ids = field_validator("category", "recipient", "kind", mode="wrap")(_member_or_as_given)


# Benefit: what an initiative promises (or a dis-benefit it accepts), owned by a line manager.
class Benefit(BenefitBase, table=True):
    __tablename__ = "benefit"
    __table_args__ = (
        one_of("category", BenefitCategory, name="ck_benefit_category"),
        one_of("recipient", Recipient, name="ck_benefit_recipient"),
        one_of("kind", BenefitKind, name="ck_benefit_kind"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    version: int = 1


# Benefit create: the benefit form's input to ``create_benefit``.
class BenefitCreate(BenefitBase):
    pass


# Benefit update: the benefit form's input to ``update_benefit`` (every field, as the form shows them all).
class BenefitUpdate(BenefitBase):
    pass


# Benefit public: a stored benefit as reads hand it out: detached from the session, and frozen.
class BenefitPublic(BenefitBase):
    model_config = ConfigDict(frozen=True)

    id: int
    initiative_id: int
    version: int


# Indicator: the fields a user fills in, shared by the table and the input and output models below.
class IndicatorBase(SQLModel):
    # Short unique code that files and reports use to name the indicator.
    code: str = Field(sa_type=String(64), unique=True, index=True)
    name: str = Field(sa_type=String(300))
    unit: str = Field(default="", sa_type=String(60))
    direction: Direction = _id_field(Direction, 10, default=Direction.HIGHER)
    frequency: Frequency = _id_field(Frequency, 10, default=Frequency.MONTH)
    aggregation: Aggregation = _id_field(Aggregation, 10, default=Aggregation.SUM)
    definition: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    method: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    data_source: str = Field(default="", sa_type=String(300))
    baseline_value: Optional[float] = None
    baseline_date: Optional[date] = None
    baseline_period: str = Field(default="", sa_type=String(100))
    baseline_source: str = Field(default="", sa_type=String(300))
    target_value: Optional[float] = None
    target_date: Optional[date] = None
    amber_tolerance: float = 0.1
    red_tolerance: float = 0.25
    valid_min: Optional[float] = None
    valid_max: Optional[float] = None

    keep_unknown_ids = field_validator("direction", "frequency", "aggregation", mode="wrap")(_member_or_as_given)


# Indicator: how one benefit is measured, against a baseline and a target.
class Indicator(IndicatorBase, table=True):
    __tablename__ = "indicator"
    __table_args__ = (
        one_of("direction", Direction, name="ck_indicator_direction"),
        one_of("frequency", Frequency, name="ck_indicator_frequency"),
        one_of("aggregation", Aggregation, name="ck_indicator_aggregation"),
        CheckConstraint("red_tolerance >= amber_tolerance AND amber_tolerance >= 0", name="ck_indicator_tolerance"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    benefit_id: int = Field(foreign_key="benefit.id", index=True)
    # Set when a locked baseline is revised: the first baseline stays visible beside the revised one.
    original_baseline_value: Optional[float] = None
    deviation_explanation: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # How many cases a year (visits, patients, ...) one unit of improvement counts for: with the benefit's
    # money per unit it turns the indicator into money in the benefit calculation (set there, not in this form).
    volume_per_year: Optional[float] = None
    # The latest period with a value, for any unit: kept by database triggers on measurement (migration 0010),
    # never written by the application, so no write path can leave it behind.
    latest_period: Optional[date] = None
    version: int = 1


# Indicator create: the indicator form's input to ``create_indicator``.
class IndicatorCreate(IndicatorBase):
    pass


# Indicator update: the indicator form's input to ``update_indicator``: every field, the baseline as stored
# (it changes through ``revise_baseline``, which records why).
class IndicatorUpdate(IndicatorBase):
    pass


# Indicator public: a stored indicator as reads hand it out: detached from the session, and frozen.
class IndicatorPublic(IndicatorBase):
    model_config = ConfigDict(frozen=True)

    id: int
    benefit_id: int
    original_baseline_value: Optional[float] = None
    deviation_explanation: str = ""
    volume_per_year: Optional[float] = None
    version: int


# Measurement: one value of one indicator for one period (its first day) and optionally one org unit.
class Measurement(SQLModel, table=True):
    __tablename__ = "measurement"
    __table_args__ = (
        one_of("source", MeasurementSource, name="ck_measurement_source"),
        # One value per indicator, period and unit; a missing unit counts as one key of its own.
        Index("uq_measurement_key", "indicator_id", "period_start", text("coalesce(org_unit_id, 0)"), unique=True),
        # A unit's own figures (a reporter's worklist), found without reading every unit's.
        Index("ix_measurement_unit", "org_unit_id", "indicator_id", "period_start"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id")
    period_start: date
    org_unit_id: Optional[int] = Field(default=None, foreign_key="org_unit.id")
    value: float
    source: MeasurementSource = _id_field(MeasurementSource, 20, default=MeasurementSource.FORM)
    reported_by_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    reported_at: datetime = _ts()
    version: int = 1


# Benefit calculation (nyttokalkyl): the discount rate of an initiative's calculation.
class BenefitCalculation(SQLModel, table=True):
    __tablename__ = "benefit_calculation"
    id: Optional[int] = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", unique=True)
    discount_rate: float = 0.03
    version: int = 1


# One year of a benefit calculation: costs and monetised benefits (with a low/high range).
class CalculationYear(SQLModel, table=True):
    __tablename__ = "calculation_year"
    __table_args__ = (UniqueConstraint("calculation_id", "year", name="uq_calculation_year"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    calculation_id: int = Field(foreign_key="benefit_calculation.id", index=True)
    year: int
    investment: float = 0
    operation: float = 0
    benefit: float = 0
    benefit_low: Optional[float] = None
    benefit_high: Optional[float] = None
    # The expected benefit is the indicators' money (``benefit`` keeps the figure when it was saved), not typed.
    benefit_from_indicators: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


# Report snapshot: the benefit report of one portfolio and period, frozen for a named, dated steering meeting.
# ``payload`` is the report's data as canonical JSON (sorted keys, no spaces) and ``content_hash`` its SHA-256,
# so a snapshot reopens, renders and exports as it was. Immutable: database triggers refuse UPDATE and
# DELETE (and, on SQLite, INSERT OR REPLACE); a row changed behind their back no longer matches its hash.
class ReportSnapshot(SQLModel, table=True):
    __tablename__ = "report_snapshot"
    __table_args__ = (
        UniqueConstraint("portfolio_id", "meeting_name", "meeting_date", name="uq_report_snapshot_meeting"),
        CheckConstraint("period_from <= period_to", name="ck_report_snapshot_period"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    portfolio_id: int = Field(foreign_key="portfolio.id")
    meeting_name: str = Field(max_length=200)
    meeting_date: date
    period_from: date
    period_to: date
    # The language the report was frozen in; it reopens in the same words.
    language: str = Field(max_length=5)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    payload_version: int
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    frozen_by_id: int = Field(foreign_key="app_user.id")
    frozen_at: datetime = _ts()
