"""Applying a pushed batch: in order, exactly once, in one transaction, with bulk writes.

Generic over op types: the server registers a handler per `type` that decodes a body,
prepares a run of ops (decides in memory what each will do: R10) and writes what it
prepared in bulk. The engine owns the device's ledger, the order, replays and gaps, the
stored answers, and the fallback to one savepoint per op when a bulk write fails on
something preparing could not foresee (PROTOCOL.md R1-R14).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import sqlite3
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import asyncpg
import msgspec
from piccolo.engine.postgres import PostgresEngine

from sync import changelog
from sync.bulk import insert_rows
from sync.hlc import SERVER_NODE, Hlc, InvalidHlc, parse_hlc, receive, tick
from sync.rules import EARLIEST, LATEST, SKEW_FLAG_MS, SeqClass, cap_and_skew, plan_batch
from sync.tables import SyncDevice, SyncOp
from sync.wire import (
    ABSENT,
    APPLIED,
    CONFLICT,
    DUPLICATE,
    GAP,
    REJECTED,
    Op,
    OpResult,
    PushRequest,
    PushResponse,
)

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Outcome:
    """What one op came to. `scope` is the site it belongs to (for managers' lists of
    refused ops); `blobs` are the photos it names (to report those not uploaded yet)."""

    status: str
    code: str | None = None
    detail: str | None = None
    field: str | None = None
    result: Any = None
    current: Any = None
    parallel: bool = False
    scope: str | None = None
    blobs: list[str] = dataclasses.field(default_factory=list)


class Prepared(Protocol):
    @property
    def outcomes(self) -> Sequence[Outcome]: ...

    async def write(self) -> None:
        """Write every op prepared as applied, in bulk."""


class OpHandler(Protocol):
    # Read-only: a handler may set them as class variables.
    @property
    def type(self) -> str: ...

    @property
    def versions(self) -> frozenset[int]: ...

    def decode(self, v: int, body: msgspec.Raw) -> Any:
        """The body as its type's struct; raises msgspec.ValidationError or DecodeError."""

    async def prepare(self, principal: Any, bodies: list[Any], *, now: datetime) -> Prepared:
        """Decide each op (authorised, validated, evaluated). `now` is the latest business
        time the ops may claim: the server's, or the device's when its clock runs ahead."""


Transaction = Callable[[], contextlib.AbstractAsyncContextManager[Any]]
MissingBlobs = Callable[[str, list[str]], Awaitable[list[str]]]


@dataclass
class _Context:
    request: PushRequest
    principal: Any
    user_id: uuid.UUID
    handlers: dict[str, OpHandler]
    transaction: Transaction
    server_now: datetime


@dataclass
class _Applied:
    results: list[OpResult]
    last_applied_seq: int
    blobs: dict[str, list[str]]


class _BulkWriteFailed(Exception):
    pass


_server_clock: Hlc | None = None


def server_hlc(now: datetime, remote: Hlc | None = None) -> Hlc:
    """This process's clock, moved past every (capped) device clock it has seen."""
    global _server_clock
    now_ms = (now - _UNIX_EPOCH) // timedelta(milliseconds=1)
    if remote is None:
        _server_clock = tick(_server_clock, now_ms, SERVER_NODE)
    else:
        _server_clock = receive(_server_clock, remote, now_ms, SERVER_NODE)
    return _server_clock


async def push(
    request: PushRequest,
    *,
    principal: Any,
    user_id: uuid.UUID,
    handlers: dict[str, OpHandler],
    transaction: Transaction,
    server_now: datetime,
    missing_blobs: MissingBlobs | None = None,
) -> PushResponse:
    """Apply a batch and answer for every op. The answer exists only once the batch's
    transaction has committed (R9): if anything fails, the exception propagates and
    nothing is acknowledged."""
    context = _Context(request, principal, user_id, handlers, transaction, server_now)
    try:
        applied = await _apply(context, careful=False)
    except _BulkWriteFailed:
        applied = await _apply(context, careful=True)
    missing: set[str] = set()
    if missing_blobs is not None:
        for scope, refs in sorted(applied.blobs.items()):
            missing.update(await missing_blobs(scope, sorted(set(refs))))
    latest = max((h for h in (_parse(op.hlc) for op in request.ops) if h), default=None)
    clock = cap_and_skew(request.device_now, server_now, latest or server_hlc(server_now))
    return PushResponse(
        results=applied.results,
        last_applied_seq=applied.last_applied_seq,
        missing_blobs=sorted(missing),
        server_now=server_now,
        server_hlc=str(server_hlc(server_now, clock.hlc if latest else None)),
        skew_ms=clock.skew_ms,
    )


async def _apply(context: _Context, *, careful: bool) -> _Applied:
    request = context.request
    ops = request.ops
    async with context.transaction():
        last = await _lock_device(context)
        verdicts = plan_batch([op.device_seq for op in ops], last)
        outcomes: dict[int, Outcome] = {}
        pending: list[tuple[int, Op, Any]] = []
        earlier = await _stored_by_op_id(request.device_id, [op.op_id for op in ops])
        for index, (op, verdict) in enumerate(zip(ops, verdicts, strict=True)):
            if verdict != "next":
                continue
            stored = earlier.get(op.op_id)
            if stored is not None and stored["device_seq"] != op.device_seq:
                # The same op sent again under a new seq (a client that lost its counter):
                # it was applied once already.
                outcomes[index] = _outcome_from_row(stored, status=DUPLICATE)
                continue
            decoded = _decode(context, op)
            if isinstance(decoded, Outcome):
                outcomes[index] = decoded
            else:
                pending.append((index, op, decoded))
        # Business times are judged by the server's clock, never the device's (R47).
        now_for_ops = context.server_now
        for run in _runs(pending):
            handler = context.handlers[run[0][1].type]
            if careful:
                for index, _, body in run:
                    outcomes[index] = await _apply_alone(context, handler, body, now_for_ops)
                continue
            try:
                prepared = await handler.prepare(
                    context.principal, [body for _, _, body in run], now=now_for_ops
                )
                await prepared.write()
            except Exception as exc:
                if _is_unstorable(exc):
                    raise _BulkWriteFailed from exc
                raise
            for (index, _, _), outcome in zip(run, prepared.outcomes, strict=True):
                outcomes[index] = outcome

        results, new_last = await _answer(context, verdicts, outcomes, last)
        await _record_device(context, new_last)
    blobs: dict[str, list[str]] = {}
    for outcome in outcomes.values():
        if outcome.status in (APPLIED, DUPLICATE) and outcome.scope and outcome.blobs:
            blobs.setdefault(outcome.scope, []).extend(outcome.blobs)
    return _Applied(results, new_last, blobs)


async def _apply_alone(context: _Context, handler: OpHandler, body: Any, now: datetime) -> Outcome:
    """One op in its own savepoint: the careful path, taken only after a batch could not be
    stored. An op the database will not take is rejected on its own (R6): it never blocks
    the ops after it."""
    transaction = SyncOp._meta.db.current_transaction.get()
    assert transaction is not None, "the careful path runs inside the batch's transaction"
    savepoint = await transaction.savepoint()
    mark = changelog.mark()
    try:
        prepared = await handler.prepare(context.principal, [body], now=now)
        await prepared.write()
    except Exception as exc:
        if not _is_unstorable(exc):
            raise
        await savepoint.rollback_to()
        changelog.rollback_to(mark)
        return Outcome(
            status=REJECTED,
            code="sync.write_failed",
            detail=f"the record could not be stored ({type(exc).__name__}): {exc}"[:500],
        )
    await savepoint.release()
    return prepared.outcomes[0]


def _runs(pending: list[tuple[int, Op, Any]]) -> list[list[tuple[int, Op, Any]]]:
    """Consecutive ops of one type, in order: each run is prepared and written before the
    next is prepared, so a later op sees what an earlier one wrote."""
    runs: list[list[tuple[int, Op, Any]]] = []
    for item in pending:
        if runs and runs[-1][-1][1].type == item[1].type:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


_MSGSPEC_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`")


def _decode(context: _Context, op: Op) -> Any:
    """The op's body, or the Outcome refusing it (R6, R13)."""
    hlc = _parse(op.hlc)
    if hlc is None:
        return Outcome(REJECTED, "sync.invalid_hlc", "not a hybrid logical clock", "hlc")
    if hlc.node != str(context.request.device_id):
        return Outcome(REJECTED, "sync.invalid_hlc", "the clock's node is not this device", "hlc")
    handler = context.handlers.get(op.type)
    if handler is None:
        known = ", ".join(sorted(context.handlers))
        return Outcome(REJECTED, "sync.unknown_type", f"unknown op type; one of {known}", "type")
    if op.v not in handler.versions:
        versions = ", ".join(str(v) for v in sorted(handler.versions))
        return Outcome(REJECTED, "sync.unknown_version", f"version {op.v}; known {versions}", "v")
    if not EARLIEST <= op.occurred_at < LATEST:
        return Outcome(
            REJECTED,
            "sync.invalid_body",
            f"occurred_at must lie from {EARLIEST.date()} to before {LATEST.date()}",
            "occurred_at",
        )
    try:
        return handler.decode(op.v, op.body)
    except (RecursionError, UnicodeDecodeError) as exc:
        return Outcome(REJECTED, "sync.invalid_body", f"not readable JSON: {exc}"[:300], "body")
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        message = str(exc)
        match = _MSGSPEC_PATH.search(message)
        where = "body" + (match.group("path") if match else "")
        reason = message[: match.start()] if match else message
        return Outcome(REJECTED, "sync.invalid_body", reason, where)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Hlc | None:
    # A batch's clocks are read several times (decode, ledger, skew); parse each once.
    try:
        return parse_hlc(text)
    except InvalidHlc:
        return None


_UNSTORABLE = (
    sqlite3.IntegrityError,
    sqlite3.DataError,
    asyncpg.exceptions.IntegrityConstraintViolationError,  # class 23
    asyncpg.exceptions.DataError,  # class 22: out of range, bad text, a NUL character
    asyncpg.exceptions.ProgramLimitExceededError,  # class 54: a value too large to index
    OverflowError,  # a value the driver cannot convert
)


def _is_unstorable(exc: BaseException) -> bool:
    """The database refused this content (a key taken, a value it cannot hold), as opposed
    to being unavailable (R7) or the server being wrong: the op is at fault, not the batch."""
    return isinstance(exc, _UNSTORABLE)


async def _lock_device(context: _Context) -> int:
    """The device's `last_applied_seq`, its ledger row locked until commit (R1)."""
    request = context.request
    await SyncDevice.raw(
        "INSERT INTO sync_device (id, user_id, last_applied_seq, protocol, app_version, "
        "last_skew_ms, skew_flagged) VALUES ({}, {}, 0, 0, '', 0, FALSE) "
        "ON CONFLICT (id) DO NOTHING",
        request.device_id,
        context.user_id,
    )
    lock = " FOR UPDATE" if isinstance(SyncDevice._meta.db, PostgresEngine) else ""
    rows = await SyncDevice.raw(
        "SELECT last_applied_seq FROM sync_device WHERE id = {}" + lock, request.device_id
    )
    last_applied_seq: int = rows[0]["last_applied_seq"]
    return last_applied_seq


async def _stored_by_op_id(device_id: uuid.UUID, op_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not op_ids:
        return {}
    rows = await SyncOp.select().where((SyncOp.device_id == device_id) & SyncOp.op_id.is_in(op_ids))
    return {row["op_id"]: row for row in rows}


async def _answer(
    context: _Context, verdicts: list[SeqClass], outcomes: dict[int, Outcome], last: int
) -> tuple[list[OpResult], int]:
    """Every op's answer in order; stores the new ones in the ledger."""
    request = context.request
    replayed = {
        op.device_seq
        for op, verdict in zip(request.ops, verdicts, strict=True)
        if verdict == "replay" and op.device_seq <= last
    }
    stored = {}
    if replayed:
        rows = await SyncOp.select().where(
            (SyncOp.device_id == request.device_id) & SyncOp.device_seq.is_in(sorted(replayed))
        )
        stored = {row["device_seq"]: row for row in rows}
    results: list[OpResult] = []
    answered: dict[int, tuple[uuid.UUID, OpResult]] = {}
    ledger: list[dict[str, Any]] = []
    new_last = last
    for index, (op, verdict) in enumerate(zip(request.ops, verdicts, strict=True)):
        if verdict == "gap":
            results.append(OpResult(op_id=op.op_id, device_seq=op.device_seq, status=GAP))
            continue
        if verdict == "replay":
            results.append(_replay(op, stored.get(op.device_seq), answered.get(op.device_seq)))
            continue
        outcome = outcomes[index]
        result = _result(op, outcome)
        results.append(result)
        answered[op.device_seq] = (op.op_id, result)
        new_last = op.device_seq
        ledger.append(_ledger_row(context, op, outcome))
    await insert_rows(SyncOp, ledger)
    return results, new_last


def _replay(
    op: Op, row: dict[str, Any] | None, in_batch: tuple[uuid.UUID, OpResult] | None
) -> OpResult:
    """R3, R4: the answer stored for this seq, if it was this op."""
    if row is not None:
        if row["op_id"] != op.op_id:
            return _seq_reused(op)
        return _result(op, _outcome_from_row(row))
    if in_batch is not None:
        if in_batch[0] != op.op_id:
            return _seq_reused(op)
        return in_batch[1]
    # Below last_applied_seq with no stored answer: only a pruned ledger gets here.
    return OpResult(
        op_id=op.op_id,
        device_seq=op.device_seq,
        status=DUPLICATE,
        detail="applied long ago; its answer is no longer kept",
    )


def _seq_reused(op: Op) -> OpResult:
    return OpResult(
        op_id=op.op_id,
        device_seq=op.device_seq,
        status=CONFLICT,
        code="sync.seq_reused",
        detail="another op was already stored under this device_seq",
        field="device_seq",
    )


def _result(op: Op, outcome: Outcome) -> OpResult:
    return OpResult(
        op_id=op.op_id,
        device_seq=op.device_seq,
        status=outcome.status,  # type: ignore[arg-type]
        code=outcome.code,
        detail=outcome.detail,
        field=outcome.field,
        current=_raw(outcome.current),
        result=_raw(outcome.result),
        parallel=outcome.parallel,
    )


def _raw(value: Any) -> msgspec.Raw | msgspec.UnsetType:
    if value is None:
        return ABSENT
    if isinstance(value, bytes | str):
        return msgspec.Raw(value.encode() if isinstance(value, str) else value)
    return msgspec.Raw(msgspec.json.encode(value))


def _outcome_from_row(row: dict[str, Any], status: str | None = None) -> Outcome:
    return Outcome(
        status=status or row["status"],
        code=row["code"],
        detail=row["detail"],
        field=row["field"],
        result=row["result"],
        current=row["current"],
        parallel=row["parallel"],
        scope=row["scope"],
    )


def _ledger_row(context: _Context, op: Op, outcome: Outcome) -> dict[str, Any]:
    hlc = _parse(op.hlc)
    capped = cap_and_skew(context.request.device_now, context.server_now, hlc).hlc if hlc else None
    raw_result, raw_current = _raw(outcome.result), _raw(outcome.current)
    return {
        "device_id": context.request.device_id,
        "device_seq": op.device_seq,
        "op_id": op.op_id,
        "type": _text(op.type, 64),
        # An unknown version beyond the column's range is rejected; its number is not kept.
        "v": op.v if _INT32_MIN <= op.v <= _INT32_MAX else 0,
        "status": outcome.status,
        "code": _text(outcome.code, 64),
        "detail": _text(outcome.detail, 2000),
        "field": _text(outcome.field, 200),
        "result": bytes(raw_result).decode() if raw_result else None,
        "current": bytes(raw_current).decode() if raw_current else None,
        "parallel": outcome.parallel,
        "scope": outcome.scope,
        "hlc": str(capped) if capped else _text(op.hlc, 100),
        # A time no column holds is not kept (the op was rejected for it).
        "occurred_at": op.occurred_at if EARLIEST <= op.occurred_at < LATEST else None,
        "received_at": context.server_now,
    }


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _text(value: str | None, length: int) -> str | None:
    """A ledger column's text: what a refusal echoes of the op (a field path, a type, a
    message quoting a value) cut to the column and without NUL characters, which
    PostgreSQL refuses; the answer is kept whatever the op held (R6)."""
    if value is None:
        return None
    return value.replace("\x00", "\ufffd")[:length]


async def _record_device(context: _Context, last_applied_seq: int) -> None:
    request = context.request
    skew_ms = (request.device_now - context.server_now) // timedelta(milliseconds=1)
    latest = max((h for h in (_parse(op.hlc) for op in request.ops) if h), default=None)
    flagged = (
        cap_and_skew(request.device_now, context.server_now, latest).flagged
        if latest
        else abs(skew_ms) > SKEW_FLAG_MS
    )
    await SyncDevice.update(
        {
            SyncDevice.last_applied_seq: last_applied_seq,
            SyncDevice.protocol: request.protocol,
            SyncDevice.app_version: request.app_version[:64],
            SyncDevice.last_push_at: context.server_now,
            SyncDevice.last_skew_ms: skew_ms,
            SyncDevice.skew_flagged: flagged,
        }
    ).where(SyncDevice.id == request.device_id)
