"""The lifecycle diagram, drawn from the lifecycle machine's own transitions (Graphviz DOT).

Every move of ``workflows.lifecycle.MOVES`` is drawn, so a change to the machine changes the picture.
Holds are left out: a hold keeps the initiative where it is (a flag and a review date), and a loop on
every stage would say nothing about where it can go.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from workflows.lifecycle import MOVES, OUTCOME_LABELS, STAGE_LABELS, STAGES

# Outcomes left out of the picture (self-loops that change no stage).
NOT_DRAWN = ("hold",)
CURRENT_STYLE = 'style="filled,rounded", fillcolor="#1f6f8b", fontcolor="white"'
# How each kind of move looks; the forward path (go, conditional go) is the plain solid line.
EDGE_STYLES = {
    "recycle": 'style=dashed, constraint=false, color="#b5651d", fontcolor="#b5651d"',
    "stop": 'style=dotted, color="#888888", fontcolor="#888888"',
    "fast_track": 'style=dashed, color="#1f6f8b", fontcolor="#1f6f8b"',
}


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lifecycle_dot(current: str, translate: Callable[[str], str]) -> str:
    """The lifecycle as Graphviz DOT: one node per stage, ``current`` highlighted, and one edge per pair of
    stages a gate outcome connects, labelled with those outcomes (``translate`` turns a msgid into the
    reader's language; pages pass their ``_``)."""
    outcomes_between: dict[tuple[str, str], list[str]] = defaultdict(list)
    for move in MOVES:
        if move.outcome not in NOT_DRAWN:
            outcomes_between[move.source, move.target].append(move.outcome)
    lines = ["digraph lifecycle {", "rankdir=LR;", 'node [fontname="Helvetica", shape=box];',
             'edge [fontname="Helvetica", fontsize=9];']
    for stage in STAGES:
        style = CURRENT_STYLE if stage == current else 'style="rounded"'
        lines.append(f"{_quoted(stage)} [label={_quoted(translate(STAGE_LABELS[stage]))}, {style}];")
    for (source, target), outcomes in outcomes_between.items():
        label = " / ".join(translate(OUTCOME_LABELS[outcome]) for outcome in outcomes)
        style = EDGE_STYLES.get(outcomes[0])
        lines.append(f"{_quoted(source)} -> {_quoted(target)} [label={_quoted(label)}"
                     + (f", {style}" if style else "") + "];")
    lines.append("}")
    return "\n".join(lines)
