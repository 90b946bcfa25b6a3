from collections.abc import Callable
from dataclasses import dataclass

import pytest

from qr.captions import ELLIPSIS, fit_caption, line_units
from qr.fonts import EstimatedMetrics, FontFile, font_metrics, is_wide
from qr.labels import MIN_SUBTITLE, MIN_TITLE, LabelContent, LabelLayout, layout_label
from qr.presets import PRESETS

PRESET_NAMES = sorted(PRESETS)
LONG_TITLE = (
    "海淀区第一实验小学北校区综合楼五层东侧走廊消防栓箱及手提式干粉灭火器 MFZ/ABC4 "
    "Fire hydrant cabinet and portable extinguisher, east corridor"
)
LONG_SUBTITLE = "综合楼 · 5F · 东侧走廊靠近楼梯间 · Building C, staircase 2, next to room 512"


@dataclass(frozen=True)
class Monospace:
    """Every character one unit wide (CJK two), so wrapping can be checked by counting."""

    ascent: float = 0.8
    descent: float = 0.2

    def width(self, text: str) -> float:
        return sum(2.0 if is_wide(char) else 1.0 for char in text)


def _letters(text: str) -> str:
    return "".join(char for char in text if char not in " ·›")


def _inside(inner: tuple[float, float, float, float], outer: tuple[float, ...]) -> bool:
    tolerance = 1e-9
    return (
        inner[0] >= outer[0] - tolerance
        and inner[1] >= outer[1] - tolerance
        and inner[2] <= outer[2] + tolerance
        and inner[3] <= outer[3] + tolerance
    )


def _check_geometry(layout: LabelLayout) -> None:
    label = (0.0, 0.0, layout.width, layout.height)
    qr_box = (layout.qr_x, layout.qr_y, layout.qr_x + layout.qr_side, layout.qr_y + layout.qr_side)
    assert _inside(qr_box, label)
    for line in layout.lines:
        assert _inside(line.box, label), (line.role, line.text, line.box)
        assert line.box[0] >= qr_box[2] - 1e-9, "text overlaps the QR quiet zone"
    for upper, lower in zip(layout.lines, layout.lines[1:], strict=False):
        assert upper.box[3] <= lower.box[1] + 1e-9, (upper.text, lower.text)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_long_captions_are_wrapped_shrunk_and_cut_inside_the_label(
    name: str, cjk_font: FontFile, make_content: Callable[..., LabelContent]
) -> None:
    content = make_content(title=LONG_TITLE, subtitle=LONG_SUBTITLE)
    layout = layout_label(content, PRESETS[name], font_metrics(cjk_font))
    _check_geometry(layout)
    titles = [line for line in layout.lines if line.role == "title"]
    subtitles = [line for line in layout.lines if line.role == "subtitle"]
    assert len(titles) == 2 and titles[-1].text.endswith(ELLIPSIS)
    assert all(line.size == MIN_TITLE for line in titles)
    assert len(subtitles) in (1, 2)
    assert all(line.size >= MIN_SUBTITLE for line in subtitles)
    # What is printed is the start of each caption, in order.
    for lines, caption in ((titles, LONG_TITLE), (subtitles, LONG_SUBTITLE)):
        printed = _letters("".join(line.text for line in lines).removesuffix(ELLIPSIS))
        assert _letters(caption).startswith(printed)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_typical_label_keeps_everything_and_a_large_qr(
    name: str, cjk_font: FontFile, make_content: Callable[..., LabelContent]
) -> None:
    preset = PRESETS[name]
    content = make_content()
    layout = layout_label(content, preset, font_metrics(cjk_font))
    _check_geometry(layout)
    symbol_mm = layout.module * len(layout.symbol)
    assert symbol_mm >= 18.0
    assert layout.qr_side == pytest.approx(layout.module * (len(layout.symbol) + 8))
    by_role = {
        role: [line.text for line in layout.lines if line.role == role]
        for role in ("org", "title", "subtitle", "code")
    }
    assert by_role["code"] == [f"{content.code[:4]}-{content.code[4:]}"]
    assert "".join(by_role["title"]).replace(" ", "") == content.title.replace(" ", "")
    assert not any(text.endswith(ELLIPSIS) for text in by_role["title"] + by_role["subtitle"])
    code_line = layout.lines[-1]
    assert code_line.size >= max(line.size for line in layout.lines[:-1])  # read aloud
    assert code_line.box[3] == pytest.approx(preset.label_height - 1.8)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_svg_layout_with_estimated_metrics_also_fits(
    name: str, make_content: Callable[..., LabelContent]
) -> None:
    content = make_content(title=LONG_TITLE, subtitle=LONG_SUBTITLE)
    _check_geometry(layout_label(content, PRESETS[name], EstimatedMetrics()))


def test_chinese_breaks_between_characters_latin_only_at_spaces() -> None:
    assert line_units("灭火器 MFZ/ABC4 东侧") == ["灭", "火", "器 ", "MFZ/ABC4 ", "东", "侧"]
    assert line_units("Fire  hydrant\ncabinet") == ["Fire ", "hydrant ", "cabinet"]


def test_punctuation_does_not_start_or_end_a_line() -> None:
    assert line_units("走廊（东侧），配电箱") == ["走", "廊", "（东", "侧），", "配", "电", "箱"]


def test_caption_fits_on_one_line_at_full_size_when_it_can() -> None:
    caption = fit_caption("配电箱 B-12", Monospace(), width=100, height=10, max_size=4, min_size=2)
    assert caption.lines == ("配电箱 B-12",)
    assert caption.size == 4
    assert caption.complete


def test_caption_wraps_in_two_balanced_lines_and_shrinks() -> None:
    text = "Emergency exit lighting inspection point"
    caption = fit_caption(text, Monospace(), width=40, height=10, max_size=2, min_size=1)
    assert len(caption.lines) == 2
    assert " ".join(caption.lines) == text  # no word split
    assert max(len(line) for line in caption.lines) * caption.size <= 40
    assert caption.size == pytest.approx(40 / max(len(line) for line in caption.lines))


def test_caption_too_long_is_cut_with_an_ellipsis_at_minimum_size() -> None:
    text = "二号楼三层走廊东侧消防栓箱"  # 13 wide characters, 26 units
    caption = fit_caption(text, Monospace(), width=10, height=10, max_size=2, min_size=1)
    assert caption.size == 1
    assert not caption.complete
    assert caption.lines[0] == "二号楼三层"
    assert caption.lines[1] == "走廊东侧" + ELLIPSIS
    assert all(Monospace().width(line) <= 10 for line in caption.lines)


def test_caption_gets_one_line_when_only_one_fits_in_height() -> None:
    text = "Emergency exit lighting inspection point"
    caption = fit_caption(text, Monospace(), width=20, height=1.5, max_size=1, min_size=1)
    assert caption.lines == ("Emergency exit ligh" + ELLIPSIS,)


def test_word_longer_than_the_line_is_split_rather_than_lost() -> None:
    caption = fit_caption(
        "ABCDEFGHIJKLMNOP", Monospace(), width=10, height=10, max_size=1, min_size=1
    )
    assert caption.lines == ("ABCDEFGHIJ", "KLMNOP")
    assert caption.complete


@pytest.mark.parametrize("separator", ["·", "›"])
def test_a_separator_where_the_line_breaks_is_dropped(separator: str) -> None:
    text = f"教学楼A {separator} 3F {separator} 301 Classroom"
    caption = fit_caption(text, Monospace(), width=16, height=10, max_size=1, min_size=1)
    assert len(caption.lines) == 2
    assert not caption.lines[0].endswith(separator) and not caption.lines[1].startswith(separator)
    assert _letters("".join(caption.lines)) == _letters(text)
    assert caption.complete
