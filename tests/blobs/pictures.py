"""Small test images made with Pillow, each unique so tests never share a stored file."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import uuid
import zlib

from PIL import Image

GPS = {1: "N", 2: (39.0, 54.0, 20.5), 3: "E", 4: (116.0, 23.0, 1.0)}
"""Tian'anmen, more or less: where the photo was taken."""
ROTATED = 6
"""EXIF orientation: the camera was turned, the picture must be rotated 90° to display."""


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def photo(
    image_format: str = "JPEG",
    *,
    gps: bool = True,
    orientation: int | None = ROTATED,
    size: tuple[int, int] = (32, 24),
) -> bytes:
    """A camera-like photo: EXIF with a camera name, a unique description, orientation
    and (unless told otherwise) where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "RoundkeeperCam"
    exif[0x010E] = uuid.uuid4().hex
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = dict(GPS)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, image_format, exif=exif)
    return out.getvalue()


def signature() -> bytes:
    """A PNG without any metadata, as the signature pad makes them."""
    image = Image.new("L", (48, 16), 255)
    image.putpixel((uuid.uuid4().int % 48, 8), 0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """Random pixels do not compress: about 3 * side² bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        out, "PNG", compress_level=0
    )
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8), uuid.uuid4().int % 256).save(out, "GIF")
    return out.getvalue()


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid one-bit PNG of `width` x `height` blank pixels: 50 MB of pixels in about
    50 kB of file."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def exif_of(content: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(content)) as image:
        return image.getexif()


def pixels(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        return image.tobytes()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
