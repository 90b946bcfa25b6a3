"""Hostile uploads, as a security probe sends them: files that inflate far past their
size, declare enormous pictures, or carry a location where a careless reader does not
look. Each is built here. The server runs in this process, so what it spends on an
upload is measured around the request, and must stay within ten times the upload limit.
"""

from __future__ import annotations

import io
import resource
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image, ImageSequence

from server.blobs.images import GPS_IFD
from server.blobs.storage import FileStorage
from server.blobs.tables import Blob
from tests.blobs.pictures import (
    MIB,
    XMP_WITH_LOCATION,
    deflated_zeros,
    gps_exif,
    jpeg_declaring,
    mpo,
    photo,
    png_chunk,
    sha256,
    signature,
    with_png_chunk,
    xmp_itxt,
)
from tests.conftest import Server
from tests.factories import Person, School, make_person, make_school

GIB = 1024 * MIB
GPS_POINTERS = tuple(
    struct.pack(order + "HHI", GPS_IFD, kind, 1) for order in "<>" for kind in (4, 13)
)
"""The EXIF entry pointing to a GPS IFD as it stands in a file (LONG or IFD, either order)."""
LOCATION_TEXT = (b"exif:gps", b"gpslatitude", b"gpslongitude", b"<trkpt")
TRACK = b'<gpx><trk><trkseg><trkpt lat="39.9055" lon="116.3976"/></trkseg></trk></gpx>'


@dataclass
class Memory:
    traced_peak: int = 0
    resident_growth: int = 0


@contextmanager
def memory_spent() -> Iterator[Memory]:
    """What the process spends while the body runs: the peak of Python allocations in
    every thread (the server inflates and decodes in worker threads of this process),
    and how far the resident peak grew (Pillow and its codecs allocate outside Python)."""
    memory = Memory()
    resident_before = _resident_peak()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    try:
        yield memory
    finally:
        memory.traced_peak = tracemalloc.get_traced_memory()[1] - baseline
        if not was_tracing:
            tracemalloc.stop()
        memory.resident_growth = _resident_peak() - resident_before


def _resident_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


async def upload_hostile(
    api: httpx.AsyncClient, server: Server, person: Person, school: School, content: bytes
) -> httpx.Response:
    with memory_spent() as memory:
        answer = await api.put(
            f"/api/blobs/{sha256(content)}",
            params={"site_id": str(school.site_id)},
            content=content,
            headers={**person.headers, "Content-Type": "application/octet-stream"},
        )
    bound = 10 * server.settings.blob_max_bytes
    assert memory.traced_peak < bound, f"{memory.traced_peak:,} bytes allocated"
    assert memory.resident_growth < bound, f"resident peak grew {memory.resident_growth:,}"
    return answer


def stored(server: Server, content: bytes) -> list[bytes]:
    """What the blob store holds under the content's name (the original, any copy)."""
    return [p.read_bytes() for p in sorted(server.settings.blob_dir.rglob(f"{sha256(content)}*"))]


def location_anywhere(content: bytes) -> list[bytes]:
    """Every trace of a place in the bytes, in the PNG text they inflate to, and in what
    Pillow reads from every frame."""
    found = [needle for needle in GPS_POINTERS if needle in content]
    texts = [content.lower(), *(text.lower() for text in _png_texts(content))]
    found += [word for word in LOCATION_TEXT if any(word in text for text in texts)]
    with Image.open(io.BytesIO(content)) as image:
        for frame in ImageSequence.Iterator(image):
            frame.load()
            if frame.getexif().get_ifd(GPS_IFD):
                found.append(b"GPS IFD of frame %d" % frame.tell())
            info = repr(frame.info).lower().encode()
            found += [word for word in LOCATION_TEXT if word in info]
    return found


def _png_texts(content: bytes) -> list[bytes]:
    """The text of every compressed PNG text chunk, inflated whatever its method byte."""
    texts = []
    position = 8
    while content.startswith(b"\x89PNG", 0) and position + 12 <= len(content):
        (length,) = struct.unpack_from(">I", content, position)
        kind, data = (
            content[position + 4 : position + 8],
            content[position + 8 : position + 8 + length],
        )
        position += 12 + length
        skip = {b"zTXt": 1, b"iTXt": 2}.get(kind)
        if skip is None:
            continue
        stream = data.split(b"\x00", 1)[1][skip:]
        if kind == b"iTXt":
            stream = stream.split(b"\x00", 2)[2]
        inflater = zlib.decompressobj()
        try:
            texts.append(inflater.decompress(stream, 16 * MIB))
        except zlib.error:
            texts.append(stream)
    return texts


def first_picture(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        return image.tobytes()


def ends_with_its_picture(content: bytes) -> bool:
    if content.startswith(b"RIFF"):
        return struct.unpack_from("<I", content, 4)[0] + 8 == len(content)
    if content.startswith(b"\x89PNG"):
        return content.endswith(png_chunk(b"IEND", b""))
    return content.endswith(b"\xff\xd9") and content.count(b"\xff\xd8\xff") == 1


def png_declaring(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        signature()[:8]
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(bytes(1 + 3 * min(width, 4096))))
        + png_chunk(b"IEND", b"")
    )


def animated_webp_declaring(width: int, height: int) -> bytes:
    """Two 16 x 16 frames on a canvas said to be `width` x `height`: libwebp allocates
    the canvas when it is given the file."""
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((9, 9, 9), (90, 9, 9))]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    content = out.getvalue()
    assert content[12:16] == b"VP8X"
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return content[:24] + canvas + content[30:]


def zip_holding(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, data)
    return out.getvalue()


def jpeg_with_xmp(xmp: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 30)).save(out, "JPEG", xmp=xmp)
    return out.getvalue()


def webp_with_xmp(xmp: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 30)).save(out, "WEBP", xmp=xmp)
    return out.getvalue()


Make = Callable[[], bytes]

INFLATING_TO_A_GIBIBYTE: dict[str, Make] = {
    "iTXt XMP": lambda: with_png_chunk(signature(), xmp_itxt(deflated_zeros(GIB))),
    "iTXt XMP, a method byte Pillow skips": lambda: with_png_chunk(
        signature(), xmp_itxt(deflated_zeros(GIB), method=1)
    ),
    "iTXt XMP after the pixels, a method byte Pillow skips": lambda: with_png_chunk(
        signature(), xmp_itxt(deflated_zeros(GIB), method=1), before=b"IEND"
    ),
    "zTXt XMP": lambda: with_png_chunk(
        signature(), png_chunk(b"zTXt", b"XML:com.adobe.xmp\x00\x00" + deflated_zeros(GIB))
    ),
    "iCCP": lambda: with_png_chunk(
        signature(), png_chunk(b"iCCP", b"camera\x00\x00" + deflated_zeros(GIB))
    ),
}


@pytest.mark.parametrize(
    "make", INFLATING_TO_A_GIBIBYTE.values(), ids=INFLATING_TO_A_GIBIBYTE.keys()
)
async def test_a_small_png_whose_metadata_inflates_to_a_gibibyte_is_refused_uninflated(
    api, clean, make
):
    school = await make_school()
    guard = await make_person(school, "guard")
    content = make()
    assert len(content) < 1.1 * MIB

    refused = await upload_hostile(api, clean, guard, school, content)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "blob.too_large_inflated"
    assert refused.json()["field"] == "body"
    assert stored(clean, content) == []


DECLARING_ENORMOUS_PICTURES: dict[str, Make] = {
    "PNG 100000 x 100000": lambda: png_declaring(100_000, 100_000),
    "PNG 10000 x 10000": lambda: png_declaring(10_000, 10_000),
    "JPEG 65000 x 65000": lambda: jpeg_declaring(65_000, 65_000),
    "JPEG 10000 x 10000": lambda: jpeg_declaring(10_000, 10_000),
    "animated WebP on a 10000 x 10000 canvas": lambda: animated_webp_declaring(10_000, 10_000),
}


@pytest.mark.parametrize(
    "make", DECLARING_ENORMOUS_PICTURES.values(), ids=DECLARING_ENORMOUS_PICTURES.keys()
)
async def test_a_picture_declaring_enormous_dimensions_is_refused_before_it_is_decoded(
    api, clean, make
):
    school = await make_school()
    guard = await make_person(school, "guard")
    content = make()
    refused = await upload_hostile(api, clean, guard, school, content)
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "blob.too_many_pixels"
    assert stored(clean, content) == []


CARRYING_MORE_THAN_ONE_PICTURE: dict[str, Make] = {
    "MPO, GPS in the second picture only": lambda: mpo(
        Image.new("RGB", (16, 16), (200, 30, 30)),
        Image.new("RGB", (16, 16), (30, 30, 200)),
        second_exif=gps_exif(),
    ),
    "JPEG followed by a JPEG with GPS": lambda: photo(gps=False) + photo(),
    "JPEG that is also a ZIP of a GPS track": lambda: (
        photo(gps=False) + zip_holding("track.gpx", TRACK)
    ),
    "PNG followed by a JPEG with GPS": lambda: signature() + photo(),
    "WebP followed by a JPEG with GPS": lambda: photo("WEBP", gps=False) + photo(),
}


@pytest.mark.parametrize(
    "make", CARRYING_MORE_THAN_ONE_PICTURE.values(), ids=CARRYING_MORE_THAN_ONE_PICTURE.keys()
)
async def test_viewers_get_the_first_picture_alone_and_the_original_stays_whole(api, clean, make):
    school = await make_school()
    inspector = await make_person(school, "inspector")
    manager = await make_person(school, "manager")
    content = make()
    assert location_anywhere(content) != []

    accepted = await upload_hostile(api, clean, inspector, school, content)
    assert accepted.status_code == 201, accepted.text

    viewed = await api.get(f"/api/blobs/{sha256(content)}", headers=manager.headers)
    assert viewed.status_code == 200
    assert location_anywhere(viewed.content) == []
    assert ends_with_its_picture(viewed.content)
    assert not zipfile.is_zipfile(io.BytesIO(viewed.content))
    assert first_picture(viewed.content) == first_picture(content)
    # The evidence is kept and handed out exactly as it came.
    original = await api.get(
        f"/api/blobs/{sha256(content)}", params={"original": "true"}, headers=manager.headers
    )
    assert original.content == content
    assert stored(clean, content) == [content, viewed.content]


XMP_CARRIERS: dict[str, Make] = {
    "JPEG, XMP segment": lambda: jpeg_with_xmp(XMP_WITH_LOCATION),
    "PNG, XMP in tEXt": lambda: with_png_chunk(
        signature(), png_chunk(b"tEXt", b"XML:com.adobe.xmp\x00" + XMP_WITH_LOCATION)
    ),
    "PNG, XMP in zTXt": lambda: with_png_chunk(
        signature(),
        png_chunk(b"zTXt", b"XML:com.adobe.xmp\x00\x00" + zlib.compress(XMP_WITH_LOCATION)),
    ),
    "PNG, XMP in iTXt with a method byte Pillow skips": lambda: with_png_chunk(
        signature(), xmp_itxt(zlib.compress(XMP_WITH_LOCATION), method=1)
    ),
    "PNG, EXIF with GPS in an eXIf chunk": lambda: photo("PNG"),
    "WebP, XMP chunk": lambda: webp_with_xmp(XMP_WITH_LOCATION),
    "WebP, EXIF with GPS": lambda: photo("WEBP"),
}


@pytest.mark.parametrize("make", XMP_CARRIERS.values(), ids=XMP_CARRIERS.keys())
async def test_location_in_xmp_or_exif_of_any_container_is_not_in_the_viewers_copy(
    api, clean, make
):
    school = await make_school()
    inspector = await make_person(school, "inspector")
    content = make()
    assert location_anywhere(content) != []

    accepted = await upload_hostile(api, clean, inspector, school, content)
    assert accepted.status_code == 201, accepted.text
    viewed = await api.get(f"/api/blobs/{sha256(content)}", headers=inspector.headers)
    assert location_anywhere(viewed.content) == []
    assert first_picture(viewed.content) == first_picture(content)


async def test_a_blob_judged_by_earlier_rules_is_judged_again_when_next_viewed(api, clean):
    """Blobs stored before these rules were judged by the first ones, which missed location
    in a second picture: the record said "no location" and a copy may hold it. Viewers of
    such a blob get a copy made under the current rules, never the original or the old copy."""
    school = await make_school()
    inspector = await make_person(school, "inspector")
    content = CARRYING_MORE_THAN_ONE_PICTURE["MPO, GPS in the second picture only"]()
    name = sha256(content)
    accepted = await upload_hostile(api, clean, inspector, school, content)
    assert accepted.status_code == 201, accepted.text
    # As the first rules left it: judged clean, and an old-style copy that kept everything.
    await Blob.update({Blob.has_location: False, Blob.location_rules: 1}).where(Blob.sha256 == name)
    for old in clean.settings.blob_dir.rglob(f"{name}.*"):
        old.unlink()
    store = FileStorage(clean.settings.blob_dir)
    await store.put(name + ".noloc", content)

    viewed = await api.get(f"/api/blobs/{name}", headers=inspector.headers)
    assert viewed.status_code == 200
    assert location_anywhere(viewed.content) == []
    assert viewed.content != content
    assert first_picture(viewed.content) == first_picture(content)
