"""Managing a site's webhooks: admins only; managers see deliveries; secrets never leave."""

from __future__ import annotations

import pytest

from tests.factories import make_person, make_school
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.notifications.helpers import add_webhook, dispatch


def base(school) -> str:
    return f"/api/sites/{school.site_id}/webhooks"


async def test_an_admin_adds_lists_changes_and_removes_a_webhook(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    hook = await add_webhook(
        api,
        admin,
        school,
        "https://oapi.dingtalk.com/robot/send?access_token=abc",
        ["finding.high", "digest.daily", "finding.high"],
        format="dingtalk",
        secret="SECabc",
    )
    assert hook["events"] == ["finding.high", "digest.daily"]
    assert hook["has_secret"] is True and "secret" not in hook
    assert hook["active"] is True and hook["format"] == "dingtalk"

    listed = (await api.get(base(school), headers=admin.headers)).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "SECabc" not in str(listed)

    url = f"{base(school)}/{hook['id']}"
    changed = await api.patch(
        url, json={"events": ["action.overdue"], "secret": None}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["action.overdue"]
    assert changed.json()["has_secret"] is False
    assert changed.json()["url"] == hook["url"]
    assert (await api.get(url, headers=admin.headers)).json() == changed.json()

    assert (await api.delete(url, headers=admin.headers)).status_code == 204
    assert (await api.get(url, headers=admin.headers)).status_code == 404
    assert (await api.get(f"{url}/deliveries", headers=admin.headers)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://files.example.cn/hook", "events": ["finding.high"]}, "url"),
        ({"url": "https://", "events": ["finding.high"]}, "url"),
        ({"url": "javascript:alert(1)", "events": ["finding.high"]}, "url"),
        ({"url": "https://x.example/h", "events": []}, "events"),
        ({"url": "https://x.example/h", "events": ["finding.low"]}, "events"),
        ({"url": "https://x.example/h", "events": ["digest.daily"], "format": "slack"}, "format"),
        ({"url": "https://x.example/h", "events": ["digest.daily"], "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_webhook_is_refused_naming_the_field(api, body, field):
    school = await make_school()
    admin = await make_person(school, "admin")
    response = await api.post(base(school), json=body, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "request.invalid"
    assert field in (response.json().get("field") or "")


async def test_only_admins_manage_webhooks_and_managers_see_deliveries(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    hook = await add_webhook(api, admin, school, "https://h.example/x", ["finding.high"])
    url = f"{base(school)}/{hook['id']}"
    body = {"url": "https://h.example/y", "events": ["digest.daily"]}
    for role in ("manager", "inspector", "maintainer", "auditor"):
        person = await make_person(school, role)
        refused = [
            await api.post(base(school), json=body, headers=person.headers),
            await api.get(base(school), headers=person.headers),
            await api.get(url, headers=person.headers),
            await api.patch(url, json={"active": False}, headers=person.headers),
            await api.delete(url, headers=person.headers),
        ]
        assert {r.status_code for r in refused} == {403}, role
        assert {r.json()["code"] for r in refused} == {"auth.forbidden"}
        deliveries = await api.get(f"{url}/deliveries", headers=person.headers)
        assert deliveries.status_code == (200 if role == "manager" else 403), role


async def test_another_sites_webhooks_are_not_found(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    hook = await add_webhook(api, admin, school, "https://h.example/x", ["finding.high"])
    other = await make_school()
    other_admin = await make_person(other, "admin")
    stranger = await api.get(f"{base(school)}/{hook['id']}", headers=other_admin.headers)
    assert stranger.status_code == 404
    listing = await api.get(base(school), headers=other_admin.headers)
    assert listing.status_code == 404
    # An admin of both sites still cannot reach one site's webhook through the other.
    both = await make_person(other, "admin", extra_sites={school.site_id: "admin"})
    across = await api.get(f"{base(other)}/{hook['id']}", headers=both.headers)
    assert across.status_code == 404
    assert (await api.get(base(other), headers=both.headers)).json() == []


async def test_the_secret_is_never_sent_back_by_any_answer(api, receiver):
    secret = "SEC-do-not-show-0123456789"
    school, admin, inspector, asset = await extinguisher_school()
    manager = await make_person(school, "manager")
    created = await api.post(
        base(school),
        json={"url": receiver.url(), "events": ["finding.high"], "secret": secret},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    url = f"{base(school)}/{created.json()['id']}"
    body = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    assert (await submit(api, inspector, body)).status_code == 201
    assert (await dispatch()).delivered == 1
    answers = [
        created,
        await api.get(base(school), headers=admin.headers),
        await api.get(url, headers=admin.headers),
        await api.patch(url, json={"events": ["finding.high"]}, headers=admin.headers),
        await api.get(f"{url}/deliveries", headers=admin.headers),
        await api.get(f"{url}/deliveries", headers=manager.headers),
    ]
    assert [answer.status_code for answer in answers] == [201, 200, 200, 200, 200, 200]
    assert [secret in answer.text for answer in answers] == [False] * len(answers)
    assert created.json()["has_secret"] is True
    # It is used all the same: the receiver got the body signed with it.
    assert receiver.requests[0].headers["x-roundkeeper-signature"].startswith("sha256=")
