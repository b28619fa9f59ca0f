"""Altair charts: an indicator against its plan, and the benefit calculation."""

from __future__ import annotations

from typing import Callable

import altair as alt
import pandas as pd

from portfolio.benefits_math import BenefitCalculation
from portfolio.i18n import vega_locale
from portfolio.indicator_figures import IndicatorPlan
from portfolio.ui.components import language


def localised(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with the reader's number and date formats (decimal comma, month names in sv and nb)."""
    return chart.configure(locale=vega_locale(language()))


def indicator_chart(indicator: IndicatorPlan, series: list, _: Callable[..., str]) -> alt.LayerChart:
    """Measurements (combined across units) with the baseline, target and planned-path lines."""
    measured = pd.DataFrame({"period": [p for p, _v in series], "value": [v for _p, v in series]})
    measured["period"] = pd.to_datetime(measured["period"])
    y_title = f"{indicator.name} ({indicator.unit})" if indicator.unit else indicator.name
    layers = [
        alt.Chart(measured).mark_line(point=True).encode(
            x=alt.X("period:T", title=_("Period")),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("period:T", title=_("Period"), format="%Y-%m-%d"),
                     alt.Tooltip("value:Q", title=_("Value"), format=",.2~f")],
        )
    ]
    lines = []
    if indicator.baseline_value is not None:
        lines.append({"line": _("Baseline"), "value": indicator.baseline_value})
    if indicator.original_baseline_value is not None:
        lines.append({"line": _("Original baseline"), "value": indicator.original_baseline_value})
    if indicator.target_value is not None:
        lines.append({"line": _("Target"), "value": indicator.target_value})
    if lines:
        layers.append(alt.Chart(pd.DataFrame(lines)).mark_rule(strokeDash=[4, 4]).encode(
            y="value:Q", color=alt.Color("line:N", title=None)))
    if None not in (indicator.baseline_value, indicator.target_value, indicator.baseline_date, indicator.target_date):
        plan = pd.DataFrame({
            "period": pd.to_datetime([indicator.baseline_date, indicator.target_date]),
            "value": [indicator.baseline_value, indicator.target_value],
            "line": [_("Planned path")] * 2,
        })
        layers.append(alt.Chart(plan).mark_line(strokeDash=[2, 2], color="gray").encode(
            x="period:T", y="value:Q", detail="line:N"))
    return localised(alt.layer(*layers).properties(height=260))


def calculation_chart(result: BenefitCalculation, _: Callable[..., str]) -> alt.LayerChart:
    """Discounted net per year as bars, the cumulative discounted net as a line."""
    data = pd.DataFrame({
        "year": [str(r.year) for r in result.rows],
        "net": [r.discounted_net for r in result.rows],
        "cumulative": [r.cumulative_discounted_net for r in result.rows],
    })
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("year:O", title=_("Year")), y=alt.Y("net:Q", title=_("Discounted net")))
    line = alt.Chart(data).mark_line(point=True, color="black").encode(x="year:O", y="cumulative:Q")
    return localised(alt.layer(bars, line).properties(height=260))
