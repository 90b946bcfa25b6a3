"""Who may see a site's usernames, and what an admin learns when a username is taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server import clock
from server.accounts.tables import UsernameRefusal
from server.accounts.users import USERNAME_REFUSALS
from tests.factories import make_person, make_school


def member(username: str, role: str = "guard") -> dict[str, str]:
    return {"username": username, "display_name": "新保安", "password": "long enough", "role": role}


async def test_a_taken_username_is_refused_alike_whichever_organization_holds_it(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    colleague = await make_person(school, "guard")
    elsewhere = await make_person(await make_school(), "guard")
    url = f"/api/sites/{school.site_id}/members"
    mine = await api.post(url, json=member(colleague.username), headers=admin.headers)
    theirs = await api.post(url, json=member(elsewhere.username), headers=admin.headers)
    assert mine.status_code == theirs.status_code == 409
    assert mine.json() == theirs.json()
    assert theirs.json() == {
        "code": "user.username_taken",
        "detail": "this username is not available; choose another",
        "field": "username",
    }


async def test_every_taken_username_asked_for_is_recorded_with_who_asked(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    elsewhere = await make_person(await make_school(), "guard")
    url = f"/api/sites/{school.site_id}/members"
    await api.post(url, json=member(elsewhere.username), headers=admin.headers)
    assert (await api.post(url, json=member("brand-new"), headers=admin.headers)).status_code == 201
    rows = await UsernameRefusal.select(UsernameRefusal.admin, UsernameRefusal.username)
    assert rows == [{"admin": admin.user_id, "username": elsewhere.username}]


async def test_an_admin_told_of_too_many_taken_usernames_may_add_no_one_for_a_day(api, monkeypatch):
    school = await make_school()
    admin = await make_person(school, "admin")
    other_admin = await make_person(school, "admin")
    elsewhere = await make_person(await make_school(), "guard")
    url = f"/api/sites/{school.site_id}/members"
    for _ in range(USERNAME_REFUSALS):
        taken = await api.post(url, json=member(elsewhere.username), headers=admin.headers)
        assert taken.status_code == 409
    for username in (elsewhere.username, "free-name"):
        limited = await api.post(url, json=member(username), headers=admin.headers)
        assert limited.status_code == 429, username
        assert limited.json()["code"] == "auth.rate_limited"
        assert 0 < int(limited.headers["retry-after"]) <= 86400
    # The limit is the admin's own, and it ends a day after the refusals.
    created = await api.post(url, json=member("free-name"), headers=other_admin.headers)
    assert created.status_code == 201
    tomorrow = datetime.now(UTC) + timedelta(days=1, minutes=1)
    monkeypatch.setattr(clock, "utcnow", lambda: tomorrow)
    again = await api.post(url, json=member("free-name-2"), headers=admin.headers)
    assert again.status_code == 201, again.text


async def test_only_the_sites_managers_list_its_usernames(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    url = f"/api/sites/{school.site_id}/members"
    for who in (admin, manager):
        listed = await api.get(url, headers=who.headers)
        assert {m["username"] for m in listed.json()} == {admin.username, manager.username}
    for role in ("inspector", "guard", "gatekeeper", "maintainer", "auditor"):
        person = await make_person(school, role, expires_at=datetime.now(UTC) + timedelta(days=7))
        refused = await api.get(url, headers=person.headers)
        assert refused.status_code == 403, role
        assert refused.json()["code"] == "auth.forbidden"
