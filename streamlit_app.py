"""Entry point: page config, demo banner, sign-in and navigation. Nothing else lives here."""

import streamlit as st

from portfolio.i18n import N_
from portfolio.queries import tune_interpreter
from portfolio.permissions import allowed
from portfolio.ui import browser_session, signin
from portfolio.ui.components import (
    accessibility,
    adopt_language,
    current_actor,
    database_outage_shown,
    demo_banner,
    flash,
    language_picker,
    script_run,
    streamlit_words,
    tab_title,
    tr,
)
from portfolio.ui.sso import sign_in_from_provider, sign_out
from portfolio.ui.text import plain
from portfolio.snapshots import reads_snapshots
from portfolio.worklists import landing_roles
from workflows.vocabulary import Role

tune_interpreter()
st.set_page_config(page_title="Portfolio", page_icon="🧭", layout="wide")

# Every page of the app: key, file, title (a msgid), address.
PAGES = (
    ("dashboard", "portfolio/ui/dashboard.py", N_("Portfolio dashboard"), "dashboard"),
    ("overview", "portfolio/ui/overview.py", N_("Portfolio overview"), "overview"),
    ("my_decisions", "portfolio/ui/my_decisions.py", N_("My decisions"), "my-decisions"),
    ("lead_worklist", "portfolio/ui/worklist_lead.py", N_("My initiatives"), "my-initiatives"),
    ("reporter_worklist", "portfolio/ui/worklist_reporter.py", N_("Figures to report"), "figures-to-report"),
    ("initiative", "portfolio/ui/initiative.py", N_("Initiative"), "initiative"),
    ("new_idea", "portfolio/ui/new_idea.py", N_("New idea"), "new-idea"),
    ("benefit_report", "portfolio/ui/report.py", N_("Benefit report"), "benefit-report"),
    ("sign_in_failures", "portfolio/ui/signin_failures.py", N_("Failed sign-ins"), "sign-in-failures"),
    ("snapshots", "portfolio/ui/snapshots.py", N_("Meeting snapshots"), "meeting-snapshots"),
    ("transparency", "portfolio/ui/transparency.py", N_("Transparency export"), "transparency"),
    ("levels", "portfolio/ui/indicator_views.py", N_("Follow-up by level"), "follow-up-by-level"),
)
# The page each role lands on (a user with several lands by ``landing_roles``' order); without one, the overview.
LANDING = {Role.PORTFOLIO_OWNER: "my_decisions", Role.IMPLEMENTATION_LEAD: "lead_worklist",
           Role.REPORTER: "reporter_worklist", Role.STEERING: "dashboard"}
# Worklists in the navigation of their role only.
ROLE_PAGES = {"lead_worklist": Role.IMPLEMENTATION_LEAD, "reporter_worklist": Role.REPORTER}

# A database that cannot be reached is a message and a retry, on every page.
with script_run(), database_outage_shown():
    ended = browser_session.restore()
    browser_session.hand_off()
    actor = current_actor() if "user_id" in st.session_state else None
    if actor is None:
        st.session_state.pop("user_id", None)
        actor = sign_in_from_provider()
    if actor is not None:
        adopt_language(actor)
    # The language is known only now: the user's own, once they are signed in.
    language_picker()
    streamlit_words()
    accessibility()
    _ = tr()
    if ended is not None:
        flash("warning", [_(ended)])
    demo_banner()
    if actor is None:
        # Signed out, every page's address shows the sign-in form, so a shared link (the initiative page with
        # ?id=42) survives signing in: the form sends the browser back to the address it came with.
        page = st.navigation(
            [st.Page("portfolio/ui/signin.py", title=_("Sign in"), url_path="sign-in", default=True)]
            + [st.Page(signin.render, title=_("Sign in"), url_path=path) for _key, _file, _title, path in PAGES],
            position="hidden")
        st.session_state["requested_path"] = browser_session.requested_path(page.url_path)
        tab_title(page.title)
        page.run()
    else:
        roles = landing_roles(actor)
        pages = {key: st.Page(file, title=_(title), url_path=path)
                 for key, file, title, path in PAGES
                 if (key != "sign_in_failures" or allowed("signin.failures.read", actor))
                 and (key != "snapshots" or reads_snapshots(actor))
                 and (key != "transparency" or allowed("export.public", actor))
                 and (key not in ROLE_PAGES or ROLE_PAGES[key] in roles)}
        st.session_state["pages"] = pages
        st.sidebar.write(_("Signed in as {name}", name=plain(actor.display_name)))
        if st.sidebar.button(_("Sign out")):
            sign_out()
        # The app's own address opens the user's worklist; every page keeps an address of its own.
        landing = pages[LANDING[roles[0]] if roles else "overview"]
        home = st.Page(lambda: st.switch_page(landing, query_params=st.query_params.to_dict()), title=landing.title,
                       url_path="home", default=True, visibility="hidden")
        page = st.navigation([home, *pages.values()])
        tab_title(page.title)
        page.run()
