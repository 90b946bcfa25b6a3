"""The phone app's guarantees over its life: a record made offline survives a reload and
the browser being closed and opened again, and reaches the server once; a mistyped code is
caught; a session that ended while offline loses nothing; two tabs never send the same
record twice; logging out names what would be lost before deleting it."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, Request, expect

from qr.codes import ALPHABET
from tests.inspections.helpers import submission
from tests.web.conftest import CHROMIUM, PHONE
from tests.web.test_checklist import a_photo, a_school, open_checklist
from tests.web.test_client import ConsoleErrors, enqueue, log_in, new_phone, read_meta, snap

WEB = Path(__file__).resolve().parents[2] / "server" / "web"
SAMPLE = "food_sample_entry"


async def phone_with_storage(browser, folder: Path) -> BrowserContext:
    """A browser that keeps its profile (IndexedDB, the service worker and its cache) in
    `folder` when closed, as a phone's browser does."""
    return await browser.browser_type.launch_persistent_context(
        folder,
        executable_path=str(CHROMIUM),
        viewport=PHONE,
        locale="zh-CN",
        service_workers="allow",
    )


async def signed_in(page: Page, url: str, username: str) -> None:
    await page.goto(f"{url}/app/")
    await log_in(page, username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    await page.evaluate("navigator.serviceWorker.ready")


async def open_tag(page: Page, url: str, code: str) -> None:
    # The app pulls when it starts; going offline only after its answer keeps it clean.
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{url}/t/{code}")
    await expect(page.get_by_test_id("checklist").first).to_be_visible()


async def fill_food_sample(page: Page, weight: str = "100") -> None:
    """The kitchen's food sample record with a sample under the 125 g minimum (a critical
    failure) and a photo."""
    await open_checklist(page, SAMPLE)
    await page.get_by_test_id("input-dish").fill("番茄炒蛋")
    await page.get_by_test_id("answer-meal-lunch").click()
    await page.get_by_test_id("input-weight").fill(weight)
    await page.get_by_test_id("input-sampled_at").fill("11:30")
    await page.get_by_test_id("answer-labelled-pass").click()
    await page.get_by_test_id("answer-refrigerated-pass").click()
    await page.get_by_test_id("input-sampler").fill("李师傅")
    await page.get_by_test_id("photo-photo").set_input_files(
        {"name": "sample.png", "mimeType": "image/png", "buffer": a_photo()}
    )
    await expect(page.get_by_test_id("thumb")).to_have_count(1)
    await expect(page.get_by_test_id("failure")).to_have_text(["关键项 · 留样重量"])
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()


async def waiting_ops(page: Page) -> list[dict]:
    return await page.evaluate(
        """async () => {
          const store = await import("/web/app/store.js");
          return (await store.waitingOps(100)).map((r) => r.op);
        }"""
    )


async def counts(page: Page, stores: list[str]) -> dict[str, int]:
    return await page.evaluate(
        """async (names) => {
          const db = await new Promise((ok) => { const r = indexedDB.open("roundkeeper");
                                                  r.onsuccess = () => ok(r.result); });
          const tx = db.transaction(names);
          const counts = await Promise.all(names.map((name) =>
            new Promise((ok) => { const r = tx.objectStore(name).count();
                                  r.onsuccess = () => ok(r.result); })));
          db.close();
          return Object.fromEntries(names.map((name, i) => [name, counts[i]]));
        }""",
        stores,
    )


async def inspections_at(api, inspector, location_id: str) -> list[str]:
    found = await api.get(
        "/api/inspections", params={"location_id": location_id}, headers=inspector.headers
    )
    assert found.status_code == 200, found.text
    return [i["id"] for i in found.json()["items"]]


async def assert_arrived_once(api, inspector, op: dict) -> None:
    """The inspection is on the server once, with its photo and a finding for the sample
    that weighed too little."""
    body = op["body"]
    assert await inspections_at(api, inspector, body["location_id"]) == [body["id"]]
    got = await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)
    assert got.status_code == 200, got.text
    inspection = got.json()
    assert inspection["evaluation"]["failed_items"] == ["weight"]
    assert [f["item_key"] for f in inspection["findings"]] == ["weight"]
    assert inspection["answers"]["weight"] == 100
    [digest] = inspection["answers"]["photo"]
    assert inspection["missing_blobs"] == []
    blob = await api.get(f"/api/blobs/{digest}", headers=inspector.headers)
    assert blob.status_code == 200 and blob.content[:3] == b"\xff\xd8\xff", blob.text[:200]


async def test_a_record_made_offline_survives_a_reload_and_the_browser_closing(
    browser, clean, api, tmp_path
) -> None:
    school = await a_school(api)
    inspector, code = school["inspector"], school["kitchen_code"]
    profile = tmp_path / "phone"
    context = await phone_with_storage(browser, profile)
    errors = ConsoleErrors()
    page = errors.watch(context.pages[0] if context.pages else await context.new_page())
    await signed_in(page, clean.url, inspector.username)
    await open_tag(page, clean.url, code)
    await context.set_offline(True)

    await fill_food_sample(page)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_contain_text("待上传 1 条")
    await expect(status).to_contain_text("照片待上传 1 张")
    [op] = await waiting_ops(page)
    assert op["type"] == "inspection.submitted" and op["device_seq"] == 1

    # Reloaded offline: the app (from the service worker) and the record are still there.
    await page.reload()
    await expect(page.get_by_test_id("target-title")).to_have_text("食堂后厨")
    await expect(status).to_have_attribute("data-state", "offline")
    await expect(status).to_contain_text("待上传 1 条")
    assert await waiting_ops(page) == [op]
    await context.close()

    # The browser opened again on the same profile, still offline: the same tag URL.
    context = await phone_with_storage(browser, profile)
    await context.set_offline(True)
    page = errors.watch(context.pages[0] if context.pages else await context.new_page())
    pushes: list[dict] = []
    page.on(
        "request",
        lambda r: pushes.append(r.post_data_json) if r.url.endswith("/api/sync/push") else None,
    )
    await page.goto(f"{clean.url}/t/{code}")
    status = page.get_by_test_id("sync-status")
    await expect(page.get_by_test_id("target-title")).to_have_text("食堂后厨")
    await expect(status).to_have_attribute("data-state", "offline")
    await expect(status).to_contain_text("待上传 1 条")
    await expect(status).to_contain_text("照片待上传 1 张")
    assert await waiting_ops(page) == [op]
    await snap(page, "reopened-offline", clean.backend)

    # Online again: the record goes, then its photo.
    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).not_to_contain_text("照片")
    await expect(status).to_have_attribute("data-state", "ok")
    assert [o["op_id"] for p in pushes for o in p["ops"]] == [op["op_id"]]
    assert await counts(page, ["outbox", "blobs", "drafts"]) == {
        "outbox": 0,
        "blobs": 0,
        "drafts": 0,
    }
    assert errors == []
    await context.close()
    await assert_arrived_once(api, inspector, op)


async def test_a_mistyped_code_is_caught_and_a_typed_code_opens_offline(
    browser, clean, api
) -> None:
    school = await a_school(api)
    code = school["asset_code"]
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await signed_in(page, clean.url, school["inspector"].username)
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_test_id("code-input")).to_be_visible()

    # One wrong character anywhere: the check character says so, and nothing opens.
    for position in (0, 3, 7):
        wrong = code[:position] + next(c for c in ALPHABET if c != code[position])
        wrong += code[position + 1 :]
        await page.get_by_test_id("code-input").fill(wrong)
        await page.get_by_test_id("code-submit").click()
        await expect(page.get_by_test_id("code-error")).to_contain_text("校验位不符")
        assert page.url.endswith("/app/")
    await snap(page, "mistyped-code-offline", clean.backend)
    # The same mistake in a tag URL opened by the camera app.
    await page.goto(f"{clean.url}/t/{wrong}")
    await expect(page.get_by_test_id("code-error")).to_contain_text("校验位不符")
    # Typed right, in lower case with a space and a hyphen, offline: the target opens.
    await page.goto(f"{clean.url}/app/")
    await page.get_by_test_id("code-input").fill(f" {code[:4].lower()}-{code[4:]} ")
    await page.get_by_test_id("code-submit").click()
    await expect(page.get_by_test_id("target-title")).to_have_text("手提式干粉灭火器")
    assert page.url.endswith(f"/t/{code}")
    assert errors == []
    await context.close()


async def test_records_made_while_the_session_ended_offline_are_sent_after_logging_in(
    browser, clean, api
) -> None:
    school = await a_school(api)
    inspector, code = school["inspector"], school["kitchen_code"]
    context = await new_phone(browser)
    page = await context.new_page()
    pushes: list[tuple[str, dict, int | None]] = []

    async def answered(request: Request) -> None:
        response = await request.response()
        pushes.append(
            (request.headers["authorization"], request.post_data_json, response and response.status)
        )

    page.on("requestfinished", lambda r: answered(r) if r.url.endswith("/api/sync/push") else None)
    await signed_in(page, clean.url, inspector.username)
    old = await read_meta(page, "device")
    await open_tag(page, clean.url, code)
    await context.set_offline(True)
    # The device's token ends on the server while the phone is offline: revoked, the way a
    # device token ends (it has no expiry time).
    revoked = await api.delete(
        f"/api/tokens/{old['tokenId']}", headers={"Authorization": f"Bearer {old['token']}"}
    )
    assert revoked.status_code == 200, revoked.text
    await fill_food_sample(page)
    [op] = await waiting_ops(page)

    # Online: the server says the session is over; the record and its photo stay.
    await context.set_offline(False)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "signed_out", timeout=15_000)
    await expect(status).to_contain_text("待上传 1 条")
    await expect(status).to_contain_text("照片待上传 1 张")
    assert await counts(page, ["outbox", "blobs"]) == {"outbox": 1, "blobs": 1}
    await snap(page, "signed-out-waiting", clean.backend)

    # Logging in again (home shows the form) sends it, once, as the new device.
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(status).to_contain_text("待上传 0 条")
    await expect(status).not_to_contain_text("照片")
    new = await read_meta(page, "device")
    assert new["deviceId"] != old["deviceId"]
    await context.close()
    # Refused with the old token (when the network came back, and when home was opened),
    # then sent once with the new one.
    *refused, sent = pushes
    assert refused and {(auth, status) for auth, _, status in refused} == {
        (f"Bearer {old['token']}", 401)
    }, pushes
    assert sent[0] == f"Bearer {new['token']}" and sent[2] == 200
    assert [o["op_id"] for o in sent[1]["ops"]] == [op["op_id"]]
    assert sent[1]["ops"][0]["device_seq"] == 1
    await assert_arrived_once(api, inspector, op)
    got = await api.get(f"/api/inspections/{op['body']['id']}", headers=inspector.headers)
    assert got.json()["device_id"] == new["deviceId"]


async def test_two_tabs_syncing_at_once_send_each_record_once(browser, clean, api) -> None:
    school = await a_school(api)
    inspector = school["inspector"]
    context = await new_phone(browser)
    errors = ConsoleErrors()
    first = errors.watch(await context.new_page())
    await signed_in(first, clean.url, inspector.username)
    await open_tag(first, clean.url, school["asset_code"])
    second = errors.watch(await context.new_page())
    await open_tag(second, clean.url, school["kitchen_code"])
    await context.set_offline(True)

    # Each tab makes records while offline; they share the phone's one outbox.
    bodies = [submission(asset=school["asset"]) for _ in range(3)]
    await enqueue(first, bodies[0])
    await enqueue(second, bodies[1])
    await enqueue(first, bodies[2])
    for tab in (first, second):
        await tab.reload()
        await expect(tab.get_by_test_id("sync-status")).to_contain_text("待上传 3 条")
    ops = {o["op_id"] for o in await waiting_ops(first)}
    assert len(ops) == 3

    sent: list[list[str]] = []
    for tab in (first, second):
        tab.on(
            "request",
            lambda r: (
                sent.append([o["op_id"] for o in r.post_data_json["ops"]])
                if r.url.endswith("/api/sync/push")
                else None
            ),
        )
    # Both tabs see the network come back at the same moment and both sync.
    await context.set_offline(False)
    for tab in (first, second):
        await expect(tab.get_by_test_id("sync-status")).to_contain_text(
            "待上传 0 条", timeout=15_000
        )
        await expect(tab.get_by_test_id("sync-status")).to_have_attribute("data-state", "ok")
    # Each op went out in exactly one request, whichever tab sent it.
    assert sorted(op for request in sent for op in request) == sorted(ops), sent
    # And on the server, each record once.
    found = await api.get(
        "/api/inspections", params={"asset_id": str(school["asset"])}, headers=inspector.headers
    )
    assert sorted(i["id"] for i in found.json()["items"]) == sorted(b["id"] for b in bodies)
    assert errors == []
    await context.close()


async def log_out(page: Page, *, accept: bool) -> str:
    """Presses "log out" and answers the warning; returns what it said."""
    said: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def answer(dialog) -> None:
        said.set_result(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", answer)
    await page.get_by_test_id("logout").click()
    return await asyncio.wait_for(said, 10)


async def test_logging_out_names_the_records_and_photos_it_would_delete(
    browser, clean, api
) -> None:
    school = await a_school(api)
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await signed_in(page, clean.url, school["inspector"].username)
    await open_tag(page, clean.url, school["kitchen_code"])
    await context.set_offline(True)
    await fill_food_sample(page)
    # A cache of data, as photos viewed on the phone could be kept in; the app's own files
    # are in the service worker's cache.
    await page.evaluate(
        """async () => { const c = await caches.open("rk-data-photos");
                         await c.put("/data/example", new Response("x")); }"""
    )
    await page.goto(f"{clean.url}/app/")

    # Dismissed: nothing is deleted and the phone stays signed in.
    warning = await log_out(page, accept=False)
    assert "1 条记录" in warning and "1 张照片" in warning, warning
    await expect(page.get_by_test_id("signed-in")).to_be_visible()
    everything = ["records", "outbox", "drafts", "blobs", "meta", "cursors", "refused"]
    kept = await counts(page, everything)
    assert kept["outbox"] == 1 and kept["blobs"] == 1 and kept["records"] > 0 and kept["meta"]

    # In English, the same counts (once the page has redrawn in English).
    await page.get_by_test_id("lang").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    warning = await log_out(page, accept=False)
    assert re.search(r"^1 records .* 1 photos ", warning), warning
    await page.get_by_test_id("lang").click()

    # Accepted: the phone's copy is gone, and the data caches; the app itself stays.
    await log_out(page, accept=True)
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    assert await counts(page, everything) == dict.fromkeys(everything, 0)
    names = await page.evaluate("caches.keys()")
    assert [n for n in names if not n.startswith("rk-shell-")] == [] and names, names
    await page.reload()
    await expect(page.get_by_test_id("login-form")).to_be_visible()
    await context.close()
    assert errors == []
    # Nothing reached the server.
    found = await api.get(
        "/api/inspections",
        params={"asset_id": str(school["asset"])},
        headers=school["inspector"].headers,
    )
    assert found.json()["items"] == []


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_the_shell_preloads_every_module_its_first_screens_import(api) -> None:
    """The shell names, as modulepreload, every module main.js imports statically, directly
    or through others, so they are fetched at once; the other screens load when shown, and
    talking to the server (sending, pulling, logging in) after the first screen is drawn."""
    imports = re.compile(r'^import\s+(?:[^;]*?\bfrom\s+)?"\./([\w.-]+)"', re.MULTILINE)
    needed: set[str] = set()
    todo = ["main.js"]
    while todo:
        for found in imports.findall((WEB / "app" / todo.pop()).read_text(encoding="utf-8")):
            if found not in needed:
                needed.add(found)
                todo.append(found)
    shell = (await api.get("/app/")).text
    preloaded = re.findall(r'<link rel="modulepreload" href="/web/app/([\w.-]+)">', shell)
    assert sorted(preloaded) == sorted(needed)
    assert {"targetpage.js", "store.js", "i18n.js"} <= needed
    # The screens, the forms, the target page's later sections and the sync load when needed.
    screens = {"main.js", "actions.js", "manager.js", "form.js", "due.js"}
    later = screens | {"api.js", "outbox.js", "sync.js"}
    assert not later & needed


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_the_shell_carries_the_tab_icon_itself(api) -> None:
    """The tab's icon is in the shell as a data: URL of the 32 px icon, which the page's
    policy allows, so the browser fetches nothing for it while the first screen loads."""
    answer = await api.get("/app/")
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', answer.text)
    png = (WEB / "icons" / "icon-32.png").read_bytes()
    assert icons == [f"data:image/png;base64,{base64.b64encode(png).decode()}"]
    assert "img-src 'self' data:" in answer.headers["content-security-policy"]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_file_the_phone_already_has_is_not_sent_again(api) -> None:
    """The service worker fetches the app's files right after the page did: the server
    answers 'not modified' to a browser that names the version it has (ETag)."""
    for path in ("/app/", "/app/due", "/web/app/main.js", "/web/i18n/zh-CN.json"):
        first = await api.get(path)
        assert first.status_code == 200 and first.content, path
        tag = first.headers["etag"]
        again = await api.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"", path
        assert again.headers["etag"] == tag and again.headers["cache-control"] == "no-cache"
        other = await api.get(path, headers={"If-None-Match": '"0123456789abcdef0123"'})
        assert other.status_code == 200 and other.content == first.content, path
    assert (await api.get("/web/app/main.js")).headers["etag"] != tag
