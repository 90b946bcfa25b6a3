"""A site's people as its admins manage them (the console's people page): roles and when
they end, each person's phones with a lost one revoked, and login locks lifted."""

from __future__ import annotations

from datetime import timedelta

from server import clock
from tests.factories import PASSWORD, make_person, make_school


def people_url(site_id) -> str:
    return f"/api/sites/{site_id}/people"


def member_url(site_id, person) -> str:
    return f"/api/sites/{site_id}/members/{person.user_id}"


async def fail_logins(api, username: str, times: int = 5) -> None:
    for _ in range(times):
        answer = await api.post(
            "/api/auth/login", json={"username": username, "password": "wrong password"}
        )
        assert answer.status_code in (401, 429), answer.text


async def test_the_people_list_has_each_persons_phones_and_locks(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    elsewhere = await make_person(await make_school(), "inspector")
    await fail_logins(api, inspector.username)

    listed = await api.get(people_url(school.site_id), headers=manager.headers)
    assert listed.status_code == 200, listed.text
    people = {p["username"]: p for p in listed.json()}
    assert set(people) == {admin.username, manager.username, inspector.username}
    assert elsewhere.username not in people
    assert people[inspector.username]["locked_out"] is True
    assert people[admin.username]["locked_out"] is False
    phone = people[inspector.username]["phones"]
    assert [p["name"] for p in phone] == ["test phone"] and phone[0]["revoked_at"] is None
    assert phone[0]["last_seen_at"] is None  # the phone's token was never used
    await api.get("/api/me", headers=inspector.headers)
    again = {
        p["username"]: p
        for p in (await api.get(people_url(school.site_id), headers=manager.headers)).json()
    }
    assert again[inspector.username]["phones"][0]["last_seen_at"] is not None

    # Only the site's managers see it; an inspector of the site and an outsider do not.
    for stranger in (inspector, elsewhere):
        refused = await api.get(people_url(school.site_id), headers=stranger.headers)
        assert refused.status_code in (403, 404), refused.text


async def test_an_admin_lifts_a_lock_and_the_person_logs_in_at_once(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    guard = await make_person(school, "guard")
    await fail_logins(api, guard.username)
    login = {"username": guard.username, "password": PASSWORD}
    assert (await api.post("/api/auth/login", json=login)).status_code == 429
    url = f"{member_url(school.site_id, guard)}/unlock"
    assert (await api.post(url, headers=manager.headers)).status_code == 403
    lifted = await api.post(url, headers=admin.headers)
    assert lifted.status_code == 200 and lifted.json()["locked_out"] is False
    api.cookies.clear()
    assert (await api.post("/api/auth/login", json=login)).status_code == 200


async def test_an_admin_changes_a_role_ends_access_and_revokes_a_lost_phone(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    guard = await make_person(school, "guard")
    url = member_url(school.site_id, inspector)

    changed = await api.patch(url, json={"role": "maintainer"}, headers=admin.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "maintainer"
    twice = await api.patch(url, json={"role": "maintainer"}, headers=admin.headers)
    assert twice.json() == changed.json()
    me = (await api.get("/api/me", headers=inspector.headers)).json()
    assert [s["role"] for s in me["sites"]] == ["maintainer"]

    ended = await api.patch(
        member_url(school.site_id, guard),
        json={"expires_at": (clock.utcnow() - timedelta(minutes=1)).isoformat()},
        headers=admin.headers,
    )
    assert ended.status_code == 200, ended.text
    assert (await api.get("/api/me", headers=guard.headers)).json()["sites"] == []

    phones = {
        p["username"]: p["phones"]
        for p in (await api.get(people_url(school.site_id), headers=admin.headers)).json()
    }
    lost = phones[inspector.username][0]["token_id"]
    assert (await api.delete(f"/api/tokens/{lost}", headers=admin.headers)).status_code == 200
    assert (await api.get("/api/me", headers=inspector.headers)).status_code == 401
    after = {
        p["username"]: p["phones"]
        for p in (await api.get(people_url(school.site_id), headers=admin.headers)).json()
    }
    assert after[inspector.username][0]["revoked_at"] is not None


async def test_bad_member_changes_are_refused_with_the_field_and_change_nothing(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    outsider = await make_person(await make_school(), "inspector")
    url = member_url(school.site_id, inspector)
    cases = [
        (admin, url, {"role": "janitor"}, 400, "request.invalid", "role"),
        (admin, url, {"role": "auditor"}, 400, "request.invalid", "expires_at"),
        (admin, url, {"role": 7}, 400, "request.invalid", "role"),
        (
            admin,
            member_url(school.site_id, admin),
            {"role": "manager"},
            409,
            "member.own_role",
            None,
        ),
        (admin, member_url(school.site_id, outsider), {"role": "guard"}, 404, "not_found", None),
        (manager, url, {"role": "guard"}, 403, "auth.forbidden", None),
    ]
    for who, where, body, status, code, field in cases:
        answer = await api.patch(where, json=body, headers=who.headers)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["code"] == code and answer.json().get("field") == field, answer.text
    people = {
        p["username"]: p["role"]
        for p in (await api.get(people_url(school.site_id), headers=admin.headers)).json()
    }
    assert people == {
        admin.username: "admin",
        manager.username: "manager",
        inspector.username: "inspector",
    }
