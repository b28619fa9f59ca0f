"""Entry point: page config, sign-in and navigation. Nothing else lives here."""

import streamlit as st

from portfolio.ui.components import current_actor, language_picker, tr
from portfolio.ui.sso import sign_in_from_provider, sign_out

st.set_page_config(page_title="Portfolio", page_icon="🧭", layout="wide")
language_picker()
_ = tr()

actor = current_actor() if "user_id" in st.session_state else None
if actor is None:
    st.session_state.pop("user_id", None)
    actor = sign_in_from_provider()
if actor is None:
    st.navigation([st.Page("portfolio/ui/signin.py", title=_("Sign in"), url_path="sign-in")]).run()
else:
    pages = {
        "overview": st.Page("portfolio/ui/overview.py", title=_("Portfolio overview"), url_path="overview", default=True),
        "my_decisions": st.Page("portfolio/ui/my_decisions.py", title=_("My decisions"), url_path="my-decisions"),
        "initiative": st.Page("portfolio/ui/initiative.py", title=_("Initiative"), url_path="initiative"),
        "new_idea": st.Page("portfolio/ui/new_idea.py", title=_("New idea"), url_path="new-idea"),
    }
    st.session_state["pages"] = pages
    st.sidebar.write(_("Signed in as {name}", name=actor.display_name))
    if st.sidebar.button(_("Sign out")):
        sign_out()
    st.navigation(list(pages.values())).run()
