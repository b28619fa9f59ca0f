"""The helpers that turn what a page's tables hold into domain input: the measurement grid's changes into
import rows, the calculation table into cash-flow years."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from portfolio.benefits import VolumeInput, cashflow_years, grid_records, volume_inputs
from portfolio.benefits_math import CashflowYear
from portfolio.measurement_files import COLUMNS, GRID_COLUMNS, RawRow, rows_from_grid, typed_number

SHOWN = [("2026-01", "", 10.0, 3), ("2026-02", "Akuten", 12.0, 1)]


@pytest.mark.parametrize(("edited", "added", "expected"), [
    pytest.param({}, [], [], id="nothing changed"),
    pytest.param({"1": {"value": 14.0}}, [], [RawRow(2, "BED", "2026-02", "Akuten", 14.0, seen_version=1)],
                 id="a corrected value carries the version the user saw"),
    pytest.param({0: {"period": "2026-03"}}, [], [RawRow(1, "BED", "2026-03", "", 10.0, seen_version=None)],
                 id="a row moved to another period is new"),
    pytest.param({0: {"org_unit": "Akuten"}}, [], [RawRow(1, "BED", "2026-01", "Akuten", 10.0, seen_version=None)],
                 id="a row moved to another unit is new"),
    pytest.param({}, [{"period": "2026-03", "org_unit": None, "value": 9}, {"value": 1}],
                 [RawRow(3, "BED", "2026-03", None, 9, seen_version=0), RawRow(4, "BED", None, None, 1, seen_version=0)],
                 id="added rows are numbered after the shown ones and expect an empty cell"),
    pytest.param({1: {"value": None}}, [{"period": "2026-04", "org_unit": "", "value": 2}],
                 [RawRow(2, "BED", "2026-02", "Akuten", None, seen_version=1),
                  RawRow(3, "BED", "2026-04", "", 2, seen_version=0)],
                 id="edits come before additions"),
])
def test_rows_from_grid(edited, added, expected):
    assert rows_from_grid("BED", SHOWN, edited, added, language="sv") == expected


@pytest.mark.parametrize(("language", "typed", "read"), [
    ("en", "1,200", 1200.0),
    ("en", "12,345,678.25", 12345678.25),
    ("en", "-1,200", -1200.0),
    # Not English digit groups: left for the import's validation, which reads a comma as a decimal sign.
    ("en", "3,5", "3,5"),
    ("en", "1,2000", "1,2000"),
    ("en", "1,200,5", "1,200,5"),
    ("en", 1200.0, 1200.0),
    # In Swedish and Norwegian the comma is the decimal sign: "1,200" is left as typed (and reads 1.2).
    ("sv", "1,200", "1,200"),
    ("nb", "1,200", "1,200"),
])
def test_typed_number_reads_english_digit_groups_as_thousands(language, typed, read):
    assert typed_number(typed, language) == read


def test_grid_rows_read_values_in_the_readers_language():
    edited = {"1": {"value": "1,200"}}
    assert rows_from_grid("BED", SHOWN, edited, [{"value": "2,500.5"}], language="en") == [
        RawRow(2, "BED", "2026-02", "Akuten", 1200.0, seen_version=1), RawRow(3, "BED", None, None, 2500.5,
                                                                            seen_version=0)]
    assert rows_from_grid("BED", SHOWN, edited, [], language="sv") == [
        RawRow(2, "BED", "2026-02", "Akuten", "1,200", seen_version=1)]


def test_grid_columns_are_the_import_columns_after_the_indicator():
    assert GRID_COLUMNS == COLUMNS[1:]


def _table(**columns) -> list[dict]:
    # Built as the page builds it, so empty cells arrive as pandas gives them (NaN in a number column).
    return pd.DataFrame(columns).to_dict("records")


def test_cashflow_years_from_the_calculation_table():
    # The page's column of the indicators' figures is read-only and left out.
    records = _table(year=[2026, 2027, None], investment=[100.0, 0.0, 5.0], operation=[0.0, 10.0, 0.0],
                     benefit_low=[None, 20.0, None], benefit=[0.0, 30.0, 1.0], benefit_high=[None, 40.0, None],
                     indicators=[5.0, None, None])
    assert cashflow_years(records, language="sv") == [CashflowYear(2026, 100.0, 0.0, 0.0, None, None),
                                       CashflowYear(2027, 0.0, 10.0, 30.0, 20.0, 40.0)]


@pytest.mark.parametrize(("cell", "expected"), [(None, 0.0), (0, 0.0), (7, 7.0)])
def test_an_empty_cost_cell_given_as_none_counts_as_zero(cell, expected):
    years = cashflow_years([{"year": 2026, "investment": cell, "operation": None, "benefit": 0.0,
                             "benefit_low": None, "benefit_high": None}], language="sv")
    assert years == [CashflowYear(2026, expected, 0.0, 0.0, None, None)]


@pytest.mark.parametrize("cell", [None, math.nan])
def test_an_empty_expected_benefit_marks_the_year_as_from_indicators(cell):
    (year,) = cashflow_years([{"year": 2026, "investment": 1.0, "operation": 2.0, "benefit": cell,
                               "benefit_low": None, "benefit_high": 9.0}], language="sv")
    assert year == CashflowYear(2026, 1.0, 2.0, 0.0, None, 9.0, from_indicators=True)


def test_a_cleared_cost_stays_not_a_number_so_validation_names_its_year():
    (year,) = cashflow_years(_table(year=[2026], investment=[math.nan], operation=[0.0], benefit_low=[math.nan],
                                    benefit=[4.0], benefit_high=[3.0]), language="sv")
    assert (year.year, math.isnan(year.investment), year.benefit, year.benefit_low, year.benefit_high,
            year.from_indicators) == (2026, True, 4.0, None, 3.0, False)


@pytest.mark.parametrize(("language", "cells", "expected"), [
    pytest.param("sv", ("1 200 000", "50,5", "", "", ""), CashflowYear(2026, 1200000.0, 50.5, 0.0, None, None,
                                                                       from_indicators=True), id="sv digits"),
    pytest.param("en", ("1,200,000", "50.5", "2,000", "1,500", " "), CashflowYear(2026, 1200000.0, 50.5, 2000.0,
                                                                                 1500.0, None), id="en digits"),
    pytest.param("sv", (None, "", "3,5", None, ""), CashflowYear(2026, 0.0, 0.0, 3.5, None, None),
                 id="blank costs count as 0"),
])
def test_amounts_typed_as_text_are_read_in_the_readers_digits(language, cells, expected):
    investment, operation, benefit, low, high = cells
    assert cashflow_years([{"year": 2026, "investment": investment, "operation": operation, "benefit": benefit,
                            "benefit_low": low, "benefit_high": high}], language=language) == [expected]


@pytest.mark.parametrize("column", ["investment", "operation", "benefit", "benefit_low", "benefit_high"])
def test_text_that_is_no_number_is_refused_never_taken_for_an_empty_cell(column):
    row = {"year": 2026, "investment": "1", "operation": "1", "benefit": "1", "benefit_low": "", "benefit_high": ""}
    (year,) = cashflow_years([{**row, column: "12 kr"}], language="sv")
    values = {"investment": year.investment, "operation": year.operation, "benefit": year.benefit,
              "benefit_low": year.benefit_low, "benefit_high": year.benefit_high}
    assert math.isnan(values[column]) and not year.from_indicators


def test_rows_without_a_year_are_left_out():
    assert cashflow_years(_table(year=[math.nan], investment=[1.0], operation=[1.0], benefit_low=[None],
                                 benefit=[1.0], benefit_high=[None]), language="sv") == []


def test_grid_records_apply_the_changes_a_click_carries():
    shown = [{"year": 2026, "benefit": 1.0}, {"year": 2027, "benefit": 2.0}, {"year": 2028, "benefit": 3.0}]
    changes = {"edited_rows": {"0": {"benefit": None}, 2: {"year": 2029}}, "deleted_rows": [1],
               "added_rows": [{"year": 2030}]}
    assert grid_records(shown, changes) == [{"year": 2026, "benefit": None}, {"year": 2029, "benefit": 3.0},
                                            {"year": 2030, "benefit": None}]
    assert grid_records(shown, {}) == shown


def test_volume_inputs_are_the_changed_volumes_only():
    records = [{"indicator_id": 1, "version": 3, "shown": None, "volume_per_year": 1200.0},
               {"indicator_id": 2, "version": 1, "shown": 5.0, "volume_per_year": 5.0},
               {"indicator_id": 3, "version": 2, "shown": 7.0, "volume_per_year": math.nan}]
    assert volume_inputs(records, language="sv") == [VolumeInput(1, 3, 1200.0), VolumeInput(3, 2, None)]


def test_volumes_typed_as_text_are_read_in_the_readers_digits():
    # As the page draws them: the shown volume is the cell's text, so a cell left alone is no change.
    records = [{"indicator_id": 1, "version": 1, "shown": "1\u00a0200,5", "volume_per_year": "1\u00a0200,5"},
               {"indicator_id": 2, "version": 1, "shown": "5", "volume_per_year": "2 500"},
               {"indicator_id": 3, "version": 1, "shown": None, "volume_per_year": "many"}]
    changed, typo = volume_inputs(records, language="sv")
    assert changed == VolumeInput(2, 1, 2500.0)
    # Text that is no number is sent on, for save_volumes to refuse: it never reads as an empty cell.
    assert typo.indicator_id == 3 and math.isnan(typo.volume_per_year)
    assert volume_inputs([{"indicator_id": 1, "version": 1, "shown": "5", "volume_per_year": "1,200"}],
                         language="en") == [VolumeInput(1, 1, 1200.0)]
