"""The facts the gate rules read: each initiative's checklist and benefit facts, loaded in a bounded number
of queries, and the ``GateContext`` built from them. The rules themselves are in ``workflows.rules``."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, or_, select

from db.models import Benefit, ChecklistItem, Indicator, Initiative
from portfolio.indicator_figures import _per_period, _pick, _progress
from workflows.rules import BenefitFact, BenefitFacts, ChecklistFact, GateContext, IndicatorFact


def checklist_facts(session: Session, initiative_ids: list[int]) -> dict[int, list[ChecklistFact]]:
    """The checklist items the rules read (each initiative's current stage and fast track), as plain facts."""
    rows = session.exec(
        select(ChecklistItem.initiative_id, ChecklistItem.stage, ChecklistItem.key, ChecklistItem.label,
               ChecklistItem.required, ChecklistItem.status, ChecklistItem.not_applicable_reason)
        .join(Initiative, Initiative.id == ChecklistItem.initiative_id)
        .where(col(ChecklistItem.initiative_id).in_(initiative_ids),
               or_(ChecklistItem.stage == Initiative.stage, ChecklistItem.stage == "fast_track"))
        .order_by(col(ChecklistItem.id))
    ).all()
    facts: dict[int, list[ChecklistFact]] = {initiative_id: [] for initiative_id in initiative_ids}
    for initiative_id, *fields in rows:
        facts[initiative_id].append(ChecklistFact(*fields))
    return facts


def build_context(initiative: Initiative, checklist: list[ChecklistFact], benefits: BenefitFacts) -> GateContext:
    """The rules' view of an initiative, its checklist and its benefit facts (already loaded)."""
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
    return build_context(initiative, checklist_facts(session, [initiative.id])[initiative.id],
                         benefit_facts(session, [initiative.id])[initiative.id])


def benefit_facts(session: Session, initiative_ids: list[int]) -> dict[int, BenefitFacts]:
    """The facts the benefit gate rules need, for many initiatives in four queries."""
    from db.models import BenefitCalculation, CalculationYear

    if not initiative_ids:
        return {}
    benefits = session.exec(select(Benefit).where(col(Benefit.initiative_id).in_(initiative_ids))
                            .order_by(col(Benefit.id))).all()
    indicators = session.exec(
        select(Indicator, Benefit.initiative_id).join(Benefit, Benefit.id == Indicator.benefit_id)
        .where(col(Benefit.initiative_id).in_(initiative_ids)).order_by(col(Indicator.id))
    ).all()
    latest = {indicator_id: points[-1]
              for indicator_id, points in _per_period(session, [i.id for i, _ in indicators], True).items()}
    with_calculation = set(session.exec(
        select(BenefitCalculation.initiative_id).join(CalculationYear,
                                                      CalculationYear.calculation_id == BenefitCalculation.id)
        .where(col(BenefitCalculation.initiative_id).in_(initiative_ids)).distinct()
    ).all())
    count_by_benefit: dict[int, int] = defaultdict(int)
    facts_by_initiative: dict[int, list[IndicatorFact]] = defaultdict(list)
    for indicator, initiative_id in indicators:
        count_by_benefit[indicator.benefit_id] += 1
        period, total, mean = latest.get(indicator.id, (None, None, None))
        value = _pick(indicator.aggregation, total, mean) if period is not None else None
        progress = _progress(indicator, value)
        facts_by_initiative[initiative_id].append(IndicatorFact(
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
    return {
        initiative_id: BenefitFacts(
            benefits=tuple(benefits_by_initiative[initiative_id]),
            indicators=tuple(facts_by_initiative[initiative_id]),
            has_calculation=initiative_id in with_calculation,
        )
        for initiative_id in initiative_ids
    }
