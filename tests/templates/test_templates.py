from __future__ import annotations

import json

from checklists import load_library
from server.templates.templates import install_library
from tests.factories import make_person, make_school

SIMPLE = """
key: stairwell_check
version: 1
title: {zh-CN: "楼梯间检查", en: "Stairwell check"}
category: building
applies_to: {location_kinds: [stairwell]}
frequency: {every: weekly}
items:
  - type: check
    key: lights
    label: {zh-CN: "照明正常", en: "Lights work"}
"""


async def publish(api, person, body: str, fmt: str = "yaml"):
    return await api.post(
        "/api/templates", params={"format": fmt}, content=body.encode(), headers=person.headers
    )


async def test_publishing_a_changed_template_makes_a_new_version_and_keeps_the_old(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    first = await publish(api, admin, SIMPLE)
    assert first.status_code == 201, first.text
    assert first.json() == {"key": "stairwell_check", "version": 1, "created": True}
    same = await publish(api, admin, SIMPLE)
    assert same.json() == {"key": "stairwell_check", "version": 1, "created": False}
    changed = SIMPLE.replace("照明正常", "照明灯具完好")
    second = await publish(api, admin, changed)
    assert second.json() == {"key": "stairwell_check", "version": 2, "created": True}
    latest = (await api.get("/api/templates/stairwell_check", headers=admin.headers)).json()
    assert latest["version"] == 2 and latest["versions"] == [1, 2]
    assert latest["template"]["items"][0]["label"]["zh-CN"] == "照明灯具完好"
    old = await api.get("/api/templates/stairwell_check/versions/1", headers=admin.headers)
    assert old.json()["template"]["items"][0]["label"]["zh-CN"] == "照明正常"
    assert old.json()["template"]["version"] == 1
    # Publishing the first content again is a change from v2, so it becomes v3; v1 stays.
    third = await publish(api, admin, SIMPLE)
    assert third.json()["version"] == 3
    again = await api.get("/api/templates/stairwell_check/versions/1", headers=admin.headers)
    assert again.json()["template"] == old.json()["template"]
    assert again.json()["published_at"] == old.json()["published_at"]
    assert again.json()["versions"] == [1, 2, 3]


async def test_an_invalid_template_lists_every_problem_with_its_path_and_stores_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    broken = {
        "key": "broken",
        "version": 1,
        "title": {"zh-CN": "坏的", "en": "Broken"},
        "category": "building",
        "applies_to": {"location_kinds": ["room"]},
        "frequency": {"every": "monthly"},
        "items": [
            {
                "type": "number",
                "key": "t",
                "label": {"zh-CN": "温度", "en": "T"},
                "min": 9,
                "max": 1,
            },
            {"type": "check", "key": "t", "label": {"zh-CN": "重复", "en": "Dup"}},
        ],
    }
    response = await publish(api, admin, json.dumps(broken), "json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "template.invalid"
    paths = {e["path"] for e in body["errors"]}
    assert any(p.startswith("items[0]") for p in paths) and any(
        p.startswith("items[1]") for p in paths
    )
    assert (await api.get("/api/templates/broken", headers=admin.headers)).status_code == 404
    garbage = await publish(api, admin, "key: [unclosed")
    assert garbage.status_code == 422


async def test_only_admins_publish_and_other_organizations_see_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    assert (await publish(api, manager, SIMPLE)).status_code == 403
    await publish(api, admin, SIMPLE)
    assert (
        await api.get("/api/templates/stairwell_check", headers=manager.headers)
    ).status_code == 200
    stranger = await make_person(await make_school(), "admin")
    assert (
        await api.get("/api/templates/stairwell_check", headers=stranger.headers)
    ).status_code == 404
    assert (await api.get("/api/templates", headers=stranger.headers)).json() == []


async def test_the_library_installs_into_an_organization_once(api):
    school = await make_school()
    inspector = await make_person(school, "inspector")
    assert await install_library(school.organization_id) == len(load_library())
    assert await install_library(school.organization_id) == 0
    listed = (await api.get("/api/templates", headers=inspector.headers)).json()
    assert {t["key"] for t in listed} == set(load_library())
    assert all(t["version"] == 1 for t in listed)
    extinguisher = (
        await api.get("/api/templates/fire_extinguisher_monthly", headers=inspector.headers)
    ).json()
    assert extinguisher["template"]["applies_to"]["asset_categories"] == ["fire_extinguisher"]


async def test_a_scanned_tag_lists_the_checklists_that_apply_to_its_target(api):
    from tests.factories import make_asset, make_location, make_tag

    school = await make_school()
    admin = await make_person(school, "admin")
    await install_library(school.organization_id)
    kitchen = await make_location(admin, school, "学生食堂后厨", kind="kitchen")
    gas = await make_asset(admin, school, category="kitchen_gas", name="燃气灶", location=kitchen)
    extinguisher = await make_asset(admin, school, location=kitchen)
    inspector = await make_person(school, "inspector")

    async def keys(code: str) -> set[str]:
        body = (await api.get(f"/api/tags/{code}", headers=inspector.headers)).json()
        return {t["key"] for t in body["templates"]}

    assert await keys(await make_tag(admin, asset=extinguisher)) == {"fire_extinguisher_monthly"}
    assert "kitchen_gas_weekly" in await keys(await make_tag(admin, asset=gas))
    kitchen_templates = await keys(await make_tag(admin, location=kitchen))
    assert "kitchen_hygiene_daily" in kitchen_templates
    assert "fire_extinguisher_monthly" not in kitchen_templates
    # A newer version is what a phone is offered.
    await publish(api, admin, SIMPLE.replace("stairwell]", "kitchen]"))
    body = (
        await api.get(
            f"/api/tags/{await make_tag(admin, location=kitchen)}", headers=inspector.headers
        )
    ).json()
    offered = {t["key"]: t for t in body["templates"]}
    assert offered["stairwell_check"]["version"] == 1
    assert offered["kitchen_hygiene_daily"]["frequency"] == "daily"


async def test_a_template_that_promises_all_ok_but_cannot_keep_it_is_refused_with_the_item(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    promised = SIMPLE.replace("items:\n", "all_ok: true\nitems:\n") + (
        "  - type: number\n"
        "    key: lux\n"
        '    label: {zh-CN: "照度", en: "Illuminance"}\n'
        "  - type: date\n"
        "    key: serviced\n"
        '    label: {zh-CN: "维保日期", en: "Serviced on"}\n'
        "    prefill: {attribute: serviced_date}\n"
        "  - type: photo\n"
        "    key: photo\n"
        '    label: {zh-CN: "照片", en: "Photo"}\n'
        "    required_when: failure\n"
    )
    refused = await publish(api, admin, promised)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "template.invalid"
    assert [(e["path"], e["code"]) for e in refused.json()["errors"]] == [
        ("items[1]", "template.not_all_ok")
    ]
    kept = await publish(
        api, admin, promised.replace("key: lux\n", "key: lux\n    required: false\n")
    )
    assert kept.status_code == 201, kept.text
    published = (await api.get("/api/templates/stairwell_check", headers=admin.headers)).json()
    assert published["template"]["all_ok"] is True
    assert published["template"]["items"][2]["prefill"] == {
        "attribute": "serviced_date",
        "field": None,
    }


async def check(api, person, body: str, fmt: str = "yaml"):
    return await api.post(
        "/api/templates/check",
        params={"format": fmt},
        content=body.encode(),
        headers=person.headers,
    )


async def test_checking_a_template_lists_its_problems_by_path_and_publishes_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    new = await check(api, admin, SIMPLE)
    assert new.status_code == 200, new.text
    assert new.json() == {
        "valid": True,
        "problems": [],
        "key": "stairwell_check",
        "latest": None,
        "version": 1,
        "changed": True,
    }
    assert (
        await api.get("/api/templates/stairwell_check", headers=admin.headers)
    ).status_code == 404
    await publish(api, admin, SIMPLE)
    same = (await check(api, admin, SIMPLE)).json()
    assert (same["latest"], same["version"], same["changed"]) == (1, 1, False)
    changed = (await check(api, admin, SIMPLE.replace("照明正常", "照明灯具完好"))).json()
    assert (changed["latest"], changed["version"], changed["changed"]) == (1, 2, True)

    broken = SIMPLE.replace(
        '    label: {zh-CN: "照明正常", en: "Lights work"}',
        '    label: {zh-CN: "照明正常", en: "Lights work"}\n'
        "  - type: choice\n"
        "    key: lights\n"
        '    label: {zh-CN: "灯", en: "Lamp"}\n'
        '    options: [{value: lit, label: {zh-CN: "亮", en: "On"}}]\n'
        "    fail_options: [dark]",
    )
    answer = await check(api, admin, broken)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["valid"] is False and body["key"] is None and body["version"] is None
    found = {(p["path"], p["code"]) for p in body["problems"]}
    assert ("items[1].key", "template.duplicate_item_key") in found, found
    assert ("items[1].fail_options[0]", "template.unknown_option") in found, found
    unreadable = (await check(api, admin, "key: [unclosed")).json()
    assert unreadable["valid"] is False
    assert unreadable["problems"][0]["code"] == "template.malformed"
    wrong_type = (await check(api, admin, SIMPLE.replace("version: 1", "version: one"))).json()
    assert [(p["path"], p["code"]) for p in wrong_type["problems"]] == [
        ("version", "template.invalid")
    ]
    # Nothing of it was published: version 1 is still the only one.
    latest = (await api.get("/api/templates/stairwell_check", headers=admin.headers)).json()
    assert latest["versions"] == [1]


async def test_only_admins_check_templates_and_the_list_says_which_are_built_in(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    refused = await check(api, manager, SIMPLE)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.forbidden")
    await install_library(school.organization_id)
    await publish(api, admin, SIMPLE)
    listed = {
        t["key"]: t for t in (await api.get("/api/templates", headers=manager.headers)).json()
    }
    assert listed["stairwell_check"]["from_library"] is False
    assert listed["fire_extinguisher_monthly"]["from_library"] is True


async def test_a_stale_change_of_where_a_checklist_applies_is_refused_and_stores_nothing(api):
    school = await make_school()
    manager = await make_person(school, "manager")
    await install_library(school.organization_id)
    path = f"/api/sites/{school.site_id}/checklists/emergency_lighting_monthly"

    async def rule() -> dict:
        listed = await api.get(f"/api/sites/{school.site_id}/checklists", headers=manager.headers)
        return next(r for r in listed.json() if r["template_key"] == "emergency_lighting_monthly")

    assert (await rule())["version"] == 0
    first = await api.put(
        path, json={"asset_categories": ["emergency_light"], "version": 0}, headers=manager.headers
    )
    assert first.status_code == 200, first.text
    assert (first.json()["version"], first.json()["asset_categories"]) == (1, ["emergency_light"])
    # Someone who loaded the rule before that change sends theirs.
    stale = await api.put(path, json={"enabled": False, "version": 0}, headers=manager.headers)
    assert stale.status_code == 409, stale.text
    assert (stale.json()["code"], stale.json()["field"]) == (
        "site_checklist.version_conflict",
        "version",
    )
    assert (await rule())["enabled"] is True and (await rule())["version"] == 1
    # Without a version, the change is made whatever the rule is now.
    blind = await api.put(path, json={"enabled": False}, headers=manager.headers)
    assert (blind.json()["enabled"], blind.json()["version"]) == (False, 2)
    cleared = await api.delete(path, headers=manager.headers)
    assert (cleared.json()["overridden"], cleared.json()["version"]) == (False, 0)
