"""Gate rules: small, named, side-effect-free checks.

Each rule takes a ``GateContext`` and returns ``None`` when it holds, or the ``Message`` the
user reads when it does not. The gate panel shows these messages verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from messages import N_, Message, Np_
from workflows.lifecycle import STAGE_LABELS
from workflows.vocabulary import ChecklistStatus, Outcome


@dataclass(frozen=True)
class ChecklistFact:
    stage: str
    key: str
    label: str
    required: bool
    status: str
    not_applicable_reason: str = ""
    # Who last changed the item; for a settled item, the person who completed it (None: not recorded).
    completed_by: Optional[int] = None


@dataclass(frozen=True)
class IndicatorFact:
    code: str
    name: str
    has_baseline_and_target: bool
    measured_after_baseline: bool
    at_target: bool
    deviation_explained: bool


@dataclass(frozen=True)
class BenefitFact:
    title: str
    has_owner: bool
    indicator_count: int


@dataclass(frozen=True)
class BenefitFacts:
    """What the benefit rules look at, loaded in a fixed number of queries."""

    benefits: tuple[BenefitFact, ...] = ()
    indicators: tuple[IndicatorFact, ...] = ()
    has_calculation: bool = False


@dataclass(frozen=True)
class GateContext:
    """What the rules may look at: a snapshot, loaded once by the caller."""

    stage: str
    need_description: str = ""
    need_owner: str = ""
    expected_effects: str = ""
    org_unit_id: Optional[int] = None
    checklist: tuple[ChecklistFact, ...] = ()
    benefits: BenefitFacts = BenefitFacts()


@dataclass(frozen=True)
class RuleResult:
    name: str
    message: Optional[Message]

    @property
    def ok(self) -> bool:
        """True when the rule holds."""
        return self.message is None


Rule = Callable[[GateContext], Optional[Message]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register a gate rule under the name process files call it by."""
    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def _blank(text: str) -> bool:
    return not (text or "").strip()


@rule("need_described")
def need_described(ctx: GateContext) -> Optional[Message]:
    """Gate rule: the need is described."""
    if _blank(ctx.need_description):
        return Message(N_("The need is not described."))
    return None


@rule("need_owner_named")
def need_owner_named(ctx: GateContext) -> Optional[Message]:
    """Gate rule: a need owner is named."""
    if _blank(ctx.need_owner):
        return Message(N_("No need owner is named."))
    return None


@rule("owning_unit_named")
def owning_unit_named(ctx: GateContext) -> Optional[Message]:
    """Gate rule: an owning unit is chosen."""
    if ctx.org_unit_id is None:
        return Message(N_("No owning unit is chosen."))
    return None


@rule("expected_effects_described")
def expected_effects_described(ctx: GateContext) -> Optional[Message]:
    """Gate rule: the expected effects are described."""
    if _blank(ctx.expected_effects):
        return Message(N_("The expected effects are not described."))
    return None


@dataclass(frozen=True)
class _Listing:
    """Items joined for a sentence: catalogue labels are translated, user-given names are not."""

    items: tuple[str, ...]
    translate: bool = False

    def render(self, language: str) -> str:
        return "; ".join(Message(item).render(language) if self.translate else item for item in self.items)


def settled(item: ChecklistFact) -> bool:
    """The item is done, or not applicable with a reason."""
    return item.status == ChecklistStatus.DONE or (
        item.status == ChecklistStatus.NOT_APPLICABLE and not _blank(item.not_applicable_reason))


def incomplete_items(items: tuple[ChecklistFact, ...], stage: str) -> list[ChecklistFact]:
    """Required items of ``stage`` that are neither done nor not applicable with a reason."""
    return [item for item in items if item.stage == stage and item.required and not settled(item)]


@dataclass(frozen=True)
class OwnWork:
    """Four eyes: the decider completed ``mine`` of the ``completed`` settled items of a checklist."""

    mine: int
    completed: int


def four_eyes(items: tuple[ChecklistFact, ...], checklist: str, decider_id: int) -> Optional[OwnWork]:
    """Four eyes, for the approval of a gate: None when ``decider_id`` completed none of the settled items of
    ``checklist`` (a stage, or fast track), so that someone else has looked at every item they approve;
    else how many of them they completed themselves. An item whose completer was not recorded counts as
    someone else's."""
    done = [item for item in items if item.stage == checklist and settled(item)]
    mine = sum(1 for item in done if item.completed_by == decider_id)
    return OwnWork(mine=mine, completed=len(done)) if mine else None


def _checklist_message(ctx: GateContext, stage: str) -> Optional[Message]:
    missing = incomplete_items(ctx.checklist, stage)
    if not missing:
        return None
    return Message(
        Np_("The checklist for {stage} is not complete: {count} required item is open ({items}).",
            "The checklist for {stage} is not complete: {count} required items are open ({items})."),
        {
            "stage": Message(STAGE_LABELS[stage]),
            "count": len(missing),
            "items": _Listing(tuple(item.label for item in missing), translate=True),
        },
    )


@rule("checklist_complete")
def checklist_complete(ctx: GateContext) -> Optional[Message]:
    """Gate rule: the required checklist items of the current stage are done or not applicable with a reason."""
    return _checklist_message(ctx, ctx.stage)


@rule("fast_track_checklist_complete")
def fast_track_checklist_complete(ctx: GateContext) -> Optional[Message]:
    """Gate rule: the same for the fast-track checklist."""
    return _checklist_message(ctx, Outcome.FAST_TRACK)


@rule("indicator_with_baseline_and_target")
def indicator_with_baseline_and_target(ctx: GateContext) -> Optional[Message]:
    """Gate rule: at least one indicator has both a baseline and a target."""
    if not any(i.has_baseline_and_target for i in ctx.benefits.indicators):
        return Message(N_("No indicator has both a baseline and a target."))
    return None


@rule("measured_after_baseline")
def measured_after_baseline(ctx: GateContext) -> Optional[Message]:
    """Gate rule: every indicator has a measurement after its baseline."""
    if not ctx.benefits.indicators:
        return Message(N_("The initiative has no indicators to measure."))
    missing = [i.name for i in ctx.benefits.indicators if not i.measured_after_baseline]
    if missing:
        return Message(N_("These indicators have no measurement after their baseline: {names}."),
                       {"names": _Listing(tuple(missing))})
    return None


@rule("benefit_calculation_present")
def benefit_calculation_present(ctx: GateContext) -> Optional[Message]:
    """Gate rule: the initiative has a benefit calculation."""
    if not ctx.benefits.has_calculation:
        return Message(N_("There is no benefit calculation."))
    return None


@rule("benefit_owners_and_schedules")
def benefit_owners_and_schedules(ctx: GateContext) -> Optional[Message]:
    """Gate rule: every benefit has an owner and an indicator with a measurement schedule."""
    if not ctx.benefits.benefits:
        return Message(N_("The initiative has no benefits."))
    no_owner = [b.title for b in ctx.benefits.benefits if not b.has_owner]
    no_schedule = [b.title for b in ctx.benefits.benefits if b.indicator_count == 0]
    if no_owner and no_schedule:
        return Message(N_("These benefits have no benefit owner: {owners}. These have no indicator with a "
                          "measurement schedule: {schedules}."),
                       {"owners": _Listing(tuple(no_owner)), "schedules": _Listing(tuple(no_schedule))})
    if no_owner:
        return Message(N_("These benefits have no benefit owner: {names}."), {"names": _Listing(tuple(no_owner))})
    if no_schedule:
        return Message(N_("These benefits have no indicator with a measurement schedule: {names}."),
                       {"names": _Listing(tuple(no_schedule))})
    return None


@rule("indicators_at_target_or_explained")
def indicators_at_target_or_explained(ctx: GateContext) -> Optional[Message]:
    """Gate rule: every indicator is at its target, or its deviation is explained."""
    missing = [i.name for i in ctx.benefits.indicators if not (i.at_target or i.deviation_explained)]
    if missing:
        return Message(N_("These indicators are not at their target and the deviation is not explained: {names}."),
                       {"names": _Listing(tuple(missing))})
    return None


def evaluate(rule_names: tuple[str, ...], ctx: GateContext) -> list[RuleResult]:
    """Run the named rules in order; every rule runs, so every unmet one is reported."""
    return [RuleResult(name, RULES[name](ctx)) for name in rule_names]


# ------------------------------------------------------------------ where each rule is put right


@dataclass(frozen=True)
class FixAt:
    """Where on the initiative page an unmet rule is put right: a tab (a value of
    ``portfolio.initiative_view.Tab``), the place in it the page opens and scrolls to (``anchor``), and the
    label of the link that leads there (a msgid)."""

    tab: str
    anchor: str
    label: str


# Data, not code: every rule names its place (a test fails for a rule without one). The page turns a place
# into a link to ``?id=N&initiative_tabs=<tab>&focus=<anchor>``; "open-item" and "open-fast-track-item" stand
# for the first open required item of the stage's or the fast track's checklist, which the link names.
FIX_AT: dict[str, FixAt] = {
    "need_described": FixAt("details", "need", N_("Describe the need")),
    "need_owner_named": FixAt("details", "need-owner", N_("Name the need owner")),
    "owning_unit_named": FixAt("details", "owning-unit", N_("Choose the owning unit")),
    "expected_effects_described": FixAt("details", "expected-effects", N_("Describe the expected effects")),
    "checklist_complete": FixAt("checklist", "open-item", N_("Open the checklist")),
    "fast_track_checklist_complete": FixAt("checklist", "open-fast-track-item", N_("Open the checklist")),
    "indicator_with_baseline_and_target": FixAt("benefits", "add-indicator", N_("Add an indicator")),
    "measured_after_baseline": FixAt("benefits", "enter-measurements", N_("Enter measurements")),
    "benefit_calculation_present": FixAt("benefits", "calculation", N_("Fill in the benefit calculation")),
    "benefit_owners_and_schedules": FixAt("benefits", "owner-and-indicator", N_("Complete the benefits")),
    "indicators_at_target_or_explained": FixAt("benefits", "explain-deviation", N_("Explain the deviation")),
}
