"""Benefits and indicators of an initiative, baseline locking, deviations, and the benefit calculation."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping, Optional, Union

from sqlmodel import Session, col, delete, select

from db.models import (
    Benefit,
    BenefitCalculation,
    BenefitCreate,
    BenefitPublic,
    BenefitUpdate,
    CalculationYear,
    GateDecision,
    Indicator,
    IndicatorCreate,
    IndicatorPublic,
    IndicatorUpdate,
    Initiative,
    User,
)
from portfolio import benefits_math
from portfolio.audit import record, record_changes
from portfolio.errors import FieldProblem, ValidationError, has_control_characters, text_problems
from portfolio.i18n import N_, Message
from portfolio.permissions import Actor, initiative_scope, require
from portfolio.locking import get_or_refuse, lock_for_edit, lock_initiative_of, stale, touch_initiative
from workflows.lifecycle import FORWARD_OUTCOMES
from workflows.vocabulary import Aggregation, BenefitCategory, BenefitKind, Direction, Frequency, Recipient, Stage

def _problem(field_name: str, msgid: str, **params) -> FieldProblem:
    return FieldProblem(field_name, Message(msgid, params))


def _blank(text: Optional[str]) -> bool:
    return not (text or "").strip()


def _finite(value: Optional[float]) -> bool:
    return value is None or (isinstance(value, (int, float)) and math.isfinite(value))


# ------------------------------------------------------------------ benefits


# The benefit form's input, under the name the pages use until they name BenefitCreate and BenefitUpdate.
BenefitInput = BenefitCreate


def _check_benefit(session: Session, data: Union[BenefitCreate, BenefitUpdate]) -> list[FieldProblem]:
    problems = []
    if _blank(data.title):
        problems.append(_problem("title", N_("The title must not be empty.")))
    if not BenefitCategory.has(data.category):
        problems.append(_problem("category", N_("Choose a category.")))
    if not Recipient.has(data.recipient):
        problems.append(_problem("recipient", N_("Choose a recipient.")))
    if not BenefitKind.has(data.kind):
        problems.append(_problem("kind", N_("Choose benefit or dis-benefit.")))
    if data.owner_id is not None and session.get(User, data.owner_id) is None:
        problems.append(_problem("owner_id", N_("The benefit owner does not exist.")))
    if not _finite(data.money_per_unit) or (data.money_per_unit is not None and data.money_per_unit < 0):
        problems.append(_problem("money_per_unit", N_("The money value per unit must be zero or more.")))
    return problems + text_problems(Benefit, dict(data))


def create_benefit(*, session: Session, actor: Actor, initiative_id: int, data: BenefitCreate) -> Benefit:
    """Add a benefit to an initiative (action "benefit.edit")."""
    touch_initiative(session, initiative_id)
    initiative = get_or_refuse(session, Initiative, initiative_id)
    require("benefit.edit", actor, initiative_scope(session, initiative))
    problems = _check_benefit(session, data)
    if problems:
        raise ValidationError(problems)
    benefit = Benefit(initiative_id=initiative_id, **{**dict(data), "title": data.title.strip()})
    session.add(benefit)
    session.flush()
    record(session=session, user_id=actor.user_id, action="benefit.create", entity="benefit", entity_id=benefit.id,
           initiative_id=initiative_id, after=dict(data))
    return benefit


def update_benefit(
    *, session: Session, actor: Actor, benefit_id: int, expected_version: int, data: BenefitUpdate
) -> Benefit:
    """Change a benefit (its owner, date, value, ...): every field checked, stale edits refused, audited."""
    benefit = lock_for_edit(session, Benefit, benefit_id, expected_version)
    require("benefit.edit", actor, initiative_scope(session, get_or_refuse(session, Initiative, benefit.initiative_id)))
    problems = _check_benefit(session, data)
    if problems:
        raise ValidationError(problems)
    record_changes(session=session, user_id=actor.user_id, row=benefit,
                   values={**dict(data), "title": data.title.strip()}, action="benefit.update",
                   entity="benefit", initiative_id=benefit.initiative_id)
    return benefit


# ------------------------------------------------------------------ indicators


# The indicator form's input, under the name the pages use until they name IndicatorCreate and IndicatorUpdate.
IndicatorInput = IndicatorCreate


def _check_indicator(session: Session, data: Union[IndicatorCreate, IndicatorUpdate],
                     indicator_id: Optional[int] = None) -> list[FieldProblem]:
    problems = []
    code = data.code.strip()
    if not code:
        problems.append(_problem("code", N_("The indicator code must not be empty.")))
    elif not has_control_characters(code) and session.exec(
            select(Indicator.id).where(Indicator.code == code, Indicator.id != indicator_id)).first():
        problems.append(_problem("code", N_("The indicator code {code} is already used."), code=code))
    if _blank(data.name):
        problems.append(_problem("name", N_("The indicator name must not be empty.")))
    if not Direction.has(data.direction):
        problems.append(_problem("direction", N_("Choose whether higher or lower is better.")))
    if not Frequency.has(data.frequency):
        problems.append(_problem("frequency", N_("Choose how often the indicator is measured.")))
    if not Aggregation.has(data.aggregation):
        problems.append(_problem("aggregation", N_("Choose how values combine across units.")))
    for name in ("baseline_value", "target_value", "valid_min", "valid_max", "amber_tolerance", "red_tolerance"):
        if not _finite(getattr(data, name)):
            problems.append(_problem(name, N_("{field} must be a number."), field=name))
    if not (0 <= data.amber_tolerance <= data.red_tolerance):
        problems.append(_problem("red_tolerance", N_(
            "The tolerances must satisfy 0 ≤ amber ≤ red.")))
    if data.valid_min is not None and data.valid_max is not None and data.valid_min > data.valid_max:
        problems.append(_problem("valid_max", N_("The valid range is empty: its minimum is above its maximum.")))
    for name in ("baseline_value", "target_value"):
        value = getattr(data, name)
        if value is not None and not _in_range(value, data.valid_min, data.valid_max):
            problems.append(_problem(name, N_("{field} is outside the valid range."), field=name))
    problems += _target_side_problems(data.direction, data.baseline_value, data.target_value)
    if data.baseline_value is not None and data.baseline_date is None:
        problems.append(_problem("baseline_date", N_("Give the date the baseline was measured.")))
    if data.target_value is not None and data.target_date is None:
        problems.append(_problem("target_date", N_("Give the date the target should be reached.")))
    if data.baseline_date and data.target_date and data.target_date <= data.baseline_date:
        problems.append(_problem("target_date", N_("The target date must come after the baseline date.")))
    return problems + text_problems(Indicator, dict(data))


def _target_side_problems(direction: str, baseline: Optional[float], target: Optional[float]) -> list[FieldProblem]:
    """A target on the wrong side of the baseline would show progress and "on track" for getting worse.
    A target equal to the baseline is allowed: it means "hold the level", which progress_to_target handles."""
    if baseline is None or target is None or not (_finite(baseline) and _finite(target)):
        return []
    if direction == Direction.HIGHER and target < baseline:
        return [_problem("target_value", N_(
            "The target must be above the baseline, because higher is better for this indicator."))]
    if direction == Direction.LOWER and target > baseline:
        return [_problem("target_value", N_(
            "The target must be below the baseline, because lower is better for this indicator."))]
    return []


def _in_range(value: float, low: Optional[float], high: Optional[float]) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def create_indicator(*, session: Session, actor: Actor, benefit_id: int, data: IndicatorCreate) -> Indicator:
    """Add an indicator to a benefit (action "benefit.edit")."""
    lock_initiative_of(session, Benefit, benefit_id)
    benefit = get_or_refuse(session, Benefit, benefit_id)
    require("benefit.edit", actor, initiative_scope(session, get_or_refuse(session, Initiative, benefit.initiative_id)))
    problems = _check_indicator(session, data)
    if problems:
        raise ValidationError(problems)
    indicator = Indicator(benefit_id=benefit_id, **{**dict(data), "code": data.code.strip(),
                                                    "name": data.name.strip()})
    session.add(indicator)
    session.flush()
    record(session=session, user_id=actor.user_id, action="indicator.create", entity="indicator",
           entity_id=indicator.id, initiative_id=benefit.initiative_id, after=dict(data))
    return indicator


def update_indicator(
    *, session: Session, actor: Actor, indicator_id: int, expected_version: int, data: IndicatorUpdate
) -> Indicator:
    """Change an indicator's description, target, tolerances or valid range.

    The baseline changes only through ``revise_baseline`` (which knows about the lock), and the code
    and frequency stay as they are once values have been reported against them.
    """
    from db.models import Measurement

    indicator, benefit = _lock_indicator(session, indicator_id, expected_version)
    require("benefit.edit", actor, initiative_scope(session, get_or_refuse(session, Initiative, benefit.initiative_id)))
    problems = _check_indicator(session, data, indicator_id)
    if (data.baseline_value, data.baseline_date) != (indicator.baseline_value, indicator.baseline_date):
        problems.append(_problem("baseline_value", N_(
            "The baseline is changed with its own form, which records why.")))
    measured = session.exec(select(Measurement.id).where(Measurement.indicator_id == indicator_id)).first()
    if measured is not None:
        if data.code.strip() != indicator.code:
            problems.append(_problem("code", N_("The code cannot change once values are reported with it.")))
        if data.frequency != indicator.frequency:
            problems.append(_problem("frequency", N_(
                "The frequency cannot change once values are reported for its periods.")))
    if problems:
        raise ValidationError(problems)
    record_changes(session=session, user_id=actor.user_id, row=indicator,
                   values={**dict(data), "code": data.code.strip(), "name": data.name.strip()},
                   action="indicator.update", entity="indicator", initiative_id=benefit.initiative_id)
    return indicator


def baseline_locked(session: Session, initiative_id: int) -> bool:
    """True once the pilot gate is passed (a forward decision into scale-up, fast track included)."""
    return session.exec(
        select(GateDecision.id).where(
            GateDecision.initiative_id == initiative_id,
            GateDecision.to_stage == Stage.SCALE_UP,
            col(GateDecision.outcome).in_(FORWARD_OUTCOMES),
        )
    ).first() is not None


def _lock_indicator(session: Session, indicator_id: int, expected_version: int) -> tuple[Indicator, Benefit]:
    indicator = lock_for_edit(session, Indicator, indicator_id, expected_version)
    return indicator, session.get(Benefit, indicator.benefit_id)


def revise_baseline(
    *, session: Session, actor: Actor, indicator_id: int, expected_version: int, baseline_value: float,
    reason: str = "", baseline_date: Optional[date] = None,
) -> Indicator:
    """Change a baseline. After the pilot gate only the portfolio owner may, with a written reason;
    the original baseline is kept and shown beside the revised one."""
    indicator, benefit = _lock_indicator(session, indicator_id, expected_version)
    initiative = get_or_refuse(session, Initiative, benefit.initiative_id)
    scope = initiative_scope(session, initiative)
    locked = baseline_locked(session, initiative.id)
    require("baseline.revise_locked" if locked else "benefit.edit", actor, scope)
    problems = []
    if not _finite(baseline_value) or baseline_value is None:
        problems.append(_problem("baseline_value", N_("{field} must be a number."), field="baseline_value"))
    elif not _in_range(baseline_value, indicator.valid_min, indicator.valid_max):
        problems.append(_problem("baseline_value", N_("{field} is outside the valid range."), field="baseline_value"))
    new_date = baseline_date or indicator.baseline_date
    if new_date is None:
        problems.append(_problem("baseline_date", N_("Give the date the baseline was measured.")))
    elif indicator.target_date is not None and indicator.target_date <= new_date:
        problems.append(_problem("baseline_date", N_("The target date must come after the baseline date.")))
    if baseline_value is not None and _finite(baseline_value):
        # A revised baseline must leave the target on the side the indicator points to, as at creation.
        problems += _target_side_problems(indicator.direction, baseline_value, indicator.target_value)
    if locked and _blank(reason):
        problems.append(_problem("reason", N_("Give a reason for changing a locked baseline.")))
    problems += text_problems(None, {"reason": reason})
    if problems:
        raise ValidationError(problems)
    before = {"baseline_value": indicator.baseline_value, "baseline_date": indicator.baseline_date,
              "original_baseline_value": indicator.original_baseline_value}
    if locked and indicator.original_baseline_value is None:
        indicator.original_baseline_value = indicator.baseline_value
    indicator.baseline_value = baseline_value
    indicator.baseline_date = new_date
    indicator.version += 1
    session.add(indicator)
    record(session=session, user_id=actor.user_id, action="indicator.revise_baseline", entity="indicator",
           entity_id=indicator.id, initiative_id=initiative.id, before=before,
           after={"baseline_value": baseline_value, "baseline_date": new_date,
                  "original_baseline_value": indicator.original_baseline_value,
                  "locked": locked, "reason": reason.strip()})
    return indicator


def explain_deviation(
    *, session: Session, actor: Actor, indicator_id: int, expected_version: int, explanation: str
) -> Indicator:
    """Record why an indicator did not reach its target (the realisation gate accepts an explained deviation)."""
    indicator, benefit = _lock_indicator(session, indicator_id, expected_version)
    initiative = get_or_refuse(session, Initiative, benefit.initiative_id)
    require("deviation.explain", actor, initiative_scope(session, initiative))
    if problems := text_problems(Indicator, {"deviation_explanation": explanation}):
        raise ValidationError(problems)
    before = {"deviation_explanation": indicator.deviation_explanation}
    indicator.deviation_explanation = explanation.strip()
    indicator.version += 1
    session.add(indicator)
    record(session=session, user_id=actor.user_id, action="indicator.explain_deviation", entity="indicator",
           entity_id=indicator.id, initiative_id=initiative.id, before=before,
           after={"deviation_explanation": indicator.deviation_explanation})
    return indicator


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class BenefitWithIndicators:
    benefit: BenefitPublic
    owner: Optional[str]
    indicators: list[IndicatorPublic] = field(default_factory=list)


def benefits_of(session: Session, initiative_id: int) -> list[BenefitWithIndicators]:
    """The benefits of an initiative with their indicators (read models, not rows), in two queries."""
    rows = session.exec(
        select(Benefit, User.display_name)
        .join(User, col(Benefit.owner_id) == User.id, isouter=True)
        .where(Benefit.initiative_id == initiative_id)
        .order_by(col(Benefit.id))
    ).all()
    indicators = session.exec(
        select(Indicator).join(Benefit, Benefit.id == Indicator.benefit_id)
        .where(Benefit.initiative_id == initiative_id).order_by(col(Indicator.id))
    ).all()
    by_benefit: dict[int, list[IndicatorPublic]] = {benefit.id: [] for benefit, _ in rows}
    for indicator in indicators:
        by_benefit[indicator.benefit_id].append(IndicatorPublic.model_validate(indicator))
    return [BenefitWithIndicators(BenefitPublic.model_validate(benefit), owner, by_benefit[benefit.id])
            for benefit, owner in rows]


# ------------------------------------------------------------------ benefit calculation


@dataclass(frozen=True)
class CalculationView:
    discount_rate: float
    version: int
    years: list[benefits_math.CashflowYear]
    result: benefits_math.BenefitCalculation


def get_calculation(*, session: Session, initiative_id: int) -> Optional[CalculationView]:
    """An initiative's benefit calculation, its years and their computed result, or None when it has none."""
    calculation = session.exec(
        select(BenefitCalculation).where(BenefitCalculation.initiative_id == initiative_id)
    ).first()
    if calculation is None:
        return None
    rows = session.exec(
        select(CalculationYear).where(CalculationYear.calculation_id == calculation.id)
        .order_by(col(CalculationYear.year))
    ).all()
    years = [benefits_math.CashflowYear(r.year, r.investment, r.operation, r.benefit, r.benefit_low, r.benefit_high)
             for r in rows]
    return CalculationView(calculation.discount_rate, calculation.version, years,
                           benefits_math.calculate(years, calculation.discount_rate))


def cashflow_years(records: Iterable[Mapping[str, Any]]) -> list[benefits_math.CashflowYear]:
    """The calculation table's rows as cash-flow years; a row without a year is left out.

    An empty cost or expected benefit cell counts as 0 only when it is None: NaN (a cleared cell) stays
    NaN, so that validation names its year. An empty low or high benefit means the expected one.
    """
    return [
        benefits_math.CashflowYear(int(r["year"]), float(r["investment"] or 0), float(r["operation"] or 0),
                                   float(r["benefit"] or 0), _optional_amount(r["benefit_low"]),
                                   _optional_amount(r["benefit_high"]))
        for r in records if _optional_amount(r["year"]) is not None
    ]


def _optional_amount(value: Any) -> Optional[float]:
    # A table's empty cell arrives as None or as NaN.
    if value is None or (isinstance(value, numbers.Real) and math.isnan(value)):
        return None
    return float(value)


def save_calculation(
    *, session: Session, actor: Actor, initiative_id: int, expected_version: Optional[int], discount_rate: float,
    years: list[benefits_math.CashflowYear],
) -> CalculationView:
    """Replace the calculation's years and rate (all or nothing; every problem names its year).

    The initiative's write lock comes first, so two first saves at once queue: the second finds the
    first's calculation and is refused as stale instead of colliding on the unique key."""
    touch_initiative(session, initiative_id)
    initiative = get_or_refuse(session, Initiative, initiative_id)
    require("calculation.edit", actor, initiative_scope(session, initiative))
    calculation = session.exec(
        select(BenefitCalculation).where(BenefitCalculation.initiative_id == initiative_id).with_for_update()
    ).first()
    if calculation is not None and calculation.version != expected_version:
        raise stale(BenefitCalculation)
    problems = []
    if not _finite(discount_rate) or not (0 <= discount_rate < 1):
        problems.append(_problem("discount_rate", N_("The discount rate must be between 0 % and 100 %.")))
    seen: set[int] = set()
    for year in years:
        if year.year in seen:
            problems.append(_problem(str(year.year), N_("Year {year} appears more than once."), year=year.year))
        seen.add(year.year)
        amounts = (year.investment, year.operation, year.benefit, year.benefit_low, year.benefit_high)
        if not all(_finite(v) for v in amounts):
            problems.append(_problem(str(year.year), N_("Year {year}: every amount must be a number."), year=year.year))
        elif year.investment < 0 or year.operation < 0:
            problems.append(_problem(str(year.year), N_("Year {year}: costs must not be negative."), year=year.year))
        elif not (year.low <= year.benefit <= year.high):
            problems.append(_problem(str(year.year), N_(
                "Year {year}: the low benefit must not exceed the expected one, nor the expected the high one."),
                year=year.year))
    if problems:
        raise ValidationError(problems)
    before = None
    if calculation is None:
        calculation = BenefitCalculation(initiative_id=initiative_id, discount_rate=discount_rate)
    else:
        old = get_calculation(session=session, initiative_id=initiative_id)
        before = {"discount_rate": old.discount_rate, "years": [asdict(y) for y in old.years]}
        calculation.discount_rate = discount_rate
        calculation.version += 1
        session.exec(delete(CalculationYear).where(CalculationYear.calculation_id == calculation.id))
    session.add(calculation)
    session.flush()
    session.add_all([
        CalculationYear(calculation_id=calculation.id, year=y.year, investment=y.investment, operation=y.operation,
                        benefit=y.benefit, benefit_low=y.benefit_low, benefit_high=y.benefit_high)
        for y in years
    ])
    session.flush()
    record(session=session, user_id=actor.user_id, action="calculation.save", entity="benefit_calculation",
           entity_id=calculation.id, initiative_id=initiative_id, before=before,
           after={"discount_rate": discount_rate, "years": [asdict(y) for y in years]})
    return get_calculation(session=session, initiative_id=initiative_id)
