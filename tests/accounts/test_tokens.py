from __future__ import annotations

import aiosqlite

from server import db
from server.accounts.tables import ApiToken, User
from tests.factories import make_person, make_school


async def test_token_authenticates_until_revoked_then_is_answered_as_an_unknown_one(api):
    school = await make_school()
    person = await make_person(school, "inspector")
    assert (await api.get("/api/me", headers=person.headers)).status_code == 200
    listed = (await api.get("/api/tokens", headers=person.headers)).json()
    assert len(listed) == 1
    assert listed[0]["device_name"] == "test phone"
    assert "token" not in listed[0] and person.token[:10] == listed[0]["prefix"]
    revoked = await api.delete(f"/api/tokens/{listed[0]['id']}", headers=person.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = await api.get("/api/me", headers=person.headers)
    unknown = await api.get("/api/me", headers={"Authorization": "Bearer rk_never-issued"})
    assert after.status_code == unknown.status_code == 401
    assert after.json() == unknown.json()
    assert after.json()["code"] == "auth.required"


async def test_a_new_token_is_shown_once_and_bound_to_a_new_device(api):
    school = await make_school()
    person = await make_person(school, "guard")
    created = await api.post(
        "/api/tokens", json={"device_name": "门卫平板"}, headers=person.headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("rk_")
    assert body["info"]["device_name"] == "门卫平板"
    me = await api.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == person.username
    listed = (await api.get("/api/tokens", headers=person.headers)).json()
    assert len({t["device_id"] for t in listed}) == 2
    assert all("token" not in t for t in listed)


async def test_nobody_else_can_see_or_revoke_my_token(api):
    school = await make_school()
    mine = await make_person(school, "inspector")
    colleague = await make_person(school, "guard")
    token_id = (await api.get("/api/tokens", headers=mine.headers)).json()[0]["id"]
    theirs = (await api.get("/api/tokens", headers=colleague.headers)).json()
    assert token_id not in {t["id"] for t in theirs}
    refused = await api.delete(f"/api/tokens/{token_id}", headers=colleague.headers)
    assert refused.status_code == 404
    assert (await api.get("/api/me", headers=mine.headers)).status_code == 200


async def test_a_site_admin_can_revoke_a_lost_phone_of_a_member(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    guard = await make_person(school, "guard")
    other_admin = await make_person(await make_school(), "admin")
    token_id = (await api.get("/api/tokens", headers=guard.headers)).json()[0]["id"]
    assert (
        await api.delete(f"/api/tokens/{token_id}", headers=other_admin.headers)
    ).status_code == 404
    assert (await api.delete(f"/api/tokens/{token_id}", headers=admin.headers)).status_code == 200
    assert (await api.get("/api/me", headers=guard.headers)).status_code == 401


async def test_malformed_and_unknown_bearer_tokens_are_401(api):
    for value in ("Bearer", "Basic abc", "Bearer rk_not-a-real-token"):
        response = await api.get("/api/me", headers={"Authorization": value})
        assert response.status_code == 401
        assert response.json()["code"] == "auth.required"


async def test_a_deactivated_persons_token_is_answered_as_an_unknown_one(api):
    school = await make_school()
    person = await make_person(school, "guard")
    await User.update({User.active: False}).where(User.id == person.user_id)
    after = await api.get("/api/me", headers=person.headers)
    unknown = await api.get("/api/me", headers={"Authorization": "Bearer rk_never-issued"})
    assert after.status_code == 401
    assert after.json() == unknown.json()


async def test_a_busy_sqlite_writer_does_not_fail_a_request_over_the_tokens_last_use(api, clean):
    """While SQLite's one writer is held past its busy timeout (tablets pushing a backlog),
    a request whose token's last use is due to be written is still answered; the write
    waits for a later request."""
    school = await make_school()
    person = await make_person(school, "inspector")
    engine = db.current_engine()
    if clean.backend == "postgres":
        # No single writer: another transaction writing elsewhere holds nothing the
        # request needs, and the last use is written at once.
        await ApiToken.update({ApiToken.last_used_at: None}, force=True)
        assert engine.pool is not None
        async with engine.pool.acquire() as other, other.transaction():
            await other.execute("LOCK TABLE webhook IN EXCLUSIVE MODE")
            answer = await api.get("/api/me", headers=person.headers)
            assert answer.status_code == 200, answer.text
        assert await ApiToken.count().where(ApiToken.last_used_at.is_null()) == 0
        return
    assert isinstance(engine, db.PooledSQLiteEngine)
    await ApiToken.update({ApiToken.last_used_at: None}, force=True)
    kept = engine.connection_kwargs["timeout"]
    engine.connection_kwargs["timeout"] = 0.2
    await engine.close_idle()
    holder = await aiosqlite.connect(engine.path, isolation_level=None)
    try:
        await holder.execute("BEGIN IMMEDIATE")
        answer = await api.get("/api/me", headers=person.headers)
        assert answer.status_code == 200, answer.text
        await holder.execute("ROLLBACK")
    finally:
        await holder.close()
        engine.connection_kwargs["timeout"] = kept
        await engine.close_idle()
    assert await ApiToken.count().where(ApiToken.last_used_at.is_null()) >= 1
    again = await api.get("/api/me", headers=person.headers)
    assert again.status_code == 200
    assert await ApiToken.count().where(ApiToken.last_used_at.is_null()) == 0
