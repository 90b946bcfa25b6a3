from __future__ import annotations

import json
import uuid

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


GUESSING = 20  # failures with made-up usernames before an address is answered 429


async def guess_names(api: httpx.AsyncClient, count: int = GUESSING) -> None:
    for n in range(count):
        answer = await login(api, f"guess{n}-{uuid.uuid4().hex[:6]}", "wrong password")
        assert answer.status_code == 401, (n, answer.text)


async def test_made_up_usernames_from_one_address_never_lock_out_its_real_users(api):
    school = await make_school()
    person = await make_person(school, "guard")
    await guess_names(api)
    guessed = await login(api, "guess-one-more", "wrong password")
    assert guessed.status_code == 429
    assert guessed.json()["code"] == "auth.rate_limited"
    assert int(guessed.headers["retry-after"]) > 0
    logged_in = await login(api, person.username)
    assert logged_in.status_code == 200, logged_in.text
    assert any(
        k == "set-cookie" and v.startswith("rk_session=")
        for k, v in logged_in.headers.multi_items()
    )


async def test_from_a_guessing_address_a_wrong_password_is_answered_like_a_made_up_name(api):
    school = await make_school()
    person = await make_person(school, "guard")
    await guess_names(api)
    made_up = await login(api, "nobody-at-all", "wrong password")
    real = await login(api, person.username, "wrong password")
    assert made_up.status_code == real.status_code == 429
    assert made_up.json() == real.json()
    assert (await login(api, person.username)).status_code == 200


async def test_failures_for_real_usernames_do_not_count_toward_the_address_limit(api):
    school = await make_school()
    people = [await make_person(school, "inspector") for _ in range(6)]
    for person in people:
        for _ in range(4):  # one short of each account's own lock
            assert (await login(api, person.username, "wrong password")).status_code == 401
    unknown = await login(api, "nobody-at-all", "wrong password")
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "auth.invalid_credentials"


async def test_a_username_is_still_locked_after_its_own_failures_from_a_guessing_address(api):
    school = await make_school()
    person = await make_person(school, "guard")
    await guess_names(api)
    for _ in range(5):
        assert (await login(api, person.username, "wrong password")).status_code == 429
    locked = await login(api, person.username)
    assert locked.status_code == 429
    assert locked.json()["code"] == "auth.rate_limited"


async def test_login_takes_only_a_json_body(api):
    school = await make_school()
    person = await make_person(school, "inspector")
    credentials = {"username": person.username, "password": PASSWORD}
    sent = {
        "text/plain": {
            "content": json.dumps(credentials),
            "headers": {"content-type": "text/plain"},
        },
        "form": {"data": credentials},
        "multipart": {"data": credentials, "files": {"f": ("f.txt", b"x")}},
        "no content type": {"content": json.dumps(credentials).encode()},
        "json+suffix": {
            "content": json.dumps(credentials),
            "headers": {"content-type": "application/x-json"},
        },
    }
    for what, request in sent.items():
        answer = await api.post("/api/auth/login", **request)  # type: ignore[arg-type]
        assert answer.status_code == 415, (what, answer.text)
        assert answer.json()["code"] == "request.unsupported_media_type", what
        assert "set-cookie" not in answer.headers, what
        assert "rk_session" not in api.cookies, what
    with_charset = await api.post(
        "/api/auth/login",
        content=json.dumps(credentials),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert with_charset.status_code == 200, with_charset.text
    assert (await login(api, person.username)).status_code == 200
