"""Choice lists: searched and limited, never whole tables, and always holding the current value."""

from __future__ import annotations

from datetime import date

from db.engine import read_session, write_session
from portfolio.choices import portfolio_choices, reporting_unit_choices, unit_choices, user_choices
from tests.factories import (
    make_benefit,
    make_indicator,
    make_initiative,
    make_measurement,
    make_org_unit,
    make_portfolio,
    make_user,
)


def _names(choices) -> list[str]:
    return [entry.name for entry in choices.entries]


def test_a_search_lists_matching_names_by_name_and_counts_the_rest(engine):
    with write_session(engine) as session:
        for name in ["Kirurgi Öst", "kirurgi väst", "Medicin", "Ortopedi", "Barnkirurgi", "Kirurgi Nord"]:
            make_org_unit(session, name=name)
    with read_session(engine) as session:
        found = unit_choices(session=session, search="KIRURGI", limit=2)
        everything = unit_choices(session=session, limit=50)
    assert (_names(found), found.more) == (["Barnkirurgi", "Kirurgi Nord"], 2)
    assert (len(everything.entries), everything.more) == (6, 0)


def test_percent_and_underscore_are_letters_in_a_search(engine):
    with write_session(engine) as session:
        for name in ["100% digital", "1000 digital", "a_b", "axb"]:
            make_org_unit(session, name=name)
    with read_session(engine) as session:
        assert _names(unit_choices(session=session, search="100%")) == ["100% digital"]
        assert _names(unit_choices(session=session, search="a_b")) == ["a_b"]


def test_the_current_value_is_kept_even_when_it_does_not_match_or_is_deactivated(engine):
    with write_session(engine) as session:
        anna = make_user(session, display_name="Anna Berg")
        make_user(session, display_name="Bo Ek")
        gone = make_user(session, display_name="Zelda Gone", is_active=False)
        ids = (anna.id, gone.id)
    with read_session(engine) as session:
        plain = user_choices(session=session, search="anna")
        kept = user_choices(session=session, search="anna", keep=[ids[1], None])
    assert _names(plain) == ["Anna Berg"]
    assert _names(kept) == ["Anna Berg", "Zelda Gone"]


def test_the_reporting_units_are_the_owning_subtree_and_those_that_reported(engine):
    with write_session(engine) as session:
        owner = make_user(session)
        portfolio = make_portfolio(session, owner=owner)
        clinic = make_org_unit(session, name="Clinic")
        ward = make_org_unit(session, name="Ward", parent=clinic)
        make_org_unit(session, name="Elsewhere")
        other = make_org_unit(session, name="Other region unit")
        lead = make_user(session)
        initiative = make_initiative(session, portfolio=portfolio, creator=owner, lead=lead, org_unit=clinic)
        indicator = make_indicator(session, make_benefit(session, initiative))
        make_measurement(session, indicator, period=date(2026, 1, 1), value=3.0, org_unit=other)
        ids = (initiative.id, clinic.id)
    with read_session(engine) as session:
        units = reporting_unit_choices(session=session, initiative_id=ids[0], owning_unit_id=ids[1])
        portfolios = portfolio_choices(session=session)
    assert _names(units) == ["Clinic", "Other region unit", "Ward"]
    assert len(portfolios.entries) == 1


def test_units_are_shown_with_their_path_in_the_tree(engine):
    """Many hospitals have a "Kirurgkliniken": the path tells them apart."""
    with write_session(engine) as session:
        region = make_org_unit(session, name="Region Öst")
        for hospital in ("Akademiska", "Lasarettet"):
            make_org_unit(session, name="Kirurgkliniken", parent=make_org_unit(session, name=hospital, parent=region))
    with read_session(engine) as session:
        found = unit_choices(session=session, search="kirurg")
    assert _names(found) == ["Region Öst › Akademiska › Kirurgkliniken", "Region Öst › Lasarettet › Kirurgkliniken"]


def test_control_characters_in_a_search_match_nothing_and_break_nothing(engine):
    with write_session(engine) as session:
        make_org_unit(session, name="Kirurgi")
    with read_session(engine) as session:
        assert _names(unit_choices(session=session, search="Kir\x00urgi\n")) == ["Kirurgi"]
        assert _names(user_choices(session=session, search="\x00")) == _names(user_choices(session=session))
