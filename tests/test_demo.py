from __future__ import annotations

import datetime as dt

from server.accounts import sites, tokens, users
from server.actions.tables import CorrectiveAction
from server.demo import DEMO_PASSWORD, SITE, load_demo
from server.demo_history import school_calendar
from server.inspections.tables import Finding, Inspection
from server.patrols.tables import PatrolFact, PatrolRound, PatrolRoute, PatrolSchedule
from server.registry import assets, locations, tags
from server.registry.tables import Asset, Location, Tag
from server.schedules.tables import Schedule, ScheduleVersion, SiteCalendar


async def counts() -> tuple[int, ...]:
    return (
        await Location.count().run(),
        await Asset.count().run(),
        await Tag.count().run(),
        await SiteCalendar.count().run(),
        await Schedule.count().run(),
        await ScheduleVersion.count().run(),
        await Inspection.count().run(),
        await Finding.count().run(),
        await CorrectiveAction.count().run(),
        await PatrolRoute.count().run(),
        await PatrolSchedule.count().run(),
        await PatrolRound.count().run(),
        await PatrolFact.count().run(),
    )


async def test_the_demo_school_is_realistic_and_loading_it_twice_changes_nothing(clean):
    first = await load_demo(clean.settings)
    assert "loaded" in first
    before = await counts()
    n_locations, n_assets, n_tags = before[:3]
    assert 100 <= n_assets <= 140
    assert n_tags == n_assets + n_locations  # a tag on every asset and every location
    assert before[3:6] == (1, 13, 13)  # a calendar, and the schedules a school keeps
    assert before[6] >= 250 and before[7] >= 4 and before[8] >= 4
    assert before[9:11] == (3, 3) and before[11] >= 200 and before[12] >= 5 * before[11]
    second = await load_demo(clean.settings)
    assert "nothing changed" in second
    assert await counts() == before

    site = await sites.find_site(SITE)
    members = {m.username: m.role for m in await users.members_of(site["id"])}
    assert members == {
        **{
            role: role
            for role in (
                "admin",
                "manager",
                "inspector",
                "guard",
                "gatekeeper",
                "maintainer",
                "auditor",
            )
        },
        "nurse": "inspector",
        "guard2": "guard",
        "guard3": "guard",
    }
    admin = await users.load_caller((await users.find_user("admin"))["id"])
    buildings = await locations.list_locations(admin, site_id=site["id"], kind="building")
    assert len(buildings.items) == 4  # two teaching buildings, the complex, the dormitory
    rooms = await locations.list_locations(admin, site_id=site["id"], kind="room", limit=500)
    assert len(rooms.items) >= 55
    by_category: dict[str, int] = {}
    page = await assets.list_assets(admin, site_id=site["id"], limit=500)
    for item in page.items:
        by_category[item.category] = by_category.get(item.category, 0) + 1
    assert by_category["fire_extinguisher"] >= 38
    assert by_category["playground_equipment"] == 10
    assert by_category["kitchen_gas"] >= 3
    assert by_category["electrical_panel"] >= 7
    assert by_category["water_dispenser"] >= 5
    # Every asset and location resolves through its tag, with Chinese names intact.
    listed = (
        await tags.list_tags(admin, site_id=site["id"], public_url="https://x", limit=500)
    ).items
    assert len(listed) == n_tags
    resolved = await tags.resolve_tag(admin, listed[-1].code, "https://x")
    assert resolved.target is not None


async def test_demo_accounts_can_log_in_with_the_printed_password(api, clean):
    await load_demo(clean.settings)
    for username in ("admin", "auditor", "nurse"):
        response = await api.post(
            "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, username


async def test_the_demo_has_last_months_extinguisher_round_with_open_findings(clean):
    from server.inspections import findings, history

    await load_demo(clean.settings)
    site = await sites.find_site(SITE)
    manager = await users.load_caller((await users.find_user("manager"))["id"])
    extinguishers = await assets.list_assets(
        manager, site_id=site["id"], category="fire_extinguisher", limit=500
    )
    rounds = await Inspection.count().where(Inspection.template_key == "fire_extinguisher_monthly")
    assert rounds == len(extinguishers.items)
    failed = await history.list_inspections(manager, site_id=site["id"], result="fail", limit=200)
    open_findings = await findings.list_findings(manager, site_id=site["id"], status="open")
    assert {f.item_key for f in open_findings} >= {"gauge_zone", "hose"}
    assert sum(f.severity == "high" and f.item_key == "gauge_zone" for f in open_findings) == 2
    assert len(failed.items) >= 3


async def test_the_demo_school_has_due_work_some_done_some_late_and_a_few_overdue(api, clean):
    """What a newcomer sees: today's and this week's work, and what the manager counts."""
    await load_demo(clean.settings)
    site_id = str((await sites.find_site(SITE))["id"])

    async def listed(username: str, path: str, **params: str) -> list[dict]:
        user_id = (await users.find_user(username))["id"]
        token = (await tokens.create_token(user_id, "demo phone")).token
        response = await api.get(
            path,
            params={"site_id": site_id, **params},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        return response.json()["items"]

    today = await listed("inspector", "/api/due", scope="today")
    assert today  # the gate post is kept every day
    week = await listed("inspector", "/api/due", scope="week")
    assert {e["template_key"] for e in week} >= {
        "gate_post_daily",
        "electrical_panel_weekly",
        "playground_equipment_weekly",
        "water_dispenser_weekly",
    }
    overdue = await listed("manager", "/api/due", scope="overdue")
    assert 3 <= len(overdue) <= 8
    assert {e["template_key"] for e in overdue} >= {"water_dispenser_weekly"}
    # The manager's figures (the phone app's manager view counts these lists).
    assert len(await listed("manager", "/api/due", scope="today")) > 0
    assert len(await listed("manager", "/api/actions", state="open")) > 0
    month = dt.date.today() - dt.timedelta(days=30)
    past = await listed(
        "manager", "/api/due", **{"from": month.isoformat(), "to": dt.date.today().isoformat()}
    )
    statuses = [e["status"] for e in past]
    assert statuses.count("done") > len(statuses) / 2
    assert statuses.count("done_late") >= 3
    # Running it again changes none of it.
    await load_demo(clean.settings)
    assert len(await listed("manager", "/api/due", scope="overdue")) == len(overdue)


async def test_the_demo_school_walks_three_patrols_with_a_month_of_rounds(clean):
    """The nurse's five rounds a day, the dormitory's night rounds by a roster with a
    substitute, the countersigned fire patrol; their rounds mostly on time, a few missed or
    late, today's later windows still to come."""
    from server.patrols import patrol_routes, round_schedules, supervision
    from server.schedules.calendars import local_today

    await load_demo(clean.settings)
    site_id = (await sites.find_site(SITE))["id"]
    manager = await users.load_caller((await users.find_user("manager"))["id"])
    nurse = (await users.find_user("nurse"))["id"]
    routes = {r.name: r for r in await patrol_routes.list_routes(manager, site_id)}
    assert set(routes) == {"校医每日五巡", "宿舍夜间巡查", "每日防火巡查"}
    fire_patrol = routes["每日防火巡查"].checkpoints[0].checklist
    assert fire_patrol is not None and fire_patrol.key == "fire_patrol_daily"
    schedules = {s.name: s for s in await round_schedules.list_schedules(manager, site_id)}
    assert set(schedules) == {"每日五巡", "宿舍夜间巡查（每2小时）", "每日防火巡查"}
    five = schedules["每日五巡"]
    assert [w.start for w in five.times.windows] == ["07:30", "10:00", "12:30", "15:00", "17:30"]
    assert five.days == "school_days" and five.who.people == (str(nurse),)
    night = schedules["宿舍夜间巡查（每2小时）"]
    assert (night.times.every_minutes, night.times.start, night.times.end) == (
        120,
        "22:00",
        "06:00",
    )
    assert len({d.person for d in night.who.duties}) == 3 and len(night.who.substitutes) == 1
    assert schedules["每日防火巡查"].countersign is True

    today = local_today("Asia/Shanghai")
    months = sorted({(today - dt.timedelta(days=n)).isoformat()[:7] for n in (0, 35)})
    cells = []
    for month in months:
        grid = await supervision.patrol_month(manager, site_id, month)
        assert {g.name for g in grid.schedules} == set(schedules)
        cells += [c for g in grid.schedules for d in g.days for c in d.cells if c is not None]
    states = [c.state for c in cells]
    # The nurse walks on school days only: in the holidays only the other two patrols count.
    assert states.count("completed") > 100
    assert 3 <= states.count("missed") <= 6
    assert 1 <= states.count("incomplete") <= 3
    assert sum(c.late for c in cells) >= 4
    assert sum(c.flagged for c in cells) >= 3
    walked = [c for c in cells if c.state in ("completed", "incomplete")]
    assert states.count("completed") > 0.9 * (len(walked) + states.count("missed"))

    day = await supervision.patrol_day(manager, site_id, today)
    assert "upcoming" in {r.state for r in day.rounds}
    assert "missed" not in {r.state for r in day.rounds}
    since = today - dt.timedelta(days=35)
    rounds = await supervision.rounds_between(site_id, since, today)
    fire = [r for r in rounds if r.schedule_name == "每日防火巡查" and r.state == "completed"]
    assert sum(r.countersigned for r in fire) > len(fire) / 2
    assert any(r.needs_countersign for r in fire)
    assert [r.state for r in rounds if r.closed and not r.countersigned] == ["missed"]
    assert any("scan.too_fast" in r.flags for r in rounds)
    assert any("scan.out_of_sequence" in r.flags for r in rounds)
    assert not any("scan.off_duty" in r.flags for r in rounds)


def test_the_demo_calendar_is_the_current_school_year():
    calendar = school_calendar(dt.date(2026, 12, 7))
    assert [t.key for t in calendar.terms] == ["2026-autumn", "2027-spring"]
    assert calendar.is_school_day(dt.date(2026, 12, 7))
    assert not calendar.is_school_day(dt.date(2026, 10, 5))  # 国庆节
    assert calendar.is_school_day(dt.date(2026, 9, 27))  # a Sunday worked for it
    assert calendar.is_school_day(dt.date(2026, 10, 10))
    assert not calendar.is_school_day(dt.date(2027, 2, 1))  # 寒假
    assert not calendar.is_school_day(dt.date(2027, 7, 20))  # 暑假
    assert school_calendar(dt.date(2027, 3, 1)) == calendar
    assert school_calendar(dt.date(2027, 9, 1)).terms[0].key == "2027-autumn"
