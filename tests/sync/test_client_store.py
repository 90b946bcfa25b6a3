"""The device's local store and the client's retry mechanics, with no server.

The network is stubbed (`httpx.MockTransport`) only to check how the client waits, retries
and splits batches; what a real server answers is tested in `test_client_server.py`.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import msgspec
import pytest

from sync import cache
from sync.client import DeviceClient, RequestRefused, ServerUnavailable, SyncError
from sync.device import BlobFile, Identity, StoreError
from sync.hlc import Hlc, parse_hlc
from sync.ids import uuid7
from sync.retry import RetryPolicy, parse_retry_after
from sync.store import DeviceStore
from sync.wire import (
    Change,
    OpResult,
    PushRequest,
    PushResponse,
    ScopePage,
)

DEVICE = uuid.UUID("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b")
SITE = "0192a3b4-0000-7000-8000-000000000001"
OTHER_SITE = "0192a3b4-0000-7000-8000-000000000002"
NOW = datetime(2025, 3, 15, 8, 30, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
SERVER = "http://rk.test"


def identity(device_id: uuid.UUID = DEVICE) -> Identity:
    return Identity(
        server_url=SERVER,
        token="rk_test",
        device_id=device_id,
        user_id=uuid.uuid4(),
        username="li.wei",
        display_name="李伟",
        organization_id=uuid.uuid4(),
        sites=[{"site_id": SITE, "role": "inspector"}],
        enrolled_at=NOW,
    )


@pytest.fixture
def store(tmp_path: Path) -> DeviceStore:
    opened = DeviceStore(tmp_path / "device.sqlite3")
    opened.enrol(identity())
    yield opened
    opened.close()


def enqueue(store: DeviceStore, n: int = 1) -> list:
    return [
        store.outbox.enqueue(
            "inspection.submitted", {"id": str(uuid7()), "n": i}, NOW, now_ms=NOW_MS
        )
        for i in range(n)
    ]


def answer(ops: list, *, last: int | None = None, status: str = "applied") -> PushResponse:
    return PushResponse(
        results=[OpResult(op_id=op.op_id, device_seq=op.device_seq, status=status) for op in ops],
        last_applied_seq=last if last is not None else ops[-1].device_seq,
        missing_blobs=[],
        server_now=NOW,
        server_hlc=f"{NOW_MS:013d}-0000-server",
        skew_ms=0,
    )


def put(entity: str, id: str, version: int, **data: object) -> Change:
    return Change(
        entity=entity,
        id=id,
        op="put",
        version=version,
        data=msgspec.Raw(msgspec.json.encode(data)),
    )


def page(changes: list[Change], cursor: str | None = "c1", **kw: object) -> ScopePage:
    values = {"scope": SITE, "status": "ok", "changes": changes, "cursor": cursor}
    values.update(kw)
    return ScopePage(has_more=False, **values)  # type: ignore[arg-type]


# The outbox ---------------------------------------------------------------------------


def test_rule_2_ops_are_numbered_from_one_without_gaps_as_they_enter_the_outbox(store):
    ops = enqueue(store, 3)
    assert [op.device_seq for op in ops] == [1, 2, 3]
    assert [op.device_seq for op in store.outbox.pending()] == [1, 2, 3]
    assert store.state()["next_seq"] == 4


def test_rule_33_every_op_gets_a_later_clock_with_the_device_as_node(store):
    ops = enqueue(store, 3)  # all in the same millisecond
    clocks = [parse_hlc(op.hlc) for op in ops]
    assert clocks == sorted(clocks) and len(set(clocks)) == 3
    assert {c.node for c in clocks} == {str(DEVICE)}
    assert str(store.hlc()) == ops[-1].hlc


def test_the_outbox_and_its_counters_survive_reopening_the_store(tmp_path):
    path = tmp_path / "device.sqlite3"
    with DeviceStore(path) as first:
        first.enrol(identity())
        made = enqueue(first, 2)
    with DeviceStore(path) as again:
        assert again.outbox.pending() == made
        assert again.identity() == identity().__class__(**msgspec.structs.asdict(again.identity()))
        assert enqueue(again)[0].device_seq == 3


def test_pending_gives_the_oldest_ops_first(store):
    enqueue(store, 5)
    assert [op.device_seq for op in store.outbox.pending(2)] == [1, 2]


def test_an_op_and_the_photos_it_names_are_saved_together(store, tmp_path):
    photo = BlobFile(sha256="a" * 64, site_id=uuid.UUID(SITE), path=tmp_path / "p.jpg")
    store.outbox.enqueue("inspection.submitted", {}, NOW, blobs=[photo])
    assert [b.sha256 for b in store.blobs.queued()] == ["a" * 64]


def test_occurred_at_must_carry_its_offset(store):
    with pytest.raises(ValueError, match="offset"):
        store.outbox.enqueue("inspection.submitted", {}, NOW.replace(tzinfo=None))


def test_enrolling_another_device_is_refused_while_its_ops_wait(store):
    enqueue(store)
    with pytest.raises(StoreError, match="not sent yet"):
        store.enrol(identity(uuid.uuid4()))
    store.outbox.settle(answer(store.outbox.pending()))
    store.enrol(identity(uuid.uuid4()))
    assert store.state()["next_seq"] == 1
    assert store.outbox.results() == []


def test_rule_6_every_final_status_leaves_the_outbox_and_a_person_sees_the_refused(store):
    ops = enqueue(store, 3)
    response = PushResponse(
        results=[
            OpResult(op_id=ops[0].op_id, device_seq=1, status="applied"),
            OpResult(
                op_id=ops[1].op_id,
                device_seq=2,
                status="rejected",
                code="inspection.invalid_answers",
                detail="answers.hose: is required",
                field="body.answers.hose",
            ),
            OpResult(
                op_id=ops[2].op_id,
                device_seq=3,
                status="conflict",
                code="inspection.conflict",
                current=msgspec.Raw(b'{"id": "x"}'),
            ),
        ],
        last_applied_seq=3,
        missing_blobs=[],
        server_now=NOW,
        server_hlc=f"{NOW_MS:013d}-0000-server",
        skew_ms=0,
    )
    settled = store.outbox.settle(response)
    assert (settled.settled, settled.rejected, settled.gap) == (3, 2, False)
    assert store.outbox.count() == 0
    status = store.status()
    assert [(a.device_seq, a.status, a.code) for a in status.needs_attention] == [
        (2, "rejected", "inspection.invalid_answers"),
        (3, "conflict", "inspection.conflict"),
    ]
    assert status.needs_attention[0].field == "body.answers.hose"
    assert status.needs_attention[1].current == {"id": "x"}
    assert status.last_applied_seq == 3 and status.last_push_at is not None
    assert store.outbox.dismiss(ops[1].op_id)
    assert [a.device_seq for a in store.outbox.needs_attention()] == [3]


def test_an_answer_received_twice_settles_once(store):
    ops = enqueue(store, 2)
    assert store.outbox.settle(answer(ops)).settled == 2
    assert store.outbox.settle(answer(ops)).settled == 0
    assert len(store.outbox.results()) == 2


def test_rule_5_on_a_gap_the_ops_the_server_lost_are_sent_again(store):
    ops = enqueue(store, 4)
    store.outbox.settle(answer(ops[:3]))
    assert [op.device_seq for op in store.outbox.pending()] == [4]
    # The server was restored from a backup that holds only op 1.
    lost = answer(ops[3:], last=1, status="gap")
    assert store.outbox.settle(lost).gap
    assert [op.device_seq for op in store.outbox.pending()] == [2, 3, 4]
    assert store.outbox.pending()[0] == ops[1]


def test_a_gap_this_device_cannot_fill_is_an_error_not_a_loop(store):
    ops = enqueue(store, 2)
    store.outbox.settle(answer(ops[:1]))
    store.db.execute("DELETE FROM op_results")
    with pytest.raises(StoreError, match="a person must reconcile"):
        store.outbox.settle(answer(ops[1:], last=0, status="gap"))
    assert [op.device_seq for op in store.outbox.pending()] == [2]


def test_rule_33_the_server_clock_is_merged_from_every_answer(store):
    ops = enqueue(store)
    ahead = Hlc(NOW_MS + 60_000, 5, "server")
    store.outbox.settle(msgspec.structs.replace(answer(ops), server_hlc=str(ahead)), now_ms=NOW_MS)
    assert store.hlc() > ahead
    assert parse_hlc(enqueue(store)[0].hlc) > ahead


def test_a_reinstalled_device_does_not_reuse_numbers_the_server_holds(store):
    # An empty store enrolled with the token of a device whose ops the server has.
    store.note_pull(41, f"{NOW_MS:013d}-0000-server")
    assert enqueue(store)[0].device_seq == 42


def test_missing_blobs_the_device_has_are_queued_again(store, tmp_path):
    known = BlobFile(sha256="b" * 64, site_id=uuid.UUID(SITE), path=tmp_path / "b.jpg")
    store.blobs.add(known)
    store.blobs.uploaded(known.sha256)
    assert store.blobs.count() == 0
    ops = enqueue(store)
    response = msgspec.structs.replace(answer(ops), missing_blobs=["b" * 64, "c" * 64])
    assert store.outbox.settle(response).requeued_blobs == 1
    assert [b.sha256 for b in store.blobs.queued()] == ["b" * 64]


# Pulled pages -------------------------------------------------------------------------


def test_rule_31_a_crash_inside_a_page_saves_nothing_of_it_nor_its_cursor(store, monkeypatch):
    store.cache.apply_page(page([put("tag", "t1", 1, code="K7QMX3P9")], cursor="c1"))
    real = cache.apply_change
    calls = 0

    def crash_on_second(*args: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("battery died")
        real(*args)

    monkeypatch.setattr(cache, "apply_change", crash_on_second)
    changes = [put("tag", "t2", 1, code="AAAA0000"), put("tag", "t3", 1, code="BBBB0000")]
    with pytest.raises(OSError):
        store.cache.apply_page(page(changes, cursor="c2"))
    assert store.cache.cursors() == {SITE: "c1"}
    assert [r.id for r in store.cache.all("tag")] == ["t1"]
    monkeypatch.setattr(cache, "apply_change", real)
    store.cache.apply_page(page(changes, cursor="c2"))
    assert [r.id for r in store.cache.all("tag")] == ["t1", "t2", "t3"]
    assert store.cache.cursors() == {SITE: "c2"}


def test_rule_32_a_put_never_replaces_a_newer_version(store):
    store.cache.apply_page(page([put("asset", "a1", 3, name="new")]))
    store.cache.apply_page(page([put("asset", "a1", 2, name="old")]))
    assert store.cache.get("asset", "a1").data == {"name": "new"}
    store.cache.apply_page(page([put("asset", "a1", 3, name="same version again")]))
    assert store.cache.get("asset", "a1").data == {"name": "same version again"}
    store.cache.apply_page(page([put("asset", "a1", 4, name="newer")]))
    assert store.cache.get("asset", "a1").version == 4


def test_rule_32_a_del_removes_and_applying_a_page_twice_is_harmless(store):
    first = page([put("asset", "a1", 1, name="x"), put("asset", "a2", 1, name="y")])
    store.cache.apply_page(first)
    deletion = page([Change(entity="asset", id="a1", op="del", version=2)], cursor="c2")
    store.cache.apply_page(deletion)
    store.cache.apply_page(deletion)
    assert [r.id for r in store.cache.all("asset")] == ["a2"]


def test_rule_29_a_reset_drops_the_scope_cache_keeps_its_place_and_the_outbox(store):
    enqueue(store)
    store.cache.apply_page(page([put("asset", "a1", 1)]))
    store.cache.apply_page(page([put("asset", "b1", 1)], scope=OTHER_SITE))
    store.cache.apply_page(page([], cursor=None, status="reset"))
    assert store.cache.cursors() == {SITE: None, OTHER_SITE: "c1"}
    assert [r.id for r in store.cache.all("asset")] == ["b1"]
    assert store.outbox.count() == 1


def test_rule_28_a_removed_scope_loses_its_cache_and_cursor_not_the_outbox(store):
    enqueue(store)
    store.cache.apply_page(page([put("asset", "a1", 1)]))
    store.cache.apply_page(page([put("asset", "b1", 1)], scope=OTHER_SITE))
    store.cache.apply_page(page([], cursor=None, status="removed"))
    assert store.cache.cursors() == {OTHER_SITE: "c1"}
    assert [r.id for r in store.cache.all("asset")] == ["b1"]
    assert store.outbox.count() == 1


def test_a_tag_is_found_by_its_code(store):
    store.cache.apply_page(page([put("tag", "t1", 1, code="K7QMX3P9", asset_id="a1")]))
    assert store.cache.find_tag("K7QMX3P9").data["asset_id"] == "a1"
    assert store.cache.find_tag("AAAA0000") is None
    assert store.status().cached == {"tag": 1}


def test_an_unenrolled_store_says_so(tmp_path):
    with DeviceStore(tmp_path / "new.sqlite3") as fresh:
        assert fresh.identity() is None
        assert not fresh.status().enrolled
        with pytest.raises(StoreError, match="not enrolled"):
            fresh.outbox.enqueue("inspection.submitted", {}, NOW)


def test_uuid7_ids_carry_version_7_and_their_millisecond():
    made = uuid7(NOW_MS)
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert made.int >> 80 == NOW_MS
    assert uuid7() != uuid7()


# Waiting and retrying -----------------------------------------------------------------


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert parse_retry_after("7", NOW) == 7
    assert parse_retry_after(format_datetime(NOW + timedelta(seconds=30), usegmt=True), NOW) == 30
    assert parse_retry_after(format_datetime(NOW - timedelta(hours=1), usegmt=True), NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("", NOW) is None


def test_backoff_is_full_jitter_under_a_doubling_ceiling():
    policy = RetryPolicy(base_s=0.5, cap_s=8)
    rng = random.Random(1)
    for attempt, ceiling in enumerate([0.5, 1, 2, 4, 8, 8, 8]):
        waits = [policy.backoff(attempt, rng) for _ in range(200)]
        assert min(waits) >= 0 and max(waits) <= ceiling
        assert max(waits) > ceiling / 2  # spread over the range, not a fixed wait


class Recorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def applied(request: httpx.Request) -> httpx.Response:
    """What a server that applies every op would answer, for the mechanics around it."""
    pushed = msgspec.json.decode(request.content, type=PushRequest)
    return httpx.Response(200, content=msgspec.json.encode(answer(pushed.ops)))


def client_for(store: DeviceStore, handler, **kw) -> tuple[DeviceClient, Recorder]:
    sleep = Recorder()
    client = DeviceClient(
        store,
        transport=httpx.MockTransport(handler),
        sleep=sleep,
        rng=random.Random(7),
        **kw,
    )
    return client, sleep


async def test_503_with_retry_after_waits_as_told_then_pushes(store):
    enqueue(store, 2)
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "7"}),
            httpx.Response(
                429,
                headers={
                    "Retry-After": format_datetime(
                        datetime.now(UTC) + timedelta(seconds=90), usegmt=True
                    )
                },
            ),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or applied(request)

    client, sleep = client_for(store, handler)
    async with client:
        report = await client.push()
    assert report.settled == 2 and report.remaining == 0
    assert sleep.waits[0] == 7
    assert 80 < sleep.waits[1] <= 90


async def test_a_retry_after_of_a_day_is_cut_to_the_policy_maximum(store):
    enqueue(store)
    answers = iter([httpx.Response(503, headers={"Retry-After": "86400"})])
    client, sleep = client_for(
        store,
        lambda request: next(answers, None) or applied(request),
        retry=RetryPolicy(max_retry_after_s=60),
    )
    async with client:
        await client.push()
    assert sleep.waits == [60]


async def test_transport_errors_back_off_then_give_up_with_the_outbox_intact(store):
    enqueue(store, 3)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host", request=request)

    client, sleep = client_for(store, unreachable, retry=RetryPolicy(attempts=5, base_s=1))
    async with client:
        with pytest.raises(ServerUnavailable, match="5 times"):
            await client.push()
    assert len(sleep.waits) == 4
    assert all(0 <= wait <= 2**i for i, wait in enumerate(sleep.waits))
    assert store.outbox.count() == 3


async def test_a_5xx_is_retried_and_a_4xx_is_not(store):
    enqueue(store)
    answers = iter(
        [
            httpx.Response(502),
            httpx.Response(
                403, json={"code": "sync.wrong_device", "detail": "not this token's device"}
            ),
        ]
    )
    client, sleep = client_for(store, lambda request: next(answers))
    async with client:
        with pytest.raises(RequestRefused) as refused:
            await client.push()
    assert (refused.value.status, refused.value.code) == (403, "sync.wrong_device")
    assert len(sleep.waits) == 1
    assert store.outbox.count() == 1


async def test_rule_12_a_batch_over_the_limit_is_halved_until_it_fits(store):
    enqueue(store, 230)
    sizes: list[int] = []

    def limited(request: httpx.Request) -> httpx.Response:
        ops = msgspec.json.decode(request.content, type=PushRequest).ops
        sizes.append(len(ops))
        if len(ops) > 60:
            return httpx.Response(
                413, json={"code": "sync.too_many_ops", "detail": "at most 60 ops per request"}
            )
        return applied(request)

    client, sleep = client_for(store, limited, batch_size=200)
    async with client:
        report = await client.push()
    assert sizes[:3] == [200, 100, 50]
    assert all(size == 50 for size in sizes[3:-1]) and sizes[-1] == 30
    assert (report.settled, report.sent, report.remaining) == (230, 230, 0)
    assert sleep.waits == []
    assert [r.device_seq for r in store.outbox.results()] == list(range(1, 231))


async def test_a_single_op_over_the_limit_is_refused_and_stays_queued(store):
    enqueue(store)
    client, _ = client_for(
        store, lambda request: httpx.Response(413, json={"detail": "at most 1 MB"})
    )
    async with client:
        with pytest.raises(RequestRefused) as refused:
            await client.push()
    assert refused.value.code == "sync.op_too_large"
    assert store.outbox.count() == 1


def test_the_store_holding_the_token_is_readable_by_its_owner_only(tmp_path):
    with DeviceStore(tmp_path / "private.sqlite3") as private:
        private.enrol(identity())
    assert (tmp_path / "private.sqlite3").stat().st_mode & 0o777 == 0o600


async def test_a_scope_reset_again_and_again_stops_the_pull(store):
    def always_reset(request: httpx.Request) -> httpx.Response:
        body = {
            "scopes": [
                {"scope": SITE, "status": "reset", "changes": [], "cursor": None, "has_more": True}
            ],
            "last_applied_seq": 0,
            "server_now": NOW.isoformat(),
            "server_hlc": f"{NOW_MS:013d}-0000-server",
        }
        return httpx.Response(200, json=body)

    client, _ = client_for(store, always_reset)
    async with client:
        with pytest.raises(SyncError) as stopped:
            await client.pull()
    assert stopped.value.code == "sync.reset_persists"
