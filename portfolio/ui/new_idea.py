"""New-idea form, open to every signed-in user."""

from __future__ import annotations

import streamlit as st

from portfolio.queries import read
from portfolio.initiatives import InitiativeCreate, create_initiative, list_org_units, list_portfolios
from portfolio.ui.components import dispatcher, language, tr
from portfolio.ui.text import plain, plain_messages


def render() -> None:
    _ = tr()
    st.title(_("New idea"))
    st.caption(_("Anyone may propose an idea. The portfolio owner decides at the idea gate."))
    portfolios, units = read(lambda session: ({p.id: p.name for p in list_portfolios(session)},
                                              {u.id: u.name for u in list_org_units(session)}))
    with st.form("new_idea", clear_on_submit=False):
        title = st.text_input(_("Title"))
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


if __name__ == "__main__":
    render()
