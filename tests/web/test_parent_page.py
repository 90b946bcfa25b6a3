"""A parent's confirmation page in WeChat's browser on a small phone (real Chromium with
WeChat's user agent and no service worker): it fits the screen, its style loads under the
shell's policy with nothing refused, the form confirms the pass, and the link opened again
says it was used."""

from __future__ import annotations

from playwright.async_api import expect

from tests.gate.gating import gate_school
from tests.gate.passing import PARENT_PHONE, pass_body
from tests.web.conftest import PHONE
from tests.web.test_tag_page import WECHAT


async def test_a_parent_confirms_in_wechats_browser(browser, clean, api) -> None:
    g = await gate_school(api)
    body = pass_body()
    made = await api.post(f"/api/sites/{g.site}/passes", json=body, headers=g.host.headers)
    assert made.status_code == 201, made.text
    link = await api.post(f"/api/passes/{body['pass_id']}/parent-links", headers=g.host.headers)
    assert link.status_code == 201, link.text
    path = "/parent/" + link.json()["url"].rsplit("/parent/", 1)[1]

    context = await browser.new_context(
        viewport=PHONE, locale="zh-CN", user_agent=WECHAT, service_workers="block"
    )
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{clean.url}{path}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("学生离校确认")
    await expect(page.locator("dd").first).to_have_text("王同学")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = page.get_by_role("button")
    box = await button.bounding_box()
    assert box is not None and box["width"] > PHONE["width"] * 0.8 and box["height"] >= 44
    font = await page.locator("#parent_phone").evaluate("e => getComputedStyle(e).fontSize")
    assert float(font.removesuffix("px")) >= 16  # no zoom on focus, readable
    await page.fill("#parent_name", "王芳")
    await page.fill("#parent_phone", PARENT_PHONE)
    await button.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("已确认")
    assert PARENT_PHONE not in await page.content()
    assert problems == []  # no file missing (not even a tab icon), nothing the policy refused
    await page.goto(f"{clean.url}{path}")
    await expect(page.locator("main")).to_contain_text("此链接已使用过")
    assert [p for p in problems if "410" not in p] == []
    await context.close()
    leave = await api.get(f"/api/passes/{body['pass_id']}", headers=g.manager.headers)
    assert leave.json()["confirmed_by_parent"]["channel"] == "link"
