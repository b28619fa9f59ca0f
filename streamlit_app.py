"""Entry point: page config, demo banner, sign-in and navigation. Nothing else lives here."""

import streamlit as st

from portfolio.queries import tune_interpreter
from portfolio.permissions import allowed
from portfolio.ui.components import (
    current_actor,
    database_outage_shown,
    demo_banner,
    language_picker,
    script_run,
    tr,
)
from portfolio.ui.sso import sign_in_from_provider, sign_out
from portfolio.ui.text import plain

tune_interpreter()
st.set_page_config(page_title="Portfolio", page_icon="🧭", layout="wide")
language_picker()
_ = tr()

# A database that cannot be reached is a message and a retry, on every page.
with script_run(), database_outage_shown():
    demo_banner()
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
        if allowed("signin.failures.read", actor):
            pages["sign_in_failures"] = st.Page("portfolio/ui/signin_failures.py", title=_("Failed sign-ins"),
                                                url_path="sign-in-failures")
        st.session_state["pages"] = pages
        st.sidebar.write(_("Signed in as {name}", name=plain(actor.display_name)))
        if st.sidebar.button(_("Sign out")):
            sign_out()
        st.navigation(list(pages.values())).run()
