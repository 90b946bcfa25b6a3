"""Pull, rule by rule (sync/PROTOCOL.md), through the real HTTP API on both databases."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from server.accounts import users
from server.db import snapshot, transaction
from server.syncing.pull import cursor_key
from server.templates.templates import install_library
from sync import changelog, feed
from sync.tables import SyncCounter
from sync.wire import encode_cursor
from tests.factories import make_asset, make_location, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers, submission
from tests.syncing.device import device_of


async def pull(api, person, cursors: dict, limit: int = 500) -> dict:
    device = await device_of(api, person)
    response = await api.post(
        "/api/sync/pull",
        json={
            "protocol": 1,
            "app_version": "test-1.0",
            "device_id": str(device.id),
            "cursors": cursors,
            "limit": limit,
        },
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def pull_all(api, person, cursors: dict | None = None, limit: int = 500):
    """Pull until nothing more: the changes per scope, and the final cursors."""
    cursors = dict(cursors or {})
    seen: dict[str, list[dict]] = {}
    statuses: dict[str, str] = {}
    while True:
        answer = await pull(api, person, cursors, limit)
        for page in answer["scopes"]:
            statuses[page["scope"]] = page["status"]
            seen.setdefault(page["scope"], []).extend(page["changes"])
            if page["status"] == "removed":
                cursors.pop(page["scope"], None)
            else:
                cursors[page["scope"]] = page["cursor"]
        if not any(page["has_more"] for page in answer["scopes"]):
            return seen, cursors, statuses


def entities(changes: list[dict]) -> dict[tuple[str, str], dict]:
    """The latest change of each entity, as a device holds them after applying."""
    held: dict[tuple[str, str], dict] = {}
    for change in changes:
        if change["op"] == "del":
            held.pop((change["entity"], change["id"]), None)
        else:
            held[(change["entity"], change["id"])] = change
    return held


async def school_with_things():
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    room = await make_location(admin, school, "一年级1班", kind="room")
    asset = await make_asset(admin, school, location=room, asset_number="MHQ-1")
    code = await make_tag(admin, asset=asset)
    return school, admin, inspector, room, asset, code


async def test_rule_27_a_new_scope_starts_from_a_snapshot_of_everything_the_device_needs(api):
    school, _, inspector, room, asset, code = await school_with_things()
    seen, cursors, statuses = await pull_all(api, inspector, limit=7)
    scope = str(school.site_id)
    assert list(cursors) == [scope] and statuses[scope] == "ok"
    held = entities(seen[scope])
    kinds = {entity for entity, _ in held}
    assert kinds >= {"site", "person", "template", "location", "asset", "tag"}
    assert held[("asset", str(asset))]["data"]["asset_number"] == "MHQ-1"
    assert held[("location", str(room))]["data"]["name"] == "一年级1班"
    tags = [c["data"] for (entity, _), c in held.items() if entity == "tag"]
    assert [t["code"] for t in tags] == [code]
    people = [c["data"] for (entity, _), c in held.items() if entity == "person"]
    assert all("password_hash" not in p and "username" not in p for p in people)
    template = held[("template", "fire_extinguisher_monthly")]
    assert template["data"]["template"]["title"]["zh-CN"] == "灭火器月度检查"
    # The same snapshot, paged 7 at a time, holds each entity exactly once.
    assert len(seen[scope]) == len(held)


async def test_rule_24_an_incremental_pull_brings_only_what_changed(api):
    school, admin, inspector, _, asset, _ = await school_with_things()
    _, cursors, _ = await pull_all(api, inspector)
    quiet, cursors_after, _ = await pull_all(api, inspector, cursors)
    assert quiet[str(school.site_id)] == []
    assert cursors_after == cursors
    renamed = await api.patch(
        f"/api/assets/{asset}", json={"name": "推车式灭火器"}, headers=admin.headers
    )
    assert renamed.status_code == 200, renamed.text
    fresh = await make_asset(admin, school, asset_number="MHQ-2")
    seen, _, _ = await pull_all(api, inspector, cursors)
    changes = seen[str(school.site_id)]
    assert [(c["entity"], c["id"]) for c in changes] == [
        ("asset", str(asset)),
        ("asset", str(fresh)),
    ]
    assert changes[0]["data"]["name"] == "推车式灭火器"
    assert changes[0]["version"] == 2


async def test_rule_26_a_page_never_splits_one_transaction(api):
    school, admin, inspector, *_ = await school_with_things()
    _, cursors, _ = await pull_all(api, inspector)
    rows = "category,name,asset_number\n" + "".join(
        f"fire_extinguisher,灭火器{n},IMP-{n}\n" for n in range(12)
    )
    imported = await api.post(
        f"/api/sites/{school.site_id}/assets/import",
        params={"format": "csv"},
        content=rows.encode(),
        headers=admin.headers,
    )
    assert imported.status_code == 200, imported.text
    await make_asset(admin, school, asset_number="AFTER-1")
    answer = await pull(api, inspector, cursors, limit=5)
    page = answer["scopes"][0]
    # Twelve rows of one import are one transaction: the page holds all of them.
    assert len(page["changes"]) == 12
    assert page["has_more"] is True
    rest = await pull(api, inspector, {page["scope"]: page["cursor"]}, limit=5)
    assert [c["data"]["asset_number"] for c in rest["scopes"][0]["changes"]] == ["AFTER-1"]
    assert rest["scopes"][0]["has_more"] is False


async def test_rule_28_a_scope_the_user_lost_is_listed_as_removed(api):
    school, _, inspector, *_ = await school_with_things()
    sister = await make_school(organization_id=school.organization_id)
    await users.set_membership(inspector.user_id, sister.site_id, "inspector")
    _, cursors, _ = await pull_all(api, inspector)
    assert set(cursors) == {str(school.site_id), str(sister.site_id)}
    await users.set_membership(inspector.user_id, sister.site_id, "inspector", datetime.now(UTC))
    _, cursors_after, statuses = await pull_all(api, inspector, cursors)
    assert statuses[str(sister.site_id)] == "removed"
    assert set(cursors_after) == {str(school.site_id)}


async def test_rule_29_a_cursor_that_cannot_be_used_is_answered_reset(api, clean):
    key = cursor_key(clean.settings.secret_key)
    school, _, inspector, *_ = await school_with_things()
    scope = str(school.site_id)
    await pull_all(api, inspector)
    counter = await SyncCounter.select().first()
    unusable = {
        "garbled": "not-a-cursor",
        "another database": encode_cursor(1, "0000other", key),
        "ahead of the log": encode_cursor(counter["position"] + 1000, counter["epoch"], key),
        "another server's": encode_cursor(counter["position"], counter["epoch"], b"not ours"),
        "forged in the snapshot": encode_cursor(
            counter["position"], f"{counter['epoch']}.s2.not-an-id", b"not ours"
        ),
    }
    for why, cursor in unusable.items():
        answer = await pull(api, inspector, {scope: cursor})
        assert answer["scopes"][0]["status"] == "reset", why
    # Older than the retained log (pruned): reset too; a fresh start works again.
    await SyncCounter.update({SyncCounter.pruned_through: counter["position"] + 1}).where(
        SyncCounter.id == counter["id"]
    )
    old = encode_cursor(counter["position"], counter["epoch"], key)
    try:
        answer = await pull(api, inspector, {scope: old})
        assert answer["scopes"][0]["status"] == "reset"
        _, again, statuses = await pull_all(api, inspector, {scope: None})
        assert statuses[scope] == "ok" and again[scope]
    finally:
        await SyncCounter.update({SyncCounter.pruned_through: 0}).where(
            SyncCounter.id == counter["id"]
        )


async def test_rule_30_a_pull_tells_the_device_how_far_its_pushes_were_applied(api):
    school, _, inspector, _, asset, _ = await school_with_things()
    device = await device_of(api, inspector)
    failing = submission(asset=asset, answers=extinguisher_answers(hose="fail"))
    await device.push_ok([device.op(submission(asset=asset)), device.op(failing)])
    answer = await pull(api, inspector, {})
    assert answer["last_applied_seq"] == 2
    # What the device's own record caused comes back once, as the finding's state.
    seen, _, _ = await pull_all(api, inspector)
    findings = [c for c in seen[str(school.site_id)] if c["entity"] == "finding"]
    assert [f["data"]["inspection_id"] for f in findings] == [failing["id"]]


async def test_rule_25_a_transaction_that_numbered_first_and_commits_late_is_never_skipped(clean):
    """Writer A takes its position and waits before committing; writer B starts after A
    numbered. A reader pulls the whole time. B must not become visible before A (it waits
    for the counter row), so the reader's cursor never passes over A."""
    scope = str(uuid.uuid4())
    numbered = asyncio.Event()
    order: list[str] = []
    commits_after: list[float] = []
    b_committed: list[float] = []

    async def slow() -> None:
        async with transaction():
            changelog.record(scope, "note", "a", version=1, data={"n": "a"})
            buffer = changelog.current()
            assert buffer is not None
            await changelog.flush(buffer)
            numbered.set()
            commits_after.append(asyncio.get_running_loop().time() + 0.4)
            await asyncio.sleep(0.4)
        order.append("a")

    async def fast() -> None:
        await numbered.wait()
        async with transaction():
            changelog.record(scope, "note", "b", version=1, data={"n": "b"})
        b_committed.append(asyncio.get_running_loop().time())
        order.append("b")

    seen: list[str] = []

    async def reader() -> None:
        cursor = None
        for _ in range(200):
            async with snapshot():
                counter = await feed.read_counter()
                if cursor is None:
                    cursor = feed._encode(feed._Cursor(counter.position), counter.epoch, b"k")
                page = await feed.pull_scope(
                    scope, cursor, feeds=[], counter=counter, limit=1, key=b"k"
                )
            seen.extend(change.id for change in page.changes)
            cursor = page.cursor
            if {"a", "b"} <= set(seen):
                return
            await asyncio.sleep(0.01)

    await asyncio.gather(reader(), slow(), fast())
    # B's commit waited for A's, which could not come before A's sleep ended. (Which of the
    # two coroutines resumes first once A has committed is the event loop's affair.)
    assert b_committed[0] >= commits_after[0], order
    assert seen == ["a", "b"]
