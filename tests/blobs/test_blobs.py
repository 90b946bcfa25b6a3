from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
import uvicorn

from server.app import create_app
from server.blobs.blobs import VIEWER_COPY, missing_blobs
from server.blobs.images import GPS_IFD, ORIENTATION
from server.blobs.storage import TEMP_PREFIX, FileStorage
from server.blobs.tables import Blob, BlobGrant
from tests.blobs.pictures import (
    ROTATED,
    bomb_png,
    exif_of,
    gif,
    noise_png,
    photo,
    pixels,
    sha256,
    signature,
)
from tests.conftest import Server
from tests.factories import Person, School, make_person, make_school


async def upload(
    api: httpx.AsyncClient,
    person: Person,
    school: School,
    content: bytes,
    name: str | None = None,
    **headers: str,
) -> httpx.Response:
    return await api.put(
        f"/api/blobs/{name or sha256(content)}",
        params={"site_id": str(school.site_id)},
        content=content,
        headers={**person.headers, "Content-Type": "application/octet-stream", **headers},
    )


def stored_files(server: Server, name: str) -> list[str]:
    """Every file in the blob store whose name starts with `name` (the original and any copy)."""
    return sorted(p.name for p in server.settings.blob_dir.rglob(f"{name}*"))


async def test_a_photo_is_uploaded_once_and_served_back(api, clean):
    school = await make_school()
    guard = await make_person(school, "guard")
    content = photo(gps=False)
    name = sha256(content)

    created = await upload(api, guard, school, content)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "sha256": name,
        "size": len(content),
        "media_type": "image/jpeg",
        "width": 32,
        "height": 24,
        "created": True,
    }
    head = await api.head(f"/api/blobs/{name}", headers=guard.headers)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(content))
    served = await api.get(f"/api/blobs/{name}", headers=guard.headers)
    assert served.status_code == 200
    assert served.content == content
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert stored_files(clean, name) == [name]
    path = FileStorage(clean.settings.blob_dir).path(name)
    assert path.parent.parent.name == name[:2] and path.parent.name == name[2:4]
    assert path.read_bytes() == content


async def test_uploading_the_same_photo_again_stores_nothing_new(api):
    school = await make_school()
    inspector = await make_person(school, "inspector")
    content = photo()
    first = await upload(api, inspector, school, content)
    again = await upload(api, inspector, school, content)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "created": False}
    assert await Blob.count().where(Blob.sha256 == sha256(content)) == 1
    assert await BlobGrant.count().where(BlobGrant.blob == sha256(content)) == 1


async def test_a_stored_photo_uploaded_for_another_site_is_granted_not_stored_again(api, clean):
    school = await make_school()
    other_site = await make_school(organization_id=school.organization_id)
    here = await make_person(school, "inspector")
    there = await make_person(other_site, "maintainer")
    content = photo()
    assert (await upload(api, here, school, content)).status_code == 201
    assert (
        await api.head(f"/api/blobs/{sha256(content)}", headers=there.headers)
    ).status_code == 404

    granted = await upload(api, there, other_site, content)
    assert granted.status_code == 201 and granted.json()["created"] is True
    assert (
        await api.head(f"/api/blobs/{sha256(content)}", headers=there.headers)
    ).status_code == 200
    assert await Blob.count().where(Blob.sha256 == sha256(content)) == 1
    assert await BlobGrant.count().where(BlobGrant.blob == sha256(content)) == 2
    assert stored_files(clean, sha256(content)) == [sha256(content), sha256(content) + VIEWER_COPY]


async def test_a_body_that_does_not_hash_to_its_name_is_refused_and_nothing_is_kept(api, clean):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = photo()
    claimed = sha256(b"another photo")
    refused = await upload(api, admin, school, content, name=claimed)
    assert refused.status_code == 400
    assert refused.json()["code"] == "blob.hash_mismatch"
    assert refused.json()["field"] == "sha256"
    for name in (claimed, sha256(content)):
        assert (await api.head(f"/api/blobs/{name}", headers=admin.headers)).status_code == 404
        assert stored_files(clean, name) == []
    assert await Blob.count() == 0


@pytest.mark.parametrize(
    "name", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, "photo.jpg", "a" * 64 + ".noloc"]
)
async def test_a_name_that_is_not_a_sha256_is_refused(api, name):
    school = await make_school()
    admin = await make_person(school, "admin")
    refused = await upload(api, admin, school, photo(), name=name)
    assert refused.status_code == 400
    assert refused.json()["code"] == "blob.invalid_name"
    assert refused.json()["field"] == "sha256"
    fetched = await api.get(f"/api/blobs/{name}", headers=admin.headers)
    assert fetched.json()["code"] == "blob.invalid_name"


@pytest.fixture
async def small_limit_api(clean: Server) -> AsyncIterator[httpx.AsyncClient]:
    """A second server, on the same database, whose blob limit is 1,000 bytes. Its start-up
    hooks are skipped: the session server has already bound the tables to this database."""
    settings = msgspec.structs.replace(clean.settings, blob_max_bytes=1000)
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client
    server.should_exit = True
    await task


async def test_a_body_over_the_size_limit_is_refused_with_the_limit(small_limit_api, clean):
    school = await make_school()
    admin = await make_person(school, "admin")
    small, large = signature(), noise_png(20)
    assert len(small) < 1000 < len(large)
    assert (await upload(small_limit_api, admin, school, small)).status_code == 201

    declared = await upload(small_limit_api, admin, school, large)
    assert declared.status_code == 413
    assert declared.json()["code"] == "request.too_large"
    assert "1,000 bytes" in declared.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(large), 300):
            yield large[start : start + 300]

    streamed = await small_limit_api.put(
        f"/api/blobs/{sha256(large)}",
        params={"site_id": str(school.site_id)},
        content=chunks(),
        headers=admin.headers,
    )
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "request.too_large"
    assert stored_files(clean, sha256(large)) == []


async def test_a_photo_larger_than_a_json_body_is_accepted(api):
    """The app's 1 MiB limit for JSON bodies does not apply to photos."""
    school = await make_school()
    admin = await make_person(school, "admin")
    content = noise_png(700)
    assert len(content) > 1024 * 1024
    accepted = await upload(api, admin, school, content)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["size"] == len(content)


async def test_the_type_comes_from_the_content_and_only_jpeg_png_and_webp_are_accepted(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    webp = await upload(api, admin, school, photo("WEBP"), **{"Content-Type": "image/jpeg"})
    assert webp.status_code == 201
    assert webp.json()["media_type"] == "image/webp"
    png = await upload(api, admin, school, signature(), **{"Content-Type": "image/jpeg"})
    assert png.json()["media_type"] == "image/png"
    for content in (b"not a photo at all\n", gif(), b""):
        refused = await upload(api, admin, school, content, **{"Content-Type": "image/png"})
        assert refused.status_code == 415, content[:10]
        assert refused.json()["code"] == "blob.unsupported_type"


async def test_a_truncated_photo_is_refused(api, clean):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = photo(size=(64, 64))
    cut = content[: len(content) - 40]
    refused = await upload(api, admin, school, cut)
    assert refused.status_code == 400
    assert refused.json()["code"] == "blob.corrupt_image"
    assert stored_files(clean, sha256(cut)) == []


async def test_a_decompression_bomb_is_refused(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    bomb = bomb_png()
    assert len(bomb) < 100_000
    refused = await upload(api, admin, school, bomb)
    assert refused.status_code == 400
    assert refused.json()["code"] == "blob.too_many_pixels"
    just_over_our_limit = bomb_png(8000, 7000)
    refused = await upload(api, admin, school, just_over_our_limit)
    assert refused.json()["code"] == "blob.too_many_pixels"
    assert "8000 x 7000" in refused.json()["detail"]


async def test_viewers_get_the_photo_without_its_location_and_the_original_keeps_it(api, clean):
    school = await make_school()
    inspector = await make_person(school, "inspector")
    manager = await make_person(school, "manager")
    content = photo()
    name = sha256(content)
    assert (await upload(api, inspector, school, content)).status_code == 201

    viewed = await api.get(f"/api/blobs/{name}", headers=manager.headers)
    assert viewed.status_code == 200
    assert viewed.headers["content-type"] == "image/jpeg"
    assert viewed.headers["etag"] != f'"{name}"'
    exif = exif_of(viewed.content)
    assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
    assert exif[ORIENTATION] == ROTATED
    assert pixels(viewed.content) == pixels(content)
    head = await api.head(f"/api/blobs/{name}", headers=manager.headers)
    assert head.headers["content-length"] == str(len(viewed.content))

    original = await api.get(
        f"/api/blobs/{name}", params={"original": "true"}, headers=manager.headers
    )
    assert original.status_code == 200
    assert original.content == content and sha256(original.content) == name
    assert original.headers["etag"] == f'"{name}"'
    assert exif_of(original.content).get_ifd(GPS_IFD)[2] == (39.0, 54.0, 20.5)
    # The copy was made once, at upload, and is what every viewer gets.
    assert stored_files(clean, name) == [name, name + VIEWER_COPY]
    again = await api.get(f"/api/blobs/{name}", headers=inspector.headers)
    assert again.content == viewed.content


async def test_the_viewers_copy_is_made_again_when_it_is_missing(api, clean):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = photo("PNG")
    assert (await upload(api, admin, school, content)).status_code == 201
    copy = FileStorage(clean.settings.blob_dir).path(sha256(content) + VIEWER_COPY)
    made_at_upload = copy.read_bytes()
    copy.unlink()
    viewed = await api.get(f"/api/blobs/{sha256(content)}", headers=admin.headers)
    assert viewed.content == made_at_upload == copy.read_bytes()
    assert not exif_of(viewed.content).get_ifd(GPS_IFD)


async def test_a_site_that_keeps_photo_locations_shows_them_to_viewers(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    guard = await make_person(school, "guard")
    content = photo("WEBP")
    await upload(api, guard, school, content)
    kept = await api.patch(
        f"/api/sites/{school.site_id}", json={"keep_photo_location": True}, headers=admin.headers
    )
    assert kept.status_code == 200 and kept.json()["keep_photo_location"] is True
    viewed = await api.get(f"/api/blobs/{sha256(content)}", headers=guard.headers)
    assert viewed.content == content
    assert exif_of(viewed.content).get_ifd(GPS_IFD)[1] == "N"


async def test_the_location_is_shown_only_if_every_site_the_viewer_sees_it_through_keeps_it(api):
    school = await make_school()
    keeping = await make_school(organization_id=school.organization_id)
    await make_person(keeping, "admin")
    admin = await make_person(school, "admin", extra_sites={keeping.site_id: "admin"})
    only_keeping = await make_person(keeping, "inspector")
    content = photo()
    await upload(api, admin, school, content)
    await upload(api, admin, keeping, content)
    await api.patch(
        f"/api/sites/{keeping.site_id}", json={"keep_photo_location": True}, headers=admin.headers
    )
    through_both = await api.get(f"/api/blobs/{sha256(content)}", headers=admin.headers)
    assert not exif_of(through_both.content).get_ifd(GPS_IFD)
    through_keeping = await api.get(f"/api/blobs/{sha256(content)}", headers=only_keeping.headers)
    assert through_keeping.content == content


async def test_a_stranger_learns_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = photo()
    await upload(api, admin, school, content)
    stranger = await make_person(await make_school(), "admin")
    name = sha256(content)
    assert (await api.head(f"/api/blobs/{name}", headers=stranger.headers)).status_code == 404
    for params in ({}, {"original": "true"}):
        fetched = await api.get(f"/api/blobs/{name}", params=params, headers=stranger.headers)
        assert fetched.status_code == 404
        assert fetched.json()["code"] == "not_found"
    never_stored = await api.get(f"/api/blobs/{sha256(b'x')}", headers=stranger.headers)
    assert never_stored.json() == fetched.json()
    into_their_site = await upload(api, stranger, school, photo())
    assert into_their_site.status_code == 404
    assert (await api.get(f"/api/blobs/{name}")).status_code == 401


async def test_auditors_fetch_the_evidence_but_never_upload(api):
    school = await make_school()
    guard = await make_person(school, "guard")
    auditor = await make_person(school, "auditor")
    content = photo()
    await upload(api, guard, school, content)
    refused = await upload(api, auditor, school, photo())
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.forbidden"
    original = await api.get(
        f"/api/blobs/{sha256(content)}", params={"original": "true"}, headers=auditor.headers
    )
    assert original.status_code == 200 and original.content == content


async def test_an_inspector_sees_the_viewers_copy_but_not_the_original(api):
    school = await make_school()
    inspector = await make_person(school, "inspector")
    content = photo()
    await upload(api, inspector, school, content)
    name = sha256(content)
    refused = await api.get(
        f"/api/blobs/{name}", params={"original": "true"}, headers=inspector.headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.forbidden"
    head = await api.head(
        f"/api/blobs/{name}", params={"original": "true"}, headers=inspector.headers
    )
    assert head.status_code == 403
    viewed = await api.get(f"/api/blobs/{name}", headers=inspector.headers)
    assert viewed.status_code == 200 and viewed.content != content


async def test_missing_blobs_lists_what_the_site_has_not_been_given(api):
    school = await make_school()
    other_site = await make_school(organization_id=school.organization_id)
    admin = await make_person(school, "admin", extra_sites={other_site.site_id: "admin"})
    here, elsewhere = photo(), signature()
    await upload(api, admin, school, here)
    await upload(api, admin, other_site, elsewhere)
    never = sha256(b"never uploaded")
    asked = [never, sha256(elsewhere), sha256(here), never, sha256(elsewhere)]
    assert await missing_blobs(school.site_id, asked) == sorted({never, sha256(elsewhere)})
    assert await missing_blobs(other_site.site_id, iter(asked)) == sorted({never, sha256(here)})
    assert await missing_blobs(school.site_id, []) == []


async def test_uploads_leave_no_temporary_files(api, clean):
    school = await make_school()
    admin = await make_person(school, "admin")
    uploads = [photo(), photo("PNG"), photo("WEBP"), signature()]
    responses = await asyncio.gather(*(upload(api, admin, school, c) for c in uploads))
    assert [r.status_code for r in responses] == [201] * 4
    await upload(api, admin, school, uploads[0], name=sha256(b"wrong"))
    assert list(clean.settings.blob_dir.rglob(f"{TEMP_PREFIX}*")) == []
