"""Printable PDFs of labels: sheets of die-cut labels, or one page per label for roll printers."""

import io
import zlib
from collections.abc import Callable, Iterable
from typing import Final

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from qr.fonts import FIX_HINT, FontFile, FontNotFound, font_metrics
from qr.labels import LabelContent, LabelLayout, layout_label
from qr.presets import LabelPreset
from qr.render import QUIET_ZONE, dark_runs

_FILL_TEXT_AND_OUTLINE: Final = 2  # PDF text rendering mode: the code is outlined to look bold


def _registered_font(font: FontFile) -> str:
    path_hash = zlib.crc32(str(font.path.resolve()).encode())
    name = f"RoundkeeperLabel-{font.path.stem}-{font.subfont_index}-{path_hash:08x}"
    if name not in pdfmetrics.getRegisteredFontNames():
        try:
            face = TTFont(name, str(font.path), subfontIndex=font.subfont_index)
        except TTFError as error:
            # Typically an OpenType font with CFF outlines (Noto CJK), which reportlab refuses.
            raise FontNotFound(
                f"{font.path} cannot be embedded in PDF ({error}). {FIX_HINT}"
            ) from error
        pdfmetrics.registerFont(face)
    return name


def _qr_operators(layout: LabelLayout) -> str:
    """PDF operators filling the dark modules, in a coordinate system of one unit a module."""
    return (
        " ".join(
            f"{column} {row} {length} 1 re" for row, column, length in dark_runs(layout.symbol)
        )
        + " f"
    )


def _draw_label(
    canvas: Canvas, layout: LabelLayout, left: float, top: float, page_top: float, font_name: str
) -> None:
    """Draws at (left, top), in millimetres from the page's top-left corner; reportlab's
    origin is the bottom-left corner, `page_top` points above it."""
    module = layout.module * mm
    canvas.saveState()
    canvas.transform(
        module,
        0,
        0,
        -module,
        (left + layout.qr_x) * mm + QUIET_ZONE * module,
        page_top - (top + layout.qr_y) * mm - QUIET_ZONE * module,
    )
    canvas.addLiteral(_qr_operators(layout))
    canvas.restoreState()
    for line in layout.lines:
        canvas.setFont(font_name, line.size * mm)
        x, y = (left + line.x) * mm, page_top - (top + line.baseline) * mm
        if line.stroke:
            canvas.setLineWidth(2 * line.stroke * mm)  # half of the outline falls inside the glyph
            canvas.drawString(x, y, line.text, mode=_FILL_TEXT_AND_OUTLINE)
        else:
            canvas.drawString(x, y, line.text)


def _start_page(canvas: Canvas) -> None:
    canvas.setFillGray(0)
    canvas.setStrokeGray(0)
    canvas.setLineJoin(1)  # round: mitred outlines spike at the code's sharp corners


def labels_pdf(
    contents: Iterable[LabelContent],
    preset: LabelPreset,
    *,
    font: FontFile,
    on_progress: Callable[[int], None] | None = None,
) -> bytes:
    """Labels in preset order (left to right, then down, page after page); `on_progress` is
    told how many labels are drawn so far, after each one."""
    font_name = _registered_font(font)
    metrics = font_metrics(font)
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(preset.page_width * mm, preset.page_height * mm),
        pageCompression=1,
        invariant=1,
    )
    canvas.setTitle("Roundkeeper labels")
    _start_page(canvas)
    per_page = preset.labels_per_page
    done = 0
    for done, content in enumerate(contents, start=1):
        slot = (done - 1) % per_page
        if slot == 0 and done > 1:
            canvas.showPage()
            _start_page(canvas)
        left, top = preset.label_origin(slot)
        layout = layout_label(content, preset, metrics)
        _draw_label(canvas, layout, left, top, preset.page_height * mm, font_name)
        if on_progress is not None:
            on_progress(done)
    canvas.save()
    return buffer.getvalue()
