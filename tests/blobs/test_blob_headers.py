"""A photo opened by itself in a browser tab is shown as exactly its type and can run
nothing."""

from __future__ import annotations

import pytest

from server.blobs.blobs import BlobCopy
from server.blobs.controllers import copy_headers
from tests.blobs.pictures import photo, sha256, signature
from tests.blobs.test_blobs import upload
from tests.factories import make_person, make_school

SANDBOX = "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    ("content", "media_type"),
    [(photo("JPEG"), "image/jpeg"), (photo("WEBP"), "image/webp"), (signature(), "image/png")],
)
async def test_a_photo_is_served_as_its_own_type_unsniffed_and_sandboxed(api, content, media_type):
    school = await make_school()
    admin = await make_person(school, "admin")
    assert (await upload(api, admin, school, content)).status_code == 201
    for original in (False, True):
        params = {"original": "true"} if original else {}
        for method in ("GET", "HEAD"):
            served = await api.request(
                method, f"/api/blobs/{sha256(content)}", params=params, headers=admin.headers
            )
            assert served.status_code == 200, (method, original)
            assert served.headers["content-type"] == media_type
            assert served.headers["x-content-type-options"] == "nosniff"
            assert served.headers["content-security-policy"] == SANDBOX
            assert served.headers["content-disposition"] == "inline"


@pytest.mark.parametrize("media_type", ["image/svg+xml", "text/html", "application/pdf"])
def test_any_other_type_would_only_ever_be_downloaded(media_type):
    copy = BlobCopy(key="k", size=1, media_type=media_type, etag='"k"')
    headers = copy_headers(copy)
    assert headers["Content-Disposition"] == "attachment"
    assert headers["Content-Security-Policy"] == SANDBOX
