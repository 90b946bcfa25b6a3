from collections.abc import Callable

import pypdfium2
import pytest

from qr.fonts import FontFile
from qr.labels import LabelContent
from qr.presets import PRESETS, LabelPreset
from qr.sheets import labels_pdf

SHEETS = [name for name, preset in PRESETS.items() if preset.kind == "sheet"]


def _grid(preset: LabelPreset) -> tuple[float, float, float, float]:
    left, top = preset.label_origin(0)
    right, bottom = preset.label_origin(preset.labels_per_page - 1)
    return left, top, right + preset.label_width, bottom + preset.label_height


@pytest.mark.parametrize(
    ("name", "columns", "rows", "width", "height"),
    [
        ("a4-3x8", 3, 8, 70.0, 37.0),
        ("a4-4x10", 4, 10, 48.5, 25.4),
        ("a4-2x7", 2, 7, 99.1, 38.1),
    ],
)
def test_sheet_presets_match_the_stock(
    name: str, columns: int, rows: int, width: float, height: float
) -> None:
    preset = PRESETS[name]
    assert (preset.kind, preset.page_width, preset.page_height) == ("sheet", 210.0, 297.0)
    assert (preset.columns, preset.rows, preset.label_width, preset.label_height) == (
        columns,
        rows,
        width,
        height,
    )
    assert preset.labels_per_page == columns * rows


@pytest.mark.parametrize("name", SHEETS)
def test_sheet_grids_are_centred_on_the_page(name: str) -> None:
    preset = PRESETS[name]
    left, top, right, bottom = _grid(preset)
    assert left >= 0 and top >= 0
    assert left == pytest.approx(preset.page_width - right, abs=0.001)
    assert top == pytest.approx(preset.page_height - bottom, abs=0.001)


def test_sheet_margins_and_gaps_are_those_of_the_stock() -> None:
    assert (PRESETS["a4-3x8"].margin_left, PRESETS["a4-3x8"].margin_top) == (0.0, 0.5)
    assert (PRESETS["a4-4x10"].margin_left, PRESETS["a4-4x10"].margin_top) == (8.0, 21.5)
    two_by_seven = PRESETS["a4-2x7"]
    assert (two_by_seven.margin_left, two_by_seven.margin_top) == (4.65, 15.15)
    assert (two_by_seven.gap_x, two_by_seven.gap_y) == (2.5, 0.0)


@pytest.mark.parametrize(
    ("name", "size"), [("thermal-50x30", (50, 30)), ("thermal-62x29", (62, 29))]
)
def test_roll_presets_are_one_label_per_page(name: str, size: tuple[float, float]) -> None:
    preset = PRESETS[name]
    assert preset.kind == "roll"
    assert (preset.page_width, preset.page_height) == size
    assert (preset.label_width, preset.label_height) == size
    assert preset.labels_per_page == 1
    assert preset.label_origin(0) == (0.0, 0.0)


def test_progress_is_reported_after_each_label_and_pages_follow(
    cjk_font: FontFile, make_content: Callable[..., LabelContent]
) -> None:
    preset = PRESETS["a4-3x8"]
    seen: list[int] = []
    contents = (make_content() for _ in range(50))  # any iterable, consumed once
    pdf = labels_pdf(contents, preset, font=cjk_font, on_progress=seen.append)
    assert seen == list(range(1, 51))
    assert len(pypdfium2.PdfDocument(pdf)) == 3


def test_labels_share_one_embedded_font_and_pdfs_stay_small(
    cjk_font: FontFile, make_content: Callable[..., LabelContent]
) -> None:
    pdf = labels_pdf([make_content() for _ in range(48)], PRESETS["a4-3x8"], font=cjk_font)
    assert pdf.count(b"/FontFile2") == 1  # one subset of the TrueType font
    assert len(pdf) < 100_000
