"""A bare device for protocol tests: numbers its ops, keeps an HLC, pushes raw batches.

Deliberately not the real client (sync/client.py): these tests must be able to send
what a correct client never would (gaps, reused numbers, bad clocks)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from uuid_utils.compat import uuid7

from sync.hlc import tick
from tests.factories import Person


class Device:
    def __init__(self, api: httpx.AsyncClient, person: Person, device_id: uuid.UUID) -> None:
        self.api = api
        self.person = person
        self.id = device_id
        self.seq = 0
        self.hlc = None
        self.clock_offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    def op(self, body: dict[str, Any], type: str = "inspection.submitted", **over: Any) -> dict:
        self.seq += 1
        now = self.now()
        self.hlc = tick(self.hlc, int(now.timestamp() * 1000), str(self.id))
        op = {
            "type": type,
            "v": 1,
            "op_id": str(uuid7()),
            "device_seq": self.seq,
            "hlc": str(self.hlc),
            "occurred_at": now.isoformat(),
            "body": body,
        }
        op.update(over)
        return op

    async def push(self, ops: list[dict], **over: Any) -> httpx.Response:
        request = {
            "protocol": 1,
            "app_version": "test-1.0",
            "device_id": str(self.id),
            "device_now": self.now().isoformat(),
            "ops": ops,
        }
        request.update(over)
        return await self.api.post("/api/sync/push", json=request, headers=self.person.headers)

    async def push_ok(self, ops: list[dict]) -> dict:
        response = await self.push(ops)
        assert response.status_code == 200, response.text
        return response.json()


async def device_of(api: httpx.AsyncClient, person: Person) -> Device:
    me = (await api.get("/api/me", headers=person.headers)).json()
    return Device(api, person, uuid.UUID(me["device_id"]))
