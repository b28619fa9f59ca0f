"""The audit trail in words: one translatable sentence per recorded action code.

``SENTENCES`` holds, for every action code that ``portfolio.audit.record`` is given, a function that
turns one event into a ``Message``: an English msgid with named placeholders, filled with values that
render themselves in the reader's language (vocabulary labels, names, numbers, dates, quoted text). A
reader who may not see what a change changed ("audit.detail") gets the short form of the sentence, made
without the event's ``before`` and ``after``. A code without a sentence (written by a newer version of
the app) reads as a generic sentence; no sentence ever shows JSON. The raw codes and JSON stay in the
CSV export (``portfolio.audit.export_audit_csv``).

Nothing here reads the database. ``references`` lists the ids the events name (people, org units,
portfolios, benefits, indicators, checklist items); the caller reads each kind in one query and hands
the names back as ``Names``. Times are shown in the organisation's time zone (``PORTFOLIO_TIMEZONE``,
``db.settings``), which the caller passes in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Optional, Protocol
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.lists import format_list
from babel.numbers import format_percent

from portfolio.i18n import BABEL_LOCALES, LANGUAGES, N_, Message, format_number, translator
from workflows.vocabulary import (
    Aggregation,
    BenefitCategory,
    BenefitKind,
    ChecklistStatus,
    Direction,
    Frequency,
    Outcome,
    Recipient,
    Role,
    Stage,
    Vocabulary,
)

# User-typed text is cut to this many characters in a sentence; the export keeps it whole.
SHORT_TEXT = 80
# An import names at most this many indicators before "and others".
LISTED_INDICATORS = 3

WHEN = N_("{sentence} ({when})")
QUOTED = N_("“{text}”")
THE_SYSTEM = N_("The system")
UNKNOWN_ACTION = N_("{who} made a change: {action}")


def _locale(language: str) -> str:
    return BABEL_LOCALES.get(language, BABEL_LOCALES["sv"])


# ------------------------------------------------------------------ values that render in the reader's language


def shorten(text: str, limit: int = SHORT_TEXT) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters with an ellipsis when longer."""
    line = " ".join(str(text).split())
    if len(line) <= limit:
        return line
    cut = line[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"


@dataclass(frozen=True)
class Quoted:
    """Text someone typed, shortened, in the reader's quotation marks."""

    text: str

    def render(self, language: str) -> str:
        """The text, shortened, between the quotation marks of ``language``."""
        return translator(language)(QUOTED, text=shorten(self.text))


@dataclass(frozen=True)
class Number:
    """A number in the reader's locale."""

    value: float
    digits: int = 3

    def render(self, language: str) -> str:
        """The number with the digit grouping and decimal sign of ``language``."""
        return format_number(self.value, language, self.digits)


@dataclass(frozen=True)
class Percent:
    """A fraction (0.035) as a percentage in the reader's locale (3,5 %)."""

    value: float

    def render(self, language: str) -> str:
        """The percentage as ``language`` writes it."""
        return format_percent(self.value, locale=_locale(language), decimal_quantization=False)


@dataclass(frozen=True)
class Day:
    """A date in the reader's locale (14 Mar 2026, 14 mars 2026, 14. mars 2026)."""

    value: date

    def render(self, language: str) -> str:
        """The date as ``language`` writes it."""
        return format_date(self.value, "medium", locale=_locale(language))


@lru_cache(maxsize=None)
def _moment_pattern(locale_name: str) -> str:
    # The locale's own way of joining a medium date and a short time: no seconds, as people write it.
    locale = Locale.parse(locale_name)
    return locale.datetime_formats["medium"].format(locale.time_formats["short"].pattern,
                                                    locale.date_formats["medium"].pattern)


@dataclass(frozen=True)
class Moment:
    """A moment stored in UTC, shown in ``zone`` in the reader's locale (14 Mar 2026, 10:42)."""

    at: datetime
    zone: str

    def local(self) -> datetime:
        """The moment in ``zone``."""
        # SQLite hands timestamps back without their zone; they were written in UTC.
        at = self.at if self.at.tzinfo is not None else self.at.replace(tzinfo=timezone.utc)
        return at.astimezone(ZoneInfo(self.zone))

    def render(self, language: str) -> str:
        """The local date and time as ``language`` writes them."""
        locale = _locale(language)
        return format_datetime(self.local(), _moment_pattern(locale), locale=locale)


@dataclass(frozen=True)
class Listing:
    """Several values joined the reader's way (a, b and c; a, b och c; a, b og c)."""

    items: tuple

    def render(self, language: str) -> str:
        """The values, each in ``language``, joined with its commas and its word for "and"."""
        return format_list([_render(item, language) for item in self.items], locale=_locale(language))


def _render(value: Any, language: str) -> str:
    return value.render(language) if hasattr(value, "render") else str(value)


# ------------------------------------------------------------------ what the events name, and their names


class Event(Protocol):
    """What a sentence is made from: an audit event as stored (``db.models.AuditEvent``)."""

    at: datetime
    user_id: Optional[int]
    action: str
    entity: str
    entity_id: Optional[int]
    before: Optional[dict[str, Any]]
    after: Optional[dict[str, Any]]


@dataclass(frozen=True)
class Names:
    """The names of what the events refer to by id; an id missing here reads as its number."""

    users: Mapping[int, str] = field(default_factory=dict)
    org_units: Mapping[int, str] = field(default_factory=dict)
    portfolios: Mapping[int, str] = field(default_factory=dict)
    benefits: Mapping[int, str] = field(default_factory=dict)
    indicators: Mapping[int, str] = field(default_factory=dict)
    # Checklist item labels are msgids (the process file's English text), translated when shown.
    checklist_items: Mapping[int, str] = field(default_factory=dict)


# Which ``Names`` map an entity's own id is looked up in.
ENTITY_NAMES = {"user": "users", "benefit": "benefits", "indicator": "indicators",
                "checklist_item": "checklist_items"}


# ------------------------------------------------------------------ the fields a change may name

USER, ORG_UNIT, PORTFOLIO, TEXT, NUMBER, MONEY, PERCENT, DAY, LANGUAGE, VISIBILITY = (
    "user", "org_unit", "portfolio", "text", "number", "money", "percent", "day", "language", "visibility")
# An internal flag's values as a sentence names them (the transparency export leaves out what is internal).
VISIBILITIES = {True: N_("internal"), False: N_("public")}
# Fields whose values are ids of rows, and the ``Names`` map that names them.
ID_KINDS = {USER: "users", ORG_UNIT: "org_units", PORTFOLIO: "portfolios"}


@dataclass(frozen=True)
class FieldSpec:
    """How a changed field is named in a sentence (a msgid with its article) and how its values read:
    one of the kinds above, or a vocabulary whose labels name its ids."""

    label: str
    kind: str | type[Vocabulary]


# Every field an edit may change (initiatives, benefits, indicators, accounts). A field missing here is
# named as "another detail", without its values.
FIELDS: dict[str, FieldSpec] = {
    # initiatives (portfolio.initiatives.EDITABLE_FIELDS)
    "title": FieldSpec(N_("the title"), TEXT),
    "description": FieldSpec(N_("the description"), TEXT),
    "need_description": FieldSpec(N_("the need description"), TEXT),
    "need_owner": FieldSpec(N_("the need owner"), TEXT),
    "expected_effects": FieldSpec(N_("the expected effects"), TEXT),
    "org_unit_id": FieldSpec(N_("the owning unit"), ORG_UNIT),
    "lead_id": FieldSpec(N_("the implementation lead"), USER),
    "estimated_cost": FieldSpec(N_("the estimated cost"), MONEY),
    "internal": FieldSpec(N_("the visibility of the initiative"), VISIBILITY),
    "description_internal": FieldSpec(N_("the visibility of the description"), VISIBILITY),
    "need_description_internal": FieldSpec(N_("the visibility of the need description"), VISIBILITY),
    "expected_effects_internal": FieldSpec(N_("the visibility of the expected effects"), VISIBILITY),
    "stop_reason_internal": FieldSpec(N_("the visibility of the reason for stopping"), VISIBILITY),
    "lessons_learned_internal": FieldSpec(N_("the visibility of the lessons learned"), VISIBILITY),
    "rationale_internal": FieldSpec(N_("the visibility of the decisions' rationales"), VISIBILITY),
    # benefits (db.models.BenefitBase)
    "category": FieldSpec(N_("the category"), BenefitCategory),
    "recipient": FieldSpec(N_("the recipient"), Recipient),
    "kind": FieldSpec(N_("the kind"), BenefitKind),
    "owner_id": FieldSpec(N_("the benefit owner"), USER),
    "planned_realisation_date": FieldSpec(N_("the planned realisation date"), DAY),
    "money_per_unit": FieldSpec(N_("the money value per indicator unit"), MONEY),
    "strategic_goal": FieldSpec(N_("the strategic goal"), TEXT),
    # indicators (db.models.IndicatorBase)
    "code": FieldSpec(N_("the code"), TEXT),
    "name": FieldSpec(N_("the name"), TEXT),
    "unit": FieldSpec(N_("the unit of measurement"), TEXT),
    "direction": FieldSpec(N_("the direction"), Direction),
    "frequency": FieldSpec(N_("the measurement frequency"), Frequency),
    "aggregation": FieldSpec(N_("the aggregation across units"), Aggregation),
    "definition": FieldSpec(N_("the definition"), TEXT),
    "method": FieldSpec(N_("the method"), TEXT),
    "data_source": FieldSpec(N_("the data source"), TEXT),
    "baseline_value": FieldSpec(N_("the baseline"), NUMBER),
    "baseline_date": FieldSpec(N_("the baseline date"), DAY),
    "baseline_period": FieldSpec(N_("the baseline period"), TEXT),
    "baseline_source": FieldSpec(N_("the baseline source"), TEXT),
    "target_value": FieldSpec(N_("the target"), NUMBER),
    "target_date": FieldSpec(N_("the target date"), DAY),
    "amber_tolerance": FieldSpec(N_("the amber tolerance"), PERCENT),
    "red_tolerance": FieldSpec(N_("the red tolerance"), PERCENT),
    "valid_min": FieldSpec(N_("the lowest valid value"), NUMBER),
    "valid_max": FieldSpec(N_("the highest valid value"), NUMBER),
    "volume_per_year": FieldSpec(N_("the volume per year"), NUMBER),
    # accounts
    "language": FieldSpec(N_("the language"), LANGUAGE),
    "sso_identity": FieldSpec(N_("the single sign-on identity"), TEXT),
}
# Kept beside a change for the separation-of-duties rule, never shown: the lead's own change says it.
HIDDEN_FIELDS = frozenset({"leads_since_last_gate"})

CHANGED_FROM_TO = N_("{field} from {before} to {after}")
CHANGED_TO = N_("{field} to {after}")
CHANGED_TO_BLANK = N_("{field} from {before} to blank")
ANOTHER_DETAIL = N_("another detail")
AND_OTHERS = N_("others")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _named(names: Mapping[int, str], value: Any) -> Any:
    return names.get(value, f"#{value}") if isinstance(value, int) else f"#{value}"


def _as_day(value: Any) -> Any:
    if isinstance(value, date):
        return Day(value)
    try:
        return Day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return Quoted(str(value))


def value_of(kind: str | type[Vocabulary], value: Any, names: Names) -> Any:
    """One stored value as a sentence shows it: a label, a name, a formatted number or date, quoted text."""
    if isinstance(kind, type) and issubclass(kind, Vocabulary):
        return Message(kind(value).label) if kind.has(value) else Quoted(str(value))
    if kind in ID_KINDS:
        return _named(getattr(names, ID_KINDS[kind]), value)
    if kind in (NUMBER, MONEY, PERCENT) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Percent(value) if kind == PERCENT else Number(value, 2 if kind == MONEY else 3)
    if kind == DAY:
        return _as_day(value)
    if kind == LANGUAGE:
        return LANGUAGES.get(value, Quoted(str(value)))
    if kind == VISIBILITY and isinstance(value, bool):
        return Message(VISIBILITIES[value])
    return Quoted(str(value))


def changes(before: Optional[dict[str, Any]], after: Optional[dict[str, Any]], names: Names) -> Optional[Listing]:
    """What an edit changed, one clause per field (the title from “A” to “B”), or None when nothing shows."""
    before, after = before or {}, after or {}
    clauses: list[Message] = []
    unknown = False
    for name in [*before, *(k for k in after if k not in before)]:
        if name in HIDDEN_FIELDS:
            continue
        spec = FIELDS.get(name)
        if spec is None:
            unknown = True
            continue
        old, new = before.get(name), after.get(name)
        label = Message(spec.label)
        if _blank(old):
            clauses.append(Message(CHANGED_TO, {"field": label, "after": value_of(spec.kind, new, names)}))
        elif _blank(new):
            clauses.append(Message(CHANGED_TO_BLANK, {"field": label, "before": value_of(spec.kind, old, names)}))
        else:
            clauses.append(Message(CHANGED_FROM_TO, {"field": label, "before": value_of(spec.kind, old, names),
                                                     "after": value_of(spec.kind, new, names)}))
    if unknown:
        clauses.append(Message(ANOTHER_DETAIL))
    return Listing(tuple(clauses)) if clauses else None


def references(events: Iterable[Event]) -> dict[str, set[int]]:
    """The ids the events name, per ``Names`` field (``users``, ``org_units``, ...): what to read for them."""
    wanted: dict[str, set[int]] = {name: set() for name in Names.__dataclass_fields__}
    for event in events:
        if event.user_id is not None:
            wanted["users"].add(event.user_id)
        if event.entity in ENTITY_NAMES and event.entity_id is not None:
            wanted[ENTITY_NAMES[event.entity]].add(event.entity_id)
        for values in (event.before, event.after):
            for name, value in (values or {}).items():
                kind = "users" if name == "user_id" else ID_KINDS.get(getattr(FIELDS.get(name), "kind", None))
                if name == "portfolio_id":
                    kind = "portfolios"
                if kind is not None and isinstance(value, int) and not isinstance(value, bool):
                    wanted[kind].add(value)
    return wanted


# ------------------------------------------------------------------ one sentence per action code


@dataclass(frozen=True)
class Context:
    """What a sentence function reads: the event, the names, and whether the reader sees the detail."""

    event: Event
    names: Names
    detail: bool
    who: Any

    @property
    def before(self) -> dict[str, Any]:
        """The event's ``before``, empty for a reader without the detail."""
        return (self.event.before or {}) if self.detail else {}

    @property
    def after(self) -> dict[str, Any]:
        """The event's ``after``, empty for a reader without the detail."""
        return (self.event.after or {}) if self.detail else {}

    def entity_name(self, fallback_key: str = "") -> Any:
        """The event's own row by its current name (a checklist label translated), else as the change named it."""
        table = getattr(self.names, ENTITY_NAMES.get(self.event.entity, ""), {})
        name = table.get(self.event.entity_id) if self.event.entity_id is not None else None
        if name is None and fallback_key and self.after.get(fallback_key):
            name = self.after[fallback_key]
        if name is None:
            return f"#{self.event.entity_id}"
        if self.event.entity == "user":
            return name
        return _TranslatedQuote(name) if self.event.entity == "checklist_item" else Quoted(name)

    def says(self, msgid: str, **params: Any) -> Message:
        """The sentence ``msgid`` with who did it and ``params``."""
        return Message(msgid, {"who": self.who, **params})


@dataclass(frozen=True)
class _TranslatedQuote:
    """A msgid (a checklist item's label from the process file) translated, then quoted."""

    msgid: str

    def render(self, language: str) -> str:
        """The label in ``language``, shortened, between its quotation marks."""
        _ = translator(language)
        return _(QUOTED, text=shorten(_(self.msgid)))


SentenceFunction = Callable[[Context], Message]
SENTENCES: dict[str, SentenceFunction] = {}


def sentence(*codes: str) -> Callable[[SentenceFunction], SentenceFunction]:
    """Register the function that words the events of ``codes``."""
    def register(function: SentenceFunction) -> SentenceFunction:
        for code in codes:
            SENTENCES[code] = function
        return function
    return register


WITH_RATIONALE = N_("{sentence}; rationale: {rationale}")
WITH_REASON = N_("{sentence}; reason: {reason}")


def _followed_by(sentence_: Message, frame: str, key: str, text: Any) -> Message:
    """``sentence_`` followed by what someone wrote for it (a rationale, a reason), when there is something."""
    if _blank(text):
        return sentence_
    return Message(frame, {"sentence": sentence_, key: Quoted(text)})


def _stage(value: Any) -> Any:
    return value_of(Stage, value, Names())


@sentence("initiative.create")
def _initiative_create(c: Context) -> Message:
    if c.after.get("title"):
        return c.says(N_("{who} proposed the initiative {title}"), title=Quoted(c.after["title"]))
    return c.says(N_("{who} proposed the initiative"))


@sentence("initiative.update")
def _initiative_update(c: Context) -> Message:
    listed = changes(c.before, c.after, c.names)
    if listed is None:
        return c.says(N_("{who} changed the initiative's details"))
    return c.says(N_("{who} changed {changes}"), changes=listed)


# The sentence of each gate outcome: short, and with the stages it moved between.
GATE_SENTENCES: dict[str, tuple[str, str]] = {
    Outcome.GO: (N_("{who} decided go"), N_("{who} decided go: {from_stage} → {to_stage}")),
    Outcome.CONDITIONAL_GO: (N_("{who} decided conditional go"),
                             N_("{who} decided conditional go: {from_stage} → {to_stage}")),
    Outcome.HOLD: (N_("{who} put the initiative on hold"), N_("{who} put the initiative on hold in {from_stage}")),
    Outcome.RECYCLE: (N_("{who} sent the initiative back for rework"),
                      N_("{who} sent the initiative back for rework: {from_stage} → {to_stage}")),
    Outcome.STOP: (N_("{who} stopped the initiative"), N_("{who} stopped the initiative in {from_stage}")),
    Outcome.FAST_TRACK: (N_("{who} fast-tracked the initiative"),
                         N_("{who} fast-tracked the initiative: {from_stage} → {to_stage}")),
}
HOLD_UNTIL = N_("{sentence} until the review on {date}")
ON_CONDITIONS = N_("{sentence}, on the conditions {conditions}")
TO_REDO = N_("{sentence}; to be redone: {rework}")


def _gate(outcome: Outcome) -> SentenceFunction:
    short, detailed = GATE_SENTENCES[outcome]

    def words(c: Context) -> Message:
        if "stage" not in c.before:
            return c.says(short)
        said = c.says(detailed, from_stage=_stage(c.before["stage"]),
                      to_stage=_stage(c.after.get("stage", c.before["stage"])))
        if outcome == Outcome.HOLD and c.after.get("hold_review_date"):
            said = Message(HOLD_UNTIL, {"sentence": said, "date": _as_day(c.after["hold_review_date"])})
        if outcome == Outcome.CONDITIONAL_GO and not _blank(c.after.get("conditions")):
            said = Message(ON_CONDITIONS, {"sentence": said, "conditions": Quoted(c.after["conditions"])})
        if outcome == Outcome.STOP:
            return _followed_by(said, WITH_REASON, "reason", c.after.get("stop_reason"))
        said = _followed_by(said, WITH_RATIONALE, "rationale", c.after.get("rationale"))
        return _followed_by(said, TO_REDO, "rework", c.after.get("rework"))

    return words


for _outcome in Outcome:
    sentence(f"gate.{_outcome}")(_gate(_outcome))


@sentence("gate.conditions_met")
def _conditions_met(c: Context) -> Message:
    return c.says(N_("{who} marked the conditions as met"))


@sentence("decision_owner.assign")
def _decision_owner(c: Context) -> Message:
    if "gate" not in c.after:
        return c.says(N_("{who} reassigned a decision owner"))
    user, gate = _named(c.names.users, c.after.get("user_id")), _stage(c.after["gate"])
    if c.before.get("user_id") is None:
        return c.says(N_("{who} made {user} the decision owner at the gate {gate}"), user=user, gate=gate)
    return c.says(N_("{who} made {user} the decision owner at the gate {gate}, instead of {previous}"),
                  user=user, gate=gate, previous=_named(c.names.users, c.before["user_id"]))


CHECKLIST_SENTENCES = {
    ChecklistStatus.DONE: N_("{who} marked the checklist item {item} as done"),
    ChecklistStatus.OPEN: N_("{who} reopened the checklist item {item}"),
    ChecklistStatus.NOT_APPLICABLE: N_("{who} marked the checklist item {item} as not applicable"),
}


@sentence("checklist.update", "checklist.reopen")
def _checklist(c: Context) -> Message:
    item = c.entity_name()
    status = c.after.get("status")
    if status is None:
        return c.says(N_("{who} updated the checklist item {item}"), item=item)
    if status not in CHECKLIST_SENTENCES:
        return c.says(N_("{who} set the checklist item {item} to {status}"), item=item,
                      status=value_of(ChecklistStatus, status, c.names))
    return _followed_by(c.says(CHECKLIST_SENTENCES[status], item=item), WITH_REASON, "reason",
                        c.after.get("not_applicable_reason"))


@sentence("benefit.create")
def _benefit_create(c: Context) -> Message:
    return c.says(N_("{who} added the benefit {benefit}"), benefit=c.entity_name("title"))


@sentence("benefit.update")
def _benefit_update(c: Context) -> Message:
    listed = changes(c.before, c.after, c.names)
    if listed is None:
        return c.says(N_("{who} changed the benefit {benefit}"), benefit=c.entity_name())
    return c.says(N_("{who} changed the benefit {benefit}: {changes}"), benefit=c.entity_name(), changes=listed)


@sentence("indicator.create")
def _indicator_create(c: Context) -> Message:
    return c.says(N_("{who} added the indicator {indicator}"), indicator=c.entity_name("name"))


@sentence("indicator.update", "indicator.set_volume")
def _indicator_update(c: Context) -> Message:
    listed = changes(c.before, c.after, c.names)
    if listed is None:
        return c.says(N_("{who} changed the indicator {indicator}"), indicator=c.entity_name())
    return c.says(N_("{who} changed the indicator {indicator}: {changes}"), indicator=c.entity_name(),
                  changes=listed)


@sentence("indicator.revise_baseline")
def _revise_baseline(c: Context) -> Message:
    indicator, new, old = c.entity_name(), c.after.get("baseline_value"), c.before.get("baseline_value")
    if new is None:
        return c.says(N_("{who} revised the baseline of the indicator {indicator}"), indicator=indicator)
    if old is None:
        said = c.says(N_("{who} set the baseline of the indicator {indicator} to {after}"), indicator=indicator,
                      after=value_of(NUMBER, new, c.names))
    else:
        said = c.says(N_("{who} revised the baseline of the indicator {indicator} from {before} to {after}"),
                      indicator=indicator, before=value_of(NUMBER, old, c.names), after=value_of(NUMBER, new, c.names))
    return _followed_by(said, WITH_REASON, "reason", c.after.get("reason"))


@sentence("indicator.explain_deviation")
def _explain_deviation(c: Context) -> Message:
    said = c.says(N_("{who} explained why the indicator {indicator} missed its target"), indicator=c.entity_name())
    return _followed_by(said, N_("{sentence}: {explanation}"), "explanation", c.after.get("deviation_explanation"))


@sentence("calculation.save")
def _calculation(c: Context) -> Message:
    if "discount_rate" not in c.after:
        return c.says(N_("{who} saved the benefit calculation"))
    rate = value_of(PERCENT, c.after["discount_rate"], c.names)
    years = sorted(y["year"] for y in c.after.get("years") or () if isinstance(y, dict) and "year" in y)
    if not years:
        return c.says(N_("{who} saved the benefit calculation: discount rate {rate}"), rate=rate)
    return c.says(N_("{who} saved the benefit calculation: discount rate {rate}, years {first}–{last}"),
                  rate=rate, first=years[0], last=years[-1])


def _indicator_codes(values: Any) -> Listing:
    codes = list(dict.fromkeys(v["indicator"] for v in values or () if isinstance(v, dict) and "indicator" in v))
    shown: list[Any] = codes[:LISTED_INDICATORS]
    if len(codes) > LISTED_INDICATORS:
        shown.append(Message(AND_OTHERS))
    return Listing(tuple(shown))


@sentence("measurement.record", "measurement.import")
def _measurements(c: Context) -> Message:
    imported = c.event.action == "measurement.import"
    if "inserted" not in c.after:
        return c.says(N_("{who} imported measurements") if imported else N_("{who} reported measurements"))
    counts = {"indicators": _indicator_codes(c.after.get("values")), "inserted": Number(c.after["inserted"]),
              "corrected": Number(c.after.get("corrected", 0))}
    if imported and not _blank(c.after.get("file")):
        return c.says(N_("{who} imported measurements of {indicators} from the file {file} "
                         "(new: {inserted}, corrected: {corrected})"), file=Quoted(c.after["file"]), **counts)
    return c.says(N_("{who} reported measurements of {indicators} (new: {inserted}, corrected: {corrected})"),
                  **counts)


@sentence("demo.measurements")
def _demo_measurements(c: Context) -> Message:
    if "measurements" not in c.after:
        return c.says(N_("{who} reported the demo measurements"))
    return c.says(N_("{who} reported the demo measurements (values: {count})"), count=Number(c.after["measurements"]))


@sentence("user.create")
def _user_create(c: Context) -> Message:
    return c.says(N_("{who} created the user account of {user}"), user=c.entity_name("display_name"))


@sentence("role.grant")
def _role_grant(c: Context) -> Message:
    if "role" not in c.after:
        return c.says(N_("{who} granted a role"))
    user, role = _named(c.names.users, c.after.get("user_id")), value_of(Role, c.after["role"], c.names)
    if c.after.get("portfolio_id") is not None:
        return c.says(N_("{who} gave {user} the role {role} in the portfolio {portfolio}"), user=user, role=role,
                      portfolio=Quoted(_named(c.names.portfolios, c.after["portfolio_id"])))
    if c.after.get("org_unit_id") is not None:
        return c.says(N_("{who} gave {user} the role {role} for the unit {unit}"), user=user, role=role,
                      unit=Quoted(_named(c.names.org_units, c.after["org_unit_id"])))
    return c.says(N_("{who} gave {user} the role {role}"), user=user, role=role)


@sentence("user.deactivate")
def _user_deactivate(c: Context) -> Message:
    return c.says(N_("{who} deactivated the user account of {user}"), user=c.entity_name())


@sentence("user.language")
def _user_language(c: Context) -> Message:
    listed = changes(c.before, c.after, c.names)
    if listed is None:
        return c.says(N_("{who} changed their language"))
    return c.says(N_("{who} changed {changes}"), changes=listed)


@sentence("user.link_sso")
def _link_sso(c: Context) -> Message:
    user = c.entity_name()
    if "sso_identity" not in c.after:
        return c.says(N_("{who} changed the single sign-on identity of {user}"), user=user)
    if _blank(c.after["sso_identity"]):
        return c.says(N_("{who} unlinked {user} from single sign-on"), user=user)
    return c.says(N_("{who} linked {user} to the single sign-on identity {identity}"), user=user,
                  identity=Quoted(c.after["sso_identity"]))


@sentence("user.sign_in_sso")
def _sign_in_sso(c: Context) -> Message:
    return c.says(N_("{who} signed in with single sign-on"))


@sentence("database.mark_demo")
def _mark_demo(c: Context) -> Message:
    return c.says(N_("{who} marked the database as a demo database"))


@sentence("demo.load")
def _demo_load(c: Context) -> Message:
    if "initiatives" not in c.after:
        return c.says(N_("{who} loaded the demo data"))
    return c.says(N_("{who} loaded the demo data (initiatives: {count})"), count=Number(c.after["initiatives"]))


@sentence("snapshot.freeze")
def _snapshot_freeze(c: Context) -> Message:
    if "meeting_name" not in c.after:
        return c.says(N_("{who} froze the benefit report for a steering meeting"))
    return c.says(N_("{who} froze the benefit report of the portfolio {portfolio} for the meeting {meeting} "
                     "on {date}"), portfolio=Quoted(_named(c.names.portfolios, c.after.get("portfolio_id"))),
                  meeting=Quoted(c.after["meeting_name"]), date=_as_day(c.after.get("meeting_date")))


# ------------------------------------------------------------------ the sentence of one event


def _who(event: Event, names: Names) -> Any:
    if event.user_id is None:
        return Message(THE_SYSTEM)
    return names.users.get(event.user_id, f"#{event.user_id}")


def describe(event: Event, names: Names, *, detail: bool) -> Message:
    """What ``event`` did, as a sentence without its time. With ``detail`` False it says nothing of the
    event's ``before`` and ``after`` (for readers who may not see what a change changed)."""
    who = _who(event, names)
    words = SENTENCES.get(event.action)
    if words is None:
        return Message(UNKNOWN_ACTION, {"who": who, "action": event.action})
    return words(Context(event, names, detail, who))


def audit_sentence(event: Event, names: Names, *, detail: bool, zone: str) -> Message:
    """What ``event`` did and when, in the local time of ``zone``: "Anna Berg changed the indicator “Waiting
    time”: the target from 30 to 25 (14 Mar 2026, 10:42)"."""
    return Message(WHEN, {"sentence": describe(event, names, detail=detail), "when": Moment(event.at, zone)})
