"""The change log: numbered in commit order, one position per writing transaction."""

from __future__ import annotations

import pytest

from server.db import transaction
from sync import changelog
from sync.tables import SyncChange, SyncCounter


async def position() -> int:
    return (await SyncCounter.select(SyncCounter.position).first())["position"]


async def test_changes_of_one_transaction_share_one_position(clean):
    before = await position()
    async with transaction():
        changelog.record("site-1", "asset", "a1", version=1, data={"name": "灭火器"})
        changelog.record("site-1", "asset", "a2", version=1, data={"name": "消火栓"})
        changelog.record("site-2", "location", "l1", version=3, deleted=True)
    rows = await SyncChange.select().order_by(SyncChange.id)
    assert [r["position"] for r in rows] == [before + 1] * 3
    assert [(r["scope"], r["entity_id"], r["op"]) for r in rows] == [
        ("site-1", "a1", "put"),
        ("site-1", "a2", "put"),
        ("site-2", "l1", "del"),
    ]
    assert rows[0]["data"] == '{"name":"灭火器"}'
    assert rows[2]["data"] is None
    assert await position() == before + 1


async def test_a_transaction_without_changes_takes_no_position(clean):
    before = await position()
    async with transaction():
        pass
    assert await position() == before


async def test_a_rolled_back_transaction_leaves_no_change_and_no_position(clean):
    before = await position()
    with pytest.raises(RuntimeError):
        async with transaction():
            changelog.record("site-1", "asset", "a1", version=1, data={})
            raise RuntimeError("refused")
    assert await SyncChange.count() == 0
    assert await position() == before


async def test_a_change_outside_a_transaction_is_refused(clean):
    with pytest.raises(changelog.NoTransaction):
        changelog.record("site-1", "asset", "a1", version=1, data={})


async def test_nested_transactions_number_once(clean):
    before = await position()
    async with transaction():
        changelog.record("s", "asset", "a1", version=1, data={})
        async with transaction():
            changelog.record("s", "asset", "a2", version=1, data={})
    assert {r["position"] for r in await SyncChange.select()} == {before + 1}
