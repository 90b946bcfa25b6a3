"""Corrective actions on the phone: the maintainer's "my actions", a fix made offline with a
note and a photo, the requester's sign-off, and how a stale step comes back (applied as a
parallel update, or a conflict with the action as it stands), checked on the server."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import uuid

import pytest
from PIL import Image
from playwright.async_api import BrowserContext, Page, expect
from uuid_utils.compat import uuid7

from server.actions import rules
from server.templates.templates import install_library
from tests.factories import Person, make_asset, make_location, make_person, make_school
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.web.test_checklist import a_photo
from tests.web.test_client import ConsoleErrors, log_in, new_phone, snap

GAUGE = "压力表指针所在区域"


async def a_failed_check(api, admin: Person, inspector: Person, keeper: Person, school, **kw):
    """An extinguisher kept by `keeper` whose check failed on the gauge: the action it
    raised (owned by the keeper, asked for by the inspector)."""
    building = await make_location(admin, school, "教学楼A")
    name = kw.pop("name", "手提式干粉灭火器")
    asset = await make_asset(admin, school, name=name, location=building)
    patched = await api.patch(
        f"/api/assets/{asset}", json={"keeper_id": str(keeper.user_id)}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    body = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"), **kw)
    failed = await submit(api, inspector, body)
    assert failed.status_code == 201, failed.text
    found = await api.get(
        "/api/actions", params={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert found.status_code == 200, found.text
    (action,) = [a for a in found.json()["items"] if a["asset_id"] == str(asset)]
    assert action["owner_id"] == str(keeper.user_id)
    assert action["requester_id"] == str(inspector.user_id)
    return action


async def a_school(api):
    school = await make_school()
    await install_library(school.organization_id)
    people = {
        role: await make_person(school, role) for role in ("admin", "inspector", "maintainer")
    }
    return school, people


async def phone_of(browser, url: str, person: Person) -> tuple[BrowserContext, Page, ConsoleErrors]:
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


async def step(page: Page, name: str, note: str = "") -> None:
    await page.get_by_test_id(f"step-{name}").click()
    await expect(page.get_by_test_id("step-form")).to_have_attribute("data-step", name)
    if note:
        await page.get_by_test_id("step-note").fill(note)
    await page.get_by_test_id("step-save").click()
    await expect(page.get_by_test_id("step-form")).to_have_count(0)


async def transition(api, person: Person, action: dict, name: str, base: int, **extra):
    body = {"id": str(uuid7()), "action_id": action["id"], "transition": name}
    body.update(base_version=base, **extra)
    answer = await api.post(
        f"/api/actions/{action['id']}/transitions", json=body, headers=person.headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def waiting_steps(page: Page) -> list[dict]:
    return await page.evaluate(
        """async () => {
          const store = await import("/web/app/store.js");
          return (await store.waitingOps()).map((r) => r.op);
        }"""
    )


async def test_a_maintainer_fixes_an_action_offline_and_the_requester_signs_it_off(
    browser, clean, api
) -> None:
    school, people = await a_school(api)
    admin, inspector, keeper = people["admin"], people["inspector"], people["maintainer"]
    action = await a_failed_check(api, admin, inspector, keeper, school)
    context, page, errors = await phone_of(browser, clean.url, keeper)
    status = page.get_by_test_id("sync-status")

    # "My actions": the gauge to put right, from the pulled records.
    await page.get_by_test_id("menu-actions").click()
    await expect(page.get_by_test_id("actions-title")).to_have_text("我的整改")
    todo = page.get_by_test_id("actions-todo").get_by_test_id("action")
    await expect(todo).to_have_count(1)
    await expect(todo).to_have_attribute("data-id", action["id"])
    await expect(todo).to_contain_text(GAUGE)
    await expect(todo).to_contain_text("手提式干粉灭火器 · 教学楼A")
    await expect(todo.get_by_test_id("action-state")).to_have_text("待处理")
    await snap(page, "actions", clean.backend)
    await todo.get_by_role("button").click()
    await expect(page.get_by_test_id("action-title")).to_have_text(GAUGE)
    await expect(page.get_by_test_id("action-source")).to_have_text("检查发现的问题")
    await expect(page.get_by_test_id("action-priority")).to_have_text("紧急")
    await expect(page.get_by_test_id("action-owner")).to_have_text("测试maintainer")
    await expect(page.get_by_test_id("action-requester")).to_have_text("测试inspector")
    # The owner starts and fixes; signing off is the requester's.
    await expect(page.get_by_test_id("action-steps").get_by_role("button")).to_have_text(
        ["开始处理", "标记已修复"]
    )

    # Offline: start, then fix with a note and a photo.
    await context.set_offline(True)
    await step(page, "start")
    await expect(page.get_by_test_id("action-waiting")).to_have_text(
        "待发送：开始处理（联网后发送）"
    )
    await expect(page.get_by_test_id("action-state")).to_have_text("待处理")
    await expect(page.get_by_test_id("step-start")).to_have_count(0)
    await page.get_by_test_id("step-fix").click()
    await page.get_by_test_id("step-note").fill("更换了压力表，重新充装")
    await page.get_by_test_id("step-photo").set_input_files(
        {"name": "fixed.png", "mimeType": "image/png", "buffer": a_photo((30, 160, 60))}
    )
    await expect(page.get_by_test_id("step-form").get_by_test_id("thumb")).to_have_count(1)
    await snap(page, "action-fix", clean.backend)
    # The step being filled in survives a reload, as a draft.
    await page.reload()
    await expect(page.get_by_test_id("step-form")).to_have_attribute("data-step", "fix")
    await expect(page.get_by_test_id("step-note")).to_have_value("更换了压力表，重新充装")
    await expect(page.get_by_test_id("step-form").get_by_test_id("thumb")).to_have_count(1)
    await page.get_by_test_id("step-save").click()
    await expect(page.get_by_test_id("action-waiting")).to_have_text(
        "待发送：开始处理、已修复（联网后发送）"
    )
    await expect(page.get_by_test_id("action-steps")).to_be_hidden()
    await expect(status).to_contain_text("待上传 2 条")
    await expect(status).to_contain_text("照片待上传 1 张")

    ops = await waiting_steps(page)
    assert [o["type"] for o in ops] == ["action.transitioned"] * 2
    started, fixed = (o["body"] for o in ops)
    assert (started["transition"], started["base_version"]) == ("start", 1)
    assert (fixed["transition"], fixed["base_version"]) == ("fix", 2)
    assert fixed["note"] == "更换了压力表，重新充装" and len(fixed["photos"]) == 1
    assert started["id"][14] == "7" and fixed["action_id"] == action["id"]
    digest = fixed["photos"][0]

    # A reload while offline: still waiting, the photo still on the phone.
    await page.reload()
    await expect(page.get_by_test_id("action-waiting")).to_contain_text("已修复")
    await expect(page.get_by_test_id("action-page").get_by_test_id("thumb")).to_have_count(1)
    await snap(page, "action-waiting", clean.backend)
    await page.get_by_test_id("back").click()
    await expect(todo.get_by_test_id("action-waiting")).to_contain_text("开始处理、已修复")

    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).not_to_contain_text("照片")
    # Fixed now: shown apart, waiting for the requester's sign-off.
    done = page.get_by_test_id("actions-fixed").get_by_test_id("action")
    await expect(done).to_have_attribute("data-state", "fixed")
    await expect(page.get_by_test_id("actions-todo")).to_have_count(0)
    await done.get_by_role("button").click()
    await expect(page.get_by_test_id("action-outcome")).to_have_attribute("data-outcome", "applied")
    await expect(page.get_by_test_id("action-outcome")).to_have_text("已送达：标记已修复")
    await expect(page.get_by_test_id("action-state")).to_have_text("已修复")

    detail = (await api.get(f"/api/actions/{action['id']}", headers=admin.headers)).json()
    assert detail["state"] == "fixed" and detail["version"] == 3
    steps = {e["kind"]: e for e in detail["history"]}
    assert [e["kind"] for e in detail["history"]] == ["created", "start", "fix"]
    assert steps["fix"]["note"] == "更换了压力表，重新充装"
    assert steps["fix"]["photos"] == [digest]
    assert steps["fix"]["by"]["id"] == str(keeper.user_id)
    assert not steps["start"]["parallel"] and not steps["fix"]["parallel"]
    blob = await api.get(f"/api/blobs/{digest}", headers=admin.headers)
    assert blob.status_code == 200, blob.text
    assert Image.open(io.BytesIO(blob.content)).size == (1600, 800)
    assert errors == []
    await context.close()

    # The inspector who asked for it signs it off on their own phone.
    context, page, errors = await phone_of(browser, clean.url, inspector)
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{clean.url}/app/actions")
    sign_off = page.get_by_test_id("actions-sign_off").get_by_test_id("action")
    await expect(sign_off).to_have_count(1)
    await expect(sign_off.get_by_test_id("action-state")).to_have_text("已修复")
    await snap(page, "actions-sign-off", clean.backend)
    await sign_off.get_by_role("button").click()
    await expect(page.get_by_test_id("action-steps").get_by_role("button")).to_have_text(
        ["验收通过", "退回重做"]
    )
    # Reopening needs a reason; cancelling the form queues nothing.
    await page.get_by_test_id("step-reopen").click()
    await page.get_by_test_id("step-save").click()
    await expect(page.get_by_test_id("step-problem")).to_have_text("请写明原因")
    await page.get_by_test_id("step-cancel").click()
    assert await waiting_steps(page) == []
    await step(page, "verify", "压力正常")
    await expect(page.get_by_test_id("action-outcome")).to_have_text(
        "已送达：验收通过", timeout=15_000
    )
    await expect(page.get_by_test_id("action-state")).to_have_text("已验收")
    # A verified action can still be reopened by the one who asked for it.
    await expect(page.get_by_test_id("action-steps").get_by_role("button")).to_have_text(
        ["退回重做"]
    )
    await snap(page, "action-verified", clean.backend)
    detail = (await api.get(f"/api/actions/{action['id']}", headers=admin.headers)).json()
    assert detail["state"] == "verified" and detail["closed_at"]
    assert detail["history"][-1]["kind"] == "verify"
    assert detail["history"][-1]["by"]["id"] == str(inspector.user_id)
    assert detail["history"][-1]["note"] == "压力正常"
    assert errors == []
    await context.close()


async def test_stale_steps_come_back_as_a_parallel_update_or_a_conflict(
    browser, clean, api
) -> None:
    school, people = await a_school(api)
    admin, inspector, keeper = people["admin"], people["inspector"], people["maintainer"]
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    late = await a_failed_check(
        api, admin, inspector, keeper, school, name="二号灭火器", completed_at=week_ago
    )
    fresh = await a_failed_check(api, admin, inspector, keeper, school, name="一号灭火器")
    # A hazard in a kitchen: no keeper there, so the site's maintainer owns it.
    kitchen = await make_location(admin, school, "食堂后厨", kind="kitchen")
    reported = await api.post(
        "/api/reports",
        json={
            "id": str(uuid7()),
            "kind": "hazard",
            "location_id": str(kitchen),
            "description": "地面湿滑\n燃气灶旁有油污",
            "reported_at": dt.datetime.now(dt.UTC).isoformat(),
        },
        headers=inspector.headers,
    )
    assert reported.status_code == 201, reported.text
    hazard = reported.json()
    context, page, errors = await phone_of(browser, clean.url, keeper)
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{clean.url}/app/actions")
    todo = page.get_by_test_id("actions-todo").get_by_test_id("action")
    # Sorted by due time; the one due a week ago is marked overdue.
    await expect(todo).to_have_count(3)
    await expect(todo.first).to_have_attribute("data-id", late["id"])
    await expect(todo.first.get_by_test_id("overdue")).to_have_text("已逾期")
    await expect(page.get_by_test_id("overdue")).to_have_count(1)
    await expect(todo.first).to_contain_text("二号灭火器 · 教学楼A")
    from_report = todo.and_(page.locator(f'[data-id="{hazard["id"]}"]'))
    await expect(from_report).to_contain_text("地面湿滑")
    await expect(from_report).to_contain_text("食堂后厨")
    await from_report.get_by_role("button").click()
    await expect(page.get_by_test_id("action-source")).to_have_text("隐患报告")
    await expect(page.get_by_test_id("action-description")).to_have_text("地面湿滑\n燃气灶旁有油污")
    await expect(page.get_by_test_id("action-place")).to_have_text("食堂后厨")
    await page.get_by_test_id("back").click()

    # Offline, the maintainer fixes one and starts the other, both seen at version 1.
    await context.set_offline(True)
    await todo.first.get_by_role("button").click()
    await expect(page.get_by_test_id("action-due").get_by_test_id("overdue")).to_be_visible()
    await step(page, "fix", "换了新的")
    await page.goto(f"{clean.url}/app/actions/{fresh['id']}")
    await step(page, "start")
    assert [o["body"]["base_version"] for o in await waiting_steps(page)] == [1, 1]

    # Meanwhile the office starts the first (still legal to fix: a parallel update) and
    # cancels the second (starting it is no longer legal: a conflict).
    await transition(api, admin, late, "start", 1)
    await transition(api, admin, fresh, "cancel", 1, reason="重复报修")
    await context.set_offline(False)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).to_contain_text("1 条记录被拒收")
    outcome = page.get_by_test_id("action-outcome")
    await expect(outcome).to_have_attribute("data-outcome", "conflict")
    await expect(outcome).to_have_text(
        "“开始处理”未能完成：此整改现在是“已取消”（第 2 版），你操作时看到的是第 1 版。"
    )
    await expect(page.get_by_test_id("action-state")).to_have_text("已取消")
    await expect(page.get_by_test_id("action-steps")).to_be_hidden()
    await snap(page, "action-conflict", clean.backend)

    await page.goto(f"{clean.url}/app/actions/{late['id']}")
    await expect(outcome).to_have_attribute("data-outcome", "parallel")
    await expect(outcome).to_contain_text("并行更新")
    await expect(page.get_by_test_id("action-state")).to_have_text("已修复")
    await page.get_by_test_id("lang").click()
    await expect(outcome).to_have_text(
        "Sent: Mark fixed. The action had changed since you saw version 1; "
        "your step was applied as a parallel update."
    )
    await snap(page, "action-parallel-en", clean.backend)

    detail = (await api.get(f"/api/actions/{late['id']}", headers=admin.headers)).json()
    assert detail["state"] == "fixed"
    # In the order they happened: the phone's fix was made before the office's start.
    assert [(e["kind"], e["parallel"]) for e in detail["history"]] == [
        ("created", False),
        ("fix", True),
        ("start", False),
    ]
    detail = (await api.get(f"/api/actions/{fresh['id']}", headers=admin.headers)).json()
    assert detail["state"] == "cancelled"
    assert [e["kind"] for e in detail["history"]] == ["created", "cancel"]
    # The refused step is also listed at home with its code.
    await page.goto(f"{clean.url}/app/")
    await expect(page.get_by_test_id("refused")).to_contain_text("Action step")
    await expect(page.get_by_test_id("refused")).to_contain_text("action.conflict")
    assert errors == []
    await context.close()


async def test_two_phones_act_from_the_same_version_and_the_later_is_a_parallel_update(
    browser, clean, api
) -> None:
    school, people = await a_school(api)
    admin, inspector, keeper = people["admin"], people["inspector"], people["maintainer"]
    other = await make_person(school, "maintainer")
    action = await a_failed_check(api, admin, inspector, keeper, school)
    phones = [await phone_of(browser, clean.url, p) for p in (keeper, other)]
    for context, page, _ in phones:
        # The app pulls on start; going offline only after its answer keeps the console clean.
        async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
            await page.goto(f"{clean.url}/app/actions/{action['id']}")
        await expect(page.get_by_test_id("action-state")).to_have_text("待处理")
        await context.set_offline(True)
    # The owner starts it; another maintainer (who may fix any repair) fixes it.
    await step(phones[0][1], "start", "去拿新的压力表")
    await step(phones[1][1], "fix", "重新充了气")
    for _, page, _ in phones:
        await expect(page.get_by_test_id("action-waiting")).to_be_visible()

    for (context, page, _), state in zip(phones, ("处理中", "已修复"), strict=True):
        await context.set_offline(False)
        await expect(page.get_by_test_id("sync-status")).to_contain_text(
            "待上传 0 条", timeout=15_000
        )
        await expect(page.get_by_test_id("action-state")).to_have_text(state)
    first, second = (page.get_by_test_id("action-outcome") for _, page, _ in phones)
    await expect(first).to_have_attribute("data-outcome", "applied")
    await expect(second).to_have_attribute("data-outcome", "parallel")
    await expect(second).to_contain_text("并行更新")
    # The owner's list shows it fixed; the other maintainer owns nothing.
    keeper_page, other_page = phones[0][1], phones[1][1]
    await keeper_page.goto(f"{clean.url}/app/actions")
    fixed = keeper_page.get_by_test_id("actions-fixed").get_by_test_id("action")
    await expect(fixed).to_have_count(1)
    await other_page.goto(f"{clean.url}/app/actions")
    await expect(other_page.get_by_test_id("actions-none")).to_be_visible()

    detail = (await api.get(f"/api/actions/{action['id']}", headers=admin.headers)).json()
    assert detail["state"] == "fixed" and detail["version"] == 3
    steps = [(e["kind"], e["by"]["id"], e["note"], e["parallel"]) for e in detail["history"]]
    assert sorted(steps[1:], key=lambda s: s[0], reverse=True) == [
        ("start", str(keeper.user_id), "去拿新的压力表", False),
        ("fix", str(other.user_id), "重新充了气", True),
    ]
    for context, _, errors in phones:
        assert errors == []
        await context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_the_phones_action_rules_are_the_servers(browser, clean) -> None:
    states = ["open", "in_progress", "fixed", "verified", "cancelled"]
    transitions = list(rules.MOVES)
    roles = ["owner", "requester", "manager", "maintainer"]
    kinds = [set(c) for n in range(len(roles) + 1) for c in itertools.combinations(roles, n)]
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/web/i18n/zh-CN.json")
    answers = await page.evaluate(
        """async ([states, transitions, kinds]) => {
          const rules = await import("/web/app/actionrules.js");
          return {
            next: states.map((s) => transitions.map((t) => rules.nextState(s, t))),
            may: transitions.map((t) => kinds.map((k) => rules.may(t, new Set(k)))),
            reason: transitions.map((t) => rules.NEEDS_REASON.has(t)),
            closed: states.map((s) => rules.CLOSED.has(s)),
          };
        }""",
        [states, transitions, [sorted(k) for k in kinds]],
    )
    await context.close()
    assert answers["next"] == [[rules.next_state(s, t) for t in transitions] for s in states]
    assert answers["may"] == [[rules.may(t, k) for k in kinds] for t in transitions]
    assert answers["reason"] == [t in rules.NEEDS_REASON for t in transitions]
    assert answers["closed"] == [s in rules.CLOSED for s in states]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_my_actions_groups_and_sorts_and_a_waiting_step_moves_the_expected_state(
    browser, clean
) -> None:
    me, other = str(uuid.uuid4()), str(uuid.uuid4())

    def an_action(name: str, state: str, due: str, owner: str = me, requester: str = other):
        return {
            "id": name,
            "state": state,
            "due_at": f"2026-05-{due}T10:00:00Z",
            "owner_id": owner,
            "requester_id": requester,
            "version": 4,
        }

    actions = [
        an_action("late", "in_progress", "02"),
        an_action("early", "open", "01"),
        an_action("done", "fixed", "03"),
        an_action("closed", "verified", "01"),
        an_action("theirs", "open", "01", owner=other),
        an_action("to-sign", "fixed", "05", owner=other, requester=me),
        an_action("self", "fixed", "04", requester=me),
    ]
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/web/i18n/zh-CN.json")
    answers = await page.evaluate(
        """async ([actions, me]) => {
          const rules = await import("/web/app/actionrules.js");
          const groups = rules.myActions(actions, me);
          const ids = (list) => list.map((a) => a.id);
          const open = actions[1];
          return {
            todo: ids(groups.todo), fixed: ids(groups.fixed), signOff: ids(groups.signOff),
            expected: rules.expected(open, [{ transition: "start" }, { transition: "fix" }]),
            refusedStep: rules.expected(open, [{ transition: "verify" }]),
            steps: rules.stepsFor("in_progress", new Set(["owner"])),
            overdue: [rules.isOverdue(open, Date.parse("2026-05-02T00:00:00Z")),
                      rules.isOverdue(actions[2], Date.parse("2026-06-01T00:00:00Z")),
                      rules.isOverdue(open, Date.parse("2026-04-30T00:00:00Z"))],
          };
        }""",
        [actions, me],
    )
    await context.close()
    assert answers["todo"] == ["early", "late"]
    assert answers["fixed"] == ["done"]
    assert answers["signOff"] == ["self", "to-sign"]
    assert answers["expected"] == {"state": "fixed", "version": 6}
    assert answers["refusedStep"] == {"state": "open", "version": 5}
    assert answers["steps"] == ["fix"]
    assert answers["overdue"] == [True, False, False]
