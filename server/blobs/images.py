"""What an uploaded image is, whether it decodes, and the copy of it that viewers get.

Pure: bytes in, facts or bytes out. The type comes from the content (Pillow's own
identification), never from a Content-Type header. Copies for viewers are made by
editing the metadata in the file's container, never by re-encoding the pixels, so a
viewer's copy looks exactly like the evidence.

Decoding an upload costs at most a bounded multiple of the upload limit, whatever the
file declares: pixels and inflated metadata are both counted (`DecodeLimits`), and
compressed metadata is inflated here, piece by piece, before Pillow or a viewer's copy
reads it.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from server.blobs.containers import (
    MAX_INFLATED_CHUNK,
    PNG_SIGNATURE,
    STRAY,
    InflateLimitExceeded,
    InflationBudget,
    declared_size,
    jpeg_first_picture,
    png_chunks,
    png_text_parts,
    tiff_first_ifd,
    tiff_tags,
    webp_chunks,
)
from server.errors import DomainError

MAX_PIXELS = 50_000_000
"""Larger images are refused: 50 megapixels is above any phone camera, and decoding one
takes 200 MB; a few hundred bytes of PNG can declare far more."""
PIXELS_PER_LIMIT_BYTE = 16
"""Under a lowered upload limit fewer pixels are decoded: a photo spends 2 to 8 bits a
pixel, so any photo that fits the limit fits too, and a small signature-only limit is
not a door to a 200 MB decode."""
INFLATED_PER_LIMIT_BYTE = 4
"""Metadata inflated from one upload, all its chunks together, per byte of the limit:
Pillow keeps inflated text in memory (up to its own MAX_TEXT_MEMORY, 64 MiB) and every
inflated byte costs time, while real metadata is a few kilobytes."""

MEDIA_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
"""Pillow format → media type. MPO is a JPEG with extra pictures after the first, as some
phone cameras write; Pillow names it apart."""

OPENERS = ("JPEG", "PNG", "WEBP")
"""The only Pillow decoders that ever see uploaded bytes."""

GPS_IFD = 0x8825
ORIENTATION = 0x0112
EXIF_HEADER = b"Exif\x00\x00"
XMP_EXTENSION = b"http://ns.adobe.com/xmp/extension/\x00"
XMP_EXTENSION_HEADER = len(XMP_EXTENSION) + 32 + 4 + 4
"""Signature, GUID, full length and offset precede each piece of extended XMP."""
LOCATION_WORDS = (b"latitude", b"longitude", b":gps", b"location")
"""Words that name where a picture was taken in text metadata (XMP `exif:GPSLatitude`,
DJI `drone-dji:GpsLongitude`, IPTC `Iptc4xmpExt:LocationCreated`), compared in lower
case with NUL bytes removed so that UTF-16 text is caught too."""
PNG_TEXT = (b"tEXt", b"zTXt", b"iTXt")
PNG_PICTURE = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"acTL", b"fcTL", b"fdAT", b"iCCP"})
"""Chunks that hold the picture and its colours, never searched for words."""
WEBP_PICTURE = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
WEBP_EXIF_FLAG = 0x08
WEBP_XMP_FLAG = 0x04
APP1, APP2, APP11, COM = 0xE1, 0xE2, 0xEB, 0xFE


@dataclass(frozen=True)
class ImageFacts:
    media_type: str
    width: int
    height: int
    """As stored; an EXIF orientation may turn the picture on display."""


@dataclass(frozen=True)
class DecodeLimits:
    """What decoding one upload may cost, in proportion to the largest upload accepted.
    At the default limit (15 MiB): 50 megapixels and 60 MiB of inflated metadata."""

    max_pixels: int
    max_inflated: int

    @classmethod
    def for_uploads_up_to(cls, max_bytes: int) -> DecodeLimits:
        return cls(
            max_pixels=min(MAX_PIXELS, PIXELS_PER_LIMIT_BYTE * max_bytes),
            max_inflated=max(MAX_INFLATED_CHUNK, INFLATED_PER_LIMIT_BYTE * max_bytes),
        )


def media_type_by_signature(content: bytes) -> str | None:
    """The type the first bytes claim, used only to tell a damaged JPEG, PNG or WebP
    (400) from a file of another kind (415) when Pillow cannot read it at all."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(PNG_SIGNATURE):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def inspect_image(content: bytes, *, max_bytes: int) -> ImageFacts:
    """The image's type and size after decoding it completely, or the reason it is refused:
    `blob.unsupported_type`, `blob.too_many_pixels`, `blob.too_large_inflated` or
    `blob.corrupt_image`. `max_bytes` is the upload limit the costs are bounded by."""
    limits = DecodeLimits.for_uploads_up_to(max_bytes)
    _check_before_decoding(content, limits)
    try:
        with Image.open(io.BytesIO(content), formats=OPENERS) as probe:
            image_format = probe.format or ""
            if image_format not in MEDIA_TYPES:
                raise _unsupported()
            width, height = probe.size
            if width * height > limits.max_pixels:
                raise _too_many_pixels(limits, (width, height))
            # verify() checks what it can without decoding (PNG chunk checksums); it
            # leaves the image unusable, so the pixels are decoded from a second opening.
            probe.verify()
        with Image.open(io.BytesIO(content), formats=OPENERS) as image:
            image.load()
    except DomainError:
        raise
    except UnidentifiedImageError:
        if media_type_by_signature(content) is None:
            raise _unsupported() from None
        raise _corrupt("the image header cannot be read") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard, at a higher limit than ours, fires while the header is read.
        raise _too_many_pixels(limits) from None
    except Exception as exc:
        # Pillow raises many kinds (OSError for truncation, SyntaxError, struct.error,
        # zlib.error, ValueError...) on bytes it cannot decode; to the uploader they all
        # mean the same thing.
        raise _corrupt(str(exc) or type(exc).__name__) from None
    return ImageFacts(media_type=MEDIA_TYPES[image_format], width=width, height=height)


def _check_before_decoding(content: bytes, limits: DecodeLimits) -> None:
    """What Pillow or libwebp would pay for before our checks on the opened image run:
    the declared size (libwebp allocates the canvas when its decoder is made) and a
    PNG's compressed chunks (inflated as the header is read, or never by Pillow but
    later by a viewer's copy)."""
    size = declared_size(content)
    if size is not None and size[0] * size[1] > limits.max_pixels:
        raise _too_many_pixels(limits, size)
    if media_type_by_signature(content) != "image/png":
        return
    inflation = InflationBudget(limits.max_inflated)
    for chunk in png_chunks(content)[0]:
        if chunk.kind not in (b"zTXt", b"iTXt", b"iCCP"):
            continue
        _, stream = png_text_parts(chunk.kind, content[chunk.data_start : chunk.data_end])
        if stream is None:
            continue
        try:
            for _ in inflation.pieces(stream):
                pass
        except InflateLimitExceeded:
            raise DomainError(
                "blob.too_large_inflated",
                f"the image's compressed metadata (PNG text or ICC profile) inflates to more "
                f"than {MAX_INFLATED_CHUNK:,} bytes in a chunk or {limits.max_inflated:,} "
                "in all, the most accepted here",
                field="body",
            ) from None
        except zlib.error:
            continue  # damaged: Pillow decides, and viewers' copies leave it out


def without_location(content: bytes, media_type: str) -> bytes | None:
    """A copy without the places where the picture was taken, everything else kept byte
    for byte, orientation included; None when there is nothing to remove. Removed: the
    EXIF GPS IFD, metadata whose text names a location (XMP, PNG text, comments), and
    everything after the first picture (the other pictures of an MPO, appended files),
    which viewers never need and which cannot be shown to be free of location. Metadata
    that cannot be read within this file's inflation budget is removed too."""
    limits = DecodeLimits.for_uploads_up_to(len(content))
    if media_type == "image/jpeg":
        return _jpeg_without_location(content)
    if media_type == "image/png":
        return _png_without_location(content, InflationBudget(limits.max_inflated))
    if media_type == "image/webp":
        return _webp_without_location(content)
    return None


def _names_location(pieces: Iterable[bytes]) -> bool:
    """Whether text, given whole or in pieces, names a location (`LOCATION_WORDS`)."""
    overlap = max(len(word) for word in LOCATION_WORDS) - 1
    carried = b""
    for piece in pieces:
        folded = carried + piece.replace(b"\x00", b"").lower()
        if any(word in folded for word in LOCATION_WORDS):
            return True
        carried = folded[-overlap:]
    return False


def _exif_without_gps(raw: bytes) -> bytes | None:
    """EXIF (with or without its `Exif\\0` header, kept as it came) minus the GPS IFD;
    None when it has none. The decision is made by a strict reading of the first IFD,
    since Pillow reads damaged EXIF leniently: EXIF that cannot be read or rewritten is
    cut down to its orientation, or dropped. Location must never survive by accident."""
    header = raw[:6] if raw.startswith(b"Exif\x00") else b""
    tiff = raw[len(header) :]
    tags = tiff_first_ifd(tiff)
    if tags is not None and GPS_IFD not in tiff_tags(tiff):
        return None
    rewritten = b""
    if tags is not None:
        try:
            exif = Image.Exif()
            exif.load(tiff)
            exif.pop(GPS_IFD, None)
            rewritten = exif.tobytes().removeprefix(EXIF_HEADER)
        except Exception:
            rewritten = b""
        if tiff_first_ifd(rewritten) is None or GPS_IFD in tiff_tags(rewritten):
            rewritten = _orientation_only(tags.get(ORIENTATION))
    return header + rewritten if rewritten else b""


def _orientation_only(orientation: int | None) -> bytes:
    """TIFF-structured EXIF holding just the orientation, or nothing."""
    if orientation is None:
        return b""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes().removeprefix(EXIF_HEADER)


def _jpeg_without_location(content: bytes) -> bytes | None:
    """The first picture only, its EXIF without GPS, without the segments that name a
    location and without the MP index (it points at the pictures left out). The
    entropy-coded data is copied untouched. When a copy is made, C2PA manifests (APP11)
    go too: the edit breaks their signature, and their boxes span segments, so words
    split between two of them are not found by reading one at a time."""
    segments, end = jpeg_first_picture(content)
    changed = end < len(content)
    extended_xmp = [
        content[s.payload_start + XMP_EXTENSION_HEADER : s.end]
        for s in segments
        if s.marker == APP1 and content.startswith(XMP_EXTENSION, s.payload_start)
    ]
    extended_xmp_names_location = _names_location(extended_xmp)
    out: list[bytes] = []
    manifests: list[int] = []
    for segment in segments:
        marker, raw = segment.marker, content[segment.start : segment.end]
        payload = content[segment.payload_start : segment.end]
        if marker == STRAY:
            changed = True
            continue
        if marker == APP1 and payload.startswith(b"Exif\x00"):
            exif = _exif_without_gps(payload)
            if exif is not None:
                changed = True
                if not exif:
                    continue
                raw = _jpeg_segment(APP1, exif)
        elif marker == APP2 and payload.startswith(b"MPF\x00"):
            changed = True
            continue
        elif marker == APP2 and payload.startswith(b"ICC_PROFILE\x00"):
            pass
        elif 0xE0 <= marker <= 0xEF or marker == COM:
            is_extension = marker == APP1 and payload.startswith(XMP_EXTENSION)
            if (is_extension and extended_xmp_names_location) or _names_location([payload]):
                changed = True
                continue
            if marker == APP11:
                manifests.append(len(out))
        out.append(raw)
    if not changed:
        return None
    return b"".join(part for index, part in enumerate(out) if index not in manifests)


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        # Only a rewritten EXIF could grow past a segment; keep just what a viewer needs.
        tags = tiff_first_ifd(payload[6:]) or {}
        payload = EXIF_HEADER + _orientation_only(tags.get(ORIENTATION))
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _png_without_location(content: bytes, inflation: InflationBudget) -> bytes | None:
    chunks, end = png_chunks(content)
    out = [PNG_SIGNATURE]
    changed = end < len(content)
    for chunk in chunks:
        kind, raw = chunk.kind, content[chunk.start : chunk.end]
        if kind not in PNG_PICTURE:
            data = content[chunk.data_start : chunk.data_end]
            if kind == b"eXIf":
                exif = _exif_without_gps(data)
                if exif is not None:
                    changed = True
                    if not exif:
                        continue
                    raw = _png_chunk(kind, exif)
            elif _png_chunk_may_name_location(kind, data, inflation):
                changed = True
                continue
        out.append(raw)
    return b"".join(out) if changed else None


def _png_chunk_may_name_location(kind: bytes, data: bytes, inflation: InflationBudget) -> bool:
    """Whether a viewer's copy must leave out this chunk (text or an unknown kind): it
    names a location, holds metadata that may, or cannot be read within the budget."""
    keyword = data.split(b"\x00", 1)[0].lower()
    if kind in PNG_TEXT and (
        keyword == b"exif"
        or (keyword.startswith(b"raw profile type ") and keyword[17:] not in (b"icc", b"icm"))
    ):
        # EXIF or other metadata in text: Pillow reads "exif" as EXIF, ImageMagick
        # hex-encodes whole profiles; neither is worth rewriting.
        return True
    plain, stream = png_text_parts(kind, data) if kind in PNG_TEXT else (data, None)
    if _names_location([plain]):
        return True
    if stream is None:
        return False
    try:
        return _names_location(inflation.pieces(stream))
    except (InflateLimitExceeded, zlib.error):
        return True  # not readable within the budget, so not shown to be free of location


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _webp_without_location(content: bytes) -> bytes | None:
    chunks, end = webp_chunks(content)
    kept: list[tuple[bytes, bytes]] = []
    changed = end < len(content)
    for chunk in chunks:
        kind, data = chunk.kind, content[chunk.data_start : chunk.data_end]
        if kind == b"EXIF":
            exif = _exif_without_gps(data)
            if exif is not None:
                changed = True
                if not exif:
                    continue
                data = exif
        elif kind not in WEBP_PICTURE and _names_location([data]):
            changed = True
            continue
        kept.append((kind, data))
    if not changed:
        return None
    kinds = {kind for kind, _ in kept}
    body = []
    for kind, data in kept:
        if kind == b"VP8X" and data:
            flags = data[0]
            if b"EXIF" not in kinds:
                flags &= ~WEBP_EXIF_FLAG
            if b"XMP " not in kinds:
                flags &= ~WEBP_XMP_FLAG
            data = bytes([flags]) + data[1:]
        padding = b"\x00" if len(data) & 1 else b""
        body.append(kind + struct.pack("<I", len(data)) + data + padding)
    payload = b"WEBP" + b"".join(body)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def _unsupported() -> DomainError:
    return DomainError(
        "blob.unsupported_type", "only JPEG, PNG and WebP images are accepted", field="body"
    )


def _too_many_pixels(limits: DecodeLimits, size: tuple[int, int] | None = None) -> DomainError:
    if size is None:
        detail = (
            f"the image declares more than {limits.max_pixels:,} pixels, the most accepted here"
        )
    else:
        detail = (
            f"the image is {size[0]} x {size[1]} pixels; "
            f"at most {limits.max_pixels:,} pixels are accepted"
        )
    return DomainError("blob.too_many_pixels", detail, field="body")


def _corrupt(reason: str) -> DomainError:
    return DomainError("blob.corrupt_image", f"the image cannot be decoded: {reason}", field="body")
