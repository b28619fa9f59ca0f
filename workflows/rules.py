"""Gate rules: small, named, side-effect-free checks.

Each rule takes a ``GateContext`` and returns ``None`` when it holds, or the ``Message`` the
user reads when it does not. The gate panel shows these messages verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from portfolio.i18n import N_, STAGE_LABELS, Message


@dataclass(frozen=True)
class ChecklistFact:
    stage: str
    key: str
    label: str
    required: bool
    status: str
    not_applicable_reason: str = ""


@dataclass(frozen=True)
class GateContext:
    """What the rules may look at: a snapshot, loaded once by the caller."""

    stage: str
    need_description: str = ""
    need_owner: str = ""
    expected_effects: str = ""
    org_unit_id: Optional[int] = None
    checklist: tuple[ChecklistFact, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleResult:
    name: str
    message: Optional[Message]

    @property
    def ok(self) -> bool:
        return self.message is None


Rule = Callable[[GateContext], Optional[Message]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def _blank(text: str) -> bool:
    return not (text or "").strip()


@rule("need_described")
def need_described(ctx: GateContext) -> Optional[Message]:
    if _blank(ctx.need_description):
        return Message(N_("The need is not described."))
    return None


@rule("need_owner_named")
def need_owner_named(ctx: GateContext) -> Optional[Message]:
    if _blank(ctx.need_owner):
        return Message(N_("No need owner is named."))
    return None


@rule("owning_unit_named")
def owning_unit_named(ctx: GateContext) -> Optional[Message]:
    if ctx.org_unit_id is None:
        return Message(N_("No owning unit is chosen."))
    return None


@rule("expected_effects_described")
def expected_effects_described(ctx: GateContext) -> Optional[Message]:
    if _blank(ctx.expected_effects):
        return Message(N_("The expected effects are not described."))
    return None


def incomplete_items(items: tuple[ChecklistFact, ...], stage: str) -> list[ChecklistFact]:
    """Required items of ``stage`` that are neither done nor not applicable with a reason."""
    return [
        item
        for item in items
        if item.stage == stage
        and item.required
        and not (
            item.status == "done"
            or (item.status == "not_applicable" and not _blank(item.not_applicable_reason))
        )
    ]


def _checklist_message(ctx: GateContext, stage: str) -> Optional[Message]:
    missing = incomplete_items(ctx.checklist, stage)
    if not missing:
        return None
    return Message(
        N_("The checklist for {stage} is not complete: {count} required items are open ({items})."),
        {
            "stage": Message(STAGE_LABELS[stage]),
            "count": len(missing),
            "items": _ItemList(tuple(item.label for item in missing)),
        },
    )


@dataclass(frozen=True)
class _ItemList:
    """Checklist labels, each translated in the reader's language."""

    labels: tuple[str, ...]

    def render(self, language: str) -> str:
        return "; ".join(Message(label).render(language) for label in self.labels)


@rule("checklist_complete")
def checklist_complete(ctx: GateContext) -> Optional[Message]:
    return _checklist_message(ctx, ctx.stage)


@rule("fast_track_checklist_complete")
def fast_track_checklist_complete(ctx: GateContext) -> Optional[Message]:
    return _checklist_message(ctx, "fast_track")


def evaluate(rule_names: tuple[str, ...], ctx: GateContext) -> list[RuleResult]:
    """Run the named rules in order; every rule runs, so every unmet one is reported."""
    return [RuleResult(name, RULES[name](ctx)) for name in rule_names]
