"""Chinese captions must be drawn with real glyphs, not the font's empty boxes (tofu)."""

import io
from collections.abc import Callable
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageFont

from qr.fonts import FIX_HINT, FontFile, FontNotFound, find_cjk_font, font_metrics
from qr.labels import LabelContent, label_png, layout_label
from qr.presets import PRESETS
from qr.sheets import labels_pdf

CAPTION = "灭火器二号楼走廊配电箱"
NOT_IN_ANY_FONT = "\U0010fffd"  # a private-use code point: drawn as .notdef


def _glyph(face: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes]:
    mask = face.getmask(char)
    return mask.size, bytes(mask)


def test_chinese_characters_have_their_own_glyphs(cjk_font: FontFile) -> None:
    face = ImageFont.truetype(str(cjk_font.path), 48, index=cjk_font.subfont_index)
    notdef = _glyph(face, NOT_IN_ANY_FONT)
    glyphs = {char: _glyph(face, char) for char in CAPTION + "K7QM-X3PX"}
    for char, glyph in glyphs.items():
        assert glyph != notdef, f"{char!r} is drawn as .notdef"
        assert any(glyph[1]), f"{char!r} is blank"
    assert len(set(glyphs.values())) == len(glyphs)  # distinct characters look distinct


def test_the_chosen_font_is_the_projects_truetype_collection(cjk_font: FontFile) -> None:
    # fonts-wqy-microhei is what the project's setup installs; reportlab can embed it.
    assert cjk_font == FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0)


def _ink(image: Image.Image, box: tuple[float, float, float, float], px_per_mm: float) -> int:
    left, top, right, bottom = (round(value * px_per_mm) for value in box)
    region = image.convert("L").crop((left, top, right, bottom))
    return sum(count for value, count in enumerate(region.histogram()) if value < 128)


def test_chinese_title_is_inked_in_png_and_pdf(
    cjk_font: FontFile, make_content: Callable[..., LabelContent]
) -> None:
    preset = PRESETS["a4-3x8"]
    content = make_content(title=CAPTION, subtitle="", org_line=None)
    layout = layout_label(content, preset, font_metrics(cjk_font))
    boxes = [line.box for line in layout.lines if line.role == "title"]
    title_box = (boxes[0][0], boxes[0][1], max(box[2] for box in boxes), boxes[-1][3])
    png = Image.open(io.BytesIO(label_png(content, preset, dpi=300, font=cjk_font)))
    title_area = (title_box[2] - title_box[0]) * (title_box[3] - title_box[1]) * (300 / 25.4) ** 2
    assert _ink(png, title_box, 300 / 25.4) > 0.08 * title_area

    page = pypdfium2.PdfDocument(labels_pdf([content], preset, font=cjk_font))[0]
    text = "".join(page.get_textpage().get_text_range().split())
    assert CAPTION in text  # the glyphs map back to the characters
    left, top = preset.label_origin(0)
    page_box = (title_box[0] + left, title_box[1] + top, title_box[2] + left, title_box[3] + top)
    assert _ink(page.render(scale=300 / 72).to_pil(), page_box, 300 / 25.4) > 0.08 * title_area


def test_missing_font_error_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound) as raised:
        find_cjk_font(tmp_path / "missing.ttc", search=())
    message = str(raised.value)
    assert message.startswith(
        "No CJK font found for label captions. Install one: apt-get install fonts-wqy-microhei "
        "(or set ROUNDKEEPER_LABEL_FONT to a TrueType .ttf/.ttc file)"
    )
    assert "missing.ttc" in message
    assert FIX_HINT in message


def test_preferred_font_comes_first_then_the_search_list_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "first.ttf", tmp_path / "second.ttc"
    first.write_bytes(b"")
    second.write_bytes(b"")
    search = (FontFile(tmp_path / "absent.ttc", 0), FontFile(second, 2), FontFile(first, 0))
    assert find_cjk_font(search=search) == FontFile(second, 2)
    assert find_cjk_font(first, search=search) == FontFile(first, 0)
    assert find_cjk_font(str(tmp_path / "nowhere.ttf"), search=search) == FontFile(second, 2)


def test_pdf_refuses_a_font_reportlab_cannot_embed(
    tmp_path: Path, make_content: Callable[..., LabelContent]
) -> None:
    cff_font = tmp_path / "NotoSansCJK-Regular.otf"
    cff_font.write_bytes(b"OTTO" + bytes(200))  # OpenType with CFF outlines
    with pytest.raises(FontNotFound, match="fonts-wqy-microhei"):
        labels_pdf([make_content()], PRESETS["a4-3x8"], font=FontFile(cff_font))
