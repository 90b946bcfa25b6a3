"""The visitor slip (会客单): what the gate hands a visitor at check-in and takes back at
check-out, as an A6 PDF and as a page for an 80 mm thermal printer. Pure: a visit's
register entry (`VisitOut`) in, bytes or text out.

The slip carries the visitor's masked ID and never their phone: it travels round the
school in the visitor's hand. Its QR is the visit's address in the app, which the gate
scans at check-out. The host signs on it at the end of the visit (the register's
"host's signature at exit"); once the host has signed in the app, the slip says so and
draws the signature. A visit whose check-in has not reached the server yet, or whose
personal fields the retention purge removed, still gets a slip that says so: a gatekeeper
printing it must see why it is empty, not an error.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from qr.fonts import FontFile, TextMetrics, font_metrics
from qr.render import QUIET_ZONE, dark_runs, qr_svg, qr_symbol
from qr.sheets import _registered_font
from server.gate.wire import VisitOut

Strokes = Sequence[Sequence[float]]
"""A drawn signature: strokes of x, y, x, y, ... in the drawing's own units."""

STYLESHEET = "/web/app/slip.css"
"""The thermal page's styles, a file of the app's (the pages' policy allows no inline
style)."""

PURGED = "visit.purged"
"""The flag of a visit whose personal fields the retention purge removed."""

_ID_KINDS = {
    "resident_id": "身份证 / Resident ID",
    "passport": "护照 / Passport",
    "hk_macao_travel_permit": "港澳通行证 / HK-Macao permit",
    "taiwan_travel_permit": "台湾通行证 / Taiwan permit",
    "residence_permit": "居住证 / Residence permit",
    "permanent_residence_id": "永居证 / Permanent residence",
    "other": "其他证件 / Other",
    "none": "未出示 / None shown",
}
_STATES = {
    "pending": "待被访人同意 / awaiting the host",
    "approved": "被访人已同意 / approved by the host",
    "refused": "被访人拒绝 / refused",
    "inside": "在校内 / inside",
    "left": "已离开 / left",
}


@dataclass(frozen=True, slots=True)
class SlipLine:
    label: str
    """Bilingual, zh-CN first: `访客 / Visitor`."""
    value: str


@dataclass(frozen=True, slots=True)
class SlipContent:
    """What a slip says, decided once for both renderings."""

    site_name: str
    url: str
    lines: tuple[SlipLine, ...]
    notice: str | None
    signed: str | None
    """`已签字 / signed` and the time, once the host has signed."""
    strokes: tuple[tuple[float, ...], ...]
    checked_out: str | None


def visit_url(public_url: str, visit_id: object) -> str:
    """The address in a slip's QR: the visit in the app, which the gate scans to check the
    visitor out (and the host opens to decide or sign)."""
    return f"{public_url.rstrip('/')}/app/visits/{visit_id}"


def _when(value: Any, zone: ZoneInfo) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        return ""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _usable_strokes(strokes: Strokes) -> tuple[tuple[float, ...], ...]:
    """The strokes that can be drawn: pairs of finite numbers, at least two points each."""
    kept: list[tuple[float, ...]] = []
    for stroke in strokes:
        try:
            numbers = tuple(float(v) for v in stroke)
        except (TypeError, ValueError):
            continue
        numbers = numbers[: len(numbers) // 2 * 2]
        if len(numbers) >= 4 and all(abs(v) < 1e9 for v in numbers):
            kept.append(numbers)
    return tuple(kept)


def slip_content(
    visit: VisitOut, *, public_url: str, timezone: str, site_name: str, strokes: Strokes = ()
) -> SlipContent:
    """The slip's lines: what the register holds, in the site's time; a field it does not
    hold (no plate, no badge) is left out rather than printed empty."""
    zone = ZoneInfo(timezone)
    purged = PURGED in visit.flags
    notice = None
    if purged:
        notice = "个人信息已按保留期限清除 / Personal details removed after the retention period"
    elif visit.visitor is None:
        notice = (
            "此来访的登记尚未到达服务器，请稍后再打印 / "
            "The check-in of this visit has not reached the server yet: print again later"
        )
    lines: list[SlipLine] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, ""):
            lines.append(SlipLine(label, str(value)))

    add("访客 / Visitor", visit.visitor)
    add("单位 / Organisation", visit.organisation)
    if visit.id_type is not None:
        kind = _ID_KINDS.get(visit.id_type, visit.id_type)
        add("证件 / ID", f"{kind} {visit.id_masked or ''}".strip())
    if visit.host is not None:
        add("被访人 / Host", visit.host.name)
    add("事由 / Purpose", visit.purpose)
    add("人数 / Party", visit.party_size)
    add("车牌 / Plate", visit.plate)
    add("访客证 / Badge", visit.badge)
    add("状态 / State", _STATES.get(visit.state, visit.state))
    add("进入 / In", _when(visit.entered_at or visit.checked_in_at, zone))
    add("预计离开 / Until", _when(visit.expected_until, zone))
    signed = f"已签字 / signed {_when(visit.signed_at, zone)}" if visit.signed_at else None
    out = _when(visit.checked_out_at, zone)
    return SlipContent(
        site_name=site_name,
        url=visit_url(public_url, visit.id),
        lines=tuple(lines),
        notice=notice,
        signed=signed,
        strokes=_usable_strokes(strokes) if signed else (),
        checked_out=f"离开 / Out {out}" if out else None,
    )


def _wrapped(text: str, metrics: TextMetrics, size: float, width: float) -> list[str]:
    """`text` broken into lines of at most `width` (same unit as `size`): before or after
    any Chinese character, between Latin words at spaces, inside a word only when it is
    wider than a line by itself."""
    words = _tokens(text)
    lines: list[str] = []
    line = ""
    for word in words:
        if not line and word.isspace():
            continue
        if metrics.width(line + word) * size <= width:
            line += word
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = "" if word.isspace() else word
        while metrics.width(line) * size > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and metrics.width(line[:cut]) * size > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _tokens(text: str) -> list[str]:
    """Runs of Latin letters and digits (a word, a masked number), runs of spaces, and
    every other character alone."""
    return re.findall(r"\s+|[^\s\u2e80-\uffff]+|.", text)


def _fitted(strokes: tuple[tuple[float, ...], ...], width: float, height: float) -> list[Any]:
    """The strokes scaled into a box of `width` x `height`, y down, proportions kept."""
    xs = [v for s in strokes for v in s[0::2]]
    ys = [v for s in strokes for v in s[1::2]]
    span = max(max(xs) - min(xs), (max(ys) - min(ys)) * width / height, 1e-9)
    scale = width / span
    left, top = min(xs), min(ys)
    return [
        [((x - left) * scale, (y - top) * scale) for x, y in zip(s[0::2], s[1::2], strict=True)]
        for s in strokes
    ]


A6 = (105.0, 148.0)
_MARGIN = 7.0
_QR_SIDE = 30.0
_LABEL_WIDTH = 27.0


def slip_pdf(content: SlipContent, *, font: FontFile) -> bytes:
    """The slip on one A6 page. The font must embed (a TrueType CJK font,
    `qr.fonts.find_cjk_font`): the slip is mostly Chinese."""
    width, height = A6
    metrics = font_metrics(font)
    name = _registered_font(font)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width * mm, height * mm), pageCompression=1, invariant=1)
    canvas.setTitle("会客单 Visitor slip")

    def text(x: float, top: float, line: str, size: float) -> None:
        """`top` in mm from the page's top edge to the line's top; size in mm."""
        canvas.setFont(name, size * mm)
        canvas.drawString(x * mm, (height - top - metrics.ascent * size) * mm, line)

    # The QR, top right, with its quiet zone.
    symbol = qr_symbol(content.url)
    module = _QR_SIDE / (len(symbol) + 2 * QUIET_ZONE)
    qr_left, qr_top = width - _MARGIN - _QR_SIDE, _MARGIN - 2
    canvas.saveState()
    canvas.transform(
        module * mm,
        0,
        0,
        -module * mm,
        (qr_left + QUIET_ZONE * module) * mm,
        (height - qr_top - QUIET_ZONE * module) * mm,
    )
    canvas.addLiteral(" ".join(f"{c} {r} {n} 1 re" for r, c, n in dark_runs(symbol)) + " f")
    canvas.restoreState()
    text(qr_left + 2, qr_top + _QR_SIDE, "离校时出示 / Show at exit", 2.2)

    head = qr_left - _MARGIN - 2
    top = _MARGIN
    text(_MARGIN, top, "会客单", 7.0)
    top += 8.0
    text(_MARGIN, top, "Visitor slip", 3.6)
    top += 5.0
    for line in _wrapped(content.site_name, metrics, 3.0, head)[:2]:
        text(_MARGIN, top, line, 3.0)
        top += 4.0
    top = max(top, qr_top + _QR_SIDE + 4.0)
    line_height = 1.25
    if content.notice:
        for line in _wrapped(content.notice, metrics, 3.0, width - 2 * _MARGIN):
            text(_MARGIN, top, line, 3.0)
            top += 3.0 * line_height
        top += 2.0
    value_width = width - 2 * _MARGIN - _LABEL_WIDTH
    for entry in content.lines:
        labels = _wrapped(entry.label, metrics, 2.4, _LABEL_WIDTH - 1)
        values = _wrapped(entry.value, metrics, 3.4, value_width)
        for n, label in enumerate(labels):
            text(_MARGIN, top + 0.6 + n * 2.4 * line_height, label, 2.4)
        for n, value in enumerate(values):
            text(_MARGIN + _LABEL_WIDTH, top + n * 3.4 * line_height, value, 3.4)
        top += max(len(values) * 3.4, len(labels) * 2.4) * line_height + 1.2
        if top > height - 40:
            break

    # The host's signature, at the foot of the page.
    box_top = height - _MARGIN - 22
    text(_MARGIN, box_top, "被访人签字 / Host's signature", 2.6)
    canvas.setLineWidth(0.3 * mm)
    canvas.line(
        _MARGIN * mm,
        (height - box_top - 18) * mm,
        (width - _MARGIN) * mm,
        (height - box_top - 18) * mm,
    )
    if content.signed:
        text(width - _MARGIN - metrics.width(content.signed) * 2.6, box_top, content.signed, 2.6)
    if content.strokes:
        canvas.setLineWidth(0.4 * mm)
        canvas.setLineCap(1)
        canvas.setLineJoin(1)
        for stroke in _fitted(content.strokes, 60.0, 13.0):
            path = canvas.beginPath()
            (x0, y0), *rest = stroke
            path.moveTo((_MARGIN + 4 + x0) * mm, (height - box_top - 4 - y0) * mm)
            for x, y in rest:
                path.lineTo((_MARGIN + 4 + x) * mm, (height - box_top - 4 - y) * mm)
            canvas.drawPath(path, stroke=1, fill=0)
    if content.checked_out:
        text(_MARGIN, height - _MARGIN - 3.0, content.checked_out, 3.0)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _signature_svg(strokes: tuple[tuple[float, ...], ...]) -> str:
    paths = "".join(
        '<path d="M'
        + " L".join(f"{x:.2f} {y:.2f}" for x, y in stroke)
        + '" fill="none" stroke="#000" stroke-width="0.6" stroke-linecap="round"/>'
        for stroke in _fitted(strokes, 60.0, 15.0)
    )
    return f'<svg class="signature" viewBox="-1 -1 62 17" xmlns="http://www.w3.org/2000/svg">{paths}</svg>'


def slip_html(content: SlipContent) -> str:
    """The slip as a page for an 80 mm receipt printer (`@page { size: 80mm auto }` in the
    stylesheet), the QR inline as SVG: it prints from the browser with nothing else to
    fetch but the stylesheet."""
    rows = "".join(
        f"<tr><th>{escape(line.label)}</th><td>{escape(line.value)}</td></tr>"
        for line in content.lines
    )
    notice = f'<p class="notice">{escape(content.notice)}</p>' if content.notice else ""
    signed = f'<p class="signed">{escape(content.signed)}</p>' if content.signed else ""
    drawn = _signature_svg(content.strokes) if content.strokes else ""
    out = f'<p class="out">{escape(content.checked_out)}</p>' if content.checked_out else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>会客单 Visitor slip</title>"
        f'<link rel="stylesheet" href="{STYLESHEET}"></head>'
        '<body class="slip"><main>'
        f'<h1>会客单 <span lang="en">Visitor slip</span></h1>'
        f'<p class="site">{escape(content.site_name)}</p>'
        f"{notice}<table>{rows}</table>"
        f'<figure class="qr">{qr_svg(content.url)}'
        "<figcaption>离校时出示 / Show at exit</figcaption></figure>"
        f'<section class="sign"><h2>被访人签字 / Host\'s signature</h2>{signed}{drawn}'
        f'<div class="line"></div></section>{out}'
        "</main></body></html>"
    )
