"""Snapshots for a new device (R27): per entity, the current rows of one site, in pages
that cover each row once, each row exactly as the change log recorded its last change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from uuid_utils.compat import uuid7

from server.accounts import users
from server.feeds import Scope
from server.gate.documents import check_character
from server.inspections.tables import Finding
from server.patrols.tables import PatrolRound
from server.schedules.tables import OccurrenceExcusal
from server.syncing.entities import FEEDS
from server.templates.templates import install_library
from tests.factories import (
    School,
    make_asset,
    make_location,
    make_person,
    make_school,
    make_tag,
)
from tests.gate.passing import card_body, confirmation, pass_body
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.syncing.device import device_of
from tests.syncing.recorded import encoded, feed, page_through, recorded
from tests.templates.test_templates import SIMPLE, publish
from tests.tenancy_world import visitor

NAMES = (
    "site",
    "person",
    "template",
    "site_checklist",
    "location",
    "asset",
    "tag",
    "finding",
    "action",
    "calendar",
    "schedule",
    "excusal",
    "inspection",
    "action_event",
    "excusal_policy",
    "patrol_route",
    "patrol_schedule",
    "patrol_round",
    "visit",
    "gate_settings",
    "watch_key",
    "known_visitor",
    "leave_pass",
    "pickup_card",
)


async def a_busy_school(api) -> tuple[School, School, dict[str, set[tuple[str, str]]]]:
    """A school with some of everything, some of it changed, retired or ended; another
    school of the same organization with a little of its own. Returns the ids the first
    school's snapshot must hold and must not."""
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    leaver = await make_person(school, "guard")
    auditor = await make_person(
        school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=30)
    )
    await users.set_membership(leaver.user_id, school.site_id, "guard", datetime.now(UTC))
    await users.set_membership(inspector.user_id, school.site_id, "maintainer")

    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    old_room = await make_location(admin, school, "301", parent=floor, kind="room")
    await api.patch(f"/api/locations/{old_room}", json={"status": "retired"}, headers=admin.headers)
    await make_location(admin, school, "食堂", kind="building")

    assets = [
        await make_asset(admin, school, asset_number=f"MHQ-{n}", location=floor) for n in range(4)
    ]
    await api.patch(
        f"/api/assets/{assets[0]}",
        json={"attributes": {"expiry_date": "2031-06-30", "kg": 4}},
        headers=admin.headers,
    )
    await api.patch(f"/api/assets/{assets[1]}", json={"status": "retired"}, headers=admin.headers)

    codes = [await make_tag(admin, asset=a) for a in assets[:3]]
    await api.post(f"/api/tags/{codes[0]}/replace", json={}, headers=admin.headers)
    await api.post(f"/api/tags/{codes[1]}/retire", json={}, headers=admin.headers)
    await api.post(
        f"/api/tags/{codes[2]}/rebind", json={"location_id": str(building)}, headers=admin.headers
    )

    base = f"/api/sites/{school.site_id}/checklists"
    for key in (
        "fire_extinguisher_monthly",
        "kitchen_gas_weekly",
        "building_structure_monthly",
        "water_dispenser_weekly",
    ):
        await api.put(f"{base}/{key}", json={"enabled": False}, headers=admin.headers)
    await api.put(
        f"{base}/fire_extinguisher_monthly",
        json={"asset_categories": ["fire_extinguisher"]},
        headers=admin.headers,
    )
    await api.delete(f"{base}/kitchen_gas_weekly", headers=admin.headers)

    now = datetime.now(UTC)
    for n, asset in enumerate(assets[2:]):
        failed = submission(
            asset=asset,
            answers=extinguisher_answers(hose="fail", body="fail"),
            completed_at=now - timedelta(days=3 + n),
        )
        assert (await submit(api, inspector, failed)).status_code == 201
    passed = submission(asset=assets[2], completed_at=now - timedelta(days=1))
    assert (await submit(api, inspector, passed)).status_code == 201
    rechecked = await Finding.select(Finding.id).where(Finding.status == "rechecked")
    open_ = await Finding.select(Finding.id).where(Finding.status == "open")
    # Closed long ago: a new device is not sent it. Open however old: it is.
    long_ago = now - timedelta(days=100)
    await Finding.update({Finding.updated_at: long_ago}).where(Finding.id == rechecked[0]["id"])
    await Finding.update({Finding.updated_at: long_ago}).where(Finding.id == open_[0]["id"])

    site = f"/api/sites/{school.site_id}"
    await api.put(
        f"{site}/calendar", json={"school_weekdays": [1, 2, 3, 4, 5, 6]}, headers=admin.headers
    )
    made = [
        (
            await api.post(
                f"{site}/schedules",
                json={
                    "template_key": "fire_extinguisher_monthly",
                    "targets": {"by": "named", "asset_ids": [str(a) for a in assets]},
                    "rule": {"every": every},
                },
                headers=admin.headers,
            )
        ).json()
        for every in ("daily", "daily", "daily")
    ]
    await api.delete(
        f"{site}/schedules/{made[2]['id']}",
        params={"effective_from": (now + timedelta(days=30)).date().isoformat()},
        headers=admin.headers,
    )
    policy = await api.put(
        f"/api/sites/{school.site_id}/excusal-policy",
        json={"approval_required": True},
        headers=admin.headers,
    )
    assert policy.status_code == 200, policy.text
    today = (await api.get(f"/api/due?site_id={school.site_id}", headers=admin.headers)).json()
    excused = []
    for entry in today["items"][:4]:
        body = {
            "id": str(uuid7()),
            "schedule_id": entry["schedule_id"],
            "occurrence_key": entry["occurrence"]["key"],
            "asset_id": entry["target"]["asset_id"],
            "reason": "灭火器送检",
        }
        answer = await api.post("/api/occurrences/excusals", json=body, headers=admin.headers)
        assert answer.status_code == 201, answer.text
        excused.append(body["id"])
    # Excusing an occurrence dated long ago: left out of a snapshot, still in the log.
    await OccurrenceExcusal.update({OccurrenceExcusal.occurrence_date: long_ago.date()}).where(
        OccurrenceExcusal.id == excused[0]
    )

    patrolled = await _patrols(api, admin, inspector, school, building)
    await _visits(api, admin, inspector, school)
    revoked_card = await _gate(api, admin, school)

    other = await make_school(organization_id=school.organization_id)
    other_admin = await make_person(other, "admin")
    other_room = await make_location(other_admin, other, "分校301", kind="room")
    await make_tag(other_admin, location=other_room)
    await make_asset(other_admin, other)

    expected = {
        "present": {
            ("person", str(auditor.user_id)),
            ("location", str(old_room)),
            ("asset", str(assets[1])),
            ("site_checklist", "fire_extinguisher_monthly"),
            ("site_checklist", "building_structure_monthly"),
            ("finding", str(open_[0]["id"])),
            ("patrol_route", patrolled["retired_route"]),
            ("patrol_schedule", patrolled["retired_schedule"]),
        },
        "absent": {
            ("person", str(leaver.user_id)),
            ("person", str(other_admin.user_id)),
            ("site_checklist", "kitchen_gas_weekly"),
            ("finding", str(rechecked[0]["id"])),
            ("excusal", excused[0]),
            ("location", str(other_room)),
            ("patrol_round", patrolled["old_round"]),
            ("pickup_card", revoked_card),
        },
    }
    return school, other, expected


async def _patrols(api, admin, walker, school, building) -> dict[str, str]:
    """Three routes (one changed, one retired), three round schedules (one retired), three
    rounds of today and one of long ago."""
    site = f"/api/sites/{school.site_id}"
    codes = [await make_tag(admin, location=building) for _ in range(3)]
    routes = []
    for n in range(3):
        made = await api.post(
            f"{site}/patrol/routes",
            json={"name": f"巡查路线{n}", "checkpoints": [{"tag": c} for c in codes]},
            headers=admin.headers,
        )
        assert made.status_code == 201, made.text
        routes.append(made.json()["id"])
    changed = await api.put(
        f"/api/patrol/routes/{routes[0]}",
        json={"name": "巡查路线0", "checkpoints": [{"tag": codes[0]}], "base_version": 1},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    await api.post(f"/api/patrol/routes/{routes[2]}/retire", headers=admin.headers)
    schedules = []
    for n in range(3):
        made = await api.post(
            f"{site}/patrol/schedules",
            json={
                "name": f"每日巡查{n}",
                "route_id": routes[1],
                "times": {"kind": "fixed", "windows": [{"start": "08:00", "duration_minutes": 30}]},
                "who": {"kind": "role", "role": "guard"},
            },
            headers=admin.headers,
        )
        assert made.status_code == 201, made.text
        schedules.append(made.json()["id"])
    await api.post(f"/api/patrol/schedules/{schedules[2]}/retire", headers=admin.headers)
    phone = await device_of(api, walker)
    now = datetime.now(UTC)
    rounds = [str(uuid7()) for _ in range(4)]
    ops = []
    for round_id in rounds:
        walked = {"round_id": round_id, "route_id": routes[1]}
        ops.append(
            phone.op(
                walked | {"id": str(uuid7()), "route_version": 1, "started_at": now.isoformat()},
                type="round.started",
            )
        )
        ops.append(
            phone.op(
                walked
                | {
                    "id": str(uuid7()),
                    "tag": codes[1],
                    "method": "nfc",
                    "scanned_at": now.isoformat(),
                },
                type="checkpoint.scanned",
            )
        )
    pushed = await phone.push_ok(ops)
    assert {r["status"] for r in pushed["results"]} == {"applied"}, pushed
    # A round of long ago: left out of a snapshot, still in the log.
    await PatrolRound.update({PatrolRound.local_date: (now - timedelta(days=100)).date()}).where(
        PatrolRound.id == rounds[3]
    )
    return {
        "retired_route": routes[2],
        "retired_schedule": schedules[2],
        "old_round": rounds[3],
    }


async def _visits(api, admin, host, school) -> None:
    """Three visitors of today: one waiting, one inside, one gone (the gate's audience)."""
    made = []
    for n, name in enumerate(("王访客", "李访客", "张访客")):
        answer = await api.post(
            f"/api/sites/{school.site_id}/visits",
            json=visitor(host, name=name, id_number=_id_number(n)),
            headers=admin.headers,
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    now = datetime.now(UTC).isoformat()
    for visit_id in made[1:]:
        decided = await api.post(
            f"/api/visits/{visit_id}/decisions",
            json={"id": str(uuid7()), "decision": "approved", "decided_at": now},
            headers=admin.headers,
        )
        assert decided.status_code == 200, decided.text
    left = await api.post(
        f"/api/visits/{made[2]}/checkout",
        json={"id": str(uuid7()), "checked_out_at": now},
        headers=admin.headers,
    )
    assert left.status_code == 200, left.text


def _id_number(n: int) -> str:
    body = f"11010519800101{n:03d}"
    return body + check_character(body)


async def _gate(api, admin, school) -> str:
    """The gate's settings changed twice, four people on its watchlist and one of them
    taken off again (the gate's audience)."""
    url = f"/api/sites/{school.site_id}/gate"
    for version in (0, 1):
        answer = await api.put(
            f"{url}/settings",
            json={"vehicles_allowed": bool(version), "version": version},
            headers=admin.headers,
        )
        assert answer.status_code == 200, answer.text
    entries = []
    for n in range(4):
        body = {
            "id": str(uuid7()),
            "id_type": "resident_id",
            "id_number": _id_number(10 + n),
            "name": f"观察{n}",
        }
        answer = await api.post(f"{url}/watchlist", json=body, headers=admin.headers)
        assert answer.status_code == 201, answer.text
        entries.append(body["id"])
    removed = await api.post(f"/api/gate/watchlist/{entries[1]}/remove", headers=admin.headers)
    assert removed.status_code == 200, removed.text
    # Three early-leave passes (one confirmed, one cancelled) and four pick-up cards (one
    # changed, one withdrawn).
    passes = []
    for n in range(3):
        made = await api.post(
            f"/api/sites/{school.site_id}/passes",
            json=pass_body(pupil=f"学生{n}"),
            headers=admin.headers,
        )
        assert made.status_code == 201, made.text
        passes.append(made.json()["id"])
    confirmed = await api.post(
        f"/api/passes/{passes[0]}/confirmations", json=confirmation(), headers=admin.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    cancelled = await api.post(
        f"/api/passes/{passes[1]}/cancellations",
        json={"id": str(uuid7()), "cancelled_at": datetime.now(UTC).isoformat(), "reason": ""},
        headers=admin.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    cards = []
    for n in range(4):
        body = card_body(child=f"孩子{n}")
        made = await api.post(
            f"/api/sites/{school.site_id}/pickup-cards", json=body, headers=admin.headers
        )
        assert made.status_code == 201, made.text
        cards.append((body, made.json()["id"]))
    body, card_id = cards[0]
    changed = await api.put(
        f"/api/pickup-cards/{card_id}",
        json=body | {"version": 1, "class_name": "一年级二班"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    revoked = await api.post(f"/api/pickup-cards/{cards[1][1]}/revoke", headers=admin.headers)
    assert revoked.status_code == 200, revoked.text
    return cards[1][1]


async def snapshot(name: str, site_id: uuid.UUID, limit: int = 2) -> list[tuple[str, int, object]]:
    return [row for page in await page_through(name, site_id, limit) for row in page]


async def replayed(name: str, site_id: uuid.UUID) -> dict[str, tuple[int, str]]:
    """What a device that replayed the site's whole change log would hold: per id, the
    version and data of its last change, unless that was a deletion."""
    held: dict[str, tuple[int, str]] = {}
    for change in await recorded(name, scope=Scope(site_id, feed(name).audience)):
        if change.op == "put":
            held[change.id] = (change.version, change.raw)
        else:
            held.pop(change.id, None)
    return held


async def test_feeds_are_registered_in_a_fixed_order(clean):
    assert tuple(f.name for f in FEEDS) == NAMES


async def test_pages_of_two_cover_every_row_once_in_id_order_with_the_recorded_data(api):
    school, _, expected = await a_busy_school(api)
    everything: set[tuple[str, str]] = set()
    for name in NAMES:
        rows = await snapshot(name, school.site_id, limit=2)
        ids = [entity_id for entity_id, _, _ in rows]
        assert ids == sorted(set(ids)), name
        held = await replayed(name, school.site_id)
        if name in ("finding", "excusal", "patrol_round", "pickup_card"):
            # Closed and unchanged for 90 days, of an occurrence or a round long ago, or a
            # withdrawn card: left out of a snapshot, still in the log.
            held = {k: v for k, v in held.items() if (name, k) not in expected["absent"]}
        assert set(ids) == set(held), name
        for entity_id, version, data in rows:
            assert (version, encoded(data)) == held[entity_id], (name, entity_id)
        assert len(rows) > 2 or name in ("site", "calendar", "excusal_policy", "gate_settings"), (
            name
        )
        everything |= {(name, i) for i in ids}
    assert expected["present"] <= everything
    assert not expected["absent"] & everything


async def test_a_snapshot_is_the_same_read_twice_and_whatever_the_page_size(api):
    school, _, _ = await a_busy_school(api)
    for name in NAMES:
        whole = await feed(name).rows(school.site_id, None, 10_000)
        assert await snapshot(name, school.site_id, limit=1) == whole
        assert await snapshot(name, school.site_id, limit=3) == whole
        assert await feed(name).rows(school.site_id, whole[-1][0], 10) == []
        assert await feed(name).rows(school.site_id, None, 0) == []


async def test_a_site_created_after_templates_were_published_gets_them_in_its_snapshot(api):
    school, other, _ = await a_busy_school(api)
    assert not await recorded("template", scope=other.site_id)
    first = await feed("template").rows(school.site_id, None, 10_000)
    second = await feed("template").rows(other.site_id, None, 10_000)
    assert len(second) > 2
    assert [(i, v, encoded(d)) for i, v, d in second] == [(i, v, encoded(d)) for i, v, d in first]


async def test_templates_are_the_latest_version_of_each_key_of_the_sites_organization(api):
    school = await make_school()
    stranger = await make_school()
    admin = await make_person(school, "admin")
    await publish(api, admin, SIMPLE)
    await publish(api, admin, SIMPLE.replace("照明正常", "照明灯具完好"))
    rows = await feed("template").rows(school.site_id, None, 10)
    assert [(i, v) for i, v, _ in rows] == [("stairwell_check", 2)]
    assert encoded(rows[0][2]) == (await recorded("template"))[-1].raw
    assert await feed("template").rows(stranger.site_id, None, 10) == []


async def test_the_site_snapshot_is_the_site_itself(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    await api.patch(f"/api/sites/{school.site_id}", json={"name": "新名字"}, headers=admin.headers)
    rows = await feed("site").rows(school.site_id, None, 5)
    assert [(i, v) for i, v, _ in rows] == [(str(school.site_id), 2)]
    assert encoded(rows[0][2]) == (await recorded("site"))[-1].raw
    assert await feed("site").rows(school.site_id, str(school.site_id), 5) == []


async def test_people_are_the_current_members_with_names_and_roles_only(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    stranger = await make_person(await make_school(), "admin")
    rows = await feed("person").rows(school.site_id, None, 10)
    assert [i for i, _, _ in rows] == [str(admin.user_id)]
    assert encoded(rows[0][2]) == (
        f'{{"id":"{admin.user_id}","name":"测试admin","role":"admin","active":true}}'
    )
    assert str(stranger.user_id) not in {i for i, _, _ in rows}
