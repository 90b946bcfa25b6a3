"""The QR symbol for a URL, as a matrix, a PNG and an SVG."""

import io
from collections.abc import Iterator
from functools import lru_cache

from PIL import Image, ImageOps

from qr.symbols import ErrorCorrection, Symbol, build_symbol

# M restores 15% of the symbol; Q (25%) makes the label-sized URL one version larger.
ERROR_CORRECTION: ErrorCorrection = "Q"
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires


@lru_cache(maxsize=4096)
def qr_symbol(data: str, level: ErrorCorrection = ERROR_CORRECTION) -> Symbol:
    """The symbol's modules (True is dark), without quiet zone; cached, since building one
    is the slow part of drawing a label."""
    return build_symbol(data, level)


def qr_matrix(data: str, *, level: ErrorCorrection = ERROR_CORRECTION) -> list[list[bool]]:
    return [list(row) for row in qr_symbol(data, level)]


def dark_runs(symbol: Symbol) -> Iterator[tuple[int, int, int]]:
    """(row, first column, length) of every horizontal run of dark modules."""
    for row, modules in enumerate(symbol):
        start = -1
        for column, dark in enumerate(modules):
            if dark and start < 0:
                start = column
            elif not dark and start >= 0:
                yield row, start, column - start
                start = -1
        if start >= 0:
            yield row, start, len(modules) - start


def svg_path_data(symbol: Symbol, offset: int = QUIET_ZONE) -> str:
    """SVG path commands drawing the dark modules, one unit per module."""
    return "".join(
        f"M{column + offset} {row + offset}h{length}v1h-{length}z"
        for row, column, length in dark_runs(symbol)
    )


def symbol_image(symbol: Symbol, module_px: int) -> Image.Image:
    """A 1-bit image of the symbol with its quiet zone, `module_px` pixels per module."""
    image = Image.new("1", (len(symbol), len(symbol)))
    image.putdata([0 if dark else 255 for modules in symbol for dark in modules])
    image = ImageOps.expand(image, QUIET_ZONE, fill=255)
    side = image.width
    return image.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)


def qr_png(data: str, *, box_size: int = 10, level: ErrorCorrection = ERROR_CORRECTION) -> bytes:
    buffer = io.BytesIO()
    symbol_image(qr_symbol(data, level), box_size).save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def qr_svg(data: str, *, level: ErrorCorrection = ERROR_CORRECTION) -> str:
    symbol = qr_symbol(data, level)
    side = len(symbol) + 2 * QUIET_ZONE
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{svg_path_data(symbol)}"/></svg>'
    )
