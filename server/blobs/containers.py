"""The structure of JPEG, PNG and WebP files, read without decoding a pixel: a JPEG's
segments, a PNG's or a WebP's chunks, and zlib streams inflated within a bound.

Pure: bytes in, positions out. Each file is read the way decoders read it, so what
is found here is what a viewer's decoder or metadata reader finds, and what follows
the picture (the other pictures of an MPO, an appended file) is told apart from it.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SOI, EOI, SOS, TEM = 0xD8, 0xD9, 0xDA, 0x01
SCAN_DATA = 0x100
"""Not a marker: the entropy-coded data that follows a start of scan."""
STRAY = 0x101
"""Not a marker: bytes between segments that belong to none (decoders skip them)."""
INFLATE_STEP = 64 * 1024
"""Inflated data comes out in pieces of at most this size and is never held whole."""
MAX_INFLATED_CHUNK = 1024 * 1024
"""One compressed PNG chunk (text, ICC profile) inflates to at most this: Pillow's own
limit for a text chunk (`PngImagePlugin.MAX_TEXT_CHUNK`), applied here to every chunk,
including the ones Pillow never inflates (an unknown method byte, chunks it skips)."""
TIFF_HEADERS = (b"II*\x00", b"MM\x00*")
EXIF_IFD = 0x8769
MAX_IFDS = 16
"""IFDs read in one EXIF at most: IFD pointers may form a loop or a long chain."""

# 0xFF (any number of them: fill bytes) and then a marker code: anything but a stuffed
# zero, a restart marker (both belong to entropy-coded data) or another 0xFF.
_MARKER = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")
_START_OF_FRAME = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""SOF0 to SOF15, less DHT, JPG and DAC, which share the range."""


class InflateLimitExceeded(Exception):
    """A zlib stream inflates to more than it was allowed to."""


@dataclass(frozen=True)
class Segment:
    """One segment of a JPEG: `marker` (or SCAN_DATA, STRAY) from `start` (its fill
    bytes included) to `end`; what it carries starts at `payload_start`."""

    marker: int
    start: int
    payload_start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """One chunk of a PNG or a WebP, from `start` to `end` (checksum or padding
    included); what it carries is `data_start:data_end`."""

    kind: bytes
    start: int
    data_start: int
    data_end: int
    end: int


def jpeg_first_picture(content: bytes) -> tuple[list[Segment], int]:
    """The segments of a JPEG's first picture, from its SOI to its EOI, and where that
    picture ends. A decoder stops at the EOI; anything after it (the other pictures of
    an MPO, another JPEG, a ZIP) is no part of the picture. A picture without an EOI
    ends where a segment is cut short or another SOI begins."""
    segments = [Segment(SOI, 0, 2, 2)]
    position, in_scan = 2, False
    while position < len(content):
        found = None if in_scan else _MARKER.match(content, position)
        if found is None:
            following = _MARKER.search(content, position)
            end = following.start() if following else len(content)
            if end > position:
                segments.append(Segment(SCAN_DATA if in_scan else STRAY, position, position, end))
            position, in_scan = end, False
            continue
        marker, after = content[found.end() - 1], found.end()
        if marker == SOI:
            break
        if marker in (EOI, TEM):
            segments.append(Segment(marker, position, after, after))
            position = after
            if marker == EOI:
                break
            continue
        if after + 2 > len(content):
            break
        (length,) = struct.unpack_from(">H", content, after)
        end = after + length
        if length < 2 or end > len(content):
            break
        segments.append(Segment(marker, position, after + 2, end))
        position, in_scan = end, marker == SOS
    return segments, position


def png_chunks(content: bytes) -> tuple[list[Chunk], int]:
    """The chunks of a PNG up to its IEND, and where they end: decoders stop at IEND,
    so whatever follows it is no part of the picture."""
    chunks: list[Chunk] = []
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(content):
        (length,) = struct.unpack_from(">I", content, position)
        end = position + 12 + length
        if end > len(content):
            break
        kind = content[position + 4 : position + 8]
        chunks.append(Chunk(kind, position, position + 8, end - 4, end))
        position = end
        if kind == b"IEND":
            break
    return chunks, position


def webp_chunks(content: bytes) -> tuple[list[Chunk], int]:
    """The chunks inside a WebP's RIFF container, and where they end: the container
    states its own length, and whatever follows it is no part of the picture."""
    if len(content) < 12:
        return [], len(content)
    (declared,) = struct.unpack_from("<I", content, 4)
    limit = min(len(content), 8 + declared)
    chunks: list[Chunk] = []
    position = 12
    while position + 8 <= limit:
        kind = content[position : position + 4]
        (length,) = struct.unpack_from("<I", content, position + 4)
        data_end = position + 8 + length
        if data_end > limit:
            break
        end = min(data_end + (length & 1), limit)
        chunks.append(Chunk(kind, position, position + 8, data_end, end))
        position = end
    return chunks, position


def declared_size(content: bytes) -> tuple[int, int] | None:
    """The largest picture a JPEG (any frame header of its first picture), PNG (IHDR)
    or WebP (its first chunk) declares, read before any decoder is made: libwebp
    allocates the whole canvas as soon as it is given the file."""
    if content.startswith(PNG_SIGNATURE) and content[12:16] == b"IHDR" and len(content) >= 24:
        width, height = struct.unpack_from(">II", content, 16)
        return width, height
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return _webp_canvas_size(content)
    if content.startswith(b"\xff\xd8"):
        sizes = [
            struct.unpack_from(">HH", content, segment.payload_start + 1)[::-1]
            for segment in jpeg_first_picture(content)[0]
            if segment.marker in _START_OF_FRAME and segment.end - segment.payload_start >= 5
        ]
        return max(sizes, key=lambda size: size[0] * size[1], default=None)
    return None


def _webp_canvas_size(content: bytes) -> tuple[int, int] | None:
    kind = content[12:16]
    if kind == b"VP8X" and len(content) >= 30:
        width = int.from_bytes(content[24:27], "little") + 1
        return width, int.from_bytes(content[27:30], "little") + 1
    if kind == b"VP8 " and len(content) >= 30 and content[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", content, 26)
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(content) >= 25 and content[20] == 0x2F:
        (bits,) = struct.unpack_from("<I", content, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def png_text_parts(kind: bytes, data: bytes) -> tuple[bytes, bytes | None]:
    """What a PNG text or ICC chunk stores plainly, and its zlib stream (None when it has
    none). zTXt and iCCP: name, NUL, method, stream; iTXt: keyword, NUL, flag, method,
    language, NUL, translated keyword, NUL, text. The method byte is not trusted: a
    reader may inflate whatever follows it."""
    try:
        name_end = data.index(b"\x00")
        if kind in (b"zTXt", b"iCCP"):
            return data[: name_end + 1], data[name_end + 2 :]
        if kind == b"iTXt" and data[name_end + 1] != 0:
            language_end = data.index(b"\x00", name_end + 3)
            text_start = data.index(b"\x00", language_end + 1) + 1
            return data[:text_start], data[text_start:]
    except (ValueError, IndexError):
        pass
    return data, None


def tiff_first_ifd(tiff: bytes) -> dict[int, int | None] | None:
    """Tag → inline SHORT value (else None) of a TIFF structure's first IFD, or None when
    the header or the entry table does not fit in the bytes."""
    if len(tiff) < 8 or tiff[:4] not in TIFF_HEADERS:
        return None
    order = "<" if tiff[:2] == b"II" else ">"
    (offset,) = struct.unpack_from(order + "I", tiff, 4)
    if offset < 8 or offset + 2 > len(tiff):
        return None
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    if offset + 2 + 12 * count > len(tiff):
        return None
    entries, _ = _ifd_entries(tiff, offset)
    return {tag: value if short else None for tag, short, value in entries}


def tiff_tags(tiff: bytes) -> set[int]:
    """The tags of every IFD a lenient reader may follow: the first, those chained after
    it (the thumbnail's) and the EXIF sub-IFD, each read as far as its entries fit."""
    if len(tiff) < 8 or tiff[:4] not in TIFF_HEADERS:
        return set()
    order = "<" if tiff[:2] == b"II" else ">"
    pending = [struct.unpack_from(order + "I", tiff, 4)[0]]
    seen: set[int] = set()
    tags: set[int] = set()
    while pending and len(seen) < MAX_IFDS:
        offset = pending.pop()
        if offset in seen:
            continue
        seen.add(offset)
        entries, next_ifd = _ifd_entries(tiff, offset)
        for tag, _, value in entries:
            tags.add(tag)
            if tag == EXIF_IFD:
                pending.append(value)
        if next_ifd:
            pending.append(next_ifd)
    return tags


def _ifd_entries(tiff: bytes, offset: int) -> tuple[list[tuple[int, bool, int]], int]:
    """(tag, whether it is one SHORT, that SHORT or else the value field) of the entries
    of the IFD at `offset` that fit in the bytes, and the next IFD's offset (0 when there
    is none or it is cut off)."""
    order = "<" if tiff[:2] == b"II" else ">"
    if offset < 8 or offset + 2 > len(tiff):
        return [], 0
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    entries = []
    for index in range(count):
        entry = offset + 2 + 12 * index
        if entry + 12 > len(tiff):
            break
        tag, kind, values, value = struct.unpack_from(order + "HHII", tiff, entry)
        short = kind == 3 and values == 1
        if short:
            (value,) = struct.unpack_from(order + "H", tiff, entry + 8)
        entries.append((tag, short, value))
    following = offset + 2 + 12 * count
    if following + 4 > len(tiff):
        return entries, 0
    return entries, struct.unpack_from(order + "I", tiff, following)[0]


class InflationBudget:
    """What is left of one file's inflation budget, spent stream by stream, each stream
    also held to `MAX_INFLATED_CHUNK`."""

    def __init__(self, budget: int) -> None:
        self.left = budget

    def pieces(self, stream: bytes) -> Iterator[bytes]:
        for piece in inflate(stream, min(MAX_INFLATED_CHUNK, self.left)):
            self.left -= len(piece)
            yield piece


def inflate(stream: bytes, limit: int) -> Iterator[bytes]:
    """What a zlib stream inflates to, piece by piece; `InflateLimitExceeded` as soon as
    more than `limit` bytes have come out, `zlib.error` where the stream is damaged. A
    stream cut short gives what it holds. The input is fed in steps too, so that the
    stream is never copied whole (zlib keeps an unconsumed tail as a new bytes object)."""
    inflater = zlib.decompressobj()
    view = memoryview(stream)
    produced = 0
    for start in range(0, len(view), INFLATE_STEP):
        pending: bytes | memoryview = view[start : start + INFLATE_STEP]
        while True:
            piece = inflater.decompress(pending, INFLATE_STEP)
            produced += len(piece)
            if produced > limit:
                raise InflateLimitExceeded(f"more than {limit:,} bytes")
            if piece:
                yield piece
            if inflater.eof:
                return
            pending = inflater.unconsumed_tail
            # A full piece may leave output waiting inside zlib even with no input left.
            if not pending and len(piece) < INFLATE_STEP:
                break
