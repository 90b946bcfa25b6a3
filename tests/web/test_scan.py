"""The built-in scanner in a real Chromium whose camera films a picture the test makes: the
server's own label of a tag, or a QR that is not a tag. Chromium feeds its fake camera from
a Y4M file. Headless Chromium on Linux has no BarcodeDetector, so these tests read frames
with jsQR in the scanner's worker (the tests say so when that changes)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from qr.codes import ALPHABET, new_code
from qr.render import qr_png
from qr.urls import code_from_url
from server.templates.templates import install_library
from tests.conftest import PUBLIC_URL
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.web.conftest import CHROMIUM
from tests.web.test_client import ConsoleErrors, log_in, new_phone, snap

EXTINGUISHER = "手提式干粉灭火器"
WORKER = "/web/app/scanworker.js"
# Records every camera stream the page opens, so a test can see whether it was stopped.
RECORD_STREAMS = """
  const open = navigator.mediaDevices?.getUserMedia?.bind(navigator.mediaDevices);
  window.cameraStreams = [];
  if (open) navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await open(constraints);
    window.cameraStreams.push(stream);
    return stream;
  };
"""
CAMERA_STATE = """() => window.cameraStreams.flatMap((s) => s.getTracks())
                                              .map((t) => t.readyState)"""


def y4m(picture: Image.Image, frames: int = 3) -> bytes:
    """A few frames of the same picture as a Y4M video (4:2:0), what Chromium's fake camera
    plays over and over."""
    width, height = picture.size
    luma, blue, red = picture.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = b"FRAME\n" + luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    return f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames


def filmed(png: bytes, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """What the camera sees: the picture in the middle of a grey desk, filling most of it."""
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    picture.thumbnail((size[0] * 3 // 4, size[1] * 3 // 4))
    desk = Image.new("RGB", size, (150, 150, 145))
    desk.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    return desk


# The BarcodeDetector of a phone whose browser has one, for a Chromium that has none: it
# reads the camera's frames with jsQR on the page's thread and says which formats it knows.
BARCODE_DETECTOR = """
  window.detectorReads = 0;
  window.BarcodeDetector = class {
    static async getSupportedFormats() { return FORMATS; }
    constructor({ formats }) { this.formats = formats; }
    async detect(source) {
      window.detectorReads += 1;
      const script = { src: "/web/vendor/jsQR.js" };
      if (!window.jsQR) await new Promise((onload, onerror) => document.head.append(
        Object.assign(document.createElement("script"), { ...script, onload, onerror })));
      const canvas = Object.assign(document.createElement("canvas"),
                                   { width: source.videoWidth, height: source.videoHeight });
      const context = canvas.getContext("2d");
      context.drawImage(source, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(pixels.data, canvas.width, canvas.height);
      return found ? [{ format: "qr_code", rawValue: found.data }] : [];
    }
  };
"""


@asynccontextmanager
async def camera_browser(browser: Browser, video: Path, *args: str) -> AsyncIterator[Browser]:
    """Another Chromium whose camera films `video`; a context must grant the camera (without
    the grant, the camera is refused as a person refusing the prompt would)."""
    chromium = await browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            *args,
        ],
    )
    try:
        yield chromium
    finally:
        await chromium.close()


async def a_tagged_extinguisher(api) -> tuple[object, str, bytes]:
    """An inspector, the code of a tag on an extinguisher and the tag's label as printed."""
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    building = await make_location(admin, school, "教学楼A")
    asset = await make_asset(admin, school, name=EXTINGUISHER, location=building)
    code = await make_tag(admin, asset=asset)
    label = await api.get(f"/api/tags/{code}/label.png", headers=admin.headers)
    assert label.status_code == 200, label.text
    return inspector, code, label.content


def camera_video(path: Path, image: bytes) -> Path:
    """The fake camera's video (Y4M) of an image held up to it, written to `path`."""
    path.write_bytes(y4m(filmed(image)))
    return path


async def signed_in(page: Page, url: str, username: str) -> None:
    await page.goto(f"{url}/app/")
    await log_in(page, username)
    await expect(page.get_by_test_id("sync-status")).to_have_attribute(
        "data-state", "ok", timeout=15_000
    )


async def test_the_scanner_reads_a_tags_label_and_opens_its_target_offline_too(
    browser, clean, api, tmp_path
) -> None:
    inspector, code, label = await a_tagged_extinguisher(api)
    video = camera_video(tmp_path / "label.y4m", label)
    async with camera_browser(browser, video) as chromium:
        context = await new_phone(chromium)
        await context.grant_permissions(["camera"])
        await context.add_init_script(RECORD_STREAMS)
        errors = ConsoleErrors()
        page = errors.watch(await context.new_page())
        workers: list[str] = []
        page.on("worker", lambda worker: workers.append(worker.url))
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        await signed_in(page, clean.url, inspector.username)
        await page.evaluate("navigator.serviceWorker.ready")
        # The page loads no decoder before the scanner opens (the service worker caches it).
        decoder = [url for url in fetched if "scanworker" in url or "jsQR" in url]
        assert workers == [] and fetched and decoder == []
        native = await page.evaluate("'BarcodeDetector' in window")

        await page.get_by_test_id("menu-scan").click()
        await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)
        assert page.url == f"{clean.url}/t/{code}"
        # The camera was let go as the target page opened.
        assert set(await page.evaluate(CAMERA_STATE)) == {"ended"}
        if native:
            pytest.fail("this Chromium has BarcodeDetector: the jsQR path needs its own test")
        assert [url.removeprefix(clean.url) for url in workers] == [WORKER]

        # Offline, in a page opened afresh: the service worker has the scanner, its worker
        # and the decoder, IndexedDB the target.
        await page.close()
        await context.set_offline(True)
        page = errors.watch(await context.new_page())
        await page.goto(f"{clean.url}/app/scan")
        await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)
        assert page.url == f"{clean.url}/t/{code}"
        assert set(await page.evaluate(CAMERA_STATE)) == {"ended"}
        assert errors == []
        await context.close()


async def test_a_qr_that_is_not_a_tag_says_so_and_the_camera_stops_on_leaving(
    browser, clean, api, tmp_path
) -> None:
    inspector, _, _ = await a_tagged_extinguisher(api)
    menu = qr_png("https://canteen.example.cn/menu/today", box_size=8)
    video = camera_video(tmp_path / "menu.y4m", menu)
    async with camera_browser(browser, video) as chromium:
        context = await new_phone(chromium)
        await context.grant_permissions(["camera"])
        await context.add_init_script(RECORD_STREAMS)
        errors = ConsoleErrors()
        page = errors.watch(await context.new_page())
        await signed_in(page, clean.url, inspector.username)
        await page.get_by_test_id("menu-scan").click()

        message = page.get_by_test_id("scan-message")
        await expect(message).to_have_attribute("data-state", "not_a_tag")
        await expect(message).to_contain_text("这不是 Roundkeeper 标签的二维码")
        await expect(message).to_contain_text("https://canteen.example.cn/menu/today")
        # Still scanning on the same screen, the camera running.
        assert page.url == f"{clean.url}/app/scan"
        assert set(await page.evaluate(CAMERA_STATE)) == {"live"}
        await expect(page.get_by_test_id("code-input")).to_be_visible()
        # A long text read wraps: nothing sticks out of a phone's screen.
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await snap(page, "scan", clean.backend)

        # Back (a popstate): home is drawn and the camera is stopped.
        await page.get_by_test_id("back").click()
        await expect(page.get_by_test_id("menu-scan")).to_be_visible()
        await page.wait_for_function(
            f"() => ({CAMERA_STATE})().every((state) => state === 'ended')"
        )
        # Again, leaving by the typed form this time (go(), no popstate).
        await page.get_by_test_id("menu-scan").click()
        await expect(message).to_have_attribute("data-state", "not_a_tag")
        assert (await page.evaluate(CAMERA_STATE)).count("live") == 1
        await page.get_by_test_id("code-input").fill(new_code())
        await page.get_by_test_id("code-submit").click()
        await expect(page.get_by_test_id("not-found")).to_be_visible()
        await page.wait_for_function(
            f"() => ({CAMERA_STATE})().every((state) => state === 'ended')"
        )
        assert errors == []
        await context.close()


async def test_a_refused_camera_says_so_and_the_typed_code_still_opens_the_target(
    browser, clean, api, tmp_path
) -> None:
    inspector, code, label = await a_tagged_extinguisher(api)
    video = camera_video(tmp_path / "label.y4m", label)
    async with camera_browser(browser, video) as chromium:
        # No camera grant: the prompt is refused.
        context = await new_phone(chromium)
        page = await context.new_page()
        await signed_in(page, clean.url, inspector.username)
        await page.get_by_test_id("menu-scan").click()
        message = page.get_by_test_id("scan-message")
        await expect(message).to_have_attribute("data-state", "denied")
        await expect(message).to_contain_text("未获准使用相机")
        await expect(page.get_by_test_id("scan-video")).to_be_hidden()
        await snap(page, "scan-denied", clean.backend)
        wrong = code[:3] + next(c for c in ALPHABET if c != code[3]) + code[4:]
        await page.get_by_test_id("code-input").fill(wrong)
        await page.get_by_test_id("code-submit").click()
        await expect(page.get_by_test_id("code-error")).to_contain_text("校验位不符")
        await page.get_by_test_id("code-input").fill(code.lower())
        await page.get_by_test_id("code-submit").click()
        await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)
        await context.close()


async def test_a_phone_without_a_camera_says_so_in_both_languages(browser, clean, api) -> None:
    # The session's Chromium has no camera at all.
    inspector, _, _ = await a_tagged_extinguisher(api)
    context = await new_phone(browser)
    errors = ConsoleErrors()
    page = errors.watch(await context.new_page())
    await signed_in(page, clean.url, inspector.username)
    await page.get_by_test_id("menu-scan").click()
    message = page.get_by_test_id("scan-message")
    await expect(message).to_have_attribute("data-state", "no_camera")
    await expect(message).to_contain_text("没有可用的相机")
    await page.get_by_test_id("lang").click()
    # The language switch draws the screen anew: still no camera, now said in English.
    await expect(message).to_contain_text("No camera found")
    await expect(page.get_by_test_id("code-input")).to_be_visible()
    assert errors == []
    await context.close()


@pytest.mark.parametrize(
    ("formats", "reader"), [(["ean_13", "qr_code"], "native"), (["ean_13"], "jsqr")]
)
async def test_the_browsers_own_barcode_detector_reads_the_label_where_it_knows_qr_codes(
    browser, clean, api, tmp_path, formats: list[str], reader: str
) -> None:
    inspector, code, label = await a_tagged_extinguisher(api)
    video = camera_video(tmp_path / "label.y4m", label)
    async with camera_browser(browser, video) as chromium:
        context = await new_phone(chromium)
        await context.grant_permissions(["camera"])
        await context.add_init_script(RECORD_STREAMS)
        await context.add_init_script(BARCODE_DETECTOR.replace("FORMATS", str(formats)))
        errors = ConsoleErrors()
        page = errors.watch(await context.new_page())
        workers: list[str] = []
        page.on("worker", lambda worker: workers.append(worker.url))
        await signed_in(page, clean.url, inspector.username)
        await page.get_by_test_id("menu-scan").click()
        await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)
        assert page.url == f"{clean.url}/t/{code}"
        assert set(await page.evaluate(CAMERA_STATE)) == {"ended"}
        reads = await page.evaluate("window.detectorReads")
        if reader == "native":
            assert reads > 0 and workers == []
        else:
            assert reads == 0 and [u.removeprefix(clean.url) for u in workers] == [WORKER]
        assert errors == []
        await context.close()


async def test_a_decoder_that_does_not_load_says_so_and_lets_the_camera_go(
    browser, clean, api, tmp_path
) -> None:
    """A server installed without its npm step answers 404 for jsQR (test_files fails then)."""
    inspector, code, label = await a_tagged_extinguisher(api)
    video = camera_video(tmp_path / "label.y4m", label)
    async with camera_browser(browser, video) as chromium:
        context = await new_phone(chromium)
        await context.grant_permissions(["camera"])
        await context.add_init_script(RECORD_STREAMS)
        await context.route("**/web/vendor/jsQR.js", lambda route: route.fulfill(status=404))
        page = await context.new_page()
        await signed_in(page, clean.url, inspector.username)
        await page.get_by_test_id("menu-scan").click()
        message = page.get_by_test_id("scan-message")
        await expect(message).to_have_attribute("data-state", "decoder_failed")
        await expect(message).to_contain_text("二维码识别组件未能加载")
        await expect(page.get_by_test_id("scan-video")).to_be_hidden()
        assert set(await page.evaluate(CAMERA_STATE)) == {"ended"}
        await page.get_by_test_id("code-input").fill(code)
        await page.get_by_test_id("code-submit").click()
        await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)
        await context.close()


async def test_a_page_served_without_https_says_the_camera_needs_it(
    browser, clean, api, tmp_path
) -> None:
    """A school server reached by plain HTTP on its network: browsers give no camera there."""
    inspector, code, label = await a_tagged_extinguisher(api)
    video = camera_video(tmp_path / "label.y4m", label)
    port = clean.url.rsplit(":", 1)[1]
    async with camera_browser(
        browser, video, "--host-resolver-rules=MAP roundkeeper.school.lan 127.0.0.1"
    ) as chromium:
        context = await new_phone(chromium)
        await context.grant_permissions(["camera"])
        page = await context.new_page()
        url = f"http://roundkeeper.school.lan:{port}"
        await page.goto(f"{url}/app/")
        assert not await page.evaluate("window.isSecureContext")
        await log_in(page, inspector.username)
        await expect(page.get_by_test_id("menu-scan")).to_be_visible(timeout=15_000)
        await page.get_by_test_id("menu-scan").click()
        message = page.get_by_test_id("scan-message")
        await expect(message).to_have_attribute("data-state", "no_camera")
        await expect(message).to_contain_text("需要 HTTPS 连接")
        await page.get_by_test_id("code-input").fill(code)
        await page.get_by_test_id("code-submit").click()
        await expect(page.get_by_test_id("target-title")).to_have_text(EXTINGUISHER)
        await context.close()


# Reading text is the browser's alone: one database is enough.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_what_a_qr_holds_is_read_as_the_server_reads_tag_urls(browser, clean) -> None:
    code = new_code()
    wrong = code[:3] + next(c for c in ALPHABET if c != code[3]) + code[4:]
    hyphen = f"{code[:4]}-{code[4:]}"
    urls = [
        f"{PUBLIC_URL}/t/{code}",
        f"{PUBLIC_URL}/t/{code}/",
        f"http://192.168.1.20:8000/t/{code}?from=label#top",
        f"https://rk.other-school.example.cn/t/{code.lower()}",
        f"{PUBLIC_URL}/t/{hyphen}",
        f"{PUBLIC_URL}/t/{code[:4]}%2D{code[4:]}",
        f"{PUBLIC_URL}/t/{wrong}",
        f"{PUBLIC_URL}/t/{code}/history",
        f"{PUBLIC_URL}/assets/{code}",
        "https://canteen.example.cn/menu/today",
    ]
    expected = {url: code_from_url(url) for url in urls}
    assert expected[urls[0]] == code and expected[urls[6]] is None
    # Not URLs: a bare code is a tag's code too; anything else is not a tag.
    expected |= {code: code, hyphen: code, f" {code.lower()}\n": code, wrong: None, "": None}
    expected |= {"WIFI:S:school;T:WPA;P:secret;;": None, "mailto:office@school.example.cn": None}
    context = await new_phone(browser)
    page = await context.new_page()
    await page.goto(f"{clean.url}/app/")
    read = await page.evaluate(
        """async (texts) => {
          const { codeFromScan } = await import("/web/app/scan.js");
          return texts.map((text) => codeFromScan(text));
        }""",
        list(expected),
    )
    assert dict(zip(expected, read, strict=True)) == expected
    await context.close()
