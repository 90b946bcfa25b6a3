"""The server-rendered tag page, in a browser without the app: its login works under the
policy every HTML page is sent with (no inline code), and nothing it loads is refused."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.factories import PASSWORD, make_asset, make_person, make_school, make_tag
from tests.web.conftest import PHONE
from tests.web.test_client import ConsoleErrors

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


async def test_the_tag_pages_login_works_with_no_inline_code_allowed(browser, clean, api) -> None:
    school = await make_school()
    admin = await make_person(school, "admin")
    code = await make_tag(admin, asset=await make_asset(admin, school, name="干粉灭火器"))
    context = await browser.new_context(viewport=PHONE, service_workers="block")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/t/{code}")
    color = await page.eval_on_selector("button", "b => getComputedStyle(b).backgroundColor")
    assert color == "rgb(31, 111, 235)"  # the page's own stylesheet applies
    await page.fill("input[name=u]", admin.username)
    await page.fill("input[name=p]", PASSWORD)
    await page.click("button")
    await expect(page.locator("h1")).to_have_text("干粉灭火器")
    assert "?" not in page.url  # the form never went out with the password in the address
    # The browser's own ask for /favicon.ico is the only miss; nothing may be refused.
    assert [e for e in errors if "404" not in e] == []
    await context.close()
