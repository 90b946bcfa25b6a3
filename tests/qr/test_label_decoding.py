"""Every label must scan: rasterised as a printer would, then read by a real decoder."""

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from qr.fonts import FontFile
from qr.labels import LabelContent, label_png, label_svg
from qr.presets import PRESETS
from qr.render import qr_matrix, qr_svg
from qr.sheets import labels_pdf

PRESET_NAMES = sorted(PRESETS)
URL = "https://roundkeeper.school.example.cn/t/K7QMX3PX"
QUIET_ZONE = 4  # modules, as ISO/IEC 18004 requires
SVG = "{http://www.w3.org/2000/svg}"
TITLES = ["二号楼三层走廊 灭火器 MFZ/ABC4", "配电箱 B-12", "实验室 洗眼器", "操场东侧 AED 除颤仪"]


@pytest.fixture
def some_contents(make_content: Callable[..., LabelContent]) -> Callable[[int], list[LabelContent]]:
    return lambda count: [make_content(title=TITLES[i % len(TITLES)]) for i in range(count)]


def _decoded(image: Image.Image) -> set[str]:
    return {result.text for result in zxingcpp.read_barcodes(image.convert("L"))}


def _matrix_from_svg_path(path_data: str, side: int) -> list[list[bool]]:
    """Fills the rectangles of a path made of `M x y h n v1 h-n z` runs."""
    grid = [[False] * side for _ in range(side)]
    commands = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path_data)
    assert "".join(f"M{x} {y}h{n}v1h-{m}z" for x, y, n, m in commands) == path_data
    for x, y, length, back in commands:
        assert length == back
        for column in range(int(x), int(x) + int(length)):
            assert not grid[int(y)][column], "runs overlap"
            grid[int(y)][column] = True
    return grid


def _with_quiet_zone(matrix: list[list[bool]]) -> list[list[bool]]:
    side = len(matrix) + 2 * QUIET_ZONE
    pad = [False] * QUIET_ZONE
    return (
        [[False] * side for _ in range(QUIET_ZONE)]
        + [pad + row + pad for row in matrix]
        + [[False] * side for _ in range(QUIET_ZONE)]
    )


def _rasterise(matrix: list[list[bool]], module_px: int) -> Image.Image:
    image = Image.new("L", (len(matrix) * module_px,) * 2, 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                box = (x * module_px, y * module_px, (x + 1) * module_px, (y + 1) * module_px)
                image.paste(0, box)
    return image


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_label_of_a_pdf_scans(
    name: str, cjk_font: FontFile, some_contents: Callable[[int], list[LabelContent]]
) -> None:
    preset = PRESETS[name]
    count = 5 if preset.kind == "sheet" else 3
    contents = some_contents(count)
    document = pypdfium2.PdfDocument(labels_pdf(contents, preset, font=cjk_font))
    assert len(document) == (1 if preset.kind == "sheet" else count)
    found: set[str] = set()
    for page in document:
        assert page.get_size() == pytest.approx(
            (preset.page_width / 25.4 * 72, preset.page_height / 25.4 * 72), abs=0.01
        )
        found |= _decoded(page.render(scale=300 / 72).to_pil())
    assert found == {content.url for content in contents}


def test_a_full_page_of_the_densest_sheet_scans(
    cjk_font: FontFile, some_contents: Callable[[int], list[LabelContent]]
) -> None:
    preset = PRESETS["a4-4x10"]
    contents = some_contents(preset.labels_per_page + 1)
    document = pypdfium2.PdfDocument(labels_pdf(contents, preset, font=cjk_font))
    assert len(document) == 2
    first_page = {content.url for content in contents[:-1]}
    assert _decoded(document[0].render(scale=300 / 72).to_pil()) == first_page
    assert _decoded(document[1].render(scale=300 / 72).to_pil()) == {contents[-1].url}


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_label_png_scans_and_records_size_and_dpi(
    name: str, cjk_font: FontFile, make_content: Callable[..., LabelContent]
) -> None:
    preset = PRESETS[name]
    content = make_content()
    image = Image.open(io.BytesIO(label_png(content, preset, dpi=300, font=cjk_font)))
    assert image.mode in ("1", "L")
    assert image.size == (
        round(preset.label_width / 25.4 * 300),
        round(preset.label_height / 25.4 * 300),
    )
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert _decoded(image) == {content.url}


def test_label_png_scans_at_thermal_printer_resolution(
    cjk_font: FontFile, make_content: Callable[..., LabelContent]
) -> None:
    content = make_content()
    png = label_png(content, PRESETS["thermal-50x30"], dpi=203, font=cjk_font)
    assert _decoded(Image.open(io.BytesIO(png))) == {content.url}


def test_qr_svg_is_one_path_of_merged_runs_equal_to_the_matrix() -> None:
    svg = qr_svg(URL)
    matrix = _with_quiet_zone(qr_matrix(URL))
    root = ET.fromstring(svg)
    assert root.get("viewBox") == f"0 0 {len(matrix)} {len(matrix)}"
    (path,) = root.findall(f"{SVG}path")
    path_data = path.get("d", "")
    assert _matrix_from_svg_path(path_data, len(matrix)) == matrix
    assert path_data.count("M") < sum(map(sum, matrix)) * 0.7  # runs merged, not one per module
    assert _decoded(_rasterise(matrix, 6)) == {URL}


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_label_svg_draws_the_symbol_with_its_quiet_zone(
    name: str, make_content: Callable[..., LabelContent]
) -> None:
    preset = PRESETS[name]
    content = make_content(title='消防栓 <B&C> "东"')
    root = ET.fromstring(label_svg(content, preset))  # well-formed: text is escaped
    assert root.get("width") == f"{preset.label_width:g}mm"
    assert root.get("height") == f"{preset.label_height:g}mm"
    texts = [element.text or "" for element in root.iter(f"{SVG}text")]
    assert any("<B&C>" in text for text in texts)

    (symbol_box,) = root.findall(f"{SVG}svg")
    (path,) = symbol_box.findall(f"{SVG}path")
    matrix = _with_quiet_zone(qr_matrix(content.url))
    assert symbol_box.get("viewBox") == f"0 0 {len(matrix)} {len(matrix)}"
    x, y, side = (float(symbol_box.get(key, "nan")) for key in ("x", "y", "width"))
    assert x >= 0 and y >= 0
    assert x + side <= preset.label_width and y + side <= preset.label_height
    drawn = _matrix_from_svg_path(path.get("d", ""), len(matrix))
    assert drawn == matrix
    assert _decoded(_rasterise(drawn, 6)) == {content.url}


def test_label_svg_text_names_the_cjk_fonts(make_content: Callable[..., LabelContent]) -> None:
    svg = label_svg(make_content(), PRESETS["a4-3x8"])
    assert set(re.findall(r'font-family="([^"]*)"', svg)) == {
        "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
    }
    assert svg.count('font-weight="bold"') == 1  # the code
