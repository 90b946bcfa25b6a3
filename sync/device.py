"""What a device knows about itself and what each sync did, as the client and its store
hand them out.

Plain msgspec structs, so `roundkeeper device status --json` is one `msgspec.json.encode`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec


class StoreError(RuntimeError):
    """The store cannot do what was asked (not enrolled, another device's outbox, ...)."""


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who this device is: the server it syncs with, its token, and the person it serves
    (from `GET /api/me` at enrolment)."""

    server_url: str
    token: str
    device_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    display_name: str
    organization_id: uuid.UUID
    sites: list[dict[str, Any]]
    enrolled_at: datetime


class CachedRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One pulled record of reference data, as the server sent it."""

    scope: str
    entity: str
    id: str
    version: int
    data: Any


class BlobFile(msgspec.Struct, frozen=True, kw_only=True):
    """A photo or signature on this device, to upload to `site_id` under its hash."""

    sha256: str
    site_id: uuid.UUID
    path: Path


class QueuedBlob(BlobFile, frozen=True, kw_only=True):
    attempts: int
    last_error: str | None


class AttentionOp(msgspec.Struct, frozen=True, kw_only=True):
    """An acknowledged op and its result; rejected and conflicting ones need a person."""

    device_seq: int
    op_id: uuid.UUID
    type: str
    status: str
    code: str | None
    detail: str | None
    field: str | None
    occurred_at: datetime
    acknowledged_at: datetime
    body: Any
    current: Any = None
    """For a conflict: the server's state, as it answered."""


class Settlement(msgspec.Struct, frozen=True, kw_only=True):
    """What one push answer did to the outbox."""

    settled: int
    rejected: int
    """Of `settled`, the ops answered rejected or conflict."""
    gap: bool
    last_applied_seq: int
    requeued_blobs: int


class DeviceStatus(msgspec.Struct, frozen=True, kw_only=True):
    enrolled: bool
    server_url: str | None
    device_id: uuid.UUID | None
    username: str | None
    queued_ops: int
    queued_blobs: int
    failing_blobs: int
    """Queued blobs whose last upload failed."""
    next_seq: int
    last_applied_seq: int
    """The server's, as last heard."""
    last_push_at: datetime | None
    last_pull_at: datetime | None
    cursors: dict[str, str | None]
    cached: dict[str, int]
    """Cached records per entity."""
    needs_attention: list[AttentionOp]


class PushReport(msgspec.Struct, frozen=True, kw_only=True):
    sent: int
    """Ops sent (counting an op once however many times it was retried)."""
    settled: int
    """Ops that left the outbox with a final answer."""
    needs_attention: int
    """Of `settled`, the rejected and conflicting ones."""
    batches: int
    remaining: int
    last_applied_seq: int


class PullReport(msgspec.Struct, frozen=True, kw_only=True):
    pages: int
    changes: int
    requests: int
    scopes: dict[str, str]
    """Each scope's last status: ok, reset or removed."""


class BlobReport(msgspec.Struct, frozen=True, kw_only=True):
    uploaded: int
    failed: int
    remaining: int
    errors: list[str] = []


class SyncReport(msgspec.Struct, frozen=True, kw_only=True):
    push: PushReport
    pull: PullReport
    blobs: BlobReport
