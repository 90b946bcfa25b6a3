"""The API documentation at /schema in a real browser with every address but this server's
refused: the viewer draws the server's operations from files the server serves itself."""

from __future__ import annotations

import pytest
from playwright.async_api import Route, expect

from tests.web.test_client import ConsoleErrors, snap
from tests.web.test_console import a_desktop


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_the_api_documentation_works_with_no_internet(browser, clean) -> None:
    context = await a_desktop(browser)
    elsewhere: list[str] = []

    async def only_this_server(route: Route) -> None:
        if route.request.url.startswith(clean.url):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_this_server)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/schema")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Roundkeeper")
    login = page.locator(".opblock-summary-path", has_text="/api/auth/login")
    await expect(login.first).to_be_visible()
    # The list for browsers without JavaScript is hidden once the viewer has drawn.
    await expect(page.locator("#rk-operations")).to_be_hidden()
    await login.first.click()
    await expect(page.locator(".opblock-body").first).to_be_visible()
    await snap(page, "api-docs-desktop", clean.backend)
    assert elsewhere == []
    assert errors == [], errors
    await context.close()
