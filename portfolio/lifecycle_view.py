"""The lifecycle diagram, drawn from the lifecycle machine's own transitions as an SVG picture.

Every move of ``workflows.lifecycle.MOVES`` is drawn, so a change to the machine changes the picture.
Holds are left out: a hold keeps the initiative where it is (a flag and a review date), and a loop on
every stage would say nothing about where it can go.

The picture is laid out here, in Python, so the browser only has to show an SVG image: the go path runs left to
right, the stages off it (stopped) sit in a row below, moves back along the path and moves that skip part of
it arc above the path, and every other move is a straight line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape
from typing import Callable

from workflows.lifecycle import MOVES, OUTCOME_LABELS, STAGE_LABELS, STAGES
from workflows.vocabulary import Outcome, Stage

# Outcomes left out of the picture (self-loops that change no stage).
NOT_DRAWN = (Outcome.HOLD,)
CURRENT_FILL = "#1f6f8b"
# The picture is shown as an image, which takes no colour from the page: dark text on a white card.
TEXT = "#31333f"
FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"
# The colour of each kind of move, and whether its line is dashed; the forward path (go, conditional go)
# is a plain line in the page's text colour.
EDGE_STYLES: dict[str, tuple[str, str]] = {
    Outcome.RECYCLE: ("#b5651d", "6 4"),
    Outcome.STOP: ("#888888", "2 3"),
    Outcome.FAST_TRACK: ("#1f6f8b", "6 4"),
}
PLAIN_EDGE = (TEXT, "")

# Sizes in SVG units (pixels at full width). Text widths are estimated from the number of characters.
NODE_FONT, EDGE_FONT = 13, 11
NODE_CHAR, EDGE_CHAR = 7.2, 6.0
LINE = 15
MARGIN = 8


@dataclass(frozen=True)
class DrawnMove:
    """One line of the diagram: every drawn outcome that takes an initiative from ``source`` to ``target``."""

    source: Stage
    target: Stage
    outcomes: tuple[Outcome, ...]


def drawn_moves() -> list[DrawnMove]:
    """The lines of the diagram: the machine's moves but holds, one per pair of stages, in the machine's order."""
    outcomes_between: dict[tuple[Stage, Stage], list[Outcome]] = defaultdict(list)
    for move in MOVES:
        if move.outcome not in NOT_DRAWN:
            outcomes_between[move.source, move.target].append(move.outcome)
    return [DrawnMove(source, target, tuple(outcomes)) for (source, target), outcomes in outcomes_between.items()]


def _go_path() -> list[Stage]:
    """The stages one go after another leads through, from the first stage."""
    after = {move.source: move.target for move in MOVES if move.outcome == Outcome.GO}
    path = [STAGES[0]]
    while path[-1] in after and after[path[-1]] not in path:
        path.append(after[path[-1]])
    return path


def _lines(text: str, longest: int = 12) -> list[str]:
    """``text`` on at most two lines, split at the space nearest its middle when it is longer than ``longest``."""
    if len(text) <= longest or " " not in text:
        return [text]
    spaces = [i for i, char in enumerate(text) if char == " "]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return [text[:cut], text[cut + 1:]]


def _text(x: float, y: float, lines: list[str], size: int, anchor: str = "middle", **attributes: str) -> str:
    """Text anchored at ``x`` whose lines start at ``y`` (the first line's baseline) and go down."""
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else LINE}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>{spans}</text>'


def _width(lines: list[str], char: float) -> float:
    return max(len(line) for line in lines) * char


@dataclass(frozen=True)
class _Layout:
    """Where everything goes: the go path, the size of a box, the top-left corner of each box, the moves that
    arc above the path, and the size of the picture."""

    path: list[Stage]
    box_w: float
    box_h: float
    row_y: float
    position: dict[Stage, tuple[float, float]]
    arcs: set[tuple[Stage, Stage]]
    width: float
    height: float


def _layout(labels: dict[Stage, list[str]], move_labels: dict[tuple[Stage, Stage], list[str]]) -> _Layout:
    path = _go_path()
    off_path = [stage for stage in STAGES if stage not in path]
    box_w = max(_width(lines, NODE_CHAR) for lines in labels.values()) + 24
    box_h = max(len(lines) for lines in labels.values()) * LINE + 16
    # The gap between two stages of the path fits the labels of the moves between them, one outcome a line.
    between = [lines for (s, t), lines in move_labels.items()
               if s in path and t in path and abs(path.index(t) - path.index(s)) == 1]
    gap = max([_width(lines, EDGE_CHAR) + 16 for lines in between] + [48])
    # Arcs above the path: one level per stage they span.
    arcs = [(s, t) for s, t in move_labels if s in path and t in path and path.index(t) != path.index(s) + 1]
    span = max([abs(path.index(t) - path.index(s)) for s, t in arcs] + [0])
    arc_room = (28 + 24 * (span - 1) + LINE + 4) if arcs else 0

    width = len(path) * box_w + (len(path) - 1) * gap + 2 * MARGIN
    row_y = MARGIN + arc_room
    below_y = row_y + box_h + 72
    height = (below_y + box_h if off_path else row_y + box_h) + MARGIN
    position = {stage: (MARGIN + i * (box_w + gap), row_y) for i, stage in enumerate(path)}
    off_width = len(off_path) * box_w + (len(off_path) - 1) * gap
    for i, stage in enumerate(off_path):
        position[stage] = ((width - off_width) / 2 + i * (box_w + gap), below_y)
    return _Layout(path, box_w, box_h, row_y, position, set(arcs), width, height)


def _box(stage: Stage, lines: list[str], layout: _Layout, is_current: bool) -> str:
    x, y = layout.position[stage]
    fill = CURRENT_FILL if is_current else "white"
    first_baseline = y + layout.box_h / 2 - (len(lines) - 1) * LINE / 2 + NODE_FONT * 0.35
    return (f'<g class="{"stage current" if is_current else "stage"}" data-stage="{stage.value}">'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{layout.box_w:.1f}" height="{layout.box_h:.1f}" rx="6" '
            f'fill="{fill}" stroke="{CURRENT_FILL if is_current else TEXT}"/>'
            + _text(x + layout.box_w / 2, first_baseline, lines, NODE_FONT, fill="white" if is_current else TEXT,
                    font_weight="bold" if is_current else "normal")
            + "</g>")


def _arrow(move: DrawnMove, lines: list[str], layout: _Layout) -> str:
    colour, dash = EDGE_STYLES.get(move.outcomes[0], PLAIN_EDGE)
    marker = move.outcomes[0].value if move.outcomes[0] in EDGE_STYLES else "plain"
    path, box_w, box_h, row_y = layout.path, layout.box_w, layout.box_h, layout.row_y
    sx, sy = layout.position[move.source]
    tx, ty = layout.position[move.target]
    anchor = "middle"
    if (move.source, move.target) in layout.arcs:
        # Back along the path: from the left of the source's top to the right of the target's; forward skips
        # leave and arrive at the middle, so the two kinds never share an end.
        steps = abs(path.index(move.target) - path.index(move.source))
        backward = path.index(move.target) < path.index(move.source)
        x1 = sx + box_w * (0.25 if backward else 0.5)
        x2 = tx + box_w * (0.75 if backward else 0.5)
        rise = 28 + 24 * (steps - 1)
        top = row_y - rise * 4 / 3
        line = f"M{x1:.1f},{row_y:.1f} C{x1:.1f},{top:.1f} {x2:.1f},{top:.1f} {x2:.1f},{row_y:.1f}"
        label_lines = [" / ".join(lines)]
        label_x, label_y = (x1 + x2) / 2, row_y - rise - 5
    elif move.source in path and move.target in path:
        x1, x2 = sx + box_w, tx
        y1 = row_y + box_h / 2
        line = f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y1:.1f}"
        label_lines = lines
        label_x, label_y = (x1 + x2) / 2, y1 - 6 - (len(label_lines) - 1) * LINE
    else:
        # Between the rows: from the bottom of the upper box to the top of the lower one.
        down = ty > sy
        x1, y1 = sx + box_w / 2, sy + (box_h if down else 0)
        x2, y2 = tx + box_w / 2, ty + (0 if down else box_h)
        line = f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
        label_lines = [" / ".join(lines)]
        # The label sits where the line leaves its box, on the side the line does not go to: lines that meet
        # at one box are still apart there.
        leftwards = x2 < x1 - 1
        label_x, label_y = x1 + (6 if leftwards else -6), y1 + (EDGE_FONT + 3 if down else -5)
        anchor = "start" if leftwards else "end"
    dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<g class="move" data-source="{move.source.value}" data-target="{move.target.value}" '
            f'data-outcomes="{" ".join(o.value for o in move.outcomes)}">'
            f'<path d="{line}" fill="none" stroke="{colour}" stroke-width="1.3"{dash_attribute} '
            f'marker-end="url(#lifecycle-arrow-{marker})"/>'
            + _text(label_x, label_y, label_lines, EDGE_FONT, anchor, fill=colour)
            + "</g>")


def lifecycle_svg(current: str, translate: Callable[[str], str]) -> str:
    """The lifecycle as an SVG picture: one box per stage, ``current`` filled, and one arrow per pair of stages
    a gate outcome connects, labelled with those outcomes (``translate`` turns a msgid into the reader's
    language; pages pass their ``_``). Each box is a ``<g class="stage" data-stage=...>`` (class "stage current"
    for ``current``), each arrow a ``<g class="move" data-source=... data-target=... data-outcomes=...>``."""
    labels = {stage: _lines(translate(STAGE_LABELS[stage])) for stage in STAGES}
    moves = drawn_moves()
    move_labels = {(m.source, m.target): [translate(OUTCOME_LABELS[o]) for o in m.outcomes] for m in moves}
    layout = _layout(labels, move_labels)
    width, height = f"{layout.width:.0f}", f"{layout.height:.0f}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" font-family="{FONT}">',
             f'<rect width="{width}" height="{height}" rx="8" fill="white"/>', "<defs>"]
    for name, (colour, _dash) in {"plain": PLAIN_EDGE, **EDGE_STYLES}.items():
        parts.append(f'<marker id="lifecycle-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                     f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>'
                     "</marker>")
    parts.append("</defs>")
    parts += [_box(stage, labels[stage], layout, stage == current) for stage in STAGES]
    parts += [_arrow(move, move_labels[move.source, move.target], layout) for move in moves]
    parts.append("</svg>")
    return "".join(parts)
