import io
import random
import re

import pytest
import qrcode
import zxingcpp
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from qr.codes import ALPHABET
from qr.render import QUIET_ZONE, qr_matrix, qr_png, qr_svg
from qr.symbols import build_symbol

URL = "https://roundkeeper.school.example.cn/t/K7QMX3P4"
_QRCODE_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}


def _reference(data: str, level: str) -> list[list[bool]]:
    encoder = qrcode.QRCode(error_correction=_QRCODE_LEVELS[level], border=0)
    encoder.add_data(data)
    encoder.make(fit=True)
    return encoder.get_matrix()


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_symbols_are_identical_to_qrcode_output(level: str) -> None:
    # Same mask choice as qrcode's own penalty scoring, for versions 1 to 14 (7+ carry
    # version information).
    rng = random.Random(level)
    for length in (0, 3, 8, 8, 8, 30, 60, 120, 200):
        tail = "".join(rng.choice(ALPHABET) for _ in range(length))
        data = f"https://roundkeeper.school.example.cn/t/{tail}"
        assert [list(row) for row in build_symbol(data, level)] == _reference(data, level)


def test_label_urls_fit_version_4_at_level_m() -> None:
    assert len(qr_matrix(URL)) == 33


def test_matrix_is_a_copy_callers_may_change() -> None:
    matrix = qr_matrix(URL)
    matrix[0][0] = not matrix[0][0]
    assert qr_matrix(URL)[0][0] != matrix[0][0]


def test_png_decodes_and_has_the_quiet_zone() -> None:
    image = Image.open(io.BytesIO(qr_png(URL, box_size=6)))
    side = (len(qr_matrix(URL)) + 2 * QUIET_ZONE) * 6
    assert image.size == (side, side)
    assert image.convert("L").crop((0, 0, side, QUIET_ZONE * 6)).getextrema() == (255, 255)
    assert [result.text for result in zxingcpp.read_barcodes(image.convert("L"))] == [URL]


def matrix_from_svg_path(path_data: str, side: int) -> list[list[bool]]:
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


def with_quiet_zone(matrix: list[list[bool]]) -> list[list[bool]]:
    side = len(matrix) + 2 * QUIET_ZONE
    blank = [False] * side
    pad = [False] * QUIET_ZONE
    return [blank] * QUIET_ZONE + [pad + row + pad for row in matrix] + [blank] * QUIET_ZONE


def test_svg_is_one_path_of_merged_runs_equal_to_the_matrix() -> None:
    svg = qr_svg(URL)
    matrix = with_quiet_zone(qr_matrix(URL))
    assert f'viewBox="0 0 {len(matrix)} {len(matrix)}"' in svg
    paths = re.findall(r'<path [^>]*d="([^"]*)"', svg)
    assert len(paths) == 1
    assert "<rect" not in svg.replace('<rect width="41" height="41" fill="#fff"/>', "")
    assert matrix_from_svg_path(paths[0], len(matrix)) == matrix
    dark_modules = sum(map(sum, matrix))
    assert paths[0].count("M") < dark_modules * 0.7  # runs merged, not one square each
