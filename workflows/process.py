"""Loads the process configuration (gate rules, checklist templates and decision options) from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from workflows.lifecycle import STAGE_ORDER
from workflows.vocabulary import Outcome

DEFAULT_PROCESS_FILE = Path(__file__).with_name("process.toml")


@dataclass(frozen=True)
class ChecklistTemplateItem:
    key: str
    label: str
    required: bool = True


@dataclass(frozen=True)
class Process:
    """Rules per gate (named by the stage it leaves, or ``fast_track``), checklist templates, and whether a
    gate needs four eyes (``four_eyes``: whoever completed any of the gate's checklist items may not approve
    it; see ``portfolio.gates``)."""

    gate_rules: dict[str, tuple[str, ...]]
    checklists: dict[str, tuple[ChecklistTemplateItem, ...]]
    four_eyes: bool = True

    def rules_for(self, gate: str) -> tuple[str, ...]:
        """The names of the rules a gate checks, in order (none for a gate without rules)."""
        return self.gate_rules.get(gate, ())

    def checklist_for(self, stage: str) -> tuple[ChecklistTemplateItem, ...]:
        """The checklist template items of a stage, or of fast track."""
        return self.checklists.get(stage, ())


@lru_cache(maxsize=4)
def load_process(path: Path = DEFAULT_PROCESS_FILE) -> Process:
    """Read and check a process file; unknown rule names, gates or checklists named by anything but a stage
    with a gate or fast track, and a ``four_eyes`` that is not true or false, are refused at load time."""
    from workflows.rules import RULES

    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    gate_rules = {gate: tuple(spec.get("rules", ())) for gate, spec in data.get("gates", {}).items()}
    unknown = sorted({name for names in gate_rules.values() for name in names} - RULES.keys())
    if unknown:
        raise ValueError(f"{path}: unknown gate rules: {', '.join(unknown)}")
    checklists = {
        stage: tuple(ChecklistTemplateItem(**item) for item in items)
        for stage, items in data.get("checklists", {}).items()
    }
    named = {*STAGE_ORDER, Outcome.FAST_TRACK}
    unnamed = sorted((gate_rules.keys() | checklists.keys()) - named)
    if unnamed:
        raise ValueError(f"{path}: no such gate or checklist: {', '.join(unnamed)}; "
                         f"use one of {', '.join(sorted(named))}")
    four_eyes = data.get("four_eyes", True)
    if not isinstance(four_eyes, bool):
        raise ValueError(f"{path}: four_eyes must be true or false, not {four_eyes!r}")
    return Process(gate_rules=gate_rules, checklists=checklists, four_eyes=four_eyes)
