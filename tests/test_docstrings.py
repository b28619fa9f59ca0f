"""Every public function and method of the domain says in its docstring what it is for (the pages in
portfolio.ui are left out: they are scripts, and their helpers are private to them)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("portfolio", "workflows", "db", "messages")


def domain_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            names.append(package if path.stem == "__init__" else f"{package}.{path.stem}")
    return names


def own_callables(module) -> list[tuple[str, object]]:
    """(qualified name, function) for each public function of the module and each public method of its
    public classes, as written in the module: inherited and generated members (dataclass, SQLModel) are
    not the module's own text."""
    found = []
    for name, member in vars(module).items():
        if name.startswith("_") or getattr(member, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(member):
            found.append((f"{module.__name__}.{name}", member))
        elif inspect.isclass(member):
            for attribute, value in vars(member).items():
                if attribute.startswith("_"):
                    continue
                function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
                if (inspect.isfunction(function) and function.__module__ == module.__name__
                        and function.__qualname__.startswith(f"{member.__qualname__}.")):
                    found.append((f"{module.__name__}.{member.__qualname__}.{attribute}", function))
    return found


def test_every_public_function_of_the_domain_has_a_docstring():
    missing = [name for module in domain_modules()
               for name, function in own_callables(importlib.import_module(module))
               if not (function.__doc__ or "").strip()]
    assert not missing, "Public functions without a docstring:\n" + "\n".join(missing)


def test_the_walk_finds_functions_methods_and_properties():
    names = {name for module in domain_modules() for name, _ in own_callables(importlib.import_module(module))}
    assert {"portfolio.gates.record_gate_decision", "workflows.process.Process.rules_for",
            "workflows.rules.RuleResult.ok", "db.settings.Settings.from_env"} <= names
    # Generated and inherited members are not the module's own text.
    assert not any(name.startswith("db.models.") and "." in name.removeprefix("db.models.") for name in names)
