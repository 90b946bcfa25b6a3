"""R12 end to end: a push over the server's byte limit is refused whole with 413, and the
real client splits its batch until each part fits (real server, both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import msgspec

from server.inspections.tables import Inspection
from server.syncing.push import MAX_BYTES
from sync.client import DeviceClient
from sync.ids import uuid7
from sync.store import DeviceStore
from sync.tables import SyncDevice
from tests.inspections.helpers import extinguisher_answers, extinguisher_school
from tests.syncing.device import device_of

# Each inspection carries two texts of 2,000 four-byte characters (the longest a note and
# a text answer may be): about 16 KB, so a few hundred of them are over 8 MiB.
LONG = "🧯" * 2000
OPS = 560


def long_inspection(asset: object, now: datetime) -> dict:
    completed = now - timedelta(minutes=5)
    return {
        "id": str(uuid7()),
        "template_key": "fire_extinguisher_monthly",
        "template_version": 1,
        "asset_id": str(asset),
        "answers": extinguisher_answers(notes=LONG),
        "started_at": (completed - timedelta(minutes=1)).isoformat(),
        "completed_at": completed.isoformat(),
        "note": LONG,
    }


class Recording(httpx.AsyncBaseTransport):
    """The real network, remembering each push's size and the status it was answered."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.pushes: list[tuple[int, int, int]] = []
        """(ops, bytes, status) per push request."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path == "/api/sync/push":
            ops = len(msgspec.json.decode(request.content)["ops"])
            self.pushes.append((ops, len(request.content), response.status_code))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_rule_12_a_push_over_the_byte_limit_is_413_with_the_limit_and_nothing_applied(
    api, clean
):
    school, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    now = datetime.now(UTC)
    ops = [device.op(long_inspection(asset, now)) for _ in range(OPS)]
    response = await device.push(ops)
    assert len(response.request.content) > MAX_BYTES
    assert response.status_code == 413, response.text
    problem = response.json()
    assert problem["code"] == "request.too_large"
    assert str(MAX_BYTES) in problem["detail"]
    assert await Inspection.count() == 0
    assert not await SyncDevice.exists().where(SyncDevice.id == device.id)
    # The same ops in two requests fit, and are applied.
    first = await device.push_ok(ops[: OPS // 2])
    second = await device.push_ok(ops[OPS // 2 :])
    assert second["last_applied_seq"] == OPS
    assert {r["status"] for r in first["results"] + second["results"]} == {"applied"}
    assert await Inspection.count().where(Inspection.site == school.site_id) == OPS


async def test_rule_12_the_client_halves_a_batch_over_the_byte_limit_until_it_fits(clean, tmp_path):
    school, _, inspector, asset = await extinguisher_school()
    network = Recording()
    with DeviceStore(tmp_path / "phone.sqlite3", durable=False) as store:
        async with DeviceClient(store, transport=network, batch_size=1000) as client:
            await client.enrol(clean.url, inspector.token)
            made = set()
            for _ in range(OPS):
                body = long_inspection(asset, datetime.now(UTC))
                client.enqueue("inspection.submitted", body, datetime.now(UTC))
                made.add(body["id"])
            report = await client.push()
        assert (report.settled, report.remaining, report.last_applied_seq) == (OPS, 0, OPS)
        assert {r.status for r in store.outbox.results()} == {"applied"}
    refused = [(ops, size) for ops, size, status in network.pushes if status == 413]
    answered = [(ops, size) for ops, size, status in network.pushes if status == 200]
    assert refused and refused[0][0] == OPS and refused[0][1] > MAX_BYTES
    assert sum(ops for ops, _ in answered) == OPS
    assert all(size <= MAX_BYTES for _, size in answered)
    stored = await Inspection.select(Inspection.id).where(Inspection.site == school.site_id)
    assert sorted(str(row["id"]) for row in stored) == sorted(made)
