"""The Benefits tab of the initiative page: each benefit with its indicators (``indicators``), measurement
entry and import (``measurements``) and the benefit calculation (``calculation``). Its forms are drawn from
the input models (``forms``)."""

from __future__ import annotations

import streamlit as st

from portfolio.benefits import (
    BenefitInput,
    create_benefit,
    update_benefit,
)
from portfolio.i18n import N_
from portfolio.initiative_view import InitiativeView
from portfolio.ui.benefits import calculation, indicators, measurements
from portfolio.ui.benefits.forms import FormSpec, Hint, form, submitted
from portfolio.ui.benefits.lazy import lazy_expander
from portfolio.ui.components import USER_SEARCH, language, name_search, run_action, tr
from portfolio.ui.focus import focus
from portfolio.ui.text import plain
from workflows.vocabulary import BenefitCategory, BenefitKind, Recipient

# The benefit owner is chosen among the people the page's name search found.
BENEFIT_FORM = FormSpec(BenefitInput, (
    (Hint("title", N_("Title")),),
    (Hint("description", N_("Description"), "area"),),
    (Hint("category", N_("Category"), "choice", BenefitCategory.labels()),
     Hint("recipient", N_("Recipient"), "choice", Recipient.labels()),
     Hint("kind", N_("Kind"), "choice", BenefitKind.labels())),
    (Hint("owner_id", N_("Benefit owner"), "choice", key="owner"),
     Hint("planned_realisation_date", N_("Planned realisation date"), "date", key="date")),
    (Hint("money_per_unit", N_("Money value per indicator unit (SEK/NOK)"), "number", key="money", min_value=0.0),
     Hint("strategic_goal", N_("Strategic goal"), key="goal")),
))


def _add_benefit(initiative_id: int) -> None:
    run_action(create_benefit, N_("The benefit is added."), initiative_id=initiative_id,
               data=submitted(BENEFIT_FORM, "benefit"))


def _edit_benefit(benefit_id: int, seen_version: int) -> None:
    run_action(update_benefit, N_("The benefit is saved."), benefit_id=benefit_id,
               expected_version=seen_version, data=submitted(BENEFIT_FORM, f"benefit_{benefit_id}"))


def render(view: InitiativeView) -> None:
    """The tab; what it offers follows ``view.allowed`` alone."""
    _ = tr()
    lang = language()
    initiative = view.initiative
    figures = view.benefits.figures
    units, users = view.units.names(), view.users.names()
    can_edit = view.allowed["benefit.edit"] is None
    owners = {"owner_id": {None: "–", **users}}
    indicators.open_place(view, focus())
    if can_edit:
        name_search(USER_SEARCH, _("Find a benefit owner"), view.users)
    if not figures.benefits:
        st.info(_("No benefits are recorded for this initiative yet."))
    for item in figures.benefits:
        benefit = item.benefit
        with st.container(border=True):
            st.markdown(f"### {plain(benefit.title)}")
            st.caption(" · ".join(filter(None, [
                _(BenefitKind(benefit.kind).label), _(BenefitCategory(benefit.category).label),
                _(Recipient(benefit.recipient).label),
                _("Benefit owner: {name}", name=plain(item.owner) or "–"),
                _("Planned realisation {date}", date=benefit.planned_realisation_date.isoformat())
                if benefit.planned_realisation_date else "",
                _("Strategic goal: {goal}", goal=plain(benefit.strategic_goal)) if benefit.strategic_goal else "",
            ])))
            if benefit.description:
                st.markdown(plain(benefit.description))
            if item.indicators:
                indicators.figures_table([figures.summaries[i.id] for i in item.indicators])
            for indicator in item.indicators:
                indicators.panel(view, figures.summaries[indicator.id], figures.breakdowns[indicator.id],
                                 figures.grids[indicator.id], figures.baseline_locked, units)
            if can_edit:
                lazy_expander(_("Change the benefit"), f"open_benefit_{benefit.id}", lambda: form(
                    BENEFIT_FORM, f"benefit_{benefit.id}", benefit, submit=N_("Save benefit"),
                    on_click=_edit_benefit, args=(benefit.id, benefit.version), labels=owners))
                lazy_expander(_("Add an indicator"), f"open_add_indicator_{benefit.id}",
                              lambda: indicators.add_form(view, benefit.id))
    if can_edit:
        lazy_expander(_("Add a benefit"), "open_add_benefit", lambda: form(
            BENEFIT_FORM, "benefit", submit=N_("Add benefit"), on_click=_add_benefit, args=(initiative.id,),
            labels=owners))
    else:
        st.caption(view.allowed["benefit.edit"].render(lang))
    if view.allowed["measurement.report"] is None:
        measurements.import_panel(view)
    calculation.panel(view)
