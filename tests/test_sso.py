"""Single sign-on: an identity provider's claim maps to an account an administrator made, never a new one."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from db.engine import read_session, write_session
from db.models import AuditEvent, User
from portfolio.auth import authenticate, verify_password
from portfolio.errors import DomainError, ValidationError
from portfolio.sso import create_sso_user, link_sso_identity, sso_providers, user_for_identity
from tests.factories import assert_refused, make_user

NOT_SET_UP = "Your account has not been set up; ask an administrator."
ANNA = {"iss": "https://login.example", "sub": "f3a9-anna", "email": "anna@region.se", "email_verified": True,
        "name": "Anna Berg", "is_logged_in": True, "provider": "entra"}


@pytest.fixture
def accounts(engine):
    with write_session(engine) as session:
        anna = make_user(session, username="anna", sso_identity="anna@region.se")
        bertil = make_user(session, username="bertil", sso_identity="f3a9-bertil")
        gone = make_user(session, username="gone", sso_identity="gone@region.se", is_active=False)
        local = make_user(session, username="local")
        return {u.username: u.id for u in (anna, bertil, gone, local)}


def sign_in(engine, claims, claim_name="email") -> str:
    with write_session(engine) as session:
        return user_for_identity(session=session, claims=claims, claim_name=claim_name).username


def users(engine) -> list[tuple[str, str | None]]:
    with read_session(engine) as session:
        return [(u.username, u.sso_identity) for u in session.exec(select(User).order_by(col(User.id))).all()]


def test_a_linked_identity_signs_in_as_its_account_and_is_audited(engine, accounts):
    assert sign_in(engine, ANNA) == "anna"
    with read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.sign_in_sso")).one()
    assert (event.user_id, event.entity, event.entity_id, event.after) == (
        accounts["anna"], "user", accounts["anna"],
        {"claim": "email", "identity": "anna@region.se", "issuer": "https://login.example"})


# (claim setting, claims sent by the provider) -> the account signed in
CLAIM_TABLE = [
    ("email", {"sub": "f3a9-bertil", "email": "anna@region.se"}, "anna"),
    ("sub", {"sub": "f3a9-bertil", "email": "anna@region.se"}, "bertil"),
    ("email", {"email": " anna@region.se "}, "anna"),
    ("email", {"email": "anna@region.se", "email_verified": True}, "anna"),
    ("preferred_username", {"preferred_username": "f3a9-bertil"}, "bertil"),
]


@pytest.mark.parametrize(("claim_name", "claims", "expected"), CLAIM_TABLE)
def test_the_claim_setting_chooses_which_claim_names_the_account(engine, accounts, claim_name, claims, expected):
    assert sign_in(engine, claims, claim_name) == expected


# (claim setting, claims sent by the provider) -> the refusal; nothing is written
REFUSAL_TABLE = [
    ("email", {"sub": "x", "email": "stranger@region.se"}, NOT_SET_UP),
    ("email", {"sub": "x", "email": "Anna@Region.se"}, NOT_SET_UP),  # matched exactly as linked
    ("sub", {"sub": "f3a9-anna", "email": "anna@region.se"}, NOT_SET_UP),
    ("sub", {"sub": "f3a9-bertil\x00"}, NOT_SET_UP),
    ("email", {"email": "a" * 400}, NOT_SET_UP),
    ("email", {"sub": "f3a9-anna"}, "The identity provider did not send the claim email; ask an administrator."),
    ("email", {"email": "   "}, "The identity provider did not send the claim email; ask an administrator."),
    ("email", {"email": True}, "The identity provider did not send the claim email; ask an administrator."),
    ("email", {"email": "anna@region.se", "email_verified": False},
     "The identity provider has not verified the e-mail address anna@region.se."),
    ("email", {"email": "gone@region.se"}, "Your account has been deactivated; ask an administrator."),
]


@pytest.mark.parametrize(("claim_name", "claims", "message"), REFUSAL_TABLE)
def test_refused_identities_create_nothing(engine, accounts, claim_name, claims, message):
    before = users(engine)
    assert_refused(engine, None, DomainError, [message],
                   lambda s: user_for_identity(session=s, claims=claims, claim_name=claim_name))
    assert users(engine) == before


def test_a_demo_account_never_signs_in_through_the_provider(engine):
    with write_session(engine) as session:
        make_user(session, username="demo_owner", is_demo=True, sso_identity="owner@demo.example")
    assert_refused(engine, None, DomainError, [NOT_SET_UP],
                   lambda s: user_for_identity(session=s, claims={"email": "owner@demo.example"}, claim_name="email"))


def test_an_account_deactivated_after_linking_is_refused(engine, accounts):
    assert sign_in(engine, ANNA) == "anna"
    with write_session(engine) as session:
        session.get(User, accounts["anna"]).is_active = False
    assert_refused(engine, None, DomainError, ["Your account has been deactivated; ask an administrator."],
                   lambda s: user_for_identity(session=s, claims=ANNA, claim_name="email"))


def test_an_administrator_links_and_unlinks_an_identity(engine, accounts):
    with write_session(engine) as session:
        link_sso_identity(session=session, username=" local ", identity=" local@region.se ")
    assert sign_in(engine, {"email": "local@region.se"}) == "local"
    with write_session(engine) as session:
        link_sso_identity(session=session, username="local", identity=None)
    with read_session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "user.link_sso")
                              .order_by(col(AuditEvent.seq))).all()
        version = session.get(User, accounts["local"]).version
    assert [(e.entity_id, e.before, e.after) for e in events] == [
        (accounts["local"], {"sso_identity": None}, {"sso_identity": "local@region.se"}),
        (accounts["local"], {"sso_identity": "local@region.se"}, {"sso_identity": None}),
    ]
    assert version == 3
    assert_refused(engine, None, DomainError, [NOT_SET_UP],
                   lambda s: user_for_identity(session=s, claims={"email": "local@region.se"}, claim_name="email"))


# (user name, identity) -> every problem, in order
LINK_REFUSALS = [
    ("nobody", "", ["There is no user named nobody.", "The single sign-on identity must not be empty."]),
    ("local", "anna@region.se", ["The identity anna@region.se is already linked to the account anna."]),
    ("local", "two words", ["The single sign-on identity must not contain spaces or control characters."]),
    ("local", "nul\x00byte", ["The single sign-on identity must not contain spaces or control characters."]),
    ("local", "x" * 321, ["sso_identity may have at most 320 characters."]),
    ("demo_owner", "owner@region.se", ["A demo account cannot sign in with single sign-on."]),
]


@pytest.mark.parametrize(("username", "identity", "messages"), LINK_REFUSALS)
def test_linking_lists_every_problem_and_writes_nothing(engine, accounts, username, identity, messages):
    with write_session(engine) as session:
        make_user(session, username="demo_owner", is_demo=True)
    before = users(engine)
    assert_refused(engine, None, ValidationError, messages,
                   lambda s: link_sso_identity(session=s, username=username, identity=identity))
    assert users(engine) == before


def test_relinking_the_same_identity_to_its_own_account_changes_nothing(engine, accounts):
    with write_session(engine) as session:
        link_sso_identity(session=session, username="anna", identity="anna@region.se")
    with read_session(engine) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "user.link_sso")).all() == []


def test_an_account_for_single_sign_on_only_has_no_usable_password(engine):
    with write_session(engine) as session:
        user = create_sso_user(session=session, username="cecilia", display_name="Cecilia C",
                               identity="cecilia@region.se", language="en")
        password_hash = user.password_hash
    assert password_hash.startswith("$argon2")
    assert not verify_password(password_hash, "") and not verify_password(password_hash, "cecilia@region.se")
    assert sign_in(engine, {"email": "cecilia@region.se"}) == "cecilia"
    with read_session(engine) as session:
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.seq))).all()
    assert actions == ["user.create", "user.link_sso", "user.sign_in_sso"]


def test_creating_an_sso_account_lists_account_and_identity_problems_together(engine, accounts):
    before = users(engine)
    assert_refused(engine, None, ValidationError, [
        "The user name anna is already taken.", "The name must not be empty.",
        "The identity anna@region.se is already linked to the account anna.",
    ], lambda s: create_sso_user(session=s, username="anna", display_name=" ", identity="anna@region.se"))
    assert_refused(engine, None, ValidationError, [
        "The identity anna@region.se is already linked to the account anna.",
    ], lambda s: create_sso_user(session=s, username="new", display_name="New", identity="anna@region.se"))
    assert users(engine) == before


def test_local_sign_in_switched_off_refuses_every_local_password(engine, accounts, monkeypatch):
    def local(username: str):
        with read_session(engine) as session:
            user = authenticate(session=session, username=username, password="secret-password", demo_mode=False)
            return None if user is None else user.username

    assert local("anna") == "anna"
    monkeypatch.setenv("PORTFOLIO_LOCAL_SIGNIN", "0")
    assert [local(name) for name in ("anna", "local", "bertil")] == [None, None, None]
    assert sign_in(engine, ANNA) == "anna"  # single sign-on still works
    monkeypatch.setenv("PORTFOLIO_LOCAL_SIGNIN", "1")
    assert local("anna") == "anna"


# [auth] section of secrets.toml -> the providers offered (None: the unnamed one)
PROVIDER_TABLE = [
    ({}, []),
    ({"redirect_uri": "r", "cookie_secret": "c"}, []),
    ({"redirect_uri": "r", "cookie_secret": "c", "client_id": "i", "client_secret": "s",
      "server_metadata_url": "u", "client_kwargs": {"prompt": "login"}}, [None]),
    ({"redirect_uri": "r", "cookie_secret": "c", "Microsoft": {"client_id": "i", "server_metadata_url": "u"},
      "keycloak": {"client_id": "j", "client_secret": "s", "server_metadata_url": "v",
                   "client_kwargs": {"prompt": "login"}}}, ["Microsoft", "keycloak"]),
]


@pytest.mark.parametrize(("auth_section", "expected"), PROVIDER_TABLE)
def test_providers_are_read_from_the_auth_section(auth_section, expected):
    assert sso_providers(auth_section) == expected


# ---------------------------------------------------------------- the administrator's command line


@pytest.fixture
def cli(db_url, monkeypatch):
    from click.testing import CliRunner

    from portfolio.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input)

    return run


def test_create_user_for_single_sign_on_needs_no_password(cli, engine):
    result = cli("create-user", "--username", "anna", "--name", "Anna Berg", "--sso-identity", "anna@region.se",
                 "--role", "steering")
    assert (result.exit_code, result.stdout) == (0, "created user anna\n")
    assert sign_in(engine, {"email": "anna@region.se"}) == "anna"
    assert users(engine) == [("anna", "anna@region.se")]


def test_create_user_without_either_asks_for_a_password(cli, engine):
    result = cli("create-user", "--username", "bo", "--name", "Bo", input="long-enough\nlong-enough\n")
    assert result.exit_code == 0, result.output
    assert users(engine) == [("bo", None)]


def test_link_sso_links_unlinks_and_refuses_with_every_problem(cli, engine, accounts):
    assert cli("link-sso", "--username", "local", "--identity", "local@region.se").stdout == (
        "linked local to local@region.se\n")
    assert sign_in(engine, {"email": "local@region.se"}) == "local"
    assert cli("link-sso", "--username", "local", "--unlink").stdout == "unlinked local\n"
    before = users(engine)
    refused = cli("link-sso", "--username", "nobody", "--identity", "anna@region.se")
    assert (refused.exit_code, refused.stderr) == (1, "error: There is no user named nobody.\n"
                                                      "error: The identity anna@region.se is already linked to "
                                                      "the account anna.\n")
    assert cli("link-sso", "--username", "local").exit_code == 2
    assert users(engine) == before


def test_the_committed_secrets_example_is_valid_and_documented():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    example = tomllib.loads((root / ".streamlit" / "secrets.example.toml").read_text(encoding="utf-8"))
    assert {"redirect_uri", "cookie_secret"} <= example["auth"].keys()
    assert sso_providers(example["auth"]) == ["Microsoft"]
    assert ".streamlit/secrets.toml" in (root / ".gitignore").read_text().splitlines()
    readme = (root / "README.md").read_text(encoding="utf-8")
    for documented in ("PORTFOLIO_SSO_CLAIM", "PORTFOLIO_LOCAL_SIGNIN", "portfolio link-sso", "--sso-identity",
                       "login.microsoftonline.com/<tenant-id>/v2.0/.well-known/openid-configuration",
                       "/realms/<realm>/.well-known/openid-configuration", NOT_SET_UP):
        assert documented in readme, documented
