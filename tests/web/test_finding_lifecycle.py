"""A finding's one life, as the tag page shows it: a failure made offline is a problem
waiting to be sent, then the server's open finding, and gone once its corrective action is
signed off and the phone has pulled."""

from __future__ import annotations

from playwright.async_api import Page, expect
from uuid_utils.compat import uuid7

from server.templates.templates import install_library
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.web.test_checklist import a_photo, open_checklist
from tests.web.test_client import ConsoleErrors, log_in, new_phone, snap

GAUGE = "压力表指针所在区域"
EXTINGUISHER = "fire_extinguisher_monthly"


async def a_school(api):
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    maintainer = await make_person(school, "maintainer")
    building = await make_location(admin, school, "教学楼A")
    asset = await make_asset(admin, school, name="手提式干粉灭火器", location=building)
    return admin, inspector, maintainer, asset, await make_tag(admin, asset=asset)


async def check_the_extinguisher(page: Page, gauge: str) -> None:
    """The extinguisher's check with its gauge in `gauge` ("red" fails a critical item),
    the rest fine."""
    await open_checklist(page, EXTINGUISHER)
    await page.get_by_test_id(f"answer-gauge_zone-{gauge}").click()
    await page.get_by_test_id("all-ok").click()
    service_life = page.get_by_test_id("input-service_life_end")
    if await service_life.count() and not await service_life.input_value():
        await service_life.fill("2031-06-30")
    await page.get_by_test_id("photo-photo").first.set_input_files(
        {"name": "gauge.png", "mimeType": "image/png", "buffer": a_photo()}
    )
    await expect(page.get_by_test_id("thumb").first).to_be_visible()
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("submitted")).to_be_visible()


async def pulled_tag_page(page: Page, url: str, code: str) -> None:
    """The tag URL opened online: the app pulls as it starts, then draws the page again."""
    async with page.expect_response(lambda r: r.url.endswith("/api/sync/pull")):
        await page.goto(f"{url}/t/{code}")
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )


async def test_an_offline_critical_failure_is_a_problem_until_its_action_is_signed_off(
    browser, clean, api
) -> None:
    admin, inspector, maintainer, asset, code = await a_school(api)
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.evaluate("navigator.serviceWorker.ready")
    await pulled_tag_page(page, clean.url, code)
    problems = page.get_by_test_id("finding")
    await expect(problems).to_have_count(0)
    await expect(page.get_by_text("没有未整改的问题")).to_be_visible()

    # Offline: the failed check waits in the outbox, and the tag page says so already.
    await context.set_offline(True)
    await check_the_extinguisher(page, "red")
    await expect(status).to_contain_text("待上传 1 条")
    await expect(problems).to_have_count(1)
    await expect(problems).to_have_attribute("data-status", "waiting")
    await expect(problems).to_contain_text(GAUGE)
    await expect(problems).to_contain_text("严重 · 发现于")
    await expect(problems.get_by_test_id("finding-waiting")).to_have_text("待发送")
    await expect(page.get_by_text("没有未整改的问题")).to_have_count(0)
    await snap(page, "finding-waiting", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(problems).to_contain_text("High · found")
    await expect(problems.get_by_test_id("finding-waiting")).to_have_text("waiting to send")
    await snap(page, "finding-waiting-en", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(problems.get_by_test_id("finding-waiting")).to_have_text("待发送")

    # Sent: the same problem is now the server's open finding, shown once.
    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(problems).to_have_count(1)
    await expect(problems).to_have_attribute("data-status", "open")
    await expect(problems).to_contain_text(GAUGE)
    await expect(problems).to_contain_text("严重 · 发现于")
    await expect(problems.get_by_test_id("finding-waiting")).to_have_count(0)
    findings = await api.get(
        "/api/findings", params={"asset_id": str(asset)}, headers=admin.headers
    )
    [finding] = findings.json()
    assert finding["status"] == "open" and finding["severity"] == "high"

    # The maintainer fixes it and the inspector, who asked for it, signs it off.
    [action] = (await api.get("/api/actions", headers=admin.headers)).json()["items"]
    assert action["finding_id"] == finding["id"]
    for person, transition in ((maintainer, "fix"), (inspector, "verify")):
        answer = await api.post(
            f"/api/actions/{action['id']}/transitions",
            json={
                "id": str(uuid7()),
                "action_id": action["id"],
                "transition": transition,
                "base_version": action["version"],
            },
            headers=person.headers,
        )
        assert answer.status_code == 200, answer.text
        action = answer.json()["action"]
    resolved = await api.get(f"/api/findings/{finding['id']}", headers=admin.headers)
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"] == action["id"]

    # Pulled: the tag page has no open problem left.
    await pulled_tag_page(page, clean.url, code)
    await expect(problems).to_have_count(0)
    await expect(page.get_by_text("没有未整改的问题")).to_be_visible()
    await snap(page, "finding-resolved", clean.backend)
    assert errors == []
    await context.close()


async def test_a_passing_recheck_made_offline_shows_the_finding_put_right_until_it_is_sent(
    browser, clean, api
) -> None:
    admin, inspector, _, asset, code = await a_school(api)
    failed = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    assert (await submit(api, inspector, failed)).status_code == 201
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, inspector.username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.evaluate("navigator.serviceWorker.ready")
    await pulled_tag_page(page, clean.url, code)
    problems = page.get_by_test_id("finding")
    await expect(problems).to_have_attribute("data-status", "open")

    await context.set_offline(True)
    await check_the_extinguisher(page, "green")
    await expect(problems).to_have_count(1)
    await expect(problems).to_have_attribute("data-status", "recheck_waiting")
    await expect(problems).to_contain_text("复查合格 · 待发送")
    await snap(page, "finding-recheck-waiting", clean.backend)
    await page.get_by_test_id("lang").click()
    await expect(problems).to_contain_text("Passed a re-check · waiting to send")
    await snap(page, "finding-recheck-waiting-en", clean.backend)
    await page.get_by_test_id("lang").click()

    # Sent and pulled: the server rechecked it and verified its action.
    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    await expect(problems).to_have_count(0)
    [finding] = (
        await api.get("/api/findings", params={"asset_id": str(asset)}, headers=admin.headers)
    ).json()
    assert finding["status"] == "rechecked"
    [action] = (await api.get("/api/actions", headers=admin.headers)).json()["items"]
    assert action["state"] == "verified"
    assert errors == []
    await context.close()


async def test_what_waiting_inspections_will_do_to_a_things_problems(browser, clean) -> None:
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    found = await page.evaluate(
        """async () => {
          const { withWaiting } = await import("/web/app/problems.js");
          const label = { "zh-CN": "项", en: "Item" };
          const template = { key: "t", version: 1, items: [
            { key: "gauge", type: "check", critical: true, label },
            { key: "hose", type: "check", label },
            { key: "due", type: "date", must_not_be_past: true, label },
          ] };
          const templates = [{ key: "t", template }];
          const open = (id, item, at, inspection) => ({ id, template_key: "t", item_key: item,
            severity: "normal", observed_at: at, status: "open", inspection_id: inspection });
          const body = (id, answers, at, extra = {}) => ({ id, template_key: "t",
            template_version: 1, answers, completed_at: at, ...extra });
          const list = (args) => withWaiting({ templates, pulled: [], open: [], ...args })
            .map((p) => [p.item_key, p.status, p.severity]);
          return {
            // A failure made offline: critical, normal, and a date judged on the site's day.
            failed: list({ waiting: [body("b1", { gauge: "fail", hose: "fail",
              due: "2026-12-06" }, "2026-12-06T17:00:00Z")], timeZone: "Asia/Shanghai" }),
            // Sent, its answer lost: the server's findings stand for it.
            arrived: list({ waiting: [body("b1", { gauge: "fail" }, "2026-12-06T09:00:00Z")],
              pulled: [open("f1", "gauge", "2026-12-06T09:00:00Z", "b1")] }),
            // A later pass rechecks; a pass made before the failure does not.
            rechecks: list({ waiting: [body("b2", { hose: "pass" }, "2026-12-06T10:00:00Z")],
              open: [open("f1", "hose", "2026-12-06T09:00:00Z", "i1"),
                     open("f2", "hose", "2026-12-06T11:00:00Z", "i2")] }),
            // A correction waiting: the findings of what it corrects are withdrawn.
            corrected: list({ waiting: [body("b3", { hose: "pass" }, "2026-12-06T10:00:00Z",
              { supersedes: "i1" })], open: [open("f1", "gauge", "2026-12-06T09:00:00Z", "i1")] }),
            // A template the phone does not hold: nothing is guessed.
            unknown: list({ waiting: [body("b4", { gauge: "fail" }, "2026-12-06T09:00:00Z",
              { template_key: "other" })] }),
          };
        }"""
    )
    assert found == {
        "failed": [
            ["gauge", "waiting", "high"],
            ["hose", "waiting", "normal"],
            ["due", "waiting", "normal"],
        ],
        "arrived": [],
        "rechecks": [["hose", "open", "normal"], ["hose", "recheck_waiting", "normal"]],
        "corrected": [],
        "unknown": [],
    }
    await context.close()
