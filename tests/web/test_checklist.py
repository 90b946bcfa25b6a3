"""Filling in a checklist on the phone, offline, and sending it: the form, its draft, the
outbox, the push and the photo upload, checked on the server afterwards."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
import uuid

import msgspec
import pytest
from PIL import Image
from playwright.async_api import Page, expect

from checklists import evaluate, load_library, parse_template, validate
from checklists.answers import all_ok_answers, evidence_keys, prefilled_answers, shown_items
from checklists.templates import (
    CheckItem,
    ChoiceItem,
    DateItem,
    NumberItem,
    PhotoItem,
    SignatureItem,
    Template,
)
from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, submission
from tests.web.conftest import PHONE
from tests.web.test_client import ConsoleErrors, enqueue, log_in, new_phone, snap

GAUGE = "压力表指针所在区域"


def a_photo(background: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A PNG larger than the phone keeps, so the app has to scale it down."""
    image = Image.new("RGB", (2400, 1200), background)
    image.paste((20, 120, 220), (600, 300, 1800, 900))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def a_school(api):
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    building = await make_location(admin, school, "教学楼A")
    kitchen = await make_location(admin, school, "食堂后厨", parent=building, kind="kitchen")
    asset = await make_asset(admin, school, name="手提式干粉灭火器", location=building)
    return {
        "site_id": school.site_id,
        "inspector": inspector,
        "asset": asset,
        "asset_code": await make_tag(admin, asset=asset),
        "kitchen_code": await make_tag(admin, location=kitchen),
    }


async def open_checklist(page: Page, key: str) -> None:
    await page.locator(f'[data-testid="checklist"][data-key="{key}"] button').click()
    await expect(page.get_by_test_id("form-title")).to_be_visible()


def pressed(page: Page, key: str, value: str):
    return expect(page.get_by_test_id(f"answer-{key}-{value}")).to_have_attribute(
        "aria-pressed", "true"
    )


async def test_an_inspector_fills_in_a_checklist_offline_and_it_arrives_once(
    browser, clean, api
) -> None:
    school = await a_school(api)
    inspector = school["inspector"]
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.evaluate("navigator.serviceWorker.ready")
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{clean.url}/t/{school['asset_code']}")
    await context.set_offline(True)

    await open_checklist(page, "fire_extinguisher_monthly")
    await expect(page.get_by_test_id("form-title")).to_have_text("灭火器月度检查")
    # Submitting an empty form shows what is missing next to the items, and sends nothing.
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("problem-gauge_zone")).to_have_text("必填")
    # The site photo is asked for only when something fails; nothing does yet.
    await expect(page.get_by_test_id("problem-photo")).to_have_text("")
    await expect(page.get_by_test_id("problem-notes")).to_have_text("")
    await expect(page.get_by_test_id("form-message")).to_contain_text("需要处理")
    # A check item that does not allow n.a. has two buttons, the others three.
    await expect(page.get_by_test_id("answer-seal_and_pin-na")).to_have_count(0)
    await expect(page.get_by_test_id("answer-hose-na")).to_have_count(1)

    await page.get_by_test_id("answer-gauge_zone-red").click()
    await expect(page.get_by_test_id("problem-photo")).to_have_text("必填")
    await page.get_by_test_id("all-ok").click()
    for key in ("seal_and_pin", "hose", "body", "cabinet_opens", "signage_and_access"):
        await pressed(page, key, "pass")
    await page.get_by_test_id("answer-cabinet_opens-na").click()
    await page.get_by_test_id("input-service_life_end").fill("2031-06-30")
    await page.get_by_test_id("photo-photo").set_input_files(
        {"name": "gauge.png", "mimeType": "image/png", "buffer": a_photo()}
    )
    await expect(page.get_by_test_id("thumb")).to_have_count(1)
    # A photo taken twice is kept once; one taken by mistake can be removed.
    await page.get_by_test_id("photo-photo").set_input_files(
        {"name": "again.png", "mimeType": "image/png", "buffer": a_photo((10, 10, 10))}
    )
    await expect(page.get_by_test_id("thumb")).to_have_count(2)
    await page.get_by_test_id("remove-photo").last.click()
    await expect(page.get_by_test_id("thumb")).to_have_count(1)
    await expect(page.get_by_test_id("problem-gauge_zone")).to_have_text("")
    # The failure summary: the gauge in the red, marked critical.
    failures = page.get_by_test_id("failure")
    await expect(failures).to_have_count(1)
    await expect(failures).to_have_text(f"关键项 · {GAUGE}")
    await snap(page, "checklist", clean.backend)

    # The draft survives a reload (offline, from IndexedDB).
    await page.reload()
    await pressed(page, "gauge_zone", "red")
    await pressed(page, "cabinet_opens", "na")
    await expect(page.get_by_test_id("input-service_life_end")).to_have_value("2031-06-30")
    await expect(page.get_by_test_id("thumb")).to_have_count(1)

    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_have_text("已保存在本机，联网后自动上传。")
    # The notice is said in the language chosen after it appeared too.
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("submitted")).to_contain_text("Saved on this phone")
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("submitted")).to_have_text("已保存在本机，联网后自动上传。")
    await expect(status).to_contain_text("待上传 1 条")
    await expect(status).to_contain_text("照片待上传 1 张")
    op = await page.evaluate(
        """async () => {
          const store = await import("/web/app/store.js");
          return (await store.waitingOps(10)).map((r) => r.op);
        }"""
    )
    assert len(op) == 1 and op[0]["device_seq"] == 1 and op[0]["type"] == "inspection.submitted"
    body = op[0]["body"]
    assert body["id"][14] == "7" and body["asset_id"] == str(school["asset"])
    digest = body["answers"]["photo"][0]

    # The outbox survives a reload; going online sends the record, then the photo.
    await page.reload()
    await expect(status).to_contain_text("待上传 1 条")
    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).not_to_contain_text("照片")
    await expect(status).to_have_attribute("data-state", "ok")

    found = await api.get(
        "/api/inspections", params={"asset_id": str(school["asset"])}, headers=inspector.headers
    )
    assert found.status_code == 200, found.text
    assert [i["id"] for i in found.json()["items"]] == [body["id"]]
    inspection = (await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)).json()
    evaluation = inspection["evaluation"]
    assert evaluation["result"] == "fail" and evaluation["critical_failure"] is True
    assert evaluation["failed_items"] == ["gauge_zone"]
    assert [f["item_key"] for f in inspection["findings"]] == ["gauge_zone"]
    assert inspection["answers"]["cabinet_opens"] == "na"
    assert inspection["answers"]["photo"] == [digest]
    assert inspection["missing_blobs"] == []
    # The removed photo was dropped from the phone, the sent one after its upload.
    left = await page.evaluate(
        """async () => {
          const db = await (await import("/web/app/store.js")).openStore();
          return await new Promise((ok) => {
            const r = db.transaction("blobs").objectStore("blobs").count();
            r.onsuccess = () => ok(r.result);
          });
        }"""
    )
    assert left == 0
    blob = await api.get(f"/api/blobs/{digest}", headers=inspector.headers)
    assert blob.status_code == 200, blob.text
    image = Image.open(io.BytesIO(blob.content))
    assert image.format == "JPEG" and image.size == (1600, 800)
    assert errors == []
    await context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_discarded_checklist_leaves_nothing_on_the_phone(browser, clean, api) -> None:
    school = await a_school(api)
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    await log_in(page, school["inspector"].username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    await page.goto(f"{clean.url}/t/{school['asset_code']}")
    await context.set_offline(True)
    await open_checklist(page, "fire_extinguisher_monthly")
    await page.get_by_test_id("answer-gauge_zone-red").click()
    await page.get_by_test_id("photo-photo").set_input_files(
        {"name": "gauge.png", "mimeType": "image/png", "buffer": a_photo()}
    )
    await expect(page.get_by_test_id("thumb")).to_have_count(1)
    counts = """async () => {
      const db = await (await import("/web/app/store.js")).openStore();
      const count = (name) => new Promise((ok) => {
        const r = db.transaction(name).objectStore(name).count();
        r.onsuccess = () => ok(r.result);
      });
      return [await count("drafts"), await count("blobs")];
    }"""
    assert await page.evaluate(counts) == [1, 1]
    # Declining keeps the draft; confirming drops it and its photo and goes back.
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
    await page.get_by_test_id("discard").click()
    await pressed(page, "gauge_zone", "red")
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_test_id("discard").click()
    await expect(page.get_by_test_id("target-title")).to_be_visible()
    assert await page.evaluate(counts) == [0, 0]
    await open_checklist(page, "fire_extinguisher_monthly")
    await expect(page.get_by_test_id("answer-gauge_zone-red")).to_have_attribute(
        "aria-pressed", "false"
    )
    await expect(page.get_by_test_id("thumb")).to_have_count(0)
    await context.close()


async def test_show_if_items_appear_only_when_their_condition_holds(browser, clean, api) -> None:
    school = await a_school(api)
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    await log_in(page, school["inspector"].username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    await page.goto(f"{clean.url}/t/{school['kitchen_code']}")
    await open_checklist(page, "tableware_disinfection_record")
    item = lambda key: page.locator(f'[data-testid="item"][data-key="{key}"]')  # noqa: E731
    for key in ("heat_temperature", "chlorine_concentration", "fully_immersed"):
        await expect(item(key)).to_be_hidden()
    await page.get_by_test_id("answer-method-boiling").click()
    await expect(item("heat_temperature")).to_be_visible()
    await expect(item("chlorine_concentration")).to_be_hidden()
    await expect(page.get_by_test_id("range-heat_temperature")).to_contain_text("100")
    await page.get_by_test_id("answer-method-chemical").click()
    await expect(item("heat_temperature")).to_be_hidden()
    await expect(item("chlorine_concentration")).to_be_visible()
    await expect(item("fully_immersed")).to_be_visible()
    # "All OK" passes every shown check item, the one just shown too.
    await page.get_by_test_id("all-ok").click()
    for key in ("washed_and_rinsed", "fully_immersed", "kept_in_clean_cabinet"):
        await pressed(page, key, "pass")
    # A reading below the minimum is a failure of a critical item.
    await page.get_by_test_id("input-chlorine_concentration").fill("200")
    await expect(page.get_by_test_id("failure")).to_have_count(1)
    await expect(page.get_by_test_id("failure")).to_contain_text("关键项")
    await page.get_by_test_id("answer-method-boiling").click()
    await expect(item("fully_immersed")).to_be_hidden()
    await expect(page.get_by_test_id("failure")).to_have_count(0)
    await context.close()


def random_answers(template: Template, rng: random.Random, bad: float) -> dict:
    """Answers a careless or hurried person (or an old build) might give: each item is
    skipped or answered badly with probability `bad`, else answered well."""
    answers: dict = {}
    for item in template.items:
        good: list
        wrong: list
        if isinstance(item, CheckItem):
            good, wrong = ["pass", "pass", "fail", "na"], ["", None, "ok"]
        elif isinstance(item, NumberItem):
            low = float(item.min if item.min is not None else 0)
            reading = round(low + rng.uniform(-20, 20), item.decimals)
            good = [int(reading) if item.decimals == 0 else reading, int(low)]
            wrong = [None, "12", round(low + 0.123, 3)]
        elif isinstance(item, ChoiceItem):
            values = [o.value for o in item.options]
            if item.multiple:
                chosen = rng.sample(values, rng.randint(1, len(values)))
                good, wrong = [chosen], [chosen + chosen[:1], ["nope"], []]
            else:
                good, wrong = values, ["nope", None]
        elif isinstance(item, DateItem):
            good, wrong = ["2031-06-30", "2020-01-31"], ["2026-02-30", "30/06/2031", ""]
        elif isinstance(item, PhotoItem):
            good, wrong = [[DIGEST], [DIGEST, "f" * 64]], [[], [DIGEST, DIGEST], ["abc"]]
        elif isinstance(item, SignatureItem):
            good, wrong = [DIGEST], ["abc", None]
        else:
            good, wrong = ["", "写了几个字"], ["  ", "x" * 3000]
        if rng.random() >= bad / 3:
            answers[item.key] = rng.choice(wrong if rng.random() < bad else good)
        # What a failing item asks for, given or not whatever the item's answer.
        for key, kind in evidence_keys(item).items():
            if rng.random() < 0.5:
                continue
            if kind == "photos":
                good, wrong = [[DIGEST], ["f" * 64, DIGEST]], [[DIGEST, DIGEST], ["abc"], "x"]
            else:
                good, wrong = ["喷管龟裂", ""], [3, "x" * 2001]
            answers[key] = rng.choice(wrong if rng.random() < bad else good)
    return answers


DIGEST = "a" * 64
TODAY = "2026-11-20"

# Every part of the template language that depends on a failure, and prefilling.
ON_FAILURE = parse_template(
    """
key: on_failure
version: 1
title: {zh-CN: "不合格时", en: "On failure"}
category: fire
applies_to: {asset_categories: [fire_extinguisher]}
frequency: {every: monthly}
items:
  - type: check
    key: hose
    label: {zh-CN: "喷管", en: "Hose"}
    evidence: {photo: required, note: optional}
  - type: choice
    key: gauge
    label: {zh-CN: "压力表", en: "Gauge"}
    options:
      - {value: green, label: {zh-CN: "绿区", en: "Green"}}
      - {value: red, label: {zh-CN: "红区", en: "Red"}}
    fail_options: [red]
    evidence: {note: required}
  - type: number
    key: pressure
    label: {zh-CN: "压力", en: "Pressure"}
    min: 1
    max: 2
    decimals: 1
    required: false
    prefill: {attribute: pressure}
    evidence: {photo: optional, note: required}
  - type: date
    key: expiry
    label: {zh-CN: "有效期", en: "Expiry"}
    must_not_be_past: true
    prefill: {attribute: expiry_date}
    evidence: {photo: required}
  - type: text
    key: serial
    label: {zh-CN: "出厂编号", en: "Serial number"}
    max_length: 12
    prefill: {field: serial_number}
  - type: photo
    key: photo
    label: {zh-CN: "照片", en: "Photo"}
    required_when: failure
  - type: text
    key: what_was_done
    label: {zh-CN: "处理情况", en: "What was done"}
    required: false
    required_when: failure
"""
)


def random_asset(rng: random.Random) -> dict:
    values = [
        "2031-06-30",
        "2020-01-31",
        "2026-02-30",
        "",
        1.5,
        1.55,
        2,
        True,
        None,
        "MFZ-1",
        "x" * 13,
    ]
    return {
        "attributes": {
            "pressure": rng.choice(values),
            "expiry_date": rng.choice(values),
        },
        "serial_number": rng.choice(values),
    }


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_the_phone_validates_and_judges_answers_as_the_server_does(browser, clean) -> None:
    rng = random.Random(6)
    cases = []
    today = dt.date.fromisoformat(TODAY)
    for template in [*load_library().values(), ON_FAILURE]:
        for _ in range(200 if template is ON_FAILURE else 40):
            answers = random_answers(template, rng, rng.choice([0.02, 0.3]))
            shown = shown_items(template, answers)
            answers = {k: v for k, v in answers.items() if k.split(".")[0] in shown}
            problems = validate(template, answers, today=today)
            keys = sorted({p.path.removeprefix("answers.").split("[")[0] for p in problems})
            failed = None if problems else evaluate(template, answers, today=today).failed_items
            asset = random_asset(rng)
            cases.append(
                {
                    "template": msgspec.to_builtins(template),
                    "answers": answers,
                    "asset": asset,
                    "problems": keys,
                    "failed": failed,
                    "all_ok": all_ok_answers(template, answers),
                    "prefilled": prefilled_answers(template, asset),
                }
            )
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/web/i18n/zh-CN.json")
    answers = await page.evaluate(
        """async ([cases, today]) => {
          const { allOkAnswers, failures, prefilledAnswers, validateAnswers } =
            await import("/web/app/checklist.js");
          return cases.map(({ template, answers, asset }) => {
            const problems = Object.keys(validateAnswers(template, answers, today)).sort();
            const failed = problems.length ? null
              : failures(template, answers, today).map((f) => f.item.key);
            return { problems, failed, all_ok: allOkAnswers(template, answers),
                     prefilled: prefilledAnswers(template, asset) };
          });
        }""",
        [cases, TODAY],
    )
    await context.close()
    expected = [{k: c[k] for k in ("problems", "failed", "all_ok", "prefilled")} for c in cases]
    mismatches = [
        (c["answers"], a, e) for c, a, e in zip(cases, answers, expected, strict=True) if a != e
    ]
    assert mismatches == [], mismatches[:3]
    assert sum(1 for e in expected if e["failed"] is not None) > 50
    # Failures that ask for evidence, and values that are and are not prefilled, came up.
    on_failure = [c for c in cases if c["template"]["key"] == "on_failure"]
    assert any(p.endswith((".photos", ".note")) for c in on_failure for p in c["problems"])
    assert any(c["failed"] for c in on_failure)
    assert {len(c["prefilled"]) for c in on_failure} >= {0, 1, 2, 3}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_uuid7_ids_are_version_7_and_ordered_by_time(browser, clean) -> None:
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/web/i18n/zh-CN.json")
    ids = await page.evaluate(
        """async () => {
          const { uuid7 } = await import("/web/app/store.js");
          const more = Array.from({ length: 50 }, () => uuid7());
          return [uuid7(1700000000000), uuid7(1700000000001), ...more];
        }"""
    )
    await context.close()
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert [str(u) for u in parsed] == ids
    assert int.from_bytes(parsed[0].bytes[:6], "big") == 1700000000000
    assert parsed[0] < parsed[1]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_refused_record_is_kept_to_read_and_a_bad_photo_blocks_nothing(
    browser, clean, api
) -> None:
    school = await a_school(api)
    inspector = school["inspector"]
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    refused = submission(asset=school["asset"], answers=extinguisher_answers(gauge_zone="purple"))
    good = submission(asset=school["asset"])
    await enqueue(page, refused)
    await enqueue(page, good)
    # A photo whose bytes do not match its name: the server refuses it.
    await page.evaluate(
        """async (siteId) => {
          const store = await import("/web/app/store.js");
          await store.putBlob({ sha256: "b".repeat(64), site_id: siteId, type: "image/png",
                                data: new Uint8Array([1, 2, 3]).buffer, queued: true });
        }""",
        str(school["site_id"]),
    )
    await page.get_by_test_id("sync-now").click()
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).to_contain_text("1 条记录被拒收")
    await expect(status).to_contain_text("照片待上传 1 张")
    await expect(status).to_contain_text("照片上传失败")
    await page.reload()
    item = page.get_by_test_id("refused")
    await expect(item).to_have_count(1)
    await expect(item).to_contain_text("invalid")
    # Read, it can go (after a confirmation); declining keeps it.
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
    await page.get_by_test_id("dismiss-refused").click()
    await expect(item).to_have_count(1)
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_test_id("dismiss-refused").click()
    await expect(item).to_have_count(0)
    await expect(status).not_to_contain_text("被拒收")
    await page.reload()
    await expect(page.get_by_test_id("signed-in")).to_be_visible()
    await expect(item).to_have_count(0)
    await context.close()
    assert (await api.get(f"/api/inspections/{good['id']}", headers=inspector.headers)).is_success
    missing = await api.get(f"/api/inspections/{refused['id']}", headers=inspector.headers)
    assert missing.status_code == 404


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_after_a_gap_the_outbox_is_sent_again_from_the_servers_last_seq(
    browser, clean, api
) -> None:
    school = await a_school(api)
    inspector = school["inspector"]
    # Requests a service worker handles are not seen by page.route: no service worker here.
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="block")
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    bodies = [submission(asset=school["asset"]) for _ in range(2)]
    for body in bodies:
        await enqueue(page, body)
    # The first push is answered as by a server that lost this device's ledger: gap at 1.
    pushes: list[list[int]] = []

    async def answer(route) -> None:
        ops = route.request.post_data_json["ops"]
        pushes.append([op["device_seq"] for op in ops])
        if len(pushes) > 1:
            await route.continue_()
            return
        results = [
            {"op_id": op["op_id"], "device_seq": op["device_seq"], "status": "gap"} for op in ops
        ]
        await route.fulfill(
            json={
                "results": results,
                "last_applied_seq": 0,
                "missing_blobs": [],
                "server_now": "2026-11-20T08:00:00Z",
                "server_hlc": "1763625600000-0000-server",
                "skew_ms": 0,
            }
        )

    resent = asyncio.Event()

    def answered(response) -> None:
        if response.url.endswith("/api/sync/push") and len(pushes) == 2:
            resent.set()

    page.on("response", answered)
    await page.route("**/api/sync/push", answer)
    await page.get_by_test_id("sync-now").click()
    await asyncio.wait_for(resent.wait(), 15)
    assert pushes == [[1, 2], [1, 2]]
    await expect(status).to_contain_text("待上传 0 条")
    for body in bodies:
        found = await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)
        assert found.status_code == 200, found.text

    # A server that wants ops this phone no longer has: the phone says so and keeps the rest.
    await page.unroute("**/api/sync/push")
    await page.evaluate(
        """async () => {
          const store = await import("/web/app/store.js");
          await store.setMeta({ device_seq: 5 });
        }"""
    )
    await enqueue(page, submission(asset=school["asset"]))
    await page.get_by_test_id("sync-now").click()
    await expect(status).to_have_attribute("data-state", "error", timeout=15_000)
    await expect(status).to_contain_text("服务器缺少本机已发送的记录")
    await expect(status).to_contain_text("待上传 1 条")
    await context.close()


HANDOVER = """
key: equipment_handover
version: 1
title: {zh-CN: "器材交接", en: "Equipment handover"}
category: sports
applies_to: {asset_categories: [sports_equipment]}
frequency: {every: on_demand}
items:
  - type: number
    key: balls
    label: {zh-CN: "球的气压", en: "Ball pressure"}
    unit: "psi"
    min: 6
    max: 8
    decimals: 1
    critical: true
  - type: choice
    key: missing
    label: {zh-CN: "缺少的器材", en: "Missing items"}
    multiple: true
    required: false
    options:
      - {value: cones, label: {zh-CN: "标志桶", en: "Cones"}}
      - {value: bibs, label: {zh-CN: "号码背心", en: "Bibs"}}
    fail_options: [cones, bibs]
  - type: signature
    key: received_by
    label: {zh-CN: "接收人签名", en: "Received by"}
"""


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_numbers_multiple_choices_and_a_signature(browser, clean, api) -> None:
    school = await make_school()
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    published = await api.post("/api/templates", content=HANDOVER.encode(), headers=admin.headers)
    assert published.status_code in (200, 201), published.text
    asset = await make_asset(admin, school, category="sports_equipment", name="篮球")
    code = await make_tag(admin, asset=asset)
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.goto(f"{clean.url}/t/{code}")
    await open_checklist(page, "equipment_handover")
    await expect(page.get_by_test_id("range-balls")).to_have_text("范围 6–8")
    await page.get_by_test_id("input-balls").fill("7.25")
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("problem-balls")).to_have_text("最多 1 位小数")
    await expect(page.get_by_test_id("problem-received_by")).to_have_text("必填")
    await page.get_by_test_id("input-balls").fill("8.5")
    await expect(page.get_by_test_id("problem-balls")).to_have_text("")
    await page.get_by_test_id("answer-missing-bibs").click()
    await page.get_by_test_id("answer-missing-cones").click()
    await expect(page.get_by_test_id("failure")).to_have_count(2)
    # In the middle of the screen, clear of the bar of buttons at its bottom.
    await page.get_by_test_id("signature-received_by").evaluate(
        "(pad) => pad.scrollIntoView({ block: 'center' })"
    )
    pad = await page.get_by_test_id("signature-received_by").bounding_box()
    assert pad is not None
    await page.mouse.move(pad["x"] + 20, pad["y"] + 30)
    await page.mouse.down()
    await page.mouse.move(pad["x"] + 120, pad["y"] + 60, steps=5)
    await page.mouse.move(pad["x"] + 200, pad["y"] + 20, steps=5)
    await page.mouse.up()
    await expect(page.get_by_test_id("problem-received_by")).to_have_text("")
    # Online: sent at once, the record first and then its signature.
    uploaded = lambda r: "/api/blobs/" in r.url and r.request.method == "PUT"  # noqa: E731
    async with page.expect_response(uploaded, timeout=15_000):
        await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()
    await expect(status).to_contain_text("待上传 0 条")
    await context.close()
    found = await api.get(
        "/api/inspections", params={"asset_id": str(asset)}, headers=inspector.headers
    )
    [summary] = found.json()["items"]
    inspection = await api.get(f"/api/inspections/{summary['id']}", headers=inspector.headers)
    inspection = inspection.json()
    assert inspection["answers"]["balls"] == 8.5
    assert inspection["answers"]["missing"] == ["cones", "bibs"]
    assert len(inspection["answers"]["received_by"]) == 64
    assert inspection["missing_blobs"] == []
    assert inspection["evaluation"]["failed_items"] == ["balls", "missing"]
    assert inspection["evaluation"]["critical_failure"] is True
