"""The font for label captions, which are mostly Chinese, and how wide text set in it is.

reportlab embeds TrueType outlines only, so TrueType collections come first in the search;
Noto CJK (CFF outlines) is a last resort that works for PNG labels but not for PDF sheets.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import ClassVar, Protocol

from PIL import ImageFont

FIX_HINT = (
    "No CJK font found for label captions. Install one: apt-get install fonts-wqy-microhei "
    "(or set ROUNDKEEPER_LABEL_FONT to a TrueType .ttf/.ttc file)"
)
# Tried in SVG viewers in this order; the first is the font measured for PNG and PDF.
SVG_FONT_FAMILY = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"


class FontNotFound(LookupError):
    code: ClassVar[str] = "label.font_not_found"


@dataclass(frozen=True, slots=True)
class FontFile:
    path: Path
    subfont_index: int = 0


KNOWN_CJK_FONTS: tuple[FontFile, ...] = (
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    FontFile(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
    # Index 2 is the Simplified Chinese face of the Noto CJK collections.
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    FontFile(Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 2),
)


def find_cjk_font(
    preferred: str | Path | None = None,
    *,
    search: Sequence[FontFile] = KNOWN_CJK_FONTS,
) -> FontFile:
    """The first font that exists: `preferred`, then each of `search`."""
    candidates = list(search)
    if preferred is not None:
        candidates.insert(0, FontFile(Path(preferred), 0))
    for candidate in candidates:
        if candidate.path.is_file():
            return candidate
    detail = f" ({preferred} does not exist.)" if preferred is not None else ""
    raise FontNotFound(FIX_HINT + detail)


class TextMetrics(Protocol):
    """Horizontal advances and vertical extent of text, in units of the font size (em)."""

    # Read-only, so that a frozen dataclass such as `EstimatedMetrics` provides them.
    @property
    def ascent(self) -> float: ...
    @property
    def descent(self) -> float: ...

    def width(self, text: str) -> float: ...


class FontMetrics:
    """Metrics read from the font file: unhinted advances, no kerning (as reportlab sets text)."""

    _UNITS: ClassVar[int] = 1000

    def __init__(self, font: FontFile) -> None:
        self.font = font
        self._face = ImageFont.truetype(
            str(font.path),
            self._UNITS,
            index=font.subfont_index,
            layout_engine=ImageFont.Layout.BASIC,
        )
        ascent, descent = self._face.getmetrics()
        self.ascent = ascent / self._UNITS
        self.descent = descent / self._UNITS
        self._advances: dict[str, float] = {}

    def width(self, text: str) -> float:
        advances = self._advances
        total = 0.0
        for char in text:
            advance = advances.get(char)
            if advance is None:
                advance = advances[char] = self._face.getlength(char) / self._UNITS
            total += advance
        return total


@cache
def font_metrics(font: FontFile) -> FontMetrics:
    return FontMetrics(font)


def is_wide(char: str) -> bool:
    """Ideographs, kana, Hangul and full-width forms: set one em wide, and a line may break
    before or after any of them."""
    return unicodedata.east_asian_width(char) in ("W", "F")


@dataclass(frozen=True, slots=True)
class EstimatedMetrics:
    """For when the reader's font is unknown (SVG): a full em for wide characters and a generous
    average for the rest."""

    ascent: float = 0.95
    descent: float = 0.25

    def width(self, text: str) -> float:
        return sum(1.0 if is_wide(char) else 0.65 for char in text)
