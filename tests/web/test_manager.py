"""The manager's view on the phone and a thing's recent results on its target page, from
the pulled data, checked against what the server's own API says."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from server.registry.tables import Asset
from server.schedules.tables import ScheduleVersion
from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.syncing.device import device_of
from tests.web.test_checklist import a_photo, open_checklist
from tests.web.test_client import ConsoleErrors, log_in, new_phone, snap

DAY = timedelta(days=1)
CLOSED = {"verified", "cancelled"}
AGES = (("day", 1), ("days3", 3), ("week", 7), ("older", 10_000))


async def logged_in(browser, url: str, username: str):
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{url}/app/")
    await log_in(page, username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    await page.evaluate("navigator.serviceWorker.ready")
    return context, page, errors


async def a_school_with_work(api):
    """Five extinguishers on the third floor checked daily since five days ago, the first
    three kept by a maintainer, and actions raised 2 hours, 2, 5, 10 and 12 days ago by
    failed checks (the last one put right since)."""
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    maintainer = await make_person(school, "maintainer")
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    assets = [
        await make_asset(admin, school, name=f"灭火器{n}", asset_number=f"MHQ-{n}", location=floor)
        for n in range(5)
    ]
    for asset in assets[:3]:
        patched = await api.patch(
            f"/api/assets/{asset}",
            json={"keeper_id": str(maintainer.user_id)},
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
    # A schedule is never dated before the day it was made; this one stands for one made
    # five days ago, on things that were there already.
    now = datetime.now(UTC)
    await ScheduleVersion.update({ScheduleVersion.effective_from: (now - 5 * DAY).date()}).where(
        ScheduleVersion.schedule == made.json()["id"]
    )
    await Asset.update({Asset.created_at: now - 30 * DAY}).where(Asset.id.is_in(assets))

    failures = (
        (assets[0], "hose", now - timedelta(hours=2)),
        (assets[1], "body", now - 2 * DAY),
        (assets[2], "hose", now - 5 * DAY),
        (assets[3], "body", now - 10 * DAY),
        (assets[4], "hose", now - 12 * DAY),
    )
    for asset, item, at in failures:
        answers = extinguisher_answers(**{item: "fail"})
        body = submission(asset=asset, answers=answers, completed_at=at)
        assert (await submit(api, inspector, body)).status_code == 201
    fixed = submission(asset=assets[4], completed_at=now - 11 * DAY)
    assert (await submit(api, inspector, fixed)).status_code == 201
    return school, admin, manager, inspector, maintainer, assets


async def items(api, person, path: str, **params) -> list[dict]:
    answer = await api.get(path, params=params, headers=person.headers)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    return found["items"] if isinstance(found, dict) else found


async def server_counts(api, person, site_id) -> dict:
    site = str(site_id)
    today = await items(api, person, "/api/due", site_id=site, scope="today")
    overdue = await items(api, person, "/api/due", site_id=site, scope="overdue")
    actions = await items(api, person, "/api/actions", site_id=site, limit=200)
    late = await items(api, person, "/api/actions", site_id=site, overdue="true", limit=200)
    now = datetime.now(UTC)
    open_ = [a for a in actions if a["state"] not in CLOSED]
    ages = {key: 0 for key, _ in AGES}
    for action in open_:
        days = (now - datetime.fromisoformat(action["raised_at"])) / DAY
        ages[next(key for key, most in AGES if days < most)] += 1
    return {
        "today": len(today),
        "left": sum(1 for i in today if i["status"] in ("due", "upcoming")),
        "overdue": len(overdue),
        "open": len(open_),
        "late": len(late),
        "ages": ages,
        "oldest": min(open_, key=lambda a: a["raised_at"]),
        "closed": len(actions) - len(open_),
    }


async def count_of(page: Page, testid: str) -> int:
    return int(await page.get_by_test_id(testid).get_attribute("data-count"))


async def test_a_managers_phone_shows_the_counts_the_server_gives_offline_too(
    browser, clean, api
) -> None:
    school, _, manager, inspector, _, _ = await a_school_with_work(api)
    expected = await server_counts(api, manager, school.site_id)
    # Enough of everything for the comparison to mean something.
    assert expected["today"] == 5 and expected["left"] >= 1
    assert expected["overdue"] > 5
    assert expected["ages"] == {"day": 1, "days3": 1, "week": 1, "older": 1}
    assert expected["late"] >= 2 and expected["closed"] == 1

    context, page, errors = await logged_in(browser, clean.url, manager.username)
    await page.get_by_test_id("menu-manager").click()
    await expect(page.get_by_test_id("manager-title")).to_have_text("管理概览")
    await expect(page.get_by_test_id("manager-as-of")).to_contain_text("数据截至上次同步")
    assert await count_of(page, "manager-due-today") == expected["today"]
    assert await count_of(page, "manager-due-left") == expected["left"]
    assert await count_of(page, "manager-overdue") == expected["overdue"]
    assert await count_of(page, "manager-actions-open") == expected["open"]
    assert await count_of(page, "manager-actions-overdue") == expected["late"]
    for key, count in expected["ages"].items():
        bucket = page.locator(f'[data-testid="manager-age"][data-age="{key}"]')
        assert int(await bucket.get_attribute("data-count")) == count, key
    await snap(page, "manager", clean.backend)

    # Offline, a reload shows the same, from the phone's copy; the oldest action opens.
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_test_id("manager-title")).to_be_visible()
    assert await count_of(page, "manager-overdue") == expected["overdue"]
    oldest = page.locator(f'[data-testid="manager-action"][data-id="{expected["oldest"]["id"]}"]')
    await expect(oldest).to_be_visible()
    await oldest.locator("button").click()
    assert page.url.endswith(f"/app/actions/{expected['oldest']['id']}")

    # English: every string from the translation file.
    await page.goto(f"{clean.url}/app/manager")
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("manager-title")).to_have_text("Manager overview")
    await expect(page.locator('[data-testid="manager-age"][data-age="older"]')).to_contain_text(
        "over 7 days"
    )
    assert errors == []
    await context.close()

    # An inspector has no manager view: no menu entry, and the page says whose it is.
    context, page, _ = await logged_in(browser, clean.url, inspector.username)
    await expect(page.get_by_test_id("menu-due")).to_be_visible()
    await expect(page.get_by_test_id("menu-manager")).to_have_count(0)
    await page.goto(f"{clean.url}/app/manager")
    await expect(page.get_by_test_id("manager-none")).to_be_visible()
    await context.close()


async def week_expected(api, person, site_id) -> dict:
    """This week's figures from the server's own due list: the occurrences whose time has
    come (window closed, or done), excused ones apart."""
    week = await items(api, person, "/api/due", site_id=str(site_id), scope="week")
    now = datetime.now(UTC)
    open_ = {"due", "upcoming", "overdue"}
    counted = [
        e
        for e in week
        if datetime.fromisoformat(e["occurrence"]["due_end"]) <= now or e["status"] not in open_
    ]
    excused = sum(1 for e in counted if e["status"] == "excused")
    late = sum(1 for e in counted if e["status"] == "done_late")
    overdue = sum(1 for e in counted if e["status"] in open_)
    due = len(counted) - excused
    return {
        "due": due,
        "on-time": due - late - overdue,
        "late": late,
        "overdue": overdue,
        "excused": excused,
    }


def monday(now: datetime) -> datetime:
    """The start of this week at the school (Asia/Shanghai, as make_school makes it)."""
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    return datetime.combine(local.date() - timedelta(days=local.weekday()), time(), local.tzinfo)


async def test_every_count_opens_its_list_and_the_oldest_actions_say_where_and_whose(
    browser, clean, api
) -> None:
    school, _, manager, inspector, maintainer, assets = await a_school_with_work(api)
    site = school.site_id
    # A record the server refused, sent from the inspector's phone.
    device = await device_of(api, inspector)
    bad = submission(asset=assets[0], answers=extinguisher_answers(hose="broken"))
    answer = await device.push_ok([device.op(bad)])
    assert answer["results"][0]["status"] == "rejected"
    expected = await server_counts(api, manager, site)
    week = await week_expected(api, manager, site)
    high = await items(
        api, manager, "/api/findings", site_id=str(site), status="open", severity="high"
    )
    made = await items(api, manager, "/api/inspections", site_id=str(site), limit=200)
    since = monday(datetime.now(UTC))
    this_week = [i for i in made if datetime.fromisoformat(i["completed_at"]) >= since]
    actions = await items(api, manager, "/api/actions", site_id=str(site), limit=200)
    owned = [a for a in actions if a["state"] not in CLOSED and a["owner_id"]]
    assert {a["owner_id"] for a in owned} == {str(maintainer.user_id)}

    context, page, errors = await logged_in(browser, clean.url, manager.username)
    await page.get_by_test_id("menu-manager").click()
    await expect(page.get_by_test_id("manager-title")).to_be_visible()

    # The oldest open actions: what, on which thing (its asset number), where, whose, how old.
    oldest = page.locator(f'[data-testid="manager-action"][data-id="{expected["oldest"]["id"]}"]')
    days = (datetime.now(UTC) - datetime.fromisoformat(expected["oldest"]["raised_at"])).days
    await expect(oldest.get_by_test_id("manager-thing")).to_have_text("灭火器3 · 编号 MHQ-3")
    await expect(oldest.get_by_test_id("manager-place")).to_have_text("教学楼A › 3F")
    # The asset has no keeper: the site's maintainer owns it.
    await expect(oldest.get_by_test_id("manager-owner")).to_have_text("负责人：测试maintainer")
    await expect(oldest.get_by_test_id("manager-age-of")).to_contain_text(f"{days} 天")

    # This week: done on time / due, excused apart; each person's checks and actions.
    for key, value in week.items():
        assert await count_of(page, f"manager-week-{key}") == value, key
    rate = await page.get_by_test_id("manager-rate").get_attribute("data-rate")
    assert rate == (str(round(100 * week["on-time"] / week["due"])) if week["due"] else "")
    row = page.locator(f'[data-testid="manager-person"][data-id="{inspector.user_id}"]')
    await expect(row.get_by_test_id("person-checks")).to_have_text(str(len(this_week)))
    failed = sum(1 for i in this_week if i["result"] == "fail")
    await expect(row.get_by_test_id("person-failed")).to_have_text(str(failed))
    fixer = page.locator(f'[data-testid="manager-person"][data-id="{maintainer.user_id}"]')
    await expect(fixer.get_by_test_id("person-actions").get_by_role("button")).to_have_text(
        str(len(owned))
    )
    late = [a for a in owned if datetime.fromisoformat(a["due_at"]) < datetime.now(UTC)]
    await expect(fixer.get_by_test_id("person-overdue")).to_contain_text(f"{len(late)} 超期")
    await expect(page.get_by_test_id("manager-refused")).to_have_attribute("data-count", "1")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await snap(page, "manager-overview", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("manager-people")).to_contain_text("People this week")
    await snap(page, "manager-overview-en", clean.backend)
    await page.get_by_test_id("lang").click()

    async def opens(testid: str, count: int, title: str) -> None:
        await page.get_by_test_id(testid).first.click()
        await expect(page.get_by_test_id("manager-list-title")).to_contain_text(title)
        await expect(page.locator('[data-testid$="-list"] li')).to_have_count(count)
        await page.get_by_test_id("back").click()
        await expect(page.get_by_test_id("manager-title")).to_be_visible()

    await opens("manager-actions-open", expected["open"], "未关闭的整改任务")
    await opens("manager-actions-overdue", expected["late"], "已超期的整改任务")
    await opens("manager-findings-high", len(high), "未处理的严重问题")
    await opens("manager-refused", 1, "被服务器拒收的记录")
    for key, count in expected["ages"].items():
        await page.locator(f'[data-testid="manager-age"][data-age="{key}"] button').click()
        await expect(page.get_by_test_id("manager-action")).to_have_count(count)
        await page.get_by_test_id("back").click()
    # Each person's open actions open too; the refused record names who and why.
    await fixer.get_by_role("button").click()
    await expect(page.get_by_test_id("manager-list-title")).to_have_text(
        "测试maintainer 负责的整改任务"
    )
    await expect(page.get_by_test_id("manager-action")).to_have_count(len(owned))
    await snap(page, "manager-list", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("manager-list-title")).to_contain_text("Actions owned by")
    await snap(page, "manager-list-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("back").click()
    await page.get_by_test_id("manager-refused").click()
    refused = page.get_by_test_id("manager-refused-op")
    await expect(refused).to_contain_text("测试inspector")
    await expect(refused).to_contain_text("inspection.invalid_answers")
    await snap(page, "manager-refused", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("manager-refused-op")).to_contain_text(
        "inspection.invalid_answers"
    )
    await snap(page, "manager-refused-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await page.get_by_test_id("back").click()
    # The due counts open the due screen.
    await page.get_by_test_id("manager-overdue").click()
    assert page.url.endswith("/app/due?overdue=1")
    await expect(page.get_by_test_id("due-title")).to_be_visible()
    assert errors == []
    await context.close()


def last_result(page: Page, key: str):
    return page.locator(f'[data-testid="last-result"][data-key="{key}"]')


async def test_the_target_page_shows_recent_results_pulled_and_waiting_to_send(
    browser, clean, api
) -> None:
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    colleague = await make_person(school, "inspector")
    building = await make_location(admin, school, "教学楼A")
    asset = await make_asset(admin, school, name="手提式干粉灭火器", location=building)
    code = await make_tag(admin, asset=asset)
    now = datetime.now(UTC)
    # Made elsewhere: a failed check three days ago, corrected to a pass; an older pass.
    older = submission(asset=asset, completed_at=now - 20 * DAY)
    wrong = submission(
        asset=asset, answers=extinguisher_answers(hose="fail"), completed_at=now - 3 * DAY
    )
    for body in (older, wrong):
        assert (await submit(api, colleague, body)).status_code == 201
    corrected = submission(asset=asset, completed_at=now - 3 * DAY, supersedes=wrong["id"])
    assert (await submit(api, colleague, corrected)).status_code == 201

    context, page, errors = await logged_in(browser, clean.url, inspector.username)
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{clean.url}/t/{code}")
    monthly = last_result(page, "fire_extinguisher_monthly")
    await expect(monthly).to_have_attribute("data-result", "pass")
    await expect(monthly).to_contain_text("合格")
    await expect(monthly).to_contain_text("得分 100")
    await expect(monthly).to_contain_text("测试inspector")
    await expect(monthly).to_have_attribute("data-waiting", "false")
    recent = page.get_by_test_id("recent-result")
    # The superseded check is not a result any more.
    await expect(recent).to_have_count(2)
    # Retried until it holds: a sync may draw the section again meanwhile.
    await expect(recent.nth(0)).to_have_attribute("data-id", corrected["id"])
    await expect(recent.nth(1)).to_have_attribute("data-id", older["id"])

    # Made on this phone offline: it leads, waiting to send, judged as the server will.
    await context.set_offline(True)
    await open_checklist(page, "fire_extinguisher_monthly")
    await page.get_by_test_id("answer-gauge_zone-red").click()
    await page.get_by_test_id("all-ok").click()
    await page.get_by_test_id("answer-cabinet_opens-na").click()
    await page.get_by_test_id("input-service_life_end").fill("2031-06-30")
    await page.get_by_test_id("photo-photo").set_input_files(
        {"name": "gauge.png", "mimeType": "image/png", "buffer": a_photo()}
    )
    await expect(page.get_by_test_id("thumb")).to_have_count(1)
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()
    await expect(monthly).to_have_attribute("data-result", "fail")
    await expect(monthly).to_have_attribute("data-waiting", "true")
    await expect(monthly.get_by_test_id("result-waiting")).to_have_text("待发送")
    await expect(monthly).to_contain_text("关键项不合格")
    await expect(recent).to_have_count(3)
    mine = await recent.first.get_attribute("data-id")
    judged_here = await monthly.inner_text()
    await snap(page, "target-results", clean.backend)
    # Still there after a reload offline.
    await page.reload()
    await expect(monthly).to_have_attribute("data-waiting", "true")

    # Online: sent, pulled back, and the same result no longer waits.
    await context.set_offline(False)
    await expect(page.get_by_test_id("sync-status")).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(monthly).to_have_attribute("data-waiting", "false")
    await expect(monthly).to_have_attribute("data-result", "fail")
    await expect(recent.first).to_have_attribute("data-id", mine)
    stored = (await api.get(f"/api/inspections/{mine}", headers=inspector.headers)).json()
    assert stored["evaluation"]["result"] == "fail"
    assert stored["evaluation"]["critical_failure"] is True
    score = stored["evaluation"]["score"]
    assert score < 100 and f"得分 {score:g}" in judged_here
    await expect(monthly).to_contain_text(f"得分 {score:g}")

    # A re-check made elsewhere afterwards reaches the page with the next sync, and the
    # correction of it made there too: the page shows the correction only.
    later = datetime.now(UTC)
    recheck = submission(asset=asset, completed_at=later)
    assert (await submit(api, colleague, recheck)).status_code == 201
    fixed = submission(asset=asset, completed_at=later, supersedes=recheck["id"])
    assert (await submit(api, colleague, fixed)).status_code == 201
    await page.goto(f"{clean.url}/app/")
    await page.get_by_test_id("sync-now").click()
    await expect(page.get_by_test_id("sync-status")).to_have_attribute("data-state", "ok")
    await page.goto(f"{clean.url}/t/{code}")
    await expect(recent.first).to_have_attribute("data-id", fixed["id"])
    await expect(monthly).to_have_attribute("data-result", "pass")
    await expect(recent).to_have_count(4)
    await expect(page.locator(f'[data-id="{recheck["id"]}"]')).to_have_count(0)
    assert errors == []
    await context.close()


async def test_recent_results_and_action_ages_from_records(browser, clean) -> None:
    """The pure parts, on records made up here: what counts as a thing's result, and how
    open actions fall into ages."""
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    found = await page.evaluate(
        """async () => {
          const { recentResults } = await import("/web/app/results.js");
          const { actionAges } = await import("/web/app/overview.js");
          const template = { key: "k", version: 1, title: { "zh-CN": "检查", en: "Check" },
            items: [{ key: "a", type: "check", label: { "zh-CN": "甲", en: "A" }, critical: true },
                    { key: "b", type: "check", label: { "zh-CN": "乙", en: "B" } }] };
          const target = { kind: "asset", asset: { id: "A1" }, checklists: [template] };
          const at = (days) => new Date(Date.UTC(2026, 10, 20) - days * 86400000).toISOString();
          const pulled = (id, days, extra = {}) => ({ id, template_key: "k", asset_id: "A1",
            location_id: "L1", inspector_id: "P1", completed_at: at(days), result: "pass",
            score: 100, critical_failure: false, superseded_by: null, ...extra });
          const inspections = [
            pulled("i1", 5),
            pulled("i2", 1, { superseded_by: "i3" }),
            pulled("i3", 1, { result: "fail", score: 50 }),
            pulled("other", 0, { asset_id: "A2" }),
            pulled("place", 0, { asset_id: null }),
          ];
          const waitingFix = { type: "inspection.submitted", body: { id: "w1", template_key: "k",
            template_version: 1, asset_id: "A1", completed_at: at(0.5), supersedes: "i3",
            answers: { a: "fail", b: "pass" } } };
          const people = [{ id: "P1", name: "甲某" }, { id: "ME", name: "我" }];
          const templates = [{ key: "k", template }];
          const base = { target, inspections, templates, people, userId: "ME" };
          const pulledOnly = recentResults({ ...base, ops: [] });
          const withWaiting = recentResults({ ...base, ops: [waitingFix] });
          const place = { kind: "location", location: { id: "L1" }, checklists: [] };
          const atPlace = recentResults({ ...base, target: place, ops: [waitingFix] });
          const day = 86400000;
          const now = Date.UTC(2026, 10, 20);
          const action = (id, days, state = "open", dueIn = 1) => ({ id, state,
            raised_at: new Date(now - days * day).toISOString(),
            due_at: new Date(now - days * day + dueIn * day).toISOString() });
          const ages = actionAges([action("a", 0.5), action("b", 2), action("c", 2.5, "fixed"),
            action("d", 6, "in_progress", 10), action("e", 30), action("f", 40, "verified")], now);
          return {
            last: pulledOnly.last.map((l) => [l.key, l.entry.id, l.entry.inspector]),
            recent: pulledOnly.recent.map((e) => e.id),
            waitingLast: withWaiting.last[0].entry,
            waitingRecent: withWaiting.recent.map((e) => [e.id, e.waiting]),
            atPlace: [atPlace.last.length, atPlace.recent.map((e) => e.id)],
            ages: { open: ages.open, overdue: ages.overdue,
                    buckets: ages.buckets.map((b) => [b.key, b.count]),
                    oldest: ages.oldest.map((a) => a.id) },
          };
        }"""
    )
    assert found["last"] == [["k", "i3", "甲某"]]
    assert found["recent"] == ["i3", "i1"]
    waiting = found["waitingLast"]
    assert (waiting["id"], waiting["waiting"], waiting["inspector"]) == ("w1", True, "我")
    assert (waiting["result"], waiting["score"], waiting["critical_failure"]) == ("fail", 50, True)
    assert found["waitingRecent"] == [["w1", True], ["i1", False]]
    # A place's own inspections, not those of the things in it.
    assert found["atPlace"] == [0, ["place"]]
    assert found["ages"] == {
        "open": 5,
        "overdue": 3,
        "buckets": [["day", 1], ["days3", 2], ["week", 1], ["older", 1]],
        "oldest": ["e", "d", "c"],
    }
    await context.close()
