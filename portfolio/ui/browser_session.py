"""The signed-in browser: a session cookie that survives a refresh, a new tab and a shared link.

The cookie is set and cleared by the two HTTP routes of ``portfolio/ui/server.py`` (a script cannot set a
cookie, and an HttpOnly one cannot be set from the browser's JavaScript); the page script sends the browser
there after signing in or out. What a session is, and why no token ever stands in a URL, is in
``portfolio/sessions.py``. Served without those routes (``streamlit run streamlit_app.py``, the page
tests), sign-in lasts as long as the browser tab, as it always did.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from portfolio.actions import perform
from portfolio.i18n import N_
from portfolio.queries import get_settings, read
from portfolio.sessions import SESSION_COOKIE, begin_session, end_session, open_session, touch_session

START_PATH = "/session/start"
END_PATH = "/session/end"
SESSION_ENDED = N_("Your session has ended; sign in again.")


class _Routes:
    """Whether this process serves the session routes (``portfolio/ui/server.py`` says so when it loads)."""

    served = False


routes = _Routes()


def _token() -> str:
    try:
        token = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # noqa: BLE001 - no browser connection (page tests): no cookie
        return ""
    return token if isinstance(token, str) else ""


def _redirect(url: str) -> None:
    # The browser follows this message to a URL of this server, as it does for Streamlit's own st.login.
    context = get_script_run_ctx()
    if context is not None:
        message = ForwardMsg()
        message.auth_redirect.url = url
        context.enqueue(message)


def restore() -> str | None:
    """Bring back the user of this browser's session cookie, or end the tab's sign-in when the session has
    ended (signed out in another tab, idle too long, deactivated); the message to show then, or None."""
    token = _token()
    if not token:
        return None
    found = read(open_session, token=token)
    if found is not None and found.due_for_touch:
        idle_hours = get_settings().session_idle_hours
        perform(lambda session: touch_session(session=session, session_id=found.id, idle_hours=idle_hours))
    user_id = found.user_id if found is not None else None
    if user_id is None:
        # Only a tab signed in through the cookie is signed out with it; a tab just signed in by its form
        # keeps its sign-in while the browser fetches the new cookie.
        if st.session_state.pop("_cookie_user", None):
            st.session_state.pop("user_id", None)
            return SESSION_ENDED
        return None
    st.session_state["user_id"] = user_id
    st.session_state["_cookie_user"] = True
    return None


def start(user_id: int, next_path: str) -> None:
    """After a sign-in: send the browser for its session cookie, and back to ``next_path`` (the page and query
    it asked for, so a shared link opens after signing in)."""
    if not routes.served:
        return
    code = perform(lambda session: begin_session(session=session, user_id=user_id))
    # Sent by the next page run (``hand_off``): a message sent by a run that a rerun cuts short can be lost.
    st.session_state["_session_handoff"] = f"{START_PATH}?{urlencode({'code': code, 'next': next_path})}"


def hand_off() -> None:
    """Send the browser for its session cookie, once, if a sign-in in this tab has asked for it; the run ends
    there. The browser leaves this page for the cookie and loads it again, so drawing it now would only keep
    the server busy while the browser waits for it."""
    url = st.session_state.pop("_session_handoff", None)
    if url is not None:
        _redirect(url)
        st.stop()


def end() -> None:
    """At sign-out: end this browser's session and have the server clear its cookie."""
    token = _token()
    if token:
        perform(lambda session: end_session(session=session, token=token))
    st.session_state.pop("_cookie_user", None)
    if routes.served:
        _redirect(END_PATH)


def requested_path(url_path: str) -> str:
    """The path and query of the page the browser asked for, as ``next`` of a sign-in."""
    query = urlencode(st.query_params.to_dict())
    return "/" + url_path + (f"?{query}" if query else "")
