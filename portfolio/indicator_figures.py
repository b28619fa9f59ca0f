"""The read-side indicator figures: each indicator's series per period, latest value, progress, status and
overdue flag, and the breakdown per org unit, all computed from stored measurements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Optional, Union

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from db.models import Benefit, Indicator, IndicatorBase, IndicatorPublic, Measurement, OrgUnit
from portfolio import benefits_math
from portfolio.benefits import baseline_locked, benefits_of
from workflows.vocabulary import Aggregation, IndicatorStatus


def _latest_periods(indicator_ids: Union[list[int], Select]):
    """Each indicator's latest period, as the database keeps it on the indicator (no probe of the
    measurements)."""
    return select(Indicator.id.label("indicator_id"), col(Indicator.latest_period).label("period")).where(
        col(Indicator.id).in_(indicator_ids)).subquery("latest")


def _per_period(session: Session, indicator_ids: Union[list[int], Select],
                latest_only: bool = False) -> dict[int, list[tuple]]:
    """Per indicator and period (oldest first): the sum and mean of the values, computed in SQL.

    ``indicator_ids`` is a list of ids or a SQL selection of them (joined in, so no statement binds
    one parameter per indicator). A value reported for the whole initiative (no org unit) is the
    period's figure; otherwise the org units' values are combined. Mixing the two would count the
    same work twice.
    """
    if isinstance(indicator_ids, list) and not indicator_ids:
        return {}
    whole = col(Measurement.org_unit_id).is_(None)
    query = (
        select(Measurement.indicator_id, Measurement.period_start, whole.label("whole"),
               func.sum(Measurement.value), func.avg(Measurement.value))
        .group_by(Measurement.indicator_id, Measurement.period_start, whole)
        .order_by(Measurement.indicator_id, Measurement.period_start, whole)
    )
    if latest_only:
        latest = _latest_periods(indicator_ids)
        query = query.join(latest, (latest.c.indicator_id == Measurement.indicator_id)
                           & (latest.c.period == Measurement.period_start))
    else:
        query = query.where(col(Measurement.indicator_id).in_(indicator_ids))
    result: dict[int, list[tuple]] = defaultdict(list)
    for indicator_id, period, is_whole, total, mean in session.exec(query).all():
        points = result[indicator_id]
        if points and points[-1][0] == period:
            if is_whole:  # ordered after the units' row of the same period: it replaces it
                points[-1] = (period, total, mean)
            continue
        points.append((period, total, mean))
    return result


def _pick(aggregation: Aggregation, total: float, mean: float) -> float:
    return float(total) if aggregation == Aggregation.SUM else float(mean)


def _progress(indicator: IndicatorBase, value: Optional[float]) -> Optional[float]:
    return benefits_math.progress_to_target(indicator.baseline_value, indicator.target_value, value,
                                            direction=indicator.direction)


def _status(indicator: IndicatorBase, period: Optional[date], value: Optional[float]) -> IndicatorStatus:
    if indicator.baseline_date is None or indicator.target_date is None:
        return IndicatorStatus.UNKNOWN
    return benefits_math.status(
        baseline=indicator.baseline_value, target=indicator.target_value, baseline_date=indicator.baseline_date,
        target_date=indicator.target_date, direction=indicator.direction, latest=value,
        latest_date=period, amber_tolerance=indicator.amber_tolerance, red_tolerance=indicator.red_tolerance,
    )


@dataclass(frozen=True)
class IndicatorPlan:
    """What an indicator's chart draws besides its values: its name and unit, baseline (and the original
    one, when revised), target, and the dates of the planned straight path between them."""

    name: str
    unit: str
    baseline_value: Optional[float]
    original_baseline_value: Optional[float]
    target_value: Optional[float]
    baseline_date: Optional[date]
    target_date: Optional[date]

    @classmethod
    def of(cls, indicator: Union[Indicator, IndicatorPublic]) -> "IndicatorPlan":
        """The plan of a stored indicator, as plain values."""
        return cls(indicator.name, indicator.unit, indicator.baseline_value, indicator.original_baseline_value,
                   indicator.target_value, indicator.baseline_date, indicator.target_date)


@dataclass(frozen=True)
class IndicatorSummary:
    indicator: IndicatorPublic
    benefit_id: int
    series: list[tuple[date, float]]
    latest_period: Optional[date]
    latest_value: Optional[float]
    progress: Optional[float]
    status: IndicatorStatus
    overdue: bool


def indicator_summaries(*, session: Session, initiative_id: int, today: Optional[date] = None) -> list[IndicatorSummary]:
    """Each indicator of the initiative with its combined series per period, progress, status and overdue flag."""
    today = today or date.today()
    indicators = session.exec(
        select(Indicator).join(Benefit, Benefit.id == Indicator.benefit_id)
        .where(Benefit.initiative_id == initiative_id).order_by(col(Indicator.id))
    ).all()
    if not indicators:
        return []
    by_indicator = {i.id: i for i in indicators}
    series = {
        indicator_id: [(period, _pick(by_indicator[indicator_id].aggregation, total, mean))
                       for period, total, mean in points]
        for indicator_id, points in _per_period(session, list(by_indicator)).items()
    }
    summaries = []
    for indicator in indicators:
        points = series.get(indicator.id, [])
        period, value = points[-1] if points else (None, None)
        summaries.append(IndicatorSummary(
            indicator=IndicatorPublic.model_validate(indicator), benefit_id=indicator.benefit_id, series=points,
            latest_period=period, latest_value=value, progress=_progress(indicator, value),
            status=_status(indicator, period, value),
            overdue=benefits_math.is_overdue(indicator.frequency, period, today),
        ))
    return summaries


@dataclass(frozen=True)
class UnitFigure:
    org_unit_id: int
    name: str
    depth: int
    value: float
    reporting_units: int


def unit_breakdowns(
    *, session: Session, indicator_ids: list[int], period: Optional[date] = None
) -> dict[int, list[UnitFigure]]:
    """Each indicator's latest period (or ``period``) per org unit, rolled up the org-unit tree with its
    sum or mean.

    Sums and counts per unit come from one SQL query for all the indicators; the tree is walked in Python,
    down the branches that lead to units with values. Units without values in their sub-tree are left out.
    """
    if not indicator_ids:
        return {}
    aggregation = dict(session.exec(
        select(Indicator.id, Indicator.aggregation).where(col(Indicator.id).in_(indicator_ids))).all())
    query = (
        select(Measurement.indicator_id, Measurement.org_unit_id, func.sum(Measurement.value), func.count())
        .where(col(Measurement.indicator_id).in_(indicator_ids), col(Measurement.org_unit_id).is_not(None))
        .group_by(Measurement.indicator_id, Measurement.org_unit_id)
    )
    if period is not None:
        query = query.where(Measurement.period_start == period)
    else:
        latest = _latest_periods(indicator_ids)
        query = query.join(latest, (latest.c.indicator_id == Measurement.indicator_id)
                           & (latest.c.period == Measurement.period_start))
    own: dict[int, dict[int, tuple[float, int]]] = defaultdict(dict)
    for indicator_id, unit_id, total, count in session.exec(query).all():
        own[indicator_id][unit_id] = (float(total), count)
    # The tree as plain rows (a region has about 1,500 units: building ORM objects for them cost more than the rest).
    parent_of: dict[int, Optional[int]] = {}
    children: dict[Optional[int], list[tuple[int, str]]] = defaultdict(list)
    for unit_id, parent_id, name in session.exec(
            select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name).order_by(col(OrgUnit.name))).all():
        parent_of[unit_id] = parent_id
        children[parent_id].append((unit_id, name))
    return {indicator_id: _roll_up(children, parent_of, own.get(indicator_id, {}),
                                   aggregation.get(indicator_id, Aggregation.SUM))
            for indicator_id in indicator_ids}


def _roll_up(children: dict[Optional[int], list[tuple[int, str]]], parent_of: dict[int, Optional[int]],
             own: dict[int, tuple[float, int]], aggregation: Aggregation) -> list[UnitFigure]:
    # Only the units with values and those above them have a figure, so the walk goes down their branches alone.
    on_path: set[int] = set()
    for unit_id in own:
        while unit_id is not None and unit_id not in on_path:
            on_path.add(unit_id)
            unit_id = parent_of.get(unit_id)
    figures: list[UnitFigure] = []

    def walk(unit_id: int, name: str, depth: int) -> tuple[float, int]:
        position = len(figures)
        total, count = own.get(unit_id, (0.0, 0))
        for child_id, child_name in children.get(unit_id, []):
            if child_id in on_path:
                child_total, child_count = walk(child_id, child_name, depth + 1)
                total, count = total + child_total, count + child_count
        if count:
            value = total if aggregation == Aggregation.SUM else total / count
            figures.insert(position, UnitFigure(unit_id, name, depth, value, count))
        return total, count

    for root_id, root_name in children.get(None, []):
        if root_id in on_path:
            walk(root_id, root_name, 0)
    return figures


def unit_breakdown(*, session: Session, indicator_id: int, period: Optional[date] = None) -> list[UnitFigure]:
    """One indicator's latest period (or ``period``) per org unit, rolled up the tree (see ``unit_breakdowns``)."""
    return unit_breakdowns(session=session, indicator_ids=[indicator_id], period=period).get(indicator_id, [])


def measurements_for_grid(*, session: Session, indicator_ids: list[int]) -> dict[int, list[tuple]]:
    """The stored values of each indicator (newest first) as (period, org unit id, value, version), for
    the grid; a correction sends the version back, so a value changed meanwhile is refused as stale."""
    grid: dict[int, list[tuple]] = {indicator_id: [] for indicator_id in indicator_ids}
    for indicator_id, period, unit_id, value, version in session.exec(
        select(Measurement.indicator_id, Measurement.period_start, Measurement.org_unit_id, Measurement.value,
               Measurement.version)
        .where(col(Measurement.indicator_id).in_(indicator_ids))
        .order_by(Measurement.indicator_id, col(Measurement.period_start).desc(), col(Measurement.org_unit_id))
    ).all():
        grid[indicator_id].append((period, unit_id, value, version))
    return grid


@dataclass(frozen=True)
class BenefitFigures:
    """Everything the Benefits tab shows of one initiative, read in one go."""

    benefits: list
    summaries: dict[int, IndicatorSummary]
    breakdowns: dict[int, list[UnitFigure]]
    grids: dict[int, list[tuple]]
    baseline_locked: bool


def benefit_figures(*, session: Session, initiative_id: int) -> BenefitFigures:
    """The benefits with their indicators, each indicator's summary, unit breakdown and stored values, and
    whether the baseline is locked: the Benefits tab's one read."""
    summaries = {s.indicator.id: s for s in indicator_summaries(session=session, initiative_id=initiative_id)}
    return BenefitFigures(
        benefits=benefits_of(session, initiative_id),
        summaries=summaries,
        breakdowns=unit_breakdowns(session=session, indicator_ids=list(summaries)),
        grids=measurements_for_grid(session=session, indicator_ids=list(summaries)),
        baseline_locked=baseline_locked(session, initiative_id),
    )
