"""Portfolio overview: initiatives filtered by portfolio, stage, org unit and status, and a count per stage."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portfolio.queries import read
from portfolio.i18n import DATE_FORMATS, STAGE_LABELS, Np_, format_number
from portfolio.reports import OverviewFilters, OverviewPage, overview_page
from portfolio.ui.components import UNIT_SEARCH, current_data_version, language, name_search, tr
from portfolio.ui.text import plain_messages
from workflows.lifecycle import STAGES
from workflows.vocabulary import InitiativeStatus


@st.cache_data(max_entries=64, show_spinner=False)
def _overview_page(filters: OverviewFilters, page: int, unit_search: str, version: tuple) -> OverviewPage:
    # Keyed on the data version: any write anywhere makes the next read fresh.
    return read(overview_page, filters=filters, page=page, unit_search=unit_search)


def _go_to(page: int) -> None:
    # The page number lives in the address, so a shared link opens the same page.
    st.query_params["page"] = str(page)


def _requested_page() -> int:
    raw = st.query_params.get("page", "1")
    return int(raw) if raw.isdigit() else 1


def _filters(stage_param: str | None) -> OverviewFilters:
    """The filters as the user set them: the widgets' values are in the session before they are drawn, so
    the page's one read can come first. A shared link's stage counts until the user picks one; a stage
    that is no stage goes to the read, which says what is wrong."""
    state = st.session_state
    stage = state.get("filter_stage", stage_param if stage_param in STAGES else None)
    if stage_param is not None and stage_param not in STAGES:
        stage = stage_param
    return OverviewFilters(state.get("filter_portfolio"), stage, state.get("filter_unit"), state.get("filter_status"))


def render() -> None:
    _ = tr()
    lang = language()
    st.title(_("Portfolio overview"))
    stage_param = st.query_params.get("stage")
    filters = _filters(stage_param)
    view = _overview_page(filters, _requested_page(), st.session_state.get(UNIT_SEARCH, ""), current_data_version())
    portfolios, units = view.portfolios.names(), view.units.names()

    columns = st.columns(4)
    columns[0].selectbox(_("Portfolio"), [None, *portfolios], key="filter_portfolio", placeholder=_("Choose an option"),
                         format_func=lambda v: _("All") if v is None else portfolios[v])
    stage_options = [None, *STAGES]
    columns[1].selectbox(
        _("Stage"), stage_options, key="filter_stage", placeholder=_("Choose an option"),
        index=stage_options.index(stage_param) if stage_param in STAGES else 0,
        format_func=lambda v: _("All") if v is None else _(STAGE_LABELS[v]),
    )
    with columns[2]:
        name_search(UNIT_SEARCH, _("Find an org unit"), view.units)
        st.selectbox(_("Org unit"), [None, *units], key="filter_unit", placeholder=_("Choose an option"),
                     format_func=lambda v: _("All") if v is None else units[v])
    columns[3].selectbox(_("Status"), [None, *InitiativeStatus], key="filter_status", placeholder=_("Choose an option"),
                         format_func=lambda v: _("All") if v is None else _(InitiativeStatus(v).label))

    if view.overview is None:
        st.error("\n\n".join(plain_messages(view.problems, lang)))
        return
    overview = view.overview
    counts = st.columns(len(STAGES))
    for column, stage_id in zip(counts, STAGES):
        column.metric(_(STAGE_LABELS[stage_id]), format_number(overview.count_per_stage[stage_id], lang, 0))

    if not overview.rows:
        st.info(_("No initiatives match the filters."))
        return
    table = pd.DataFrame(
        {
            _("No."): [r.id for r in overview.rows],
            _("Title"): [r.title for r in overview.rows],
            _("Stage"): [_(STAGE_LABELS[r.stage]) for r in overview.rows],
            _("Status"): [_(InitiativeStatus(r.status).label) for r in overview.rows],
            _("Portfolio"): [r.portfolio for r in overview.rows],
            _("Org unit"): [r.org_unit or "" for r in overview.rows],
            _("Implementation lead"): [r.lead or "" for r in overview.rows],
            _("In stage since"): [r.stage_entered_at for r in overview.rows],
        }
    )
    st.caption(_(Np_("{count} initiative. Choose a row to open the initiative.",
                      "{count} initiatives. Choose a row to open the initiative."), count=overview.total))
    event = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="overview_table", column_config={
                             _("In stage since"): st.column_config.DatetimeColumn(format=DATE_FORMATS[lang])})
    if overview.pages > 1:
        columns = st.columns([1, 2, 1])
        columns[0].button(_("Previous page"), key="page_previous", disabled=overview.page <= 1,
                          on_click=_go_to, args=(overview.page - 1,))
        columns[1].caption(_("Page {page} of {pages}", page=overview.page, pages=overview.pages))
        columns[2].button(_("Next page"), key="page_next", disabled=overview.page >= overview.pages,
                          on_click=_go_to, args=(overview.page + 1,))
    selected = event.selection.rows if event is not None else []
    if selected:
        chosen = overview.rows[selected[0]].id
        st.session_state["initiative_id"] = chosen
        st.switch_page(st.session_state["pages"]["initiative"], query_params={"id": str(chosen)})


if __name__ == "__main__":
    render()
