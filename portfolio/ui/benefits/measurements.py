"""Measurement entry and import: an indicator's grid of values, and the import of a CSV or Excel file."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portfolio import benefits_math
from portfolio.errors import DomainError
from portfolio.i18n import format_number
from portfolio.initiative_view import InitiativeView
from portfolio.measurement_files import GRID_COLUMNS, read_file, rows_from_grid, template_bytes
from portfolio.measurements import import_measurements, parse_number
from portfolio.ui.components import dispatcher, flash, language, show_flash, tr
from portfolio.ui.text import plain, plain_messages


def _grid_key(indicator_id: int) -> str:
    # Each save starts a new grid (the round is part of its key): the saved edits do not linger in it, and the
    # browser has nothing of the old grid to send back, so no further run takes the confirmation away.
    return f"grid_{indicator_id}_{st.session_state.get(f'grid_round_{indicator_id}', 0)}"


def _save_grid(indicator_id: int, code: str, shown: list[tuple[str, str, float, int]], frequency: str) -> None:
    """Save the grid's changes. A refusal keeps them in the grid and says why below it; a save starts the
    grid again from what is stored, with the values it saved listed below it until the next save."""
    _ = tr()
    state = st.session_state
    state.pop(f"grid_saved_{indicator_id}", None)
    edits = state.get(_grid_key(indicator_id), {})
    rows = rows_from_grid(code, shown, edits.get("edited_rows", {}), edits.get("added_rows", []),
                          language=language())
    if not rows:
        flash("warning", [_("Nothing to save: no value was changed.")], f"grid_{indicator_id}")
        return
    done = dispatcher().run(import_measurements, rows=rows, source="form")
    if not done.ok:
        flash("error", plain_messages(done.problems, language()), f"grid_{indicator_id}")
        return
    state[f"grid_round_{indicator_id}"] = state.get(f"grid_round_{indicator_id}", 0) + 1
    state[f"grid_saved_{indicator_id}"] = "\n\n".join([_("The measurements are saved."),
                                                       *_saved_values(rows, frequency)])


def _saved_values(rows: list, frequency: str) -> list[str]:
    """What a save stored, one line per period in the order entered: "2026-03: Kirurgkliniken 12 · the whole
    initiative 40", the period as the indicator writes it, each value in the reader's digits, names as text."""
    _ = tr()
    lang = language()
    by_period: dict[str, list[str]] = {}
    for row in rows:
        try:
            period = benefits_math.format_period(frequency, benefits_math.parse_period(frequency, str(row.period)))
        except ValueError:  # saved, so valid: the text is kept as typed should the two ever disagree
            period = plain(str(row.period).strip())
        where = plain(str(row.org_unit)) if row.org_unit else _("the whole initiative")
        by_period.setdefault(period, []).append(
            f"{where} {format_number(parse_number(row.value), lang, 2)}")
    return [f"**{period}:** {' · '.join(values)}" for period, values in by_period.items()]


def grid(view: InitiativeView, indicator, stored: list, units: dict[int, str]) -> None:
    """The indicator's stored values as an editable grid, and the button that saves its changes. Rows can be
    added and values corrected, not deleted: nothing stored is deleted from the grid, so it offers no deletion
    that a save would not carry out."""
    _ = tr()
    can_report = view.allowed["measurement.report"] is None
    frequency = benefits_math.Frequency(indicator.frequency)
    lang = language()
    # Values as text in the reader's digits (the grid's own number column follows the browser's locale), read
    # back as the reader writes them.
    shown = [(benefits_math.format_period(frequency, p), units.get(u, "") if u else "",
              format_number(v, lang, digits=6), version) for p, u, v, version in stored]
    # In a form, the Save click carries the grid's edits with it. "ignore" makes the grid hand an edit over at
    # once: otherwise it does so 150 ms after Enter, and a Save clicked within that time left the edit behind.
    with st.form(f"grid_form_{indicator.id}", border=False) if can_report else st.container():
        st.data_editor(
            pd.DataFrame([row[:3] for row in shown], columns=list(GRID_COLUMNS)), key=_grid_key(indicator.id),
            num_rows="add", hide_index=True, disabled=not can_report, on_change="ignore",
            column_config={
                "period": st.column_config.TextColumn(_("Period"), help=_(
                    "Write the period as {format}.", format=benefits_math.PERIOD_FORMATS[frequency])),
                "org_unit": st.column_config.SelectboxColumn(_("Org unit"), options=["", *units.values()]),
                "value": st.column_config.TextColumn(
                    _("Value"), help=_("A number; a decimal comma or point both work.")),
            },
        )
        if can_report:
            st.form_submit_button(_("Save measurements"), key=f"save_grid_{indicator.id}", on_click=_save_grid,
                                  args=(indicator.id, indicator.code, shown, indicator.frequency))
    if not can_report:
        st.caption(view.allowed["measurement.report"].render(language()))
    saved = st.session_state.get(f"grid_saved_{indicator.id}")
    if saved:
        st.success(saved)
    show_flash(f"grid_{indicator.id}")


def _import_file() -> None:
    upload = st.session_state.get("measurement_file")
    lang = language()
    _ = tr()
    if upload is None:
        flash("error", [_("Choose a file to import first.")], "import")
        return
    bar = st.progress(0.0, text=_("Checking rows…"))
    try:
        parsed = read_file(upload.getvalue(), upload.name)
    except DomainError as error:
        problems = tuple(error.messages)
    else:
        # Not run_action: the import reports its progress and its counts, which a plain success line cannot.
        done = dispatcher().run(
            import_measurements, rows=parsed.rows, file_name=upload.name,
            progress=lambda count, total: bar.progress(count / max(total, 1), text=_("Checking rows…")))
        problems, result = done.problems, done.result
    if problems:
        # The file's name and cells are typed by someone: they are shown as plain text.
        flash("error", [_("Nothing was imported from {file}.", file=plain(upload.name)),
                        *plain_messages(problems, lang)], "import")
        return
    flash("success", [_("Imported {file}: {new} new values, {corrected} corrected, {unchanged} unchanged "
                        "(read as {encoding}).", file=plain(upload.name), new=result.inserted, corrected=result.corrected,
                        unchanged=result.unchanged, encoding=parsed.label)], "import")


def import_panel(view: InitiativeView) -> None:
    """The import of a measurement file, with a template to start from."""
    _ = tr()
    st.subheader(_("Import measurements"))
    st.caption(_("A CSV or Excel file with the columns indicator (code), period, org_unit (code or name, empty "
                 "for the whole initiative) and value. Every row is checked first; a file with any error imports "
                 "nothing."))
    st.download_button(_("Download a template"), template_bytes(list(view.benefits.template_examples)),
                       file_name="measurements-template.csv", mime="text/csv", on_click="ignore")
    # In a form, the Import button waits until the chosen file has finished uploading.
    with st.form("import_form"):
        st.file_uploader(_("File"), type=["csv", "xlsx"], key="measurement_file")
        st.form_submit_button(_("Import"), on_click=_import_file)
    show_flash("import")
