"""The class teacher's early-leave passes on a phone, in a real Chromium: a pass made on the
phone (a wrong phone refused on the device, in words), the parent's agreement taken by
phone, a second pass confirmed by the parent through the one-time link the teacher copied,
a third cancelled; the server holds each as the phone said. An auditor is offered none."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.factories import make_person
from tests.web.test_client import ConsoleErrors, log_in, snap
from tests.web.test_gate_phone import PHONE, a_school_with_a_gate, no_wider_than, view_violations


async def checked(page: Page, name: str, backend: str, english: str) -> None:
    """Nothing cut off sideways, no serious accessibility fault, a screenshot in each
    language, each taken once the screen is drawn again in it (its heading, `english`)."""
    heading = page.locator("#view h1").first
    chinese = await heading.text_content()
    for shown, switched_to in (("", english), ("-en", chinese)):
        await no_wider_than(page, PHONE)
        assert await view_violations(page) == [], name
        await snap(page, f"{name}{shown}", backend)
        await page.get_by_test_id("lang").click()
        await expect(heading).to_have_text(switched_to)


async def logged_in(browser, clean, username: str, **options) -> tuple[object, Page, ConsoleErrors]:
    context = await browser.new_context(
        viewport=PHONE, locale="zh-CN", service_workers="allow", **options
    )
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    return context, page, errors


async def make_pass(page: Page, pupil: str, *, collector: str | None = None) -> str:
    """A pass made from the teacher's list: its id, from the page it lands on."""
    await page.get_by_test_id("leave-new").click()
    await page.get_by_test_id("leave-pupil").fill(pupil)
    await page.get_by_test_id("leave-class").fill("三年级二班")
    await page.get_by_test_id("leave-reason").fill("发烧，家长接回就医")
    if collector is None:
        await page.get_by_test_id("leave-alone").check()
    else:
        await page.get_by_test_id("leave-collector").fill(collector)
        await page.get_by_test_id("leave-collector-phone").fill("139 1234 5678")
    await page.get_by_test_id("leave-submit").click()
    made = page.get_by_test_id("leave-pass-page")
    await expect(made).to_have_attribute("data-state", "awaiting_parent")
    return page.url.rsplit("/", 1)[1]


async def test_a_teacher_makes_confirms_and_cancels_passes_on_their_phone(
    browser, clean, api
) -> None:
    world = await a_school_with_a_gate(api)
    gate = world["gatekeeper"].headers
    context, page, errors = await logged_in(
        browser, clean, world["host"].username, permissions=["clipboard-read", "clipboard-write"]
    )
    await page.get_by_test_id("menu-leave").click()
    await expect(page.get_by_test_id("leave-list")).to_have_attribute("data-count", "0")
    await checked(
        page, "leave-list-empty-phone", clean.backend, "My early-leave passes (today and tomorrow)"
    )

    # The first: the collector's phone mistyped is refused on the phone, in words.
    await page.get_by_test_id("leave-new").click()
    form = page.get_by_test_id("leave-form")
    await expect(page.get_by_test_id("leave-from")).not_to_have_value("")
    await page.get_by_test_id("leave-pupil").fill("王小明")
    await page.get_by_test_id("leave-class").fill("三年级二班")
    await page.get_by_test_id("leave-reason").fill("发烧，家长接回就医")
    await page.get_by_test_id("leave-collector").fill("王芳")
    await page.get_by_test_id("leave-collector-phone").fill("1391234")
    await page.get_by_test_id("leave-submit").click()
    await expect(page.get_by_test_id("leave-message")).to_contain_text("手机号格式不正确")
    await expect(form).to_be_visible()
    await checked(page, "leave-new-phone", clean.backend, "New early-leave pass")
    # A window that ends before it starts, likewise.
    await page.get_by_test_id("leave-collector-phone").fill("13912345678")
    await page.get_by_test_id("leave-until").fill("2020-01-01T08:00")
    await page.get_by_test_id("leave-submit").click()
    await expect(page.get_by_test_id("leave-message")).to_contain_text("结束时间必须晚于开始时间")
    await page.get_by_test_id("back").click()
    first = await make_pass(page, "王小明", collector="王芳")
    await expect(page.get_by_test_id("leave-blocker").first).to_have_text("家长尚未确认")
    await expect(page.get_by_test_id("leave-gate-url")).to_have_text(
        f"{clean.url}/app/passes/{first}"
    )
    await checked(page, "leave-pass-phone", clean.backend, "Early-leave pass: 王小明")
    await page.get_by_test_id("leave-parent-name").fill("王芳")
    await page.get_by_test_id("leave-parent-phone").fill("138")
    await page.get_by_test_id("leave-confirm").click()
    await expect(page.get_by_test_id("leave-pass-message")).to_contain_text("手机号格式不正确")
    await page.get_by_test_id("leave-parent-phone").fill("+86 139 8765 4321")
    await page.get_by_test_id("leave-confirm").click()
    await expect(page.get_by_test_id("leave-pass-page")).to_have_attribute(
        "data-state", "confirmed"
    )
    await expect(page.get_by_test_id("leave-confirmed")).to_contain_text("139****4321")
    await checked(page, "leave-confirmed-phone", clean.backend, "Early-leave pass: 王小明")
    held = (await api.get(f"/api/passes/{first}", headers=gate)).json()
    assert held["state"] == "confirmed", held
    assert held["pupil"] == "王小明" and held["collector"] == "王芳"
    assert held["confirmed_by_parent"]["channel"] == "teacher"
    assert held["created_by"]["id"] == str(world["host"].user_id)

    # The second: the parent confirms through the link the teacher copied.
    await page.get_by_test_id("back").click()
    second = await make_pass(page, "李小红")
    await page.get_by_test_id("leave-make-link").click()
    shown = await page.get_by_test_id("leave-link-url").input_value()
    assert "/parent/" in shown
    await expect(page.get_by_test_id("leave-link-expires")).to_be_visible()
    await page.get_by_test_id("leave-link-copy").click()
    await expect(page.get_by_test_id("leave-copied")).to_have_text("已复制，可粘贴到微信发给家长")
    assert await page.evaluate("navigator.clipboard.readText()") == shown
    await checked(page, "leave-link-phone", clean.backend, "Early-leave pass: 李小红")
    # Shown once by the server, the link outlives the screen drawn again in each language.
    await expect(page.get_by_test_id("leave-link-url")).to_have_value(shown)
    parent_context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    parent = await parent_context.new_page()
    await parent.goto(f"{clean.url}/parent/{shown.rsplit('/parent/', 1)[1]}")
    await parent.locator("#parent_name").fill("李强")
    await parent.locator("#parent_phone").fill("13612345678")
    await parent.get_by_role("button").click()
    await expect(parent.get_by_text("已确认，谢谢")).to_be_visible()
    await parent_context.close()
    await page.get_by_test_id("back").click()
    await expect(page.get_by_test_id("leave-list")).to_have_attribute("data-count", "2")
    listed = page.locator(f'[data-testid="leave-pass"][data-id="{second}"]')
    await expect(listed).to_have_attribute("data-state", "confirmed")
    await expect(listed.get_by_test_id("leave-state")).to_have_text("家长已确认")
    held = (await api.get(f"/api/passes/{second}", headers=gate)).json()
    assert held["state"] == "confirmed" and held["confirmed_by_parent"]["channel"] == "link"

    # The third: cancelled with a reason.
    third = await make_pass(page, "赵小刚", collector="赵伟")
    await page.get_by_test_id("leave-cancel-reason").fill("家长改为放学后接")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_test_id("leave-cancel").click()
    await expect(page.get_by_test_id("leave-pass-page")).to_have_attribute(
        "data-state", "cancelled"
    )
    await expect(page.get_by_test_id("leave-blocker")).to_have_text("这张离校条已取消")
    await checked(page, "leave-cancelled-phone", clean.backend, "Early-leave pass: 赵小刚")
    held = (await api.get(f"/api/passes/{third}", headers=gate)).json()
    assert held["state"] == "cancelled"
    await page.get_by_test_id("back").click()
    await expect(page.get_by_test_id("leave-list")).to_have_attribute("data-count", "3")
    await checked(
        page, "leave-list-phone", clean.backend, "My early-leave passes (today and tomorrow)"
    )
    assert errors == []
    await context.close()


async def test_the_teacher_is_told_the_screen_needs_the_network(browser, clean, api) -> None:
    world = await a_school_with_a_gate(api)
    context, page, errors = await logged_in(browser, clean, world["host"].username)
    await context.set_offline(True)
    await page.get_by_test_id("menu-leave").click()
    await expect(page.get_by_test_id("leave-offline")).to_have_text("离校条需要联网才能开具和确认")
    await context.set_offline(False)
    assert errors == []
    await context.close()


async def test_neither_an_auditor_nor_a_gatekeeper_is_offered_passes_on_home(
    browser, clean, api
) -> None:
    world = await a_school_with_a_gate(api)
    auditor = await make_person(world["school"], "auditor")
    for person in (auditor, world["gatekeeper"]):
        context, page, errors = await logged_in(browser, clean, person.username)
        await expect(page.locator("#view > *").first).to_be_visible()
        await expect(page.get_by_test_id("menu-leave")).to_have_count(0)
        assert errors == []
        await context.close()
