"""Benefit report: a portfolio and a period, the report in sentences, tables and small charts, and its downloads."""

from __future__ import annotations

from datetime import date
from typing import Optional

import pandas as pd
import streamlit as st

from portfolio.benefit_report import BenefitReport, ReportPage, report_page, this_year_so_far
from portfolio.i18n import Np_
from portfolio.indicator_figures import IndicatorPlan
from portfolio.permissions import Actor
from portfolio.queries import read
from portfolio.report_render import (
    csv_zip,
    decision_sentence,
    generated_text,
    indicator_sentence,
    money_sentence,
    period_text,
    render_csv,
    render_pdf,
    render_xlsx,
    report_tables,
    stage_sentence,
    summary_sentences,
)
from portfolio.ui.charts import indicator_chart, indicator_summary
from portfolio.ui.components import current_actor, current_data_version, language, tr
from portfolio.ui.text import plain, plain_messages

SECTIONS_PER_PAGE = 10
# st.date_input's formats nearest to each language's own (ISO in Sweden, day first in Norway).
DATE_INPUT_FORMATS = {"sv": "YYYY-MM-DD", "nb": "DD.MM.YYYY", "en": "DD/MM/YYYY"}


@st.cache_data(max_entries=16, show_spinner=False)
def _report_page(actor: Actor, portfolio_id: Optional[int], period_from: date, period_to: date,
                 version: tuple) -> ReportPage:
    # Keyed on the data version: any write makes the next read fresh.
    return read(report_page, actor=actor, portfolio_id=portfolio_id, period_from=period_from, period_to=period_to)


def _go_to(page: int) -> None:
    st.session_state["report_page"] = page


def _downloads(report: BenefitReport, lang: str) -> None:
    _ = tr()
    stem = f"benefit-report-{report.portfolio_id}-{report.period_from}-{report.period_to}"
    columns = st.columns(3)
    # The files are made only when their button is clicked (a PDF of a large portfolio takes seconds).
    columns[0].download_button(_("Download PDF"), data=lambda: render_pdf(report, lang), file_name=f"{stem}.pdf",
                               mime="application/pdf", key="report_pdf", on_click="ignore")
    columns[1].download_button(_("Download Excel"), data=lambda: render_xlsx(report, lang),
                               file_name=f"{stem}.xlsx", key="report_xlsx", on_click="ignore",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    columns[2].download_button(_("Download CSV (zip)"), data=lambda: csv_zip(render_csv(report, lang)),
                               file_name=f"{stem}.zip", mime="application/zip", key="report_csv", on_click="ignore")


def _summary(report: BenefitReport, lang: str) -> None:
    _ = tr()
    st.subheader(_("Summary"))
    for sentence in summary_sentences(report, lang):
        st.markdown(plain(sentence))
    for table in report_tables(report, lang):
        if table.key in ("stages", "decisions", "stopped") and table.rows:
            st.markdown(f"**{plain(table.title)}**")
            st.dataframe(pd.DataFrame(list(table.rows), columns=list(table.header)), hide_index=True,
                         width="stretch", key=f"report_table_{table.key}")


def _sections(report: BenefitReport, lang: str) -> None:
    _ = tr()
    st.subheader(_("Initiatives"))
    sections = report.initiatives
    pages = max(1, -(-len(sections) // SECTIONS_PER_PAGE))
    page = min(st.session_state.get("report_page", 1), pages)
    if pages > 1:
        st.caption(_(Np_("{count} initiative, ten a page.", "{count} initiatives, ten a page."), count=len(sections)))
    for section in sections[(page - 1) * SECTIONS_PER_PAGE: page * SECTIONS_PER_PAGE]:
        with st.container(border=True, key=f"report_initiative_{section.initiative_id}"):
            st.markdown(f"**{plain(section.title)}**")
            st.markdown(plain(stage_sentence(section, lang)))
            if (money := money_sentence(section, lang)) is not None:
                st.markdown(plain(money))
            for decision in section.decisions:
                st.markdown(plain(decision_sentence(decision, report.timezone, lang)))
            measured = [line for line in section.indicators if line.series]
            for line in section.indicators:
                st.caption(plain(indicator_sentence(line, lang)))
            columns = st.columns(3)
            for index, line in enumerate(measured):
                plan = IndicatorPlan(line.name, line.unit, line.baseline_value, line.original_baseline_value,
                                     line.target_value, line.baseline_date, line.target_date)
                series = [(p.period, p.value) for p in line.series]
                chart = indicator_chart(plan, series, _).properties(height=120)
                columns[index % 3].altair_chart(chart, width="stretch", alt=indicator_summary(plan, series, _, lang))
    if pages > 1:
        columns = st.columns([1, 2, 1])
        columns[0].button(_("Previous page"), key="report_previous", disabled=page <= 1,
                          on_click=_go_to, args=(page - 1,))
        columns[1].caption(_("Page {page} of {pages}", page=page, pages=pages))
        columns[2].button(_("Next page"), key="report_next", disabled=page >= pages,
                          on_click=_go_to, args=(page + 1,))


def render() -> None:
    _ = tr()
    lang = language()
    st.title(_("Benefit report"))
    first, last = this_year_so_far()
    state = st.session_state
    view = _report_page(current_actor(), state.get("report_portfolio"), state.get("report_from", first),
                        state.get("report_to", last), current_data_version())
    names = view.portfolios.names()
    columns = st.columns([2, 1, 1])
    if names:
        columns[0].selectbox(_("Portfolio"), list(names), key="report_portfolio", format_func=names.get,
                             placeholder=_("Choose an option"),
                             index=list(names).index(view.portfolio_id) if view.portfolio_id in names else 0)
    columns[1].date_input(_("From"), value=first, key="report_from", format=DATE_INPUT_FORMATS.get(lang, "YYYY-MM-DD"))
    columns[2].date_input(_("To"), value=last, key="report_to", format=DATE_INPUT_FORMATS.get(lang, "YYYY-MM-DD"))
    if view.report is None:
        st.error("\n\n".join(plain_messages(view.problems, lang)))
        return
    report = view.report
    st.caption(plain(f"{period_text(report, lang)} · {generated_text(report, lang)}"))
    _downloads(report, lang)
    _summary(report, lang)
    _sections(report, lang)


if __name__ == "__main__":
    render()
