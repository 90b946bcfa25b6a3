"""Inspections in the pull feed: each one reaches other devices once, however it arrived,
a correction marks the inspection it supersedes, and a new device is sent the last
`HORIZON` of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from server.inspections.inspection_feed import HORIZON
from tests.factories import make_asset, make_person
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.syncing.device import device_of
from tests.syncing.recorded import encoded, feed, recorded
from tests.syncing.test_pull import entities, pull_all

FIELDS = {
    "id",
    "site_id",
    "template_key",
    "template_version",
    "asset_id",
    "location_id",
    "inspector_id",
    "completed_at",
    "result",
    "score",
    "critical_failure",
    "superseded_by",
}


def inspections(changes: list[dict]) -> list[dict]:
    return [c for c in changes if c["entity"] == "inspection"]


async def test_an_inspection_pushed_by_one_device_reaches_another_devices_pull_once(api):
    school, _, inspector, asset = await extinguisher_school()
    manager = await make_person(school, "manager")
    _, cursors, _ = await pull_all(api, manager)
    device = await device_of(api, inspector)
    completed = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    body = submission(
        asset=asset,
        answers=extinguisher_answers(hose="fail"),
        completed_at=completed.astimezone(timezone(timedelta(hours=8))),
    )
    op = device.op(body)
    first = await device.push_ok([op])
    assert first["results"][0]["status"] == "applied"
    # The answer lost: the same op again (answered as before, R3), then the same record
    # under a new op.
    again = await device.push_ok([op])
    assert again["results"] == first["results"]
    relayed = await device.push_ok([device.op(body)])
    assert relayed["results"][0]["status"] == "duplicate"

    seen, _, _ = await pull_all(api, manager, cursors)
    changes = inspections(seen[str(school.site_id)])
    assert [(c["id"], c["op"], c["version"]) for c in changes] == [(body["id"], "put", 1)]
    data = changes[0]["data"]
    assert set(data) == FIELDS
    assert data == {
        "id": body["id"],
        "site_id": str(school.site_id),
        "template_key": "fire_extinguisher_monthly",
        "template_version": 1,
        "asset_id": str(asset),
        "location_id": None,
        "inspector_id": str(inspector.user_id),
        "completed_at": completed.isoformat().replace("+00:00", "Z"),
        "result": "fail",
        "score": data["score"],
        "critical_failure": False,
        "superseded_by": None,
    }
    assert 0 < data["score"] < 100


async def test_an_inspection_posted_through_rest_reaches_a_devices_pull_once(api):
    school, admin, inspector, asset = await extinguisher_school()
    _, cursors, _ = await pull_all(api, admin)
    body = submission(asset=asset)
    assert (await submit(api, inspector, body)).status_code == 201
    assert (await submit(api, inspector, body)).status_code == 200
    seen, _, _ = await pull_all(api, admin, cursors)
    changes = inspections(seen[str(school.site_id)])
    assert [(c["id"], c["version"]) for c in changes] == [(body["id"], 1)]
    assert changes[0]["data"]["result"] == "pass"
    assert changes[0]["data"]["score"] == 100.0
    assert changes[0]["data"]["inspector_id"] == str(inspector.user_id)


async def test_a_correction_reaches_devices_with_superseded_by_on_the_inspection_it_corrects(api):
    school, admin, inspector, asset = await extinguisher_school()
    first = submission(asset=asset, answers=extinguisher_answers(hose="fail"))
    assert (await submit(api, inspector, first)).status_code == 201
    _, cursors, _ = await pull_all(api, admin)
    correction = submission(asset=asset, supersedes=first["id"])
    assert (await submit(api, inspector, correction)).status_code == 201

    seen, _, _ = await pull_all(api, admin, cursors)
    changes = inspections(seen[str(school.site_id)])
    assert sorted((c["id"], c["version"], c["data"]["superseded_by"]) for c in changes) == sorted(
        [(first["id"], 2, correction["id"]), (correction["id"], 1, None)]
    )
    # A new device holds the same two, as the change log last recorded them.
    fresh, _, _ = await pull_all(api, await make_person(school, "inspector"))
    held = entities(fresh[str(school.site_id)])
    assert held[("inspection", first["id"])]["version"] == 2
    assert held[("inspection", first["id"])]["data"]["superseded_by"] == correction["id"]
    assert held[("inspection", correction["id"])]["data"]["superseded_by"] is None
    last = {c.id: c for c in await recorded("inspection", scope=school.site_id)}
    for entity_id, version, data in await feed("inspection").rows(school.site_id, None, 10):
        assert (version, encoded(data)) == (last[entity_id].version, last[entity_id].raw)


async def test_an_inspection_and_its_correction_pushed_together_are_recorded_once_each(api):
    school, admin, inspector, asset = await extinguisher_school()
    _, cursors, _ = await pull_all(api, admin)
    device = await device_of(api, inspector)
    first = submission(asset=asset, answers=extinguisher_answers(body="fail"))
    correction = submission(asset=asset, supersedes=first["id"])
    pushed = await device.push_ok([device.op(first), device.op(correction)])
    assert [r["status"] for r in pushed["results"]] == ["applied", "applied"]
    seen, _, _ = await pull_all(api, admin, cursors)
    changes = inspections(seen[str(school.site_id)])
    assert [(c["id"], c["version"], c["data"]["superseded_by"]) for c in changes] == [
        (first["id"], 2, correction["id"]),
        (correction["id"], 1, None),
    ]


async def test_a_new_device_is_sent_the_inspections_completed_within_the_horizon(api):
    school, admin, inspector, asset = await extinguisher_school()
    other = await make_asset(admin, school, asset_number="MHQ-002")
    now = datetime.now(UTC)
    inside = submission(asset=asset, completed_at=now - HORIZON + timedelta(days=2))
    outside = submission(asset=other, completed_at=now - HORIZON - timedelta(days=2))
    recent = submission(asset=other, completed_at=now - timedelta(days=1))
    for body in (inside, outside, recent):
        assert (await submit(api, inspector, body)).status_code == 201

    rows = await feed("inspection").rows(school.site_id, None, 10)
    assert sorted(i for i, _, _ in rows) == sorted([inside["id"], recent["id"]])
    seen, _, _ = await pull_all(api, await make_person(school, "inspector"))
    pulled = {c["id"] for c in inspections(seen[str(school.site_id)])}
    assert pulled == {inside["id"], recent["id"]}
    # Another site's inspections never reach this one.
    _, _, stranger_inspector, stranger_asset = await extinguisher_school()
    elsewhere = submission(asset=stranger_asset)
    assert (await submit(api, stranger_inspector, elsewhere)).status_code == 201
    assert elsewhere["id"] not in {
        i for i, _, _ in await feed("inspection").rows(school.site_id, None, 10)
    }
