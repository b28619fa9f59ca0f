"""New-idea form, open to every signed-in user."""

from __future__ import annotations

import streamlit as st

from portfolio.queries import read
from portfolio.initiatives import InitiativeCreate, create_initiative, new_idea_choices
from portfolio.ui.components import UNIT_SEARCH, dispatcher, language, name_search, tr
from portfolio.ui.text import plain, plain_messages


def render() -> None:
    _ = tr()
    st.title(_("New idea"))
    st.caption(_("Anyone may propose an idea. The portfolio owner decides at the idea gate."))
    choices = read(new_idea_choices, unit_search=st.session_state.get(UNIT_SEARCH, ""))
    portfolios, units = choices.portfolios.names(), choices.units.names()
    name_search(UNIT_SEARCH, _("Find an org unit"), choices.units)
    with st.form("new_idea", clear_on_submit=False):
        title = st.text_input(_("Title"), key="new_idea_title")
        portfolio_id = st.selectbox(_("Portfolio"), list(portfolios), format_func=portfolios.__getitem__)
        unit_id = st.selectbox(_("Owning unit"), [None, *units], format_func=lambda v: "–" if v is None else units[v])
        need = st.text_area(_("Need"), help=_("What problem do staff, patients or citizens have today?"))
        need_owner = st.text_input(_("Need owner"))
        effects = st.text_area(_("Expected effects"))
        description = st.text_area(_("Description"))
        submitted = st.form_submit_button(_("Propose idea"), type="primary")
    if not submitted:
        return
    data = InitiativeCreate(title=title, portfolio_id=portfolio_id, org_unit_id=unit_id, need_description=need,
                            need_owner=need_owner, expected_effects=effects, description=description)
    done = dispatcher().run(create_initiative, data=data)
    if not done.ok:
        st.error("\n\n".join(plain_messages(done.problems, language())))
        return
    initiative = done.result
    st.success(_("The idea {title} is registered as number {id}.", title=plain(initiative.title), id=initiative.id))
    st.page_link(st.session_state["pages"]["initiative"], label=_("Open idea {id}", id=initiative.id),
                 query_params={"id": str(initiative.id)})


if __name__ == "__main__":
    render()
