"""The import contracts in pyproject.toml ([tool.importlinter]): they hold for the code base, and each one
breaks when a module crosses it (checked on a copy of the source with one import added)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("portfolio", "db", "workflows", "messages")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

LAYERS = "Each layer imports only the layers below it: portfolio > db > workflows > messages"
STREAMLIT = "Only the pages (portfolio.ui) import streamlit"
PAGES = "Only the pages import the pages, so the domain never reaches streamlit through them"
CYCLES = "No import cycles between the modules of a package"
NO_DB_IN_PAGES = ("The pages reach the database only through the domain (portfolio.queries.read, "
                  "portfolio.actions.perform)")
CONTRACTS = (LAYERS, STREAMLIT, PAGES, NO_DB_IN_PAGES, CYCLES)


def lint_imports(root: Path) -> tuple[int, str]:
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=root, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    # Long contract names are wrapped in the report; join the lines back before looking for a name.
    return result.returncode, " ".join(result.stdout.split())


def test_the_code_base_keeps_every_contract():
    status, report = lint_imports(ROOT)
    assert status == 0, report
    for name in CONTRACTS:
        assert f"{name} KEPT" in report


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("workflows/rules.py", "import portfolio.i18n", {LAYERS}),
    ("messages/__init__.py", "import workflows.lifecycle", {LAYERS}),
    ("db/models.py", "import portfolio.errors", {LAYERS}),
    ("portfolio/gates.py", "import streamlit", {STREAMLIT}),
    ("workflows/process.py", "import streamlit", {STREAMLIT}),
    # The pages import the domain, so a domain module importing a page closes a cycle as well.
    ("portfolio/permissions.py", "import portfolio.ui.text", {PAGES, CYCLES}),
    ("portfolio/errors.py", "import portfolio.permissions", {CYCLES}),
    ("portfolio/ui/overview.py", "import db.engine", {NO_DB_IN_PAGES}),
    ("portfolio/ui/text.py", "import sqlalchemy", {NO_DB_IN_PAGES}),
], ids=["workflows-imports-portfolio", "messages-imports-workflows", "db-imports-portfolio",
        "domain-imports-streamlit", "process-imports-streamlit", "domain-imports-a-page", "cycle",
        "page-opens-a-session", "page-imports-sqlalchemy"])
def test_a_crossing_import_breaks_its_contract(tmp_path, module, line, broken):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "locale"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{line}  # noqa\n")
    status, report = lint_imports(tmp_path)
    assert status == 1
    assert {name for name in CONTRACTS if f"{name} BROKEN" in report} == broken
    assert f"Contracts: {len(CONTRACTS) - len(broken)} kept, {len(broken)} broken." in report
