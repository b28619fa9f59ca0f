"""Single sign-on (OpenID Connect): an identity provider's claim names an account an administrator made.

The identity provider proves who someone is; this module decides which account that is. Nothing here
creates an account from a sign-in: an identity nobody linked is refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Optional

from sqlmodel import Session, select

from db.models import User
from portfolio.audit import record, record_changes
from portfolio.auth import create_user
from portfolio.errors import DomainError, FieldProblem, ValidationError, too_long
from portfolio.i18n import N_, Message

NOT_SET_UP = N_("Your account has not been set up; ask an administrator.")
# The keys of a provider section in Streamlit's ``[auth]`` secrets (the ones ``st.login`` requires).
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def sso_providers(auth_section: Mapping[str, Any]) -> list[Optional[str]]:
    """The identity providers configured in the ``[auth]`` section of ``.streamlit/secrets.toml``.

    ``None`` stands for the unnamed provider whose settings sit in ``[auth]`` itself; a name for each
    ``[auth.NAME]`` section. The order is the file's."""
    providers: list[Optional[str]] = []
    if "client_id" in auth_section:
        providers.append(None)
    providers += [name for name, value in auth_section.items()
                  if isinstance(value, Mapping) and any(key in value for key in _PROVIDER_KEYS)]
    return providers


def _identity_value(claims: Mapping[str, Any], claim_name: str) -> Optional[str]:
    value = claims.get(claim_name)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    value = str(value).strip()
    return value or None


def user_for_identity(*, session: Session, claims: Mapping[str, Any], claim_name: str) -> User:
    """The active account linked to the identity in ``claims[claim_name]``, and an audited sign-in.

    ``claims`` are the ID-token claims the provider sent (``st.user``). An identity no administrator
    linked is refused and nothing is written: no account is ever created by a sign-in. An e-mail
    address the provider says it has not verified is refused, so that nobody can claim another
    person's address at a provider that lets users type their own."""
    value = _identity_value(claims, claim_name)
    if value is None:
        raise DomainError(Message(N_("The identity provider did not send the claim {claim}; ask an administrator."),
                                  {"claim": claim_name}))
    if claim_name == "email" and claims.get("email_verified") is False:
        raise DomainError(Message(N_("The identity provider has not verified the e-mail address {email}."),
                                  {"email": value}))
    user = None
    if not _identity_problems_in_text(value):
        user = session.exec(select(User).where(User.sso_identity == value)).first()
    if user is None or user.is_demo:
        raise DomainError(Message(NOT_SET_UP))
    if not user.is_active:
        raise DomainError(Message(N_("Your account has been deactivated; ask an administrator.")))
    record(session=session, user_id=user.id, action="user.sign_in_sso", entity="user", entity_id=user.id,
           after={"claim": claim_name, "identity": value, "issuer": claims.get("iss")})
    return user


def _identity_problems_in_text(identity: str) -> list[FieldProblem]:
    problems = too_long(User, {"sso_identity": identity})
    if any(ch.isspace() or not ch.isprintable() for ch in identity):
        problems.append(FieldProblem("sso_identity", Message(
            N_("The single sign-on identity must not contain spaces or control characters."))))
    return problems


def _identity_problems(*, session: Session, identity: str, user: Optional[User]) -> list[FieldProblem]:
    """Every problem with linking ``identity`` to ``user`` (None: an account about to be created)."""
    if not identity:
        return [FieldProblem("sso_identity", Message(N_("The single sign-on identity must not be empty.")))]
    problems = _identity_problems_in_text(identity)
    if not problems:
        holder = session.exec(select(User).where(User.sso_identity == identity)).first()
        if holder is not None and (user is None or holder.id != user.id):
            problems.append(FieldProblem("sso_identity", Message(
                N_("The identity {identity} is already linked to the account {username}."),
                {"identity": identity, "username": holder.username})))
    if user is not None and user.is_demo:
        problems.append(FieldProblem("sso_identity", Message(
            N_("A demo account cannot sign in with single sign-on."))))
    return problems


def link_sso_identity(*, session: Session, username: str, identity: Optional[str]) -> User:
    """Link the identity-provider claim value ``identity`` to the account ``username`` (None unlinks).

    An administrator's action from the command line: every problem is listed, the change is audited
    with the old and the new identity."""
    username = username.strip()
    user = session.exec(select(User).where(User.username == username).with_for_update()).first()
    identity = identity.strip() if identity is not None else None
    problems: list[FieldProblem] = []
    if user is None:
        problems.append(FieldProblem("username", Message(N_("There is no user named {username}."),
                                                         {"username": username})))
    if identity is not None:
        problems += _identity_problems(session=session, identity=identity, user=user)
    if problems:
        raise ValidationError(problems)
    record_changes(session=session, user_id=None, row=user, values={"sso_identity": identity},
                   action="user.link_sso", entity="user", initiative_id=None)
    return user


def create_sso_user(
    *, session: Session, username: str, display_name: str, identity: str, password: Optional[str] = None,
    language: str = "sv",
) -> User:
    """Create an account that signs in through the identity provider as ``identity``.

    Without ``password`` the account gets a random password nobody knows (so it has no local
    sign-in). Every problem with the account and with the identity is listed at once."""
    identity = identity.strip()
    problems = _identity_problems(session=session, identity=identity, user=None)
    try:
        user = create_user(session=session, username=username, display_name=display_name,
                           password=password if password is not None else secrets.token_urlsafe(32),
                           language=language)
    except ValidationError as error:
        raise ValidationError(error.problems + problems) from None
    if problems:
        raise ValidationError(problems)
    return link_sso_identity(session=session, username=user.username, identity=identity)
