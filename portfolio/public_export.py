"""The transparency export: what the organisation publishes about its initiatives on the public web.

``public_export`` reads the public part of the portfolio into frozen records; ``export_document`` turns them
into the JSON document (checked against ``JSON_SCHEMA``), ``html_page`` into a self-contained static page in
one language, and ``write_public_export`` writes both (and the schema) into a directory.

What is published:
- every initiative that is not marked internal: its number, title, portfolio, owning unit, stage and status,
  the day it was proposed, the day it entered its stage (in the organisation's time zone), the review day of a
  hold, and its description, need and expected effects, each unless it is marked internal;
- its gate decisions: day, outcome, the stages from and to, and the rationale unless the initiative marks its
  decisions' rationales internal;
- its benefits (title, category, recipient, kind, planned realisation day) and each indicator's name, unit,
  direction, baseline, target, latest value and period, progress and status;
- a stopped initiative's stop: its day, its reason and its lessons learned, each unless marked internal.

What never is: people (implementation leads, decision owners, the need owner, reporters: the page says what was
decided, not by whom), the estimated cost (a cost published before a procurement can weaken it), the texts that
have no internal flag (benefit descriptions, indicator definitions, the conditions of a conditional go, what a
recycle sends back to be redone), measurements per org unit, and anything of an internal initiative. A text that
is internal is left out altogether: its key is missing from the JSON and its heading from the page, while an
empty text that is public is an empty string.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import false
from sqlmodel import Session, col, select

from db.models import Benefit, GateDecision, Indicator, Initiative, OrgUnit, Portfolio
from db.settings import get_settings
from portfolio import benefits_math
from portfolio.audit_prose import Day, Moment, Percent
from portfolio.i18n import N_, OUTCOME_LABELS, STAGE_LABELS, Message, format_number, translator
from portfolio.indicator_figures import _per_period, _pick, _progress, _status
from portfolio.initiatives import status_of
from portfolio.permissions import Actor, refusal, require
from workflows.vocabulary import (
    BenefitCategory,
    BenefitKind,
    Direction,
    Frequency,
    IndicatorStatus,
    InitiativeStatus,
    Outcome,
    Recipient,
    Stage,
)

# The files ``write_public_export`` writes.
JSON_FILE, HTML_FILE, SCHEMA_FILE = "transparency.json", "transparency.html", "transparency.schema.json"
FORMAT, FORMAT_VERSION = "initiative-portfolio-transparency", 1


@dataclass(frozen=True)
class PublicIndicator:
    """An indicator's public figures: its plan and its latest combined value (None before the first)."""

    name: str
    unit: str
    direction: str
    frequency: str
    baseline_value: Optional[float]
    baseline_date: Optional[date]
    target_value: Optional[float]
    target_date: Optional[date]
    latest_value: Optional[float]
    latest_period: Optional[date]
    progress: Optional[float]
    status: str


@dataclass(frozen=True)
class PublicBenefit:
    """A benefit (or dis-benefit) and its indicators."""

    title: str
    category: str
    recipient: str
    kind: str
    planned_realisation_date: Optional[date]
    indicators: tuple[PublicIndicator, ...] = ()


@dataclass(frozen=True)
class PublicDecision:
    """A gate decision; ``rationale`` is None when the initiative keeps its rationales internal."""

    decided_on: date
    outcome: str
    from_stage: str
    to_stage: str
    rationale: Optional[str]


@dataclass(frozen=True)
class PublicStop:
    """Why a stopped initiative was stopped; a text is None when it is internal."""

    stopped_on: date
    reason: Optional[str]
    lessons_learned: Optional[str]


@dataclass(frozen=True)
class PublicInitiative:
    """The public part of one initiative; a text is None when it is internal ("" when it is empty)."""

    id: int
    title: str
    portfolio: str
    org_unit: Optional[str]
    stage: str
    status: str
    proposed_on: date
    stage_entered_on: date
    hold_review_date: Optional[date]
    description: Optional[str]
    need_description: Optional[str]
    expected_effects: Optional[str]
    decisions: tuple[PublicDecision, ...] = ()
    benefits: tuple[PublicBenefit, ...] = ()
    stop: Optional[PublicStop] = None


@dataclass(frozen=True)
class PublicExport:
    """Everything the transparency export publishes, as of ``generated_at`` (UTC)."""

    generated_at: datetime
    time_zone: str
    initiatives: tuple[PublicInitiative, ...] = field(default_factory=tuple)

    @property
    def stopped(self) -> tuple[PublicInitiative, ...]:
        """The stopped initiatives, with their stop."""
        return tuple(initiative for initiative in self.initiatives if initiative.stop is not None)


# ------------------------------------------------------------------ reading


def _day(at: datetime, zone: str) -> date:
    return Moment(at, zone).local().date()


def _public(text: str, internal: bool) -> Optional[str]:
    return None if internal else text


def _public_ids():
    return select(Initiative.id).where(Initiative.internal == false())


def _indicators(session: Session) -> dict[int, list[PublicIndicator]]:
    """Each benefit's indicators with their latest figures: one query for the indicators, one for the figures."""
    # Rows, not ORM objects (a national portfolio has 110,000 indicators); a row reads like an indicator.
    indicators = session.execute(
        select(Indicator.id, Indicator.benefit_id, Indicator.name, Indicator.unit, Indicator.direction,
               Indicator.frequency, Indicator.aggregation, Indicator.baseline_value, Indicator.baseline_date,
               Indicator.target_value, Indicator.target_date, Indicator.amber_tolerance, Indicator.red_tolerance)
        .join(Benefit, Benefit.id == Indicator.benefit_id)
        .where(col(Benefit.initiative_id).in_(_public_ids())).order_by(col(Indicator.id))).all()
    ids = select(Indicator.id).join(Benefit, Benefit.id == Indicator.benefit_id).where(
        col(Benefit.initiative_id).in_(_public_ids()))
    latest = {indicator_id: points[-1] for indicator_id, points in _per_period(session, ids, latest_only=True).items()}
    result: dict[int, list[PublicIndicator]] = defaultdict(list)
    for indicator in indicators:
        period, total, mean = latest.get(indicator.id, (None, None, None))
        value = None if period is None else _pick(indicator.aggregation, total, mean)
        result[indicator.benefit_id].append(PublicIndicator(
            name=indicator.name, unit=indicator.unit, direction=str(indicator.direction),
            frequency=str(indicator.frequency), baseline_value=indicator.baseline_value,
            baseline_date=indicator.baseline_date, target_value=indicator.target_value,
            target_date=indicator.target_date, latest_value=value, latest_period=period,
            progress=_progress(indicator, value), status=str(_status(indicator, period, value))))
    return result


def public_export(*, session: Session, generated_at: Optional[datetime] = None) -> PublicExport:
    """The public part of every initiative that is not internal (see the module's docstring for what is
    published), in a fixed number of queries whatever the number of initiatives."""
    zone = get_settings().timezone
    rows = session.exec(
        select(Initiative, Portfolio.name, OrgUnit.name)
        .join(Portfolio, Portfolio.id == Initiative.portfolio_id)
        .outerjoin(OrgUnit, OrgUnit.id == Initiative.org_unit_id)
        .where(Initiative.internal == false()).order_by(col(Initiative.id))).all()
    decisions: dict[int, list[GateDecision]] = defaultdict(list)
    for decision in session.exec(
            select(GateDecision).where(col(GateDecision.initiative_id).in_(_public_ids()))
            .order_by(col(GateDecision.initiative_id), col(GateDecision.decided_at), col(GateDecision.id))).all():
        decisions[decision.initiative_id].append(decision)
    indicators = _indicators(session)
    benefits: dict[int, list[PublicBenefit]] = defaultdict(list)
    for benefit in session.exec(select(Benefit).where(col(Benefit.initiative_id).in_(_public_ids()))
                                .order_by(col(Benefit.id))).all():
        benefits[benefit.initiative_id].append(PublicBenefit(
            title=benefit.title, category=str(benefit.category), recipient=str(benefit.recipient),
            kind=str(benefit.kind), planned_realisation_date=benefit.planned_realisation_date,
            indicators=tuple(indicators.get(benefit.id, ()))))
    initiatives = []
    for initiative, portfolio, unit in rows:
        own = decisions.get(initiative.id, [])
        stop = next((d for d in reversed(own) if d.outcome == Outcome.STOP), None) \
            if initiative.stage == Stage.STOPPED else None
        initiatives.append(PublicInitiative(
            id=initiative.id, title=initiative.title, portfolio=portfolio, org_unit=unit,
            stage=str(initiative.stage), status=status_of(initiative.stage, initiative.on_hold),
            proposed_on=_day(initiative.created_at, zone), stage_entered_on=_day(initiative.stage_entered_at, zone),
            hold_review_date=initiative.hold_review_date if initiative.on_hold else None,
            description=_public(initiative.description, initiative.description_internal),
            need_description=_public(initiative.need_description, initiative.need_description_internal),
            expected_effects=_public(initiative.expected_effects, initiative.expected_effects_internal),
            decisions=tuple(PublicDecision(
                decided_on=_day(d.decided_at, zone), outcome=str(d.outcome), from_stage=str(d.from_stage),
                to_stage=str(d.to_stage), rationale=_public(d.rationale, initiative.rationale_internal))
                for d in own),
            benefits=tuple(benefits.get(initiative.id, ())),
            stop=None if stop is None else PublicStop(
                stopped_on=_day(stop.decided_at, zone),
                reason=_public(stop.stop_reason, initiative.stop_reason_internal),
                lessons_learned=_public(stop.lessons_learned, initiative.lessons_learned_internal)),
        ))
    return PublicExport(generated_at=generated_at or datetime.now(timezone.utc), time_zone=zone,
                        initiatives=tuple(initiatives))


# ------------------------------------------------------------------ the JSON document


def _iso(value: Optional[date]) -> Optional[str]:
    return None if value is None else value.isoformat()


def _texts(**texts: Optional[str]) -> dict[str, str]:
    # An internal text (None) is left out altogether, key and all.
    return {name: text for name, text in texts.items() if text is not None}


def _indicator_document(indicator: PublicIndicator) -> dict[str, Any]:
    return {
        "name": indicator.name, "unit": indicator.unit, "direction": indicator.direction,
        "frequency": indicator.frequency,
        "baseline_value": indicator.baseline_value, "baseline_date": _iso(indicator.baseline_date),
        "target_value": indicator.target_value, "target_date": _iso(indicator.target_date),
        "latest_value": indicator.latest_value,
        "latest_period": None if indicator.latest_period is None else benefits_math.format_period(
            indicator.frequency, indicator.latest_period),
        "progress": indicator.progress, "status": indicator.status,
    }


def _initiative_document(initiative: PublicInitiative) -> dict[str, Any]:
    stop = initiative.stop
    return {
        "id": initiative.id, "title": initiative.title, "portfolio": initiative.portfolio,
        "org_unit": initiative.org_unit, "stage": initiative.stage, "status": initiative.status,
        "proposed_on": _iso(initiative.proposed_on), "stage_entered_on": _iso(initiative.stage_entered_on),
        "hold_review_date": _iso(initiative.hold_review_date),
        **_texts(description=initiative.description, need_description=initiative.need_description,
                 expected_effects=initiative.expected_effects),
        "decisions": [{"decided_on": _iso(d.decided_on), "outcome": d.outcome, "from_stage": d.from_stage,
                       "to_stage": d.to_stage, **_texts(rationale=d.rationale)} for d in initiative.decisions],
        "benefits": [{"title": b.title, "category": b.category, "recipient": b.recipient, "kind": b.kind,
                      "planned_realisation_date": _iso(b.planned_realisation_date),
                      "indicators": [_indicator_document(i) for i in b.indicators]} for b in initiative.benefits],
        "stop": None if stop is None else {
            "stopped_on": _iso(stop.stopped_on), **_texts(reason=stop.reason, lessons_learned=stop.lessons_learned)},
    }


def export_document(export: PublicExport) -> dict[str, Any]:
    """The export as the JSON document that ``JSON_SCHEMA`` describes: ids for stages, outcomes and statuses
    (the README lists them), ISO dates, numbers as numbers, internal texts left out."""
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "generated_at": export.generated_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "time_zone": export.time_zone,
        "initiatives": [_initiative_document(initiative) for initiative in export.initiatives],
    }


def json_text(export: PublicExport) -> str:
    """The JSON document as compact UTF-8 text (å, ä, ö and ø as they are): a national portfolio's is tens of
    megabytes, and the schema documents it."""
    return json.dumps(export_document(export), ensure_ascii=False, separators=(",", ":")) + "\n"


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def _ids(vocabulary) -> dict[str, Any]:
    return {"enum": [member.value for member in vocabulary]}


_DATE = {"type": "string", "format": "date"}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": [name for name in properties if name not in optional]}


# The JSON document's schema (JSON Schema 2020-12): every object is closed, so a field that is not published
# cannot slip in; the texts that may be internal are the optional properties.
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Initiative portfolio: transparency export",
    **_object({
        "format": {"const": FORMAT},
        "format_version": {"const": FORMAT_VERSION},
        "generated_at": {"type": "string", "format": "date-time"},
        "time_zone": {"type": "string"},
        "initiatives": {"type": "array", "items": _object({
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "portfolio": {"type": "string"},
            "org_unit": _nullable("string"),
            "stage": _ids(Stage),
            "status": _ids(InitiativeStatus),
            "proposed_on": _DATE,
            "stage_entered_on": _DATE,
            "hold_review_date": _NULLABLE_DATE,
            "description": {"type": "string"},
            "need_description": {"type": "string"},
            "expected_effects": {"type": "string"},
            "decisions": {"type": "array", "items": _object({
                "decided_on": _DATE, "outcome": _ids(Outcome), "from_stage": _ids(Stage), "to_stage": _ids(Stage),
                "rationale": {"type": "string"},
            }, optional=("rationale",))},
            "benefits": {"type": "array", "items": _object({
                "title": {"type": "string"}, "category": _ids(BenefitCategory), "recipient": _ids(Recipient),
                "kind": _ids(BenefitKind), "planned_realisation_date": _NULLABLE_DATE,
                "indicators": {"type": "array", "items": _object({
                    "name": {"type": "string"}, "unit": {"type": "string"}, "direction": _ids(Direction),
                    "frequency": _ids(Frequency),
                    "baseline_value": _nullable("number"), "baseline_date": _NULLABLE_DATE,
                    "target_value": _nullable("number"), "target_date": _NULLABLE_DATE,
                    "latest_value": _nullable("number"), "latest_period": _nullable("string"),
                    "progress": _nullable("number"), "status": _ids(IndicatorStatus),
                })},
            })},
            "stop": {"oneOf": [{"type": "null"}, _object({
                "stopped_on": _DATE, "reason": {"type": "string"}, "lessons_learned": {"type": "string"},
            }, optional=("reason", "lessons_learned"))]},
        }, optional=("description", "need_description", "expected_effects"))},
    }),
}


# ------------------------------------------------------------------ the static HTML page

# The page's own words (msgids): the reader's language comes from ``html_page``'s ``language``.
TEXT = {
    "title": N_("Digital initiatives: transparency report"),
    "generated": N_("Published {when}. Initiatives marked internal and texts marked internal are left out."),
    "per_stage": N_("Initiatives per stage"),
    "stage": N_("Stage"),
    "count": N_("Number of initiatives"),
    "stopped": N_("Stopped initiatives"),
    "no_stopped": N_("No initiative has been stopped."),
    "initiative": N_("Initiative"),
    "stopped_on": N_("Stopped on"),
    "reason": N_("Reason for stopping"),
    "lessons": N_("Lessons learned"),
    "initiatives": N_("All initiatives"),
    "none": N_("There are no initiatives to publish."),
    "status": N_("Status"),
    "portfolio": N_("Portfolio"),
    "unit": N_("Owning unit"),
    "proposed_on": N_("Proposed on"),
    "stage_since": N_("In this stage since"),
    "hold_until": N_("On hold until"),
    "description": N_("Description"),
    "need": N_("Need"),
    "effects": N_("Expected effects"),
    "benefits": N_("Benefits and their latest figures"),
    "benefit": N_("Benefit"),
    "indicator": N_("Indicator"),
    "baseline": N_("Baseline"),
    "target": N_("Target"),
    "latest": N_("Latest"),
    "progress": N_("Progress to target"),
    "decisions": N_("Decisions"),
    "day": N_("Date"),
    "decision": N_("Decision"),
    "stages": N_("From → to"),
    "rationale": N_("Rationale"),
    "value_on": N_("{value} ({when})"),
}
TEMPLATES = Path(__file__).with_name("templates")


def _environment() -> Environment:
    # Autoescape: every value the page shows (titles, texts, names) is escaped, so typed markup stays text.
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _page_model(export: PublicExport, language: str) -> dict[str, Any]:
    """Everything the template shows, already in ``language``: the template only lays it out."""
    _ = translator(language)

    # Babel's formatting is most of the page's time at national scale (300,000 dates and numbers), and the same
    # days and figures recur: each is formatted once.
    @lru_cache(maxsize=None)
    def day(value: Optional[date]) -> str:
        return "–" if value is None else Day(value).render(language)

    @lru_cache(maxsize=None)
    def amount(value: float) -> str:
        return format_number(value, language, 2)

    def number(value: Optional[float], unit: str = "") -> str:
        if value is None:
            return "–"
        return f"{amount(value)} {unit}".strip()

    def figure(value: Optional[float], unit: str, on: Optional[date]) -> str:
        shown = number(value, unit)
        return shown if value is None or on is None else _(TEXT["value_on"], value=shown, when=day(on))

    def indicator(i: PublicIndicator) -> dict[str, str]:
        period = None if i.latest_period is None else benefits_math.format_period(i.frequency, i.latest_period)
        latest = number(i.latest_value, i.unit) if period is None else _(
            TEXT["value_on"], value=number(i.latest_value, i.unit), when=period)
        return {"name": i.name, "direction": _(Direction(i.direction).label),
                "baseline": figure(i.baseline_value, i.unit, i.baseline_date),
                "target": figure(i.target_value, i.unit, i.target_date), "latest": latest,
                "progress": "–" if i.progress is None else Percent(round(i.progress, 3)).render(language),
                "status": _(IndicatorStatus(i.status).label), "status_id": i.status}

    def initiative(i: PublicInitiative) -> dict[str, Any]:
        texts = [(TEXT["description"], i.description), (TEXT["need"], i.need_description),
                 (TEXT["effects"], i.expected_effects)]
        return {
            "id": i.id, "title": i.title, "portfolio": i.portfolio, "unit": i.org_unit or "–",
            "stage": _(STAGE_LABELS[i.stage]), "status": _(InitiativeStatus(i.status).label),
            "proposed_on": day(i.proposed_on), "stage_since": day(i.stage_entered_on),
            "hold_until": None if i.hold_review_date is None else day(i.hold_review_date),
            "texts": [(_(label), text) for label, text in texts if text],
            "benefits": [{"title": b.title, "category": _(BenefitCategory(b.category).label),
                          "recipient": _(Recipient(b.recipient).label), "kind": _(BenefitKind(b.kind).label),
                          "indicators": [indicator(x) for x in b.indicators]} for b in i.benefits],
            "decisions": [{"day": day(d.decided_on), "outcome": _(OUTCOME_LABELS[d.outcome]),
                           "stages": f"{_(STAGE_LABELS[d.from_stage])} → {_(STAGE_LABELS[d.to_stage])}",
                           "rationale": d.rationale or ""} for d in i.decisions],
        }

    counts = {stage: 0 for stage in Stage}
    for i in export.initiatives:
        counts[Stage(i.stage)] += 1
    return {
        "lang": language,
        "text": {key: _(msgid) for key, msgid in TEXT.items() if key not in ("generated", "value_on")},
        "generated": _(TEXT["generated"], when=Moment(export.generated_at, export.time_zone).render(language)),
        "per_stage": [(_(STAGE_LABELS[stage]), format_number(count, language, 0)) for stage, count in counts.items()],
        "stopped": [{"id": i.id, "title": i.title, "day": day(i.stop.stopped_on), "reason": i.stop.reason,
                     "lessons": i.stop.lessons_learned} for i in export.stopped],
        "initiatives": [initiative(i) for i in export.initiatives],
    }


def html_page(export: PublicExport, language: str) -> str:
    """The export as one static HTML page in ``language`` (sv, nb, en): inline CSS, no scripts, nothing fetched
    from anywhere, so it works opened from disk or served as a plain file. Every text is escaped."""
    return _environment().get_template("transparency.html").render(_page_model(export, language))


def write_public_export(export: PublicExport, directory: Path, language: str) -> list[Path]:
    """Write the JSON document, the HTML page (in ``language``) and the schema into ``directory`` (created when
    missing); the paths written. Both are written as they are made, never held whole in memory."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / JSON_FILE, directory / HTML_FILE, directory / SCHEMA_FILE]
    with paths[0].open("w", encoding="utf-8") as handle:
        json.dump(export_document(export), handle, ensure_ascii=False, separators=(",", ":"))
        handle.write("\n")
    _environment().get_template("transparency.html").stream(_page_model(export, language)).dump(
        str(paths[1]), encoding="utf-8")
    paths[2].write_text(json.dumps(JSON_SCHEMA, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return paths


# ------------------------------------------------------------------ the download


@dataclass(frozen=True)
class TransparencyPage:
    """What the Transparency export page offers its reader: None when they may download, else the refusal."""

    refusal: Optional[Message]


def transparency_page(*, session: Session, actor: Optional[Actor]) -> TransparencyPage:
    """The Transparency export page's one read: whether the reader may download ("export.public")."""
    return TransparencyPage(refusal=refusal("export.public", actor))


def public_html_for(*, session: Session, actor: Optional[Actor], language: str) -> bytes:
    """The HTML page for a signed-in user who may publish it ("export.public": administrators and portfolio
    owners), in ``language``."""
    require("export.public", actor)
    return html_page(public_export(session=session), language).encode("utf-8")


def public_json_for(*, session: Session, actor: Optional[Actor]) -> bytes:
    """The JSON document for a signed-in user who may publish it ("export.public")."""
    require("export.public", actor)
    return json_text(public_export(session=session)).encode("utf-8")
