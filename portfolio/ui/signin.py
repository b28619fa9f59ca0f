"""Sign-in page: identity providers (single sign-on), local accounts, and in demo mode one button per
demo user."""

from __future__ import annotations

import streamlit as st

from portfolio.queries import get_settings, read
from portfolio.dispatch import Dispatcher
from portfolio.auth import DEMO_PASSWORD, is_demo_database, sign_in
from portfolio.demo import DEMO_USERS
from portfolio.i18n import N_
from portfolio.ui import browser_session
from portfolio.ui.components import flash, language, show_flash, tr
from portfolio.ui.sso import render_provider_sign_in

DEMO_ROLE_LABELS = {
    "admin": N_("Administrator"),
    "owner": N_("Portfolio owner and decision owner"),
    "lead": N_("Implementation lead"),
    "steering": N_("Steering group"),
    "reporter": N_("Unit reporter"),
}


def _sign_in(username: str, password: str) -> None:
    # One transaction: a failed attempt is recorded and counts towards the user name's wait.
    done = Dispatcher(None).run(sign_in, username=username, password=password, demo_mode=get_settings().demo_mode)
    if not done.ok:
        flash("error", [message.render(language()) for message in done.problems])
        return
    result = done.result
    if result.user is None:
        flash("error", [result.refusal.render(language())])
        return
    st.session_state["user_id"] = result.user.id
    # The browser fetches its session cookie and comes back to the page it asked for.
    browser_session.start(result.user.id, st.session_state.get("requested_path", "/"))


def _offers_demo_accounts() -> bool:
    if not get_settings().demo_mode:
        return False
    return read(lambda session: is_demo_database(session))


def render() -> None:
    _ = tr()
    st.title(_("Initiative portfolio"))
    st.caption(_("Ideas, gate decisions and benefits of digital initiatives in health and care."))
    show_flash()
    render_provider_sign_in()
    if not get_settings().local_sign_in:
        return
    with st.form("sign_in"):
        username = st.text_input(_("User name"))
        password = st.text_input(_("Password"), type="password")
        if st.form_submit_button(_("Sign in")):
            _sign_in(username, password)
            st.rerun()
    if _offers_demo_accounts():
        st.subheader(_("Demo mode"))
        st.info(_("This is a demonstration with invented data. Every demo user has the password {password}.",
                  password=DEMO_PASSWORD))
        for username, name, _lang in DEMO_USERS:
            if st.button(f"{username} – {_(DEMO_ROLE_LABELS[username])}", key=f"demo_{username}"):
                _sign_in(username, DEMO_PASSWORD)
                st.rerun()


if __name__ == "__main__":
    render()
