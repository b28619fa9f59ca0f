"""The indicators of a benefit: a table of their figures against baseline and target, and each indicator
as an expander with its chart, its breakdown by org unit, its measurements, and the forms that change,
rebase or explain it."""

from __future__ import annotations

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
from portfolio.ui.benefits.forms import FormSpec, Hint, form, submitted
from portfolio.ui.benefits.lazy import lazy_expander, lazy_tabs
from portfolio.ui.charts import indicator_chart
from portfolio.ui.components import language, run_action, tr
from portfolio.ui.text import plain
from workflows.vocabulary import Aggregation, Direction, Frequency, IndicatorStatus

STATUS_BADGES = {"green": "🟢", "amber": "🟡", "red": "🔴", "unknown": "⚪"}

# The baseline of an existing indicator is shown here but changed through "Change the baseline".
INDICATOR_FORM = FormSpec(IndicatorInput, (
    (Hint("code", N_("Code"), help=N_("A short unique code that import files use.")), Hint("name", N_("Name"))),
    (Hint("definition", N_("Definition"), "area"),),
    (Hint("method", N_("Method"), "area"),),
    (Hint("data_source", N_("Data source"), key="source"), Hint("unit", N_("Unit")),
     Hint("direction", N_("Direction"), "choice", Direction.labels())),
    (Hint("frequency", N_("Frequency"), "choice", Frequency.labels()),
     Hint("aggregation", N_("Across org units"), "choice", Aggregation.labels())),
    (Hint("baseline_value", N_("Baseline"), "number", key="baseline", fixed=True),
     Hint("baseline_date", N_("Baseline date"), "date", fixed=True),
     Hint("baseline_period", N_("Baseline period")), Hint("baseline_source", N_("Baseline source"))),
    (Hint("target_value", N_("Target"), "number", key="target"), Hint("target_date", N_("Target date"), "date")),
    (Hint("amber_tolerance", N_("Amber tolerance (%)"), "number", key="amber", percent=True, min_value=0.0),
     Hint("red_tolerance", N_("Red tolerance (%)"), "number", key="red", percent=True, min_value=0.0),
     Hint("valid_min", N_("Lowest valid value"), "number", key="min"),
     Hint("valid_max", N_("Highest valid value"), "number", key="max")),
))


def _add_indicator(benefit_id: int) -> None:
    run_action(create_indicator, N_("The indicator is added."), benefit_id=benefit_id,
               data=submitted(INDICATOR_FORM, f"ind_{benefit_id}"))


def _edit_indicator(indicator_id: int, seen_version: int) -> None:
    run_action(update_indicator, N_("The indicator is saved."), indicator_id=indicator_id,
               expected_version=seen_version, data=submitted(INDICATOR_FORM, f"indicator_{indicator_id}"))


def _revise(indicator_id: int, seen_version: int) -> None:
    s = st.session_state
    run_action(revise_baseline, N_("The baseline is changed."), indicator_id=indicator_id,
               expected_version=seen_version, baseline_value=s[f"revise_{indicator_id}_value"],
               baseline_date=s[f"revise_{indicator_id}_date"], reason=s[f"revise_{indicator_id}_reason"])


def _explain(indicator_id: int, seen_version: int) -> None:
    run_action(explain_deviation, N_("The explanation is saved."),
               indicator_id=indicator_id, expected_version=seen_version,
               explanation=st.session_state[f"explain_{indicator_id}"])


def add_form(benefit_id: int) -> None:
    """The empty indicator form that adds an indicator to the benefit."""
    form(INDICATOR_FORM, f"ind_{benefit_id}", submit=N_("Add indicator"), on_click=_add_indicator,
         args=(benefit_id,))


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
    return f"{status} · ⚠️ {_('Measurement overdue')}" if summary.overdue else status


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
    st.altair_chart(indicator_chart(IndicatorPlan.of(summary.indicator), summary.series, _), width="stretch")
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
