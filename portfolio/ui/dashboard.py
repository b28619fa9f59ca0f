"""Portfolio dashboard: the steering group's start page (``portfolio.dashboard`` says what each figure means).

The filters live in the address (``?portfolio=1&unit=7&stage=pilot&status=on_hold``), so a link shows the same
view; every row and every point of the value/cost chart leads to its initiative."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st
from babel.numbers import format_compact_decimal

from portfolio.dashboard import (
    STATUS_LABELS,
    STATUSES,
    UPCOMING_DAYS,
    Dashboard,
    DashboardFilters,
    DashboardPage,
    Listing,
    dashboard_page,
    organisation_today,
)
from portfolio.i18n import BABEL_LOCALES, DATE_FORMATS, STAGE_LABELS, format_number
from portfolio.permissions import Actor
from portfolio.queries import read
from portfolio.ui.charts import localised
from portfolio.ui.components import current_actor, current_data_version, language, name_search, tr
from portfolio.ui.text import plain_messages
from workflows.lifecycle import STAGES

UNIT_SEARCH = "dashboard_unit_search"
# Each filter: its name in the address and the key of its widget.
FILTERS = {"portfolio": "dashboard_portfolio", "unit": "dashboard_unit", "stage": "dashboard_stage",
           "status": "dashboard_status"}


@st.cache_data(max_entries=64, show_spinner=False)
def _dashboard_page(actor: Actor, filters: DashboardFilters, unit_search: str, today: date,
                    version: tuple) -> DashboardPage:
    # Keyed on the data version: any write anywhere makes the next read fresh.
    return read(dashboard_page, actor=actor, filters=filters, unit_search=unit_search, today=today)


def _number(name: str) -> int | None:
    raw = st.query_params.get(name, "")
    return int(raw) if raw.isdigit() else None


def _filters() -> DashboardFilters:
    """The filters as the address gives them; a stage or status that is none goes to the read, which says so."""
    return DashboardFilters(portfolio_id=_number("portfolio"), org_unit_id=_number("unit"),
                            stage=st.query_params.get("stage"), status=st.query_params.get("status"))


def _to_address(name: str) -> None:
    # A choice goes into the address, which the next run reads the filters from.
    value = st.session_state[FILTERS[name]]
    if value is None:
        st.query_params.pop(name, None)
    else:
        st.query_params[name] = str(value)


def _select(column, name: str, label: str, options: list, value, names) -> None:
    """A filter's choice list showing the address's value (All when it is none of the options)."""
    _ = tr()
    st.session_state[FILTERS[name]] = value if value in options else None
    column.selectbox(label, [None, *options], key=FILTERS[name], placeholder=_("Choose an option"),
                     format_func=lambda v: _("All") if v is None else names(v), on_change=_to_address, args=(name,))


def _link(initiative_id: int) -> str:
    return f"initiative?id={initiative_id}"


def _table(key: str, listing: Listing, columns: dict, dates: tuple[str, ...] = ()) -> None:
    """One list: its rows with the initiative's number linking to it, "shown of all" above them; choosing a
    row opens the initiative in this tab."""
    _ = tr()
    lang = language()
    if not listing.total:
        st.caption(_("None."))
        return
    st.caption(_("{shown} of {total}, the most urgent first. Choose a row to open the initiative.",
                 shown=format_number(len(listing.rows), lang, 0), total=format_number(listing.total, lang, 0)))
    number = _("No.")
    frame = pd.DataFrame({number: [_link(row.id) for row in listing.rows],
                          **{label: [value(row) for row in listing.rows] for label, value in columns.items()}})
    config = {number: st.column_config.LinkColumn(display_text=r"id=(\d+)$", width="small")}
    config.update({label: st.column_config.DateColumn(format=DATE_FORMATS[lang]) for label in dates})
    event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key=key, column_config=config)
    selected = event.selection.rows if event is not None else []
    if selected:
        chosen = listing.rows[selected[0]].id
        st.switch_page(st.session_state["pages"]["initiative"], query_params={"id": str(chosen)})


def _funnel_chart(board: Dashboard) -> alt.Chart:
    _ = tr()
    stage, count, cost = _("Stage"), _("Initiatives"), _("Estimated cost")
    frame = pd.DataFrame({stage: [_(STAGE_LABELS[f.stage]) for f in board.funnel],
                          count: [f.count for f in board.funnel], cost: [f.cost for f in board.funnel]})
    order = [_(STAGE_LABELS[s]) for s in STAGES]
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y(f"{stage}:N", sort=order, title=None), x=alt.X(f"{count}:Q", title=count),
        color=alt.Color(f"{stage}:N", sort=order, legend=None),
        tooltip=[alt.Tooltip(f"{stage}:N"), alt.Tooltip(f"{count}:Q", format=",.0f"),
                 alt.Tooltip(f"{cost}:Q", format=",.0f")]).properties(height=220)


def _bubble_chart(board: Dashboard) -> alt.Chart:
    _ = tr()
    bubbles = board.bubbles.rows
    title, stage, investment, npv, cost = (_("Title"), _("Stage"), _("Investment"), _("Expected NPV"),
                                           _("Estimated cost"))
    frame = pd.DataFrame({title: [b.title for b in bubbles], stage: [_(STAGE_LABELS[b.stage]) for b in bubbles],
                          investment: [b.investment for b in bubbles], npv: [b.npv for b in bubbles],
                          cost: [b.estimated_cost or 0 for b in bubbles], "href": [_link(b.id) for b in bubbles]})
    order = [_(STAGE_LABELS[s]) for s in STAGES]
    return alt.Chart(frame).mark_circle(opacity=0.7).encode(
        x=alt.X(f"{investment}:Q", title=investment), y=alt.Y(f"{npv}:Q", title=npv),
        size=alt.Size(f"{cost}:Q", title=cost, legend=None),
        color=alt.Color(f"{stage}:N", sort=order, title=stage, scale=alt.Scale(domain=order)),
        href="href:N",
        tooltip=[alt.Tooltip(f"{title}:N"), alt.Tooltip(f"{stage}:N"), alt.Tooltip(f"{investment}:Q", format=",.0f"),
                 alt.Tooltip(f"{npv}:Q", format=",.0f"), alt.Tooltip(f"{cost}:Q", format=",.0f")]
    ).properties(height=360)


@st.cache_data(max_entries=64, show_spinner=False)
def _chart_specs(arguments: tuple, language: str) -> tuple[dict, dict | None]:
    # Turning a chart into Vega-Lite costs more than the cached read itself; the same read (the arguments of
    # ``_dashboard_page``, which are cheaper to compare than its result) in the same language gives the same
    # specifications, so they are kept beside it.
    board = _dashboard_page(*arguments).dashboard
    return (localised(_funnel_chart(board)).to_dict(),
            localised(_bubble_chart(board)).to_dict() if board.bubbles.rows else None)


def _funnel(board: Dashboard, spec: dict) -> None:
    _ = tr()
    stage, count, cost = _("Stage"), _("Initiatives"), _("Estimated cost")
    summary = ", ".join(f"{_(STAGE_LABELS[f.stage])} {_count(f.count)}" for f in board.funnel)
    st.vega_lite_chart(spec=spec, width="stretch", alt=f"{count}: {summary}")
    # The chart's figures as a table, for every reader.
    st.table(pd.DataFrame({
        stage: [_(STAGE_LABELS[f.stage]) for f in board.funnel],
        count: [_count(f.count) for f in board.funnel],
        cost: [_count(f.cost) for f in board.funnel],
        _("Past the stage limit"): [_count(f.past_limit) if f.limit_days else "–" for f in board.funnel],
        _("Stage limit (days)"): [_count(f.limit_days) if f.limit_days else "–" for f in board.funnel],
    }).set_index(stage))


def _bubbles(board: Dashboard, spec: dict | None) -> None:
    _ = tr()
    bubbles = board.bubbles
    if spec is None:
        st.caption(_("No initiative has a benefit calculation."))
        return
    positive = sum(1 for b in bubbles.rows if b.npv >= 0)
    summary = _("{shown} of {total} initiatives with a benefit calculation, the largest investments first: "
                "{positive} of them with an expected net present value of zero or more. Choose a point to open the "
                "initiative.", shown=_count(len(bubbles.rows)), total=_count(bubbles.total), positive=_count(positive))
    st.vega_lite_chart(spec=spec, width="stretch", alt=summary)
    st.caption(summary)


def _stage(row) -> str:
    _ = tr()
    return _(STAGE_LABELS[row.stage]) + (" – " + _("On hold") if getattr(row, "on_hold", False) else "")


def _count(value: float) -> str:
    return format_number(value, language(), 0)


def _lists(board: Dashboard) -> None:
    """The lists of what needs attention, each under its heading."""
    _ = tr()
    title, stage, due = _("Title"), _("Stage"), _("Due")
    st.subheader(_("Past the stage limit"))
    since = _("In stage since")
    _table("dashboard_in_stage", board.in_stage,
           {title: lambda r: r.title, stage: _stage, since: lambda r: r.since,
            _("Days in stage"): lambda r: _count(r.days), _("Stage limit (days)"): lambda r: _count(r.limit_days)},
           dates=(since,))
    gates = {title: lambda r: r.title, stage: _stage, due: lambda r: r.due,
             _("Why"): lambda r: _("Hold review") if r.on_hold else _("Stage limit"),
             _("Decision owner"): lambda r: r.decision_owner or "–"}
    st.subheader(_("Gates overdue"))
    _table("dashboard_gates_overdue", board.gates_overdue, gates, dates=(due,))
    st.subheader(_("Gates coming up in the next {days} days", days=_count(UPCOMING_DAYS)))
    _table("dashboard_gates_coming", board.gates_coming, gates, dates=(due,))
    st.subheader(_("Overdue measurements"))
    _table("dashboard_measurements", board.measurements,
           {title: lambda r: r.title, stage: _stage,
            _("Overdue indicators"): lambda r: _("{overdue} of {indicators}", overdue=_count(r.overdue),
                                                 indicators=_count(r.indicators)),
            due: lambda r: r.due}, dates=(due,))
    st.subheader(_("Conditions past their due date"))
    decided = _("Conditional go on")
    _table("dashboard_conditions", board.conditions,
           {title: lambda r: r.title, stage: _stage, decided: lambda r: r.decided_on, due: lambda r: r.due,
            _("Decided by"): lambda r: r.decided_by, _("Conditions"): lambda r: r.conditions},
           dates=(decided, due))


def render() -> None:
    _ = tr()
    st.title(_("Portfolio dashboard"))
    filters = _filters()
    arguments = (current_actor(), filters, st.session_state.get(UNIT_SEARCH, ""), organisation_today(),
                 current_data_version())
    view = _dashboard_page(*arguments)
    portfolios, units = view.portfolios.names(), view.units.names()

    columns = st.columns(4)
    _select(columns[0], "portfolio", _("Portfolio"), list(portfolios), filters.portfolio_id, portfolios.__getitem__)
    with columns[1]:
        name_search(UNIT_SEARCH, _("Find an org unit"), view.units)
        _select(st, "unit", _("Org unit"), list(units), filters.org_unit_id, units.__getitem__)
    _select(columns[2], "stage", _("Stage"), list(STAGES), filters.stage, lambda v: _(STAGE_LABELS[v]))
    _select(columns[3], "status", _("Status"), list(STATUSES), filters.status, lambda v: _(STATUS_LABELS[v]))

    if view.dashboard is None:
        st.error("\n\n".join(plain_messages(view.problems, language())))
        return
    board = view.dashboard
    # Two rows of three, so that a long label (Swedish, Norwegian) is read whole.
    metrics = [*st.columns(3), *st.columns(3)]
    metrics[0].metric(_("Initiatives"), _count(board.initiatives))
    # A sum of millions is shown short ("50,4 md" in Swedish), with every digit beside it on hover.
    metrics[1].metric(_("Estimated cost"), format_compact_decimal(
        board.cost, format_type="short", fraction_digits=1, locale=BABEL_LOCALES.get(language(), "sv_SE")),
        help=_count(board.cost))
    metrics[2].metric(_("Past the stage limit"), _count(board.in_stage.total))
    metrics[3].metric(_("Gates overdue"), _count(board.gates_overdue.total))
    metrics[4].metric(_("Overdue measurements"), _count(board.overdue_indicators))
    metrics[5].metric(_("Conditions past due"), _count(board.conditions.total))

    funnel, bubbles = _chart_specs(arguments, language())
    left, right = st.columns([2, 1])
    with left:
        st.subheader(_("Funnel"))
        _funnel(board, funnel)
    with right:
        st.subheader(_("Status"))
        for status in board.statuses:
            st.metric(_(STATUS_LABELS[status.status]), _count(status.count))
    _lists(board)
    st.subheader(_("Value and cost"))
    _bubbles(board, bubbles)


if __name__ == "__main__":
    render()
