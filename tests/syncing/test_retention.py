"""Pruning the change log and the ledger (sync/retention.py), on both databases. Rows are
made old by moving their timestamps back, as time would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.accounts import users
from server.db import transaction
from server.inspections.tables import Inspection
from server.syncing.pull import cursor_key
from sync import retention
from sync.tables import SyncChange, SyncCounter, SyncOp
from sync.wire import decode_cursor
from tests.factories import make_asset, make_person
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission
from tests.syncing.device import device_of
from tests.syncing.test_pull import entities, pull, pull_all, school_with_things
from tests.test_cli import run

KEEP = timedelta(days=90)
KEEP_REFUSED = timedelta(days=365)


async def prune() -> retention.PruneResult:
    now = datetime.now(UTC)
    return await retention.prune(
        older_than=now - KEEP, refused_older_than=now - KEEP_REFUSED, transaction=transaction
    )


async def age_changes(*, through: int | None = None, days: int = 100) -> None:
    """Move the change log's rows (those at or below `through`, or all) back in time."""
    values = {SyncChange.changed_at: datetime.now(UTC) - timedelta(days=days)}
    if through is None:
        await SyncChange.update(values, force=True)
    else:
        await SyncChange.update(values).where(SyncChange.position <= through)


async def age_ops(*, status: str | None = None, days: int = 100) -> None:
    values = {SyncOp.received_at: datetime.now(UTC) - timedelta(days=days)}
    if status is None:
        await SyncOp.update(values, force=True)
    else:
        await SyncOp.update(values).where(SyncOp.status == status)


async def positions() -> list[int]:
    rows = await SyncChange.select(SyncChange.position).order_by(SyncChange.position)
    return sorted({row["position"] for row in rows})


async def pruned_through() -> int:
    return (await SyncCounter.select().first())["pruned_through"]


async def test_rule_29_changes_older_than_the_horizon_go_and_newer_stay(clean):
    school, admin, *_ = await school_with_things()
    old = await positions()
    await age_changes(through=old[-1])
    await make_asset(admin, school, asset_number="NEW-1")
    young = [p for p in await positions() if p > old[-1]]
    assert young

    result = await prune()

    assert await positions() == young
    assert result.pruned_through == old[-1] == await pruned_through()
    assert result.changes > len(old)  # several rows per transaction


async def test_rule_29_a_young_change_keeps_every_later_one_however_old(clean):
    """A clock that stepped back between two transactions: the log is only ever cut before
    the first change younger than the horizon, so nothing young goes and what stays is a
    contiguous tail."""
    await school_with_things()
    kept = await positions()
    await age_changes()
    await SyncChange.update({SyncChange.changed_at: datetime.now(UTC)}).where(
        SyncChange.position == kept[2]
    )
    before = await pruned_through()

    result = await prune()

    assert await positions() == kept[2:]
    assert result.pruned_through == max(before, kept[1])


async def test_rule_29_a_cursor_below_the_pruned_log_is_reset_and_a_snapshot_recovers(api, clean):
    school, admin, inspector, _, asset, _ = await school_with_things()
    scope = str(school.site_id)
    guard = await make_person(school, "guard")
    _, behind, _ = await pull_all(api, inspector)
    # Meanwhile: an asset renamed, and the guard's access ended (a deletion for devices).
    renamed = await api.patch(
        f"/api/assets/{asset}", json={"name": "推车式灭火器"}, headers=admin.headers
    )
    assert renamed.status_code == 200, renamed.text
    await users.set_membership(guard.user_id, school.site_id, "guard", datetime.now(UTC))
    manager = await make_person(school, "manager")
    _, current, _ = await pull_all(api, manager)
    await age_changes()

    result = await prune()

    assert await positions() == []
    page = (await pull(api, inspector, behind))["scopes"][0]
    assert page["status"] == "reset" and page["changes"] == [] and page["cursor"] is None
    # The device drops the scope and starts again: the snapshot is current, and the guard
    # whose deletion was pruned does not come back.
    seen, cursors, statuses = await pull_all(api, inspector, {scope: None})
    held = entities(seen[scope])
    assert statuses[scope] == "ok"
    assert held[("asset", str(asset))]["data"]["name"] == "推车式灭火器"
    assert ("person", str(guard.user_id)) not in held
    assert ("person", str(manager.user_id)) in held
    # A cursor at the pruned position itself lacks nothing: it goes on from the log.
    quiet = (await pull(api, manager, current))["scopes"][0]
    assert quiet["status"] == "ok" and quiet["changes"] == []
    key = cursor_key(clean.settings.secret_key)
    assert decode_cursor(current[scope], key)[0] == result.pruned_through
    # And the recovered device goes on incrementally.
    await make_asset(admin, school, asset_number="AFTER-PRUNE")
    fresh, _, statuses = await pull_all(api, inspector, cursors)
    assert statuses[scope] == "ok"
    assert [c["data"]["asset_number"] for c in fresh[scope]] == ["AFTER-PRUNE"]


async def test_rule_29_a_snapshot_being_paged_past_the_pruned_log_is_reset(api):
    school, admin, inspector, _, asset, _ = await school_with_things()
    scope = str(school.site_id)
    first = (await pull(api, inspector, {scope: None}, limit=2))["scopes"][0]
    assert first["has_more"] is True
    # While the snapshot is paged the asset changes, and that change is then pruned: the
    # snapshot's own pages may already be behind it, and only the log would have said so.
    renamed = await api.patch(f"/api/assets/{asset}", json={"name": "改名"}, headers=admin.headers)
    assert renamed.status_code == 200, renamed.text
    await age_changes()
    await prune()

    page = (await pull(api, inspector, {scope: first["cursor"]}, limit=2))["scopes"][0]
    assert page["status"] == "reset"


async def test_rule_3_a_replay_of_a_pruned_answer_is_a_duplicate_and_not_applied_again(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    ops = [device.op(submission(asset=asset)), device.op(submission(asset=asset))]
    first = await device.push_ok(ops)
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    await age_ops()

    result = await prune()

    assert result.ops == 2 and await SyncOp.count() == 0
    again = await device.push_ok(ops)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert "applied long ago" in again["results"][0]["detail"]
    assert again["last_applied_seq"] == 2
    assert await Inspection.count() == 2
    assert await SyncOp.count() == 0


async def test_refused_answers_are_kept_for_their_own_longer_horizon(api):
    school, _, inspector, asset = await extinguisher_school()
    manager = await make_person(school, "manager")
    device = await device_of(api, inspector)
    good = device.op(submission(asset=asset))
    bad = device.op(submission(asset=asset, answers=extinguisher_answers(hose="broken")))
    answer = await device.push_ok([good, bad])
    assert [r["status"] for r in answer["results"]] == ["applied", "rejected"]
    await age_ops(days=100)

    result = await prune()

    assert (result.ops, result.refused_ops) == (1, 0)
    listed = await api.get(
        "/api/sync/refused", params={"site_id": str(school.site_id)}, headers=manager.headers
    )
    assert listed.status_code == 200, listed.text
    assert [op["code"] for op in listed.json()] == ["inspection.invalid_answers"]

    await age_ops(status="rejected", days=400)
    result = await prune()
    assert (result.ops, result.refused_ops) == (0, 1)
    assert await SyncOp.count() == 0


async def test_pruning_twice_is_harmless(api):
    _, _, inspector, *_ = await school_with_things()
    _, cursors, _ = await pull_all(api, inspector)
    await age_changes()
    await age_ops()
    first = await prune()
    assert first.changes > 0

    second = await prune()

    assert (second.changes, second.ops, second.refused_ops) == (0, 0, 0)
    assert second.pruned_through == first.pruned_through
    page = (await pull(api, inspector, cursors))["scopes"][0]
    assert page["status"] == "ok" and page["changes"] == []


def test_the_prune_command_keeps_at_least_the_protocols_90_days(empty_database, tmp_path):
    run(empty_database, tmp_path, "db", "upgrade")
    done = run(empty_database, tmp_path, "sync", "prune")
    assert "deleted 0 changes" in done.stdout
    refused = run(empty_database, tmp_path, "sync", "prune", "--keep-days", "30", ok=False)
    assert refused.returncode != 0 and "90" in refused.stderr
