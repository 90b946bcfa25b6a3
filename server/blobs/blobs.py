"""Photos and signatures: uploaded by content hash, granted per site, served as the
original (the evidence) or as the copy for viewers.

A blob is named by the sha256 of its bytes, so an upload is idempotent and a retried or
duplicated upload stores nothing new. Who may see a blob follows only from its grants:
a caller sees it through a site where both the grant and a role of theirs exist, and
anyone else is told it does not exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from typing import Any

from piccolo.query.mixins import OnConflictAction

from server import clock
from server.accounts import sites
from server.accounts.access import EVERYONE, Caller
from server.blobs import images
from server.blobs.storage import BlobStorage
from server.blobs.tables import Blob, BlobGrant
from server.blobs.wire import BlobOut, BlobsShown
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError, forbidden, not_found

UPLOADERS = EVERYONE - {"auditor"}
"""Auditors look; they never add evidence."""
EVIDENCE_READERS = frozenset({"admin", "manager", "auditor"})
"""Who may fetch the original bytes, location and all."""
NAME = re.compile(r"^[0-9a-f]{64}$")
VIEWER_COPY = ".noloc2"
"""Storage key suffix of the copy without location, made once from the original. The "2"
names the rules that made it (`LOCATION_RULES`): copies made by earlier rules (".noloc",
which kept later pictures of a multi-picture file) are never served, and are made again
under the current ones when first needed."""
LOCATION_RULES = 2
"""The version of the rules that judged a blob's `has_location`. A blob judged by earlier
rules goes through the viewers' copy whatever it was judged, so that what those rules
missed (location in a second picture, in PNG text) is stripped when it is next viewed."""
LOOKUP_BATCH = 500
ASKED_AT_ONCE = 100


@dataclass(frozen=True)
class BlobCopy:
    """Which stored bytes answer a request: the original or the viewers' copy."""

    key: str
    size: int
    media_type: str
    etag: str


def check_name(sha256: str) -> str:
    if not NAME.match(sha256):
        raise DomainError(
            "blob.invalid_name",
            "a blob is named by the sha256 of its bytes: 64 lowercase hexadecimal characters",
            field="sha256",
        )
    return sha256


async def upload_blob(
    caller: Caller,
    site_id: uuid.UUID,
    sha256: str,
    body: AsyncIterable[bytes],
    *,
    storage: BlobStorage,
    max_bytes: int,
    declared_size: int | None = None,
) -> BlobOut:
    """Store an image under its hash and grant it to the site. The body is read only once
    the caller may upload there, and refused as soon as it passes `max_bytes`. Sending
    the same image again changes nothing (`created` false)."""
    check_name(sha256)
    caller.require(site_id, UPLOADERS, "site")
    content, digest = await _read_limited(body, max_bytes, declared_size)
    if digest != sha256:
        raise DomainError(
            "blob.hash_mismatch",
            f"the body's sha256 is {digest}, not the name it was sent under; nothing was stored",
            field="sha256",
        )
    row = await Blob.select().where(Blob.sha256 == sha256).first().run()
    if row is None:
        facts = await asyncio.to_thread(images.inspect_image, content, max_bytes=max_bytes)
        viewer_copy = await asyncio.to_thread(images.without_location, content, facts.media_type)
        if viewer_copy is not None:
            await storage.put(sha256 + VIEWER_COPY, viewer_copy)
        row = {
            "sha256": sha256,
            "size": len(content),
            "media_type": facts.media_type,
            "width": facts.width,
            "height": facts.height,
            "has_location": viewer_copy is not None,
            "location_rules": LOCATION_RULES,
            "created_at": clock.utcnow(),
        }
    # The file goes first: a crash before the rows leaves an unreferenced file, never a
    # row without its file. A file lost from storage is restored by the next upload.
    if not await storage.exists(sha256):
        await storage.put(sha256, content)
    async with transaction():
        await Blob.insert(Blob(**row)).on_conflict(action=OnConflictAction.do_nothing).run()
        granted = (
            await BlobGrant.insert(
                BlobGrant(
                    id=new_id(),
                    blob=sha256,
                    site=site_id,
                    uploaded_by=caller.user_id,
                    created_at=clock.utcnow(),
                )
            )
            .on_conflict(action=OnConflictAction.do_nothing)
            .returning(BlobGrant.id)
            .run()
        )
    return _blob_out(row, created=bool(granted))


async def find_copy(
    caller: Caller, sha256: str, *, original: bool, storage: BlobStorage
) -> BlobCopy:
    """The copy this caller gets. Viewers get the one without location unless every
    granting site they can see keeps locations; the original is for the roles that
    handle evidence. The viewers' copy is made on first need and kept."""
    check_name(sha256)
    row = await Blob.select().where(Blob.sha256 == sha256).first().run()
    visible = await _visible_sites(caller, sha256) if row is not None else []
    if row is None or not visible:
        raise not_found("blob")
    as_stored = BlobCopy(
        key=sha256, size=row["size"], media_type=row["media_type"], etag=f'"{sha256}"'
    )
    if original:
        if not any(caller.roles[site] in EVIDENCE_READERS for site in visible):
            raise forbidden("only admins, managers and auditors may fetch the original file")
        return as_stored
    if not row["has_location"] and row["location_rules"] >= LOCATION_RULES:
        return as_stored
    if set(visible) <= await sites.sites_keeping_photo_location(visible):
        return as_stored
    key = sha256 + VIEWER_COPY
    size = await storage.size(key)
    if size is None:
        size = await _make_viewer_copy(sha256, row["media_type"], storage)
    return BlobCopy(key=key, size=size, media_type=row["media_type"], etag=f'"{key}"')


async def read_blob(
    caller: Caller, sha256: str, *, original: bool, storage: BlobStorage
) -> tuple[BlobCopy, bytes]:
    copy = await find_copy(caller, sha256, original=original, storage=storage)
    content = await storage.get(copy.key)
    if content is None:
        raise not_found("blob content")
    return copy, content


async def shown_blobs(caller: Caller, sha256s: list[str]) -> BlobsShown:
    """Which of these the caller can fetch now: uploaded and granted to a site of theirs.
    A phone showing photos taken elsewhere asks first, so a photo still waiting on the
    phone that took it is said to be on its way rather than fetched and missed."""
    if len(sha256s) > ASKED_AT_ONCE:
        raise DomainError(
            "request.invalid", f"ask about at most {ASKED_AT_ONCE} photos", field="sha256"
        )
    names = sorted({check_name(sha256) for sha256 in sha256s})
    if not names or not caller.roles:
        return BlobsShown(shown=[])
    rows = (
        await BlobGrant.select(BlobGrant.blob)
        .where(BlobGrant.blob.is_in(names) & BlobGrant.site.is_in(list(caller.roles)))
        .run()
    )
    return BlobsShown(shown=sorted({row["blob"] for row in rows}))


async def missing_blobs(site_id: uuid.UUID, sha256s: Iterable[str]) -> list[str]:
    """Those of `sha256s` not yet granted to the site (the device must upload them),
    sorted, each once. Facts that name photos are accepted before the photos arrive;
    this says which are still owed."""
    wanted = sorted(set(sha256s))
    granted: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        rows = (
            await BlobGrant.select(BlobGrant.blob)
            .where((BlobGrant.site == site_id) & BlobGrant.blob.is_in(batch))
            .run()
        )
        granted.update(row["blob"] for row in rows)
    return [sha256 for sha256 in wanted if sha256 not in granted]


async def _visible_sites(caller: Caller, sha256: str) -> list[uuid.UUID]:
    if not caller.roles:
        return []
    rows = (
        await BlobGrant.select(BlobGrant.site)
        .where((BlobGrant.blob == sha256) & BlobGrant.site.is_in(list(caller.roles)))
        .run()
    )
    return [row["site"] for row in rows]


async def _make_viewer_copy(sha256: str, media_type: str, storage: BlobStorage) -> int:
    content = await storage.get(sha256)
    if content is None:
        raise not_found("blob content")
    copy = await asyncio.to_thread(images.without_location, content, media_type)
    # None cannot happen for a blob recorded with a location; the original is then safe.
    copy = content if copy is None else copy
    await storage.put(sha256 + VIEWER_COPY, copy)
    return len(copy)


async def _read_limited(
    body: AsyncIterable[bytes], max_bytes: int, declared_size: int | None
) -> tuple[bytes, str]:
    """The whole body and its sha256, refused early (by its Content-Length) or as soon as
    more than `max_bytes` has arrived, so an oversized upload is never held in memory."""
    if declared_size is not None and declared_size > max_bytes:
        raise _too_large(max_bytes)
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    received = 0
    async for chunk in body:
        received += len(chunk)
        if received > max_bytes:
            raise _too_large(max_bytes)
        digest.update(chunk)
        chunks.append(chunk)
    return b"".join(chunks), digest.hexdigest()


def _too_large(max_bytes: int) -> DomainError:
    return DomainError(
        "request.too_large",
        f"a photo or signature may be at most {max_bytes:,} bytes",
        field="body",
    )


def _blob_out(row: dict[str, Any], *, created: bool) -> BlobOut:
    return BlobOut(
        sha256=row["sha256"],
        size=row["size"],
        media_type=row["media_type"],
        width=row["width"],
        height=row["height"],
        created=created,
    )
