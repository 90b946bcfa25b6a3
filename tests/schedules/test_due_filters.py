"""The due list as the console reads it, through the API on both databases: narrowed on the
server to one building (everything under it), one checklist, and things whose name or place
holds a text; a done occurrence names the inspection that did it."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_asset, make_location
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.schedules.scheduling import FRIDAY, born, due, make_schedule, set_now

DAILY = {"every": "daily"}


async def test_the_due_list_keeps_one_building_one_checklist_or_a_text(api, monkeypatch):
    set_now(monkeypatch, datetime(2026, 11, 9, 1, 0, tzinfo=UTC))
    school, admin, _inspector, nowhere = await extinguisher_school()
    teaching = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=teaching, kind="floor")
    lab = await make_location(admin, school, "实验楼")
    upstairs = await make_asset(admin, school, name="三楼灭火器", location=floor)
    in_lab = await make_asset(admin, school, name="实验室灭火器", location=lab)
    room = await make_location(admin, school, "301教室", parent=floor, kind="room")
    await born(
        datetime(2026, 11, 1, tzinfo=UTC),
        assets=(nowhere, upstairs, in_lab),
        locations=(teaching, floor, lab, room),
    )
    await make_schedule(api, admin, school.site_id, DAILY)
    await make_schedule(
        api,
        admin,
        school.site_id,
        DAILY,
        template_key="building_structure_monthly",
        targets={"by": "named", "location_ids": [str(room)]},
    )
    set_now(monkeypatch, FRIDAY)

    def names(items):
        return sorted({(i["template_key"], i["target"]["name"]) for i in items})

    everything = await due(api, admin, school.site_id)
    assert len(everything) == 4
    assert names(await due(api, admin, school.site_id, building=str(teaching))) == [
        ("building_structure_monthly", "301教室"),
        ("fire_extinguisher_monthly", "三楼灭火器"),
    ]
    assert names(await due(api, admin, school.site_id, checklist="building_structure_monthly")) == [
        ("building_structure_monthly", "301教室")
    ]
    # A place's name finds what is in it; a thing's own name finds it anywhere.
    assert names(await due(api, admin, school.site_id, q="实验楼")) == [
        ("fire_extinguisher_monthly", "实验室灭火器")
    ]
    assert names(await due(api, admin, school.site_id, q="3f", scope="week")) == [
        ("building_structure_monthly", "301教室"),
        ("fire_extinguisher_monthly", "三楼灭火器"),
    ]
    narrowed = await api.get(
        "/api/due",
        params={
            "site_id": str(school.site_id),
            "building": str(teaching),
            "checklist": "fire_extinguisher_monthly",
            "scope": "overdue",
        },
        headers=admin.headers,
    )
    assert narrowed.status_code == 200, narrowed.text
    body = narrowed.json()
    assert {i["target"]["name"] for i in body["items"]} == {"三楼灭火器"}
    # 9 to 19 November, and the counts are of what the filters kept.
    assert body["counts"]["overdue"] == len(body["items"]) == 11
    assert await due(api, admin, school.site_id, checklist="no_such_checklist") == []

    # A page of the list; the counts and the total are of all of it.
    pages = [
        (
            await api.get(
                "/api/due",
                params={"site_id": str(school.site_id), "scope": "week", "limit": 5, "offset": at},
                headers=admin.headers,
            )
        ).json()
        for at in (0, 5, 25)
    ]
    whole = (
        await api.get(
            "/api/due",
            params={"site_id": str(school.site_id), "scope": "week"},
            headers=admin.headers,
        )
    ).json()
    assert whole["total"] == len(whole["items"]) == 4 * 7
    assert [len(p["items"]) for p in pages] == [5, 5, 3]
    assert pages[0]["items"] + pages[1]["items"] == whole["items"][:10]
    assert pages[2]["items"] == whole["items"][25:]
    assert {p["total"] for p in pages} == {28} and pages[1]["counts"] == whole["counts"]

    too_long = await api.get(
        "/api/due",
        params={"site_id": str(school.site_id), "q": "x" * 101},
        headers=admin.headers,
    )
    assert too_long.status_code == 400
    assert too_long.json()["code"] == "request.invalid"


async def test_a_done_occurrence_names_the_inspection_that_did_it(api, monkeypatch):
    set_now(monkeypatch, datetime(2026, 11, 9, 1, 0, tzinfo=UTC))
    school, admin, inspector, asset = await extinguisher_school()
    other = await make_asset(admin, school, name="二氧化碳灭火器")
    await born(datetime(2026, 11, 1, tzinfo=UTC), assets=(asset, other))
    await make_schedule(api, admin, school.site_id, DAILY)
    set_now(monkeypatch, FRIDAY)
    failed = submission(
        asset=asset,
        completed_at=datetime(2026, 11, 20, 1, 0, tzinfo=UTC),
        answers=extinguisher_answers(gauge_zone="red"),
    )
    sent = await submit(api, inspector, failed)
    assert sent.status_code == 201, sent.text

    today = {i["target"]["name"]: i for i in await due(api, admin, school.site_id)}
    done = today["干粉灭火器"]
    assert (done["status"], done["result"], done["inspection_id"]) == (
        "done",
        "fail",
        failed["id"],
    )
    assert today["二氧化碳灭火器"]["inspection_id"] is None
