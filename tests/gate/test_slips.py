"""The visitor slip (会客单): an A6 PDF that opens, its Chinese set in an embedded CJK font,
its QR read by a real decoder as the visit's address; the 80 mm page with the same content
and an inline QR that decodes too; never the full ID number nor the phone. Through the API
on both databases: who may print it (gate staff, managers, the host), who may not (403,
404), and a visit whose check-in has not arrived (a slip that says so, never a 5xx)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from qr.fonts import find_cjk_font
from server.gate.slips import PURGED, slip_content, slip_html, slip_pdf, visit_url
from server.gate.wire import VisitOut
from server.wire import PersonRef
from tests.conftest import PUBLIC_URL
from tests.factories import make_person, make_school
from tests.gate.gating import ID_NUMBER, PHONE, ago, gate_school, new_id

MASKED = ID_NUMBER[:6] + "*" * 8 + ID_NUMBER[-4:]
A6_POINTS = (105 / 25.4 * 72, 148 / 25.4 * 72)


def _visit(**over: object) -> VisitOut:
    now = dt.datetime(2026, 12, 7, 2, 30, tzinfo=dt.UTC)
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "site_id": uuid.uuid4(),
        "local_date": dt.date(2026, 12, 7),
        "state": "inside",
        "consent": "approved",
        "visitor": "王访客",
        "id_type": "resident_id",
        "id_masked": MASKED,
        "phone_masked": "138****5678",
        "organisation": "区教育局",
        "purpose": "检查食堂",
        "party_size": 2,
        "plate": "京A12345",
        "badge": "V-07",
        "host": PersonRef(id=uuid.uuid4(), name="李老师"),
        "checked_in_at": now,
        "decided_by": None,
        "approved_at": now,
        "refused_at": None,
        "refusal_reason": "",
        "entered_at": now,
        "expected_until": now + dt.timedelta(hours=1),
        "checked_out_at": None,
        "flags": [],
        "version": 2,
    }
    return VisitOut(**(fields | over))  # type: ignore[arg-type]


def _content(visit: VisitOut, strokes: list[list[float]] | None = None):
    return slip_content(
        visit,
        public_url=PUBLIC_URL,
        timezone="Asia/Shanghai",
        site_name="北京市海淀区第一实验小学",
        strokes=strokes or [],
    )


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    return "".join(document[0].get_textpage().get_text_range().split())


def _pdf_qr(pdf: bytes) -> set[str]:
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=300 / 72).to_pil()
    return {r.text for r in zxingcpp.read_barcodes(image.convert("L"))}


def _svg_qr(page: str) -> set[str]:
    """The page's QR, drawn from its SVG path (`M x y h n v1 h-n z` runs) and decoded."""
    svg = re.search(
        r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 (\d+) \1".*?</svg>', page
    )
    assert svg is not None, "no inline QR"
    side, module = int(svg.group(1)), 8
    image = Image.new("L", (side * module, side * module), 255)
    draw = ImageDraw.Draw(image)
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg.group(0)):
        left, top = int(x) * module, int(y) * module
        draw.rectangle((left, top, left + int(n) * module - 1, top + module - 1), fill=0)
    return {r.text for r in zxingcpp.read_barcodes(image)}


def test_the_pdf_is_one_a6_page_with_the_visit_in_an_embedded_cjk_font_and_a_qr_that_scans():
    visit = _visit(checked_out_at=dt.datetime(2026, 12, 7, 4, 5, tzinfo=dt.UTC))
    pdf = slip_pdf(_content(visit), font=find_cjk_font())
    page = pypdfium2.PdfDocument(pdf)[0]
    assert page.get_size() == pytest.approx(A6_POINTS, abs=0.5)
    text = _pdf_text(pdf)
    for said in ("会客单", "王访客", "区教育局", MASKED, "李老师", "检查食堂", "京A12345", "V-07"):
        assert said in text, said
    # Times in the school's zone; the check-out time once the visitor has left.
    assert "进入/In2026-12-0710:30" in text and "离开/Out2026-12-0712:05" in text
    assert "被访人签字/Host'ssignature" in text and "已签字" not in text
    # The font is in the file (a subset of a TrueType font program), not left to the reader.
    assert b"/FontFile2" in pdf and re.search(rb"/BaseFont /[A-Z]{6}\+\w", pdf)
    assert _pdf_qr(pdf) == {f"{PUBLIC_URL}/app/visits/{visit.id}"}
    assert visit_url(PUBLIC_URL + "/", visit.id) == f"{PUBLIC_URL}/app/visits/{visit.id}"


def test_neither_slip_has_the_full_id_number_or_any_phone():
    content = _content(_visit())
    text = _pdf_text(slip_pdf(content, font=find_cjk_font()))
    page = slip_html(content)
    for said in (text, page):
        assert MASKED in said
        assert ID_NUMBER not in said and ID_NUMBER[6:14] not in said
        assert PHONE not in said and "138****5678" not in said and "5678" not in said


def test_the_thermal_page_has_the_same_content_and_an_inline_qr_that_scans():
    visit = _visit()
    page = slip_html(_content(visit))
    for said in ("会客单", "Visitor slip", "王访客", "区教育局", MASKED, "李老师", "京A12345"):
        assert said in page, said
    assert '<link rel="stylesheet" href="/web/app/slip.css">' in page
    assert "<script" not in page and "style=" not in page  # the pages' policy: no inline code
    assert _svg_qr(page) == {f"{PUBLIC_URL}/app/visits/{visit.id}"}


def test_a_signed_visit_says_so_and_draws_the_signature():
    visit = _visit(signed_at=dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC))
    strokes = [[0, 0, 40, 30, 80, 0, 120, 30], [10, 20, 110, 20], [5], ["x", 1]]
    content = _content(visit, strokes)
    assert len(content.strokes) == 2  # the malformed ones left out
    blank = slip_pdf(_content(_visit()), font=find_cjk_font())
    signed = slip_pdf(content, font=find_cjk_font())
    assert "已签字/signed2026-12-0711:00" in _pdf_text(signed)
    page = slip_html(content)
    assert "已签字 / signed 2026-12-07 11:00" in page
    assert page.count('stroke="#000"') == 2

    # Ink in the signature's place (11-71 mm across, 123-136 mm down), none on a blank slip.
    def ink(pdf: bytes) -> int:
        image = pypdfium2.PdfDocument(pdf)[0].render(scale=300 / 72).to_pil().convert("L")
        px = 300 / 25.4
        box = image.crop((round(12 * px), round(123.5 * px), round(70 * px), round(135.5 * px)))
        return sum(count for value, count in enumerate(box.histogram()) if value < 128)

    assert ink(blank) == 0 and ink(signed) > 50


def test_a_slip_without_its_check_in_or_after_the_purge_says_what_is_missing():
    waiting = _content(_visit(visitor=None, id_type=None, id_masked=None, host=None, purpose=""))
    assert waiting.notice is not None and "登记尚未到达" in waiting.notice
    assert "登记尚未到达" in _pdf_text(slip_pdf(waiting, font=find_cjk_font()))
    purged = _content(_visit(visitor=None, id_masked=None, organisation="", flags=[PURGED]))
    assert purged.notice is not None and "已按保留期限清除" in purged.notice
    assert "王访客" not in slip_html(purged)


async def test_gate_staff_managers_and_the_host_print_it_and_no_one_else(api):
    g = await gate_school(api)
    body = g.check_in()
    visit_id = body["visit_id"]
    made = await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    assert made.status_code == 201, made.text
    for person in (g.gatekeeper, g.manager, g.host):
        pdf = await api.get(f"/api/visits/{visit_id}/slip.pdf", headers=person.headers)
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert "王访客" in _pdf_text(pdf.content)
        assert _pdf_qr(pdf.content) == {f"{PUBLIC_URL}/app/visits/{visit_id}"}
        page = await api.get(f"/api/visits/{visit_id}/slip", headers=person.headers)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "王访客" in page.text and MASKED in page.text
        assert PHONE not in page.text and ID_NUMBER not in page.text
    css = await api.get("/web/app/slip.css")
    assert css.status_code == 200
    assert re.search(r"@page\s*\{[^}]*size:\s*80mm auto", css.text)

    stranger = await make_person(await make_school(), "admin")
    for person, status in ((g.inspector, 403), (stranger, 404)):
        for path in ("slip.pdf", "slip"):
            refused = await api.get(f"/api/visits/{visit_id}/{path}", headers=person.headers)
            assert refused.status_code == status, refused.text
            assert "王访客" not in refused.text
    for path in ("slip.pdf", "slip"):
        unknown = await api.get(f"/api/visits/{new_id()}/{path}", headers=g.manager.headers)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
        bad = await api.get(f"/api/visits/not-a-uuid/{path}", headers=g.manager.headers)
        assert 400 <= bad.status_code < 500


async def test_a_visit_known_only_by_its_check_out_gets_a_slip_that_says_so(api):
    g = await gate_school(api)
    visit_id = new_id()
    await g.tablet.push_ok([g.op_check_out(g.tablet, visit_id, ago(2))])
    pdf = await api.get(f"/api/visits/{visit_id}/slip.pdf", headers=g.gatekeeper.headers)
    assert pdf.status_code == 200, pdf.text
    assert "登记尚未到达服务器" in _pdf_text(pdf.content)
    page = await api.get(f"/api/visits/{visit_id}/slip", headers=g.gatekeeper.headers)
    assert page.status_code == 200 and "has not reached the server yet" in page.text
    assert "离开 / Out" in page.text


async def test_the_hosts_drawn_signature_reaches_the_slip(api):
    g = await gate_school(api)
    body = g.check_in()
    visit_id = body["visit_id"]
    await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    signed = await api.post(
        f"/api/visits/{visit_id}/signatures",
        json={"id": new_id(), "signed_at": ago(3), "strokes": [[0, 0, 30, 20, 60, 0]]},
        headers=g.host.headers,
    )
    assert signed.status_code in (200, 201), signed.text
    page = await api.get(f"/api/visits/{visit_id}/slip", headers=g.gatekeeper.headers)
    assert "已签字 / signed" in page.text and page.text.count('class="signature"') == 1
    pdf = await api.get(f"/api/visits/{visit_id}/slip.pdf", headers=g.host.headers)
    assert "已签字/signed" in _pdf_text(pdf.content)


async def test_chromium_prints_the_thermal_page_on_one_80_mm_wide_page(api, clean):
    """The stylesheet loads under the pages' policy and its @page holds in a real browser
    (a page size Chromium does not know would print on Letter paper)."""
    from playwright.async_api import async_playwright

    g = await gate_school(api)
    body = g.check_in()
    await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            context = await chromium.new_context(extra_http_headers=g.gatekeeper.headers)
            page = await context.new_page()
            shown = await page.goto(f"{clean.url}/api/visits/{body['visit_id']}/slip")
            assert shown is not None and shown.status == 200
            width = await page.evaluate("getComputedStyle(document.querySelector('main')).width")
            pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
        finally:
            await chromium.close()
    assert float(width.removesuffix("px")) == pytest.approx(80 / 25.4 * 96, abs=1)  # CSS px
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    assert document[0].get_size()[0] == pytest.approx(80 / 25.4 * 72, abs=1)
    assert "王访客" in "".join(document[0].get_textpage().get_text_range().split())
