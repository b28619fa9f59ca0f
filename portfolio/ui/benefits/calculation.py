"""The benefit calculation: its result per year (the benefit used and where it comes from, beside the money the
indicators planned and realised), its chart, the money the indicators give with the volume each counts for, and
its years as an editable table with the discount rate."""

from __future__ import annotations

from datetime import date
from typing import Optional

import pandas as pd
import streamlit as st

from portfolio.benefits import (
    cashflow_years,
    editable_years,
    grid_records,
    save_calculation,
    save_volumes,
    volume_inputs,
)
from portfolio.i18n import N_, format_number
from portfolio.initiative_view import InitiativeView
from portfolio.ui.benefits.lazy import lazy_expander
from portfolio.ui.charts import calculation_chart, calculation_summary
from portfolio.ui.components import flash, language, run_action, tr

FROM_INDICATORS = N_("From indicators")
# The tables hand an edit to the app at once and cause no run of their own; the Save button's run carries the
# edits. (A table that reruns hands an edit over 150 ms after it is made, so a quick Save could leave it behind.)
AT_ONCE = "ignore"
TYPED_BY_HAND = N_("Typed by hand")


# The save buttons read their table's changes as the click carries them (an edit made just before the click is
# among them), applied to the rows the table was drawn with.


def _save_calculation(initiative_id: int, seen_version: Optional[int], shown: list[dict]) -> None:
    s = st.session_state
    run_action(save_calculation, N_("The benefit calculation is saved."),
               initiative_id=initiative_id, expected_version=seen_version,
               discount_rate=s["calculation_rate"] / 100,
               years=cashflow_years(grid_records(shown, s.get("calculation_editor", {})), language=language()))


def _save_volumes(initiative_id: int, shown: list[dict]) -> None:
    _ = tr()
    volumes = volume_inputs(grid_records(shown, st.session_state.get("volume_editor", {})), language=language())
    if not volumes:
        flash("warning", [_("Nothing to save: no volume was changed.")])
        return
    run_action(save_volumes, N_("The volumes are saved."), initiative_id=initiative_id, volumes=volumes)


def _typed(value: Optional[float]) -> Optional[str]:
    """A number as an editable cell shows it: in the reader's digits (the table's own number cells follow the
    browser's locale), read back by ``cashflow_years`` and ``volume_inputs``; None for an empty cell."""
    return None if value is None else format_number(value, language(), 6)


def _amount(value: Optional[float]) -> str:
    """An amount of money in whole kronor, in the reader's digits; "–" for none."""
    return format_number(value, language(), 0)


def panel(view: InitiativeView) -> None:
    """The calculation's result, its chart, the indicators' money and its years and rate (editable with
    "calculation.edit"); the chart, the money and the years are expanders drawn only when opened."""
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
        rows = calculation.rows
        a, b, c = st.columns(3)
        a.metric(_("Net present value"), format_number(result.npv, lang, 0))
        b.metric(_("Range (low – high)"),
                 f"{format_number(result.npv_low, lang, 0)} – {format_number(result.npv_high, lang, 0)}")
        c.metric(_("Payback year"), str(result.payback_year) if result.payback_year else _("Not within the period"))
        st.dataframe(pd.DataFrame({
            _("Year"): [str(r.year) for r in rows],
            _("Investment"): [_amount(r.investment) for r in rows],
            _("Operation"): [_amount(r.operation) for r in rows],
            _("Benefit, expected"): [_amount(r.benefit) for r in rows],
            _("Source"): [_(FROM_INDICATORS) if r.from_indicators else _(TYPED_BY_HAND) for r in rows],
            _("Planned from indicators"): [_amount(r.planned) for r in rows],
            _("Realised from indicators"): [_amount(r.realised) for r in rows],
            _("Net"): [_amount(r.net) for r in rows],
            _("Discounted net"): [_amount(r.discounted_net) for r in rows],
            _("Cumulative"): [_amount(r.cumulative_discounted_net) for r in rows],
        }), hide_index=True)
        lazy_expander(_("Chart"), "open_calculation_chart",
                      lambda: st.altair_chart(calculation_chart(rows, _), width="stretch",
                                              alt=calculation_summary(rows, _, lang)))
    lazy_expander(_("Money from indicators"), "open_money_from_indicators", lambda: _indicator_money(view))
    lazy_expander(_("Years and discount rate"), "open_calculation", lambda: _years(view))


def _indicator_money(view: InitiativeView) -> None:
    """Each indicator with its money per unit, the volume per year it counts for (editable) and what it lacks
    to give money; then the money per year of those that give it."""
    _ = tr()
    lang = language()
    can_edit = view.allowed["calculation.edit"] is None
    money = view.benefits.indicator_money
    if not money.indicators:
        st.caption(_("No indicators yet."))
        return
    if not money.gives_money:
        st.caption(_("No indicator gives money yet: its benefit needs a money value per indicator unit (in the "
                     "benefit's form), and the indicator a volume per year (here), a baseline and a target."))
    rows = money.indicators
    table = pd.DataFrame({
        "indicator_id": [r.indicator_id for r in rows],
        "version": [r.version for r in rows],
        # The volume as drawn: a row counts as changed when its cell no longer reads the same.
        "shown": [_typed(r.volume_per_year) for r in rows],
        "indicator": [f"{r.name} · {r.code}" for r in rows],
        "unit": [r.unit for r in rows],
        "money_per_unit": [format_number(r.money_per_unit, lang, 2) for r in rows],
        "volume_per_year": [_typed(r.volume_per_year) for r in rows],
        "missing": [" ".join(m.render(lang) for m in r.missing) for r in rows],
    })
    st.data_editor(table, hide_index=True, num_rows="fixed", disabled=not can_edit, on_change=AT_ONCE, column_config={
        "indicator_id": None, "version": None, "shown": None,
        "indicator": st.column_config.TextColumn(_("Indicator"), disabled=True),
        "unit": st.column_config.TextColumn(_("Unit"), disabled=True),
        "money_per_unit": st.column_config.TextColumn(_("Money per unit"), disabled=True),
        "volume_per_year": st.column_config.TextColumn(
            _("Volume per year"),
            help=_("How many cases a year (visits, patients ...) one unit of improvement counts for; 1 when the "
                   "indicator already counts them all.")),
        "missing": st.column_config.TextColumn(_("Missing for money"), disabled=True),
    }, key="volume_editor")
    st.button(_("Save volumes"), key="save_volumes", disabled=not can_edit, on_click=_save_volumes,
              args=(view.initiative.id, table.to_dict("records")))
    if money.years:
        st.dataframe(pd.DataFrame({
            _("Year"): [str(year) for year in money.years],
            _("Planned from indicators"): [_amount(m.planned) for m in money.years.values()],
            _("Realised from indicators"): [_amount(m.realised) for m in money.years.values()],
            _("Expected from indicators"): [_amount(m.expected) for m in money.years.values()],
        }), hide_index=True)


def _years(view: InitiativeView) -> None:
    """The calculation's years as an editable table, its discount rate, and the button that saves them."""
    _ = tr()
    can_edit = view.allowed["calculation.edit"] is None
    calculation = view.benefits.calculation
    money = view.benefits.indicator_money
    figures = money.years if money else {}
    years = editable_years(calculation, money, date.today().year)
    table = pd.DataFrame({
        "year": [y.year for y in years],
        "investment": [_typed(y.investment) for y in years],
        "operation": [_typed(y.operation) for y in years],
        "benefit_low": [_typed(y.benefit_low) for y in years],
        "benefit": [None if y.from_indicators else _typed(y.benefit) for y in years],
        "benefit_high": [_typed(y.benefit_high) for y in years],
        "indicators": [_amount(figures[y.year].expected) if y.year in figures else "" for y in years],
    })
    st.data_editor(table, num_rows="dynamic", hide_index=True, disabled=not can_edit, on_change=AT_ONCE, column_config={
        "year": st.column_config.NumberColumn(_("Year"), format="%d", step=1),
        "investment": st.column_config.TextColumn(_("Investment")),
        "operation": st.column_config.TextColumn(_("Operation")),
        "benefit_low": st.column_config.TextColumn(_("Benefit, low")),
        "benefit": st.column_config.TextColumn(
            _("Benefit, expected"),
            help=_("Leave it empty to take the indicators' money: realised where measured, planned elsewhere.")),
        "benefit_high": st.column_config.TextColumn(_("Benefit, high")),
        "indicators": st.column_config.TextColumn(_("From indicators"), disabled=True),
    }, key="calculation_editor")
    st.number_input(_("Discount rate (%)"), value=(calculation.discount_rate if calculation else 0.03) * 100,
                    min_value=0.0, max_value=99.0, step=0.5, key="calculation_rate", disabled=not can_edit)
    st.button(_("Save calculation"), key="save_calculation", disabled=not can_edit, on_click=_save_calculation,
              args=(view.initiative.id, calculation.version if calculation else None, table.to_dict("records")))
