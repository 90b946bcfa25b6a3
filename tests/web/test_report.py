"""Reporting a repair or a hazard on the phone, offline: the form on the target page, the
outbox and the photo queue, checked on the server afterwards as corrective actions."""

from __future__ import annotations

import io

from PIL import Image
from playwright.async_api import Page, expect

from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.web.test_checklist import a_photo
from tests.web.test_client import ConsoleErrors, log_in, new_phone, snap


async def open_tag(page: Page, url: str, code: str) -> None:
    await page.goto(f"{url}/t/{code}")
    await expect(page.get_by_test_id("target-title")).to_be_visible()


async def test_a_hazard_and_a_repair_reported_offline_arrive_as_actions(
    browser, clean, api
) -> None:
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    building = await make_location(admin, school, "教学楼A")
    kitchen = await make_location(admin, school, "食堂后厨", parent=building, kind="kitchen")
    asset = await make_asset(admin, school, name="手提式干粉灭火器", location=building)
    asset_code = await make_tag(admin, asset=asset)
    kitchen_code = await make_tag(admin, location=kitchen)

    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.evaluate("navigator.serviceWorker.ready")
    await context.set_offline(True)

    # A hazard in the kitchen, with a photo.
    await open_tag(page, clean.url, kitchen_code)
    await page.get_by_test_id("report-open").click()
    await expect(page.get_by_test_id("report-title")).to_have_text("报修 / 报告隐患")
    await expect(page.get_by_test_id("report-size-small")).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_test_id("report-size-large")).to_have_text("大修（次日）")
    await page.get_by_test_id("report-kind-hazard").click()
    # An empty description is refused next to the field, and nothing is queued.
    await page.get_by_test_id("report-submit").click()
    await expect(page.get_by_test_id("problem-description")).to_have_text("请写明情况")
    assert (
        await page.evaluate("""async () => (await import("/web/app/store.js")).outboxCount()""")
        == 0
    )
    await page.get_by_test_id("report-description").fill("燃气灶旁有油污，地面湿滑")
    await page.get_by_test_id("report-size-large").click()
    await page.get_by_test_id("report-photo").set_input_files(
        {"name": "floor.png", "mimeType": "image/png", "buffer": a_photo()}
    )
    await expect(page.get_by_test_id("thumb")).to_have_count(1)
    await snap(page, "report", clean.backend)
    await page.get_by_test_id("report-submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()
    await expect(page.get_by_test_id("target-title")).to_have_text("食堂后厨")
    await expect(status).to_contain_text("待上传 1 条")
    await expect(status).to_contain_text("照片待上传 1 张")

    # A repair of the extinguisher, without a photo.
    await open_tag(page, clean.url, asset_code)
    await page.get_by_test_id("report-open").click()
    await page.get_by_test_id("report-kind-repair").click()
    await page.get_by_test_id("report-description").fill("压力表玻璃破裂")
    await page.get_by_test_id("report-submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()
    await expect(page.get_by_test_id("target-title")).to_have_text("手提式干粉灭火器")

    ops = await page.evaluate(
        """async () => {
          const store = await import("/web/app/store.js");
          return (await store.waitingOps(10)).map((r) => r.op);
        }"""
    )
    assert [(o["type"], o["device_seq"]) for o in ops] == [
        ("hazard.reported", 1),
        ("hazard.reported", 2),
    ]
    assert ops[0]["hlc"] < ops[1]["hlc"]
    hazard, repair = (o["body"] for o in ops)
    assert hazard["id"][14] == "7" and ops[0]["op_id"][14] == "7"
    assert hazard["kind"] == "hazard" and hazard["location_id"] == str(kitchen)
    assert hazard["size"] == "large" and len(hazard["photos"]) == 1
    assert repair["kind"] == "repair" and repair["asset_id"] == str(asset)
    assert repair["size"] == "small" and repair["photos"] == []
    assert "+" in hazard["reported_at"] or hazard["reported_at"].endswith("Z")
    digest = hazard["photos"][0]

    # Both wait across a reload; going online sends them, then the photo.
    await page.reload()
    await expect(status).to_contain_text("待上传 2 条")
    await expect(status).to_contain_text("照片待上传 1 张")
    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(status).not_to_contain_text("照片")
    await expect(status).to_have_attribute("data-state", "ok")

    found = await api.get(
        "/api/actions", params={"site_id": str(school.site_id)}, headers=admin.headers
    )
    assert found.status_code == 200, found.text
    actions = {a["report_id"]: a for a in found.json()["items"]}
    assert set(actions) == {hazard["id"], repair["id"]}
    from_hazard, from_repair = actions[hazard["id"]], actions[repair["id"]]
    assert from_hazard["source"] == "hazard" and from_hazard["priority"] == "high"
    assert from_hazard["location_id"] == str(kitchen) and from_hazard["size"] == "large"
    assert from_repair["source"] == "repair" and from_repair["asset_id"] == str(asset)
    for action in actions.values():
        assert action["requester_id"] == str(inspector.user_id)
    blob = await api.get(f"/api/blobs/{digest}", headers=admin.headers)
    assert blob.status_code == 200, blob.text
    assert Image.open(io.BytesIO(blob.content)).size == (1600, 800)
    assert errors == []
    await context.close()
