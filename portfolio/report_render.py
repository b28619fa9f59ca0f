"""The benefit report in words and files: HTML, PDF, Excel and CSV, in the reader's language.

Everything here reads a ``BenefitReport`` (plain values) and nothing else, so a frozen snapshot renders exactly
as it did. Sentences are catalogue msgids; numbers and dates are Babel's in the reader's locale. The tables
(``report_tables``) are shared by the HTML, the workbook, the CSV files and the page, so every form shows the
same figures. Every text a user typed is escaped in HTML (Jinja's autoescape) and neutralised in CSV and
Excel (``portfolio.exports``).
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_percent

from portfolio.benefit_report import BenefitReport, DecisionLine, IndicatorLine, InitiativeSection, SeriesPoint
from portfolio.benefits_math import format_period
from portfolio.exports import csv_bytes, xlsx_bytes
from portfolio.i18n import BABEL_LOCALES, N_, Np_, OUTCOME_LABELS, STAGE_LABELS, format_number, translator
from workflows.vocabulary import IndicatorStatus, Outcome

Translate = Callable[..., str]

# Excel number formats: money and counts in whole units, indicator values with two decimals, shares as percent.
MONEY, VALUE, PERCENT = "#,##0", "#,##0.00", "0%"


def _locale(language: str) -> str:
    return BABEL_LOCALES.get(language, "sv_SE")


def _money(value: Optional[float], language: str) -> str:
    return format_number(value, language, 0)


def _value(value: Optional[float], language: str) -> str:
    return format_number(value, language, 2)


def _share(value: Optional[float], language: str) -> str:
    return "–" if value is None else format_percent(value, locale=_locale(language))


def _day(value: Optional[date], language: str, form: str = "short") -> str:
    return "–" if value is None else format_date(value, format=form, locale=_locale(language))


def _local_day(moment: datetime, zone: str) -> date:
    """The day a stored UTC time falls on in the organisation's time zone (the report's own)."""
    return moment.astimezone(ZoneInfo(zone)).date()


def _with_unit(text: str, unit: str) -> str:
    return f"{text}\u00a0{unit}" if unit else text


def _years(report: BenefitReport) -> str:
    first, last = report.period_from.year, report.period_to.year
    return str(first) if first == last else f"{first}–{last}"


STATUS_LABELS = IndicatorStatus.labels()


# ------------------------------------------------------------------ sentences


def period_text(report: BenefitReport, language: str) -> str:
    """The period in words: "Period: 1 January 2026 – 28 November 2026"."""
    _ = translator(language)
    return _(N_("Period: {start} – {end}"), start=_day(report.period_from, language, "long"),
             end=_day(report.period_to, language, "long"))


def generated_text(report: BenefitReport, language: str) -> str:
    """When and by whom the report was made, on the day of the organisation's time zone."""
    _ = translator(language)
    return _(N_("Made on {date} by {name}."), date=_day(_local_day(report.generated_at, report.timezone), language,
                                                       "long"), name=report.generated_by)


def summary_sentences(report: BenefitReport, language: str) -> list[str]:
    """The summary in plain sentences: initiatives, decisions and outcomes, benefits by status, money, costs,
    stopped initiatives."""
    _ = translator(language)
    s = report.summary
    sentences = [_(Np_("{count} initiative was open in the period.", "{count} initiatives were open in the period."),
                   count=len(report.initiatives))]
    decided = _(Np_("{count} gate decision was taken in the period.", "{count} gate decisions were taken in the period."),
                count=s.decisions)
    outcomes = [_(N_("{outcome}: {count}"), outcome=_(OUTCOME_LABELS[o.outcome]), count=format_number(o.count, language, 0))
                for o in s.outcomes if o.count]
    if outcomes:
        decided += " " + _(N_("Outcomes: {outcomes}."), outcomes=format_list(outcomes, locale=_locale(language)))
    sentences.append(decided)
    sentences.append(" ".join([
        _(N_("Benefits with indicators: {on_track} on track, {at_risk} at risk, {off_track} off track, {unknown} "
             "without figures to judge."),
          on_track=format_number(s.benefits.on_track, language, 0), at_risk=format_number(s.benefits.at_risk, language, 0),
          off_track=format_number(s.benefits.off_track, language, 0),
          unknown=format_number(s.benefits.unknown, language, 0)),
        _(N_("A benefit counts as off track when any of its indicators is, and at risk when any is slightly behind.")),
    ]))
    if s.money.initiatives_with_money:
        sentences.append(_(N_("The indicators that give money planned a benefit of {planned} in the period and "
                              "realised {realised}."), planned=_money(s.money.planned, language),
                           realised=_money(s.money.realised, language)))
    else:
        sentences.append(_(N_("No indicator gives money yet (it needs its benefit's money value per unit and a "
                              "volume per year).")))
    sentences.append(_(N_("The benefit calculations expect a benefit of {benefit} in {years}."),
                       benefit=_money(s.money.calculation_benefit, language), years=_years(report)))
    sentences.append(_(N_("They put the investment at {investment} and the operating cost at {operation} over all "
                          "their years, against an estimated cost of {estimated}; in {years}, investment "
                          "{investment_in_period} and operating cost {operation_in_period}."),
                       investment=_money(s.costs.investment, language), operation=_money(s.costs.operation, language),
                       estimated=_money(s.costs.estimated, language), years=_years(report),
                       investment_in_period=_money(s.costs.investment_in_period, language),
                       operation_in_period=_money(s.costs.operation_in_period, language)))
    if s.costs.without_calculation:
        sentences.append(_(Np_("{count} initiative has no benefit calculation.",
                               "{count} initiatives have no benefit calculation."), count=s.costs.without_calculation))
    sentences.append(_(Np_("{count} initiative was stopped in the period.", "{count} initiatives were stopped in the period."),
                       count=len(s.stopped)))
    return sentences


def stage_sentence(section: InitiativeSection, language: str) -> str:
    """Where the initiative stands at the period's end, and where it stood when the period began."""
    _ = translator(language)
    stage = _(STAGE_LABELS[section.stage])
    if section.stage_at_start is None:
        text = _(N_("Stands in {stage}; it was proposed during the period."), stage=stage)
    elif section.stage_at_start == section.stage:
        text = _(N_("Stands in {stage}, as when the period began."), stage=stage)
    else:
        text = _(N_("Stands in {stage}; it stood in {start} when the period began."), stage=stage,
                 start=_(STAGE_LABELS[section.stage_at_start]))
    return text + (" " + _(N_("It is on hold.")) if section.on_hold else "")


def decision_sentence(decision: DecisionLine, zone: str, language: str) -> str:
    """One decision in words: its day, outcome, the stages it moved between and who took it."""
    _ = translator(language)
    return _(N_("{date}: {outcome} from {from_stage} to {to_stage}, decided by {name}."),
             date=_day(_local_day(decision.decided_at, zone), language), outcome=_(OUTCOME_LABELS[decision.outcome]),
             from_stage=_(STAGE_LABELS[decision.from_stage]), to_stage=_(STAGE_LABELS[decision.to_stage]),
             name=decision.decided_by)


def money_sentence(section: InitiativeSection, language: str) -> Optional[str]:
    """The initiative's money in the period and its costs, or None when it has neither."""
    _ = translator(language)
    parts = []
    if section.planned_money is not None:
        parts.append(_(N_("Its indicators planned a benefit of {planned} in the period and realised {realised}."),
                       planned=_money(section.planned_money, language),
                       realised=_money(section.realised_money, language)))
    if section.investment is not None:
        parts.append(_(N_("Its benefit calculation puts the investment at {investment} and the operating cost at "
                          "{operation}; the estimated cost is {estimated}."),
                       investment=_money(section.investment, language), operation=_money(section.operation, language),
                       estimated=_money(section.estimated_cost, language)))
    return " ".join(parts) or None


def indicator_sentence(line: IndicatorLine, language: str) -> str:
    """One indicator in words: its latest value, how far it has come from baseline to target, and its status."""
    _ = translator(language)
    status = _(STATUS_LABELS[line.status])
    if line.latest_value is None:
        return _(N_("{name}: not measured yet."), name=line.name)
    latest = _with_unit(_value(line.latest_value, language), line.unit)
    period = format_period(line.frequency, line.latest_period)
    if line.progress is None:
        return _(N_("{name}: {latest} in {period} ({status})."), name=line.name, latest=latest, period=period,
                 status=status)
    return _(N_("{name}: {latest} in {period}, {progress} of the way from {baseline} to {target} ({status})."),
             name=line.name, latest=latest, period=period, progress=_share(line.progress, language),
             baseline=_value(line.baseline_value, language), target=_value(line.target_value, language),
             status=status)


# ------------------------------------------------------------------ tables


@dataclass(frozen=True)
class Table:
    """One table of the report: ``key`` names its CSV file (stable, English), ``title`` its sheet and heading
    (in the reader's language); ``rows`` hold plain values (text, numbers, dates, None); ``formats`` gives an
    Excel number format per column index."""

    key: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    formats: dict[int, str] = field(default_factory=dict)


def report_tables(report: BenefitReport, language: str) -> list[Table]:
    """Every table of the report, in the order the report reads: summary figures, stages, decisions, stopped
    initiatives, initiatives, indicators, and the indicators' values per period."""
    _ = translator(language)
    s, zone = report.summary, report.timezone
    yes, no = _(N_("Yes")), _(N_("No"))
    figures = [
        (_(N_("Initiatives open in the period")), len(report.initiatives)),
        (_(N_("Gate decisions in the period")), s.decisions),
        *[(_(N_("Decisions: {outcome}"), outcome=_(OUTCOME_LABELS[o.outcome])), o.count) for o in s.outcomes],
        (_(N_("Benefits on track")), s.benefits.on_track),
        (_(N_("Benefits at risk")), s.benefits.at_risk),
        (_(N_("Benefits off track")), s.benefits.off_track),
        (_(N_("Benefits without figures to judge")), s.benefits.unknown),
        (_(N_("Indicators on track")), s.indicators.on_track),
        (_(N_("Indicators at risk")), s.indicators.at_risk),
        (_(N_("Indicators off track")), s.indicators.off_track),
        (_(N_("Indicators without figures to judge")), s.indicators.unknown),
        (_(N_("Planned benefit from indicators in the period")), s.money.planned),
        (_(N_("Realised benefit from indicators in the period")), s.money.realised),
        (_(N_("Expected benefit in the calculations, {years}"), years=_years(report)), s.money.calculation_benefit),
        (_(N_("Estimated cost")), s.costs.estimated),
        (_(N_("Investment in the calculations")), s.costs.investment),
        (_(N_("Operating cost in the calculations")), s.costs.operation),
        (_(N_("Investment in the calculations, {years}"), years=_years(report)), s.costs.investment_in_period),
        (_(N_("Operating cost in the calculations, {years}"), years=_years(report)), s.costs.operation_in_period),
        (_(N_("Initiatives without a benefit calculation")), s.costs.without_calculation),
        (_(N_("Initiatives stopped in the period")), len(s.stopped)),
    ]
    number, title = _(N_("No.")), _(N_("Initiative"))
    return [
        Table("summary", _(N_("Summary")), (_(N_("Figure")), _(N_("Value"))),
              tuple((label, value) for label, value in figures), {1: MONEY}),
        Table("stages", _(N_("Stages")), (_(N_("Stage")), _(N_("At the start")), _(N_("At the end")), _(N_("Change"))),
              tuple((_(STAGE_LABELS[c.stage]), c.at_start, c.at_end, c.change) for c in s.stages)),
        Table("decisions", _(N_("Decisions")),
              (_(N_("Day")), number, title, _(N_("Outcome")), _(N_("From stage")), _(N_("To stage")),
               _(N_("Decided by")), _(N_("Rationale")), _(N_("Conditions")), _(N_("Reason for stopping"))),
              tuple((_local_day(d.decided_at, zone), d.initiative_id, d.initiative_title,
                     _(OUTCOME_LABELS[d.outcome]), _(STAGE_LABELS[d.from_stage]), _(STAGE_LABELS[d.to_stage]),
                     d.decided_by, d.rationale, d.conditions, d.stop_reason) for d in report.decisions)),
        Table("stopped", _(N_("Stopped initiatives")),
              (_(N_("Day")), number, title, _(N_("Stopped in stage")), _(N_("Reason")), _(N_("Lessons learned"))),
              tuple((_local_day(x.stopped_at, zone), x.initiative_id, x.title, _(STAGE_LABELS[x.from_stage]),
                     x.reason, x.lessons_learned) for x in s.stopped)),
        Table("initiatives", _(N_("Initiatives")),
              (number, title, _(N_("Portfolio")), _(N_("Org unit")), _(N_("Implementation lead")),
               _(N_("Stage at the start")), _(N_("Stage at the end")), _(N_("On hold")),
               _(N_("Decisions in the period")), _(N_("Estimated cost")), _(N_("Investment")), _(N_("Operation")),
               _(N_("Planned benefit")), _(N_("Realised benefit"))),
              tuple((i.initiative_id, i.title, i.portfolio, i.org_unit, i.lead,
                     _(STAGE_LABELS[i.stage_at_start]) if i.stage_at_start else None, _(STAGE_LABELS[i.stage]),
                     yes if i.on_hold else no, len(i.decisions), i.estimated_cost, i.investment, i.operation,
                     i.planned_money, i.realised_money) for i in report.initiatives),
              {9: MONEY, 10: MONEY, 11: MONEY, 12: MONEY, 13: MONEY}),
        Table("indicators", _(N_("Indicators")),
              (number, title, _(N_("Code")), _(N_("Indicator")), _(N_("Benefit")), _(N_("Unit")), _(N_("Baseline")),
               _(N_("Baseline date")), _(N_("Target")), _(N_("Target date")), _(N_("Latest")),
               _(N_("Latest period")), _(N_("Share of the way")), _(N_("Status"))),
              tuple((i.initiative_id, i.title, n.code, n.name, n.benefit_title, n.unit, n.baseline_value,
                     n.baseline_date, n.target_value, n.target_date, n.latest_value, n.latest_period, n.progress,
                     _(STATUS_LABELS[n.status])) for i in report.initiatives for n in i.indicators),
              {6: VALUE, 8: VALUE, 10: VALUE, 12: PERCENT}),
        Table("values", _(N_("Values per period")), (number, _(N_("Code")), _(N_("Period")), _(N_("Value"))),
              tuple((i.initiative_id, n.code, p.period, p.value)
                    for i in report.initiatives for n in i.indicators for p in n.series), {3: VALUE}),
    ]


# ------------------------------------------------------------------ files


def render_xlsx(report: BenefitReport, language: str) -> bytes:
    """The report as an Excel workbook: one sheet per table, numbers and dates typed, header rows frozen, columns
    fitted, every cell through the export writer's formula neutraliser."""
    tables = report_tables(report, language)
    names = _sheet_names([t.title for t in tables])
    return xlsx_bytes({name: [t.header, *t.rows] for name, t in zip(names, tables)},
                      number_formats={name: t.formats for name, t in zip(names, tables)})


def _sheet_names(titles: list[str]) -> list[str]:
    # Excel allows 31 characters and none of []:*?/\ in a sheet name, and no two alike.
    names: list[str] = []
    for title in titles:
        name = "".join(" " if c in "[]:*?/\\" else c for c in title)[:31]
        while name in names:
            name = name[:28] + f" {len(names)}"
        names.append(name)
    return names


def render_csv(report: BenefitReport, language: str) -> dict[str, bytes]:
    """One CSV file per table (``summary.csv``, ``decisions.csv`` ...), UTF-8 with a byte-order mark for Excel,
    every text cell neutralised."""
    return {f"{t.key}.csv": csv_bytes([t.header, *t.rows], bom=True) for t in report_tables(report, language)}


def csv_zip(files: dict[str, bytes]) -> bytes:
    """The CSV files in one zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# ------------------------------------------------------------------ charts


# A chart 40 mm wide shows no more than this many points; every point drawn costs the PDF time.
CHART_POINTS, SHOW_POINTS = 60, 6

# One small chart of an indicator: its values (dots too when there are few), the baseline (grey) and target
# (green) as dashed rules, and the planned path between them (dotted). Every chart has this shape, so it is
# compiled to Vega once and each chart only fills in its data and its time axis: compiling took twice as long
# as drawing. No background: the page is white, and every shape drawn costs the PDF time.
_CHART = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": 150, "height": 36,
    "background": None, "config": {"view": {"stroke": None}},
    "layer": [
        {"data": {"name": "plan"}, "mark": {"type": "line", "color": "#2e7d32", "strokeDash": [1, 2],
                                            "strokeWidth": 1, "clip": True},
         "encoding": {"x": {"field": "period", "type": "temporal", "axis": None},
                      "y": {"field": "value", "type": "quantitative", "axis": None, "scale": {"zero": False}}}},
        {"data": {"name": "rules"}, "mark": {"type": "rule", "strokeDash": [3, 3], "strokeWidth": 1},
         "encoding": {"y": {"field": "value", "type": "quantitative"},
                      "color": {"field": "color", "type": "nominal", "scale": None}}},
        {"data": {"name": "series"}, "mark": {"type": "line", "color": "#1f4e79", "strokeWidth": 1.5},
         "encoding": {"x": {"field": "period", "type": "temporal"}, "y": {"field": "value", "type": "quantitative"}}},
        {"data": {"name": "dots"}, "mark": {"type": "circle", "color": "#1f4e79", "size": 8, "opacity": 1},
         "encoding": {"x": {"field": "period", "type": "temporal"}, "y": {"field": "value", "type": "quantitative"}}},
    ],
}


@lru_cache(maxsize=1)
def _chart_template() -> str:
    import vl_convert

    return json.dumps(vl_convert.vegalite_to_vega(_CHART))


def _thinned(series: tuple[SeriesPoint, ...]) -> tuple[SeriesPoint, ...]:
    """At most CHART_POINTS points, evenly spread over the series, its first and last kept."""
    if len(series) <= CHART_POINTS:
        return series
    step = (len(series) - 1) / (CHART_POINTS - 1)
    return tuple(series[round(i * step)] for i in range(CHART_POINTS))


def _epoch_ms(day: date) -> int:
    return round(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)


def chart_vega(line: IndicatorLine, report: BenefitReport) -> dict:
    """The Vega spec of one indicator's small chart, over the report's period (from its first value, when that
    comes earlier)."""
    vega = json.loads(_chart_template())
    points = _thinned(line.series)
    values = {
        "series": [{"period": p.period.isoformat(), "value": p.value} for p in points],
        "dots": [{"period": p.period.isoformat(), "value": p.value} for p in points] if len(points) <= SHOW_POINTS
        else [],
        "rules": [{"value": v, "color": c} for v, c in ((line.baseline_value, "#888888"),
                                                         (line.target_value, "#2e7d32")) if v is not None],
        "plan": [{"period": line.baseline_date.isoformat(), "value": line.baseline_value},
                 {"period": line.target_date.isoformat(), "value": line.target_value}]
        if None not in (line.baseline_value, line.target_value, line.baseline_date, line.target_date) else [],
    }
    for data in vega["data"]:
        if data["name"] in values:
            data["values"] = values[data["name"]]
    start = min([report.period_from, *[p.period for p in points]])
    for scale in vega["scales"]:
        if scale["name"] == "x":
            scale["domain"] = [_epoch_ms(start), _epoch_ms(report.period_to)]
    return vega


def _charted(report: BenefitReport) -> list[IndicatorLine]:
    """The indicators that get a chart, in the report's order: those with at least two values to draw."""
    return [line for section in report.initiatives for line in section.indicators if len(line.series) > 1]


def _chart_svg(line: IndicatorLine, report: BenefitReport) -> str:
    import vl_convert

    return vl_convert.vega_to_svg(chart_vega(line, report))


def chart_svgs(report: BenefitReport) -> dict[int, str]:
    """An SVG chart (from vl-convert) for every indicator with at least two values, by indicator id. Converted
    two at a time: each conversion waits mostly on vl-convert's own engine."""
    lines = _charted(report)
    with ThreadPoolExecutor(max_workers=2) as pool:
        svgs = list(pool.map(lambda line: _chart_svg(line, report), lines))
    return {line.indicator_id: svg for line, svg in zip(lines, svgs)}


# ------------------------------------------------------------------ HTML and PDF


_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<title>{{ heading }}</title>
<style>
@page {
  size: A4; margin: 20mm 15mm 18mm 15mm; font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  @top-left { content: string(portfolio); font-size: 8pt; color: #555; }
  @top-right { content: string(period); font-size: 8pt; color: #555; }
  @bottom-left { content: string(generated); font-size: 8pt; color: #555; }
  @bottom-right { content: {{ page_counter }}; font-size: 8pt; color: #555; }
}
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9pt; line-height: 1.35;
       color: #1a1a1a; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 7mm 0 2mm; border-bottom: 0.5pt solid #999; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 5mm 0 1mm; break-after: avoid; }
.portfolio-name { string-set: portfolio content(); }
.period { string-set: period content(); margin: 0; }
.generated { string-set: generated content(); margin: 0 0 4mm; color: #555; }
/* Fixed layout and separate borders: WeasyPrint lays a fixed table out without measuring every cell first. */
table { table-layout: fixed; border-collapse: separate; border-spacing: 0; width: 100%; margin: 2mm 0 3mm; }
caption { text-align: left; font-weight: bold; padding: 1mm 0; }
th, td { border-bottom: 0.4pt solid #ccc; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
/* An indicator is one sentence with its chart beside it: far quicker to lay out than a table row per indicator. */
p.indicator { clear: right; margin: 0 0 1mm; min-height: 12mm; }
img.chart { float: right; width: 40mm; height: auto; margin: 0 0 1mm 3mm; }
th { background: #eef2f6; font-weight: bold; }
td.number, th.number { text-align: right; white-space: nowrap; }
tr { break-inside: avoid; }
section.initiative { break-before: auto; }
.status-green { color: #2e7d32; } .status-amber { color: #a15c00; } .status-red { color: #b00020; }
.quote { color: #444; }
</style>
</head>
<body>
<h1>{{ heading_prefix }} <span class="portfolio-name">{{ report.portfolio }}</span></h1>
<p class="period">{{ period }}</p>
<p class="generated">{{ generated }}</p>

<h2>{{ t.summary }}</h2>
{% for sentence in summary %}<p>{{ sentence }}</p>
{% endfor %}
{% for table in tables %}
<table>
<caption>{{ table.title }}</caption>
<thead><tr>{% for h in table.header %}<th{% if loop.index0 in table.numeric %} class="number"{% endif %}>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in table.rows %}<tr>{% for cell in row %}<td{% if loop.index0 in table.numeric %} class="number"{% endif %}>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% endfor %}

<h2>{{ t.initiatives }}</h2>
{% for s in sections %}
<section class="initiative">
<h3>{{ s.heading }}</h3>
<p>{{ s.facts }}<br>{{ s.stage }}{% if not s.decisions %} {{ t.no_decisions }}{% endif %}</p>
{% if s.money %}<p>{{ s.money }}</p>{% endif %}
{% for d in s.decisions %}<p>{{ d.sentence }}{% if d.note %}<br><span class="quote">{{ d.note }}</span>{% endif %}</p>
{% endfor %}
{% for n in s.indicators %}<p class="indicator">{% if n.chart %}<img class="chart" src="{{ n.chart }}" alt="{{ n.alt }}">{% endif %}<span class="status-{{ n.status_id }}">●</span> {{ n.sentence }}</p>
{% endfor %}{% if s.unmeasured %}<p>{{ s.unmeasured }}</p>{% elif not s.indicators %}<p>{{ t.no_indicators }}</p>{% endif %}
</section>
{% endfor %}
</body>
</html>
"""


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (quotes, backslashes and line breaks escaped)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ").replace("<", "\\3C ")
    return f'"{escaped}"'


def _page_counter(language: str) -> str:
    # "Page {page} of {pages}" in the reader's language, its numbers as CSS page counters.
    text = translator(language)(N_("Page {page} of {pages}"), page="\x00page\x00", pages="\x00pages\x00")
    parts = []
    for piece in text.split("\x00"):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


def _cell(value: Any, fmt: Optional[str], language: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if fmt == PERCENT:
            return _share(value, language)
        return format_number(value, language, 0 if fmt == MONEY or isinstance(value, int) else 2)
    if isinstance(value, date):
        return _day(value, language)
    return str(value)


def _html_tables(report: BenefitReport, language: str) -> list[dict]:
    """The summary's tables for HTML (stages, outcomes, decisions, stopped), their cells formatted."""
    # The decisions are told per initiative below (and listed in the workbook and the CSV files).
    shown = {"stages", "stopped"}
    result = []
    for table in report_tables(report, language):
        if table.key not in shown or not table.rows:
            continue
        numeric = {i for i, v in enumerate(table.rows[0]) if isinstance(v, (int, float)) and not isinstance(v, bool)}
        rows = [[_cell(v, table.formats.get(i), language) for i, v in enumerate(row)] for row in table.rows]
        if table.key == "stages":
            rows = [row[:3] + [_signed(raw[3], language)] for row, raw in zip(rows, table.rows)]
        result.append({"title": table.title, "header": table.header, "rows": rows, "numeric": numeric})
    return result


def _signed(value: int, language: str) -> str:
    # A change shows its sign: +3, −2 (a true minus sign), 0.
    text = format_number(abs(value), language, 0)
    return f"+{text}" if value > 0 else f"\u2212{text}" if value < 0 else text


def _sections(report: BenefitReport, language: str, charts: dict[int, str]) -> list[dict]:
    """The initiatives' sections for the template; ``charts`` gives each charted indicator's image address."""
    _ = translator(language)
    sections = []
    for s in report.initiatives:
        facts = [_(N_("No. {id}"), id=s.initiative_id), s.portfolio]
        if s.org_unit:
            facts.append(s.org_unit)
        if s.lead:
            facts.append(_(N_("Implementation lead: {name}"), name=s.lead))
        decisions = []
        for d in s.decisions:
            note = d.stop_reason if d.outcome == Outcome.STOP else d.rationale
            decisions.append({"sentence": decision_sentence(d, report.timezone, language), "note": note})
        indicators = [{
            "status_id": n.status, "sentence": indicator_sentence(n, language),
            "alt": _(N_("Chart of {name} over the period."), name=n.name),
            "chart": charts.get(n.indicator_id),
        } for n in s.indicators if n.latest_value is not None]
        # Indicators without a value yet are named together: a line each would say the same thing.
        unmeasured = [n.name for n in s.indicators if n.latest_value is None]
        sections.append({"heading": s.title, "facts": " · ".join(facts), "stage": stage_sentence(s, language),
                         "money": money_sentence(s, language), "decisions": decisions, "indicators": indicators,
                         "unmeasured": _(N_("Not measured yet: {names}."), names=format_list(
                             unmeasured, locale=_locale(language))) if unmeasured else None})
    return sections


def _html(report: BenefitReport, language: str, charts: dict[int, str]) -> str:
    """The report's HTML with ``charts`` as the image address of each charted indicator."""
    from jinja2 import Environment
    from markupsafe import Markup

    _ = translator(language)
    environment = Environment(autoescape=True, trim_blocks=False)
    template = environment.from_string(_TEMPLATE)
    t = {"summary": _(N_("Summary")), "initiatives": _(N_("Initiatives")),
         "no_decisions": _(N_("No gate decision in the period.")), "no_indicators": _(N_("No indicators yet."))}
    return template.render(
        lang=language, report=report, t=t, heading=_(N_("Benefit report: {portfolio}"), portfolio=report.portfolio),
        heading_prefix=_(N_("Benefit report:")), period=period_text(report, language),
        generated=generated_text(report, language),
        # Built from the catalogue's text only, escaped for CSS: safe inside the style sheet as it is.
        page_counter=Markup(_page_counter(language)),
        summary=summary_sentences(report, language), tables=_html_tables(report, language),
        sections=_sections(report, language, charts),
    )


def render_html(report: BenefitReport, language: str, *, charts: bool = True) -> str:
    """The report as one self-contained HTML document: summary sentences and tables, then a section per
    initiative with its stage, decisions, money and indicators, each with a small chart (SVG from vl-convert,
    inlined as a data address; left out with ``charts=False``). Every text from the data is HTML-escaped."""
    svgs = chart_svgs(report) if charts else {}
    return _html(report, language, {indicator_id: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
                                    for indicator_id, svg in svgs.items()})


def render_pdf(report: BenefitReport, language: str) -> bytes:
    """The report as a PDF (WeasyPrint): A4, pages numbered, the portfolio, period and day of making on every
    page, an SVG chart per indicator with values.

    The charts are converted while WeasyPrint reads the document: it asks for each one (``chart:ID``) when it
    reaches it, by then mostly done on the other core. Nothing else is fetched: the document names no other
    address, and any other is refused."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Charts(URLFetcher):
        def fetch(self, url: str, headers: Optional[dict] = None) -> URLFetcherResponse:
            if not url.startswith("chart:"):
                raise ValueError(f"the report fetches nothing but its own charts, not {url!r}")
            svg = futures[int(url.removeprefix("chart:"))].result()
            return URLFetcherResponse(url, svg.encode(), {"Content-Type": "image/svg+xml"})

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {line.indicator_id: pool.submit(_chart_svg, line, report) for line in _charted(report)}
        html = _html(report, language, {indicator_id: f"chart:{indicator_id}" for indicator_id in futures})
        return HTML(string=html, url_fetcher=Charts(allowed_protocols=("chart",))).write_pdf()
