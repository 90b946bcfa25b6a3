"""The image checks and the viewers' copy, on bytes alone (no server, no database)."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from server.blobs.images import GPS_IFD, ORIENTATION, inspect_image, without_location
from server.errors import DomainError
from tests.blobs.pictures import ROTATED, exif_of, photo, pixels, signature

XMP_WITH_LOCATION = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description '
    b'exif:GPSLatitude="39,54.3N" exif:GPSLongitude="116,23.0E"/></x:xmpmeta>'
)
XMP_WITHOUT_LOCATION = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description/></x:xmpmeta>'


def saved(image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 30)).save(out, image_format, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("image_format", "media_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_gps_goes_and_everything_else_stays_in_the_viewers_copy(image_format, media_type):
    content = photo(image_format)
    copy = without_location(content, media_type)
    assert copy is not None
    exif = exif_of(copy)
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
    assert exif[ORIENTATION] == ROTATED
    assert exif[0x010F] == "RoundkeeperCam"
    assert pixels(copy) == pixels(content)
    assert inspect_image(copy) == inspect_image(content)


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (photo("JPEG", gps=False), "image/jpeg"),
        (photo("WEBP", gps=False), "image/webp"),
        (signature(), "image/png"),
        (saved("JPEG", xmp=XMP_WITHOUT_LOCATION), "image/jpeg"),
    ],
)
def test_a_picture_without_location_needs_no_copy(content, media_type):
    assert without_location(content, media_type) is None


@pytest.mark.parametrize(
    ("image_format", "media_type"), [("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_xmp_that_names_coordinates_is_dropped(image_format, media_type):
    content = saved(image_format, xmp=XMP_WITH_LOCATION)
    copy = without_location(content, media_type)
    assert copy is not None and b"GPSLatitude" not in copy
    with Image.open(io.BytesIO(copy)) as image:
        assert "xmp" not in image.info
        image.load()


def test_png_xmp_with_coordinates_is_dropped_even_compressed():
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP_WITH_LOCATION.decode(), zip=True)
    content = saved("PNG", pnginfo=info)
    assert b"GPSLatitude" not in content  # compressed: only the decoded text names it
    copy = without_location(content, "image/png")
    assert copy is not None
    with Image.open(io.BytesIO(copy)) as image:
        assert "XML:com.adobe.xmp" not in image.info
        image.load()


def test_exif_that_cannot_be_read_is_removed_rather_than_trusted():
    content = saved("JPEG")
    garbage = b"Exif\x00\x00MM\x00\x2a\xff\xff\xff\xff" + b"\x01" * 40
    segment = struct.pack(">BBH", 0xFF, 0xE1, len(garbage) + 2) + garbage
    damaged = content[:2] + segment + content[2:]
    copy = without_location(damaged, "image/jpeg")
    assert copy == content
    assert inspect_image(copy).media_type == "image/jpeg"


def test_a_gps_pointer_into_nowhere_is_removed_and_the_orientation_kept():
    entries = [(0x0112, 3, 1, struct.pack(">HH", ROTATED, 0)), (GPS_IFD, 4, 1, b"\x00\x00\x27\x0f")]
    ifd = struct.pack(">H", len(entries)) + b"".join(
        struct.pack(">HHI", tag, kind, count) + value for tag, kind, count, value in entries
    )
    tiff = b"MM\x00*" + struct.pack(">I", 8) + ifd + b"\x00\x00\x00\x00"
    content = saved("JPEG", exif=b"Exif\x00\x00" + tiff)
    copy = without_location(content, "image/jpeg")
    assert copy is not None
    exif = exif_of(copy)
    assert GPS_IFD not in exif and exif[ORIENTATION] == ROTATED
    assert pixels(copy) == pixels(content)


def test_a_multi_picture_jpeg_from_a_phone_is_a_jpeg():
    out = io.BytesIO()
    first, second = Image.new("RGB", (16, 16)), Image.new("RGB", (16, 16), (9, 9, 9))
    first.save(out, "MPO", save_all=True, append_images=[second])
    assert inspect_image(out.getvalue()).media_type == "image/jpeg"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (saved("BMP"), "blob.unsupported_type"),
        (saved("TIFF"), "blob.unsupported_type"),
        (b"%PDF-1.7\n", "blob.unsupported_type"),
        (saved("PNG")[:30], "blob.corrupt_image"),
        (saved("WEBP")[:-10], "blob.corrupt_image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "blob.corrupt_image"),
    ],
)
def test_what_is_refused_and_why(content, code):
    with pytest.raises(DomainError) as refused:
        inspect_image(content)
    assert refused.value.code == code
