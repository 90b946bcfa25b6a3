"""The remaining protocol rules (sync/PROTOCOL.md), through the real HTTP API on both
databases."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import asyncpg
from PIL import Image

from server.inspections.tables import Finding, Inspection
from server.syncing import push as push_module
from sync.tables import SyncChange, SyncDevice, SyncOp
from tests.factories import make_location
from tests.inspections.helpers import (
    extinguisher_answers,
    extinguisher_school,
    submission,
)
from tests.inspections.test_inspections import FRIDGE
from tests.syncing.device import device_of
from tests.syncing.test_pull import pull_all


async def test_rule_7_a_momentary_database_failure_is_503_with_retry_after_not_rejected(
    api, monkeypatch
):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    real = push_module.HANDLERS["inspection.submitted"]

    class Unlucky:
        type, versions = real.type, real.versions
        decode = real.decode

        async def prepare(self, principal, bodies, *, now):
            prepared = await real.prepare(principal, bodies, now=now)

            class Failing:
                outcomes = prepared.outcomes

                async def write(self):
                    # What PostgreSQL says when two transactions cannot both commit.
                    raise asyncpg.exceptions.SerializationError("could not serialize access")

            return Failing()

    monkeypatch.setitem(push_module.HANDLERS, "inspection.submitted", Unlucky())
    op = device.op(submission(asset=asset))
    response = await device.push([op])
    assert response.status_code == 503
    assert response.json()["code"] == "sync.busy"
    assert response.headers["Retry-After"] == "2"
    assert await SyncOp.count() == 0
    monkeypatch.setitem(push_module.HANDLERS, "inspection.submitted", real)
    again = await device.push_ok([op])
    assert again["results"][0]["status"] == "applied"


async def test_rule_8_a_batch_commits_its_records_ledger_changes_and_counter_together(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    failing = [submission(asset=asset, answers=extinguisher_answers(hose="fail")) for _ in range(3)]
    await device.push_ok([device.op(body) for body in failing])
    assert await Inspection.count() == 3
    assert await Finding.count() == 3
    assert await SyncOp.count() == 3
    findings = await SyncChange.select(SyncChange.position).where(SyncChange.entity == "finding")
    assert len({row["position"] for row in findings}) == 1
    row = await SyncDevice.select().where(SyncDevice.id == device.id).first()
    assert row["last_applied_seq"] == 3


async def test_rule_14_the_answer_has_one_result_per_op_in_order_and_the_clocks(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    ops = [device.op(submission(asset=asset)) for _ in range(4)]
    answer = await device.push_ok(ops)
    assert [r["op_id"] for r in answer["results"]] == [op["op_id"] for op in ops]
    assert [r["device_seq"] for r in answer["results"]] == [1, 2, 3, 4]
    assert answer["last_applied_seq"] == 4
    assert set(answer) >= {"missing_blobs", "server_now", "server_hlc", "skew_ms"}


async def test_rule_17_a_correction_of_a_fact_the_server_does_not_hold_is_rejected(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    never_sent = submission(asset=asset)
    correction = submission(asset=asset, supersedes=never_sent["id"])
    answer = await device.push_ok([device.op(correction)])
    result = answer["results"][0]
    assert (result["status"], result["code"], result["field"]) == (
        "rejected",
        "not_found",
        "body.supersedes",
    )
    # In order, from the same device, the original then its correction both go in.
    original = submission(asset=asset)
    fixed = submission(asset=asset, supersedes=original["id"])
    answer = await device.push_ok([device.op(original), device.op(fixed)])
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]


async def test_rule_22_what_is_derived_does_not_depend_on_arrival_order(api):
    """Two phones: one failed the hose on Monday, the other passed it on Tuesday. Whichever
    syncs first, the finding ends rechecked by Tuesday's pass and the last inspection is
    Tuesday's."""
    outcomes = []
    for reverse in (False, True):
        _, admin, inspector, asset = await extinguisher_school()
        monday = submission(
            asset=asset,
            answers=extinguisher_answers(hose="fail"),
            completed_at=_days_ago(2),
        )
        tuesday = submission(asset=asset, completed_at=_days_ago(1))
        phones = [await device_of(api, inspector), await device_of(api, admin)]
        order = [(phones[0], monday), (phones[1], tuesday)]
        for phone, body in reversed(order) if reverse else order:
            await phone.push_ok([phone.op(body)])
        finding = await Finding.select().where(Finding.asset == asset).first()
        scan = await api.get(f"/api/assets/{asset}/inspections", headers=admin.headers)
        outcomes.append(
            (
                finding["status"],
                str(finding["rechecked_by"]) == tuesday["id"],
                scan.json()["items"][0]["id"] == tuesday["id"],
            )
        )
    assert outcomes == [("rechecked", True, True)] * 2


def _days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


async def test_rule_23_reference_data_cannot_be_pushed(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    answer = await device.push_ok(
        [device.op({"id": str(asset), "name": "改名"}, type="asset.updated")]
    )
    assert (answer["results"][0]["status"], answer["results"][0]["code"]) == (
        "rejected",
        "sync.unknown_type",
    )


async def test_rule_36_a_wrong_device_clock_moves_no_cursor(api):
    school, admin, inspector, asset = await extinguisher_school()
    _, cursors, _ = await pull_all(api, admin)
    phone = await device_of(api, inspector)
    phone.clock_offset = -timedelta(days=30)
    body = submission(
        asset=asset,
        answers=extinguisher_answers(hose="fail"),
        completed_at=phone.now() - timedelta(minutes=5),
    )
    await phone.push_ok([phone.op(body)])
    seen, _, _ = await pull_all(api, admin, cursors)
    findings = [c for c in seen[str(school.site_id)] if c["entity"] == "finding"]
    assert [f["data"]["inspection_id"] for f in findings] == [body["id"]]


async def test_rule_37_blobs_are_their_hash_and_a_second_upload_is_harmless(api):
    school, _, inspector, _ = await extinguisher_school()
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    content = buffer.getvalue()
    name = hashlib.sha256(content).hexdigest()
    url = f"/api/blobs/{name}"
    params = {"site_id": str(school.site_id)}
    first = await api.put(url, params=params, content=content, headers=inspector.headers)
    again = await api.put(url, params=params, content=content, headers=inspector.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    wrong = await api.put(
        f"/api/blobs/{'0' * 64}", params=params, content=content, headers=inspector.headers
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "blob.hash_mismatch")


async def test_rule_40_an_unknown_protocol_version_is_refused_whole(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    response = await device.push([device.op(submission(asset=asset))], protocol=99)
    assert (response.status_code, response.json()["code"]) == (400, "sync.unsupported_protocol")
    assert await Inspection.count() == 0


async def test_rule_41_a_record_made_on_an_old_template_version_is_judged_by_it(api):
    school, admin, inspector, _ = await extinguisher_school()
    room = await make_location(admin, school, "食堂冷库", kind="room")
    await api.post("/api/templates", content=FRIDGE.format(max=5).encode(), headers=admin.headers)
    await api.post("/api/templates", content=FRIDGE.format(max=8).encode(), headers=admin.headers)
    device = await device_of(api, inspector)
    made_on_v1 = submission(
        location=room, template="fridge_check", version=1, answers={"temperature": 6}
    )
    answer = await device.push_ok([device.op(made_on_v1)])
    assert answer["results"][0]["status"] == "applied"
    assert answer["results"][0]["result"]["result"] == "fail"
