"""One tag label: the QR symbol on the left; to its right the asset, its place, and the code
printed large enough to read aloud.

`layout_label` decides every position and size from text measurements; the PNG and SVG
renderers here and the PDF renderer in `qr.sheets` only draw what it decided. Lengths are
millimetres from the label's top-left corner.
"""

import io
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont

from qr.captions import Caption, fit_caption
from qr.codes import format_code
from qr.fonts import SVG_FONT_FAMILY, EstimatedMetrics, FontFile, TextMetrics, font_metrics
from qr.presets import LabelPreset
from qr.render import QUIET_ZONE, qr_symbol, svg_path_data, symbol_image
from qr.symbols import Symbol

QR_INSET = 1.0  # label edge to the outer edge of the quiet zone
TEXT_PAD = 1.8  # label edge to text: die-cut sheets shift by up to a millimetre in printers
BLOCK_GAP = 0.6
CODE_STROKE = 0.035  # outline added to the code's glyphs to make it bold, in em
# Em sizes. The minimums are about 6 pt: still legible printed at 300 dpi.
CODE_MAX, TITLE_MAX, SUBTITLE_MAX = 6.0, 4.5, 3.0
MIN_TITLE, MIN_SUBTITLE = 2.2, 2.0

Role = Literal["org", "title", "subtitle", "code"]


@dataclass(frozen=True, slots=True)
class LabelContent:
    url: str
    code: str
    title: str
    subtitle: str
    org_line: str | None = None


@dataclass(frozen=True, slots=True)
class TextLine:
    role: Role
    text: str
    x: float
    baseline: float
    size: float  # em size
    width: float
    ascent: float  # above the baseline, in mm
    descent: float
    stroke: float = 0.0

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom)."""
        return (
            self.x - self.stroke,
            self.baseline - self.ascent - self.stroke,
            self.x + self.width + self.stroke,
            self.baseline + self.descent + self.stroke,
        )


@dataclass(frozen=True, slots=True)
class LabelLayout:
    width: float
    height: float
    symbol: Symbol
    qr_x: float  # top-left corner of the quiet zone
    qr_y: float
    module: float
    lines: tuple[TextLine, ...]

    @property
    def qr_side(self) -> float:
        """Side of the symbol with its quiet zone."""
        return self.module * (len(self.symbol) + 2 * QUIET_ZONE)


def _text_line(
    role: Role, text: str, metrics: TextMetrics, *, x: float, top: float, size: float
) -> TextLine:
    return TextLine(
        role=role,
        text=text,
        x=x,
        baseline=top + metrics.ascent * size,
        size=size,
        width=metrics.width(text) * size,
        ascent=metrics.ascent * size,
        descent=metrics.descent * size,
    )


def layout_label(content: LabelContent, preset: LabelPreset, metrics: TextMetrics) -> LabelLayout:
    width, height = preset.label_width, preset.label_height
    symbol = qr_symbol(content.url)
    qr_side = height - 2 * QR_INSET
    left = QR_INSET + qr_side
    text_width = width - TEXT_PAD - left
    line_height = metrics.ascent + metrics.descent

    # The code goes at the bottom, as large as the width allows, outlined to look bold.
    printed = format_code(content.code)
    code_size = min(
        CODE_MAX, 0.19 * height, text_width / (metrics.width(printed) + 2 * CODE_STROKE)
    )
    stroke = CODE_STROKE * code_size
    code_top = height - TEXT_PAD - stroke - line_height * code_size
    code = replace(
        _text_line("code", printed, metrics, x=left + stroke, top=code_top, size=code_size),
        stroke=stroke,
    )
    room_bottom = code.box[1] - BLOCK_GAP

    # The other captions stack from the top: the title gets the largest size that leaves room
    # for one line of subtitle, and the subtitle what remains.
    lines: list[TextLine] = []
    y = TEXT_PAD

    def stack(role: Role, caption: Caption, gap_after: float) -> None:
        nonlocal y
        for text in caption.lines:
            lines.append(_text_line(role, text, metrics, x=left, top=y, size=caption.size))
            y += line_height * caption.size
        if caption.lines:
            y += gap_after

    if content.org_line:
        org_size = min(max(0.075 * height, 1.9), 2.5)
        org = fit_caption(
            content.org_line,
            metrics,
            width=text_width,
            height=line_height * org_size,
            max_size=org_size,
            min_size=org_size,
            max_lines=1,
        )
        stack("org", org, BLOCK_GAP)
    has_subtitle = bool(content.subtitle.strip())
    subtitle_reserve = line_height * MIN_SUBTITLE + BLOCK_GAP if has_subtitle else 0.0
    title = fit_caption(
        content.title,
        metrics,
        width=text_width,
        height=room_bottom - y - subtitle_reserve,
        max_size=min(TITLE_MAX, 0.14 * height),
        min_size=MIN_TITLE,
    )
    stack("title", title, BLOCK_GAP)
    subtitle = fit_caption(
        content.subtitle,
        metrics,
        width=text_width,
        height=room_bottom - y,
        max_size=max(MIN_SUBTITLE, min(SUBTITLE_MAX, 0.8 * title.size)),
        min_size=MIN_SUBTITLE,
    )
    stack("subtitle", subtitle, 0.0)
    lines.append(code)
    return LabelLayout(
        width=width,
        height=height,
        symbol=symbol,
        qr_x=QR_INSET,
        qr_y=QR_INSET,
        module=qr_side / (len(symbol) + 2 * QUIET_ZONE),
        lines=tuple(lines),
    )


@lru_cache(maxsize=64)
def _pillow_font(font: FontFile, size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        str(font.path), size_px, index=font.subfont_index, layout_engine=ImageFont.Layout.BASIC
    )


def label_png(
    content: LabelContent, preset: LabelPreset, *, dpi: int = 300, font: FontFile
) -> bytes:
    """A 1-bit image of the label at `dpi`; QR modules are whole pixels, so the symbol may be a
    little smaller than its place in the layout."""
    layout = layout_label(content, preset, font_metrics(font))
    px = dpi / 25.4
    image = Image.new("L", (round(layout.width * px), round(layout.height * px)), 255)
    module_px = max(1, int(layout.module * px))
    qr = symbol_image(layout.symbol, module_px)
    slack = (round(layout.qr_side * px) - qr.width) // 2
    image.paste(qr.convert("L"), (round(layout.qr_x * px) + slack, round(layout.qr_y * px) + slack))
    draw = ImageDraw.Draw(image)
    for line in layout.lines:
        draw.text(
            (line.x * px, line.baseline * px),
            line.text,
            font=_pillow_font(font, round(line.size * px, 2)),
            fill=0,
            anchor="ls",
            stroke_width=line.stroke * px,
            stroke_fill=0,
        )
    buffer = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def label_svg(content: LabelContent, preset: LabelPreset, *, font: FontFile | None = None) -> str:
    """The label as SVG in millimetres. The viewer picks the font, so without `font` text is
    measured with generous estimates to fit whichever CJK font it picks."""
    metrics = font_metrics(font) if font is not None else EstimatedMetrics()
    layout = layout_label(content, preset, metrics)
    side = len(layout.symbol) + 2 * QUIET_ZONE
    w, h = _num(layout.width), _num(layout.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}">',
        f'<rect width="{w}" height="{h}" fill="#fff"/>',
        f'<svg x="{_num(layout.qr_x)}" y="{_num(layout.qr_y)}" width="{_num(layout.qr_side)}" '
        f'height="{_num(layout.qr_side)}" viewBox="0 0 {side} {side}" '
        f'shape-rendering="crispEdges">',
        f'<path fill="#000" d="{svg_path_data(layout.symbol)}"/></svg>',
    ]
    family = quoteattr(SVG_FONT_FAMILY)
    for line in layout.lines:
        bold = ' font-weight="bold"' if line.stroke else ""
        parts.append(
            f'<text x="{_num(line.x)}" y="{_num(line.baseline)}" font-size="{_num(line.size)}" '
            f'font-family={family}{bold} fill="#000">{escape(line.text)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
