"""Benefits and indicators of an initiative, baseline locking, deviations, and the benefit calculation with
the money its indicators give."""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, Iterable, Mapping, Optional, Union

from sqlalchemy import func
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
    Measurement,
    User,
)
from portfolio import benefits_math
from portfolio.audit import record, record_changes
from portfolio.errors import FieldProblem, NotFound, ValidationError, has_control_characters, text_problems
from portfolio.i18n import N_, Message
from portfolio.permissions import Actor, initiative_scope, require
from portfolio.measurement_files import typed_number
from portfolio.measurements import parse_number
from portfolio.locking import NOT_FOUND, get_or_refuse, lock_for_edit, lock_initiative_of, stale, touch_initiative
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


# ------------------------------------------------------------------ money from indicators


@dataclass(frozen=True)
class IndicatorMoneyRow:
    """One indicator as the calculation's money inputs show it: what one unit of improvement is worth (its
    benefit's money per unit), the volume per year it counts for, and what it still lacks to give money."""

    indicator_id: int
    version: int
    code: str
    name: str
    unit: str
    money_per_unit: Optional[float]
    volume_per_year: Optional[float]
    # Empty when the indicator gives money; else each thing it lacks, in words.
    missing: tuple[Message, ...]


@dataclass(frozen=True)
class IndicatorMoney:
    """The money the initiative's indicators give: each indicator with its inputs, and per year the planned,
    realised and expected money of those that give money (empty when none does)."""

    indicators: tuple[IndicatorMoneyRow, ...]
    years: dict[int, benefits_math.MoneyYear]

    @property
    def gives_money(self) -> bool:
        """True when at least one indicator turns into money."""
        return any(not row.missing for row in self.indicators)


def _missing_for_money(indicator: Indicator, money_per_unit: Optional[float]) -> tuple[Message, ...]:
    missing = []
    if money_per_unit is None:
        missing.append(Message(N_("Its benefit has no money value per indicator unit.")))
    if indicator.volume_per_year is None:
        missing.append(Message(N_("It has no volume per year.")))
    if indicator.baseline_value is None or indicator.baseline_date is None:
        missing.append(Message(N_("It has no baseline with its date.")))
    if indicator.target_value is None or indicator.target_date is None:
        missing.append(Message(N_("It has no target with its date.")))
    return tuple(missing)


def _values_per_period(session: Session, indicators: dict[int, Indicator]) -> dict[int, list[tuple[date, float]]]:
    """Each indicator's value per period (oldest first), combined across org units by its aggregation in SQL.
    As in the Benefits tab's figures, a value for the whole initiative is the period's figure, never added to
    the units' values."""
    if not indicators:
        return {}
    whole = col(Measurement.org_unit_id).is_(None)
    rows = session.exec(
        select(Measurement.indicator_id, Measurement.period_start, whole, func.sum(Measurement.value),
               func.avg(Measurement.value))
        .where(col(Measurement.indicator_id).in_(list(indicators)))
        .group_by(Measurement.indicator_id, Measurement.period_start, whole)
        .order_by(Measurement.indicator_id, Measurement.period_start, whole)
    ).all()
    combined: dict[tuple[int, date], float] = {}
    for indicator_id, period, _is_whole, total, mean in rows:
        # Ordered units first, then the whole initiative's value, which replaces them.
        value = total if indicators[indicator_id].aggregation == Aggregation.SUM else mean
        combined[(indicator_id, period)] = float(value)
    series: dict[int, list[tuple[date, float]]] = {indicator_id: [] for indicator_id in indicators}
    for (indicator_id, period), value in combined.items():
        series[indicator_id].append((period, value))
    return series


def _money_inputs(session: Session, initiative_id: int
                  ) -> tuple[tuple[IndicatorMoneyRow, ...], list[benefits_math.MonetisedIndicator]]:
    """Every indicator of the initiative with what it lacks for money, and those that give money as plain
    values with their measured series (two queries)."""
    rows = session.exec(
        select(Indicator, Benefit.money_per_unit, Benefit.kind).join(Benefit, Benefit.id == Indicator.benefit_id)
        .where(Benefit.initiative_id == initiative_id).order_by(col(Indicator.id))
    ).all()
    listed = tuple(IndicatorMoneyRow(i.id, i.version, i.code, i.name, i.unit, money, i.volume_per_year,
                                     _missing_for_money(i, money)) for i, money, _kind in rows)
    giving = {i.id: (i, money, kind) for (i, money, kind), row in zip(rows, listed) if not row.missing}
    series = _values_per_period(session, {i_id: i for i_id, (i, _m, _k) in giving.items()})
    monetised = [
        benefits_math.MonetisedIndicator(
            direction=i.direction, frequency=i.frequency, aggregation=i.aggregation, baseline=i.baseline_value,
            target=i.target_value, baseline_date=i.baseline_date, target_date=i.target_date, money_per_unit=money,
            volume_per_year=i.volume_per_year, dis_benefit=kind == BenefitKind.DIS_BENEFIT,
            measured=tuple(series[i.id]))
        for i, money, kind in giving.values()
    ]
    return listed, monetised


@dataclass(frozen=True)
class VolumeInput:
    """The volume per year to give one indicator (None: none, so it gives no money), with the version seen."""

    indicator_id: int
    expected_version: int
    volume_per_year: Optional[float]


def save_volumes(*, session: Session, actor: Actor, initiative_id: int, volumes: list[VolumeInput]) -> None:
    """Set how many cases a year the initiative's indicators count for in money (action "calculation.edit"):
    all or nothing, every problem named by its indicator's code, stale indicators refused, each change audited."""
    touch_initiative(session, initiative_id)
    initiative = get_or_refuse(session, Initiative, initiative_id)
    require("calculation.edit", actor, initiative_scope(session, initiative))
    wanted = [volume.indicator_id for volume in volumes]
    rows = {row.id: row for row in session.exec(
        select(Indicator).where(col(Indicator.id).in_(wanted), col(Indicator.benefit_id).in_(
            select(Benefit.id).where(Benefit.initiative_id == initiative_id))).with_for_update()
    ).all()} if wanted else {}
    problems = []
    for volume in volumes:
        row = rows.get(volume.indicator_id)
        if row is None:
            raise NotFound(Message(NOT_FOUND[Indicator], {"id": volume.indicator_id}))
        if row.version != volume.expected_version:
            raise stale(Indicator)
        value = volume.volume_per_year
        if not _finite(value) or (value is not None and value < 0):
            problems.append(_problem(row.code, N_("{code}: the volume per year must be zero or more."), code=row.code))
    if problems:
        raise ValidationError(problems)
    for volume in volumes:
        record_changes(session=session, user_id=actor.user_id, row=rows[volume.indicator_id],
                       values={"volume_per_year": volume.volume_per_year}, action="indicator.set_volume",
                       entity="indicator", initiative_id=initiative_id)


# ------------------------------------------------------------------ benefit calculation


@dataclass(frozen=True)
class CalculationRow:
    """One year of the calculation as the page shows it: the benefit used (the indicators' current money in a
    year from indicators), where it comes from, and the indicators' planned and realised money beside it."""

    year: int
    investment: float
    operation: float
    benefit: float
    from_indicators: bool
    # The indicators' money in the year; None when no indicator gives money (realised: none is measured).
    planned: Optional[float]
    realised: Optional[float]
    net: float
    discounted_net: float
    cumulative_discounted_net: float


@dataclass(frozen=True)
class CalculationView:
    """A saved calculation: ``years`` as stored (a year from indicators holds their figure when it was saved),
    ``result`` computed with the indicators' current money in the years from indicators, and ``money`` the
    indicators' money in each of its years."""

    discount_rate: float
    version: int
    years: list[benefits_math.CashflowYear]
    result: benefits_math.BenefitCalculation
    money: dict[int, benefits_math.MoneyYear] = field(default_factory=dict)

    @property
    def rows(self) -> list[CalculationRow]:
        """Each year with its costs, the benefit used and its source, planned and realised money, and result."""
        marked = {year.year: year.from_indicators for year in self.years}
        rows = []
        for used in self.result.rows:
            money = self.money.get(used.year)
            rows.append(CalculationRow(
                year=used.year, investment=used.investment, operation=used.operation, benefit=used.benefit,
                from_indicators=marked[used.year], planned=money.planned if money else None,
                realised=money.realised if money else None, net=used.net, discounted_net=used.discounted_net,
                cumulative_discounted_net=used.cumulative_discounted_net))
        return rows


def _stored_calculation(session: Session, initiative_id: int, *, for_update: bool = False
                        ) -> tuple[Optional[BenefitCalculation], list[benefits_math.CashflowYear]]:
    query = select(BenefitCalculation).where(BenefitCalculation.initiative_id == initiative_id)
    calculation = session.exec(query.with_for_update() if for_update else query).first()
    if calculation is None:
        return None, []
    rows = session.exec(
        select(CalculationYear).where(CalculationYear.calculation_id == calculation.id)
        .order_by(col(CalculationYear.year))
    ).all()
    return calculation, [benefits_math.CashflowYear(r.year, r.investment, r.operation, r.benefit, r.benefit_low,
                                                    r.benefit_high, r.benefit_from_indicators) for r in rows]


def _view(calculation: BenefitCalculation, years: list[benefits_math.CashflowYear],
          monetised: list[benefits_math.MonetisedIndicator]) -> CalculationView:
    money = benefits_math.indicator_money(monetised, [y.year for y in years]) if monetised else {}
    used = benefits_math.with_indicator_money(years, money)
    return CalculationView(calculation.discount_rate, calculation.version, years,
                           benefits_math.calculate(used, calculation.discount_rate), money)


def calculation_with_money(*, session: Session, initiative_id: int
                           ) -> tuple[Optional[CalculationView], IndicatorMoney]:
    """The initiative's calculation (None when it has none) and the money its indicators give, per year from
    the first baseline to the last target or measurement and in every year of the calculation."""
    calculation, years = _stored_calculation(session, initiative_id)
    listed, monetised = _money_inputs(session, initiative_id)
    view = _view(calculation, years, monetised) if calculation is not None else None
    covered = benefits_math.money_years(monetised) + [y.year for y in years]
    money = benefits_math.indicator_money(monetised, covered) if monetised else {}
    return view, IndicatorMoney(listed, money)


def get_calculation(*, session: Session, initiative_id: int) -> Optional[CalculationView]:
    """An initiative's benefit calculation, its years and their computed result, or None when it has none."""
    return calculation_with_money(session=session, initiative_id=initiative_id)[0]


def cashflow_years(records: Iterable[Mapping[str, Any]], *, language: str) -> list[benefits_math.CashflowYear]:
    """The calculation table's rows as cash-flow years; a row without a year is left out. Amounts typed as text
    are read as a reader of ``language`` writes numbers (``typed_text_amount``).

    An empty expected benefit (None, NaN or blank) marks the year as from indicators. An empty cost cell counts
    as 0 only when it is None or blank: NaN (a cleared number cell, or text that is no number) stays NaN, so
    that validation names its year. An empty low or high benefit means the expected one.
    """
    years = []
    for r in records:
        if _optional_amount(r["year"]) is None:
            continue
        investment, operation = (typed_text_amount(r[name], language) for name in ("investment", "operation"))
        benefit, low, high = (_cell(r[name], language) for name in ("benefit", "benefit_low", "benefit_high"))
        years.append(benefits_math.CashflowYear(
            int(r["year"]), float(investment or 0), float(operation or 0),
            0.0 if benefit is None else benefit, low, high, from_indicators=benefit is None))
    return years


def _cell(value: Any, language: str) -> Optional[float]:
    """None for an empty cell (None, blank text, or NaN from a number column); else the number, NaN for text
    that is no number (so a typo is refused, never taken for an empty cell)."""
    if isinstance(value, str):
        return typed_text_amount(value, language)
    return _optional_amount(value)


def typed_text_amount(value: Any, language: str) -> Any:
    """A table cell as a number: text as a reader of ``language`` writes numbers ("1 200,5" in sv, "1,200.5"
    in en), blank text as None, and text that is no number as NaN (which validation refuses, naming its row).
    Anything else is returned as it is."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    number = parse_number(typed_number(value, language))
    return math.nan if number is None else number


def editable_years(calculation: Optional[CalculationView], money: Optional[IndicatorMoney],
                   this_year: int) -> list[benefits_math.CashflowYear]:
    """The years the calculation's table starts from: the saved ones; without any, the years the indicators
    give money in, each from indicators; without those, this year with its figures typed (all 0)."""
    if calculation is not None and calculation.years:
        return list(calculation.years)
    if money is not None and money.gives_money and money.years:
        return [benefits_math.CashflowYear(year, from_indicators=True) for year in sorted(money.years)]
    return [benefits_math.CashflowYear(this_year)]


def grid_records(shown: list[Mapping[str, Any]], changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of an editable table as the user left it: ``shown`` (the rows it was drawn with) with ``changes``
    (its edited, deleted and added rows, as the table reports them) applied. Read when a save button is
    clicked, they hold an edit made just before the click, which the table's last drawn value may not."""
    columns = list(shown[0]) if shown else []
    edited = {int(index): change for index, change in changes.get("edited_rows", {}).items()}
    deleted = {int(index) for index in changes.get("deleted_rows", [])}
    rows = [{**row, **edited.get(index, {})} for index, row in enumerate(shown) if index not in deleted]
    return rows + [{**dict.fromkeys(columns), **added} for added in changes.get("added_rows", [])]


def volume_inputs(records: Iterable[Mapping[str, Any]], *, language: str) -> list[VolumeInput]:
    """The volumes table's rows (``indicator_id``, ``version``, the ``shown`` volume and the edited
    ``volume_per_year``, text read as in ``typed_text_amount``) as the inputs of ``save_volumes``: only the rows
    whose volume was changed, so that an indicator someone else edited meanwhile stops the save only when its
    volume was changed too."""
    inputs = []
    for r in records:
        shown, volume = _cell(r["shown"], language), _cell(r["volume_per_year"], language)
        if shown != volume:
            inputs.append(VolumeInput(int(r["indicator_id"]), int(r["version"]), volume))
    return inputs


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

    A year marked ``from_indicators`` takes the indicators' expected money as its benefit (whatever
    ``benefit`` it carries is replaced, and its figure is stored as it is now); the page marks a year so
    when its expected benefit is left empty. Its low and high benefit, when given, must hold that figure.

    The initiative's write lock comes first, so two first saves at once queue: the second finds the
    first's calculation and is refused as stale instead of colliding on the unique key."""
    touch_initiative(session, initiative_id)
    initiative = get_or_refuse(session, Initiative, initiative_id)
    require("calculation.edit", actor, initiative_scope(session, initiative))
    calculation, old_years = _stored_calculation(session, initiative_id, for_update=True)
    if calculation is not None and calculation.version != expected_version:
        raise stale(BenefitCalculation)
    _listed, monetised = _money_inputs(session, initiative_id)
    marked = [year.year for year in years if year.from_indicators]
    money = benefits_math.indicator_money(monetised, marked) if monetised and marked else {}
    # The figure as it is now; the typed range is checked against it, never widened here.
    years = [replace(year, benefit=money[year.year].expected) if year.year in money and year.from_indicators
             else year for year in years]
    problems = []
    if not _finite(discount_rate) or not (0 <= discount_rate < 1):
        problems.append(_problem("discount_rate", N_("The discount rate must be between 0 % and 100 %.")))
    seen: set[int] = set()
    for year in years:
        if year.year in seen:
            problems.append(_problem(str(year.year), N_("Year {year} appears more than once."), year=year.year))
        seen.add(year.year)
        amounts = (year.investment, year.operation, year.benefit, year.benefit_low, year.benefit_high)
        # Without an indicator that gives money, a year from indicators has no expected benefit to range over.
        no_figure = year.from_indicators and not monetised
        if no_figure:
            problems.append(_problem(str(year.year), N_(
                "Year {year}: no indicator gives money yet, so type the expected benefit (a benefit needs a "
                "money value per indicator unit, and its indicator a volume per year, a baseline and a target)."),
                year=year.year))
        if not all(_finite(v) for v in amounts):
            problems.append(_problem(str(year.year), N_("Year {year}: every amount must be a number."), year=year.year))
        elif year.investment < 0 or year.operation < 0:
            problems.append(_problem(str(year.year), N_("Year {year}: costs must not be negative."), year=year.year))
        elif not no_figure and not (year.low <= year.benefit <= year.high):
            problems.append(_problem(str(year.year), N_(
                "Year {year}: the low benefit must not exceed the expected one, nor the expected the high one."),
                year=year.year))
    if problems:
        raise ValidationError(problems)
    before = None
    if calculation is None:
        calculation = BenefitCalculation(initiative_id=initiative_id, discount_rate=discount_rate)
    else:
        before = {"discount_rate": calculation.discount_rate, "years": [asdict(y) for y in old_years]}
        calculation.discount_rate = discount_rate
        calculation.version += 1
        session.exec(delete(CalculationYear).where(CalculationYear.calculation_id == calculation.id))
    session.add(calculation)
    session.flush()
    session.add_all([
        CalculationYear(calculation_id=calculation.id, year=y.year, investment=y.investment, operation=y.operation,
                        benefit=y.benefit, benefit_low=y.benefit_low, benefit_high=y.benefit_high,
                        benefit_from_indicators=y.from_indicators)
        for y in years
    ])
    session.flush()
    record(session=session, user_id=actor.user_id, action="calculation.save", entity="benefit_calculation",
           entity_id=calculation.id, initiative_id=initiative_id, before=before,
           after={"discount_rate": discount_rate, "years": [asdict(y) for y in years]})
    return _view(calculation, sorted(years, key=lambda y: y.year), monetised)
