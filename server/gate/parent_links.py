"""A parent's one-time link to confirm an early-leave pass, and the page it opens.

The class teacher (or a manager) makes a link for a pass and sends it to the parent (by
WeChat, by text). The link's token is 32 random bytes; only its SHA-256 is kept, so the
table cannot give a working link back. It is valid for 24 hours or until the pass's window
ends, whichever comes first, and is spent by its first confirmation.

The page (`/parent/{token}`) is for a parent's phone, most often WeChat's browser: plain
server-rendered HTML, no login, no script, Chinese first and English after. It says only
what the parent needs to recognise the pass (the pupil's surname + 同学, the reason, the
window) and never a phone number. Its form posts back to the same address: a page on
another site cannot post there, as it cannot know the token (and a post that says it
comes from another origin is refused all the same). A spent, expired or unknown link is
answered 410 with a page that says so.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath

from server import clock
from server.accounts.access import MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.db import transaction
from server.deps import AppSettings
from server.errors import DomainError, not_found
from server.gate.contacts import check_phone
from server.gate.pass_facts import NOT_CREATOR, confirm_by_link
from server.gate.pass_register import CREATORS, is_creator, pass_site, stored_pass
from server.gate.pass_wire import ParentLinkOut, PassOut
from server.gate.tables import ParentLinkRow
from server.wire import value_problem

LINK_LIFETIME = timedelta(hours=24)
PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
"""Besides the shell's (added to every page): the token never leaves in a Referer, and
no cache keeps a page that names a pupil."""
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


async def create_link(caller: Caller, pass_id: uuid.UUID, base_url: str) -> ParentLinkOut:
    """A new link for the pass (its class teacher or a manager). 409 `pass.closed` for a
    pass cancelled, used, or whose window is over: nothing is left to confirm."""
    site, out = await pass_site(caller, pass_id)
    if caller.require(site, CREATORS, "pass") not in MANAGERS and not is_creator(caller, out):
        raise DomainError(NOT_CREATOR, "only the pass's class teacher or a manager may do this")
    if out is None or out.leave_until is None:
        raise not_found("pass")
    now = clock.utcnow()
    if out.state in ("cancelled", "exited") or out.leave_until <= now:
        raise DomainError(
            "pass.closed",
            f"this pass is {out.state if out.state in ('cancelled', 'exited') else 'over'}",
        )
    token = new_token()
    expires_at = min(now + LINK_LIFETIME, out.leave_until)
    async with transaction():
        await ParentLinkRow.insert(
            ParentLinkRow(
                id=clock.new_id(),
                pass_id=pass_id,
                site=site,
                token_sha256=token_hash(token),
                created_by=caller.user_id,
                created_at=now,
                expires_at=expires_at,
                used_at=None,
            )
        )
    return ParentLinkOut(url=f"{base_url.rstrip('/')}/parent/{token}", expires_at=expires_at)


# --- the page ---------------------------------------------------------------------------


async def _link(token: str) -> dict[str, Any] | None:
    if len(token) > 100:
        return None
    rows = await ParentLinkRow.select().where(ParentLinkRow.token_sha256 == token_hash(token))
    return rows[0] if rows else None


def _gone(link: dict[str, Any] | None, out: PassOut | None, now: datetime) -> str | None:
    """Why the link no longer confirms anything (the page's text), or None."""
    if link is None or out is None:
        return "unknown"
    if link["used_at"] is not None:
        return "used"
    if link["expires_at"] <= now:
        return "expired"
    if out.state in ("cancelled", "exited"):
        return out.state
    return None


GONE_TEXT = {
    "unknown": ("此链接无效。", "This link is not valid."),
    "used": ("此链接已使用过：家长已确认。", "This link was already used: a parent has confirmed."),
    "expired": ("此链接已过期。", "This link has expired."),
    "cancelled": ("班主任已取消此离校申请。", "The class teacher cancelled this early leave."),
    "exited": ("学生已离校。", "The pupil has already left."),
}


def surname(pupil: str | None) -> str:
    """The pupil as the page names them: the surname (the first character of a Chinese
    name, the first word of another) and 同学, never the given name."""
    name = (pupil or "").strip()
    if not name:
        return "同学"
    first = name[0]
    family = first if "\u3400" <= first <= "\u9fff" else name.split()[0]
    return f"{family}同学"


def _page(title: tuple[str, str], body: str) -> bytes:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title[0])} · {escape(title[1])}</title>"
        '<link rel="stylesheet" href="/parent/page.css"></head><body><main>'
        f'<h1>{escape(title[0])}<span lang="en">{escape(title[1])}</span></h1>'
        f"{body}</main></body></html>"
    ).encode()


def _said(zh: str, en: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<p{cls}>{escape(zh)}<br><span lang="en">{escape(en)}</span></p>'


def _window(out: PassOut, zone: str) -> str:
    assert out.leave_from is not None and out.leave_until is not None
    tz = ZoneInfo(zone)
    start, end = out.leave_from.astimezone(tz), out.leave_until.astimezone(tz)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {until}"


def _form_page(
    out: PassOut, zone: str, name: str = "", problem: tuple[str, str] | None = None
) -> bytes:
    rows = [
        ("学生", "Pupil", surname(out.pupil)),
        ("班级", "Class", out.class_name),
        ("事由", "Reason", out.reason),
        ("离校时间", "Leaving", _window(out, zone)),
        ("接送人", "Collected by", out.collector or "学生自行离校 / leaves alone"),
    ]
    details = "".join(
        f'<dt>{escape(zh)} <span lang="en">{escape(en)}</span></dt><dd>{escape(value)}</dd>'
        for zh, en, value in rows
        if value
    )
    error = _said(*problem, css="error") if problem else ""
    form = (
        '<form method="post">'
        f"{error}"
        '<label for="parent_name">家长姓名 <span lang="en">Parent\'s name</span></label>'
        '<input id="parent_name" name="parent_name" type="text" required maxlength="100" '
        f'autocomplete="name" value="{escape(name)}">'
        '<label for="parent_phone">家长手机号 <span lang="en">Parent\'s phone</span></label>'
        '<input id="parent_phone" name="parent_phone" type="tel" required maxlength="40" '
        'inputmode="tel" autocomplete="tel">'
        '<button type="submit">确认同意离校<span lang="en">I agree to the early leave</span>'
        "</button></form>"
    )
    intro = _said(
        "班主任为您的孩子申请了离校。请核对后确认。",
        "The class teacher has asked for your child to leave school early. "
        "Please check and confirm.",
    )
    return _page(("学生离校确认", "Early leave"), f"{intro}<dl>{details}</dl>{form}")


def _gone_page(why: str) -> bytes:
    zh, en = GONE_TEXT[why]
    body = _said(zh, en) + _said(
        "如有疑问，请联系班主任。", "If anything is unclear, please contact the class teacher."
    )
    return _page(("链接已失效", "Link no longer valid"), body)


def _html(body: bytes, status: int = 200) -> Response[bytes]:
    return Response(body, status_code=status, media_type="text/html", headers=PAGE_HEADERS)


def _foreign_origin(request: Request, public_url: str) -> bool:
    """A post a browser says comes from a page of another site (`Origin`, or `Referer`
    when there is no Origin): neither this server's public address (what the link names,
    behind a proxy too) nor the host the request was sent to. Neither sent (old browsers,
    a no-referrer page): not foreign, the token is what the post needs."""
    ours = {request.headers.get("host", ""), urlsplit(public_url).netloc}
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        return urlsplit(origin).netloc not in ours
    referer = request.headers.get("referer")
    return referer is not None and urlsplit(referer).netloc not in ours | {""}


def _one(form: Any, name: str) -> str | None:
    """A field sent once as text; None when missing, repeated or a file."""
    values = form.getall(name, [])
    return values[0].strip() if len(values) == 1 and isinstance(values[0], str) else None


def _checked(form: Any) -> tuple[str, str] | tuple[str, str, str]:
    """(name, phone) kept from the form, or (zh, en, "") saying what is wrong."""
    name = _one(form, "parent_name")
    phone = _one(form, "parent_phone") or ""
    if not name or len(name) > 100 or value_problem(name):
        return ("请填写家长姓名。", "Please give the parent's name.", "")
    checked = check_phone(phone, landline=True) if len(phone) <= 40 else None
    if checked is None or checked.value is None:
        return (
            "手机号格式不正确：11位手机号，或区号加座机号。",
            "The phone number is not valid: 11 digits for a mobile, or an area code and number.",
            "",
        )
    return (name, checked.value)


class ParentPageController(Controller):
    """The parent's page: no login, no script, 410 once the link is no longer valid."""

    path = "/parent"
    include_in_schema = False

    @get("/page.css", cache=False)
    async def style(self) -> Response[bytes]:
        return Response(
            CSS.encode(),
            media_type="text/css",
            headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @get("/{token:str}", cache=False)
    async def show(self, token: FromPath[str]) -> Response[bytes]:
        link = await _link(token)
        out = await stored_pass(link["pass_id"]) if link else None
        why = _gone(link, out, clock.utcnow())
        if why is not None or out is None or link is None:
            return _html(_gone_page(why or "unknown"), 410)
        zone = (await site_timezones([link["site"]]))[link["site"]]
        return _html(_form_page(out, zone))

    @post("/{token:str}", status_code=200)
    async def confirm(
        self, request: Request, settings: AppSettings, token: FromPath[str]
    ) -> Response[bytes]:
        if _foreign_origin(request, settings.public_url):
            return _html(
                _page(
                    ("无法确认", "Cannot confirm"),
                    _said(
                        "请在收到的链接中打开此页面。", "Open this page from the link you received."
                    ),
                ),
                403,
            )
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media not in FORM_TYPES:
            return _html(
                _page(
                    ("无法确认", "Cannot confirm"),
                    _said("请使用页面上的表单。", "Use the form on the page."),
                ),
                415,
            )
        link = await _link(token)
        out = await stored_pass(link["pass_id"]) if link else None
        now = clock.utcnow()
        why = _gone(link, out, now)
        if why is not None or out is None or link is None:
            return _html(_gone_page(why or "unknown"), 410)
        zone = (await site_timezones([link["site"]]))[link["site"]]
        try:
            form: Any = await request.form()
        except Exception:  # an unreadable form is the parent's to send again
            form = FormMultiDict()
        checked = _checked(form)
        if len(checked) == 3:
            typed = (_one(form, "parent_name") or "")[:100]
            return _html(_form_page(out, zone, typed, (checked[0], checked[1])), 422)
        name, phone = checked
        async with transaction():
            spent = (
                await ParentLinkRow.update({ParentLinkRow.used_at: now})
                .where(
                    (ParentLinkRow.id == link["id"])
                    & ParentLinkRow.used_at.is_null()
                    & (ParentLinkRow.expires_at > now)
                )
                .returning(ParentLinkRow.id)
            )
            if spent:
                await confirm_by_link(link["pass_id"], link["site"], name, phone)
        if not spent:
            return _html(_gone_page("used"), 410)
        body = _said(
            "已确认，谢谢。学生离校时门卫将核对。",
            "Confirmed, thank you. The gate will check the pupil out.",
        )
        return _html(_page(("已确认", "Confirmed"), body))


CSS = """
body{margin:0;font:17px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
color:#1a1a1a;background:#f6f6f4}
main{max-width:32rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
h1 span,dt span,label span,button span{display:block;font-size:.8em;font-weight:normal;color:#555}
dl{background:#fff;border-radius:.5rem;padding:.5rem 1rem;margin:0 0 1rem}
dt{margin-top:.5rem;color:#555;font-size:.9rem}
dd{margin:0 0 .25rem;font-size:1.1rem}
label{display:block;margin-top:1rem}
input{box-sizing:border-box;width:100%;font-size:1.1rem;padding:.6rem;margin-top:.25rem;
border:1px solid #999;border-radius:.4rem}
button{display:block;width:100%;margin-top:1.5rem;padding:.8rem;font-size:1.15rem;
color:#fff;background:#0a6b3d;border:0;border-radius:.5rem}
button span{color:#e6f2ec}
.error{color:#a00;font-weight:bold}
p span{color:#555}
"""
