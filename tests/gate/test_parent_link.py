"""A parent's one-time link, on both databases: made by the class teacher or a manager,
opened with no login, confirmed once through its form (the pass then confirmed, channel
"link"); spent, expired and unknown links answered 410 with a page that says so; only the
token's hash kept; the page bilingual, under the shell's headers, with no inline code, and
never a phone number or the pupil's given name."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from server import db
from server.gate.tables import ParentLinkRow
from tests.conftest import PUBLIC_URL
from tests.factories import make_person, make_school
from tests.gate.gating import ago, gate_school, new_id
from tests.gate.passing import COLLECTOR_PHONE, PARENT_PHONE, exit_body, later, pass_body
from tests.test_request_policy import assert_shell_headers


async def made_pass(api, g, **over) -> str:
    body = pass_body(**over)
    made = await api.post(f"/api/sites/{g.site}/passes", json=body, headers=g.host.headers)
    assert made.status_code == 201, made.text
    return body["pass_id"]


async def link_of(api, g, pass_id: str, person=None) -> tuple[str, dict]:
    answer = await api.post(
        f"/api/passes/{pass_id}/parent-links", headers=(person or g.host).headers
    )
    assert answer.status_code == 201, answer.text
    link = answer.json()
    assert re.fullmatch(r".*/parent/[A-Za-z0-9_-]{43}", link["url"]), link
    return "/parent/" + link["url"].rsplit("/parent/", 1)[1], link


def form(name: str = "王芳", phone: str = PARENT_PHONE) -> dict[str, str]:
    return {"parent_name": name, "parent_phone": phone}


async def test_a_parent_confirms_once_through_the_link(api):
    g = await gate_school(api)
    pass_id = await made_pass(api, g, leave_until=later(60 * 30))
    path, link = await link_of(api, g, pass_id)
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)

    page = await api.get(path)
    assert page.status_code == 200, page.text
    assert_shell_headers(page, "parent page")
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert '<html lang="zh-CN">' in html and 'name="viewport"' in html
    assert "学生离校确认" in html and "Early leave" in html
    assert html.index("学生离校确认") < html.index("Early leave")
    assert "王同学" in html and "王小明" not in html and "小明" not in html
    assert "发烧，家长接回就医" in html and "三年级二班" in html
    assert PARENT_PHONE not in html and COLLECTOR_PHONE not in html
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert '<form method="post">' in html and 'name="parent_phone"' in html
    css = await api.get("/parent/page.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

    # A phone of no known form: the form again, with what is wrong and without the number.
    wrong = await api.post(path, data=form(phone="12345"))
    assert wrong.status_code == 422, wrong.text
    assert "手机号格式不正确" in wrong.text and "12345" not in wrong.text
    assert 'value="王芳"' in wrong.text
    still = await api.get(f"/api/passes/{pass_id}", headers=g.manager.headers)
    assert still.json()["state"] == "awaiting_parent"

    done = await api.post(path, data=form(phone="139 8765 4321"))
    assert done.status_code == 200, done.text
    assert "已确认" in done.text and "Confirmed" in done.text
    assert PARENT_PHONE not in done.text
    leave = (await api.get(f"/api/passes/{pass_id}", headers=g.gatekeeper.headers)).json()
    assert leave["state"] == "confirmed" and leave["blockers"] == []
    assert leave["confirmed_by_parent"] == {
        "name": "王芳",
        "phone_masked": "139****4321",
        "at": leave["confirmed_by_parent"]["at"],
        "channel": "link",
    }

    # Spent: a second use is 410, and so is opening it again.
    again = await api.post(path, data=form(name="李四"))
    assert again.status_code == 410 and "已使用" in again.text and "already used" in again.text
    assert_shell_headers(again, "spent link")
    opened = await api.get(path)
    assert opened.status_code == 410 and "已使用" in opened.text
    leave = (await api.get(f"/api/passes/{pass_id}", headers=g.gatekeeper.headers)).json()
    assert leave["confirmed_by_parent"]["name"] == "王芳"

    # Only the token's hash is kept, and the token is nowhere in any table.
    token = path.rsplit("/", 1)[1]
    rows = await ParentLinkRow.select()
    assert [r["token_sha256"] for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    stored = [repr(row) for table in db.table_classes() for row in await table.select()]
    everything = "\n".join(stored)
    assert token not in everything


async def test_an_expired_or_unknown_link_is_410_with_a_clear_page(api):
    g = await gate_school(api)
    pass_id = await made_pass(api, g)
    path, _ = await link_of(api, g, pass_id, g.manager)
    await ParentLinkRow.update(
        {ParentLinkRow.expires_at: datetime.now(UTC) - timedelta(minutes=1)}
    ).where(ParentLinkRow.pass_id == pass_id)
    for answer in (await api.get(path), await api.post(path, data=form())):
        assert answer.status_code == 410, answer.text
        assert "已过期" in answer.text and "expired" in answer.text
        assert_shell_headers(answer, "expired link")
    leave = (await api.get(f"/api/passes/{pass_id}", headers=g.manager.headers)).json()
    assert leave["confirmed_by_parent"] is None
    for address in (
        "/parent/" + "A" * 43,
        "/parent/x",
        "/parent/" + "z" * 500,
        "/parent/%E7%8E%8B",
    ):
        answer = await api.get(address)
        assert answer.status_code == 410 and "此链接无效" in answer.text, address
        posted = await api.post(address, data=form())
        assert posted.status_code == 410, address

    # A link ends with the pass's window when that comes first; a cancelled pass's link
    # confirms nothing, and no link is made for a pass with nothing left to confirm.
    soon = await made_pass(api, g, leave_until=later(30))
    _, link = await link_of(api, g, soon)
    left = datetime.fromisoformat(link["expires_at"]) - datetime.now(UTC)
    assert timedelta(minutes=28) < left <= timedelta(minutes=30)
    cancelled = await made_pass(api, g)
    path, _ = await link_of(api, g, cancelled)
    await api.post(
        f"/api/passes/{cancelled}/cancellations",
        json={"id": new_id(), "cancelled_at": ago(1)},
        headers=g.host.headers,
    )
    answer = await api.post(path, data=form())
    assert answer.status_code == 410 and "取消" in answer.text
    closed = await api.post(f"/api/passes/{cancelled}/parent-links", headers=g.host.headers)
    assert (closed.status_code, closed.json()["code"]) == (409, "pass.closed")
    gone = await made_pass(api, g)
    await api.post(f"/api/passes/{gone}/exits", json=exit_body(), headers=g.gatekeeper.headers)
    closed = await api.post(f"/api/passes/{gone}/parent-links", headers=g.manager.headers)
    assert (closed.status_code, closed.json()["code"]) == (409, "pass.closed")


async def test_the_form_is_safe_from_other_sites_and_odd_bodies(api):
    g = await gate_school(api)
    pass_id = await made_pass(api, g)
    path, _ = await link_of(api, g, pass_id)
    foreign = await api.post(path, data=form(), headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "<html" in foreign.text
    referred = await api.post(path, data=form(), headers={"Referer": "https://evil.example/x"})
    assert referred.status_code == 403
    as_json = await api.post(path, json=form())
    assert as_json.status_code == 415 and "<html" in as_json.text
    for odd in (
        {"parent_name": "", "parent_phone": PARENT_PHONE},
        {"parent_name": "王" * 101, "parent_phone": PARENT_PHONE},
        {"parent_name": "王芳", "parent_phone": "1" * 500},
        {"parent_phone": PARENT_PHONE},
        {"parent_name": ["王芳", "李四"], "parent_phone": PARENT_PHONE},
    ):
        answer = await api.post(path, data=odd)
        assert answer.status_code == 422, (odd, answer.text)
        assert '<form method="post">' in answer.text
    broken = await api.post(
        path, content=b"\xff\xfe%%%", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert broken.status_code < 500, broken.text
    # The page as the link names it (the public address, a proxy in front) is no stranger.
    public = await api.post(path, data=form(phone="1"), headers={"Origin": PUBLIC_URL})
    assert public.status_code == 422, public.text
    # Still unspent: the right form from the page confirms.
    same_site = await api.post(path, data=form(), headers={"Origin": str(api.base_url).rstrip("/")})
    assert same_site.status_code == 200, same_site.text


async def test_only_the_teacher_or_a_manager_makes_a_link(api):
    g = await gate_school(api)
    pass_id = await made_pass(api, g)
    for person in (g.inspector, g.gatekeeper):
        answer = await api.post(f"/api/passes/{pass_id}/parent-links", headers=person.headers)
        assert (answer.status_code, answer.json()["code"]) == (403, "pass.not_creator")
    stranger = await make_person(await make_school(), "admin")
    answer = await api.post(f"/api/passes/{pass_id}/parent-links", headers=stranger.headers)
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    nobody = await api.post(f"/api/passes/{pass_id}/parent-links")
    assert nobody.status_code == 401
    assert await ParentLinkRow.select() == []
