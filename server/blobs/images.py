"""What an uploaded image is, whether it decodes, and the copy of it that viewers get.

Pure: bytes in, facts or bytes out. The type comes from the content (Pillow's own
identification), never from a Content-Type header. Copies for viewers are made by
editing the metadata in the file's container, never by re-encoding the pixels, so a
viewer's copy looks exactly like the evidence.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from server.errors import DomainError

MAX_PIXELS = 50_000_000
"""Larger images are refused: 50 megapixels is above any phone camera, and decoding one
takes 150 MB; a few hundred bytes of PNG can declare far more."""

MEDIA_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
"""Pillow format → media type. MPO is a JPEG with extra pictures after the first, as some
phone cameras write; Pillow names it apart."""

OPENERS = ("JPEG", "PNG", "WEBP")
"""The only Pillow decoders that ever see uploaded bytes."""

GPS_IFD = 0x8825
ORIENTATION = 0x0112
EXIF_HEADER = b"Exif\x00\x00"
XMP_JPEG_HEADERS = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
XMP_LOCATION = (b"GPSLatitude", b"GPSLongitude")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_LEGACY_EXIF = (b"Raw profile type exif\x00", b"Raw profile type APP1\x00")
WEBP_EXIF_FLAG = 0x08
WEBP_XMP_FLAG = 0x04


@dataclass(frozen=True)
class ImageFacts:
    media_type: str
    width: int
    height: int
    """As stored; an EXIF orientation may turn the picture on display."""


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


def inspect_image(content: bytes) -> ImageFacts:
    """The image's type and size after decoding it completely, or the reason it is refused:
    `blob.unsupported_type`, `blob.too_many_pixels` or `blob.corrupt_image`."""
    try:
        with Image.open(io.BytesIO(content), formats=OPENERS) as probe:
            image_format = probe.format or ""
            if image_format not in MEDIA_TYPES:
                raise _unsupported()
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise _too_many_pixels(width, height)
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
        raise DomainError(
            "blob.too_many_pixels",
            f"the image declares more than {MAX_PIXELS:,} pixels, the most accepted here",
            field="body",
        ) from None
    except Exception as exc:
        # Pillow raises many kinds (OSError for truncation, SyntaxError, struct.error,
        # zlib.error, ValueError...) on bytes it cannot decode; to the uploader they all
        # mean the same thing.
        raise _corrupt(str(exc) or type(exc).__name__) from None
    return ImageFacts(media_type=MEDIA_TYPES[image_format], width=width, height=height)


def without_location(content: bytes, media_type: str) -> bytes | None:
    """A copy without the places where the picture was taken (the EXIF GPS IFD, XMP that
    names coordinates), everything else kept byte for byte, orientation included.
    None when there is nothing to remove."""
    if media_type == "image/jpeg":
        return _jpeg_without_location(content)
    if media_type == "image/png":
        return _png_without_location(content)
    if media_type == "image/webp":
        return _webp_without_location(content)
    return None


def _exif_without_gps(raw: bytes) -> bytes | None:
    """EXIF (with or without its `Exif\\0\\0` header, kept as it came) minus the GPS IFD;
    None when it has none. The decision is made by a strict reading of the first IFD,
    since Pillow reads damaged EXIF leniently: EXIF that cannot be read or rewritten is
    cut down to its orientation, or dropped. Location must never survive by accident."""
    header = EXIF_HEADER if raw.startswith(EXIF_HEADER) else b""
    tiff = raw.removeprefix(EXIF_HEADER)
    tags = _first_ifd(tiff)
    if tags is not None and GPS_IFD not in tags:
        return None
    rewritten = b""
    if tags is not None:
        try:
            exif = Image.Exif()
            exif.load(tiff)
            del exif[GPS_IFD]
            rewritten = exif.tobytes().removeprefix(EXIF_HEADER)
        except Exception:
            rewritten = b""
        check = _first_ifd(rewritten)
        if check is None or GPS_IFD in check:
            rewritten = _orientation_only(tags.get(ORIENTATION))
    return header + rewritten if rewritten else b""


def _first_ifd(tiff: bytes) -> dict[int, int | None] | None:
    """Tag → inline SHORT value (else None) of a TIFF structure's first IFD, or None when
    the header or the entry table does not fit in the bytes."""
    if len(tiff) < 8 or tiff[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    order = "<" if tiff[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", tiff[4:8])
    if offset < 8 or offset + 2 > len(tiff):
        return None
    (count,) = struct.unpack(order + "H", tiff[offset : offset + 2])
    if offset + 2 + 12 * count > len(tiff):
        return None
    tags: dict[int, int | None] = {}
    for index in range(count):
        entry = offset + 2 + 12 * index
        tag, kind, values = struct.unpack(order + "HHI", tiff[entry : entry + 8])
        short = kind == 3 and values == 1
        tags[tag] = struct.unpack(order + "H", tiff[entry + 8 : entry + 10])[0] if short else None
    return tags


def _orientation_only(orientation: int | None) -> bytes:
    """TIFF-structured EXIF holding just the orientation, or nothing."""
    if orientation is None:
        return b""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes().removeprefix(EXIF_HEADER)


def _xmp_has_location(xmp: bytes) -> bool:
    return any(name in xmp for name in XMP_LOCATION)


def _jpeg_without_location(content: bytes) -> bytes | None:
    """Rewrites the APP1 segments before the image data; the entropy-coded data that
    follows the first SOS marker is copied untouched."""
    out = [content[:2]]
    position, changed = 2, False
    while position + 4 <= len(content) and content[position] == 0xFF:
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte
            out.append(b"\xff")
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length field
            out.append(content[position : position + 2])
            position += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end of image: headers are over
            break
        (length,) = struct.unpack(">H", content[position + 2 : position + 4])
        end = position + 2 + length
        payload = content[position + 4 : end]
        segment = content[position:end]
        if marker == 0xE1 and payload.startswith(EXIF_HEADER):
            exif = _exif_without_gps(payload)
            if exif is not None:
                changed = True
                segment = _jpeg_segment(0xE1, exif) if exif else b""
        elif marker == 0xE1 and payload.startswith(XMP_JPEG_HEADERS) and _xmp_has_location(payload):
            changed, segment = True, b""
        out.append(segment)
        position = end
    if not changed:
        return None
    out.append(content[position:])
    return b"".join(out)


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        # Only a rewritten EXIF could grow past a segment; keep just what a viewer needs.
        tags = _first_ifd(payload.removeprefix(EXIF_HEADER)) or {}
        payload = EXIF_HEADER + _orientation_only(tags.get(ORIENTATION))
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _png_without_location(content: bytes) -> bytes | None:
    out = [PNG_SIGNATURE]
    position, changed = len(PNG_SIGNATURE), False
    while position + 12 <= len(content):
        (length,) = struct.unpack(">I", content[position : position + 4])
        kind = content[position + 4 : position + 8]
        data = content[position + 8 : position + 8 + length]
        end = position + 12 + length
        chunk = content[position:end]
        if kind == b"eXIf":
            exif = _exif_without_gps(data)
            if exif is not None:
                changed = True
                chunk = _png_chunk(kind, exif) if exif else b""
        elif kind in (b"tEXt", b"zTXt") and data.startswith(PNG_LEGACY_EXIF):
            # Hex-encoded EXIF in a text chunk (older tools): not worth rewriting.
            changed, chunk = True, b""
        elif (
            kind == b"iTXt"
            and data.startswith(b"XML:com.adobe.xmp\x00")
            and _xmp_has_location(_itxt_text(data))
        ):
            changed, chunk = True, b""
        out.append(chunk)
        position = end
        if kind == b"IEND":
            break
    if not changed:
        return None
    out.append(content[position:])
    return b"".join(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _itxt_text(data: bytes) -> bytes:
    """keyword \\0 compressed-flag method language \\0 translated \\0 text."""
    try:
        keyword_end = data.index(b"\x00")
        compressed = data[keyword_end + 1] == 1
        rest = data[keyword_end + 3 :]
        rest = rest[rest.index(b"\x00") + 1 :]
        text = rest[rest.index(b"\x00") + 1 :]
        return zlib.decompress(text) if compressed else text
    except (ValueError, IndexError, zlib.error):
        return data  # unreadable: search the raw bytes rather than let it through


def _webp_without_location(content: bytes) -> bytes | None:
    chunks: list[tuple[bytes, bytes]] = []
    position, changed = 12, False
    while position + 8 <= len(content):
        kind = content[position : position + 4]
        (length,) = struct.unpack("<I", content[position + 4 : position + 8])
        data = content[position + 8 : position + 8 + length]
        position += 8 + length + (length & 1)
        if kind == b"EXIF":
            exif = _exif_without_gps(data)
            if exif is not None:
                changed = True
                if not exif:
                    continue
                data = exif
        elif kind == b"XMP " and _xmp_has_location(data):
            changed = True
            continue
        chunks.append((kind, data))
    if not changed:
        return None
    kinds = {kind for kind, _ in chunks}
    body = []
    for kind, data in chunks:
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


def _too_many_pixels(width: int, height: int) -> DomainError:
    return DomainError(
        "blob.too_many_pixels",
        f"the image is {width} x {height} pixels; at most {MAX_PIXELS:,} pixels are accepted",
        field="body",
    )


def _corrupt(reason: str) -> DomainError:
    return DomainError("blob.corrupt_image", f"the image cannot be decoded: {reason}", field="body")
