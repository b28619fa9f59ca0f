"""Figures to report: the unit reporter's worklist. The initiatives their units report figures for, with what
is overdue, and one form for every figure of the due period, indicator by unit, saved all or nothing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portfolio.i18n import STAGE_LABELS, format_number
from portfolio.measurements import import_measurements
from portfolio.queries import read
from portfolio.ui.components import current_actor, dispatcher, flash, language, show_flash, tr
from portfolio.ui.text import plain, plain_messages
from portfolio.ui.worklist import count, day, linked_rows
from portfolio.worklists import ReportCell, entry_rows, reporter_worklist

WIDTHS = (1.5, 5, 3, 3, 3, 3)
FORM = "report_figures"
# The grid's key changes once its figures are saved, so the next run shows them as stored, not as edits.
ROUND = "report_figures_round"


def _grid_key() -> str:
    return f"report_grid_{st.session_state.get(ROUND, 0)}"


def _save(cells: list[ReportCell]) -> None:
    _ = tr()
    rows = entry_rows(cells, st.session_state.get(_grid_key(), {}).get("edited_rows", {}), language=language())
    if not rows:
        flash("warning", [_("No figure was changed; nothing was saved.")], FORM)
        return
    done = dispatcher().run(import_measurements, rows=rows, source="form")
    if not done.ok:
        # What was typed stays in the form, beside the reasons.
        flash("error", [_("Nothing was saved."), *plain_messages(done.problems, language())], FORM)
        return
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
    flash("success", [_("The figures are saved: {new} new, {corrected} corrected.", new=done.result.inserted,
                        corrected=done.result.corrected)], FORM)


def _grid(cells: list[ReportCell]) -> None:
    _ = tr()
    lang = language()
    table = pd.DataFrame(
        {
            "initiative": [f"#{c.initiative_id}" for c in cells],
            "indicator": [f"{c.indicator_code} {c.indicator}" for c in cells],
            "unit": [c.unit for c in cells],
            "period": [c.period for c in cells],
            # An empty cell is empty text: None would read "None".
            "value": [format_number(c.value, lang, digits=6) if c.value is not None else "" for c in cells],
            "latest": [c.latest or "–" for c in cells],
            "due": [("⚠ " if c.overdue else "") + day(c.due) for c in cells],
        },
        # Numbered from 1, as the problems of a save name their rows.
        index=pd.RangeIndex(1, len(cells) + 1),
    )
    with st.form(FORM):
        st.data_editor(
            table, key=_grid_key(), width="stretch", disabled=[c for c in table.columns if c != "value"],
            # The grid hands an edit over at once, not 150 ms after Enter, when a quick Save could miss it.
            on_change="ignore",
            column_config={
                "_index": st.column_config.NumberColumn(_("Row")),
                "initiative": st.column_config.TextColumn(_("No."), width=55),
                "indicator": st.column_config.TextColumn(_("Indicator"), width=200),
                "unit": st.column_config.TextColumn(_("Org unit"), width=130),
                "period": st.column_config.TextColumn(_("Period"), width=75),
                "value": st.column_config.TextColumn(
                    _("Value"), width=85, help=_("A number; a decimal comma or point both work.")),
                "latest": st.column_config.TextColumn(_("Latest reported"), width=80),
                # Overdue figures are marked, as in the table above.
                "due": st.column_config.TextColumn(_("Due"), width=100),
            },
        )
        st.form_submit_button(_("Save figures"), type="primary", on_click=_save, args=(cells,))


def render() -> None:
    _ = tr()
    st.title(_("Figures to report"))
    worklist = read(reporter_worklist, actor=current_actor())
    if not worklist.cells:
        st.info(_("Your units have no figures to report for initiatives under way."))
        return
    st.caption(_("The initiatives your units report figures for, earliest due date first. A figure is overdue "
                 "when the last completed period has none; the due date is when the oldest missing figure fell "
                 "due, or when the next one falls due."))
    linked_rows(
        [_("No."), _("Title"), _("Stage"), _("Figures"), _("Overdue"), _("Due")], WIDTHS,
        [(row.id, [plain(row.title), _(STAGE_LABELS[row.stage]), count(row.figures),
                   ("⚠ " if row.overdue else "") + count(row.overdue), plain(day(row.due))])
         for row in worklist.initiatives])
    st.subheader(_("Report figures"))
    st.caption(_("One row per indicator and org unit, for the period now due. Write the values and save them "
                 "all at once: every value is checked first, and if any has a problem nothing is saved and each "
                 "problem names its row."))
    show_flash(FORM)
    _grid(worklist.cells)


if __name__ == "__main__":
    render()
