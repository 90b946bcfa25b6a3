"""Ops a device pushed that the server refused (`rejected`) or found in conflict: kept in
the ledger with their codes, listed for the site's managers, who follow them up with the
person whose phone sent them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

from server.accounts.access import MANAGERS, Caller
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
