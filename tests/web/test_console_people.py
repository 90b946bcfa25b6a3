"""The console's people page in a real browser at a desktop's size: an admin lifts a login
lock, revokes a lost phone, changes a role and adds people, with the server's refusals shown
next to their fields; a manager and an auditor read and change nothing; both languages; no
serious accessibility violation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.accounts.test_people import fail_logins
from tests.factories import make_person, make_school
from tests.web.axe import axe_violations
from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop, assert_fits, console_login


def row(page: Page, username: str):
    return page.locator(f'[data-testid="person"][data-username="{username}"]')


async def test_an_admin_manages_the_schools_people_and_phones(browser, clean, api) -> None:
    school = await make_school("阳光实验小学")
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    guard = await make_person(school, "guard")
    taken = await make_person(await make_school(), "guard")
    await fail_logins(api, inspector.username)

    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, admin.username)
    await page.get_by_test_id("nav-people").click()
    await expect(page.locator("h1")).to_have_text("人员与设备")
    await expect(page.get_by_test_id("nav-people")).to_have_attribute("aria-current", "page")
    await expect(page.get_by_test_id("site-shown")).to_have_text("阳光实验小学")
    await expect(page.get_by_test_id("person")).to_have_count(4)
    await expect(row(page, inspector.username).get_by_test_id("locked-out")).to_have_text(
        "登录已锁定"
    )
    await expect(row(page, inspector.username).get_by_test_id("phone")).to_contain_text("从未连接")
    # An admin's own role is changed by another admin: no form on their own row.
    await expect(row(page, admin.username).get_by_test_id("member-edit")).to_have_count(0)
    await assert_fits(page)
    assert await axe_violations(page) == []
    await snap(page, "console-people-desktop-zh", clean.backend)

    # The lock is lifted: the person logs in at once.
    await row(page, inspector.username).get_by_test_id("unlock").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已解除")
    await expect(row(page, inspector.username).get_by_test_id("locked-out")).to_have_count(0)
    login = {"username": inspector.username, "password": "correct horse battery"}
    assert (await api.post("/api/auth/login", json=login)).status_code == 200
    api.cookies.clear()

    # A lost phone is revoked: it can no longer reach the server.
    page.once("dialog", lambda dialog: dialog.accept())
    await row(page, inspector.username).get_by_test_id("revoke-phone").click()
    await expect(row(page, inspector.username).get_by_test_id("phone-revoked")).to_be_visible()
    assert (await api.get("/api/me", headers=inspector.headers)).status_code == 401

    # A role changes; the server has it.
    await row(page, guard.username).locator("select").select_option("maintainer")
    await row(page, guard.username).get_by_test_id("save-member").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已保存")
    me = (await api.get("/api/me", headers=guard.headers)).json()
    assert [s["role"] for s in me["sites"]] == ["maintainer"]

    # Adding an auditor without an end: said next to that field, what was typed is kept.
    form = page.get_by_test_id("add-member")
    await form.locator("#new-username").fill("auditor-wang")
    await form.locator("#new-display_name").fill("王审计")
    await form.locator("#new-password").fill("long enough")
    await form.locator("#new-role").select_option("auditor")
    await form.get_by_test_id("add-member-submit").click()
    problem = form.locator('[data-problem="expires_at"]')
    await expect(problem).to_have_text("审计员的权限必须有结束日期。")
    await expect(form.locator("#new-display_name")).to_have_value("王审计")
    # A username someone else has: said next to the username.
    await form.locator("#new-username").fill(taken.username)
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    await form.locator("#new-expires_at").fill(until)
    await form.get_by_test_id("add-member-submit").click()
    await expect(form.locator('[data-problem="username"]')).to_have_text(
        "此用户名不可用，请换一个。"
    )
    await expect(problem).to_have_text("")
    await form.locator("#new-username").fill("auditor-wang")
    await form.get_by_test_id("add-member-submit").click()
    await expect(page.get_by_test_id("page-message")).to_contain_text("已添加 王审计")
    await expect(row(page, "auditor-wang")).to_contain_text("审计员")
    listed = await api.get(f"/api/sites/{school.site_id}/people", headers=admin.headers)
    added = [p for p in listed.json() if p["username"] == "auditor-wang"]
    assert len(added) == 1 and added[0]["role"] == "auditor" and added[0]["expires_at"]
    assert await axe_violations(page) == []

    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("People and devices")
    await expect(row(page, inspector.username).get_by_test_id("phone-revoked")).to_contain_text(
        "Revoked"
    )
    await assert_fits(page)
    await snap(page, "console-people-desktop-en", clean.backend)
    assert [e for e in errors if "400" not in e and "409" not in e] == [], errors
    await context.close()

    # A manager reads it all and changes nothing; an auditor is not offered the page.
    context = await a_desktop(browser)
    page = await context.new_page()
    await console_login(page, clean.url, manager.username)
    await page.get_by_test_id("nav-people").click()
    await expect(page.get_by_test_id("person")).to_have_count(5)
    await expect(page.get_by_test_id("people")).to_contain_text("维修工")
    for control in ("member-edit", "add-member", "revoke-phone", "unlock"):
        await expect(page.get_by_test_id(control)).to_have_count(0)
    await snap(page, "console-people-manager", clean.backend)
    await context.close()

    auditor = await make_person(
        school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=30)
    )
    context = await a_desktop(browser)
    page = await context.new_page()
    await console_login(page, clean.url, auditor.username)
    await expect(page.get_by_test_id("site")).to_have_count(1)
    await expect(page.get_by_test_id("nav-people")).to_have_count(0)
    await page.goto(f"{clean.url}/console/people")
    await expect(page.get_by_test_id("not-for-role")).to_contain_text("审计员")
    await expect(page.get_by_test_id("person")).to_have_count(0)
    await context.close()
