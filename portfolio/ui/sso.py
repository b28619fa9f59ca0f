"""Single sign-on through Streamlit's ``st.login``: provider buttons, the sign-in after the provider
sends the browser back, and signing out of the provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import streamlit as st

from portfolio.dispatch import Dispatcher
from portfolio.queries import get_settings
from portfolio.permissions import Actor
from portfolio.sso import sso_providers, user_for_identity
from portfolio.ui import browser_session
from portfolio.ui.components import current_actor, language, tr

_REFUSAL = "sso_refusal"


def _auth_section() -> Mapping[str, Any]:
    # No secrets file at all is the ordinary case of local accounts only.
    if not st.secrets.load_if_toml_exists():
        return {}
    return st.secrets.get("auth") or {}


def providers() -> list[Optional[str]]:
    """The identity providers configured in ``.streamlit/secrets.toml`` (None: the unnamed one)."""
    return sso_providers(_auth_section())


def signed_in_at_provider() -> bool:
    return bool(providers()) and bool(st.user.get("is_logged_in"))


def sign_in_from_provider() -> Optional[Actor]:
    """Sign in the account linked to the identity the provider vouched for, if there is one.

    The entry script calls this when nobody is signed in in this tab. A refused identity (unknown,
    deactivated...) is kept for the sign-in page to show; nothing is created."""
    if not signed_in_at_provider():
        st.session_state.pop(_REFUSAL, None)
        return None
    done = Dispatcher(None).run(user_for_identity, claims=st.user.to_dict(), claim_name=get_settings().sso_claim)
    if not done.ok:
        st.session_state[_REFUSAL] = list(done.problems)
        return None
    user_id = done.result.id
    st.session_state.pop(_REFUSAL, None)
    st.session_state["user_id"] = user_id
    return current_actor()


def sign_out() -> None:
    """Sign out of the app (this browser's session too), and of the identity provider when the user came
    through it."""
    browser_session.end()
    st.session_state.pop("user_id", None)
    # The next sign-in in this tab takes that user's language from their profile.
    st.session_state.pop("language_of", None)
    if signed_in_at_provider():
        st.logout()
        st.stop()
    st.rerun()


def render_provider_sign_in() -> None:
    """One button per identity provider; after a refusal, the reason and a way out of the provider."""
    _ = tr()
    names = providers()
    refusal = st.session_state.get(_REFUSAL)
    if refusal and signed_in_at_provider():
        st.error("\n\n".join(message.render(language()) for message in refusal))
        if st.button(_("Sign out of the identity provider"), key="sso_sign_out"):
            st.logout()
        return
    for name in names:
        label = _("Sign in with {provider}", provider=name) if name else _("Sign in with single sign-on")
        if st.button(label, key=f"sso_{name or 'default'}", type="primary"):
            st.login(name)
    if not names and not get_settings().local_sign_in:
        st.warning(_("Nobody can sign in: local sign-in is switched off and no identity provider is set up."))
