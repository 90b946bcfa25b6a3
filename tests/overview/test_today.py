"""A site's morning figures, GET /api/sites/{id}/today, on both databases: each figure
against records made for it, at the edges of its limits (an action exactly 3 and 7 days
old, a phone synced just inside and just outside 3 days, a record refused just inside and
just outside 7 days); who may read them, and what an auditor is not shown."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from uuid_utils.compat import uuid7

from tests.factories import Person, make_asset, make_location, make_person, make_school, take_step
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.schedules.scheduling import FRIDAY, due, set_now
from tests.schedules.test_due import a_school_with_work
from tests.syncing.device import Device, device_of

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


async def today(api, person: Person, site_id: uuid.UUID) -> dict:
    response = await api.get(f"/api/sites/{site_id}/today", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def report(api, person: Person, at: datetime, **target: str) -> dict:
    body = {
        "id": str(uuid7()),
        "kind": "repair",
        "description": "门把手松动",
        "reported_at": at.isoformat(),
        **target,
    }
    response = await api.post("/api/reports", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_checks_are_counted_as_the_due_lists_list_them(api, monkeypatch):
    school, admin, *_ = await a_school_with_work(api, monkeypatch)
    figures = (await today(api, admin, school.site_id))["due"]
    listed = await due(api, admin, school.site_id)
    overdue = await due(api, admin, school.site_id, scope="overdue")
    # Two extinguishers checked daily, none done yet today; 9 to 19 November overdue on
    # both but the one done, and two Mondays of the classroom.
    assert figures == {
        "schedules": 2,
        "today": 2,
        "done": 0,
        "excused": 0,
        "left": 2,
        "overdue": 23,
    }
    assert (figures["today"], figures["overdue"]) == (len(listed), len(overdue))

    # One of today's done: counted done, no longer left.
    kept = listed[1]["target"]["asset_id"]
    done = await submit(api, admin, submission(asset=uuid.UUID(kept), completed_at=FRIDAY))
    assert done.status_code == 201, done.text
    figures = (await today(api, admin, school.site_id))["due"]
    assert (figures["today"], figures["done"], figures["left"]) == (2, 1, 1)


async def test_open_actions_by_age_and_owner_with_the_limits_exact(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    school, admin, inspector, asset = await extinguisher_school()
    room = await make_location(admin, school, "101教室", kind="room")
    where = {"location_id": str(room)}
    # No maintainer yet: reports raise actions that no one owns.
    exactly_7 = await report(api, inspector, FRIDAY - 7 * DAY, **where)
    under_7 = await report(api, inspector, FRIDAY - 7 * DAY + MINUTE, **where)
    exactly_3 = await report(api, inspector, FRIDAY - 3 * DAY, **where)
    under_3 = await report(api, inspector, FRIDAY - 3 * DAY + MINUTE, **where)
    fresh = await report(api, inspector, FRIDAY - MINUTE, **where)
    # A failed critical item: a high-severity finding, and its action, raised an hour ago.
    failed = submission(
        asset=asset,
        answers=extinguisher_answers(gauge_zone="red"),
        completed_at=FRIDAY - timedelta(hours=1),
    )
    assert (await submit(api, inspector, failed)).status_code == 201

    maintainer = await make_person(school, "maintainer")
    await take_step(api, admin, exactly_7, "assign", owner_id=str(maintainer.user_id))
    await take_step(api, admin, under_3, "assign", owner_id=str(maintainer.user_id))
    started = await take_step(api, admin, exactly_3, "start")
    assert started["state"] == "in_progress"
    await take_step(api, admin, fresh, "fix")
    # Closed ones count nowhere.
    cancelled = await report(api, inspector, FRIDAY - 9 * DAY, **where)
    await take_step(api, admin, cancelled, "cancel", reason="重复报修")

    listed = (
        await api.get(
            "/api/actions", params={"site_id": str(school.site_id)}, headers=admin.headers
        )
    ).json()["items"]
    to_do = [a for a in listed if a["state"] in ("open", "in_progress")]
    late = [a for a in to_do if datetime.fromisoformat(a["due_at"]) < FRIDAY]
    assert len(to_do) == 5 and len(late) >= 3

    actions = (await today(api, admin, school.site_id))["actions"]
    assert actions["open"] == 5
    # Exactly 7 days old is 7 days old; a minute younger is not.
    assert actions["aged_7_days"] == 1
    assert actions["aged_3_days"] == 3
    assert actions["overdue"] == len(late)
    assert actions["awaiting_sign_off"] == 1
    owners = {
        (o["owner_id"], o["owner_name"]): (o["open"], o["overdue"]) for o in actions["owners"]
    }
    mine = [a for a in late if a["owner_id"] == str(maintainer.user_id)]
    assert owners == {
        (None, ""): (3, len(late) - len(mine)),
        (str(maintainer.user_id), "测试maintainer"): (2, len(mine)),
    }
    assert [o["owner_id"] for o in actions["owners"]] == [None, str(maintainer.user_id)]
    assert (await today(api, admin, school.site_id))["high_findings"] == 1
    assert (await today(api, admin, school.site_id))["things"] == 2
    assert under_7["id"] != exactly_7["id"]


async def test_refused_records_and_quiet_phones_at_their_limits(api, monkeypatch):
    set_now(monkeypatch, FRIDAY - 10 * DAY)
    school = await make_school()
    admin = await make_person(school, "admin")
    asset = await make_asset(admin, school)
    # Logged in on ten days ago and never synced: quiet.
    never = await make_person(school, "guard")
    set_now(monkeypatch, FRIDAY - DAY)
    # Logged in on yesterday, not synced yet: not quiet.
    newcomer = await make_person(school, "inspector")
    just_over = await make_person(school, "maintainer")
    just_under = await make_person(school, "gatekeeper")

    devices: dict[uuid.UUID, Device] = {}

    async def push_at(person: Person, at: datetime, ops: int = 0) -> None:
        set_now(monkeypatch, at)
        if person.user_id not in devices:
            devices[person.user_id] = await device_of(api, person)
        device = devices[person.user_id]
        device.clock_offset = at - datetime.now(UTC)
        # A checklist the school never installed: refused, and kept for its managers.
        batch = [device.op(submission(asset=asset, completed_at=at - MINUTE)) for _ in range(ops)]
        answer = await device.push_ok(batch)
        assert [r["status"] for r in answer["results"]] == ["rejected"] * ops

    await push_at(just_over, FRIDAY - 3 * DAY - MINUTE)
    await push_at(just_under, FRIDAY - 3 * DAY + MINUTE)
    await push_at(admin, FRIDAY - 7 * DAY - MINUTE, ops=2)
    await push_at(admin, FRIDAY - 7 * DAY + MINUTE, ops=1)
    await push_at(admin, FRIDAY - MINUTE, ops=1)
    set_now(monkeypatch, FRIDAY)

    sync = (await today(api, admin, school.site_id))["sync"]
    assert (sync["refused_days"], sync["quiet_days"]) == (7, 3)
    # Refused 7 days and a minute ago: not counted; 7 days less a minute ago: counted.
    assert sync["refused"] == 2
    listed = await api.get(
        "/api/sync/refused", params={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert [r["code"] for r in listed.json()] == ["inspection.unknown_template"] * 4
    quiet = [(d["user_id"], d["last_sync_at"]) for d in sync["quiet"]]
    assert quiet == [
        (str(never.user_id), None),
        (str(just_over.user_id), (FRIDAY - 3 * DAY - MINUTE).isoformat().replace("+00:00", "Z")),
    ]
    assert sync["quiet_total"] == 2
    assert sync["quiet"][0]["user_name"] == "测试guard"
    assert sync["quiet"][0]["device_name"] == "test phone"
    assert str(newcomer.user_id) not in {d["user_id"] for d in sync["quiet"]}
    assert str(just_under.user_id) not in {d["user_id"] for d in sync["quiet"]}


async def test_an_auditor_reads_the_figures_without_the_phones_and_others_are_refused(
    api, monkeypatch
):
    school = await make_school()
    admin = await make_person(school, "admin")
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + 9 * DAY)
    inspector = await make_person(school, "inspector")
    stranger = await make_person(await make_school(), "admin")

    empty = await today(api, admin, school.site_id)
    assert empty["things"] == 0 and empty["due"]["schedules"] == 0
    assert empty["actions"]["open"] == 0 and empty["actions"]["owners"] == []
    assert empty["sync"]["refused"] == 0 and empty["sync"]["quiet"] == []

    await make_asset(admin, school)
    seen = await today(api, auditor, school.site_id)
    assert seen["things"] == 1 and seen["sync"] is None

    path = f"/api/sites/{school.site_id}/today"
    refused = await api.get(path, headers=inspector.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.forbidden")
    hidden = await api.get(path, headers=stranger.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
