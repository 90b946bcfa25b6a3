"""Push, rule by rule (sync/PROTOCOL.md), through the real HTTP API on both databases."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from server.inspections.tables import Inspection
from sync.tables import SyncDevice, SyncOp
from tests.factories import make_asset, make_person, make_school
from tests.inspections.helpers import (
    extinguisher_answers,
    extinguisher_school,
    photo,
    submission,
    submit,
)
from tests.syncing.device import device_of


async def last_applied(device) -> int:
    row = await SyncDevice.select().where(SyncDevice.id == device.id).first()
    return row["last_applied_seq"] if row else 0


async def test_rule_1_ops_are_applied_in_order_within_a_batch(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    first = submission(asset=asset, answers=extinguisher_answers(hose="fail"))
    correction = submission(asset=asset, supersedes=first["id"])
    answer = await device.push_ok([device.op(first), device.op(correction)])
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]
    assert answer["last_applied_seq"] == 2
    stored = await Inspection.select(Inspection.id, Inspection.supersedes).order_by(Inspection.id)
    assert {str(r["supersedes"]) for r in stored} == {"None", first["id"]}


async def test_rule_3_a_replayed_op_returns_its_stored_answer_and_is_not_applied_again(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    ops = [device.op(submission(asset=asset)), device.op(submission(asset=asset))]
    first = await device.push_ok(ops)
    # The answer was lost; the device sends the same batch again.
    again = await device.push_ok(ops)
    assert again["results"] == first["results"]
    assert again["last_applied_seq"] == 2
    assert await Inspection.count() == 2
    assert await SyncOp.count() == 2
    # Repeated within one batch: the second is a replay of the first.
    op = device.op(submission(asset=asset))
    twice = await device.push_ok([op, op])
    assert twice["results"][0] == twice["results"][1]
    assert await Inspection.count() == 3


async def test_rule_4_a_reused_seq_with_another_op_is_a_conflict_and_stores_nothing(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    await device.push_ok([device.op(submission(asset=asset))])
    device.seq = 0
    other = device.op(submission(asset=asset))
    answer = await device.push_ok([other])
    assert answer["results"][0]["status"] == "conflict"
    assert answer["results"][0]["code"] == "sync.seq_reused"
    assert await Inspection.count() == 1


async def test_rule_5_an_op_beyond_the_next_seq_is_a_gap_and_so_is_everything_after(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    first = device.op(submission(asset=asset))
    device.seq += 1  # seq 2 is lost on the device's side
    third, fourth = device.op(submission(asset=asset)), device.op(submission(asset=asset))
    answer = await device.push_ok([first, third, fourth])
    assert [r["status"] for r in answer["results"]] == ["applied", "gap", "gap"]
    assert answer["last_applied_seq"] == 1
    assert await Inspection.count() == 1


async def test_rule_6_a_bad_op_is_rejected_with_code_and_field_and_the_queue_moves_on(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    good_before = device.op(submission(asset=asset))
    bad_answers = device.op(submission(asset=asset, answers=extinguisher_answers(hose=7)))
    unknown_type = device.op({"x": 1}, type="spaceship.launched")
    bad_body = device.op({"id": "not-a-uuid"})
    bad_clock = device.op(submission(asset=asset), hlc="yesterday")
    other_node = device.op(submission(asset=asset))
    other_node["hlc"] = other_node["hlc"].rsplit("-", 5)[0] + "-" + str(uuid.uuid4())
    good_after = device.op(submission(asset=asset))
    ops = [good_before, bad_answers, unknown_type, bad_body, bad_clock, other_node, good_after]
    answer = await device.push_ok(ops)
    results = answer["results"]
    assert [r["status"] for r in results] == [
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "applied",
    ]
    assert (results[1]["code"], results[1]["field"]) == (
        "inspection.invalid_answers",
        "body.answers.hose",
    )
    assert (results[2]["code"], results[2]["field"]) == ("sync.unknown_type", "type")
    assert results[3]["code"] == "sync.invalid_body"
    assert results[3]["field"].startswith("body")
    assert (results[4]["code"], results[4]["field"]) == ("sync.invalid_hlc", "hlc")
    assert results[5]["code"] == "sync.invalid_hlc"
    assert answer["last_applied_seq"] == 7
    assert await Inspection.count() == 2
    # The refusals are kept: a replay answers them the same way.
    again = await device.push_ok(ops)
    assert again["results"] == results


async def test_rule_11_the_device_must_be_the_tokens_and_each_op_is_authorised_alone(api):
    school, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    foreign = await device.push([], device_id=str(uuid.uuid4()))
    assert (foreign.status_code, foreign.json()["code"]) == (403, "sync.device_mismatch")
    other_school = await make_school()
    other_admin = await make_person(other_school, "admin")
    elsewhere = await make_asset(other_admin, other_school, asset_number="X-1")
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=9))
    answer = await device.push_ok(
        [
            device.op(submission(asset=elsewhere)),
            device.op(submission(asset=asset)),
        ]
    )
    assert [r["status"] for r in answer["results"]] == ["rejected", "applied"]
    assert answer["results"][0]["code"] == "not_found"
    reader = await device_of(api, auditor)
    refused = await reader.push_ok([reader.op(submission(asset=asset))])
    assert refused["results"][0]["code"] == "auth.forbidden"


async def test_rule_12_too_many_ops_is_413_with_the_limit(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    ops = [device.op(submission(asset=asset)) for _ in range(1001)]
    response = await device.push(ops)
    assert response.status_code == 413
    assert response.json()["code"] == "sync.too_many_ops"
    assert "1000" in response.json()["detail"]
    assert await last_applied(device) == 0


async def test_rule_13_a_malformed_request_is_400_with_the_path(api):
    _, _, inspector, _ = await extinguisher_school()
    device = await device_of(api, inspector)
    response = await device.push([{"type": "inspection.submitted"}])
    assert response.status_code == 400
    assert response.json()["field"].startswith("ops[0]")
    naive = await device.push([], device_now="2026-11-22T08:00:00")
    assert (naive.status_code, naive.json()["field"]) == (400, "device_now")


async def test_rule_15_a_fact_that_arrived_another_way_is_a_duplicate_with_its_result(api):
    _, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset)
    assert (await submit(api, inspector, body)).status_code == 201
    device = await device_of(api, inspector)
    answer = await device.push_ok([device.op(body)])
    duplicate = answer["results"][0]
    assert duplicate["status"] == "duplicate"
    assert duplicate["result"]["id"] == body["id"]
    assert duplicate["result"]["result"] == "pass"
    assert await Inspection.count() == 1


async def test_rule_16_other_content_under_a_stored_id_is_a_conflict_and_the_first_stays(api):
    _, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset)
    assert (await submit(api, inspector, body)).status_code == 201
    device = await device_of(api, inspector)
    changed = dict(body, answers=extinguisher_answers(gauge_zone="red"))
    conflict = (await device.push_ok([device.op(changed)]))["results"][0]
    assert conflict["status"] == "conflict"
    assert conflict["code"] == "inspection.conflict"
    assert conflict["current"]["evaluation"]["result"] == "pass"
    kept = await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)
    assert kept.json()["answers"]["gauge_zone"] == "green"
    assert await Inspection.count() == 1


async def test_rule_34_a_clock_far_ahead_never_drags_the_server_clock(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    device.clock_offset = timedelta(days=3)
    # Done a minute ago by the server's clock: business times are judged by it (R47).
    body = submission(asset=asset, completed_at=datetime.now(UTC) - timedelta(minutes=1))
    answer = await device.push_ok([device.op(body)])
    assert answer["results"][0]["status"] == "applied"
    server_hlc_ms = int(answer["server_hlc"].split("-")[0])
    server_now = datetime.fromisoformat(answer["server_now"])
    assert server_hlc_ms <= server_now.timestamp() * 1000 + 5 * 60 * 1000
    stored = await SyncOp.select(SyncOp.hlc).first()
    assert int(stored["hlc"].split("-")[0]) <= server_now.timestamp() * 1000 + 5 * 60 * 1000


async def test_rule_35_skew_is_recorded_and_flagged_and_never_refuses(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    device.clock_offset = -timedelta(days=2)
    answer = await device.push_ok([device.op(submission(asset=asset))])
    assert answer["results"][0]["status"] == "applied"
    assert answer["skew_ms"] < -47 * 3600 * 1000
    row = await SyncDevice.select().where(SyncDevice.id == device.id).first()
    assert row["skew_flagged"] is True
    assert row["last_skew_ms"] == answer["skew_ms"]
    device.clock_offset = timedelta(0)
    await device.push_ok([device.op(submission(asset=asset))])
    row = await SyncDevice.select().where(SyncDevice.id == device.id).first()
    assert row["skew_flagged"] is False


async def test_rule_38_photos_not_uploaded_yet_are_listed_and_do_not_block(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    body = submission(asset=asset, answers=extinguisher_answers(photo=[photo("p1")]))
    answer = await device.push_ok([device.op(body)])
    assert answer["results"][0]["status"] == "applied"
    assert answer["missing_blobs"] == [photo("p1")]


async def test_rule_9_only_committed_ops_are_acknowledged_under_concurrent_conflicting_batches(
    api,
):
    """Many devices push at once; half their ops reuse one shared inspection id with
    different content. Whatever each device is told was applied must be exactly what the
    database kept, and each id is kept once."""
    school, _, _, asset = await extinguisher_school()
    people = [await make_person(school, "inspector") for _ in range(6)]
    devices = [await device_of(api, person) for person in people]
    shared = [submission(asset=asset) for _ in range(5)]

    async def run(n: int, device) -> list[tuple[str, str]]:
        told = []
        for _ in range(3):
            ops = []
            for k in range(8):
                if k % 2 == 0:
                    body = dict(shared[k % 5], note=f"device {n}")
                else:
                    body = submission(asset=asset)
                ops.append(device.op(body))
            answer = await device.push_ok(ops)
            told += [
                (op["body"]["id"], result["status"])
                for op, result in zip(ops, answer["results"], strict=True)
            ]
        return told

    outcomes = await asyncio.gather(*(run(n, d) for n, d in enumerate(devices)))
    applied_ids = [i for told in outcomes for i, status in told if status == "applied"]
    stored = {str(r["id"]) for r in await Inspection.select(Inspection.id)}
    assert len(applied_ids) == len(set(applied_ids)) == len(stored)
    assert set(applied_ids) == stored
    for told in outcomes:
        for inspection_id, status in told:
            # A device sends its own version of a shared id again in later rounds.
            assert status in ("applied", "duplicate", "conflict"), status
            assert inspection_id in stored


async def test_refused_and_conflicting_ops_are_listed_for_the_sites_managers(api):
    school, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    body = submission(asset=asset)
    first = device.op(body)
    bad = device.op(submission(asset=asset, answers=extinguisher_answers(hose="broken")))
    changed = device.op(dict(body, note="changed on the phone"))
    answer = await device.push_ok([first, bad, changed])
    assert [r["status"] for r in answer["results"]] == ["applied", "rejected", "conflict"]
    manager = await make_person(school, "manager")
    listing = await api.get(
        "/api/sync/refused", params={"site_id": str(school.site_id)}, headers=manager.headers
    )
    assert listing.status_code == 200, listing.text
    refused = listing.json()
    assert [(r["status"], r["code"]) for r in refused] == [
        ("conflict", "inspection.conflict"),
        ("rejected", "inspection.invalid_answers"),
    ]
    assert refused[1]["op_id"] == bad["op_id"]
    assert refused[1]["user_name"] == "测试inspector"
    only = await api.get(
        "/api/sync/refused",
        params={"site_id": str(school.site_id), "status": "rejected"},
        headers=manager.headers,
    )
    assert len(only.json()) == 1
    mine = await api.get(
        "/api/sync/refused", params={"site_id": str(school.site_id)}, headers=inspector.headers
    )
    assert mine.status_code == 403


async def test_rule_1_a_second_batch_from_a_device_waits_for_the_first(api, clean):
    """While another transaction holds the device's ledger row (its earlier batch), a push
    from the same device waits instead of deciding anything."""
    import sqlite3

    import asyncpg

    from server import db

    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    await device.push_ok([device.op(submission(asset=asset))])
    if db.is_sqlite():
        holder = sqlite3.connect(db.current_engine().path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = holder.rollback
    else:
        conn = await asyncpg.connect(clean.settings.database_url)
        hold = conn.transaction()
        await hold.start()
        await conn.execute("SELECT 1 FROM sync_device WHERE id = $1 FOR UPDATE", device.id)

        async def release_pg() -> None:
            await hold.rollback()
            await conn.close()

    pending = asyncio.create_task(device.push_ok([device.op(submission(asset=asset))]))
    await asyncio.sleep(0.5)
    assert not pending.done()
    assert await last_applied(device) == 1
    if db.is_sqlite():
        release()
        holder.close()
    else:
        await release_pg()
    answer = await asyncio.wait_for(pending, timeout=30)
    assert answer["results"][0]["status"] == "applied"
    assert answer["last_applied_seq"] == 2
