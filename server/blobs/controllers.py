from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Request, Response, get, head, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, Parameter

from server.blobs import blobs
from server.blobs.blobs import BlobCopy
from server.blobs.storage import BlobStorage, FileStorage
from server.blobs.wire import BlobOut, BlobsShown
from server.deps import AppSettings, CurrentCaller

Sha256 = Annotated[str, Parameter(description="sha256 of the file's bytes, lowercase hex")]
Original = Annotated[
    bool,
    Parameter(
        description="the stored file exactly as uploaded, EXIF location included "
        "(admins, managers and auditors)"
    ),
]
Storage = NamedDependency[BlobStorage]
CACHE_FOREVER = "private, max-age=31536000, immutable"
# The types shown in the browser itself; anything else is only ever downloaded.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def provide_storage(settings: AppSettings) -> BlobStorage:
    return FileStorage(settings.blob_dir)


def copy_headers(copy: BlobCopy) -> dict[str, str]:
    """A name is a hash, so what it answers never changes for a given copy. A photo opened
    by itself in a tab is shown as exactly its type and can run nothing (no sniffing, a
    sandbox that allows nothing); a file of any other type is a download."""
    disposition = "inline" if copy.media_type in INLINE_TYPES else "attachment"
    return {
        "ETag": copy.etag,
        "Cache-Control": CACHE_FOREVER,
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }


class BlobController(Controller):
    path = "/api/blobs"
    tags = ["blobs"]
    dependencies = {"storage": Provide(provide_storage, sync_to_thread=False)}

    # The limit is the setting `blob_max_bytes`, enforced while the body streams in.
    @put("/{sha256:str}", request_max_body_size=None)
    async def upload_blob(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        storage: Storage,
        request: Request,
        sha256: Sha256,
        site_id: FromQuery[uuid.UUID],
    ) -> Response[BlobOut]:
        """The raw image (JPEG, PNG or WebP) as the body, named by its sha256."""
        blob = await blobs.upload_blob(
            caller,
            site_id,
            sha256,
            request.stream(),
            storage=storage,
            max_bytes=settings.blob_max_bytes,
            declared_size=request.content_length,
        )
        return Response(blob, status_code=201 if blob.created else 200)

    @get("/")
    async def shown_blobs(
        self,
        caller: CurrentCaller,
        sha256: Annotated[
            list[str], Parameter(description="the names asked about, each given as sha256=…")
        ],
    ) -> BlobsShown:
        """Which of these photos the caller can fetch now (uploaded, at a site of theirs)."""
        return await blobs.shown_blobs(caller, sha256)

    @get("/{sha256:str}", media_type="application/octet-stream")
    async def get_blob(
        self, caller: CurrentCaller, storage: Storage, sha256: Sha256, original: Original = False
    ) -> Response[bytes]:
        copy, content = await blobs.read_blob(caller, sha256, original=original, storage=storage)
        return Response(content, media_type=copy.media_type, headers=copy_headers(copy))

    @head("/{sha256:str}")
    async def head_blob(
        self, caller: CurrentCaller, storage: Storage, sha256: Sha256, original: Original = False
    ) -> Response[None]:
        copy = await blobs.find_copy(caller, sha256, original=original, storage=storage)
        headers = {**copy_headers(copy), "Content-Length": str(copy.size)}
        # Litestar wants Response[None] for HEAD, but renders only bytes for a binary type.
        return Response(b"", media_type=copy.media_type, headers=headers)  # type: ignore[arg-type]
