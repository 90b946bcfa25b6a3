"""`POST /api/sync/push`: the server's side of applying a device's batch.

Checks what belongs to the request as a whole (the device, the protocol, the size), then
lets the sync engine apply the ops with the domains' handlers. A database that is
momentarily unable to commit answers 503 with Retry-After, never `rejected` (R7).
"""

from __future__ import annotations

import sqlite3
import uuid

import asyncpg

from server import clock
from server.accounts.access import Caller
from server.actions import ops as action_ops
from server.blobs.blobs import missing_blobs
from server.db import transaction
from server.errors import DomainError
from server.gate import ops as gate_ops
from server.inspections import ops as inspection_ops
from server.patrols import ops as patrol_ops
from server.schedules import ops as schedule_ops
from sync import engine
from sync.wire import PROTOCOL_VERSION, PushRequest, PushResponse

MAX_OPS = 1000
MAX_BYTES = 8 * 1024 * 1024
RETRY_AFTER_S = 2

# Every synced record kind, registered by its domain's ops.py.
HANDLERS: dict[str, engine.OpHandler] = {
    handler.type: handler
    for handler in (
        *inspection_ops.HANDLERS,
        *action_ops.HANDLERS,
        *schedule_ops.HANDLERS,
        *patrol_ops.HANDLERS,
        *gate_ops.HANDLERS,
    )
}

_TEMPORARY = (
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    ConnectionError,
    TimeoutError,
)


def check_device(caller: Caller, device_id: object, protocol: int) -> None:
    """R11, R40: the request speaks for the token's own device, in a protocol we know."""
    if caller.device_id is None:
        raise DomainError(
            "sync.device_required", "sync needs a device's bearer token, not a browser session"
        )
    if caller.device_id != device_id:
        raise DomainError(
            "sync.device_mismatch",
            "device_id is not the device this token was issued to",
            field="device_id",
        )
    if not 1 <= protocol <= PROTOCOL_VERSION:
        raise DomainError(
            "sync.unsupported_protocol",
            f"protocol {protocol} is not spoken here (1 to {PROTOCOL_VERSION})",
            field="protocol",
        )


async def push_ops(caller: Caller, request: PushRequest) -> PushResponse:
    check_device(caller, request.device_id, request.protocol)
    if len(request.ops) > MAX_OPS:
        raise DomainError(
            "sync.too_many_ops",
            f"{len(request.ops)} ops in one request; at most {MAX_OPS}",
            field="ops",
        )

    async def missing(scope: str, refs: list[str]) -> list[str]:
        return await missing_blobs(uuid.UUID(scope), refs)

    try:
        return await engine.push(
            request,
            principal=caller,
            user_id=caller.user_id,
            handlers=HANDLERS,
            transaction=transaction,
            server_now=clock.utcnow(),
            missing_blobs=missing,
        )
    except _TEMPORARY as exc:
        raise busy(exc) from exc
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise busy(exc) from exc


def busy(exc: BaseException) -> DomainError:
    return DomainError(
        "sync.busy",
        f"the server could not commit just now ({type(exc).__name__}); send the batch again",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
