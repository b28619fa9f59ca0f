"""Factories: build the rows a test needs, with sensible defaults and keyword overrides."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from db.models import ChecklistItem, Initiative, OrgUnit, Portfolio, RoleAssignment, User
from portfolio.auth import hash_password
from portfolio.checklists import create_checklist
from portfolio.decision_queue import PendingGate, my_decisions_page
from portfolio.initiatives import InitiativeCreate, create_initiative
from portfolio.permissions import Actor, load_actor

_seq = itertools.count(1)
# Every factory user's password. Hashing is deliberately slow; tests share one hash of it.
PASSWORD = "secret-password"
_PASSWORD_HASH = hash_password(PASSWORD)


def make_user(session: Session, *, username: str | None = None, role: str | None = None,
              portfolio: Portfolio | None = None, org_unit: OrgUnit | None = None, **fields: Any) -> User:
    n = next(_seq)
    user = User(username=username or f"user{n}", display_name=fields.pop("display_name", f"User {n}"),
                password_hash=fields.pop("password_hash", _PASSWORD_HASH),
                # The page tests read the pages in English; a test of another language says so.
                language=fields.pop("language", "en"), **fields)
    session.add(user)
    session.flush()
    if role:
        session.add(RoleAssignment(user_id=user.id, role=role, portfolio_id=portfolio.id if portfolio else None,
                                   org_unit_id=org_unit.id if org_unit else None))
        session.flush()
    return user


def make_org_unit(session: Session, *, name: str | None = None, parent: OrgUnit | None = None,
                  code: str | None = None) -> OrgUnit:
    """An org unit; ``code`` is its register code, which measurement files may name it by."""
    unit = OrgUnit(name=name or f"Unit {next(_seq)}", parent_id=parent.id if parent else None, code=code)
    session.add(unit)
    session.flush()
    return unit


def make_portfolio(session: Session, *, owner: User | None = None, parent: Portfolio | None = None,
                   owner_decides: bool = False, name: str | None = None) -> Portfolio:
    portfolio = Portfolio(name=name or f"Portfolio {next(_seq)}", owner_id=owner.id if owner else None,
                          parent_id=parent.id if parent else None, owner_decides=owner_decides)
    session.add(portfolio)
    session.flush()
    return portfolio


def actor(session: Session, user: User) -> Actor:
    return load_actor(session=session, user_id=user.id)


def waiting_gates(session: Session, actor: Actor) -> list[PendingGate]:
    """Every gate waiting for ``actor`` in "My decisions", all on one page."""
    return my_decisions_page(session=session, actor=actor, per_page=10_000).gates


def make_initiative(session: Session, *, portfolio: Portfolio, creator: User, lead: User | None = None,
                    stage: str = "idea", ready: bool = False, **fields: Any) -> Initiative:
    """An initiative created through the new-idea action, then placed in ``stage``.

    ``ready=True`` fills in what the rules of the current gate need (fields and checklist).
    """
    unit = fields.pop("org_unit", None) or make_org_unit(session)
    data = InitiativeCreate(
        title=fields.pop("title", f"Initiative {next(_seq)}"), portfolio_id=portfolio.id,
        need_description=fields.pop("need_description", "Long telephone queues" if ready else ""),
        need_owner=fields.pop("need_owner", "Head of primary care" if ready else ""),
        expected_effects=fields.pop("expected_effects", "Shorter waits" if ready else ""),
        org_unit_id=unit.id,
    )
    initiative = create_initiative(session=session, actor=actor(session, creator), data=data)
    # Test set-up places the row in a stage directly; production code moves it only through gates.
    initiative.stage = stage
    initiative.lead_id = lead.id if lead else None
    for name, value in fields.items():
        setattr(initiative, name, value)
    session.add(initiative)
    session.flush()
    if stage not in ("realised", "stopped"):
        create_checklist(session=session, initiative_id=initiative.id, stage=stage)
    if ready:
        complete_checklist(session, initiative, stage)
    return initiative


def complete_checklist(session: Session, initiative: Initiative, stage: str, by: User | None = None) -> None:
    """Mark every item of the ``stage`` checklist done, as completed by ``by`` (default: the initiative's lead,
    who keeps checklists; four eyes keeps whoever completed items from approving their gate alone)."""
    from sqlmodel import select

    for item in session.exec(select(ChecklistItem).where(ChecklistItem.initiative_id == initiative.id,
                                                         ChecklistItem.stage == stage)).all():
        item.status = "done"
        item.updated_by_id = by.id if by else initiative.lead_id
        session.add(item)
    session.flush()


class World:
    """A small organisation: a portfolio with an owner, a lead, a steering member, a reporter,
    an admin, a separate decision owner and a stranger, and one initiative at the idea gate."""

    def __init__(self, session: Session, *, owner_decides: bool = False, stage: str = "idea", ready: bool = True):
        self.owner = make_user(session, username="owner", display_name="Olga Ägare")
        self.portfolio = make_portfolio(session, owner=self.owner, owner_decides=owner_decides)
        session.add(RoleAssignment(user_id=self.owner.id, role="portfolio_owner", portfolio_id=self.portfolio.id))
        self.unit = make_org_unit(session, name="Vårdcentralen Centrum")
        self.lead = make_user(session, username="lead", display_name="Leif Ledare", role="implementation_lead",
                              portfolio=self.portfolio)
        self.steering = make_user(session, username="steering", display_name="Stina Styrgrupp", role="steering",
                                  portfolio=self.portfolio)
        self.reporter = make_user(session, username="reporter", display_name="Rut Rapportør", role="reporter",
                                  org_unit=self.unit)
        self.admin = make_user(session, username="admin", display_name="Ada Admin", role="admin")
        self.stranger = make_user(session, username="stranger", display_name="Sam Främling")
        self.initiative = make_initiative(session, portfolio=self.portfolio, creator=self.lead, lead=self.lead,
                                          stage=stage, ready=ready, org_unit=self.unit, title="Digital triage")
        self.users = {"owner": self.owner, "lead": self.lead, "steering": self.steering, "reporter": self.reporter,
                      "admin": self.admin, "stranger": self.stranger}


# ---------------------------------------------------------------- helpers for the domain suite


def make_decision_owner(session: Session, initiative: Initiative, user: User, gate: str | None = None):
    """Record ``user`` as the decision owner of ``gate`` (default: the initiative's current stage),
    directly in the table (test set-up; production code reassigns through ``assign_decision_owner``)."""
    from sqlmodel import select

    from db.models import GateDecisionOwner

    gate = gate or initiative.stage
    row = session.exec(select(GateDecisionOwner).where(GateDecisionOwner.initiative_id == initiative.id,
                                                       GateDecisionOwner.gate == gate)).first()
    if row is None:
        row = GateDecisionOwner(initiative_id=initiative.id, gate=gate, user_id=user.id)
    else:
        row.user_id = user.id
    session.add(row)
    session.flush()
    return row


def checklist_items(session: Session, initiative_id: int, stage: str) -> list[ChecklistItem]:
    from sqlmodel import col, select

    return list(session.exec(select(ChecklistItem).where(ChecklistItem.initiative_id == initiative_id,
                                                         ChecklistItem.stage == stage)
                             .order_by(col(ChecklistItem.position))).all())


def snapshot(engine, initiative_id: int | None = None) -> dict[str, Any]:
    """What a refused action must leave unchanged: the initiative's stage, version and hold, and the
    rows of every table an action writes (counted over the whole database)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from db.engine import read_session
    from db.models import AuditEvent, GateDecision, GateDecisionOwner
    from portfolio.audit import data_version

    with read_session(engine) as session:
        state: dict[str, Any] = {
            "data_version": data_version(session),
            "users": session.exec(select(func.count()).select_from(User)).one(),
            "initiatives": session.exec(select(func.count()).select_from(Initiative)).one(),
            "decisions": session.exec(select(func.count()).select_from(GateDecision)).one(),
            "audit_events": session.exec(select(func.count()).select_from(AuditEvent)).one(),
            "checklist": [
                (i.id, i.stage, i.key, i.status, i.not_applicable_reason, i.version)
                for i in session.exec(select(ChecklistItem).order_by(col(ChecklistItem.id))).all()
            ],
            "decision_owners": [
                (o.initiative_id, o.gate, o.user_id, o.version)
                for o in session.exec(select(GateDecisionOwner).order_by(col(GateDecisionOwner.id))).all()
            ],
        }
        if initiative_id is not None:
            initiative = session.get(Initiative, initiative_id)
            state.update(stage=initiative.stage, version=initiative.version, on_hold=initiative.on_hold,
                         hold_review_date=initiative.hold_review_date, title=initiative.title)
        return state


def assert_refused(engine, initiative_id: int | None, error_type: type, messages: list[str], action) -> None:
    """Run ``action(session)`` in its own transaction; it must raise ``error_type`` with exactly
    ``messages`` (English) and leave the database as it was."""
    import pytest

    from db.engine import write_session

    before = snapshot(engine, initiative_id)
    with pytest.raises(error_type) as error:
        with write_session(engine) as session:
            action(session)
    assert error.value.render("en") == messages
    assert snapshot(engine, initiative_id) == before


# ---------------------------------------------------------------- helpers for the benefits suite


def make_benefit(session: Session, initiative: Initiative, *, by: User | None = None, owner: User | None = None,
                 **fields: Any):
    """A benefit created through ``create_benefit`` by ``by`` (default: the initiative's lead)."""
    from portfolio.benefits import BenefitInput, create_benefit

    by_id = by.id if by else initiative.lead_id
    data = BenefitInput(title=fields.pop("title", f"Benefit {next(_seq)}"),
                        category=fields.pop("category", "access_waiting_times"),
                        recipient=fields.pop("recipient", "patients_citizens"),
                        owner_id=owner.id if owner else None, **fields)
    return create_benefit(session=session, actor=load_actor(session=session, user_id=by_id),
                          initiative_id=initiative.id, data=data)


def make_indicator(session: Session, benefit, *, by: User | None = None, **fields: Any):
    """An indicator created through ``create_indicator`` by ``by`` (default: the initiative's lead).
    A baseline or target value without a date gets 2025-01-01 / 2026-01-01."""
    from datetime import date

    from portfolio.benefits import IndicatorInput, create_indicator

    n = next(_seq)
    fields.setdefault("code", f"IND-{n}")
    fields.setdefault("name", f"Indicator {n}")
    if fields.get("baseline_value") is not None:
        fields.setdefault("baseline_date", date(2025, 1, 1))
    if fields.get("target_value") is not None:
        fields.setdefault("target_date", date(2026, 1, 1))
    by_id = by.id if by else session.get(Initiative, benefit.initiative_id).lead_id
    return create_indicator(session=session, actor=load_actor(session=session, user_id=by_id),
                            benefit_id=benefit.id, data=IndicatorInput(**fields))


def make_measurement(session: Session, indicator, *, period, value: float, org_unit: OrgUnit | None = None,
                     by: User | None = None):
    """One stored measurement, inserted directly (test set-up; imports go through ``import_measurements``)."""
    from db.models import Measurement

    row = Measurement(indicator_id=indicator.id, period_start=period, value=value,
                      org_unit_id=org_unit.id if org_unit else None, reported_by_id=by.id if by else None)
    session.add(row)
    session.flush()
    return row


def make_calculation(session: Session, initiative: Initiative, years, *, discount_rate: float = 0.03,
                     by: User | None = None):
    """The initiative's benefit calculation, saved through ``save_calculation`` by ``by`` (default: the lead);
    ``years`` are ``benefits_math.CashflowYear``s."""
    from portfolio.benefits import save_calculation

    by_id = by.id if by else initiative.lead_id
    return save_calculation(session=session, actor=load_actor(session=session, user_id=by_id),
                            initiative_id=initiative.id, expected_version=None, discount_rate=discount_rate,
                            years=list(years))


def benefits_snapshot(engine) -> dict[str, Any]:
    """What a refused benefits action must leave unchanged: measurements with their values, indicators
    (baseline, original baseline, explanation, version), benefits, calculations, audit count, data version."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from db.engine import read_session
    from db.models import AuditEvent, Benefit, BenefitCalculation, CalculationYear, Indicator, Measurement
    from portfolio.audit import data_version

    with read_session(engine) as session:
        return {
            "measurements": [(m.indicator_id, m.period_start, m.org_unit_id, m.value, m.version)
                             for m in session.exec(select(Measurement).order_by(col(Measurement.id))).all()],
            "indicators": [(i.id, i.code, i.baseline_value, i.original_baseline_value, i.deviation_explanation,
                            i.version) for i in session.exec(select(Indicator).order_by(col(Indicator.id))).all()],
            "benefits": [(b.id, b.title, b.owner_id, b.version)
                         for b in session.exec(select(Benefit).order_by(col(Benefit.id))).all()],
            "calculations": [(c.id, c.discount_rate, c.version) for c in session.exec(
                select(BenefitCalculation).order_by(col(BenefitCalculation.id))).all()],
            "calculation_years": [(y.calculation_id, y.year, y.investment, y.operation, y.benefit, y.benefit_low,
                                   y.benefit_high) for y in session.exec(
                select(CalculationYear).order_by(col(CalculationYear.id))).all()],
            "audit_events": session.exec(select(func.count()).select_from(AuditEvent)).one(),
            "data_version": data_version(session),
        }


def at_once(*works) -> list[object]:
    """Run each ``work()`` in its own thread, all released together (a race on purpose); per work its
    result, or the exception it raised."""
    import threading

    barrier = threading.Barrier(len(works), timeout=30)
    results: list[object] = [None] * len(works)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = works[index]()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results
