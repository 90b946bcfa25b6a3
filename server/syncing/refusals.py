"""Ops a device pushed that the server refused (`rejected`) or found in conflict: kept in
the ledger with their codes, listed for the site's managers, who follow them up with the
person whose phone sent them. Beside them, the site's devices with their last sync and
clock, so a manager sees a phone whose clock is wrong (R35: flagged, never refused)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

import msgspec

from server.accounts.access import MANAGERS, Caller
from server.accounts.tokens import member_devices
from server.accounts.users import display_names
from sync.tables import SyncDevice, SyncOp


class RefusedOp(msgspec.Struct, frozen=True, kw_only=True):
    op_id: uuid.UUID
    device_id: uuid.UUID
    device_seq: int
    user_id: uuid.UUID | None
    user_name: str
    type: str
    status: Literal["rejected", "conflict"]
    code: str | None
    detail: str | None
    field: str | None
    occurred_at: datetime | None
    received_at: datetime


async def list_refused_ops(
    caller: Caller,
    site_id: uuid.UUID,
    *,
    status: Literal["rejected", "conflict"] | None = None,
    limit: int = 100,
) -> list[RefusedOp]:
    caller.require(site_id, MANAGERS)
    statuses = [status] if status else ["rejected", "conflict"]
    rows = (
        await SyncOp.select()
        .where((SyncOp.scope == str(site_id)) & SyncOp.status.is_in(statuses))
        .order_by(SyncOp.received_at, ascending=False)
        .order_by(SyncOp.id, ascending=False)
        .limit(limit)
    )
    devices = {
        row["id"]: row["user_id"]
        for row in await SyncDevice.select(SyncDevice.id, SyncDevice.user_id).where(
            SyncDevice.id.is_in(list({r["device_id"] for r in rows}) or [uuid.UUID(int=0)])
        )
    }
    names = await display_names(list(set(devices.values())))
    return [
        RefusedOp(
            op_id=row["op_id"],
            device_id=row["device_id"],
            device_seq=row["device_seq"],
            user_id=devices.get(row["device_id"]),
            user_name=names.get(devices.get(row["device_id"]), ""),  # type: ignore[arg-type]
            type=row["type"],
            status=row["status"],
            code=row["code"],
            detail=row["detail"],
            field=row["field"],
            occurred_at=row["occurred_at"],
            received_at=row["received_at"],
        )
        for row in rows
    ]


class DeviceSync(msgspec.Struct, frozen=True, kw_only=True):
    device_id: uuid.UUID
    device_name: str
    user_id: uuid.UUID
    user_name: str
    app_version: str
    """Empty for a device that never synced."""
    last_push_at: datetime | None
    last_pull_at: datetime | None
    skew_ms: int
    """The device's clock minus the server's, at its last push."""
    skew_flagged: bool
    """The clock was off by more than the protocol tolerates (R35): have it set right."""


async def list_devices(caller: Caller, site_id: uuid.UUID) -> list[DeviceSync]:
    """The devices of the site's people, those with a wrong clock first (managers)."""
    caller.require(site_id, MANAGERS)
    devices = await member_devices(site_id)
    ledgers = {
        row["id"]: row
        for row in await SyncDevice.select().where(
            SyncDevice.id.is_in([d.id for d in devices] or [uuid.UUID(int=0)])
        )
    }
    listed = [
        DeviceSync(
            device_id=device.id,
            device_name=device.name,
            user_id=device.user_id,
            user_name=device.user_name,
            app_version=ledger.get("app_version", ""),
            last_push_at=ledger.get("last_push_at"),
            last_pull_at=ledger.get("last_pull_at"),
            skew_ms=ledger.get("last_skew_ms", 0),
            skew_flagged=ledger.get("skew_flagged", False),
        )
        for device in devices
        for ledger in [ledgers.get(device.id, {})]
    ]
    return sorted(listed, key=lambda d: (not d.skew_flagged, d.user_name, d.device_name))


async def count_refused_ops(site_id: uuid.UUID, since: datetime) -> int:
    """How many of the site's ops were rejected or in conflict since `since` (for callers
    already authorised)."""
    return await SyncOp.count().where(
        (SyncOp.scope == str(site_id))
        & SyncOp.status.is_in(["rejected", "conflict"])
        & (SyncOp.received_at >= since)
    )


class QuietDevice(msgspec.Struct, frozen=True, kw_only=True):
    device_id: uuid.UUID
    device_name: str
    user_id: uuid.UUID
    user_name: str
    last_sync_at: datetime | None
    """Its last push or pull, whichever is later; None if it never synced."""
    enrolled_at: datetime


async def quiet_devices(site_id: uuid.UUID, since: datetime) -> list[QuietDevice]:
    """The devices of the site's people that last synced at or before `since` (one that
    never synced: logged in on at or before it), the longest quiet first. A phone that stops syncing
    keeps its records to itself; for callers already authorised."""
    devices = await member_devices(site_id)
    ledgers = {
        row["id"]: row
        for row in await SyncDevice.select(
            SyncDevice.id, SyncDevice.last_push_at, SyncDevice.last_pull_at
        ).where(SyncDevice.id.is_in([d.id for d in devices] or [uuid.UUID(int=0)]))
    }
    quiet = []
    seen: set[uuid.UUID] = set()
    # A device logged in on twice has two tokens: it is one phone.
    for device in sorted(devices, key=lambda d: d.enrolled_at, reverse=True):
        if device.id in seen:
            continue
        seen.add(device.id)
        ledger = ledgers.get(device.id, {})
        synced = (ledger.get("last_push_at"), ledger.get("last_pull_at"))
        last = max((t.astimezone(UTC) for t in synced if t), default=None)
        if (last or device.enrolled_at.astimezone(UTC)) > since:
            continue
        quiet.append(
            QuietDevice(
                device_id=device.id,
                device_name=device.name,
                user_id=device.user_id,
                user_name=device.user_name,
                last_sync_at=last,
                enrolled_at=device.enrolled_at.astimezone(UTC),
            )
        )
    return sorted(quiet, key=lambda d: (d.last_sync_at or d.enrolled_at, d.user_name))
