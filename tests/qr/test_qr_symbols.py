import io
import random

import pytest
import qrcode
import zxingcpp
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from qr.codes import ALPHABET
from qr.render import qr_matrix, qr_png
from qr.symbols import build_symbol

QUIET_ZONE = 4  # modules, as ISO/IEC 18004 requires
URL = "https://roundkeeper.school.example.cn/t/K7QMX3PX"
_QRCODE_LEVELS = {
    "L": ERROR_CORRECT_L,
    "M": ERROR_CORRECT_M,
    "Q": ERROR_CORRECT_Q,
    "H": ERROR_CORRECT_H,
}


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


def test_a_48_byte_label_url_fits_version_5_at_level_q() -> None:
    # Level Q (25% recovery) because labels get worn and stained; version 5 is 37 modules.
    assert len(qr_matrix(URL)) == 37


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
