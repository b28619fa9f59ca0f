"""Measurement entry and import: an indicator's grid of values, and the import of a CSV or Excel file."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portfolio import benefits_math
from portfolio.errors import DomainError
from portfolio.i18n import N_
from portfolio.initiative_view import InitiativeView
from portfolio.measurement_files import GRID_COLUMNS, read_file, rows_from_grid, template_bytes
from portfolio.measurements import import_measurements
from portfolio.ui.components import dispatcher, flash, language, run_action, show_flash, tr
from portfolio.ui.text import plain, plain_messages


def _save_grid(code: str, key: str, shown: list[tuple[str, str, float, int]]) -> None:
    state = st.session_state.get(key, {})
    rows = rows_from_grid(code, shown, state.get("edited_rows", {}), state.get("added_rows", []))
    if rows:
        run_action(import_measurements, N_("The measurements are saved."), where=key,
                   rows=rows, source="form")


def grid(view: InitiativeView, indicator, stored: list, units: dict[int, str]) -> None:
    """The indicator's stored values as an editable grid, and the button that saves its changes."""
    _ = tr()
    can_report = view.allowed["measurement.report"] is None
    frequency = benefits_math.Frequency(indicator.frequency)
    shown = [(benefits_math.format_period(frequency, p), units.get(u, "") if u else "", v, version)
             for p, u, v, version in stored]
    key = f"grid_{indicator.id}"
    st.data_editor(
        pd.DataFrame([row[:3] for row in shown], columns=list(GRID_COLUMNS)), key=key, num_rows="dynamic",
        hide_index=True, disabled=not can_report,
        column_config={
            "period": st.column_config.TextColumn(
                _("Period"), help=_("Write the period as {format}.", format=benefits_math.PERIOD_FORMATS[frequency])),
            "org_unit": st.column_config.SelectboxColumn(_("Org unit"), options=["", *units.values()]),
            "value": st.column_config.NumberColumn(_("Value")),
        },
    )
    if can_report:
        st.button(_("Save measurements"), key=f"save_{key}", on_click=_save_grid, args=(indicator.code, key, shown))
    else:
        st.caption(view.allowed["measurement.report"].render(language()))
    show_flash(key)


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
    st.download_button(_("Download a template"), template_bytes(list(view.benefits.template_examples)), file_name="measurements-template.csv",
                       mime="text/csv")
    # In a form, the Import button waits until the chosen file has finished uploading.
    with st.form("import_form"):
        st.file_uploader(_("File"), type=["csv", "xlsx"], key="measurement_file")
        st.form_submit_button(_("Import"), on_click=_import_file)
    show_flash("import")
