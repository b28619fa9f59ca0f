"""SQLModel tables. The schema itself changes only through Alembic migrations (db/migrations).

Mutable rows carry ``version``; actions compare it with the version the user saw and refuse
a stale write (optimistic locking). Stage values are guarded by a check constraint as well
as by the lifecycle machine.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

STAGES = ("idea", "concept", "pilot", "scale_up", "benefits_realisation", "realised", "stopped")
GATE_STAGES = STAGES[:5]
OUTCOMES = ("go", "conditional_go", "hold", "recycle", "stop", "fast_track")
ROLES = ("admin", "portfolio_owner", "implementation_lead", "steering", "reporter")
CHECKLIST_STATUSES = ("open", "done", "not_applicable")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, **kw))


# Org unit: a node in the organisation tree (region, hospital, clinic, ward, municipality, ...).
class OrgUnit(SQLModel, table=True):
    __tablename__ = "org_unit"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
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
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True, index=True)
    display_name: str = Field(max_length=200)
    password_hash: str
    is_demo: bool = False
    is_active: bool = True
    language: str = Field(default="sv", max_length=5)
    version: int = 1


# Role assignment: a role for a user, scoped to a portfolio or an org unit (or global for admin).
class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignment"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="ck_role_assignment_role"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: str = Field(max_length=40)
    portfolio_id: Optional[int] = Field(default=None, foreign_key="portfolio.id")
    org_unit_id: Optional[int] = Field(default=None, foreign_key="org_unit.id")


# Initiative: one digital initiative moving through the lifecycle.
class Initiative(SQLModel, table=True):
    __tablename__ = "initiative"
    __table_args__ = (CheckConstraint(_in("stage", STAGES), name="ck_initiative_stage"),)
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
    stage: str = Field(default="idea", max_length=40, index=True)
    on_hold: bool = False
    hold_review_date: Optional[date] = None
    estimated_cost: Optional[float] = None
    created_at: datetime = _ts()
    stage_entered_at: datetime = _ts()
    version: int = 1


# Decision owner: who decides one gate (named by the stage it leaves) of one initiative.
class GateDecisionOwner(SQLModel, table=True):
    __tablename__ = "gate_decision_owner"
    __table_args__ = (
        UniqueConstraint("initiative_id", "gate", name="uq_gate_decision_owner"),
        CheckConstraint(_in("gate", GATE_STAGES), name="ck_gate_decision_owner_gate"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    gate: str = Field(max_length=40)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    version: int = 1


# Checklist item: created from the stage templates of the process configuration.
class ChecklistItem(SQLModel, table=True):
    __tablename__ = "checklist_item"
    __table_args__ = (
        UniqueConstraint("initiative_id", "stage", "key", name="uq_checklist_item"),
        CheckConstraint(_in("status", CHECKLIST_STATUSES), name="ck_checklist_item_status"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    stage: str = Field(max_length=40)  # a lifecycle stage, or "fast_track" for the fast-track list
    key: str = Field(max_length=80)
    label: str = Field(max_length=300)  # English source text; translated through the catalogue
    required: bool = True
    position: int = 0
    status: str = Field(default="open", max_length=20)
    not_applicable_reason: str = Field(default="", max_length=1000)
    updated_by_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    updated_at: Optional[datetime] = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    version: int = 1


# Gate decision: what a decision owner decided at a gate. Written once, never updated,
# except that the conditions of a conditional go are later marked met.
class GateDecision(SQLModel, table=True):
    __tablename__ = "gate_decision"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="ck_gate_decision_outcome"),
        CheckConstraint(_in("from_stage", STAGES), name="ck_gate_decision_from"),
        CheckConstraint(_in("to_stage", STAGES), name="ck_gate_decision_to"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    outcome: str = Field(max_length=20)
    from_stage: str = Field(max_length=40)
    to_stage: str = Field(max_length=40)
    decided_by_id: int = Field(foreign_key="app_user.id")
    decided_at: datetime = _ts()
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    conditions: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    conditions_met: bool = False
    hold_review_date: Optional[date] = None
    stop_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    lessons_learned: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


# Audit event: append-only (database triggers refuse UPDATE and DELETE).
class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    user_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=80, index=True)
    entity: str = Field(max_length=80)
    entity_id: Optional[int] = Field(default=None, index=True)
    initiative_id: Optional[int] = Field(default=None, index=True)
    before: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    after: Optional[dict] = Field(default=None, sa_column=Column(JSON))


# Data version: one counter bumped by every write, so read caches know when to refresh.
class DataVersion(SQLModel, table=True):
    __tablename__ = "data_version"
    id: int = Field(default=1, primary_key=True)
    value: int = 0
