"""New-idea form, open to every signed-in user."""

from __future__ import annotations

import streamlit as st

from portfolio.queries import read
from portfolio.initiatives import InitiativeCreate, create_initiative, ideas_with_title, new_idea_choices
from portfolio.ui.components import UNIT_SEARCH, dispatcher, language, name_search, tr
from portfolio.ui.text import plain, plain_messages

# The form's fields; emptied once an idea is saved, so a second click cannot save it twice.
FIELDS = ("new_idea_title", "new_idea_portfolio", "new_idea_unit", "new_idea_need", "new_idea_need_owner",
          "new_idea_effects", "new_idea_description")
TEXT_FIELDS = tuple(key for key in FIELDS if key not in ("new_idea_portfolio", "new_idea_unit"))
PENDING = "new_idea_pending"
CREATED = "new_idea_created"


def _create(data: InitiativeCreate) -> None:
    done = dispatcher().run(create_initiative, data=data)
    if not done.ok:
        # What was typed stays in the form, beside the reasons.
        st.error("\n\n".join(plain_messages(done.problems, language())))
        return
    st.session_state.pop(PENDING, None)
    st.session_state[CREATED] = (done.result.id, done.result.title)
    st.rerun()


def _confirm_duplicate(data: InitiativeCreate, same: tuple) -> None:
    _ = tr()
    st.warning(_("An initiative with this title is already in the portfolio: {ideas}. Is this a new idea?",
                 ideas=", ".join(f"#{idea.id} {plain(idea.name)}" for idea in same)))
    for idea in same:
        st.page_link(st.session_state["pages"]["initiative"], label=_("Open idea {id}", id=idea.id),
                     query_params={"id": str(idea.id)})
    left, right = st.columns(2)
    if left.button(_("Propose it anyway"), key="new_idea_anyway"):
        _create(data)
    if right.button(_("Change the idea"), key="new_idea_change"):
        st.session_state.pop(PENDING, None)
        st.rerun()


def render() -> None:
    _ = tr()
    created = st.session_state.pop(CREATED, None)
    if created is not None:
        # The texts are set empty, not only removed: a removed key let the browser send back what it still
        # showed (after a duplicate warning, the old title came back). The choices go back to their defaults.
        for key in FIELDS:
            st.session_state.pop(key, None)
        for key in TEXT_FIELDS:
            st.session_state[key] = ""
    st.title(_("New idea"))
    st.caption(_("Anyone may propose an idea. The portfolio owner decides at the idea gate."))
    if created is not None:
        st.success(_("The idea {title} is registered as number {id}.", title=plain(created[1]), id=created[0]))
        st.page_link(st.session_state["pages"]["initiative"], label=_("Open idea {id}", id=created[0]),
                     query_params={"id": str(created[0])})
    choices = read(new_idea_choices, unit_search=st.session_state.get(UNIT_SEARCH, ""))
    portfolios, units = choices.portfolios.names(), choices.units.names()
    name_search(UNIT_SEARCH, _("Find an org unit"), choices.units)
    with st.form("new_idea"):
        title = st.text_input(_("Title"), key="new_idea_title")
        portfolio_id = st.selectbox(_("Portfolio"), list(portfolios), format_func=portfolios.__getitem__,
                                    key="new_idea_portfolio", placeholder=_("Choose an option"))
        unit_id = st.selectbox(_("Owning unit"), [None, *units], format_func=lambda v: "–" if v is None else units[v],
                               key="new_idea_unit", placeholder=_("Choose an option"))
        need = st.text_area(_("Need"), help=_("What problem do staff, patients or citizens have today?"),
                            key="new_idea_need")
        need_owner = st.text_input(_("Need owner"), key="new_idea_need_owner")
        effects = st.text_area(_("Expected effects"), key="new_idea_effects")
        description = st.text_area(_("Description"), key="new_idea_description")
        submitted = st.form_submit_button(_("Propose idea"), type="primary")
    if submitted:
        data = InitiativeCreate(title=title, portfolio_id=portfolio_id, org_unit_id=unit_id, need_description=need,
                                need_owner=need_owner, expected_effects=effects, description=description)
        same = read(ideas_with_title, portfolio_id=portfolio_id, title=title)
        if not same:
            _create(data)
            return
        st.session_state[PENDING] = (data, same)
    pending = st.session_state.get(PENDING)
    if pending is not None:
        _confirm_duplicate(*pending)


if __name__ == "__main__":
    render()
