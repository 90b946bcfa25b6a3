"""The console's notifications page in a real browser, with a real receiver: an admin adds a
WeCom robot (refusals next to their fields), sends a test message and sees what the robot
answered, sees a failed delivery with its attempt and sends it again, switches the channel
off and deletes it; managers are not offered the page; both languages; no serious
accessibility violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import expect

from tests.factories import make_person, make_school
from tests.notifications.receiver import Receiver, Reply, Script
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login


@pytest.fixture
def robot() -> Iterator[Receiver]:
    started = Receiver(script=Script(robot="wecom")).start()
    yield started
    started.stop()


async def test_an_admin_adds_tests_and_removes_a_wecom_robot(browser, clean, api, robot) -> None:
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-notifications").click()
    await expect(page.locator("h1")).to_have_text("通知")
    await expect(page.get_by_test_id("no-hooks")).to_be_visible()

    # Refusals next to their fields; what was typed stays.
    form = page.get_by_test_id("hook-new")
    await form.locator("#new-url").fill("ftp://files.example.cn/hook")
    await form.get_by_test_id("add-hook").click()
    await expect(form.locator('[data-problem="url"]')).not_to_be_empty()
    await expect(form.locator("#new-url")).to_have_value("ftp://files.example.cn/hook")
    await form.locator("#new-url").fill(robot.url())
    for box in await form.locator("fieldset input[type=checkbox]").all():
        await box.uncheck()
    await form.get_by_test_id("add-hook").click()
    await expect(form.locator('[data-problem="events"]')).not_to_be_empty()
    await expect(form.locator('[data-problem="url"]')).to_be_empty()
    await form.get_by_label("每日早报").check()
    await form.get_by_label("高优先级隐患").check()
    await form.get_by_test_id("add-hook").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已添加")
    hook = page.get_by_test_id("hook")
    await expect(hook).to_have_count(1)
    await expect(hook).to_contain_text("企业微信群机器人")
    await expect(hook).to_contain_text("高优先级隐患、每日早报")
    stored = (await api.get(f"/api/sites/{school.site_id}/webhooks", headers=admin.headers)).json()
    assert [(h["format"], h["events"]) for h in stored] == [
        ("wecom", ["finding.high", "digest.daily"])
    ]

    # A test message reaches the robot; the page says what it answered.
    await hook.get_by_test_id("test-hook").click()
    await expect(hook.get_by_test_id("test-result")).to_contain_text("已送达（HTTP 200")
    assert len(robot.requests) == 1
    assert "测试消息" in robot.requests[0].json()["markdown"]["content"]
    assert await axe_violations(page) == []
    await snap(page, "console-notifications-desktop-zh", clean.backend)

    # The robot is down: the test says why; the delivery is kept with its attempt and is
    # sent again on request.
    robot.script = Script(reply=Reply(500, b'{"errcode": 500, "errmsg": "down"}'))
    await hook.get_by_test_id("test-hook").click()
    await expect(hook.get_by_test_id("test-result")).to_contain_text("失败")
    await hook.get_by_test_id("show-deliveries").click()
    deliveries = hook.get_by_test_id("delivery")
    await expect(deliveries).to_have_count(2)
    failed = page.locator('[data-testid="delivery"][data-status="failed"]')
    await expect(failed.get_by_test_id("attempt")).to_contain_text("HTTP 500")
    await expect(
        page.locator('[data-testid="delivery"][data-status="delivered"]').get_by_test_id("retry")
    ).to_have_count(0)
    await snap(page, "console-notifications-deliveries", clean.backend)
    await failed.get_by_test_id("retry").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已排队")
    listed = await api.get(
        f"/api/sites/{school.site_id}/webhooks/{stored[0]['id']}/deliveries",
        headers=admin.headers,
    )
    assert sorted(d["status"] for d in listed.json()["items"]) == ["delivered", "pending"]

    # Switched off, then deleted.
    hook = page.get_by_test_id("hook")
    await hook.get_by_test_id("edit-hook").click()
    await hook.get_by_test_id("hook-edit").get_by_label("启用").uncheck()
    await hook.get_by_test_id("save-hook").click()
    await expect(page.get_by_test_id("hook-active")).to_have_text("已停用")
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("Notifications")
    await expect(page.get_by_test_id("hook")).to_contain_text("WeCom group robot")
    await assert_fits(page)
    assert await axe_violations(page) == []
    await snap(page, "console-notifications-desktop-en", clean.backend)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_test_id("delete-hook").click()
    await expect(page.get_by_test_id("no-hooks")).to_be_visible()
    assert (
        await api.get(f"/api/sites/{school.site_id}/webhooks", headers=admin.headers)
    ).json() == []
    assert [e for e in errors if "400" not in e] == [], errors
    await context.close()

    # A manager is not offered the page (a robot's address holds its key).
    context = await a_desktop(browser)
    page = await context.new_page()
    await console_login(page, clean.url, manager.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await expect(page.get_by_test_id("nav-notifications")).to_have_count(0)
    await context.close()
