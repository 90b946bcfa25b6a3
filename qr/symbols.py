"""QR symbol construction, fast enough to print a thousand labels in a second.

qrcode does the data encoding (mode segments, version fit, Reed-Solomon). Its module
placement and mask selection build and score eight full matrices in Python (~3.5 ms a
symbol); here the data is placed once, and each mask is applied and scored on the whole
matrix packed into one integer, row by row and column by column, with bit operations
(~0.5 ms a symbol). The penalty rules reproduce `qrcode.util.lost_point` exactly (format
areas scored as light, like qrcode's test matrices), so the chosen mask and the symbol are
identical to qrcode's own output; tests/qr check that.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any, Literal, TypeAlias

from qrcode import QRCode, util
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

ErrorCorrection: TypeAlias = Literal["L", "M", "Q", "H"]
Symbol: TypeAlias = tuple[tuple[bool, ...], ...]

_LEVELS: dict[str, int] = {
    "L": ERROR_CORRECT_L,
    "M": ERROR_CORRECT_M,
    "Q": ERROR_CORRECT_Q,
    "H": ERROR_CORRECT_H,
}


@dataclass(frozen=True, slots=True)
class _Layout:
    """Everything about a version that does not depend on the data.

    Matrices are packed into integers: each line (row, or column) of `size` bits is followed
    by a separator bit that is neither dark nor light, so no pattern matches across lines.
    """

    size: int
    # itemgetters from "0" + data bits to the characters of the packed matrix, row-major
    # and column-major
    place_rows: Callable[[str], tuple[str, ...]]
    place_columns: Callable[[str], tuple[str, ...]]
    data_capacity: int
    valid: int  # every non-separator bit
    scored_rows: int  # function patterns, with format and version areas light
    scored_columns: int
    mask_rows: tuple[int, ...]  # per mask pattern, only on data modules
    mask_columns: tuple[int, ...]


def _pack(lines: Sequence[Sequence[bool | None]]) -> int:
    return int("".join("".join("1" if cell else "0" for cell in line) + "0" for line in lines), 2)


def _blank_qrcode(version: int, level: int) -> QRCode[Any]:  # never drawn as an image
    symbol = QRCode(version=version, error_correction=level)
    symbol.modules_count = size = version * 4 + 17
    symbol.modules = [[None] * size for _ in range(size)]
    symbol.setup_position_probe_pattern(0, 0)
    symbol.setup_position_probe_pattern(size - 7, 0)
    symbol.setup_position_probe_pattern(0, size - 7)
    symbol.setup_position_adjust_pattern()
    symbol.setup_timing_pattern()
    # qrcode scores candidate masks with format and version areas drawn light ("test").
    symbol.setup_type_info(True, 0)
    if version >= 7:
        symbol.setup_type_number(True)
    return symbol


@cache
def _layout(version: int) -> _Layout:
    blank = _blank_qrcode(version, ERROR_CORRECT_M).modules
    size = len(blank)
    order: list[int] = []
    row, step = size - 1, -1
    for right in range(size - 1, 0, -2):
        if right <= 6:  # the vertical timing pattern shifts the column pairs left
            right -= 1
        while 0 <= row < size:
            order.extend(row * size + c for c in (right, right - 1) if blank[row][c] is None)
            row += step
        row -= step
        step = -step
    source = [0] * (size * size)
    for position, flat in enumerate(order):
        source[flat] = position + 1
    by_rows: list[int] = []
    by_columns: list[int] = []
    for line in range(size):
        by_rows.extend([*source[line * size : (line + 1) * size], 0])
        by_columns.extend([*source[line::size], 0])
    masks = []
    for pattern in range(8):
        flips = util.mask_func(pattern)
        masks.append(
            [
                [cell is None and flips(r, c) for c, cell in enumerate(line)]
                for r, line in enumerate(blank)
            ]
        )
    return _Layout(
        size=size,
        place_rows=itemgetter(*by_rows),
        place_columns=itemgetter(*by_columns),
        data_capacity=len(order),
        valid=_pack([[True] * size] * size),
        scored_rows=_pack(blank),
        scored_columns=_pack(list(zip(*blank, strict=True))),
        mask_rows=tuple(_pack(mask) for mask in masks),
        mask_columns=tuple(_pack(list(zip(*mask, strict=True))) for mask in masks),
    )


@cache
def _final_rows(version: int, level: int, pattern: int) -> int:
    symbol = _blank_qrcode(version, level)
    symbol.setup_type_info(False, pattern)
    if version >= 7:
        symbol.setup_type_number(False)
    return _pack(symbol.modules)


def _line_penalty(dark: int, light: int) -> int:
    """Rules 1 (runs of five or more) and 3 (1:1:3:1:1 finder-like patterns) along lines."""
    score = 0
    for same in (dark, light):
        # A bit per window of five equal modules: a run of n has n - 4 and costs n - 2.
        windows = same & same >> 1 & same >> 2 & same >> 3 & same >> 4
        score += windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
    # The two patterns are mirror images, so the packing direction does not matter.
    inner = light >> 1 & dark >> 4 & light >> 5 & dark >> 6 & light >> 9
    left = dark >> 10 & dark >> 8 & dark >> 7 & light >> 3 & light >> 2 & light
    right = light >> 10 & light >> 8 & light >> 7 & dark >> 3 & dark >> 2 & dark
    return score + 40 * (inner & (left | right)).bit_count()


def _penalty(rows: int, columns: int, layout: _Layout) -> int:
    size, valid = layout.size, layout.valid
    light_rows = ~rows & valid
    score = _line_penalty(rows, light_rows) + _line_penalty(columns, ~columns & valid)
    below = size + 1
    for same in (rows, light_rows):
        score += 3 * (same & same >> 1 & same >> below & same >> (below + 1)).bit_count()
    return score + int(abs(float(rows.bit_count()) / size**2 * 100 - 50) / 5) * 10


def build_symbol(data: str, level: ErrorCorrection = "M") -> Symbol:
    """The QR symbol for `data` as rows of modules (True is dark), without quiet zone."""
    ec = _LEVELS[level]
    encoder = QRCode(error_correction=ec)
    encoder.add_data(data)
    version = encoder.best_fit()
    layout = _layout(version)
    codewords = util.create_data(version, ec, encoder.data_list)
    bits = "0" + "".join(format(codeword, "08b") for codeword in codewords)
    bits = bits.ljust(layout.data_capacity + 1, "0")
    data_rows = int("".join(layout.place_rows(bits)), 2)
    data_columns = int("".join(layout.place_columns(bits)), 2)

    best_pattern, best_score = 0, -1
    for pattern in range(8):
        score = _penalty(
            layout.scored_rows | data_rows ^ layout.mask_rows[pattern],
            layout.scored_columns | data_columns ^ layout.mask_columns[pattern],
            layout,
        )
        if best_score < 0 or score < best_score:
            best_pattern, best_score = pattern, score

    size = layout.size
    final = _final_rows(version, ec, best_pattern) | data_rows ^ layout.mask_rows[best_pattern]
    text = format(final, f"0{size * (size + 1)}b")
    return tuple(
        tuple(char == "1" for char in text[start : start + size])
        for start in range(0, len(text), size + 1)
    )
