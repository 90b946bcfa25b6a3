"""Small test images made with Pillow, each unique so tests never share a stored file."""

from __future__ import annotations

import functools
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
XMP_WITH_LOCATION = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description '
    b'exif:GPSLatitude="39,54.3N" exif:GPSLongitude="116,23.0E"/></x:xmpmeta>'
)
MIB = 1024 * 1024


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
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def exif_of(content: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(content)) as image:
        return image.getexif()


def pixels(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        return image.tobytes()


def gps_exif() -> bytes:
    """EXIF holding nothing but where the photo was taken."""
    exif = Image.Exif()
    exif[0x8825] = dict(GPS)
    return exif.tobytes()


def with_png_chunk(content: bytes, chunk: bytes, *, before: bytes = b"IDAT") -> bytes:
    """The PNG with `chunk` put before its first chunk of kind `before`."""
    at = content.index(before) - 4
    return content[:at] + chunk + content[at:]


def xmp_itxt(stream: bytes, *, method: int = 0) -> bytes:
    """An iTXt chunk of XMP whose text is the zlib `stream`. PNG knows one compression
    method (0); Pillow leaves any other alone, a careless reader inflates it anyway."""
    return png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01" + bytes([method]) + b"\x00\x00" + stream)


@functools.cache
def deflated_zeros(size: int) -> bytes:
    """A zlib stream that inflates to `size` zero bytes (whole MiB), a thousandth of that
    long. One compressed MiB ended by a full flush (byte-aligned, referring to nothing
    before it) is repeated, so making it never holds what it inflates to; the Adler-32
    of n zeros is (n mod 65521) << 16 | 1."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    one_mib = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = (size % 65521) << 16 | 1
    return b"\x78\xda" + one_mib * (size // MIB) + compressor.flush() + struct.pack(">I", checksum)


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims `width` x `height`."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (uuid.uuid4().int % 256, 0, 0)).save(out, "JPEG")
    content = out.getvalue()
    sof = content.index(b"\xff\xc0")
    return content[: sof + 5] + struct.pack(">HH", height, width) + content[sof + 9 :]


def mpo(first: Image.Image, second: Image.Image, *, second_exif: bytes) -> bytes:
    """A multi-picture JPEG (as stereo and some phone cameras write), the second picture
    carrying `second_exif`. Pillow writes a frame after the first with the encoder
    options that frame carries itself."""
    second.encoderinfo = {"exif": second_exif}
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
