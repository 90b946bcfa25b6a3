"""A tag opened in a browser that has never run the app: WeChat's, whose browser never runs a
service worker, or any camera app's on the first scan. The server answers the tag URL with
the app itself, so a person who never opened the app logs in there, in Chinese, at a
phone's width, and fills in the checklist there and then."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Page, expect

from tests.factories import PASSWORD, make_asset, make_person, make_school, make_tag
from tests.registry.test_tags import mistype
from tests.web.conftest import PHONE
from tests.web.test_checklist import open_checklist
from tests.web.test_client import (
    EXTINGUISHER,
    ConsoleErrors,
    a_school_with_an_extinguisher,
    log_in,
    snap,
)

WECHAT = (
    "Mozilla/5.0 (Linux; Android 13; V2183A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
    "MMWEBSDK/20231202 MMWEBID/2235 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 "
    "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
# Words of the stored data that a person must never be shown as they are.
RAW_KEYS = ("fire_extinguisher", "active", "service_life_end", "gauge_zone")


async def wechat(browser):
    return await browser.new_context(
        viewport=PHONE, locale="zh-CN", user_agent=WECHAT, service_workers="block"
    )


async def fits_the_screen(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"


async def test_a_tag_opened_in_wechat_logs_in_and_fills_the_checklist_in_chinese(
    browser, clean, api
) -> None:
    inspector, code, _, asset = await a_school_with_an_extinguisher(api)
    context = await wechat(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/t/{code}")

    # The app's login, saying what the scanned tag is for; a finger-sized button.
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    await expect(page.get_by_test_id("login-for-tag")).to_contain_text(f"{code[:4]}-{code[4:]}")
    await expect(page.locator("h1")).to_have_text("登录")
    box = await page.get_by_test_id("login-submit").bounding_box()
    assert box is not None and box["height"] >= 48, box
    await fits_the_screen(page)
    await snap(page, "wechat-login", clean.backend)

    # A wrong password is said in Chinese.
    await page.locator("#username").fill(inspector.username)
    await page.locator("#password").fill("not the password")
    await page.get_by_test_id("login-submit").click()
    message = page.get_by_test_id("login-message")
    await expect(message).to_contain_text("用户名或密码不正确")
    assert not re.search(r"[A-Za-z]{4,}", (await message.text_content() or "").split("（")[0])

    await page.locator("#password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    # The thing, with every value a person reads in Chinese, at the phone's width.
    await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER, timeout=15_000)
    await expect(page.get_by_test_id("target-category")).to_have_text("灭火器")
    await expect(page.get_by_test_id("target-status")).to_have_text("在用")
    text = await page.locator("#view").inner_text()
    assert not [k for k in RAW_KEYS if k in text], text
    await fits_the_screen(page)
    await snap(page, "wechat-tag", clean.backend)

    # The checklist is filled in and sent from the same page, no app installed.
    await open_checklist(page, "fire_extinguisher_monthly")
    await expect(page.get_by_test_id("form-title")).to_have_text("灭火器月度检查")
    await page.get_by_test_id("answer-gauge_zone-green").click()
    await page.get_by_test_id("all-ok").click()
    await page.get_by_test_id("input-service_life_end").fill("2031-06-30")
    await fits_the_screen(page)
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()

    # The record reaches the server from there: the one the school's setup made (gauge in
    # the red) and the one sent from WeChat.
    results: list[str] = []
    for _ in range(150):
        found = await api.get(
            "/api/inspections", params={"asset_id": str(asset)}, headers=inspector.headers
        )
        assert found.status_code == 200, found.text
        results = sorted(i["result"] for i in found.json()["items"])
        if len(results) == 2:
            break
        await asyncio.sleep(0.1)
    assert results == ["fail", "pass"], results
    await expect(page.get_by_test_id("sync-status")).to_contain_text("待上传 0 条")
    assert await page.evaluate("navigator.serviceWorker?.controller ?? null") is None
    # Nothing failed but the wrong password and the worker the browser refuses to run.
    expected = ("statusof401", "serviceworker")
    assert [e for e in errors if not any(x in e.lower().replace(" ", "") for x in expected)] == []
    await context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_mistyped_tag_url_says_so_in_the_persons_language(browser, clean, api) -> None:
    school = await make_school()
    admin = await make_person(school, "admin")
    code = mistype(await make_tag(admin, asset=await make_asset(admin, school)))
    context = await wechat(browser)
    page = await context.new_page()
    response = await page.goto(f"{clean.url}/t/{code}")
    assert response is not None and response.status == 200
    await expect(page.get_by_test_id("login-for-tag")).to_contain_text(code)
    await log_in(page, admin.username)
    await expect(page.get_by_test_id("code-error")).to_have_text(
        "校验位不符：有字符输错了，请核对标签"
    )
    await fits_the_screen(page)
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_test_id("code-error")).to_contain_text("check")
    await snap(page, "wechat-mistyped-en", clean.backend)
    await context.close()
