from __future__ import annotations

import datetime as dt

from server.accounts import sites, tokens, users
from server.actions.tables import CorrectiveAction
from server.demo import DEMO_PASSWORD, SITE, load_demo
from server.demo_history import school_calendar
from server.inspections.tables import Finding, Inspection
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
    second = await load_demo(clean.settings)
    assert "nothing changed" in second
    assert await counts() == before

    site = await sites.find_site(SITE)
    members = {m.username: m.role for m in await users.members_of(site["id"])}
    assert members == {
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
    }
    admin = await users.load_caller((await users.find_user("admin"))["id"])
    buildings = await locations.list_locations(admin, site_id=site["id"], kind="building")
    assert len(buildings.items) == 3
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
    for username in ("admin", "auditor"):
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
