"""The image checks and the viewers' copy, on bytes alone (no server, no database)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from server.blobs.images import GPS_IFD, ORIENTATION, inspect_image, without_location
from server.errors import DomainError
from server.settings import DEFAULT_BLOB_MAX_BYTES as LIMIT
from tests.blobs.pictures import (
    ROTATED,
    XMP_WITH_LOCATION,
    bomb_png,
    exif_of,
    gps_exif,
    photo,
    pixels,
    png_chunk,
    signature,
    with_png_chunk,
    xmp_itxt,
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
    assert inspect_image(copy, max_bytes=LIMIT) == inspect_image(content, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (photo("JPEG", gps=False), "image/jpeg"),
        (photo("WEBP", gps=False), "image/webp"),
        (signature(), "image/png"),
        (saved("JPEG", xmp=XMP_WITHOUT_LOCATION), "image/jpeg"),
        (with_png_chunk(signature(), png_chunk(b"tEXt", b"Software\x00Pad 2")), "image/png"),
        (with_png_chunk(signature(), xmp_itxt(zlib.compress(XMP_WITHOUT_LOCATION))), "image/png"),
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
    assert inspect_image(copy, max_bytes=LIMIT).media_type == "image/jpeg"


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
    assert inspect_image(out.getvalue(), max_bytes=LIMIT).media_type == "image/jpeg"


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
        inspect_image(content, max_bytes=LIMIT)
    assert refused.value.code == code


def test_a_lowered_upload_limit_lowers_the_pixel_limit():
    content = bomb_png(2000, 2000)  # 4 megapixels in a few hundred bytes
    assert inspect_image(content, max_bytes=LIMIT).width == 2000
    with pytest.raises(DomainError) as refused:
        inspect_image(content, max_bytes=100_000)
    assert refused.value.code == "blob.too_many_pixels"
    assert "at most 1,600,000 pixels" in refused.value.detail


def test_compressed_text_that_adds_up_past_the_limit_is_refused():
    comments = [png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(900_000)))] * 2
    content = with_png_chunk(signature(), b"".join(comments))
    assert inspect_image(content, max_bytes=LIMIT).media_type == "image/png"
    with pytest.raises(DomainError) as refused:
        inspect_image(content, max_bytes=200_000)  # 1 MiB of inflated metadata at most
    assert refused.value.code == "blob.too_large_inflated"


@pytest.mark.parametrize(
    "chunk",
    [
        png_chunk(b"tEXt", b"XML:com.adobe.xmp\x00" + XMP_WITH_LOCATION),
        png_chunk(b"zTXt", b"XML:com.adobe.xmp\x00\x00" + zlib.compress(XMP_WITH_LOCATION)),
        xmp_itxt(zlib.compress(XMP_WITH_LOCATION), method=1),
        png_chunk(
            b"iTXt", b"Comment\x00\x00\x00\x00\x00" + XMP_WITH_LOCATION.decode().encode("utf-16")
        ),
        png_chunk(b"tEXt", b"exif\x00" + gps_exif()),
        png_chunk(
            b"zTXt",
            b"Raw profile type xmp\x00\x00" + zlib.compress(XMP_WITH_LOCATION.hex().encode()),
        ),
        png_chunk(b"zTXt", b"Comment\x00\x00" + b"\x78\x9c\xff" + bytes(8)),
    ],
    ids=["tEXt", "zTXt", "iTXt, unknown method", "UTF-16", "exif", "raw profile", "damaged"],
)
def test_png_text_that_names_or_may_hide_a_location_is_dropped(chunk):
    content = with_png_chunk(signature(), chunk)
    copy = without_location(content, "image/png")
    assert copy == content.replace(chunk, b"")
    assert inspect_image(copy, max_bytes=LIMIT).media_type == "image/png"


def test_location_between_the_scans_of_a_progressive_jpeg_is_dropped_too():
    content = saved("JPEG", progressive=True)
    second_scan = content.index(b"\xff\xda", content.index(b"\xff\xda") + 2)
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + XMP_WITH_LOCATION
    segment = struct.pack(">BBH", 0xFF, 0xE1, len(xmp) + 2) + xmp
    hidden = content[:second_scan] + segment + content[second_scan:]
    assert pixels(hidden) == pixels(content)
    assert without_location(hidden, "image/jpeg") == content


def test_extended_xmp_split_across_segments_is_dropped():
    content = saved("JPEG")
    text = b"<x:xmpmeta>" + b" " * 100 + b'exif:GPSLatitude="39,54.3N"</x:xmpmeta>'
    middle = text.index(b"Lat") + 1
    segments = b""
    for offset, piece in ((0, text[:middle]), (middle, text[middle:])):
        payload = (
            b"http://ns.adobe.com/xmp/extension/\x00"
            + b"0" * 32
            + struct.pack(">II", len(text), offset)
            + piece
        )
        segments += struct.pack(">BBH", 0xFF, 0xE1, len(payload) + 2) + payload
    split = content[:2] + segments + content[2:]
    assert without_location(split, "image/jpeg") == content


def test_gps_behind_the_thumbnails_ifd_is_removed_and_the_orientation_kept():
    def ifd(*entries: tuple[int, int, int, bytes], following: int = 0) -> bytes:
        return (
            struct.pack(">H", len(entries))
            + b"".join(struct.pack(">HHI", *entry[:3]) + entry[3] for entry in entries)
            + struct.pack(">I", following)
        )

    # IFD0 at 8 (18 bytes), IFD1 at 26 (18 bytes), the GPS IFD at 44.
    ifd0 = ifd((ORIENTATION, 3, 1, struct.pack(">HH", ROTATED, 0)), following=26)
    ifd1 = ifd((GPS_IFD, 4, 1, struct.pack(">I", 44)))
    gps = ifd((1, 2, 2, b"N\x00\x00\x00"))
    content = saved("JPEG", exif=b"Exif\x00\x00MM\x00*" + struct.pack(">I", 8) + ifd0 + ifd1 + gps)
    copy = without_location(content, "image/jpeg")
    assert copy is not None and struct.pack(">HHI", GPS_IFD, 4, 1) not in copy
    assert exif_of(copy)[ORIENTATION] == ROTATED
    assert pixels(copy) == pixels(content)
