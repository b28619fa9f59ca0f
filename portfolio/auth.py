"""Local accounts: argon2 password hashes, sign-in, and account creation."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from db.models import RoleAssignment, User
from db.settings import get_settings
from portfolio.errors import FieldProblem, ValidationError, too_long
from portfolio.i18n import LANGUAGES, N_, Message

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(*, session: Session, username: str, password: str, demo_mode: bool) -> User | None:
    """The active user with these credentials, or None. Demo users only work in demo mode.

    Nobody signs in with a local password while local sign-in is switched off
    (``PORTFOLIO_LOCAL_SIGNIN=0``, single sign-on only)."""
    if not get_settings().local_sign_in:
        return None
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None or not user.is_active:
        return None
    if user.is_demo and not demo_mode:
        return None
    return user if verify_password(user.password_hash, password) else None


def create_user(
    *,
    session: Session,
    username: str,
    display_name: str,
    password: str,
    language: str = "sv",
    is_demo: bool = False,
) -> User:
    """Create a local account. Every problem with the input is reported at once."""
    from portfolio.audit import record

    problems: list[FieldProblem] = []
    username = username.strip()
    if not username:
        problems.append(FieldProblem("username", Message(N_("The user name must not be empty."))))
    elif session.exec(select(User).where(User.username == username)).first() is not None:
        problems.append(
            FieldProblem("username", Message(N_("The user name {username} is already taken."), {"username": username}))
        )
    if not display_name.strip():
        problems.append(FieldProblem("display_name", Message(N_("The name must not be empty."))))
    if len(password) < MIN_PASSWORD_LENGTH and not is_demo:
        problems.append(
            FieldProblem(
                "password",
                Message(N_("The password must have at least {count} characters."), {"count": MIN_PASSWORD_LENGTH}),
            )
        )
    problems += too_long(User, {"username": username, "display_name": display_name})
    if language not in LANGUAGES:
        problems.append(FieldProblem("language", Message(N_("Unknown language {language}."), {"language": language})))
    if problems:
        raise ValidationError(problems)
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        language=language,
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    record(session=session, user_id=None, action="user.create", entity="user", entity_id=user.id,
           after={"username": username, "display_name": user.display_name, "is_demo": is_demo})
    return user


def grant_role(
    *, session: Session, user_id: int, role: str, portfolio_id: int | None = None, org_unit_id: int | None = None
) -> RoleAssignment:
    from db.models import ROLES, OrgUnit, Portfolio
    from portfolio.audit import record

    problems = []
    if role not in ROLES:
        problems.append(FieldProblem("role", Message(N_("Unknown role {role}."), {"role": repr(role)})))
    if portfolio_id is not None and session.get(Portfolio, portfolio_id) is None:
        problems.append(FieldProblem("portfolio_id", Message(
            N_("There is no portfolio number {id}."), {"id": portfolio_id})))
    if org_unit_id is not None and session.get(OrgUnit, org_unit_id) is None:
        problems.append(FieldProblem("org_unit_id", Message(
            N_("There is no org unit number {id}."), {"id": org_unit_id})))
    if problems:
        raise ValidationError(problems)
    assignment = RoleAssignment(user_id=user_id, role=role, portfolio_id=portfolio_id, org_unit_id=org_unit_id)
    session.add(assignment)
    session.flush()
    record(session=session, user_id=None, action="role.grant", entity="role_assignment", entity_id=assignment.id,
           after={"user_id": user_id, "role": role, "portfolio_id": portfolio_id, "org_unit_id": org_unit_id})
    return assignment
