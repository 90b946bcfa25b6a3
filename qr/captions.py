"""Fitting a caption into a box: the largest size at which it fits in at most two lines,
else the smallest size with the text cut short by an ellipsis.

Chinese text may break between any two characters, Latin text only at spaces, and no line
starts with closing punctuation or ends with opening punctuation.
"""

from dataclasses import dataclass
from itertools import pairwise

from qr.fonts import TextMetrics, is_wide

ELLIPSIS = "…"
_NO_BREAK_BEFORE = frozenset("，。、；：？！）」』】》〉’”…·›>,.;:?!)]}%")
_NO_BREAK_AFTER = frozenset("（「『【《〈‘“([{")
# A separator such as the dot in "教学楼A · 3F · 301" is dropped where a line breaks at it.
_SEPARATOR_ENDS = " ·•|›>"


@dataclass(frozen=True, slots=True)
class Caption:
    lines: tuple[str, ...]
    size: float  # em size, in the unit of the box
    complete: bool = True  # False when the text was cut short


def _may_break(before: str, after: str) -> bool:
    if after in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER or after == " ":
        return False
    return before == " " or is_wide(before) or is_wide(after)


def line_units(text: str) -> list[str]:
    """The pieces a line may break between; a piece keeps the space that follows it."""
    text = " ".join(text.split())
    if not text:
        return []
    units = [text[0]]
    for before, after in pairwise(text):
        if _may_break(before, after):
            units.append(after)
        else:
            units[-1] += after
    return units


def _letters(text: str) -> str:
    return "".join(char for char in text if char not in _SEPARATOR_ENDS)


def _fits(text: str, metrics: TextMetrics, size: float, width: float) -> bool:
    return metrics.width(text) * size <= width


def _cut_to_fit(text: str, metrics: TextMetrics, size: float, width: float) -> str:
    """The longest start of `text` that fits, ending in an ellipsis if anything was cut."""
    if _fits(text, metrics, size, width):
        return text
    for end in range(len(text) - 1, -1, -1):
        candidate = text[:end].rstrip() + ELLIPSIS
        if _fits(candidate, metrics, size, width):
            return candidate
    return ""


def _greedy_lines(
    units: list[str], metrics: TextMetrics, size: float, width: float, max_lines: int
) -> tuple[str, ...]:
    """Lines filled in turn; the last one takes the rest, cut short if it does not fit."""
    lines: list[str] = []
    current = ""
    queue = list(units)
    while queue and len(lines) < max_lines - 1:
        unit = queue.pop(0)
        candidate = current + unit
        if _fits(candidate.rstrip(), metrics, size, width):
            current = candidate
        elif current:
            lines.append(current.rstrip(_SEPARATOR_ENDS))
            current = ""
            queue.insert(0, unit)
        else:  # one word wider than the line: split it between characters
            head = unit[0]
            while len(head) < len(unit) and _fits(unit[: len(head) + 1], metrics, size, width):
                head = unit[: len(head) + 1]
            lines.append(head.rstrip())
            queue.insert(0, unit[len(head) :])
    rest = (current + "".join(queue)).strip()
    return (*lines, _cut_to_fit(rest, metrics, size, width)) if rest else tuple(lines)


def fit_caption(
    text: str,
    metrics: TextMetrics,
    *,
    width: float,
    height: float,
    max_size: float,
    min_size: float,
    max_lines: int = 2,
) -> Caption:
    units = line_units(text)
    if not units:
        return Caption((), max_size)
    line_height = metrics.ascent + metrics.descent
    whole = "".join(units).rstrip()
    # Candidate settings: (size at which it fits, lines).
    options: list[tuple[float, tuple[str, ...]]] = [
        (width / max(metrics.width(whole), 1e-9), (whole,))
    ]
    if max_lines >= 2 and len(units) > 1:
        # The break that makes the longer of two lines shortest allows the largest size.
        best = min(
            range(1, len(units)),
            key=lambda k: max(
                metrics.width("".join(units[:k]).rstrip(_SEPARATOR_ENDS)),
                metrics.width("".join(units[k:]).rstrip()),
            ),
        )
        split = ("".join(units[:best]).rstrip(_SEPARATOR_ENDS), "".join(units[best:]).rstrip())
        pair = tuple(line for line in split if line)
        options.append((width / max(metrics.width(line) for line in pair), pair))
    fitting = [
        (min(size, max_size, height / (line_height * len(lines))), lines) for size, lines in options
    ]
    size, lines = max(fitting, key=lambda option: (option[0], -len(option[1])))
    if size >= min_size:
        return Caption(lines, size)
    rows = min(max_lines, int(height / (line_height * min_size) + 1e-9))
    lines = _greedy_lines(units, metrics, min_size, width, rows) if rows >= 1 else ()
    lines = tuple(line for line in lines if line)
    complete = _letters("".join(lines)) == _letters(whole)
    return Caption(lines, min_size, complete)
