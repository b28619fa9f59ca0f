"""Follow-up by level: an org unit's indicator figures at the strategic, tactical or operational level (PKS);
``portfolio.indicator_views`` says how figures are grouped, planned and judged.

The choices live in the address (``?unit=7&level=operational&span=8&group=week``), so a link shows the same view."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from portfolio.benefits_math import format_period
from portfolio.dashboard import organisation_today
from portfolio.i18n import N_, format_number
from portfolio.indicator_views import LEVELS, IndicatorLevelFigures, IndicatorViewPage, Level, indicator_view_page
from portfolio.permissions import Actor
from portfolio.queries import read
from portfolio.ui.charts import localised
from portfolio.ui.components import current_actor, current_data_version, language, name_search, tr
from portfolio.ui.text import plain_messages
from workflows.vocabulary import Frequency, IndicatorStatus

UNIT_SEARCH = "levels_unit_search"
# Each choice: its name in the address and the key of its widget.
CHOICES = {"unit": "levels_unit", "level": "levels_level", "span": "levels_span", "group": "levels_group"}
STATUS_BADGES = {"green": "🟢", "amber": "🟡", "red": "🔴", "unknown": "⚪"}
GROUPING_LABELS = {Frequency.YEAR: N_("Year"), Frequency.QUARTER: N_("Quarter"), Frequency.MONTH: N_("Month"),
                   Frequency.WEEK: N_("ISO week"), Frequency.DAY: N_("Day")}
SPAN_LABELS = {Frequency.YEAR: N_("Span in years"), Frequency.MONTH: N_("Span in months"),
               Frequency.WEEK: N_("Span in weeks")}


@st.cache_data(max_entries=64, show_spinner=False)
def _page(actor: Actor, unit: int | None, level: str, span: int, grouping: str, unit_search: str, today: date,
          version: tuple) -> IndicatorViewPage:
    # Keyed on the data version: any write anywhere makes the next read fresh.
    return read(indicator_view_page, actor=actor, org_unit_id=unit, level=level, span=span, grouping=grouping,
                unit_search=unit_search, today=today)


def _choices() -> tuple[int | None, str, int, str]:
    """The unit, level, span and grouping as the address gives them (the level's defaults where it gives none);
    a value that is none of the level's goes to the read, which says so."""
    raw_unit = st.query_params.get("unit", "")
    level = st.query_params.get("level", Level.STRATEGIC)
    rule = LEVELS.get(level) if Level.has(level) else None
    raw_span = st.query_params.get("span", "")
    span = int(raw_span) if raw_span.isdigit() else rule.default_span if rule else 0
    grouping = st.query_params.get("group", rule.groupings[0] if rule else "")
    return int(raw_unit) if raw_unit.isdigit() else None, level, span, grouping


def _to_address(name: str) -> None:
    # A choice goes into the address, which the next run reads the view from; a new level starts at its defaults.
    value = st.session_state[CHOICES[name]]
    if value is None:
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = str(value)
    if name == "level":
        st.query_params.pop("span", None)
        st.query_params.pop("group", None)


def _select(name: str, label: str, options: list, value, names) -> None:
    _ = tr()
    st.session_state[CHOICES[name]] = value if value in options else None
    st.selectbox(label, options, key=CHOICES[name], placeholder=_("Choose an option"), format_func=names,
                 on_change=_to_address, args=(name,))


def _indicator(figures: IndicatorLevelFigures, grouping: Frequency) -> None:
    """One indicator: a chart of its actual figure against the plan per bucket, and the table with the status."""
    _ = tr()
    lang = language()
    unit = f" ({figures.plan.unit})" if figures.plan.unit else ""
    st.markdown(f"**{figures.plan.name}**{unit} · {figures.initiative_title}")
    if not figures.available:
        st.caption(_("Not available at this level: this indicator is measured {frequency}, which is coarser than "
                     "the grouping.", frequency=_(Frequency(figures.indicator.frequency).label).lower()))
        return
    period, actual, planned, status = _("Period"), _("Actual"), _("Planned"), _("Status")
    series = _("Series")
    points = [{period: b.start, series: actual, "value": b.actual} for b in figures.buckets if b.actual is not None]
    points += [{period: b.start, series: planned, "value": b.planned} for b in figures.buckets
               if b.planned is not None]
    if points:
        chart = alt.Chart(pd.DataFrame(points)).mark_line(point=True).encode(
            x=alt.X(f"{period}:T", title=period),
            y=alt.Y("value:Q", title=figures.plan.name, scale=alt.Scale(zero=False)),
            color=alt.Color(f"{series}:N", title=None, sort=[actual, planned]),
            strokeDash=alt.StrokeDash(f"{series}:N", sort=[actual, planned], legend=None),
            tooltip=[alt.Tooltip(f"{period}:T", format="%Y-%m-%d"), alt.Tooltip(f"{series}:N"),
                     alt.Tooltip("value:Q", format=",.2~f")])
        # Its text alternative points to the table under it, which has every figure.
        st.altair_chart(localised(chart.properties(height=200)), width="stretch", alt=_(
            "Chart of {name}, actual against planned, {first} to {last}; the table below gives every period.",
            name=figures.plan.name, first=format_period(grouping, figures.buckets[0].start),
            last=format_period(grouping, figures.buckets[-1].start)))
    st.dataframe(pd.DataFrame({
        period: [format_period(grouping, b.start) for b in figures.buckets],
        actual: [format_number(b.actual, lang, 1) for b in figures.buckets],
        planned: [format_number(b.planned, lang, 1) for b in figures.buckets],
        status: [STATUS_BADGES[b.status.value] + " " + _(IndicatorStatus(b.status).label) for b in figures.buckets],
    }), hide_index=True, width="stretch", key=f"levels_table_{figures.indicator.id}")


def render() -> None:
    _ = tr()
    lang = language()
    st.title(_("Follow-up by level"))
    unit, level, span, grouping = _choices()
    page = _page(current_actor(), unit, level, span, grouping, st.session_state.get(UNIT_SEARCH, ""),
                 organisation_today(), current_data_version())
    units = page.units.names()

    left, right = st.columns([2, 3])
    with left:
        name_search(UNIT_SEARCH, _("Find an org unit"), page.units)
        _select("unit", _("Org unit (with the units below it)"), list(units), unit, units.__getitem__)
    with right:
        levels = list(Level)
        st.session_state[CHOICES["level"]] = level if level in levels else None
        st.radio(_("Level"), levels, key=CHOICES["level"], format_func=lambda v: _(Level(v).label),
                 captions=[_(LEVELS[v].explanation) for v in levels], horizontal=True, on_change=_to_address,
                 args=("level",))
        if Level.has(level):
            rule = LEVELS[Level(level)]
            columns = st.columns(2)
            with columns[0]:
                _select("span", _(SPAN_LABELS[rule.span_unit]), list(rule.spans), span,
                        lambda v: format_number(v, lang, 0))
            with columns[1]:
                _select("group", _("Grouped by"), list(rule.groupings), grouping,
                        lambda v: _(GROUPING_LABELS[Frequency(v)]))

    if page.problems:
        st.error("\n\n".join(plain_messages(page.problems, lang)))
        return
    view = page.view
    if view is None:
        st.info(_("Choose an org unit to see its indicators."))
        return
    st.caption(_("{unit} and the units below it, {first} to {last}: {shown} of {total} indicators.",
                 unit=view.org_unit_name, first=view.first_day.isoformat(), last=view.last_day.isoformat(),
                 shown=format_number(len(view.indicators), lang, 0), total=format_number(view.total, lang, 0)))
    if not view.indicators:
        st.caption(_("No figures were reported in this span."))
    for figures in view.indicators:
        _indicator(figures, view.grouping)


if __name__ == "__main__":
    render()
