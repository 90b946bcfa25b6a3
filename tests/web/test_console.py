"""The management console in a real browser, at a desktop's size and a phone's: logging in,
the sites a person manages, the message for everyone else, both languages, logging out;
and that the phone app's service worker neither keeps nor answers any of it."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect
from playwright.async_api import Error as PlaywrightError

from server.accounts.access import ROLES
from server.errors import STATUS
from server.web import controllers
from server.web.controllers import WEB_DIR, build_id, public_files
from tests.factories import make_person, make_school
from tests.web.test_client import ConsoleErrors, log_in, new_phone, snap

DESKTOP = {"width": 1366, "height": 768}
SMALL = {"width": 360, "height": 740}
CONSOLE = WEB_DIR / "console"
PAGES = [
    "today",
    "register",
    "checklists",
    "plan",
    "repairs",
    "patrol",
    "gate",
    "people",
    "notifications",
]


async def a_desktop(browser, viewport: dict[str, int] = DESKTOP) -> BrowserContext:
    return await browser.new_context(viewport=viewport, locale="zh-CN")


async def a_manager(api) -> dict:
    """A manager at one school, an admin at another and an auditor (until a date) at a
    third, with an inspector's role at a fourth that the console does not list."""
    sunshine = await make_school("阳光实验小学")
    river = await make_school("滨江中学", organization_id=sunshine.organization_id)
    hill = await make_school("青山小学", organization_id=sunshine.organization_id)
    field = await make_school("田野小学", organization_id=sunshine.organization_id)
    manager = await make_person(
        sunshine,
        "manager",
        extra_sites={river.site_id: "admin", field.site_id: "inspector"},
    )
    until = datetime.now(UTC) + timedelta(days=30)
    auditor_too = await make_person(hill, "auditor", expires_at=until)
    return {"manager": manager, "auditor": auditor_too}


async def console_login(page: Page, url: str, username: str) -> None:
    await page.goto(f"{url}/console/")
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    await log_in(page, username)


async def assert_fits(page: Page) -> None:
    """Nothing wider than the window, and the navigation and the page side by side or one
    above the other, never over each other."""
    width = page.viewport_size["width"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    nav = await page.get_by_test_id("side-nav").bounding_box()
    main = await page.locator("main").bounding_box()
    assert nav is not None and main is not None
    apart = nav["x"] + nav["width"] <= main["x"] or nav["y"] + nav["height"] <= main["y"]
    assert apart, (nav, main)


async def test_a_manager_sees_their_sites_in_both_languages_and_logs_out(
    browser, clean, api
) -> None:
    people = await a_manager(api)
    manager = people["manager"]
    context = await a_desktop(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())

    await page.goto(f"{clean.url}/console/")
    await expect(page.get_by_test_id("login-form")).to_contain_text("登录管理后台")
    await expect(page.get_by_test_id("side-nav")).to_be_hidden()
    await snap(page, "console-login-desktop", clean.backend)
    # A wrong password is said in the person's language, not the server's English.
    await page.locator("#username").fill(manager.username)
    await page.locator("#password").fill("not the password")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("login-message")).to_have_text("用户名或密码不正确。")
    assert [e for e in errors if "401" not in e] == [], errors  # the refused login's answer
    errors.clear()
    await log_in(page, manager.username)

    # The schools they manage, with their role; not the one where they only inspect.
    sites = page.get_by_test_id("site")
    await expect(sites.get_by_test_id("site-name")).to_have_text(["滨江中学", "阳光实验小学"])
    await expect(sites.get_by_test_id("site-role")).to_have_text(["管理员", "主管"])
    await expect(page.get_by_test_id("user-name")).to_have_text("测试manager")
    await expect(page.get_by_test_id("signed-in-as")).to_contain_text(manager.username)
    nav = page.get_by_test_id("side-nav")
    await expect(nav.get_by_test_id("nav-sites")).to_have_attribute("aria-current", "page")
    await expect(nav.get_by_test_id("nav-sites")).to_have_attribute("href", "/console/")
    await expect(nav.get_by_test_id("link-app")).to_have_attribute("href", "/app/")
    await expect(nav.get_by_test_id("link-api-docs")).to_have_attribute("href", "/schema")
    assert (await api.get("/schema")).status_code == 200
    await assert_fits(page)
    await snap(page, "console-sites-desktop-zh", clean.backend)

    # English with one tap, the sites' English names too; kept across a reload.
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("lang")).to_have_text("中文")
    await expect(sites.get_by_test_id("site-role")).to_have_text(["Admin", "Manager"])
    await expect(page.locator("h1")).to_have_text("Schools you manage")
    await expect(nav.get_by_test_id("nav-people")).to_contain_text("People and devices")
    names = await sites.get_by_test_id("site-name").all_text_contents()
    assert all(re.fullmatch(r"School \d+", n) for n in names), names
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.reload()
    await expect(page.locator("h1")).to_have_text("Schools you manage")
    await assert_fits(page)
    await snap(page, "console-sites-desktop-en", clean.backend)

    # An address of nothing says so.
    await page.goto(f"{clean.url}/console/no/such/page")
    await expect(page.get_by_test_id("no-such-page")).to_contain_text("There is no such page")
    await page.get_by_test_id("back-home").click()
    await expect(sites).to_have_count(2)
    await expect(page.get_by_test_id("getting-started")).to_contain_text("Register")
    # A school's name opens its Today page.
    await sites.get_by_test_id("site-name").nth(1).click()
    await expect(page).to_have_url(re.compile(r"/console/today\?site="))
    await expect(nav.get_by_test_id("nav-today")).to_have_attribute("aria-current", "page")
    await page.go_back()
    await expect(sites).to_have_count(2)

    # Logging out ends the session on the server: a reload shows the login form.
    await page.get_by_test_id("logout").click()
    await expect(page.get_by_test_id("login-form")).to_contain_text("Log in to the console")
    await expect(page.get_by_test_id("logout")).to_be_hidden()
    await expect(page.get_by_test_id("user-name")).to_have_text("")
    await page.reload()
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    assert await page.evaluate("fetch('/api/me').then(r => r.status)") == 401
    errors.clear()  # that 401
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("login-form")).to_contain_text("登录管理后台")
    assert errors == [], errors
    await context.close()

    # An auditor: the school they audit, read only, and until when.
    context = await a_desktop(browser)
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, people["auditor"].username)
    await expect(page.get_by_test_id("site-role")).to_have_text("审计员")
    await expect(page.get_by_test_id("site")).to_contain_text("只读")
    await expect(page.get_by_test_id("site")).to_contain_text("有效期至")
    assert errors == [], errors
    await context.close()


async def test_the_console_fits_a_phones_screen_in_both_languages(browser, clean, api) -> None:
    manager = (await a_manager(api))["manager"]
    context = await a_desktop(browser, SMALL)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await console_login(page, clean.url, manager.username)
    await expect(page.get_by_test_id("site")).to_have_count(2)
    await assert_fits(page)
    await snap(page, "console-sites-phone-zh", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(page.locator("h1")).to_have_text("Schools you manage")
    await assert_fits(page)
    await snap(page, "console-sites-phone-en", clean.backend)
    for test_id in ("lang", "logout"):
        box = await page.get_by_test_id(test_id).bounding_box()
        assert box is not None and box["x"] + box["width"] <= SMALL["width"], (test_id, box)
    assert errors == [], errors
    await context.close()


async def test_someone_without_a_managing_role_is_told_the_console_is_for_managers(
    browser, clean, api
) -> None:
    school = await make_school("阳光实验小学")
    other = await make_school("滨江中学", organization_id=school.organization_id)
    inspector = await make_person(school, "inspector", extra_sites={other.site_id: "guard"})
    for viewport, size in ((DESKTOP, "desktop"), (SMALL, "phone")):
        context = await a_desktop(browser, viewport)
        errors = ConsoleErrors()
        page = errors.watch(await context.new_page())
        await console_login(page, clean.url, inspector.username)
        message = page.get_by_test_id("not-a-manager")
        await expect(message).to_contain_text("管理后台仅供管理人员使用")
        await expect(message).to_contain_text("测试inspector")
        await expect(message.get_by_test_id("open-app")).to_have_attribute("href", "/app/")
        await expect(page.get_by_test_id("side-nav")).to_be_hidden()
        await expect(page.get_by_test_id("site")).to_have_count(0)
        await snap(page, f"console-not-a-manager-{size}-zh", clean.backend)
        await page.get_by_test_id("lang").click()
        await expect(message).to_contain_text("The console is for managers")
        await expect(message.get_by_test_id("open-app")).to_have_text("Open the phone app")
        assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        await snap(page, f"console-not-a-manager-{size}-en", clean.backend)
        # Logging out works for them too.
        await page.get_by_test_id("logout").click()
        await expect(page.get_by_test_id("login-form")).to_be_visible()
        assert errors == [], errors
        await context.close()


async def cached_paths(page: Page) -> list[str]:
    """Every URL path in every cache of the page's origin."""
    return await page.evaluate(
        """async () => {
          const paths = [];
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) paths.push(new URL(request.url).pathname);
          }
          return paths.sort();
        }"""
    )


async def test_the_phone_apps_service_worker_neither_keeps_nor_answers_the_console(
    browser, clean, api
) -> None:
    school = await make_school()
    manager = await make_person(school, "manager")
    context = await new_phone(browser)
    page = await context.new_page()
    # The phone app installed, as a manager's phone has it.
    await page.goto(f"{clean.url}/app/")
    await log_in(page, manager.username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    await page.evaluate("navigator.serviceWorker.ready")
    installed = await cached_paths(page)
    assert installed == sorted(public_files())
    assert not [p for p in installed if "console" in p]

    # The app's own pages come from the worker; the console's and its files from the network.
    app = await page.goto(f"{clean.url}/app/")
    assert app is not None and app.from_service_worker
    await expect(page.get_by_test_id("signed-in")).to_be_visible()
    await page.wait_for_load_state("networkidle")  # the app's own sync, after its first screen
    answers = []
    page.on("response", lambda response: answers.append(response))
    console = await page.goto(f"{clean.url}/console/")
    assert console is not None and not console.from_service_worker
    await expect(page.get_by_test_id("site")).to_have_count(1)  # still signed in: the cookie
    paths = {r.url.removeprefix(clean.url) for r in answers}
    assert paths >= {
        "/console/",
        "/web/console/main.js",
        "/web/console/dom.js",
        "/web/console/console.css",
        "/web/console/i18n/zh-CN.json",
        "/api/me",
    }
    assert not [p for p in paths if p.startswith("/web/") and "/console/" not in p], paths
    assert [r.url for r in answers if r.from_service_worker] == []
    # Having shown the console, the phone still keeps the app's files only.
    assert await cached_paths(page) == installed

    # Offline, the app still opens; the console does not, and is never the app's shell.
    await context.set_offline(True)
    await page.goto(f"{clean.url}/app/")
    await expect(page.get_by_test_id("signed-in")).to_be_visible()
    fetched = await page.evaluate(
        "fetch('/web/console/main.js').then(() => 'answered', (e) => e.name)"
    )
    assert fetched == "TypeError"
    for path in ("/console/", "/console", "/console/register"):
        with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
            await page.goto(f"{clean.url}{path}")
    await context.close()


# The files alone: no server, no database.


def test_console_files_are_neither_cached_by_phones_nor_part_of_the_apps_build_id(
    monkeypatch, tmp_path: Path
) -> None:
    """A change to the console, or a new console file, leaves the phone app's file list and
    build id as they are, so phones download nothing again; a change to the app does not."""
    assert not [p for p in public_files() if "console" in p]
    copy = tmp_path / "web"
    shutil.copytree(WEB_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(controllers, "WEB_DIR", copy)
    files, build = public_files(), build_id()

    with (copy / "console" / "main.js").open("a", encoding="utf-8") as main:
        main.write("\n// a change to the console\n")
    (copy / "console" / "register.js").write_text("export const x = 1;\n", encoding="utf-8")
    (copy / "console" / "i18n" / "zh-CN.json").write_text("{}", encoding="utf-8")
    (copy / "console" / "index.html").write_text("<!doctype html>", encoding="utf-8")
    assert (public_files(), build_id()) == (files, build)

    with (copy / "app" / "main.js").open("a", encoding="utf-8") as main:
        main.write("\n// a change to the app\n")
    assert public_files() == files and build_id() != build


def test_both_console_translations_have_every_string_the_console_shows() -> None:
    zh = json.loads((CONSOLE / "i18n" / "zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((CONSOLE / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert zh.keys() == en.keys()
    # A page's own strings ({bundle}.{lang}.json), in both languages alike, none shadowing
    # a shared one.
    # Two pages' strings never meet under one key (a page loaded after another would
    # otherwise change the words of the first).
    pages: dict[str, str] = {}
    for bundle in sorted((CONSOLE / "i18n").glob("*.zh-CN.json")):
        name = bundle.name.removesuffix(".zh-CN.json")
        own = json.loads(bundle.read_text(encoding="utf-8"))
        english = json.loads((CONSOLE / "i18n" / f"{name}.en.json").read_text(encoding="utf-8"))
        assert own.keys() == english.keys(), name
        assert not own.keys() & zh.keys(), (name, own.keys() & zh.keys())
        assert not own.keys() & pages.keys(), (
            name,
            {k: pages[k] for k in own.keys() & pages.keys()},
        )
        pages |= dict.fromkeys(own, name)
    for name in set(pages.values()):
        zh |= json.loads((CONSOLE / "i18n" / f"{name}.zh-CN.json").read_text(encoding="utf-8"))
    assert zh["lang.switch"] == "English" and en["lang.switch"] == "中文"
    code = "\n".join(p.read_text(encoding="utf-8") for p in sorted(CONSOLE.rglob("*.js")))
    shell = (CONSOLE / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("([\w.]+)"', code))
    used |= set(re.findall(r'data-i18n="([\w.]+)"', shell))
    # Keys built from a name: nav.{section}, role.{role} and category.{code}.
    sections = re.findall(r'\{ key: "(\w+)"', (CONSOLE / "layout.js").read_text(encoding="utf-8"))
    used |= {f"nav.{s}" for s in sections} | {f"role.{role}" for role in ROLES}
    categories = (CONSOLE / "categories.js").read_text(encoding="utf-8")
    used |= {f"category.{code}" for code in re.findall(r'^  "(\w+)",$', categories, re.MULTILINE)}
    assert sorted(sections) == sorted(["sites", *PAGES])
    # refusal.{code} and refusal.{code}.{field}: what the server's refusals are said as.
    refusals = {k for k in zh if k.startswith("refusal.")}
    assert all(
        k.removeprefix("refusal.").rsplit(".", 1)[0] in STATUS
        or k.removeprefix("refusal.") in STATUS
        for k in refusals
    ), refusals
    used |= refusals
    # Keys a page looks up in a table of its own (a format's or an event's name).
    used |= set(re.findall(r'"([\w.]+)"', code)) & zh.keys()
    assert used <= zh.keys(), used - zh.keys()
    assert zh.keys() <= used, zh.keys() - used


def test_the_console_shell_preloads_its_modules_and_loads_nothing_from_elsewhere() -> None:
    """The console's shell names every module main.js imports, directly or through others,
    as modulepreload; it links no manifest and registers no service worker."""
    imports = re.compile(r'^import\s+(?:[^;]*?\bfrom\s+)?"(\.{1,2}/[\w./-]+\.js)"', re.MULTILINE)
    needed: set[str] = set()
    todo = [CONSOLE / "main.js"]
    while todo:
        module = todo.pop()
        for found in imports.findall(module.read_text(encoding="utf-8")):
            target = (module.parent / found).resolve()
            name = f"/web/{target.relative_to(WEB_DIR.resolve()).as_posix()}"
            if name not in needed:
                needed.add(name)
                todo.append(target)
    shell = (CONSOLE / "index.html").read_text(encoding="utf-8")
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', shell)
    assert sorted(preloaded) == sorted(needed)
    assert 'rel="manifest"' not in shell and "<script>" not in shell and "style=" not in shell
    assert not re.search(r'(?:src|href)="(?:https?:)?//', shell)
    code = "\n".join(p.read_text(encoding="utf-8") for p in CONSOLE.glob("*.js"))
    assert "serviceWorker" not in code and "innerHTML" not in code


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_the_console_shell_answers_every_console_address_like_the_apps(api) -> None:
    app = await api.get("/app/")
    first = await api.get("/console/")
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/html; charset=utf-8"
    for header in ("content-security-policy", "cache-control", "x-content-type-options"):
        assert first.headers[header] == app.headers[header], header
    assert '<script type="module" src="/web/console/main.js">' in first.text
    assert '<link rel="icon" href="data:image/png;base64,' in first.text
    for path in ("/console", "/console/register", "/console/sites/0192f0c1-aaaa-7bbb"):
        again = await api.get(path)
        assert again.status_code == 200 and again.content == first.content, path
    # Revalidated by its ETag as the app's files are.
    for path in ("/console/", "/web/console/main.js", "/web/console/i18n/zh-CN.json"):
        answer = await api.get(path)
        assert answer.headers["cache-control"] == "no-cache", path
        again = await api.get(path, headers={"If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", path
