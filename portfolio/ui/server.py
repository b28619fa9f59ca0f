"""The app server: Streamlit serving ``streamlit_app.py``, plus the two HTTP routes that set and clear the
session cookie (``portfolio/ui/browser_session.py``). ``make run`` starts it with
``streamlit run portfolio/ui/server.py``.

The cookie is HttpOnly (no script in the page can read it), SameSite=Strict (no other site's page can send
it), Secure when the request came over HTTPS (directly, or through a proxy that says so in
``X-Forwarded-Proto``), and a browser-session cookie: closing the browser on a shared workstation ends it,
and the server ends it after the idle time in any case.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route
from streamlit.starlette import App

from portfolio.actions import perform
from portfolio.queries import get_settings
from portfolio.sessions import SESSION_COOKIE, end_session, establish_session
from portfolio.ui.browser_session import END_PATH, START_PATH, routes


def _local_path(target: str | None) -> str:
    # Only a path on this server: never another site (an open redirect), never a scheme-relative "//host".
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


async def start_session(request: Request) -> RedirectResponse:
    """Spend the one-time code of a fresh sign-in, set the session cookie and go on to the page asked for."""
    code = request.query_params.get("code", "")
    idle_hours = get_settings().session_idle_hours
    token = await run_in_threadpool(
        perform, lambda session: establish_session(session=session, code=code, idle_hours=idle_hours))
    response = RedirectResponse(_local_path(request.query_params.get("next")), status_code=303)
    if token is not None:
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                            path="/")
    return response


async def end_session_route(request: Request) -> RedirectResponse:
    """End the browser's session (if the page has not already) and clear its cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        await run_in_threadpool(perform, lambda session: end_session(session=session, token=token))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


routes.served = True
app = App("../../streamlit_app.py", routes=[Route(START_PATH, start_session), Route(END_PATH, end_session_route)])
