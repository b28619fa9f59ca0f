"""The benefit calculation: its result, its chart, and its years as an editable table with the discount rate."""

from __future__ import annotations

from datetime import date
from typing import Optional

import pandas as pd
import streamlit as st

from portfolio.benefits import cashflow_years, save_calculation
from portfolio.i18n import N_, format_number
from portfolio.initiative_view import InitiativeView
from portfolio.ui.benefits.lazy import lazy_expander
from portfolio.ui.charts import calculation_chart
from portfolio.ui.components import language, run_action, tr


def _save_calculation(initiative_id: int, seen_version: Optional[int]) -> None:
    s = st.session_state
    run_action(save_calculation, N_("The benefit calculation is saved."),
               initiative_id=initiative_id, expected_version=seen_version,
               discount_rate=s["calculation_rate"] / 100,
               years=cashflow_years(s["calculation_table"].to_dict("records")))


def panel(view: InitiativeView) -> None:
    """The calculation's result, its chart and its years and rate (editable with "calculation.edit"); the chart
    and the years are expanders drawn only when opened."""
    _ = tr()
    lang = language()
    can_edit = view.allowed["calculation.edit"] is None
    st.subheader(_("Benefit calculation"))
    calculation = view.benefits.calculation
    if not can_edit:
        st.caption(view.allowed["calculation.edit"].render(lang))
    if calculation is None or not calculation.years:
        st.info(_("There is no benefit calculation yet."))
    else:
        result = calculation.result
        a, b, c = st.columns(3)
        a.metric(_("Net present value"), format_number(result.npv, lang, 0))
        b.metric(_("Range (low – high)"),
                 f"{format_number(result.npv_low, lang, 0)} – {format_number(result.npv_high, lang, 0)}")
        c.metric(_("Payback year"), str(result.payback_year) if result.payback_year else _("Not within the period"))
        st.dataframe(pd.DataFrame({
            _("Year"): [str(r.year) for r in result.rows],
            _("Investment"): [r.investment for r in result.rows],
            _("Operation"): [r.operation for r in result.rows],
            _("Benefit, expected"): [r.benefit for r in result.rows],
            _("Net"): [r.net for r in result.rows],
            _("Discounted net"): [round(r.discounted_net) for r in result.rows],
            _("Cumulative"): [round(r.cumulative_discounted_net) for r in result.rows],
        }), hide_index=True)
        lazy_expander(_("Chart"), "open_calculation_chart",
                      lambda: st.altair_chart(calculation_chart(result, _), width="stretch"))
    lazy_expander(_("Years and discount rate"), "open_calculation", lambda: _years(view))


def _years(view: InitiativeView) -> None:
    """The calculation's years as an editable table, its discount rate, and the button that saves them."""
    _ = tr()
    can_edit = view.allowed["calculation.edit"] is None
    calculation = view.benefits.calculation
    years = calculation.years if calculation else []
    table = pd.DataFrame({
        "year": [y.year for y in years] or [date.today().year],
        "investment": [y.investment for y in years] or [0.0],
        "operation": [y.operation for y in years] or [0.0],
        "benefit_low": [y.benefit_low for y in years] or [None],
        "benefit": [y.benefit for y in years] or [0.0],
        "benefit_high": [y.benefit_high for y in years] or [None],
    })
    edited = st.data_editor(table, num_rows="dynamic", hide_index=True, disabled=not can_edit, column_config={
        "year": st.column_config.NumberColumn(_("Year"), format="%d", step=1),
        "investment": st.column_config.NumberColumn(_("Investment")),
        "operation": st.column_config.NumberColumn(_("Operation")),
        "benefit_low": st.column_config.NumberColumn(_("Benefit, low")),
        "benefit": st.column_config.NumberColumn(_("Benefit, expected")),
        "benefit_high": st.column_config.NumberColumn(_("Benefit, high")),
    }, key="calculation_editor")
    st.session_state["calculation_table"] = edited
    st.number_input(_("Discount rate (%)"), value=(calculation.discount_rate if calculation else 0.03) * 100,
                    min_value=0.0, max_value=99.0, step=0.5, key="calculation_rate", disabled=not can_edit)
    st.button(_("Save calculation"), key="save_calculation", disabled=not can_edit, on_click=_save_calculation,
              args=(view.initiative.id, calculation.version if calculation else None))
