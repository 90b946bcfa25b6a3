from __future__ import annotations

import httpx

from tests.factories import PASSWORD, make_person, make_school


async def login(api: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await api.post("/api/auth/login", json={"username": username, "password": password})


async def test_login_sets_httponly_session_cookie_and_returns_csrf_token(api):
    school = await make_school()
    person = await make_person(school, "inspector")
    response = await login(api, person.username)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == person.username
    assert body["user"]["sites"][0]["role"] == "inspector"
    set_cookie = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    session_cookie = next(c for c in set_cookie if c.startswith("rk_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie or "samesite=lax" in session_cookie.lower()
    assert len(body["csrf_token"]) >= 32
    me = await api.get("/api/me")
    assert me.status_code == 200
    assert me.json()["username"] == person.username


async def test_unsafe_request_with_session_needs_the_csrf_header(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    csrf = (await login(api, admin.username)).json()["csrf_token"]
    body = {"site_id": str(school.site_id), "kind": "building", "name": "教学楼A"}
    refused = await api.post("/api/locations", json=body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.csrf_failed"
    wrong = await api.post("/api/locations", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.json()["code"] == "auth.csrf_failed"
    listed = await api.get("/api/locations", params={"site_id": str(school.site_id)})
    assert listed.json()["items"] == []
    accepted = await api.post("/api/locations", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text


async def test_wrong_password_is_401_with_a_stable_code(api):
    school = await make_school()
    person = await make_person(school, "guard")
    response = await login(api, person.username, "not the password")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_credentials"
    unknown = await login(api, "nobody-here", "whatever1")
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "auth.invalid_credentials"


async def test_repeated_failures_lock_the_account_even_for_the_right_password(api):
    school = await make_school()
    person = await make_person(school, "guard")
    for _ in range(5):
        assert (await login(api, person.username, "wrong password")).status_code == 401
    locked = await login(api, person.username)
    assert locked.status_code == 429
    assert locked.json()["code"] == "auth.rate_limited"
    assert int(locked.headers["retry-after"]) > 0


async def test_a_success_before_the_limit_clears_the_failures(api):
    school = await make_school()
    person = await make_person(school, "guard")
    for _ in range(4):
        await login(api, person.username, "wrong password")
    assert (await login(api, person.username)).status_code == 200
    for _ in range(4):
        await login(api, person.username, "wrong password")
    assert (await login(api, person.username)).status_code == 200


async def test_logout_ends_the_session(api):
    school = await make_school()
    person = await make_person(school, "inspector")
    csrf = (await login(api, person.username)).json()["csrf_token"]
    cookie = api.cookies.get("rk_session")
    out = await api.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    api.cookies.set("rk_session", cookie)
    again = await api.get("/api/me")
    assert again.status_code == 401
    assert again.json()["code"] == "auth.required"


async def test_login_body_with_unknown_field_is_refused_with_its_name(api):
    response = await api.post(
        "/api/auth/login", json={"username": "a", "password": "b", "remember": True}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "request.invalid"
    assert response.json()["field"] == "remember"


async def test_malformed_json_is_a_clear_400(api):
    response = await api.post(
        "/api/auth/login",
        content=b'{"username": "a",',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] in ("request.malformed_json", "request.invalid")


async def test_one_client_guessing_many_usernames_is_stopped(api):
    school = await make_school()
    person = await make_person(school, "guard")
    for n in range(20):
        await login(api, f"guess{n}", "wrong password")
    refused = await login(api, person.username)
    assert refused.status_code == 429
    assert refused.json()["code"] == "auth.rate_limited"
