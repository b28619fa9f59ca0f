"""Altair charts: an indicator against its plan, and the benefit calculation; each with the sentence that is its
text alternative (WCAG 1.1.1), given to the chart as its ``alt``."""

from __future__ import annotations

from functools import partial
from typing import Callable

import altair as alt
import pandas as pd

from portfolio.audit_prose import Day
from portfolio.benefits import CalculationRow
from portfolio.i18n import format_number, vega_locale
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


def indicator_summary(indicator: IndicatorPlan, series: list, _: Callable[..., str], lang: str) -> str:
    """The indicator chart in one sentence: the first and last period, the first, latest, lowest and highest value,
    the baseline and the target."""
    values = [value for _period, value in series]
    name = f"{indicator.name} ({indicator.unit})" if indicator.unit else indicator.name
    number = partial(format_number, language=lang, digits=2)
    return _("Chart of {name} from {first} to {last}: first {first_value}, latest {latest_value}, lowest {lowest}, "
             "highest {highest}; baseline {baseline}, target {target}.",
             name=name, first=Day(series[0][0]), last=Day(series[-1][0]), first_value=number(values[0]),
             latest_value=number(values[-1]), lowest=number(min(values)), highest=number(max(values)),
             baseline=number(indicator.baseline_value), target=number(indicator.target_value))


def calculation_chart(rows: list[CalculationRow], _: Callable[..., str]) -> alt.LayerChart:
    """Per year, bars side by side: the benefit the indicators planned and the one they realised (where they give
    money), and the discounted net; the cumulative discounted net as a line."""
    planned, realised, net, cumulative = (_("Planned benefit"), _("Realised benefit"), _("Discounted net"),
                                          _("Cumulative discounted net"))
    bars = [{"year": str(r.year), "series": series, "amount": amount} for r in rows
            for series, amount in ((planned, r.planned), (realised, r.realised), (net, r.discounted_net))
            if amount is not None]
    line = [{"year": str(r.year), "series": cumulative, "amount": r.cumulative_discounted_net} for r in rows]
    shown = [s for s in (planned, realised, net) if any(bar["series"] == s for bar in bars)] + [cumulative]
    palette = {planned: "#9ecae1", realised: "#3182bd", net: "#bdbdbd", cumulative: "#000000"}
    color = alt.Color("series:N", title=None, sort=shown, legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=shown, range=[palette[s] for s in shown]))
    tooltip = [alt.Tooltip("year:O", title=_("Year")), alt.Tooltip("series:N", title=_("Series")),
               alt.Tooltip("amount:Q", title=_("Amount"), format=",.0f")]
    x = alt.X("year:O", title=_("Year"))
    return localised(alt.layer(
        alt.Chart(pd.DataFrame(bars)).mark_bar().encode(
            x=x, xOffset=alt.XOffset("series:N", sort=shown), y=alt.Y("amount:Q", title=_("Amount")), color=color,
            tooltip=tooltip),
        alt.Chart(pd.DataFrame(line)).mark_line(point=True).encode(x=x, y="amount:Q", color=color, tooltip=tooltip),
    ).properties(height=260))


def calculation_summary(rows: list[CalculationRow], _: Callable[..., str], lang: str) -> str:
    """The calculation chart in words: its years and where the running total of the discounted net ends, and,
    where indicators give money, the benefit they planned and realised over those years. The table above the
    chart has every year."""
    amount = partial(format_number, language=lang, digits=0)
    summary = _("Chart of the benefit calculation by year, {first} to {last}: each year's discounted net and their "
                "running total, which ends at {cumulative}. The table above gives every year.",
                first=rows[0].year, last=rows[-1].year, cumulative=amount(rows[-1].cumulative_discounted_net))
    planned = [r.planned for r in rows if r.planned is not None]
    if not planned:
        return summary
    realised = [r.realised for r in rows if r.realised is not None]
    return " ".join((summary, _("Beside them, the benefit the indicators planned ({planned} in all) and realised "
                                "({realised} in all).", planned=amount(sum(planned)),
                                realised=amount(sum(realised) if realised else None))))
