"""Gate mode on a tablet and the host's screen on a phone, in a real Chromium.

The gate device computes a visitor's keyed hash and checks their document as the server
does (gatekey.js, gatedocs.js against server/gate/documents.py and contacts.py, over many
inputs); it checks a returning visitor in offline (the form filled from the known-visitor
feed), records the host's approval given by phone, prints the slip and checks the visitor
out by scanning the slip's QR, then goes online: the server holds the one visit with its
times, and nothing on the device holds the whole ID number. A host refuses a visit on their
phone; an early-leave pass is verified and the pupil's exit recorded at the gate."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from server.gate import contacts, documents
from server.gate.tables import CardCheckRow
from server.gate.text import fold_text
from tests.factories import make_person, make_school
from tests.web.axe import AXE, _axe_source
from tests.web.test_client import SCREENSHOTS, ConsoleErrors, log_in, snap
from tests.web.test_lifecycle import waiting_ops

TABLET = {"width": 800, "height": 1280}
PHONE = {"width": 390, "height": 844}
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 7)
SEPARATORS = "-‐‑‒–—―−﹣·•・.()[]/"

# A stand-in camera: getUserMedia films a canvas on which the test holds up an image
# (window.__showToCamera(dataUrl)), as a phone's camera would film a slip held to it.
CAMERA_STAND_IN = """
window.__cameraImage = null;
window.__showToCamera = (url) => new Promise((done) => {
  const image = new Image();
  image.onload = () => { window.__cameraImage = image; done(); };
  image.src = url;
});
if (navigator.mediaDevices) {
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    const context = canvas.getContext("2d");
    const draw = () => {
      context.fillStyle = "#fff";
      context.fillRect(0, 0, 640, 480);
      if (window.__cameraImage) context.drawImage(window.__cameraImage, 160, 80, 320, 320);
    };
    draw();
    setInterval(draw, 100);
    return canvas.captureStream(10);
  };
}
"""

# Everything the app keeps on the device: IndexedDB's stores and localStorage, as text.
DEVICE_DUMP = """async () => {
  const db = await new Promise((ok) => { const r = indexedDB.open("roundkeeper");
                                          r.onsuccess = () => ok(r.result); });
  const out = {};
  for (const name of db.objectStoreNames) {
    const store = db.transaction(name).objectStore(name);
    const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map(
      (r) => new Promise((ok) => { r.onsuccess = () => ok(r.result); })));
    out[name] = keys.map((k, i) => [k, values[i]]);
  }
  out.localStorage = Object.fromEntries(Object.entries(localStorage));
  return JSON.stringify(out);
}"""


def resident_id(rng: random.Random, *, born: dt.date | None = None) -> str:
    province = rng.choice(["11", "31", "44", "51", "65", "32"])
    born = born or dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(25_000))
    body = f"{province}{rng.randrange(10_000):04d}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + documents.check_character(body)


def messy(rng: random.Random, number: str) -> str:
    """A number as typed: full-width digits, spaces, separators, lower case."""
    out = []
    for c in number:
        if c.isdigit() and rng.random() < 0.3:
            c = chr(ord(c) + 0xFEE0)
        elif c == "X" and rng.random() < 0.5:
            c = "x"
        out.append(c)
        if rng.random() < 0.1:
            out.append(rng.choice([" ", "\u3000", *SEPARATORS]))
    return "".join(out)


def random_text(rng: random.Random) -> str:
    ranges = [(0x20, 0x7E), (0xA0, 0x17F), (0x370, 0x3FF), (0x4E00, 0x4E80), (0xFF01, 0xFF5E)]
    chars = []
    for _ in range(rng.randrange(0, 24)):
        low, high = rng.choice(ranges)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def number_cases(rng: random.Random) -> list[tuple[str, str]]:
    cases: list[tuple[str, str]] = []
    for _ in range(120):
        number = resident_id(rng)
        cases.append(("resident_id", messy(rng, number)))
        wrong = list(number)
        at = rng.randrange(17)
        wrong[at] = str((int(wrong[at]) + rng.randrange(1, 10)) % 10)
        cases.append(("resident_id", "".join(wrong)))
    cases += [
        ("resident_id", "110105491231002"),  # first generation
        ("resident_id", "810000199001011234"),
        ("resident_id", "11010519901332123X"),  # no such date
        ("resident_id", resident_id(rng, born=dt.date(2027, 1, 1))),  # in the future
        ("resident_id", resident_id(rng, born=dt.date(1899, 12, 31))),
        ("residence_permit", "810000" + "19900101" + "123"),
        ("permanent_residence_id", "USA123456789012"),
    ]
    body = "81000019900101123"
    cases.append(("residence_permit", body + documents.check_character(body)))
    body = "93110019850615123"
    cases.append(("permanent_residence_id", body + documents.check_character(body)))
    kinds = ["passport", "hk_macao_travel_permit", "taiwan_travel_permit", "other"]
    samples = [
        "E12345678",
        "H12345678",
        "M1234567890",
        "12345678",
        "12345678(B)",
        "AB",
        "a",
        "张三",
        "EA1234567",
        "X",
        "123",
        "G 1234 5678",
    ]
    for kind in kinds:
        for sample in samples:
            cases.append((kind, sample))
    for _ in range(80):
        cases.append((rng.choice(kinds), random_text(rng)))
    return cases


def python_faults(kind: str, number: str) -> list[str]:
    return [f.code for f in documents.check_document(kind, number, today=TODAY).faults]  # type: ignore[arg-type]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_the_device_hashes_and_checks_numbers_as_the_server_does(browser, clean) -> None:
    """SHA-256, HMAC-SHA256, folding, id_key and the document, phone and plate checks of
    the gate device agree with the server's over many inputs, messy ones too."""
    rng = random.Random(17)
    cases = number_cases(rng)
    secrets = [rng.randbytes(rng.choice([16, 32, 64, 65, 100])) for _ in cases]
    expected_keys = []
    for (kind, number), secret in zip(cases, secrets, strict=True):
        try:
            expected_keys.append(documents.id_key(kind, number, secret))  # type: ignore[arg-type]
        except UnicodeEncodeError:
            expected_keys.append(None)
    blobs = [rng.randbytes(n) for n in [0, 1, 55, 56, 63, 64, 65, 119, 120, 200, 1000]]
    texts = [random_text(rng) for _ in range(200)] + [n for _, n in cases]
    phones = [
        "13812345678",
        "+86 138-1234-5678",
        "008613812345678",
        "8613812345678",
        "021-87654321",
        "87654321",
        "12345",
        "１３８１２３４５６７８",
        "+86 21 8765 4321",
        *(random_text(rng) for _ in range(40)),
    ]
    plates = [
        "京A12345",
        "沪A·D12345",
        "粤B 12345D",
        "京a12345",
        "京AI2345",
        "使123456",
        "苏E1234学",
        "A12345",
        "京A1234",
        *(random_text(rng) for _ in range(40)),
    ]
    valid = [documents.check_document(k, n, today=TODAY).value for k, n in cases]  # type: ignore[arg-type]

    context = await browser.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    device = await page.evaluate(
        """async ({cases, secrets, blobs, texts, phones, plates, valid, today}) => {
          const key = await import("/web/app/gatekey.js");
          const docs = await import("/web/app/gatedocs.js");
          const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          return {
            keys: cases.map(([kind, number], i) => key.idKey(kind, number, bytes(secrets[i]))),
            digests: blobs.map((b) => key.hex(key.sha256(bytes(b)))),
            folded: texts.map((t) => key.foldText(t)),
            faults: cases.map(([kind, n]) => docs.checkDocument(kind, n, { today }).faults),
            masks: valid.map((v) => v ? [docs.maskId(v, "6+4"), docs.maskId(v, "4+4")] : null),
            phones: phones.map((p) => docs.checkPhone(p)),
            phoneMasks: phones.map((p) => docs.maskPhone(p)),
            plates: plates.map((p) => docs.checkPlate(p)),
          };
        }""",
        {
            "cases": cases,
            "secrets": [base64.b64encode(s).decode() for s in secrets],
            "blobs": [base64.b64encode(b).decode() for b in blobs],
            "texts": texts,
            "phones": phones,
            "plates": plates,
            "valid": valid,
            "today": TODAY.isoformat(),
        },
    )
    await context.close()
    keyed = [(c, k, d) for c, k, d in zip(cases, expected_keys, device["keys"], strict=True)]
    assert [d for _, k, d in keyed if k] == [k for _, k, _ in keyed if k]
    assert device["digests"] == [hashlib.sha256(b).hexdigest() for b in blobs]
    assert device["folded"] == [fold_text(t) for t in texts]
    assert device["faults"] == [python_faults(k, n) for k, n in cases]
    # Both kinds of outcome were met: numbers that pass and numbers each fault catches.
    codes = {c for faults in device["faults"] for c in faults}
    assert {"visit.id_check_digit", "visit.id_old_form", "visit.id_birth_date"} <= codes
    assert sum(not f for f in device["faults"]) > 100
    assert device["masks"] == [
        [documents.mask_id(v, documents.KEEP_6_4), documents.mask_id(v, documents.KEEP_4_4)]
        if v
        else None
        for v in valid
    ]
    for text, checked in zip(phones, device["phones"], strict=True):
        python = contacts.check_phone(text)
        assert (checked["value"], checked["faults"]) == (
            python.value,
            [f.code for f in python.faults],
        ), text
    assert device["phoneMasks"] == [contacts.mask_phone(p) for p in phones]
    for text, checked in zip(plates, device["plates"], strict=True):
        python = contacts.check_plate(text)
        assert (checked["value"], checked["faults"]) == (
            python.value,
            [f.code for f in python.faults],
        ), text


async def view_violations(page: Page) -> list[str]:
    """axe's serious and critical findings on the screen's own content (#view): the app's
    header bar is no part of gate mode."""
    assert AXE.is_file(), f"{AXE} is missing: run scripts/setup.sh (npm ci installs it)"
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(_axe_source())
    results = await page.evaluate(
        "async () => (await axe.run('#view', {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


async def no_wider_than(page: Page, viewport: dict) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width


async def checked(
    page: Page, name: str, backend: str, viewport: dict, *, switch: bool = True
) -> None:
    """Nothing cut off sideways, no serious accessibility fault, a screenshot in each
    language to look at (`switch` False: only this one, the language is not switched)."""
    await no_wider_than(page, viewport)
    assert await view_violations(page) == [], name
    await snap(page, name, backend)
    if not switch:
        return
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("lang")).to_have_text("中文")
    await no_wider_than(page, viewport)
    await snap(page, f"{name}-en", backend)
    await page.get_by_test_id("lang").click()
    await expect(page.get_by_test_id("lang")).to_have_text("English")


async def a_school_with_a_gate(api) -> dict:
    school = await make_school()
    admin = await make_person(school, "admin")
    gatekeeper = await make_person(school, "gatekeeper")
    host = await make_person(school, "inspector")
    return {"school": school, "admin": admin, "gatekeeper": gatekeeper, "host": host}


async def checked_in_by_api(api, world: dict, **fields) -> dict:
    site = world["school"].site_id
    body = {
        "id": str(uuid7()),
        "visit_id": str(uuid7()),
        "name": "张伟",
        "id_type": "resident_id",
        "id_number": VISITOR_ID,
        "phone": "13812345678",
        "organisation": "蓝天物业",
        "host_id": str(world["host"].user_id),
        "purpose": "检修电梯",
        "checked_in_at": dt.datetime.now(dt.UTC).isoformat(),
        **fields,
    }
    answer = await api.post(f"/api/sites/{site}/visits", json=body, headers=world["admin"].headers)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562) for the records the test makes itself."""
    ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (random.getrandbits(12) << 64) | (0b10 << 62)
    return uuid.UUID(int=value | random.getrandbits(62))


VISITOR_ID = "11010519491231002X"


async def test_the_gate_tablet_checks_a_returning_visitor_in_and_out_offline(
    browser, clean, api
) -> None:
    world = await a_school_with_a_gate(api)
    site = world["school"].site_id
    # Last week's visit: the known-visitor feed remembers him, masked.
    earlier = await checked_in_by_api(
        api, world, checked_in_at=(dt.datetime.now(dt.UTC) - dt.timedelta(days=6)).isoformat()
    )
    started = dt.datetime.now(dt.UTC)

    context = await browser.new_context(viewport=TABLET, locale="zh-CN", service_workers="allow")
    await context.add_init_script(CAMERA_STAND_IN)
    await context.grant_permissions(["camera"])
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, world["gatekeeper"].username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(page.locator("#view > *").first).to_have_attribute("data-testid", "home-gate")
    await page.evaluate("navigator.serviceWorker.ready")
    await page.get_by_test_id("menu-gate").click()
    await expect(page.get_by_test_id("gate-home")).to_be_visible()
    await checked(page, "gate-home-tablet", clean.backend, TABLET)

    await context.set_offline(True)
    await page.get_by_test_id("gate-checkin").click()
    form = page.get_by_test_id("gate-checkin")
    await expect(form).to_be_visible()
    # A mistyped digit is caught on the device, before anyone walks in.
    await page.get_by_test_id("gate-id_number").fill("110105194912310021")
    await page.get_by_test_id("gate-submit").click()
    await expect(page.get_by_test_id("problem-id_number")).to_contain_text("校验位")
    await expect(page.get_by_test_id("problem-host")).to_have_text("请选择被访人")
    await checked(page, "gate-checkin-problems", clean.backend, TABLET)
    # Typed as a gatekeeper types it: spaces, a lower-case x.
    await page.get_by_test_id("gate-id_number").fill("110105 19491231 002x")
    await page.get_by_test_id("gate-id_number").blur()
    await expect(page.get_by_test_id("gate-repeat")).to_be_visible()
    await expect(page.get_by_test_id("gate-name")).to_have_value("张伟")
    await expect(page.get_by_test_id("gate-organisation")).to_have_value("蓝天物业")
    await expect(page.get_by_test_id("problem-id_number")).to_have_text("")
    await page.get_by_test_id("gate-phone").fill("138 1234 5678")
    await page.get_by_test_id("gate-host").fill("测试insp")
    await page.get_by_test_id("gate-host-option").first.click()
    await expect(page.get_by_test_id("gate-host-chosen")).to_contain_text("测试inspector")
    await page.get_by_test_id("gate-purpose").fill("检修电梯")
    await page.get_by_test_id("gate-badge").fill("V-017")
    await page.get_by_test_id("gate-expected_stay").select_option("60")
    await page.get_by_test_id("gate-submit").click()
    visit_page = page.get_by_test_id("gate-visit-page")
    await expect(visit_page).to_have_attribute("data-state", "pending")
    await expect(page.get_by_test_id("gate-visit-waiting")).to_be_visible()
    visit_id = await visit_page.get_attribute("data-id")
    assert visit_id and uuid.UUID(visit_id).version == 7
    await expect(page.get_by_test_id("gate-visit-id")).to_have_text("110105********002X")

    # The host said yes on the phone.
    await expect(page.get_by_test_id("gate-consent-by")).to_have_value(str(world["host"].user_id))
    await page.get_by_test_id("gate-approve").click()
    await expect(visit_page).to_have_attribute("data-state", "inside")
    await expect(page.get_by_test_id("gate-visit-approved")).to_contain_text("测试inspector")
    # Reloaded offline, the service worker serves gate mode and the device holds the visit.
    await page.reload()
    await expect(visit_page).to_have_attribute("data-state", "inside")
    await checked(page, "gate-visit-tablet", clean.backend, TABLET)

    # The slip, printed offline: 80 mm wide, the masked number, the visit's QR.
    await page.get_by_test_id("gate-slip-80mm").click()
    slip = page.get_by_test_id("slip")
    await expect(slip).to_have_attribute("data-url", f"{clean.url}/app/visits/{visit_id}")
    await expect(page.get_by_test_id("slip-id")).to_have_text("110105********002X")
    await expect(page.get_by_test_id("slip-host")).to_have_text("测试inspector")
    await checked(page, "gate-slip-80mm", clean.backend, TABLET)
    await page.emulate_media(media="print")
    assert not await page.locator(".bar").is_visible()
    assert not await page.get_by_test_id("slip-print").is_visible()
    await page.emulate_media(media="null")
    pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
    (SCREENSHOTS / f"gate-slip-80mm-{clean.backend}.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1  # the slip alone, on one page
    assert pdf.startswith(b"%PDF")
    # 80 mm is 226.77 pt: the page is the thermal roll's width.
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    assert boxes and all(abs(float(w) - 226.77) < 1 for w, _ in boxes), boxes
    qr_png = await page.get_by_test_id("slip-qr").screenshot()
    await page.goto(f"{clean.url}/app/slip/{visit_id}?size=a6")
    await expect(page.get_by_test_id("slip")).to_have_attribute("data-size", "a6")
    pdf = await page.pdf(prefer_css_page_size=True)
    (SCREENSHOTS / f"gate-slip-a6-{clean.backend}.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    # A6 is 105 mm by 148 mm: 297.64 pt by 419.53 pt.
    assert boxes and all(
        abs(float(w) - 297.64) < 1 and abs(float(h) - 419.53) < 1 for w, h in boxes
    ), boxes

    # On the way out the slip's QR is read at the gate and the visitor checked out.
    await page.goto(f"{clean.url}/app/gate/scan")
    await page.evaluate(
        "(url) => window.__showToCamera(url)",
        "data:image/png;base64," + base64.b64encode(qr_png).decode(),
    )
    await page.get_by_test_id("gate-visit-check-out").click(timeout=20_000)
    assert f"/app/visits/{visit_id}" in page.url
    await expect(visit_page).to_have_attribute("data-state", "left")

    # Offline, the outbox holds the check-in (it must reach the server) and nothing else
    # of the device does.
    kept = json.loads(await page.evaluate(DEVICE_DUMP))
    outbox = json.dumps(kept.pop("outbox"), ensure_ascii=False)
    assert "11010519491231002X" in outbox
    assert f"gate:visit:{visit_id}" in json.dumps(kept["drafts"])
    assert "11010519491231002" not in json.dumps(kept, ensure_ascii=False)
    assert [op["type"] for op in await waiting_ops(page)] == [
        "visit.checked_in",
        "visit.approved",
        "visit.checked_out",
    ]

    await context.set_offline(False)
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    assert await waiting_ops(page) == []
    kept = await page.evaluate(DEVICE_DUMP)
    assert "11010519491231002" not in kept

    register = await api.get(
        f"/api/sites/{site}/visits",
        params={"date": dt.datetime.now(SHANGHAI).date().isoformat()},
        headers=world["admin"].headers,
    )
    assert register.status_code == 200, register.text
    [visit] = [v for v in register.json() if v["id"] == visit_id]
    assert visit["state"] == "left" and visit["consent"] == "approved"
    assert visit["visitor"] == "张伟" and visit["id_masked"] == "110105********002X"
    assert visit["decided_by"]["id"] == str(world["host"].user_id)
    assert visit["badge"] == "V-017" and visit["phone_masked"] == "138****5678"
    times = [
        dt.datetime.fromisoformat(visit[k])
        for k in ("checked_in_at", "approved_at", "checked_out_at")
    ]
    assert started <= times[0] <= times[1] <= times[2] <= dt.datetime.now(dt.UTC)
    assert dt.datetime.fromisoformat(visit["expected_until"]) == times[1] + dt.timedelta(minutes=60)
    assert visit["id"] != earlier["id"]

    # The server's copy has caught up: the device lets its own note of the visit go.
    await page.goto(f"{clean.url}/app/gate")
    await expect(page.get_by_test_id("gate-home")).to_be_visible()
    assert f"gate:visit:{visit_id}" not in await page.evaluate(DEVICE_DUMP)

    # Back again another day: the device's own last check-in fills his mobile number too
    # (the known-visitor feed has it masked only).
    await page.goto(f"{clean.url}/app/gate/checkin")
    await page.get_by_test_id("gate-id_number").fill("11010519491231002X")
    await page.get_by_test_id("gate-id_number").blur()
    await expect(page.get_by_test_id("gate-repeat")).to_be_visible()
    await expect(page.get_by_test_id("gate-phone")).to_have_value("13812345678")
    assert errors == []
    await context.close()


async def test_a_check_in_the_server_refuses_is_kept_without_its_number(
    browser, clean, api
) -> None:
    """A refused op stays on the device for the gatekeeper to read, the number masked."""
    world = await a_school_with_a_gate(api)
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    await log_in(page, world["gatekeeper"].username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.evaluate(
        """async ({site, host}) => {
          const store = await import("/web/app/store.js");
          const id = store.uuid7();
          await store.enqueue({ type: "visit.checked_in", opId: id,
            occurredAt: new Date().toISOString(),
            body: { id, visit_id: store.uuid7(), site_id: site, name: "张伟",
                    id_type: "resident_id", id_number: "11010519491231002X",
                    host_id: host, checked_in_at: new Date().toISOString() } });
        }""",
        {"site": str(world["school"].site_id), "host": str(uuid7())},
    )
    await page.get_by_test_id("sync-now").click()
    await expect(page.get_by_test_id("refused-reason")).to_contain_text("被访人不是本校人员")
    kept = await page.evaluate(DEVICE_DUMP)
    assert "11010519491231002" not in kept and "1101**********002X" in kept
    await context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_gate_mode_and_its_qr_encoder_are_cached_for_offline_use(api) -> None:
    worker = (await api.get("/sw.js")).text
    for path in (
        "/web/app/gate.js",
        "/web/app/gatecheckin.js",
        "/web/app/gatekey.js",
        "/web/app/gateslip.js",
        "/web/app/gate.css",
        "/web/app/gateslip-80mm.css",
        "/web/app/gateslip-a6.css",
        "/web/vendor/qrcode.js",
    ):
        assert path in worker, path
    encoder = await api.get("/web/vendor/qrcode.js")
    assert encoder.status_code == 200
    assert encoder.headers["content-type"] == "text/javascript; charset=utf-8"
    assert b"export default qrcode;" in encoder.content


async def test_a_host_refuses_a_visitor_on_their_phone(browser, clean, api) -> None:
    world = await a_school_with_a_gate(api)
    visit = await checked_in_by_api(api, world)
    assert visit["state"] == "pending"
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, world["host"].username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    # A host is not among the gate's people: no gate mode on their home.
    await expect(page.get_by_test_id("home-gate")).to_have_count(0)
    await page.get_by_test_id("menu-host-visits").click()
    await expect(page.get_by_test_id("host-list")).to_have_attribute("data-count", "1")
    await checked(page, "host-list-phone", clean.backend, PHONE)
    await page.get_by_test_id("host-visit").get_by_role("button").click()
    decide = page.get_by_test_id("host-visit-page")
    await expect(decide).to_have_attribute("data-consent", "pending")
    await checked(page, "host-visit-phone", clean.backend, PHONE)
    await page.get_by_test_id("host-reason").fill("今天不在学校")
    await page.get_by_test_id("host-refuse").click()
    await expect(decide).to_have_attribute("data-state", "refused")
    await expect(page.get_by_test_id("host-refused")).to_contain_text("今天不在学校")
    answer = await api.get(f"/api/visits/{visit['id']}", headers=world["admin"].headers)
    assert answer.json()["state"] == "refused"
    assert answer.json()["refusal_reason"] == "今天不在学校"
    assert answer.json()["decided_by"]["id"] == str(world["host"].user_id)
    await page.goto(f"{clean.url}/app/visits")
    await expect(page.get_by_test_id("host-list")).to_have_attribute("data-count", "0")
    assert errors == []
    await context.close()


async def test_a_host_approves_and_signs_with_a_finger(browser, clean, api) -> None:
    world = await a_school_with_a_gate(api)
    visit = await checked_in_by_api(api, world)
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, world["host"].username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )
    # The link the register sends the host.
    await page.goto(f"{clean.url}/app/visits/{visit['id']}")
    await page.get_by_test_id("host-approve").click()
    decide = page.get_by_test_id("host-visit-page")
    await expect(decide).to_have_attribute("data-consent", "approved")
    await checked(page, "host-sign-phone", clean.backend, PHONE)
    pad = page.get_by_test_id("host-signature")
    await page.get_by_test_id("host-sign").click()
    await expect(page.get_by_text("请先用手指签字")).to_be_visible()
    box = await pad.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + 20, box["y"] + 60)
    await page.mouse.down()
    for step in range(1, 12):
        await page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 60 + (step % 3) * 15)
    await page.mouse.up()
    await page.get_by_test_id("host-sign").click()
    await expect(page.get_by_test_id("host-signed")).to_be_visible()
    answer = await api.get(f"/api/visits/{visit['id']}", headers=world["admin"].headers)
    assert answer.json()["state"] == "inside" and answer.json()["signed_at"]
    assert errors == []
    await context.close()


async def a_pass(api, world: dict, *, confirmed: bool, pupil: str) -> str:
    site = world["school"].site_id
    teacher = world["host"]
    now = dt.datetime.now(dt.UTC)
    pass_id = str(uuid7())
    created = await api.post(
        f"/api/sites/{site}/passes",
        json={
            "id": str(uuid7()),
            "pass_id": pass_id,
            "pupil": pupil,
            "class_name": "三年级二班",
            "reason": "看牙医",
            "leave_from": (now - dt.timedelta(minutes=10)).isoformat(),
            "leave_until": (now + dt.timedelta(hours=1)).isoformat(),
            "collector": "王芳",
            "collector_phone": "13912345678",
            "created_at": now.isoformat(),
        },
        headers=teacher.headers,
    )
    assert created.status_code == 201, created.text
    if confirmed:
        answer = await api.post(
            f"/api/passes/{pass_id}/confirmations",
            json={
                "id": str(uuid7()),
                "parent_name": "王芳",
                "parent_phone": "13912345678",
                "confirmed_at": now.isoformat(),
                "channel": "teacher",
            },
            headers=teacher.headers,
        )
        assert answer.status_code == 200, answer.text
    return pass_id


async def test_the_gate_phone_lets_pupils_out_on_their_passes(browser, clean, api) -> None:
    """A confirmed pass picked from today's list lets the pupil out; an unconfirmed one,
    scanned, names what is missing, and an exit recorded anyway is flagged by the server."""
    world = await a_school_with_a_gate(api)
    confirmed = await a_pass(api, world, confirmed=True, pupil="李小明")
    unconfirmed = await a_pass(api, world, confirmed=False, pupil="赵小红")
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, world["gatekeeper"].username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.get_by_test_id("menu-gate").click()
    await checked(page, "gate-home-phone", clean.backend, PHONE)
    await page.get_by_test_id("gate-passes").click()
    await expect(page.get_by_test_id("gate-pass-list")).to_have_attribute("data-count", "2")
    good = page.locator(f'[data-testid="gate-pass"][data-id="{confirmed}"]')
    bad = page.locator(f'[data-testid="gate-pass"][data-id="{unconfirmed}"]')
    await expect(good).to_have_attribute("data-ok", "true")
    await expect(bad).to_have_attribute("data-ok", "false")
    await expect(bad.get_by_test_id("gate-pass-blocker")).to_have_text("家长尚未确认")
    await checked(page, "gate-passes-phone", clean.backend, PHONE)
    await context.set_offline(True)
    await good.get_by_test_id("gate-pass-exit").click()
    await expect(good.get_by_test_id("gate-pass-exited")).to_be_visible()

    await page.goto(f"{clean.url}/app/passes/{unconfirmed}?scanned=1")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_test_id("gate-pass-exit").click()
    await expect(page.get_by_test_id("gate-pass-exited")).to_be_visible()
    await context.set_offline(False)
    await page.get_by_test_id("back").click()
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)

    headers = world["admin"].headers
    let_out = (await api.get(f"/api/passes/{confirmed}", headers=headers)).json()
    assert let_out["exited_at"] and let_out["flags"] == []
    assert let_out["exit_recorded_by"]["id"] == str(world["gatekeeper"].user_id)
    anyway = (await api.get(f"/api/passes/{unconfirmed}", headers=headers)).json()
    assert anyway["exited_at"] and "pass.exited_unconfirmed" in anyway["flags"]
    assert errors == []
    await context.close()


async def test_a_watched_visitor_waits_for_a_managers_word_by_phone(browser, clean, api) -> None:
    """Offline, a passport on the school's watchlist stops the check-in at the gate; the
    manager's refusal, given by phone, is recorded naming them, and the server agrees."""
    world = await a_school_with_a_gate(api)
    site = world["school"].site_id
    entry = await api.post(
        f"/api/sites/{site}/gate/watchlist",
        json={
            "id": str(uuid7()),
            "id_type": "passport",
            "id_number": "E12345678",
            "name": "某人",
            "reason": "法院禁止令",
        },
        headers=world["admin"].headers,
    )
    assert entry.status_code == 201, entry.text
    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, world["gatekeeper"].username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await page.get_by_test_id("menu-gate").click()
    await context.set_offline(True)
    await page.get_by_test_id("gate-checkin").click()
    await page.get_by_test_id("gate-name").fill("某人")
    await page.get_by_test_id("gate-id_type").select_option("passport")
    await page.get_by_test_id("gate-id_number").fill("e1234 5678")
    await page.get_by_test_id("gate-phone").fill("13700001111")
    await page.get_by_test_id("gate-host-option").filter(has_text="测试inspector").click()
    await page.get_by_test_id("gate-purpose").fill("找人")
    await page.get_by_test_id("gate-submit").click()
    watch = page.get_by_test_id("gate-watch")
    await expect(watch).to_be_visible()
    await expect(page.get_by_test_id("gate-repeat")).to_be_hidden()
    assert await waiting_ops(page) == []
    # Switching the language draws the form again, without the question.
    await checked(page, "gate-watch-phone", clean.backend, PHONE, switch=False)
    await page.get_by_test_id("gate-watch-deny").click()
    await expect(watch).to_contain_text("请选择作出决定的管理人员")
    await page.get_by_test_id("gate-watch-manager").select_option(str(world["admin"].user_id))
    await page.get_by_test_id("gate-watch-reason").fill("电话确认：不得进校")
    await page.get_by_test_id("gate-watch-deny").click()
    visit_page = page.get_by_test_id("gate-visit-page")
    await expect(visit_page).to_have_attribute("data-state", "refused")
    visit_id = await visit_page.get_attribute("data-id")
    ops = await waiting_ops(page)
    assert [op["type"] for op in ops] == ["visit.checked_in", "visit.watch_decided"]
    assert ops[0]["body"]["watch_match"] is True
    assert ops[1]["body"]["by_id"] == str(world["admin"].user_id)
    await context.set_offline(False)
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)
    visit = (await api.get(f"/api/visits/{visit_id}", headers=world["admin"].headers)).json()
    assert visit["watch"] == "denied" and visit["state"] == "refused"
    assert visit["watch_decided_by"]["id"] == str(world["admin"].user_id)
    assert visit["id_masked"] != "E12345678" and "*" in visit["id_masked"]
    assert errors == []
    await context.close()


async def test_the_gate_phone_checks_out_from_the_list_and_checks_pick_up_cards(
    browser, clean, api
) -> None:
    """A visitor inside is checked out from the still-inside list; a pick-up card lets its
    collector take the child and refuses one whose week has ended, as the server judges."""
    world = await a_school_with_a_gate(api)
    site = world["school"].site_id
    visit = await checked_in_by_api(api, world)
    approved = await api.post(
        f"/api/visits/{visit['id']}/decisions",
        json={
            "id": str(uuid7()),
            "decision": "approved",
            "channel": "app",
            "decided_at": dt.datetime.now(dt.UTC).isoformat(),
        },
        headers=world["host"].headers,
    )
    assert approved.status_code == 200, approved.text
    now = dt.datetime.now(dt.UTC)
    card = await api.post(
        f"/api/sites/{site}/pickup-cards",
        json={
            "id": str(uuid7()),
            "child": "陈小乐",
            "class_name": "小班",
            "valid_from": (now - dt.timedelta(days=30)).isoformat(),
            "valid_until": (now + dt.timedelta(days=200)).isoformat(),
            "collectors": [
                {"key": "K-MOTHER", "name": "陈妈妈", "relation": "母亲"},
                {
                    "key": "K-GRANDPA",
                    "name": "陈爷爷",
                    "relation": "祖父",
                    "valid_until": (now - dt.timedelta(days=1)).isoformat(),
                },
            ],
        },
        headers=world["admin"].headers,
    )
    assert card.status_code == 201, card.text

    context = await browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await page.goto(f"{clean.url}/app/")
    await log_in(page, world["gatekeeper"].username)
    status = page.get_by_test_id("sync-status")
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(page.get_by_test_id("home-gate-counts")).to_contain_text("在校访客 1 人")
    await page.get_by_test_id("menu-gate").click()
    await expect(page.get_by_test_id("gate-inside-count")).to_have_text("1")
    await page.get_by_test_id("gate-inside").click()
    await checked(page, "gate-inside-phone", clean.backend, PHONE)
    await page.get_by_test_id("gate-check-out").click()
    await expect(page.get_by_test_id("gate-none-inside")).to_be_visible()
    await page.get_by_test_id("back").click()

    await page.get_by_test_id("gate-cards").click()
    await page.get_by_test_id("gate-card-search").fill("陈小")
    await page.get_by_test_id("gate-card-collector").filter(has_text="陈爷爷").click()
    result = page.get_by_test_id("gate-card-result")
    await expect(result).to_have_attribute("data-allowed", "false")
    await expect(result).to_contain_text("此接送人的授权已过期")
    await checked(page, "gate-card-refused-phone", clean.backend, PHONE, switch=False)
    await page.get_by_test_id("gate-card-collector").filter(has_text="陈妈妈").click()
    await expect(result).to_have_attribute("data-allowed", "true")
    await expect(status).to_contain_text("待上传 0 条", timeout=15_000)

    left = (await api.get(f"/api/visits/{visit['id']}", headers=world["admin"].headers)).json()
    assert left["state"] == "left" and left["checked_out_at"]
    checks = await CardCheckRow.select(CardCheckRow.collector_key, CardCheckRow.allowed).order_by(
        CardCheckRow.occurred_at
    )
    assert [(c["collector_key"], c["allowed"]) for c in checks] == [
        ("K-GRANDPA", False),
        ("K-MOTHER", True),
    ]
    assert errors == []
    await context.close()
