"""The Benefits tab of the initiative page: benefits, indicators, measurements, imports and the calculation."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from portfolio import benefits_math
from portfolio.actions import perform
from portfolio.benefits import (
    AGGREGATION_LABELS,
    CATEGORY_LABELS,
    DIRECTION_LABELS,
    FREQUENCY_LABELS,
    KIND_LABELS,
    RECIPIENT_LABELS,
    BenefitInput,
    IndicatorInput,
    baseline_locked,
    benefits_of,
    update_benefit,
    update_indicator,
    create_benefit,
    create_indicator,
    explain_deviation,
    get_calculation,
    revise_baseline,
    save_calculation,
)
from portfolio.errors import DomainError
from portfolio.i18n import N_, format_number
from portfolio.initiatives import InitiativeView
from portfolio.measurement_files import RawRow, read_file, template_bytes, template_examples
from portfolio.indicator_figures import indicator_summaries, measurements_for_grid, unit_breakdowns
from portfolio.measurements import import_measurements
from portfolio.ui.charts import calculation_chart, indicator_chart
from portfolio.ui.components import current_actor, flash, language, run_action, show_flash, tr
from portfolio.queries import read
from portfolio.ui.text import plain, plain_messages

if TYPE_CHECKING:
    from db.models import Benefit, Indicator

STATUS_BADGES = {"green": "🟢", "amber": "🟡", "red": "🔴", "unknown": "⚪"}
STATUS_LABELS = {"green": N_("On track"), "amber": N_("Slightly behind"), "red": N_("Behind plan"),
                 "unknown": N_("Not measured yet")}


# ------------------------------------------------------------------ callbacks


def _import_file(initiative_id: int) -> None:
    upload = st.session_state.get("measurement_file")
    lang = language()
    _ = tr()
    if upload is None:
        flash("error", [_("Choose a file to import first.")], "import")
        return
    bar = st.progress(0.0, text=_("Checking rows…"))
    try:
        parsed = read_file(upload.getvalue(), upload.name)
        result = perform(lambda session: import_measurements(
            session=session, actor=current_actor(), rows=parsed.rows, file_name=upload.name,
            progress=lambda done, total: bar.progress(done / max(total, 1), text=_("Checking rows…")),
        ))
    except DomainError as error:
        # The file's name and cells are typed by someone: they are shown as plain text.
        flash("error", [_("Nothing was imported from {file}.", file=plain(upload.name)),
                        *plain_messages(error.messages, lang)], "import")
        return
    flash("success", [_("Imported {file}: {new} new values, {corrected} corrected, {unchanged} unchanged "
                        "(read as {encoding}).", file=plain(upload.name), new=result.inserted, corrected=result.corrected,
                        unchanged=result.unchanged, encoding=parsed.label)], "import")


def _save_grid(indicator_id: int, code: str, key: str, rows: list[tuple[str, str, float, int]]) -> None:
    state = st.session_state.get(key, {})
    raw: list[RawRow] = []
    for index, change in state.get("edited_rows", {}).items():
        period, unit, value, version = rows[int(index)]
        moved = change.get("period", period) != period or change.get("org_unit", unit) != unit
        # A corrected value carries the version the user saw; a row moved to another period is new.
        raw.append(RawRow(int(index) + 1, code, change.get("period", period), change.get("org_unit", unit),
                          change.get("value", value), seen_version=None if moved else version))
    for offset, added in enumerate(state.get("added_rows", [])):
        # A new row was an empty cell on the user's screen (version 0): a value stored meanwhile is a conflict.
        raw.append(RawRow(len(rows) + offset + 1, code, added.get("period"), added.get("org_unit"),
                          added.get("value"), seen_version=0))
    if raw:
        run_action(import_measurements, N_("The measurements are saved."), where=key, actor=current_actor(),
                   rows=raw, source="form")


def _benefit_input(prefix: str) -> BenefitInput:
    s = st.session_state
    return BenefitInput(
        title=s[f"{prefix}_title"], category=s[f"{prefix}_category"], recipient=s[f"{prefix}_recipient"],
        kind=s[f"{prefix}_kind"], description=s[f"{prefix}_description"], owner_id=s[f"{prefix}_owner"],
        planned_realisation_date=s[f"{prefix}_date"], money_per_unit=s[f"{prefix}_money"],
        strategic_goal=s[f"{prefix}_goal"],
    )


def _add_benefit(initiative_id: int) -> None:
    run_action(create_benefit, N_("The benefit is added."), actor=current_actor(), initiative_id=initiative_id,
               data=_benefit_input("benefit"))


def _edit_benefit(benefit_id: int, seen_version: int) -> None:
    run_action(update_benefit, N_("The benefit is saved."), actor=current_actor(), benefit_id=benefit_id,
               expected_version=seen_version, data=_benefit_input(f"benefit_{benefit_id}"))


def _indicator_input(prefix: str) -> IndicatorInput:
    s = st.session_state
    return IndicatorInput(
        code=s[prefix + "code"], name=s[prefix + "name"], unit=s[prefix + "unit"],
        direction=s[prefix + "direction"], frequency=s[prefix + "frequency"],
        aggregation=s[prefix + "aggregation"], definition=s[prefix + "definition"],
        method=s[prefix + "method"], data_source=s[prefix + "source"],
        baseline_value=s[prefix + "baseline"], baseline_date=s[prefix + "baseline_date"],
        baseline_period=s[prefix + "baseline_period"], baseline_source=s[prefix + "baseline_source"],
        target_value=s[prefix + "target"], target_date=s[prefix + "target_date"],
        amber_tolerance=round(s[prefix + "amber"] / 100, 6), red_tolerance=round(s[prefix + "red"] / 100, 6),
        valid_min=s[prefix + "min"], valid_max=s[prefix + "max"],
    )


def _add_indicator(benefit_id: int) -> None:
    run_action(create_indicator, N_("The indicator is added."), actor=current_actor(), benefit_id=benefit_id,
               data=_indicator_input(f"ind_{benefit_id}_"))


def _edit_indicator(indicator_id: int, seen_version: int) -> None:
    run_action(update_indicator, N_("The indicator is saved."), actor=current_actor(), indicator_id=indicator_id,
               expected_version=seen_version, data=_indicator_input(f"indicator_{indicator_id}_"))


def _revise(indicator_id: int, seen_version: int) -> None:
    s = st.session_state
    run_action(revise_baseline, N_("The baseline is changed."), actor=current_actor(), indicator_id=indicator_id,
               expected_version=seen_version, baseline_value=s[f"revise_{indicator_id}_value"],
               baseline_date=s[f"revise_{indicator_id}_date"], reason=s[f"revise_{indicator_id}_reason"])


def _explain(indicator_id: int, seen_version: int) -> None:
    run_action(explain_deviation, N_("The explanation is saved."), actor=current_actor(),
               indicator_id=indicator_id, expected_version=seen_version,
               explanation=st.session_state[f"explain_{indicator_id}"])


def _save_calculation(initiative_id: int, seen_version: int | None) -> None:
    s = st.session_state
    table = s.get("calculation_table")
    years = [
        benefits_math.CashflowYear(int(r["year"]), float(r["investment"] or 0), float(r["operation"] or 0),
                                   float(r["benefit"] or 0),
                                   None if pd.isna(r["benefit_low"]) else float(r["benefit_low"]),
                                   None if pd.isna(r["benefit_high"]) else float(r["benefit_high"]))
        for r in table.to_dict("records") if not pd.isna(r["year"])
    ]
    run_action(save_calculation, N_("The benefit calculation is saved."), actor=current_actor(),
               initiative_id=initiative_id, expected_version=seen_version,
               discount_rate=s["calculation_rate"] / 100, years=years)


# ------------------------------------------------------------------ sections


def _indicator(view: InitiativeView, summary, breakdown: list, stored: list, locked: bool,
               units: dict[int, str]) -> None:
    _ = tr()
    lang = language()
    indicator = summary.indicator
    can_report = view.allowed["measurement.report"] is None
    st.markdown(f"#### {plain(indicator.name)} · {plain(indicator.code)}")
    columns = st.columns(5)
    baseline_text = format_number(indicator.baseline_value, lang)
    if indicator.original_baseline_value is not None:
        baseline_text += " " + _("(original {value})", value=format_number(indicator.original_baseline_value, lang))
    columns[0].metric(_("Baseline"), baseline_text)
    columns[1].metric(_("Target"), format_number(indicator.target_value, lang))
    columns[2].metric(_("Latest"), format_number(summary.latest_value, lang))
    columns[3].metric(_("Progress to target"),
                      "–" if summary.progress is None else f"{format_number(summary.progress * 100, lang, 0)} %")
    columns[4].metric(_("Status"), f"{STATUS_BADGES[summary.status.value]} {_(STATUS_LABELS[summary.status.value])}")
    st.caption(" · ".join(filter(None, [
        _(DIRECTION_LABELS[indicator.direction]), _(FREQUENCY_LABELS[indicator.frequency]),
        _(AGGREGATION_LABELS[indicator.aggregation]), plain(indicator.unit),
        _("Baseline {period} ({source})", period=plain(indicator.baseline_period) or "–",
          source=plain(indicator.baseline_source) or "–"),
        _("Target date {date}", date=indicator.target_date.isoformat()) if indicator.target_date else "",
        ("⚠️ " + _("Measurement overdue")) if summary.overdue else "",
        ("🔒 " + _("Baseline locked")) if locked else "",
    ])))
    if indicator.deviation_explanation:
        st.caption(_("Deviation explained: {text}", text=plain(indicator.deviation_explanation)))
    if summary.series:
        st.altair_chart(indicator_chart(indicator, summary.series, _), width="stretch")
        last_period, last_value = summary.series[-1]
        st.caption(_("Latest combined value: {value} for the period starting {period}.",
                     value=format_number(last_value, lang, 2), period=last_period.isoformat()))
    else:
        st.info(_("No measurements yet."))

    with st.expander(_("Breakdown by org unit")):
        if breakdown:
            st.dataframe(pd.DataFrame({
                _("Org unit"): ["\u2003" * f.depth + f.name for f in breakdown],
                _("Value"): [round(f.value, 2) for f in breakdown],
                _("Values"): [f.reporting_units for f in breakdown],
            }), hide_index=True)
        else:
            st.caption(_("No values per org unit yet."))

    with st.expander(_("Enter measurements")):
        frequency = benefits_math.Frequency(indicator.frequency)
        rows = [(benefits_math.format_period(frequency, p), units.get(u, "") if u else "", v, version)
                for p, u, v, version in stored]
        key = f"grid_{indicator.id}"
        st.data_editor(
            pd.DataFrame([row[:3] for row in rows], columns=["period", "org_unit", "value"]), key=key, num_rows="dynamic",
            hide_index=True, disabled=not can_report,
            column_config={
                "period": st.column_config.TextColumn(
                    _("Period"), help=_("Write the period as {format}.",
                                        format=benefits_math.PERIOD_FORMATS[frequency])),
                "org_unit": st.column_config.SelectboxColumn(_("Org unit"), options=["", *units.values()]),
                "value": st.column_config.NumberColumn(_("Value")),
            },
        )
        if can_report:
            st.button(_("Save measurements"), key=f"save_{key}", on_click=_save_grid,
                      args=(indicator.id, indicator.code, key, rows))
        else:
            st.caption(view.allowed["measurement.report"].render(lang))
        show_flash(key)

    # Once the baseline is locked, changing it is its own action (revise_baseline checks the same).
    if view.allowed["baseline.revise_locked" if locked else "benefit.edit"] is None:
        with st.expander(_("Change the baseline")):
            if locked:
                st.caption(_("The baseline is locked because the pilot gate is passed: give a reason."))
            st.number_input(_("New baseline"), value=indicator.baseline_value, key=f"revise_{indicator.id}_value")
            st.date_input(_("Baseline date"), value=indicator.baseline_date, key=f"revise_{indicator.id}_date")
            st.text_area(_("Reason"), key=f"revise_{indicator.id}_reason")
            st.button(_("Change the baseline"), key=f"revise_{indicator.id}", on_click=_revise,
                      args=(indicator.id, indicator.version))
    if view.allowed["benefit.edit"] is None:
        with st.expander(_("Change the indicator")):
            _indicator_form(f"indicator_{indicator.id}_", indicator=indicator)
    if view.allowed["deviation.explain"] is None:
        with st.expander(_("Explain a deviation from the target")):
            st.text_area(_("Explanation"), indicator.deviation_explanation, key=f"explain_{indicator.id}")
            st.button(_("Save explanation"), key=f"explain_button_{indicator.id}", on_click=_explain,
                      args=(indicator.id, indicator.version))


def _indicator_form(prefix: str, *, benefit_id: int | None = None, indicator: Indicator | None = None) -> None:
    """The indicator form: empty to add one to the benefit, filled in to change ``indicator``
    (whose baseline is shown but changed only through its own form)."""
    _ = tr()
    i = indicator

    def pick(labels: dict[str, str], field: str, default: int = 0) -> int:
        return list(labels).index(getattr(i, field)) if i else default

    with st.form(f"{prefix}form"):
        a, b = st.columns(2)
        a.text_input(_("Code"), i.code if i else "", key=prefix + "code",
                     help=_("A short unique code that import files use."))
        b.text_input(_("Name"), i.name if i else "", key=prefix + "name")
        st.text_area(_("Definition"), i.definition if i else "", key=prefix + "definition")
        st.text_area(_("Method"), i.method if i else "", key=prefix + "method")
        a, b, c = st.columns(3)
        a.text_input(_("Data source"), i.data_source if i else "", key=prefix + "source")
        b.text_input(_("Unit"), i.unit if i else "", key=prefix + "unit")
        c.selectbox(_("Direction"), list(DIRECTION_LABELS), index=pick(DIRECTION_LABELS, "direction"),
                    format_func=lambda v: _(DIRECTION_LABELS[v]), key=prefix + "direction")
        a, b = st.columns(2)
        a.selectbox(_("Frequency"), list(FREQUENCY_LABELS), index=pick(FREQUENCY_LABELS, "frequency", 2),
                    format_func=lambda v: _(FREQUENCY_LABELS[v]), key=prefix + "frequency")
        b.selectbox(_("Across org units"), list(AGGREGATION_LABELS), index=pick(AGGREGATION_LABELS, "aggregation"),
                    format_func=lambda v: _(AGGREGATION_LABELS[v]), key=prefix + "aggregation")
        a, b, c, d = st.columns(4)
        a.number_input(_("Baseline"), value=i.baseline_value if i else None, key=prefix + "baseline",
                       disabled=i is not None)
        b.date_input(_("Baseline date"), value=i.baseline_date if i else None, key=prefix + "baseline_date",
                     disabled=i is not None)
        c.text_input(_("Baseline period"), i.baseline_period if i else "", key=prefix + "baseline_period")
        d.text_input(_("Baseline source"), i.baseline_source if i else "", key=prefix + "baseline_source")
        a, b = st.columns(2)
        a.number_input(_("Target"), value=i.target_value if i else None, key=prefix + "target")
        b.date_input(_("Target date"), value=i.target_date if i else None, key=prefix + "target_date")
        a, b, c, d = st.columns(4)
        a.number_input(_("Amber tolerance (%)"), value=i.amber_tolerance * 100 if i else 10.0, min_value=0.0,
                       key=prefix + "amber")
        b.number_input(_("Red tolerance (%)"), value=i.red_tolerance * 100 if i else 25.0, min_value=0.0,
                       key=prefix + "red")
        c.number_input(_("Lowest valid value"), value=i.valid_min if i else None, key=prefix + "min")
        d.number_input(_("Highest valid value"), value=i.valid_max if i else None, key=prefix + "max")
        if i is None:
            st.form_submit_button(_("Add indicator"), on_click=_add_indicator, args=(benefit_id,))
        else:
            st.form_submit_button(_("Save indicator"), on_click=_edit_indicator, args=(i.id, i.version))


def _benefit_form(prefix: str, users: dict[int, str], *, initiative_id: int | None = None,
                  benefit: Benefit | None = None) -> None:
    """The benefit form: empty to add one to the initiative, filled in to change ``benefit``."""
    _ = tr()
    with st.form(f"{prefix}_form"):
        st.text_input(_("Title"), benefit.title if benefit else "", key=f"{prefix}_title")
        st.text_area(_("Description"), benefit.description if benefit else "", key=f"{prefix}_description")
        a, b, c = st.columns(3)
        choice = _choice_index
        a.selectbox(_("Category"), list(CATEGORY_LABELS), index=choice(CATEGORY_LABELS, benefit, "category"),
                    format_func=lambda v: _(CATEGORY_LABELS[v]), key=f"{prefix}_category")
        b.selectbox(_("Recipient"), list(RECIPIENT_LABELS), index=choice(RECIPIENT_LABELS, benefit, "recipient"),
                    format_func=lambda v: _(RECIPIENT_LABELS[v]), key=f"{prefix}_recipient")
        c.selectbox(_("Kind"), list(KIND_LABELS), index=choice(KIND_LABELS, benefit, "kind"),
                    format_func=lambda v: _(KIND_LABELS[v]), key=f"{prefix}_kind")
        a, b = st.columns(2)
        owners = [None, *users]
        a.selectbox(_("Benefit owner"), owners,
                    index=owners.index(benefit.owner_id) if benefit and benefit.owner_id in owners else 0,
                    format_func=lambda v: "–" if v is None else users[v], key=f"{prefix}_owner")
        b.date_input(_("Planned realisation date"), value=benefit.planned_realisation_date if benefit else None,
                     key=f"{prefix}_date")
        a, b = st.columns(2)
        a.number_input(_("Money value per indicator unit (SEK/NOK)"),
                       value=benefit.money_per_unit if benefit else None, min_value=0.0, key=f"{prefix}_money")
        b.text_input(_("Strategic goal"), benefit.strategic_goal if benefit else "", key=f"{prefix}_goal")
        if benefit is None:
            st.form_submit_button(_("Add benefit"), on_click=_add_benefit, args=(initiative_id,))
        else:
            st.form_submit_button(_("Save benefit"), on_click=_edit_benefit, args=(benefit.id, benefit.version))


def _choice_index(labels: dict[str, str], benefit: Benefit | None, field: str) -> int:
    return list(labels).index(getattr(benefit, field)) if benefit else 0


def _import_section(initiative_id: int) -> None:
    _ = tr()
    st.subheader(_("Import measurements"))
    st.caption(_("A CSV or Excel file with the columns indicator (code), period, org_unit (code or name, empty "
                 "for the whole initiative) and value. Every row is checked first; a file with any error imports "
                 "nothing."))
    examples = read(lambda session: template_examples(session, initiative_id))
    st.download_button(_("Download a template"), template_bytes(examples), file_name="measurements-template.csv",
                       mime="text/csv")
    # In a form, the Import button waits until the chosen file has finished uploading.
    with st.form("import_form"):
        st.file_uploader(_("File"), type=["csv", "xlsx"], key="measurement_file")
        st.form_submit_button(_("Import"), on_click=_import_file, args=(initiative_id,))
    show_flash("import")


def _calculation_section(view: InitiativeView) -> None:
    _ = tr()
    lang = language()
    initiative_id = view.initiative.id
    can_edit = view.allowed["calculation.edit"] is None
    st.subheader(_("Benefit calculation"))
    calculation = read(get_calculation, initiative_id=initiative_id)
    years = calculation.years if calculation else []
    table = pd.DataFrame({
        "year": [y.year for y in years] or [date.today().year],
        "investment": [y.investment for y in years] or [0.0],
        "operation": [y.operation for y in years] or [0.0],
        "benefit_low": [y.benefit_low for y in years] or [None],
        "benefit": [y.benefit for y in years] or [0.0],
        "benefit_high": [y.benefit_high for y in years] or [None],
    })
    edited = st.data_editor(table, num_rows="dynamic", hide_index=True, disabled=not can_edit, column_config={
        "year": st.column_config.NumberColumn(_("Year"), format="%d", step=1),
        "investment": st.column_config.NumberColumn(_("Investment")),
        "operation": st.column_config.NumberColumn(_("Operation")),
        "benefit_low": st.column_config.NumberColumn(_("Benefit, low")),
        "benefit": st.column_config.NumberColumn(_("Benefit, expected")),
        "benefit_high": st.column_config.NumberColumn(_("Benefit, high")),
    }, key="calculation_editor")
    st.session_state["calculation_table"] = edited
    st.number_input(_("Discount rate (%)"), value=(calculation.discount_rate if calculation else 0.03) * 100,
                    min_value=0.0, max_value=99.0, step=0.5, key="calculation_rate", disabled=not can_edit)
    st.button(_("Save calculation"), key="save_calculation", disabled=not can_edit, on_click=_save_calculation,
              args=(initiative_id, calculation.version if calculation else None))
    if not can_edit:
        st.caption(view.allowed["calculation.edit"].render(lang))
    if calculation is None or not calculation.years:
        st.info(_("There is no benefit calculation yet."))
        return
    result = calculation.result
    a, b, c = st.columns(3)
    a.metric(_("Net present value"), format_number(result.npv, lang, 0))
    b.metric(_("Range (low – high)"),
             f"{format_number(result.npv_low, lang, 0)} – {format_number(result.npv_high, lang, 0)}")
    c.metric(_("Payback year"), str(result.payback_year) if result.payback_year else _("Not within the period"))
    st.dataframe(pd.DataFrame({
        _("Year"): [str(r.year) for r in result.rows],
        _("Investment"): [r.investment for r in result.rows],
        _("Operation"): [r.operation for r in result.rows],
        _("Benefit, expected"): [r.benefit for r in result.rows],
        _("Net"): [r.net for r in result.rows],
        _("Discounted net"): [round(r.discounted_net) for r in result.rows],
        _("Cumulative"): [round(r.cumulative_discounted_net) for r in result.rows],
    }), hide_index=True)
    st.altair_chart(calculation_chart(result, _), width="stretch")


def _benefit_figures(*, session, initiative_id: int):
    """Everything the tab shows, in one read: benefits, indicator summaries, breakdowns, grid values, lock."""
    items = benefits_of(session, initiative_id)
    summaries = {s.indicator.id: s for s in indicator_summaries(session=session, initiative_id=initiative_id)}
    breakdowns = unit_breakdowns(session=session, indicator_ids=list(summaries))
    grids = measurements_for_grid(session=session, indicator_ids=list(summaries))
    return items, summaries, breakdowns, grids, baseline_locked(session, initiative_id)


def render(view: InitiativeView, units: dict[int, str], users: dict[int, str]) -> None:
    """The tab; what it offers follows ``view.allowed`` alone."""
    _ = tr()
    lang = language()
    initiative = view.initiative
    items, summaries, breakdowns, grids, locked = read(_benefit_figures, initiative_id=initiative.id)
    can_edit = view.allowed["benefit.edit"] is None
    if not items:
        st.info(_("No benefits are recorded for this initiative yet."))
    for item in items:
        benefit = item.benefit
        with st.container(border=True):
            st.markdown(f"### {plain(benefit.title)}")
            st.caption(" · ".join(filter(None, [
                _(KIND_LABELS[benefit.kind]), _(CATEGORY_LABELS[benefit.category]),
                _(RECIPIENT_LABELS[benefit.recipient]),
                _("Benefit owner: {name}", name=plain(item.owner) or "–"),
                _("Planned realisation {date}", date=benefit.planned_realisation_date.isoformat())
                if benefit.planned_realisation_date else "",
                _("Strategic goal: {goal}", goal=plain(benefit.strategic_goal)) if benefit.strategic_goal else "",
            ])))
            if benefit.description:
                st.markdown(plain(benefit.description))
            for indicator in item.indicators:
                _indicator(view, summaries[indicator.id], breakdowns[indicator.id], grids[indicator.id], locked,
                           units)
            if can_edit:
                with st.expander(_("Change the benefit")):
                    _benefit_form(f"benefit_{benefit.id}", users, benefit=benefit)
                with st.expander(_("Add an indicator")):
                    _indicator_form(f"ind_{benefit.id}_", benefit_id=benefit.id)
    if can_edit:
        with st.expander(_("Add a benefit")):
            _benefit_form("benefit", users, initiative_id=initiative.id)
    else:
        st.caption(view.allowed["benefit.edit"].render(lang))
    if view.allowed["measurement.report"] is None:
        _import_section(initiative.id)
    _calculation_section(view)
