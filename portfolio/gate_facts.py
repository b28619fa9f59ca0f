"""The facts the gate rules read: each initiative's checklist and benefit facts, loaded in a bounded number
of queries, and the ``GateContext`` built from them. The rules themselves are in ``workflows.rules``.

Every loader takes the initiatives either as a short list of ids (one initiative's page) or as a SQL
selection of ids (``select(Initiative.id).where(...)``): with a selection the database joins it in, so
no statement carries one bound parameter per initiative, however many there are.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Union

from sqlalchemy import Select
from sqlmodel import Session, col, or_, select

from db.models import Benefit, BenefitCalculation, CalculationYear, ChecklistItem, Indicator, Initiative
from portfolio.indicator_figures import _per_period, _pick, _progress
from workflows.rules import BenefitFact, BenefitFacts, ChecklistFact, GateContext, IndicatorFact

InitiativeIds = Union[list[int], Select]


def _known(initiative_ids: InitiativeIds, found) -> list[int]:
    # A list names every initiative, facts or not; a selection yields only those with rows found.
    return list(initiative_ids) if isinstance(initiative_ids, list) else list(dict.fromkeys(found))


def checklist_facts(session: Session, initiative_ids: InitiativeIds) -> dict[int, list[ChecklistFact]]:
    """The checklist items the rules read (each initiative's current stage and fast track), as plain facts.

    An initiative of a selection without items is missing from the result: read it with ``.get(id, [])``.
    """
    rows = session.exec(
        select(ChecklistItem.initiative_id, ChecklistItem.stage, ChecklistItem.key, ChecklistItem.label,
               ChecklistItem.required, ChecklistItem.status, ChecklistItem.not_applicable_reason,
               ChecklistItem.updated_by_id)
        .join(Initiative, Initiative.id == ChecklistItem.initiative_id)
        .where(col(ChecklistItem.initiative_id).in_(initiative_ids),
               or_(ChecklistItem.stage == Initiative.stage, ChecklistItem.stage == "fast_track"))
        .order_by(col(ChecklistItem.id))
    ).all()
    facts: dict[int, list[ChecklistFact]] = {i: [] for i in _known(initiative_ids, (r[0] for r in rows))}
    for initiative_id, *fields in rows:
        facts[initiative_id].append(ChecklistFact(*fields))
    return facts


def build_context(initiative, checklist: list[ChecklistFact], benefits: BenefitFacts) -> GateContext:
    """The rules' view of an initiative (a row or anything with its fields), its checklist and benefit facts."""
    return GateContext(
        stage=initiative.stage,
        need_description=initiative.need_description,
        need_owner=initiative.need_owner,
        expected_effects=initiative.expected_effects,
        org_unit_id=initiative.org_unit_id,
        checklist=tuple(checklist),
        benefits=benefits,
    )


def gate_context(session: Session, initiative: Initiative) -> GateContext:
    """The rules' view of one initiative, read from the database."""
    return build_context(initiative, checklist_facts(session, [initiative.id])[initiative.id],
                         benefit_facts(session, [initiative.id])[initiative.id])


def benefit_facts(session: Session, initiative_ids: InitiativeIds) -> dict[int, BenefitFacts]:
    """The facts the benefit gate rules need, for many initiatives in four queries.

    Only the columns the rules read are loaded, and each indicator's latest period is found through the
    measurement key index. An initiative of a selection without benefits is missing from the result:
    read it with ``.get(id, BenefitFacts())``.
    """
    if isinstance(initiative_ids, list) and not initiative_ids:
        return {}
    benefits = session.exec(
        select(Benefit.id, Benefit.initiative_id, Benefit.title, Benefit.owner_id)
        .where(col(Benefit.initiative_id).in_(initiative_ids)).order_by(col(Benefit.id))
    ).all()
    indicators = session.exec(
        select(Indicator.id, Indicator.benefit_id, Benefit.initiative_id, Indicator.code, Indicator.name,
               Indicator.aggregation, Indicator.baseline_value, Indicator.target_value, Indicator.direction,
               Indicator.baseline_date, Indicator.deviation_explanation)
        .join(Benefit, Benefit.id == Indicator.benefit_id)
        .where(col(Benefit.initiative_id).in_(initiative_ids)).order_by(col(Indicator.id))
    ).all()
    if isinstance(initiative_ids, list):
        indicator_ids = [i.id for i in indicators]
    else:
        indicator_ids = (select(Indicator.id).join(Benefit, Benefit.id == Indicator.benefit_id)
                         .where(col(Benefit.initiative_id).in_(initiative_ids)).correlate(None))
    latest = {indicator_id: points[-1] for indicator_id, points in _per_period(session, indicator_ids, True).items()}
    with_calculation = set(session.exec(
        select(BenefitCalculation.initiative_id).join(CalculationYear,
                                                      CalculationYear.calculation_id == BenefitCalculation.id)
        .where(col(BenefitCalculation.initiative_id).in_(initiative_ids)).distinct()
    ).all())
    count_by_benefit: dict[int, int] = defaultdict(int)
    facts_by_initiative: dict[int, list[IndicatorFact]] = defaultdict(list)
    for indicator in indicators:
        count_by_benefit[indicator.benefit_id] += 1
        period, total, mean = latest.get(indicator.id, (None, None, None))
        value = _pick(indicator.aggregation, total, mean) if period is not None else None
        progress = _progress(indicator, value)
        facts_by_initiative[indicator.initiative_id].append(IndicatorFact(
            code=indicator.code, name=indicator.name,
            has_baseline_and_target=indicator.baseline_value is not None and indicator.target_value is not None,
            measured_after_baseline=period is not None and (indicator.baseline_date is None
                                                            or period > indicator.baseline_date),
            at_target=progress is not None and progress >= 1,
            deviation_explained=bool(indicator.deviation_explanation.strip()),
        ))
    benefits_by_initiative: dict[int, list[BenefitFact]] = defaultdict(list)
    for benefit in benefits:
        benefits_by_initiative[benefit.initiative_id].append(
            BenefitFact(benefit.title, benefit.owner_id is not None, count_by_benefit[benefit.id]))
    known = _known(initiative_ids, [b.initiative_id for b in benefits] + list(with_calculation))
    return {
        initiative_id: BenefitFacts(
            benefits=tuple(benefits_by_initiative[initiative_id]),
            indicators=tuple(facts_by_initiative[initiative_id]),
            has_calculation=initiative_id in with_calculation,
        )
        for initiative_id in known
    }
