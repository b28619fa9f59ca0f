"""The indicators of a benefit: each against its baseline and target, its breakdown by org unit, its
measurements, and the forms that add, change, rebase or explain it."""

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


def panel(view: InitiativeView, summary, breakdown: list, stored: list, locked: bool,
          units: dict[int, str]) -> None:
    """One indicator: its figures and chart, its breakdown and measurements, and what the user may change."""
    _ = tr()
    lang = language()
    indicator = summary.indicator
    st.markdown(f"#### {plain(indicator.name)} · {plain(indicator.code)}")
    columns = st.columns(5)
    baseline_text = format_number(indicator.baseline_value, lang)
    if indicator.original_baseline_value is not None:
        baseline_text += " " + _("(original {value})", value=format_number(indicator.original_baseline_value, lang))
    columns[0].metric(_("Baseline"), baseline_text)
    columns[1].metric(_("Target"), format_number(indicator.target_value, lang))
    columns[2].metric(_("Latest"), format_number(summary.latest_value, lang))
    columns[3].metric(_("Progress to target"),
                      "–" if summary.progress is None else f"{format_number(summary.progress * 100, lang, 0)} %")
    columns[4].metric(_("Status"), f"{STATUS_BADGES[summary.status.value]} {_(IndicatorStatus(summary.status).label)}")
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
    if summary.series:
        st.altair_chart(indicator_chart(IndicatorPlan.of(indicator), summary.series, _), width="stretch")
        last_period, last_value = summary.series[-1]
        st.caption(_("Latest combined value: {value} for the period starting {period}.",
                     value=format_number(last_value, lang, 2), period=last_period.isoformat()))
    else:
        st.info(_("No measurements yet."))

    with st.expander(_("Breakdown by org unit")):
        if breakdown:
            st.dataframe(pd.DataFrame({
                _("Org unit"): ["\u2003" * f.depth + f.name for f in breakdown],
                _("Value"): [round(f.value, 2) for f in breakdown],
                _("Values"): [f.reporting_units for f in breakdown],
            }), hide_index=True)
        else:
            st.caption(_("No values per org unit yet."))

    with st.expander(_("Enter measurements")):
        measurements.grid(view, indicator, stored, units)

    # Once the baseline is locked, changing it is its own action (revise_baseline checks the same).
    if view.allowed["baseline.revise_locked" if locked else "benefit.edit"] is None:
        with st.expander(_("Change the baseline")):
            if locked:
                st.caption(_("The baseline is locked because the pilot gate is passed: give a reason."))
            st.number_input(_("New baseline"), value=indicator.baseline_value, key=f"revise_{indicator.id}_value")
            st.date_input(_("Baseline date"), value=indicator.baseline_date, key=f"revise_{indicator.id}_date")
            st.text_area(_("Reason"), key=f"revise_{indicator.id}_reason")
            st.button(_("Change the baseline"), key=f"revise_{indicator.id}", on_click=_revise,
                      args=(indicator.id, indicator.version))
    if view.allowed["benefit.edit"] is None:
        with st.expander(_("Change the indicator")):
            form(INDICATOR_FORM, f"indicator_{indicator.id}", indicator, submit=N_("Save indicator"),
                 on_click=_edit_indicator, args=(indicator.id, indicator.version))
    if view.allowed["deviation.explain"] is None:
        with st.expander(_("Explain a deviation from the target")):
            st.text_area(_("Explanation"), indicator.deviation_explanation, key=f"explain_{indicator.id}")
            st.button(_("Save explanation"), key=f"explain_button_{indicator.id}", on_click=_explain,
                      args=(indicator.id, indicator.version))
