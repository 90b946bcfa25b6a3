from __future__ import annotations

from server.accounts import sites, users
from server.demo import DEMO_PASSWORD, SITE, load_demo
from server.registry import assets, locations, tags
from server.registry.tables import Asset, Location, Tag


async def counts() -> tuple[int, int, int]:
    return (
        await Location.count().run(),
        await Asset.count().run(),
        await Tag.count().run(),
    )


async def test_the_demo_school_is_realistic_and_loading_it_twice_changes_nothing(clean):
    first = await load_demo(clean.settings)
    assert "loaded" in first
    n_locations, n_assets, n_tags = await counts()
    assert 100 <= n_assets <= 140
    assert n_tags == n_assets + n_locations  # a tag on every asset and every location
    second = await load_demo(clean.settings)
    assert "nothing changed" in second
    assert await counts() == (n_locations, n_assets, n_tags)

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
    from server.inspections.tables import Inspection

    await load_demo(clean.settings)
    site = await sites.find_site(SITE)
    manager = await users.load_caller((await users.find_user("manager"))["id"])
    extinguishers = await assets.list_assets(
        manager, site_id=site["id"], category="fire_extinguisher", limit=500
    )
    assert await Inspection.count() == len(extinguishers.items)
    failed = await history.list_inspections(manager, site_id=site["id"], result="fail", limit=200)
    open_findings = await findings.list_findings(manager, site_id=site["id"], status="open")
    assert {f.item_key for f in open_findings} >= {"gauge_zone", "hose"}
    assert sum(f.severity == "high" for f in open_findings) == 2
    assert len(failed.items) >= 3
