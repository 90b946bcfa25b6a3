"""The push engine with handlers made for the test, on both databases: the careful path
after a failed bulk write, and nothing acknowledged when a batch does not commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from server.db import transaction
from sync import changelog, engine
from sync.hlc import tick
from sync.tables import SyncChange, SyncDevice, SyncOp
from sync.wire import APPLIED, Op, PushRequest

OTHER_DEVICE = uuid.UUID("0190a000-0000-7000-8000-0000000000aa")


class Note(msgspec.Struct, frozen=True):
    n: int


@dataclass
class _Prepared:
    bodies: list[Note]
    fail_with: type[Exception] | None
    outcomes: list[engine.Outcome] = field(default_factory=list)

    async def write(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with("the disk is on fire")
        now = datetime.now(UTC)
        for body in self.bodies:
            changelog.record("scope-1", "note", str(body.n), version=1, data={"n": body.n})
        # A real unique index: (device_id, device_seq) of the ledger, under a device no
        # test pushes from. Two notes with the same n collide.
        await SyncOp.insert(
            *(
                SyncOp(
                    device_id=OTHER_DEVICE,
                    device_seq=body.n,
                    op_id=uuid.uuid4(),
                    type="note",
                    status=APPLIED,
                    received_at=now,
                )
                for body in self.bodies
            )
        )


@dataclass
class NoteAdded:
    fail_with: type[Exception] | None = None
    type: str = "note.added"
    versions: frozenset[int] = frozenset({1})

    def decode(self, v: int, body: msgspec.Raw) -> Note:
        return msgspec.json.decode(body, type=Note)

    async def prepare(self, principal: Any, bodies: list[Any], *, now: datetime) -> _Prepared:
        outcomes = [engine.Outcome(APPLIED, result={"n": b.n}, scope="scope-1") for b in bodies]
        return _Prepared(bodies, self.fail_with, outcomes)


def batch(device_id: uuid.UUID, notes: list[int]) -> PushRequest:
    clock = None
    ops = []
    for seq, n in enumerate(notes, start=1):
        clock = tick(clock, 1_800_000_000_000 + seq, str(device_id))
        ops.append(
            Op(
                type="note.added",
                op_id=uuid.uuid4(),
                device_seq=seq,
                hlc=str(clock),
                occurred_at=datetime.now(UTC),
                body=msgspec.Raw(msgspec.json.encode({"n": n})),
            )
        )
    return PushRequest(
        protocol=1,
        app_version="test",
        device_id=device_id,
        device_now=datetime.now(UTC),
        ops=ops,
    )


async def push(request: PushRequest, handler: NoteAdded):
    return await engine.push(
        request,
        principal=None,
        user_id=uuid.uuid4(),
        handlers={handler.type: handler},
        transaction=transaction,
        server_now=datetime.now(UTC),
    )


async def test_rule_10_a_failed_bulk_write_is_redone_op_by_op_and_only_the_bad_op_fails(clean):
    device = uuid.uuid4()
    answer = await push(batch(device, [1, 2, 2, 3]), NoteAdded())
    assert [r.status for r in answer.results] == ["applied", "applied", "rejected", "applied"]
    assert answer.results[2].code == "sync.write_failed"
    assert answer.last_applied_seq == 4
    written = await SyncOp.select(SyncOp.device_seq).where(SyncOp.device_id == OTHER_DEVICE)
    assert sorted(r["device_seq"] for r in written) == [1, 2, 3]
    # The failed op's change was rolled back with its savepoint.
    notes = await SyncChange.select(SyncChange.entity_id).where(SyncChange.entity == "note")
    assert sorted(r["entity_id"] for r in notes) == ["1", "2", "3"]


async def test_rule_9_a_batch_that_does_not_commit_acknowledges_nothing(clean):
    device = uuid.uuid4()
    with pytest.raises(RuntimeError):
        await push(batch(device, [1, 2]), NoteAdded(fail_with=RuntimeError))
    assert await SyncOp.count() == 0
    assert await SyncChange.count() == 0
    row = await SyncDevice.select().where(SyncDevice.id == device).first()
    assert row is None or row["last_applied_seq"] == 0
    answer = await push(batch(device, [1, 2]), NoteAdded())
    assert [r.status for r in answer.results] == ["applied", "applied"]
