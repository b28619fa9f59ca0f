"""The indicators of a benefit: a table of their figures against baseline and target, and each indicator
as an expander with its chart, its breakdown by org unit, its measurements, and the forms that add, change,
rebase or explain it. A link to a place of the Benefits tab (an unmet gate rule's, see ``open_place``) opens
the section that puts it right."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

import pandas as pd
import streamlit as st

from portfolio.benefits import (
    IndicatorInput,
    create_indicator,
    explain_deviation,
    revise_baseline,
    update_indicator,
)
from portfolio.i18n import N_, format_number
from portfolio.indicator_figures import IndicatorPlan
from portfolio.initiative_view import InitiativeView
from portfolio.ui.benefits import measurements
from portfolio.ui.benefits.forms import FormSpec, Hint, form, run_form
from portfolio.ui.benefits.lazy import lazy_expander, lazy_tabs
from portfolio.ui.charts import indicator_chart, indicator_summary
from portfolio.ui.components import language, run_action, tr
from portfolio.ui.focus import scroll_to
from portfolio.ui.text import plain
from workflows.vocabulary import Aggregation, Direction, Frequency, IndicatorStatus

STATUS_BADGES = {"green": "🟢", "amber": "🟡", "red": "🔴", "unknown": "⚪"}

CODE = Hint("code", N_("Code"), help=N_("A short unique code that import files use."))
NAME = Hint("name", N_("Name"))
DEFINITION = Hint("definition", N_("Definition"), "area")
METHOD = Hint("method", N_("Method"), "area")
SOURCE = Hint("data_source", N_("Data source"), key="source")
UNIT = Hint("unit", N_("Unit"))
DIRECTION = Hint("direction", N_("Direction"), "choice", Direction.labels())
FREQUENCY = Hint("frequency", N_("Frequency"), "choice", Frequency.labels())
AGGREGATION = Hint("aggregation", N_("Across org units"), "choice", Aggregation.labels())
BASELINE = Hint("baseline_value", N_("Baseline"), "number", key="baseline", fixed=True)
BASELINE_DATE = Hint("baseline_date", N_("Baseline date"), "date", fixed=True)
BASELINE_PERIOD = Hint("baseline_period", N_("Baseline period"))
BASELINE_SOURCE = Hint("baseline_source", N_("Baseline source"))
TARGET = Hint("target_value", N_("Target"), "number", key="target")
TARGET_DATE = Hint("target_date", N_("Target date"), "date")
TOLERANCES_AND_RANGE = (
    Hint("amber_tolerance", N_("Amber tolerance (%)"), "number", key="amber", percent=True, min_value=0.0),
    Hint("red_tolerance", N_("Red tolerance (%)"), "number", key="red", percent=True, min_value=0.0),
    Hint("valid_min", N_("Lowest valid value"), "number", key="min"),
    Hint("valid_max", N_("Highest valid value"), "number", key="max"))

# The baseline of an existing indicator is shown here but changed through "Change the baseline".
INDICATOR_FORM = FormSpec(IndicatorInput, (
    (CODE, NAME), (DEFINITION,), (METHOD,), (SOURCE, UNIT, DIRECTION), (FREQUENCY, AGGREGATION),
    (BASELINE, BASELINE_DATE, BASELINE_PERIOD, BASELINE_SOURCE), (TARGET, TARGET_DATE), TOLERANCES_AND_RANGE,
))
# A new indicator starts with the five fields that matter; the rest wait under "More fields", with defaults
# that validate (see ``add_form``). The widget keys are those of the full form.
NEW_INDICATOR_FORM = FormSpec(IndicatorInput, ((NAME,), (UNIT, DIRECTION), (BASELINE, TARGET)), more=(
    (CODE, SOURCE), (DEFINITION,), (METHOD,), (FREQUENCY, AGGREGATION),
    (BASELINE_DATE, BASELINE_PERIOD, BASELINE_SOURCE), (TARGET_DATE,), TOLERANCES_AND_RANGE,
))


def _add_indicator(benefit_id: int) -> None:
    run_form(NEW_INDICATOR_FORM, f"ind_{benefit_id}", create_indicator, N_("The indicator is added."),
             benefit_id=benefit_id)


def _edit_indicator(indicator_id: int, seen_version: int) -> None:
    run_form(INDICATOR_FORM, f"indicator_{indicator_id}", update_indicator, N_("The indicator is saved."),
             indicator_id=indicator_id, expected_version=seen_version)


def _revise(indicator_id: int, seen_version: int) -> None:
    s = st.session_state
    run_action(revise_baseline, N_("The baseline is changed."), indicator_id=indicator_id,
               expected_version=seen_version, baseline_value=s[f"revise_{indicator_id}_value"],
               baseline_date=s[f"revise_{indicator_id}_date"], reason=s[f"revise_{indicator_id}_reason"])


def _explain(indicator_id: int, seen_version: int) -> None:
    run_action(explain_deviation, N_("The explanation is saved."),
               indicator_id=indicator_id, expected_version=seen_version,
               explanation=st.session_state[f"explain_{indicator_id}"])


def suggested_code(initiative_id: int, taken: set[str]) -> str:
    """A code for the initiative's next indicator, as the demo names them (``I0042-3``), not yet ``taken``."""
    number = len(taken) + 1
    while f"I{initiative_id:04d}-{number}" in taken:
        number += 1
    return f"I{initiative_id:04d}-{number}"


def add_form(view: InitiativeView, benefit_id: int) -> None:
    """The form that adds an indicator to the benefit: the five fields that matter, and the rest under "More
    fields" with defaults that validate: a free code, the baseline measured today, the target in a year."""
    today = date.today()
    taken = {summary.indicator.code for summary in view.benefits.figures.summaries.values()}
    form(NEW_INDICATOR_FORM, f"ind_{benefit_id}", submit=N_("Add indicator"), on_click=_add_indicator,
         args=(benefit_id,), defaults={"code": suggested_code(view.initiative.id, taken), "baseline_date": today,
                                       "target_date": today + timedelta(days=365)})


# The places of the tab a link opens (anchors of workflows.rules.FIX_AT), each handled by ``open_place``.
PLACES = ("add-indicator", "calculation", "owner-and-indicator", "enter-measurements", "explain-deviation")


def open_place(view: InitiativeView, anchor: Optional[str]) -> None:
    """Open the section of the tab where the place ``anchor`` (of ``workflows.rules.FIX_AT``) is put right, for
    the first benefit or indicator it concerns, and scroll to it: the state of its expanders and tabs is set
    before they are drawn. An anchor of no place on this tab opens nothing."""
    _ = tr()
    items = view.benefits.figures.benefits
    summaries = list(view.benefits.figures.summaries.values())
    # Without a benefit, an indicator has nowhere to go: the benefit comes first.
    add_indicator = f"open_add_indicator_{items[0].benefit.id}" if items else "open_add_benefit"
    expander = None
    if anchor == "add-indicator":
        expander = add_indicator
    elif anchor == "calculation":
        expander = "open_calculation"
    elif anchor == "owner-and-indicator":
        no_owner = next((i.benefit.id for i in items if i.benefit.owner_id is None), None)
        no_indicator = next((i.benefit.id for i in items if not i.indicators), None)
        expander = (f"open_benefit_{no_owner}" if no_owner else
                    f"open_add_indicator_{no_indicator}" if no_indicator else "open_add_benefit")
    elif anchor in ("enter-measurements", "explain-deviation"):
        wanted, section = ((_unmeasured, GRID) if anchor == "enter-measurements"
                           else (_off_target_unexplained, EXPLAIN))
        indicator = next((s.indicator.id for s in summaries if wanted(s)), None)
        if indicator is not None:
            expander = f"open_indicator_{indicator}"
            st.session_state[f"indicator_tab_{indicator}"] = _(section)
        elif not summaries:
            expander = add_indicator
    if expander is not None:
        st.session_state[expander] = True
        scroll_to(expander)


def _unmeasured(summary) -> bool:
    """No measurement after the baseline (the gate rule "measured_after_baseline" of this indicator)."""
    baseline = summary.indicator.baseline_date
    return summary.latest_period is None or (baseline is not None and summary.latest_period <= baseline)


def _off_target_unexplained(summary) -> bool:
    """Not at its target, and no deviation explained (the rule "indicators_at_target_or_explained")."""
    return (summary.progress is None or summary.progress < 1) and not summary.indicator.deviation_explanation.strip()


def figures_table(summaries: list) -> None:
    """The figures of a benefit's indicators, one row each: baseline (and the original one, once revised),
    target, latest value, progress to target and status."""
    _ = tr()
    lang = language()
    # A table cell is read as Markdown: typed names and codes are shown as typed.
    st.table(pd.DataFrame({
        _("Indicator"): [f"{plain(s.indicator.name)} · {plain(s.indicator.code)}" for s in summaries],
        _("Baseline"): [_baseline(s.indicator, lang) for s in summaries],
        _("Target"): [format_number(s.indicator.target_value, lang) for s in summaries],
        _("Latest"): [format_number(s.latest_value, lang) for s in summaries],
        _("Progress to target"): ["–" if s.progress is None else f"{format_number(s.progress * 100, lang, 0)} %"
                                  for s in summaries],
        _("Status"): [_status(s) for s in summaries],
    }), hide_index=True)


def _status(summary) -> str:
    _ = tr()
    status = f"{STATUS_BADGES[summary.status.value]} {_(IndicatorStatus(summary.status).label)}"
    overdue = _("Measurement overdue")
    return f"{status} · ⚠️ {overdue}" if summary.overdue else status


def _baseline(indicator, lang: str) -> str:
    _ = tr()
    text = format_number(indicator.baseline_value, lang)
    if indicator.original_baseline_value is not None:
        text += " " + _("(original {value})", value=format_number(indicator.original_baseline_value, lang))
    return text


# The sections of an open indicator, in the order of its tabs; each draws only when its tab is open.
CHART, BREAKDOWN, GRID = N_("Chart"), N_("Breakdown by org unit"), N_("Enter measurements")
REVISE, EDIT, EXPLAIN = N_("Change the baseline"), N_("Change the indicator"), N_("Explain a deviation from the target")


def panel(view: InitiativeView, summary, breakdown: list, stored: list, locked: bool,
          units: dict[int, str]) -> None:
    """One indicator as an expander, drawn only when opened: what it measures and how, then a tab each for
    its chart, its breakdown, its measurements and what the user may change."""
    indicator = summary.indicator
    # The label is the expander's identity: a figure in it would close the expander when the figure changes.
    lazy_expander(f"{plain(indicator.name)} · {plain(indicator.code)}", f"open_indicator_{indicator.id}",
                  lambda: _details(view, summary, breakdown, stored, locked, units))


def _details(view: InitiativeView, summary, breakdown: list, stored: list, locked: bool,
             units: dict[int, str]) -> None:
    _ = tr()
    indicator = summary.indicator
    st.caption(" · ".join(filter(None, [
        _(Direction(indicator.direction).label), _(Frequency(indicator.frequency).label),
        _(Aggregation(indicator.aggregation).label), plain(indicator.unit),
        _("Baseline {period} ({source})", period=plain(indicator.baseline_period) or "–",
          source=plain(indicator.baseline_source) or "–"),
        _("Target date {date}", date=indicator.target_date.isoformat()) if indicator.target_date else "",
        ("⚠️ " + _("Measurement overdue")) if summary.overdue else "",
        ("🔒 " + _("Baseline locked")) if locked else "",
    ])))
    if indicator.deviation_explanation:
        st.caption(_("Deviation explained: {text}", text=plain(indicator.deviation_explanation)))
    sections = {
        CHART: lambda: _chart(summary),
        BREAKDOWN: lambda: _breakdown(breakdown),
        GRID: lambda: measurements.grid(view, indicator, stored, units),
    }
    # Once the baseline is locked, changing it is its own action (revise_baseline checks the same).
    if view.allowed["baseline.revise_locked" if locked else "benefit.edit"] is None:
        sections[REVISE] = lambda: _revise_form(indicator, locked)
    if view.allowed["benefit.edit"] is None:
        sections[EDIT] = lambda: form(INDICATOR_FORM, f"indicator_{indicator.id}", indicator,
                                      submit=N_("Save indicator"), on_click=_edit_indicator,
                                      args=(indicator.id, indicator.version))
    if view.allowed["deviation.explain"] is None:
        sections[EXPLAIN] = lambda: _explain_form(indicator)
    lazy_tabs(sections, f"indicator_tab_{indicator.id}")


def _chart(summary) -> None:
    _ = tr()
    if not summary.series:
        st.info(_("No measurements yet."))
        return
    plan = IndicatorPlan.of(summary.indicator)
    st.altair_chart(indicator_chart(plan, summary.series, _), width="stretch",
                    alt=indicator_summary(plan, summary.series, _, language()))
    last_period, last_value = summary.series[-1]
    st.caption(_("Latest combined value: {value} for the period starting {period}.",
                 value=format_number(last_value, language(), 2), period=last_period.isoformat()))


def _breakdown(breakdown: list) -> None:
    _ = tr()
    if breakdown:
        st.dataframe(pd.DataFrame({
            _("Org unit"): ["\u2003" * f.depth + f.name for f in breakdown],
            _("Value"): [round(f.value, 2) for f in breakdown],
            _("Values"): [f.reporting_units for f in breakdown],
        }), hide_index=True)
    else:
        st.caption(_("No values per org unit yet."))


def _revise_form(indicator, locked: bool) -> None:
    _ = tr()
    if locked:
        st.caption(_("The baseline is locked because the pilot gate is passed: give a reason."))
    st.number_input(_("New baseline"), value=indicator.baseline_value, key=f"revise_{indicator.id}_value")
    st.date_input(_("Baseline date"), value=indicator.baseline_date, key=f"revise_{indicator.id}_date")
    st.text_area(_("Reason"), key=f"revise_{indicator.id}_reason")
    st.button(_("Change the baseline"), key=f"revise_{indicator.id}", on_click=_revise,
              args=(indicator.id, indicator.version))


def _explain_form(indicator) -> None:
    _ = tr()
    st.text_area(_("Explanation"), indicator.deviation_explanation, key=f"explain_{indicator.id}")
    st.button(_("Save explanation"), key=f"explain_button_{indicator.id}", on_click=_explain,
              args=(indicator.id, indicator.version))
