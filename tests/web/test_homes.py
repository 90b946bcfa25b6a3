"""Each role's home on the phone: the maintainer's own actions first, the inspector's own
due work (the API's `mine` rule), the manager's overview, and an auditor who only reads and
is never offered a form whose record the server would refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from server.registry.tables import Asset
from server.schedules.tables import ScheduleVersion
from server.templates.templates import install_library
from tests.factories import Person, make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.web.test_client import ConsoleErrors, log_in, new_phone, snap
from tests.web.test_lifecycle import waiting_ops

DAY = timedelta(days=1)
ROLES = ("admin", "manager", "inspector", "maintainer", "guard", "auditor")


async def a_school_with_roles(api):
    """Two extinguishers on the third floor checked daily for the last four days: one kept
    by the maintainer, whose gauge failed this morning (their action), one kept by no one
    (the inspectors')."""
    school = await make_school()
    await install_library(school.organization_id)
    people = {role: await make_person(school, role) for role in ROLES}
    admin = people["admin"]
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    kept = await make_asset(
        admin, school, name="手提式干粉灭火器", asset_number="MHQ-001", location=floor
    )
    await make_asset(admin, school, name="推车式灭火器", asset_number="MHQ-002", location=floor)
    patched = await api.patch(
        f"/api/assets/{kept}",
        json={"keeper_id": str(people["maintainer"].user_id)},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    made = await api.post(
        f"/api/sites/{school.site_id}/schedules",
        json={
            "template_key": "fire_extinguisher_monthly",
            "targets": {"by": "category", "category": "fire_extinguisher"},
            "rule": {"every": "daily"},
        },
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    # Made four days ago, on things that were there already.
    now = datetime.now(UTC)
    await ScheduleVersion.update({ScheduleVersion.effective_from: (now - 4 * DAY).date()}).where(
        ScheduleVersion.schedule == made.json()["id"]
    )
    await Asset.update({Asset.created_at: now - 30 * DAY}).where(Asset.site == school.site_id)
    failed = submission(asset=kept, answers=extinguisher_answers(gauge_zone="red"))
    assert (await submit(api, people["inspector"], failed)).status_code == 201
    actions = await api.get(
        "/api/actions", params={"site_id": str(school.site_id)}, headers=admin.headers
    )
    (action,) = actions.json()["items"]
    assert action["owner_id"] == str(people["maintainer"].user_id)
    return school, people, action, await make_tag(admin, asset=kept)


async def my_due(api, person: Person, site_id) -> dict[str, int]:
    """What GET /api/due?mine says is the person's: still to do today, and overdue."""
    counts = {}
    for scope in ("today", "overdue"):
        answer = await api.get(
            "/api/due",
            params={"site_id": str(site_id), "scope": scope, "mine": "true"},
            headers=person.headers,
        )
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        open_ = ("due", "upcoming") if scope == "today" else ("overdue",)
        counts[scope] = sum(1 for i in items if i["status"] in open_)
    return counts


async def home_of(browser, url: str, person: Person):
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{url}/app/")
    await log_in(page, person.username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    await page.evaluate("navigator.serviceWorker.ready")
    return context, page, errors


async def first_part(page: Page) -> str | None:
    return await page.locator("#view > *").first.get_attribute("data-testid")


async def count_of(page: Page, testid: str) -> int:
    return int(await page.get_by_test_id(testid).get_attribute("data-count"))


async def no_wider_than_the_phone(page: Page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360


async def test_the_maintainer_sees_their_actions_first_and_the_inspector_their_due_work(
    browser, clean, api
) -> None:
    school, people, action, _ = await a_school_with_roles(api)
    maintainer, inspector = people["maintainer"], people["inspector"]
    theirs = await my_due(api, maintainer, school.site_id)
    mine = await my_due(api, inspector, school.site_id)
    # Enough for the numbers to mean something, and not the same for both.
    assert theirs["overdue"] >= 3 and mine["overdue"] >= 3 and theirs != mine

    context, page, errors = await home_of(browser, clean.url, maintainer)
    await expect(page.get_by_test_id("home-actions")).to_be_visible()
    assert await first_part(page) == "home-actions"
    item = page.get_by_test_id("home-action")
    await expect(item).to_have_count(1)
    await expect(item).to_have_attribute("data-id", action["id"])
    await expect(item).to_contain_text("压力表指针所在区域")
    await expect(item.get_by_test_id("manager-thing")).to_have_text(
        "手提式干粉灭火器 · 编号 MHQ-001"
    )
    await expect(item.get_by_test_id("manager-place")).to_have_text("教学楼A › 3F")
    # Their due work is on the things they keep.
    assert await count_of(page, "home-my-due") == theirs["today"]
    assert await count_of(page, "home-my-overdue") == theirs["overdue"]
    # The scanner is a big button, wider and taller than the links.
    scan = await page.get_by_test_id("menu-scan").bounding_box()
    assert scan is not None and scan["height"] >= 60 and scan["width"] >= 300
    await no_wider_than_the_phone(page)
    await snap(page, "home-maintainer", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("home-actions")).to_contain_text("My actions (1)")
    await snap(page, "home-maintainer-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await item.get_by_role("button").click()
    assert page.url.endswith(f"/app/actions/{action['id']}")
    assert errors == []
    await context.close()

    context, page, errors = await home_of(browser, clean.url, inspector)
    await expect(page.get_by_test_id("home-due")).to_be_visible()
    assert await first_part(page) == "home-due"
    assert await count_of(page, "home-my-due") == mine["today"]
    assert await count_of(page, "home-my-overdue") == mine["overdue"]
    # Nothing is theirs to put right: said so, below their due work.
    await expect(page.get_by_test_id("home-actions")).to_contain_text("目前没有分派给你的整改任务")
    await expect(page.get_by_test_id("home-overview")).to_have_count(0)
    await no_wider_than_the_phone(page)
    await snap(page, "home-inspector", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("home-due")).to_contain_text("My checks")
    await snap(page, "home-inspector-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("home-my-overdue").click()
    assert page.url.endswith("/app/due?mine=1&overdue=1")
    await page.go_back()
    await page.get_by_test_id("home-open-due").click()
    assert page.url.endswith("/app/due?mine=1")
    await expect(page.get_by_test_id("due-title")).to_be_visible()
    assert errors == []
    await context.close()


async def test_the_manager_sees_the_overview_first_and_a_guard_the_scanner(
    browser, clean, api
) -> None:
    school, people, _, _ = await a_school_with_roles(api)
    context, page, errors = await home_of(browser, clean.url, people["manager"])
    await expect(page.get_by_test_id("home-overview")).to_be_visible()
    assert await first_part(page) == "home-overview"
    overdue = await api.get(
        "/api/due",
        params={"site_id": str(school.site_id), "scope": "overdue"},
        headers=people["manager"].headers,
    )
    assert await count_of(page, "home-overdue") == len(overdue.json()["items"])
    assert await count_of(page, "home-actions-open") == 1
    await no_wider_than_the_phone(page)
    await snap(page, "home-manager", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("menu-manager")).to_have_text("Open the overview")
    await snap(page, "home-manager-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("home-actions-open").click()
    await expect(page.get_by_test_id("manager-action")).to_have_count(1)
    await page.go_back()
    await page.get_by_test_id("menu-manager").click()
    await expect(page.get_by_test_id("manager-title")).to_have_text("管理概览")
    assert errors == []
    await context.close()

    # A guard keeps nothing: their rounds lead (none here), then the scanner and what is
    # due at the school today.
    context, page, errors = await home_of(browser, clean.url, people["guard"])
    await expect(page.get_by_test_id("home-due")).to_have_attribute("data-mine", "false")
    assert await first_part(page) == "home-patrol"
    today = await api.get(
        "/api/due",
        params={"site_id": str(school.site_id), "scope": "today"},
        headers=people["guard"].headers,
    )
    left = [i for i in today.json()["items"] if i["status"] in ("due", "upcoming")]
    assert left and await count_of(page, "home-my-due") == len(left)
    await snap(page, "home-guard", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("home-due")).to_contain_text("Due at the school today")
    await snap(page, "home-guard-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("home-open-due").click()
    assert page.url.endswith("/app/due?mine=0")
    assert errors == []
    await context.close()


async def test_an_auditor_reads_and_is_offered_no_form_the_server_would_refuse(
    browser, clean, api
) -> None:
    school, people, action, code = await a_school_with_roles(api)
    context, page, errors = await home_of(browser, clean.url, people["auditor"])
    pushed: list[list] = []
    page.on(
        "request",
        lambda r: pushed.append(r.post_data_json["ops"]) if r.url.endswith("/sync/push") else None,
    )
    # Home: the overview they audit, said to be read only; no due list, no "my actions".
    await expect(page.get_by_test_id("home-read-only")).to_be_visible()
    assert await first_part(page) == "home-overview"
    for testid in ("menu-due", "menu-actions", "home-due", "home-actions"):
        await expect(page.get_by_test_id(testid)).to_have_count(0)
    await no_wider_than_the_phone(page)
    await snap(page, "home-auditor", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("home-read-only")).to_contain_text("Read only")
    await snap(page, "home-auditor-en", clean.backend)
    await page.get_by_test_id("lang").click()

    # The tag page: what the thing is, its problems and results; what applies, by name only.
    await page.get_by_test_id("code-input").fill(code)
    await page.get_by_test_id("code-submit").click()
    await expect(page.get_by_test_id("target-title")).to_have_text("手提式干粉灭火器")
    await expect(page.get_by_test_id("finding")).to_have_count(1)
    await expect(page.get_by_test_id("checklist-read-only").first).to_be_visible()
    await expect(page.get_by_test_id("checklist")).to_have_count(0)
    await expect(page.get_by_test_id("report-open")).to_have_count(0)
    await no_wider_than_the_phone(page)
    await snap(page, "target-auditor", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("read-only")).to_contain_text("You only read here")
    await snap(page, "target-auditor-en", clean.backend)
    await page.get_by_test_id("lang").click()
    # A form's URL (a link, a bookmark) draws no form either.
    for query in ("checklist=fire_extinguisher_monthly", "report=1"):
        await page.goto(f"{clean.url}/t/{code}?{query}")
        await expect(page.get_by_test_id("read-only")).to_be_visible()
        await expect(page.locator("form, input[type=file], textarea")).to_have_count(0)
    # The action, read only: no step to take.
    await page.goto(f"{clean.url}/app/actions/{action['id']}")
    await expect(page.get_by_test_id("action-title")).to_be_visible()
    await expect(page.get_by_test_id("action-steps").get_by_role("button")).to_have_count(0)

    # Nothing was made, so nothing is sent for the server to refuse.
    await page.goto(f"{clean.url}/app/")
    await page.get_by_test_id("sync-now").click()
    await expect(page.get_by_test_id("sync-status")).to_have_attribute("data-state", "ok")
    assert await waiting_ops(page) == []
    assert all(ops == [] for ops in pushed)
    refused = await api.get(
        "/api/sync/refused",
        params={"site_id": str(school.site_id)},
        headers=people["admin"].headers,
    )
    assert refused.json() == []
    assert errors == []
    await context.close()


async def test_a_home_of_several_roles_leads_with_the_strongest(browser, clean) -> None:
    """The pure rules (roles.js), on people made up here."""
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    found = await page.evaluate(
        """async () => {
          const roles = await import("/web/app/roles.js");
          const person = (...sites) => ({ id: "ME", sites: sites.map(([site_id, role]) =>
            ({ site_id, site_name: site_id, role })) });
          const parts = (user) =>
            roles.homeParts(user).map((p) => [p.part, p.sites.map((s) => s.site_id)]);
          return {
            inspectorAndManager: parts(person(["A", "inspector"], ["B", "manager"])),
            maintainerAndInspector: parts(person(["A", "inspector"], ["B", "maintainer"])),
            auditorAndInspector: parts(person(["A", "auditor"], ["B", "inspector"])),
            guard: parts(person(["A", "guard"])),
            nobody: parts(person()),
            readsOnly: [roles.readsOnly(person(["A", "auditor"])),
                        roles.readsOnly(person(["A", "auditor"], ["B", "inspector"])),
                        roles.readsOnly(person())],
            readsOnlyAt: [roles.readsOnlyAt(person(["A", "auditor"], ["B", "inspector"]), "A"),
                          roles.readsOnlyAt(person(["A", "auditor"], ["B", "inspector"]), "B")],
            mine: [roles.isMine({ keeper_id: "ME" }, "ME", "maintainer"),
                   roles.isMine({ keeper_id: null }, "ME", "inspector"),
                   roles.isMine({ keeper_id: null }, "ME", "maintainer"),
                   roles.isMine({}, "ME", "inspector"),
                   roles.isMine({ keeper_id: "OTHER" }, "ME", "inspector")],
          };
        }"""
    )
    assert found["inspectorAndManager"] == [
        ["overview", ["B"]],
        ["scan", ["B", "A"]],
        ["actions", ["B", "A"]],
        ["due", ["A"]],
    ]
    assert found["maintainerAndInspector"] == [
        ["actions", ["B", "A"]],
        ["scan", ["B", "A"]],
        ["due", ["B", "A"]],
    ]
    assert found["auditorAndInspector"] == [
        ["due", ["B"]],
        ["scan", ["B", "A"]],
        ["actions", ["B"]],
        ["overview", ["A"]],
    ]
    # A guard keeps nothing: their rounds first, the scanner, then what is due at the site.
    assert found["guard"] == [
        ["patrol", ["A"]],
        ["scan", ["A"]],
        ["site_due", ["A"]],
        ["actions", ["A"]],
    ]
    assert found["nobody"] == [["scan", []]]
    assert found["readsOnly"] == [True, False, False]
    assert found["readsOnlyAt"] == [True, False]
    # A place has no keeper: an inspector's, as the server's rule has it.
    assert found["mine"] == [True, True, False, True, False]
    await context.close()
