"""Meeting snapshots: the benefit report frozen for a steering meeting, listed per portfolio, opened exactly as
it was frozen (with its PDF, Excel and CSV made from the stored data), and two meetings compared."""

from __future__ import annotations

import base64
from datetime import date
from typing import Optional

import pandas as pd
import streamlit as st

from portfolio.audit_prose import Day, Moment
from portfolio.benefit_report import BenefitReport
from portfolio.i18n import LANGUAGES, STAGE_LABELS, format_number
from portfolio.queries import get_settings, read
from portfolio.report_render import csv_zip, render_csv, render_html, render_pdf, render_xlsx
from portfolio.snapshots import FrozenReport, SnapshotComparison, SnapshotSummary, freeze_report, snapshots_view
from portfolio.ui.components import current_actor, dispatcher, flash, language, show_flash, tr
from portfolio.ui.report import DATE_INPUT_FORMATS
from portfolio.ui.text import plain, plain_messages
from workflows.vocabulary import IndicatorStatus

FORM_FIELDS = ("freeze_meeting_name", "freeze_meeting_date", "freeze_period_from", "freeze_period_to",
               "freeze_language")
FREEZE_PROBLEMS = "freeze_problems"


def _query_int(name: str) -> Optional[int]:
    raw = st.query_params.get(name, "")
    return int(raw) if raw.isdigit() else None


def _portfolio_chosen() -> None:
    # The portfolio and the open snapshot live in the address, so a link shows the same view.
    st.query_params["portfolio"] = str(st.session_state["snapshots_portfolio"])
    st.query_params.pop("snapshot", None)
    for key in ("snapshots_open", "compare_first", "compare_second"):
        st.session_state.pop(key, None)


def _snapshot_chosen() -> None:
    chosen = st.session_state.get("snapshots_open")
    if chosen is None:
        st.query_params.pop("snapshot", None)
    else:
        st.query_params["snapshot"] = str(chosen)


def _freeze(portfolio_id: int) -> None:
    state = st.session_state
    done = dispatcher().run(freeze_report, portfolio_id=portfolio_id, meeting_name=state["freeze_meeting_name"],
                            meeting_date=state["freeze_meeting_date"], period_from=state["freeze_period_from"],
                            period_to=state["freeze_period_to"], language=state["freeze_language"])
    if not done.ok:
        # What was typed stays in the form, beside the reasons.
        state[FREEZE_PROBLEMS] = plain_messages(done.problems, language())
        return
    for key in FORM_FIELDS:
        state.pop(key, None)
    st.query_params["snapshot"] = str(done.result.id)
    state["snapshots_open"] = done.result.id
    _ = tr()
    flash("success", [_("The benefit report is frozen for the meeting {meeting} on {date}.",
                        meeting=plain(done.result.meeting_name), date=Day(done.result.meeting_date))])


def _freeze_form(portfolio_id: int, default_period: tuple[date, date]) -> None:
    _ = tr()
    st.subheader(_("Freeze the report for a meeting"))
    st.caption(_("The benefit report of the period is stored as it is now, for the meeting's minutes. It can be "
                 "opened, printed and compared later, exactly as it was, whatever changes afterwards."))
    languages = list(LANGUAGES)
    with st.form("freeze_snapshot"):
        st.text_input(_("Meeting"), key="freeze_meeting_name", max_chars=200,
                      placeholder=_("For example: Steering group 3 December"))
        # Dates are typed as on the report page: in the reader's own order.
        form = DATE_INPUT_FORMATS.get(language(), "YYYY-MM-DD")
        st.date_input(_("Meeting date"), value=date.today(), key="freeze_meeting_date", format=form)
        left, right = st.columns(2)
        left.date_input(_("Period from"), value=default_period[0], key="freeze_period_from", format=form)
        right.date_input(_("Period to"), value=default_period[1], key="freeze_period_to", format=form)
        st.selectbox(_("Language of the report"), languages, index=languages.index(language()),
                     format_func=LANGUAGES.__getitem__, key="freeze_language", placeholder=_("Choose an option"))
        st.form_submit_button(_("Freeze the report"), type="primary", on_click=_freeze, args=(portfolio_id,))
    problems = st.session_state.pop(FREEZE_PROBLEMS, None)
    if problems:
        st.error("\n\n".join(problems))


def _label(snapshot: SnapshotSummary, lang: str) -> str:
    return f"{snapshot.meeting_name} ({Day(snapshot.meeting_date).render(lang)})"


def _list(snapshots: tuple[SnapshotSummary, ...], lang: str) -> None:
    _ = tr()
    zone = get_settings().timezone
    st.dataframe(pd.DataFrame({
        _("Meeting"): [s.meeting_name for s in snapshots],
        _("Meeting date"): [Day(s.meeting_date).render(lang) for s in snapshots],
        _("Period"): [f"{Day(s.period_from).render(lang)} – {Day(s.period_to).render(lang)}" for s in snapshots],
        _("Language"): [LANGUAGES.get(s.language, s.language) for s in snapshots],
        _("Frozen by"): [s.frozen_by for s in snapshots],
        _("Frozen at"): [Moment(s.frozen_at, zone).render(lang) for s in snapshots],
    }), hide_index=True, width="stretch", key="snapshots_table")


@st.cache_data(max_entries=16, show_spinner=False)
def _report_html(content_hash: str, language_: str, _report: BenefitReport) -> str:
    # A snapshot never changes, so its rendering is keyed on its verified content hash.
    return render_html(_report, language_)


def _show(frozen: FrozenReport, lang: str) -> None:
    _ = tr()
    snapshot, report = frozen.snapshot, frozen.report
    zone = get_settings().timezone
    st.subheader(plain(_label(snapshot, lang)))
    st.caption(_("Frozen by {name} on {when}, in {language}. Content hash (SHA-256): {hash}",
                 name=plain(snapshot.frozen_by), when=Moment(snapshot.frozen_at, zone),
                 language=LANGUAGES.get(snapshot.language, snapshot.language), hash=snapshot.content_hash))
    stem = f"snapshot-{snapshot.id}"
    columns = st.columns(3)
    # Made from the stored data when a button is pressed, in the language the report was frozen in.
    columns[0].download_button(_("Download PDF"), lambda: render_pdf(report, snapshot.language),
                               file_name=f"{stem}.pdf", mime="application/pdf", key="snapshot_pdf", on_click="ignore")
    columns[1].download_button(_("Download Excel"), lambda: render_xlsx(report, snapshot.language),
                               file_name=f"{stem}.xlsx", key="snapshot_xlsx", on_click="ignore",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    columns[2].download_button(_("Download CSV (zip)"), lambda: csv_zip(render_csv(report, snapshot.language)),
                               file_name=f"{stem}-csv.zip", mime="application/zip", key="snapshot_csv",
                               on_click="ignore")
    # The report's own document (the PDF's source) in a frame of its own: its styles stay out of the page, and as
    # a data address it cannot reach the app.
    document = _report_html(snapshot.content_hash, snapshot.language, report)
    st.iframe("data:text/html;charset=utf-8;base64," + base64.b64encode(document.encode("utf-8")).decode("ascii"),
              height=900, alt=_("The benefit report as frozen for {meeting}", meeting=snapshot.meeting_name))


def _stage(stage: Optional[str]) -> str:
    _ = tr()
    return "–" if stage is None else _(STAGE_LABELS.get(stage, stage))


def _table(rows: list[list], header: list[str], empty: str) -> None:
    if rows:
        st.dataframe(pd.DataFrame(rows, columns=header), hide_index=True, width="stretch")
    else:
        st.caption(empty)


def _bold(text: str) -> None:
    st.markdown(f"**{text}**")


def _comparison(comparison: SnapshotComparison, lang: str) -> None:
    _ = tr()
    first, second = _label(comparison.first, lang), _label(comparison.second, lang)
    change = _("Change")

    def signed(value: float, digits: int = 0) -> str:
        text = format_number(abs(value), lang, digits)
        return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)

    _bold(_("Initiatives per stage"))
    _table([[_stage(m.stage), format_number(m.first, lang, 0), format_number(m.second, lang, 0), signed(m.difference)]
            for m in comparison.stages], [_("Stage"), first, second, change], "")
    _bold(_("Benefit in money"))
    money = comparison.money
    _table([[_("Realised"), format_number(money.first_realised, lang, 0), format_number(money.second_realised, lang, 0),
             signed(money.realised_difference)],
            [_("Planned"), format_number(money.first_planned, lang, 0), format_number(money.second_planned, lang, 0),
             signed(money.planned_difference)]], ["", first, second, change], "")
    _bold(_("Initiatives that changed stage"))
    _table([[m.title, _stage(m.first_stage), _stage(m.second_stage)] for m in comparison.changed_stage],
           [_("Initiative"), first, second], _("No initiative changed stage."))
    _bold(_("New initiatives"))
    _table([[m.title, _stage(m.second_stage)] for m in comparison.new], [_("Initiative"), second],
           _("No new initiatives."))
    _bold(_("Stopped initiatives"))
    _table([[m.title, _stage(m.first_stage)] for m in comparison.stopped], [_("Initiative"), first],
           _("No initiative was stopped."))
    if comparison.left:
        _bold(_("No longer in the report"))
        st.caption(_("Closed before the later report's period began."))
        _table([[m.title, _stage(m.first_stage)] for m in comparison.left], [_("Initiative"), first], "")
    _bold(_("Benefits whose status changed"))
    _table([[m.initiative_title, m.benefit, _(IndicatorStatus(m.first_status).label),
             _(IndicatorStatus(m.second_status).label)] for m in comparison.benefits],
           [_("Initiative"), _("Benefit"), first, second], _("No benefit changed status."))


def _compare(view_snapshots: tuple[SnapshotSummary, ...], comparison: Optional[SnapshotComparison],
             lang: str) -> None:
    _ = tr()
    st.subheader(_("Compare two meetings"))
    if len(view_snapshots) < 2:
        st.caption(_("Two snapshots of the portfolio are needed for a comparison."))
        return
    ids = [s.id for s in view_snapshots]
    labels = {s.id: _label(s, lang) for s in view_snapshots}
    left, right = st.columns(2)
    # Newest first: by default the last meeting against the one before it.
    left.selectbox(_("Earlier meeting"), ids, index=1, format_func=labels.__getitem__, key="compare_first",
                   placeholder=_("Choose an option"))
    right.selectbox(_("Later meeting"), ids, index=0, format_func=labels.__getitem__, key="compare_second",
                    placeholder=_("Choose an option"))
    if comparison is None:
        st.caption(_("Choose two different meetings."))
        return
    _comparison(comparison, lang)


def _compared() -> Optional[tuple[int, int]]:
    """The two meetings to compare as chosen (the widgets' values are in the session before they are drawn, so the
    page's one read comes first); None before any is chosen: the read compares the two newest."""
    first, second = st.session_state.get("compare_first"), st.session_state.get("compare_second")
    return (first, second) if first is not None and second is not None else None


def render() -> None:
    _ = tr()
    lang = language()
    st.title(_("Meeting snapshots"))
    show_flash()
    requested = _query_int("snapshot")
    if requested is not None and "snapshots_open" not in st.session_state:
        st.session_state["snapshots_open"] = requested
    open_id = st.session_state.get("snapshots_open")
    view = read(snapshots_view, actor=current_actor(), portfolio_id=_query_int("portfolio"), open_id=open_id,
                compare=_compared())
    if view.portfolio_id is None:
        st.info(view.allowed["snapshot.read"].render(lang))
        return
    portfolios = view.portfolios.names()
    ids = list(portfolios)
    st.selectbox(_("Portfolio"), ids, index=ids.index(view.portfolio_id), format_func=portfolios.__getitem__,
                 key="snapshots_portfolio", on_change=_portfolio_chosen, placeholder=_("Choose an option"))
    if view.allowed["snapshot.freeze"] is None:
        _freeze_form(view.portfolio_id, view.default_period)
    else:
        st.caption(view.allowed["snapshot.freeze"].render(lang))

    st.subheader(_("Snapshots"))
    if not view.snapshots:
        st.info(_("No snapshot of this portfolio has been frozen yet."))
        return
    _list(view.snapshots, lang)
    labels = {s.id: _label(s, lang) for s in view.snapshots}
    if st.session_state.get("snapshots_open") not in labels:
        st.session_state.pop("snapshots_open", None)
    st.selectbox(_("Open a snapshot"), [None, *labels], key="snapshots_open", on_change=_snapshot_chosen,
                 format_func=lambda v: _("Choose a meeting") if v is None else labels[v],
                 placeholder=_("Choose an option"))
    if view.problems:
        st.error("\n\n".join(plain_messages(view.problems, lang)))
    if view.opened is not None:
        _show(view.opened, lang)
    _compare(view.snapshots, view.comparison, lang)


if __name__ == "__main__":
    render()
