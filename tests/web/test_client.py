"""The phone app in a real browser at a phone's size: log in, enrol, pull, open a tag URL,
and open it again offline, served by the service worker from IndexedDB."""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from qr.codes import ALPHABET, is_valid_code, new_code, normalize_code
from server.templates.templates import install_library
from tests.factories import PASSWORD, make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.web.conftest import PHONE

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
EXTINGUISHER = "手提式干粉灭火器 MFZ/ABC4"
EXTINGUISHER_EN = "ABC dry powder extinguisher 4 kg"


class ConsoleErrors(list):
    """The page's errors. A request the browser could not send because the test took the
    phone offline is not one: the browser logs it whatever the app does with the failure
    (a sync that was under way when the network went is retried)."""

    OFFLINE = "net::ERR_INTERNET_DISCONNECTED"

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.append(str(e)))
        return page

    def _console(self, message) -> None:
        if message.type == "error" and self.OFFLINE not in message.text:
            self.append(message.text)


async def new_phone(browser) -> BrowserContext:
    return await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")


async def a_school_with_an_extinguisher(api):
    """An extinguisher with a keeper, a tag and an open finding (its gauge in the red), at a
    school whose own rule adds the electrical panel checklist to extinguishers."""
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    keeper = await make_person(school, "maintainer")
    building = await make_location(admin, school, "教学楼A")
    floor = await make_location(admin, school, "3F", parent=building, kind="floor")
    asset = await make_asset(admin, school, name=EXTINGUISHER, location=floor)
    patched = await api.patch(
        f"/api/assets/{asset}",
        json={"keeper_id": str(keeper.user_id), "name_en": EXTINGUISHER_EN},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    failed = await submit(
        api, inspector, submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    )
    assert failed.status_code == 201, failed.text
    override = await api.put(
        f"/api/sites/{school.site_id}/checklists/electrical_panel_weekly",
        json={"asset_categories": ["electrical_panel", "fire_extinguisher"]},
        headers=admin.headers,
    )
    assert override.status_code == 200, override.text
    code = await make_tag(admin, asset=asset)
    return inspector, code, await make_tag(admin, location=floor), asset


async def snap(page: Page, name: str, backend: str) -> None:
    """Screenshots of the main screens at a phone's size, to look at (build/screenshots)."""
    await page.screenshot(path=SCREENSHOTS / f"{name}-{backend}.png", full_page=True)


async def read_meta(page: Page, key: str):
    return await page.evaluate(
        """async (key) => {
          const db = await new Promise((ok) => { const r = indexedDB.open("roundkeeper");
                                                  r.onsuccess = () => ok(r.result); });
          const meta = db.transaction("meta").objectStore("meta");
          return await new Promise((ok) => { const r = meta.get(key);
                                             r.onsuccess = () => ok(r.result); });
        }""",
        key,
    )


async def enqueue(page: Page, body: dict) -> None:
    """Puts an inspection into the outbox as the app's form does."""
    await page.evaluate(
        """async (body) => {
          const store = await import("/web/app/store.js");
          await store.enqueue({ type: "inspection.submitted", opId: store.uuid7(),
                                occurredAt: body.completed_at, body });
        }""",
        body,
    )


async def clear_outbox(page: Page) -> None:
    await page.evaluate(
        """async () => {
          const db = await new Promise((ok) => { const r = indexedDB.open("roundkeeper");
                                                  r.onsuccess = () => ok(r.result); });
          const tx = db.transaction("outbox", "readwrite");
          tx.objectStore("outbox").clear();
          await new Promise((ok) => { tx.oncomplete = ok; });
        }"""
    )


async def log_in(page: Page, username: str) -> None:
    await page.get_by_test_id("login-form").locator("#username").fill(username)
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()


async def test_inspector_logs_in_pulls_and_opens_a_tag_online_and_offline(
    browser, clean, api
) -> None:
    inspector, code, floor_code, _ = await a_school_with_an_extinguisher(api)
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())

    backend = clean.backend
    await page.goto(f"{clean.url}/app/")
    await expect(page.get_by_test_id("login-form")).to_contain_text("登录")
    await snap(page, "login", backend)
    await log_in(page, inspector.username)
    # Enrolled as a device and pulled: the status line says when it last synced.
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(status).to_contain_text("上次同步")
    await expect(status).to_contain_text("待上传 0 条")
    await snap(page, "home", backend)
    device = await read_meta(page, "device")
    assert device["token"].startswith("rk_") and device["deviceId"]
    await page.evaluate("navigator.serviceWorker.ready")

    # The tag URL a phone's camera opens: answered by the app from its own copy.
    # (The app pulls on start; going offline only after its answer keeps the console clean.)
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{clean.url}/t/{code}")
    await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)
    await expect(page.get_by_test_id("target-location")).to_have_text("教学楼A › 3F")
    await expect(page.get_by_test_id("target-category")).to_have_text("灭火器")
    await expect(page.get_by_test_id("target-keeper")).to_have_text("测试maintainer")
    await expect(page.get_by_test_id("finding")).to_have_count(1)
    await expect(page.get_by_test_id("finding")).to_contain_text("压力表指针所在区域")
    checklists = page.get_by_test_id("checklist")
    await expect(checklists).to_have_text(["配电箱（柜）每周检查", "灭火器月度检查"])
    await expect(checklists.last).to_have_attribute("data-key", "fire_extinguisher_monthly")
    await snap(page, "target", backend)

    # Offline, a reload still shows it: the service worker serves the app, IndexedDB the data.
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)
    await expect(page.get_by_test_id("checklist")).to_have_text(
        ["配电箱（柜）每周检查", "灭火器月度检查"]
    )
    await expect(status).to_have_attribute("data-state", "offline")
    await snap(page, "target-offline", backend)

    # A tag on a place (still offline): what kind of place, where, and its kind's checklists.
    await page.goto(f"{clean.url}/t/{floor_code}")
    await expect(page.get_by_test_id("target-title")).to_have_text("3F")
    await expect(page.get_by_test_id("target-kind")).to_have_text("楼层")
    await expect(page.get_by_test_id("target-location")).to_have_text("教学楼A")
    await expect(page.get_by_test_id("checklist")).to_contain_text(["校舍安全月度检查"])
    # A good code this phone has no record of, and a tag URL with a mistyped code.
    await page.goto(f"{clean.url}/t/{new_code()}")
    await expect(page.get_by_test_id("not-found")).to_contain_text("未找到此标签")
    wrong = code[:3] + next(c for c in ALPHABET if c != code[3]) + code[4:]
    await page.goto(f"{clean.url}/t/{wrong}")
    await expect(page.get_by_test_id("code-error")).to_contain_text("校验位不符")

    # A code typed with one wrong character is refused by the check character.
    await page.get_by_test_id("back").click()
    await page.get_by_test_id("code-input").fill(wrong)
    await page.get_by_test_id("code-submit").click()
    await expect(page.get_by_test_id("code-error")).to_contain_text("校验位不符")
    assert "/t/" not in page.url
    await snap(page, "mistyped-code", backend)
    # The right code, typed with a hyphen and in lower case, opens the target.
    await page.get_by_test_id("code-input").fill(f"{code[:4]}-{code[4:]}".lower())
    await page.get_by_test_id("code-submit").click()
    await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)

    # English: every string from the translation file, the data's English names where kept.
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("target-category")).to_have_text("Fire extinguisher")
    await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER_EN)
    await expect(page.get_by_test_id("finding")).to_contain_text("Pressure gauge needle zone")
    await expect(page.get_by_test_id("checklist")).to_have_text(
        ["Electrical distribution box weekly check", "Fire extinguisher monthly check"]
    )
    await expect(status).to_contain_text("Offline")
    await snap(page, "target-en", backend)

    # Large touch targets at 360x640.
    await page.get_by_test_id("back").click()
    for test_id in ("code-submit", "sync-now", "logout", "lang"):
        box = await page.get_by_test_id(test_id).bounding_box()
        assert box is not None and box["height"] >= 44, (test_id, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (test_id, box)

    # Logging out warns about records still waiting; declining keeps everything.
    await enqueue(page, submission(asset=uuid.uuid4()))
    await page.get_by_test_id("sync-now").click()
    await expect(status).to_contain_text("1 records waiting")
    warning: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def decline(dialog) -> None:
        await dialog.dismiss()
        warning.set_result(dialog.message)

    page.once("dialog", decline)
    await page.get_by_test_id("logout").click()
    assert "1 records have not been uploaded" in await asyncio.wait_for(warning, 5)
    await expect(page.get_by_test_id("sync-now")).to_be_visible()
    assert await page.get_by_test_id("login-form").count() == 0
    # With nothing waiting, logging out clears the phone's copy.
    await clear_outbox(page)
    await page.get_by_test_id("logout").click()
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    await page.goto(f"{clean.url}/t/{code}")
    await expect(page.get_by_test_id("login-form")).to_be_visible()

    assert await page.evaluate("indexedDB.databases()") == [{"name": "roundkeeper", "version": 3}]
    assert (
        await page.evaluate(
            """async () => {
          const db = await new Promise((ok) => { const r = indexedDB.open("roundkeeper");
                                                  r.onsuccess = () => ok(r.result); });
          const tx = db.transaction(["records", "meta", "cursors"]);
          const counts = await Promise.all(["records", "meta", "cursors"].map((name) =>
            new Promise((ok) => { const r = tx.objectStore(name).count();
                                  r.onsuccess = () => ok(r.result); })));
          return counts.reduce((a, b) => a + b, 0);
        }"""
        )
        == 0
    )
    assert errors == []
    await context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_typed_codes_are_read_as_python_reads_them(browser, clean) -> None:
    rng = random.Random(6)
    codes = [new_code(lambda n: rng.randbytes(n)) for _ in range(200)]
    typed = list(codes)
    for code in codes[:60]:
        i = rng.randrange(8)
        typed.append(code[:i] + rng.choice(ALPHABET.replace(code[i], "")) + code[i + 1 :])
        j = rng.randrange(7)
        typed.append(code[:j] + code[j + 1] + code[j] + code[j + 2 :])
        typed.append(f" {code[:4].lower()}-{code[4:]} ".replace("0", "o").replace("1", "l"))
    typed += ["", "K7QM", "K7QMX3P9Z", "K7QM_X3P9", "ÄBCDEFGH", "ＡＢＣＤＥＦＧＨ"]
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/web/i18n/zh-CN.json")
    answers = await page.evaluate(
        """async (typed) => {
          const { normalizeCode } = await import("/web/app/codes.js");
          return typed.map((text) => {
            try { return normalizeCode(text); } catch (e) { return "!" + e.reason; }
          });
        }""",
        typed,
    )
    await context.close()
    expected = [normalize_code(t) if is_valid_code(t) else None for t in typed]
    assert [None if a.startswith("!") else a for a in answers] == expected
    assert answers[:200] == codes


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_sites_own_rule_replaces_the_templates_applies_to(browser, clean) -> None:
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/web/i18n/zh-CN.json")
    answers = await page.evaluate(
        """async () => {
          const { applies } = await import("/web/app/target.js");
          const template = { applies_to: { asset_categories: ["fire_extinguisher"],
                                           location_kinds: ["kitchen"] } };
          const off = { enabled: false, asset_categories: ["fire_extinguisher"],
                        location_kinds: [] };
          const moved = { enabled: true, asset_categories: ["exit_sign"], location_kinds: [] };
          return [
            applies(template, undefined, { category: "fire_extinguisher" }),
            applies(template, undefined, { kind: "kitchen" }),
            applies(template, undefined, { category: "exit_sign" }),
            applies(template, off, { category: "fire_extinguisher" }),
            applies(template, moved, { category: "fire_extinguisher" }),
            applies(template, moved, { category: "exit_sign" }),
            applies(template, moved, { kind: "kitchen" }),
          ];
        }"""
    )
    await context.close()
    assert answers == [True, True, False, False, False, True, False]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_phone_whose_token_was_revoked_logs_in_again_and_keeps_its_data(
    browser, clean, api
) -> None:
    inspector, code, _, asset = await a_school_with_an_extinguisher(api)
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    old = await read_meta(page, "device")
    revoked = await api.delete(
        f"/api/tokens/{old['tokenId']}", headers={"Authorization": f"Bearer {old['token']}"}
    )
    assert revoked.status_code == 200, revoked.text
    body = submission(asset=asset)
    await enqueue(page, body)

    await page.get_by_test_id("sync-now").click()
    await expect(status).to_have_attribute("data-state", "signed_out")
    await expect(status).to_contain_text("待上传 1 条")
    await page.goto(f"{clean.url}/t/{code}")
    await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)

    await page.get_by_test_id("back").click()
    await log_in(page, inspector.username)
    # The new device numbers the waiting record again from 1 and sends it.
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(status).to_contain_text("待上传 0 条")
    new = await read_meta(page, "device")
    assert new["deviceId"] != old["deviceId"]
    await context.close()
    sent = await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)
    assert sent.status_code == 200, sent.text
    assert sent.json()["device_id"] == new["deviceId"]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_phone_with_the_previous_store_keeps_its_waiting_photos(browser, clean) -> None:
    """A version-2 store (before waiting photos were indexed) is upgraded in place: the
    photo queued for upload is still counted and sent, one not yet queued is not."""
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/web/manifest.webmanifest")
    await page.evaluate(
        """async () => {
          const db = await new Promise((ok, fail) => {
            const r = indexedDB.open("roundkeeper", 2);
            r.onupgradeneeded = () => {
              const db = r.result;
              for (const name of ["meta", "cursors", "outbox", "drafts"]) {
                db.createObjectStore(name);
              }
              const records = db.createObjectStore("records", { keyPath: "key" });
              records.createIndex("scope", "scope");
              records.createIndex("scope_entity", ["scope", "entity"]);
              records.createIndex("lookup", ["entity", "lookup"]);
              db.createObjectStore("refused", { keyPath: "op.op_id" });
              const blobs = db.createObjectStore("blobs", { keyPath: "sha256" });
              const photo = { site_id: "s", type: "image/jpeg", data: new Uint8Array([1]).buffer };
              blobs.put({ ...photo, sha256: "a".repeat(64), queued: true });
              blobs.put({ ...photo, sha256: "c".repeat(64), queued: false });
            };
            r.onsuccess = () => ok(r.result);
            r.onerror = () => fail(r.error);
          });
          db.close();
        }"""
    )
    counted = await page.evaluate(
        """async () => {
          const store = await import("/web/app/store.js");
          return [await store.blobsWaiting(), (await store.queuedBlobs()).map((b) => b.sha256)];
        }"""
    )
    assert counted == [1, ["a" * 64]]
    assert await page.evaluate("indexedDB.databases()") == [{"name": "roundkeeper", "version": 3}]
    await context.close()
