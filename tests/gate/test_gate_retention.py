"""The retention purge, on both databases: a visit older than its site's retention period
keeps no name, phone, organisation, masked or keyed document, plate, badge or purpose in
any row or in what gate devices pull, and still counts in its day's register; a recent
visit is untouched; each site keeps visits as long as its settings say; a pass or card
check is kept to the end of the school year that holds its date (365 days without a
calendar); a second pass changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import msgspec
from uuid_utils.compat import uuid7

from checklists import SchoolCalendar, Term
from server import db
from server.gate.daily_purge import run_passes
from server.gate.documents import check_character
from server.gate.retention import (
    PLACEHOLDER,
    pass_kept_until,
    purge,
    purged_pass_value,
    school_year_end,
)
from server.gate.slips import PURGED
from server.gate.tables import (
    CardCheckRow,
    LeavePassRow,
    PassFactRow,
    PickupCardRow,
    VisitRow,
)
from sync.bulk import insert_rows
from tests.gate.gating import Gate, gate_school, new_id, pull_all
from tests.syncing.device import device_of

OLD_ID = "11010519800101001" + check_character("11010519800101001")
OLD = {
    "name": "赵旧客",
    "id_number": OLD_ID,
    "phone": "13900001111",
    "organisation": "旧单位公司",
    "purpose": "旧事由面谈",
    "plate": "京B54321",
    "badge": "V-OLD",
    "party_size": 3,
}
OLD_MASKED = OLD_ID[:6] + "*" * 8 + OLD_ID[-4:]


def dumped(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def days_ago(days: float, minutes: float = 0) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days, minutes=minutes)).isoformat()


async def visit_on(api, g: Gate, days: float, **over: Any) -> str:
    """A visit checked in `days` ago, approved by the host and checked out an hour later."""
    body = g.check_in(checked_in_at=days_ago(days, 2), **over)
    made = await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    assert made.status_code == 201, made.text
    visit_id = body["visit_id"]
    decided = await api.post(
        f"/api/visits/{visit_id}/decisions",
        json={"id": new_id(), "decision": "approved", "decided_at": days_ago(days, 1)},
        headers=g.host.headers,
    )
    assert decided.status_code == 200, decided.text
    left = await api.post(
        f"/api/visits/{visit_id}/checkout",
        json={"id": new_id(), "checked_out_at": days_ago(days - 1 / 24)},
        headers=g.gatekeeper.headers,
    )
    assert left.status_code == 200, left.text
    return visit_id


async def every_row() -> dict[str, list[dict[str, Any]]]:
    return {t._meta.tablename: await t.select() for t in db.table_classes()}


def texts(rows: dict[str, list[dict[str, Any]]]) -> str:
    return "\n".join(repr(row) for table in rows.values() for row in table)


async def pull_on(api, device, cursors: dict[str, Any]) -> list[dict[str, Any]]:
    """Pull every page from `cursors` on (updated in place), as a device keeping them does."""
    pages = []
    for _ in range(50):
        answer = await api.post(
            "/api/sync/pull",
            json={
                "protocol": 1,
                "app_version": "test-1.0",
                "device_id": str(device.id),
                "cursors": cursors,
            },
            headers=device.person.headers,
        )
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        for page in answer.json()["scopes"]:
            cursors[page["scope"]] = page["cursor"]
        if not any(page["has_more"] for page in answer.json()["scopes"]):
            return pages
    raise AssertionError("the pull never ended")


async def test_an_old_visit_keeps_no_personal_field_anywhere_and_still_counts(api):
    g = await gate_school(api)
    # A gate tablet in use since before the visits, which receives them as they come.
    cursors: dict[str, Any] = {}
    await pull_on(api, g.tablet, cursors)
    old_id = await visit_on(api, g, 200, **OLD)
    recent_id = await visit_on(api, g, 1, name="钱新客")
    old_key = (await VisitRow.select(VisitRow.id_key).where(VisitRow.id == uuid.UUID(old_id)))[0][
        "id_key"
    ]
    assert old_key
    old_day = (await api.get(f"/api/visits/{old_id}", headers=g.manager.headers)).json()[
        "local_date"
    ]
    assert "赵旧客" in dumped(await pull_on(api, g.tablet, dict(cursors)))
    # The full number is never stored (only its keyed hash and masked form).
    personal = [
        *(v for k, v in OLD.items() if k not in ("party_size", "id_number")),
        OLD_MASKED,
        old_key,
    ]
    stored = texts(await every_row())
    assert [value for value in personal if value not in stored] == []

    assert (await purge(dry_run=True)).visits == 1
    assert "赵旧客" in texts(await every_row())  # a dry run changes nothing
    done = await purge()
    assert (done.visits, done.passes, done.card_checks, done.known_visitors) == (1, 0, 0, 1)

    rows = await every_row()
    for value in personal:
        holding = [
            (table, row) for table, found in rows.items() for row in found if value in repr(row)
        ]
        if value == old_key:
            # Only the change telling gate devices to forget the repeat visitor names it.
            assert [(t, r["entity"], r["op"]) for t, r in holding] == [
                ("sync_change", "known_visitor", "del")
            ], holding
        else:
            assert holding == [], (value, holding)
    visit = await VisitRow.select().where(VisitRow.id == uuid.UUID(old_id)).first()
    assert visit["purged_at"] is not None and visit["id_key"] is None

    # The day's register still counts the visit, its state and party size kept.
    day = await api.get(
        f"/api/sites/{g.site}/visits", params={"date": old_day}, headers=g.manager.headers
    )
    assert [(v["id"], v["state"], v["party_size"]) for v in day.json()] == [(old_id, "left", 3)]
    entry = day.json()[0]
    assert entry["visitor"] is None and entry["organisation"] == "" and entry["plate"] is None
    assert PURGED in entry["flags"] and entry["checked_out_at"] is not None

    # The tablet's next pull brings the purged entry; a new device never sees the old one.
    after = await pull_on(api, g.tablet, cursors)
    changes = [c for answer in after for page in answer["scopes"] for c in page["changes"]]
    purged = [c for c in changes if c["entity"] == "visit" and c["id"] == old_id]
    assert purged and purged[-1]["data"]["visitor"] is None
    assert PURGED in purged[-1]["data"]["flags"]
    forgotten = [c for c in changes if c["entity"] == "known_visitor" and c["op"] == "del"]
    assert [c["id"] for c in forgotten] == [old_key]
    fresh = dumped(await pull_all(api, await device_of(api, g.manager)))
    for said in (dumped(after), fresh):
        assert all(v not in said for v in personal if v != old_key)

    # The recent visit is untouched.
    recent = (await api.get(f"/api/visits/{recent_id}", headers=g.manager.headers)).json()
    assert recent["visitor"] == "钱新客" and recent["phone_masked"] == "138****5678"
    assert PURGED not in recent["flags"]

    # A second pass finds nothing and changes nothing.
    again = await purge()
    assert (again.visits, again.passes, again.card_checks, again.known_visitors) == (0, 0, 0, 0)
    assert await every_row() == rows


async def test_a_late_fact_after_the_purge_is_kept_and_purged_again(api):
    g = await gate_school(api)
    visit_id = await visit_on(api, g, 200, **OLD)
    await purge()
    # A second check-out from a tablet that was offline all along.
    late = await api.post(
        f"/api/visits/{visit_id}/checkout",
        json={"id": new_id(), "checked_out_at": days_ago(199)},
        headers=g.gatekeeper.headers,
    )
    assert late.status_code == 200, late.text
    assert late.json()["state"] == "left" and "赵旧客" not in late.text
    assert (await purge()).visits == 1
    visit = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
    assert PURGED in visit["flags"] and visit["visitor"] is None
    assert (await purge()).visits == 0


async def test_each_site_keeps_visits_as_long_as_its_gate_settings_say(api):
    short = await gate_school(api, retention_days=30)
    long = await gate_school(api, retention_days=180)
    in_short = await visit_on(api, short, 60)
    in_long = await visit_on(api, long, 60)
    recent = await visit_on(api, short, 20)
    assert (await purge(site_id=long.school.site_id)).visits == 0
    assert (await purge()).visits == 1
    states = {
        r["id"]: r["purged_at"] is not None
        for r in await VisitRow.select(VisitRow.id, VisitRow.purged_at)
    }
    assert states == {
        uuid.UUID(in_short): True,
        uuid.UUID(in_long): False,
        uuid.UUID(recent): False,
    }
    # 200 days on, the long site's visit goes too.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
    assert (await purge(now=later)).visits == 2


def test_a_pass_is_kept_to_the_end_of_its_school_year_or_365_days():
    calendar = SchoolCalendar(
        terms=(
            Term(
                key="2025-autumn",
                name="秋季学期",
                first_day=dt.date(2025, 9, 1),
                last_day=dt.date(2026, 1, 16),
            ),
            Term(
                key="2026-spring",
                name="春季学期",
                first_day=dt.date(2026, 2, 23),
                last_day=dt.date(2026, 7, 10),
            ),
            Term(
                key="2026-summer",
                name="小学期",
                first_day=dt.date(2027, 7, 12),
                last_day=dt.date(2027, 8, 20),
            ),
        )
    )
    assert school_year_end(calendar, dt.date(2025, 10, 1)) == dt.date(2026, 7, 31)
    assert school_year_end(calendar, dt.date(2026, 7, 20)) == dt.date(2026, 7, 31)
    # A school year the calendar does not cover: 365 days.
    assert school_year_end(calendar, dt.date(2026, 8, 20)) == dt.date(2027, 8, 20)
    assert school_year_end(calendar, dt.date(2024, 10, 1)) is None
    assert pass_kept_until(calendar, dt.date(2024, 10, 1)) == dt.date(2025, 10, 1)
    assert pass_kept_until(None, dt.date(2026, 3, 1)) == dt.date(2027, 3, 1)


def test_a_pass_loses_its_pupil_and_parent_but_not_the_staff_who_recorded_it():
    summary = {
        "pupil": "张小明",
        "class_name": "三年级二班",
        "reason": "发烧",
        "collector": None,
        "collector_phone_masked": "139****1111",
        "created_by": {"id": "u1", "name": "李老师"},
        "confirmed_by_parent": {"name": "张父", "phone_masked": "139****2222", "at": "x"},
        "flags": [],
        "state": "exited",
    }
    purged = purged_pass_value(summary)
    assert purged["pupil"] == purged["reason"] == purged["class_name"] == PLACEHOLDER
    assert purged["collector"] is None and purged["created_by"] == summary["created_by"]
    assert purged["confirmed_by_parent"]["name"] == PLACEHOLDER
    assert purged["confirmed_by_parent"]["at"] == "x" and purged["state"] == "exited"


async def test_passes_and_card_checks_go_after_their_school_year_by_table(api):
    g = await gate_school(api)
    site = g.school.site_id
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    old_pass, recent_pass = uuid.UUID(new_id()), uuid.UUID(new_id())
    card = uuid.UUID(new_id())
    fact = {
        "pupil": "张小明",
        "reason": "发烧",
        "parent_name": "张父",
        "parent_phone": "13900002222",
    }
    async with db.transaction():
        await insert_rows(
            LeavePassRow,
            [
                {
                    "id": pass_id,
                    "site": site,
                    "local_date": today - dt.timedelta(days=days),
                    "state": "exited",
                    "flags": "[]",
                    "first_received_at": now,
                    "judged_at": now - dt.timedelta(days=days),
                    "summary": msgspec.json.encode(
                        {"id": str(pass_id), "pupil": "张小明", "flags": []}
                    ).decode(),
                    "version": 1,
                }
                for pass_id, days in ((old_pass, 400), (recent_pass, 100))
            ],
        )
        await insert_rows(
            PassFactRow,
            [
                {
                    "id": uuid.UUID(str(uuid7())),
                    "site": site,
                    "pass_id": pass_id,
                    "type": "pass.created",
                    "person": g.host.user_id,
                    "device_id": None,
                    "occurred_at": now,
                    "received_at": now,
                    "body": msgspec.json.encode(fact).decode(),
                    "content_sha256": "0" * 64,
                }
                for pass_id in (old_pass, recent_pass)
            ],
        )
        await insert_rows(
            PickupCardRow,
            [
                {
                    "id": card,
                    "site": site,
                    "child": "张小明",
                    "class_name": "小班",
                    "valid_from": now - dt.timedelta(days=500),
                    "valid_until": now + dt.timedelta(days=100),
                    "revoked_at": None,
                    "collectors": "[]",
                    "version": 1,
                    "updated_by": g.manager.user_id,
                    "updated_at": now,
                }
            ],
        )
        await insert_rows(
            CardCheckRow,
            [
                {
                    "id": uuid.UUID(new_id()),
                    "site": site,
                    "card": card,
                    "collector_key": "k1",
                    "allowed": False,
                    "faults": msgspec.json.encode(
                        [{"code": "pickup_card.collector_expired", "name": "张父"}]
                    ).decode(),
                    "person": g.gatekeeper.user_id,
                    "device_id": None,
                    "occurred_at": now - dt.timedelta(days=days),
                    "received_at": now,
                    "content_sha256": "0" * 64,
                }
                for days in (400, 100)
            ],
        )
    done = await purge()
    assert (done.visits, done.passes, done.card_checks) == (0, 1, 1)
    passes = {r["id"]: r for r in await LeavePassRow.select()}
    assert passes[old_pass]["purged_at"] is not None and passes[recent_pass]["purged_at"] is None
    assert "张小明" not in repr(passes[old_pass]) and "张小明" in repr(passes[recent_pass])
    facts = {r["pass_id"]: repr(r) for r in await PassFactRow.select()}
    assert "张父" not in facts[old_pass] and "13900002222" not in facts[old_pass]
    assert "张父" in facts[recent_pass]
    faults = sorted(repr(r["faults"]) for r in await CardCheckRow.select())
    assert sum("张父" in f for f in faults) == 1
    assert all("pickup_card.collector_expired" in f for f in faults)
    again = await purge()
    assert (again.passes, again.card_checks) == (0, 0)

    # A calendar whose school year ends later keeps a pass 400 days old.
    year_end = today + dt.timedelta(days=10)
    start = today - dt.timedelta(days=420)
    term_start = dt.date(start.year if start.month >= 8 else start.year - 1, 9, 1)
    calendar = await api.put(
        f"/api/sites/{site}/calendar",
        json={
            "terms": [
                {
                    "key": "long",
                    "name": "长学期",
                    "first_day": term_start.isoformat(),
                    "last_day": year_end.isoformat(),
                }
            ]
        },
        headers=g.manager.headers,
    )
    assert calendar.status_code == 200, calendar.text
    kept = uuid.UUID(new_id())
    async with db.transaction():
        await insert_rows(
            LeavePassRow,
            [
                {
                    "id": kept,
                    "site": site,
                    "local_date": today - dt.timedelta(days=400),
                    "state": "exited",
                    "flags": "[]",
                    "first_received_at": now,
                    "judged_at": now,
                    "summary": '{"pupil": "王小红", "flags": []}',
                    "version": 1,
                }
            ],
        )
    assert (await purge()).passes == 0
    assert (await purge(now=now + dt.timedelta(days=11))).passes == 1


async def test_the_command_and_the_servers_daily_pass_purge_alike(api, clean, tmp_path):
    g = await gate_school(api, retention_days=30)
    by_command = await visit_on(api, g, 40, **OLD)

    def roundkeeper(*args: str) -> str:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "roundkeeper"), "gate", "purge", *args],
            env={
                **os.environ,
                "ROUNDKEEPER_DATABASE_URL": clean.settings.database_url,
                "ROUNDKEEPER_DATA_DIR": str(tmp_path),
            },
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "would purge 1 visits" in roundkeeper("--site", g.site, "--dry-run")
    assert "purged 1 visits" in roundkeeper("--site", g.site)
    assert "purged 0 visits" in roundkeeper()
    row = await VisitRow.select(VisitRow.purged_at).where(VisitRow.id == uuid.UUID(by_command))
    assert row[0]["purged_at"] is not None

    by_server = await visit_on(api, g, 40, name="孙旧客")
    task = asyncio.create_task(run_passes(0, 3600))
    try:
        for _ in range(100):
            row = await VisitRow.select(VisitRow.purged_at).where(
                VisitRow.id == uuid.UUID(by_server)
            )
            if row[0]["purged_at"] is not None:
                break
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
    assert row[0]["purged_at"] is not None
    assert "孙旧客" not in texts(await every_row())
