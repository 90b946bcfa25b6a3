"""The sync messages as they travel, and the opaque pull cursor.

Written by hand and never derived from tables: phones keep old builds for years, so this
contract moves only with `PROTOCOL_VERSION`. The rules these messages carry are numbered in
`sync/PROTOCOL.md`.

Requests refuse unknown fields (a field the server would silently ignore is a bug on the
device that nobody would see); responses accept them, so a newer server can add a field
without breaking an older device. Every datetime must carry its offset.

An op's `body` stays raw JSON until the op's own type decodes it, so one malformed record
is rejected on its own (R6) instead of failing the whole request. msgspec cannot decode
`Raw | None`, so the optional raw fields are `Raw | UnsetType` with `ABSENT` (msgspec's
UNSET) for "absent": omitted on the wire and falsy in Python (`if result.current:`).
"""

import base64
import hashlib
import hmac
import re
import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Final, Literal

import msgspec

PROTOCOL_VERSION: Final = 1

APPLIED: Final = "applied"
DUPLICATE: Final = "duplicate"
REJECTED: Final = "rejected"
CONFLICT: Final = "conflict"
GAP: Final = "gap"
OpStatus = Literal["applied", "duplicate", "rejected", "conflict", "gap"]
OP_STATUSES: Final = (APPLIED, DUPLICATE, REJECTED, CONFLICT, GAP)

SCOPE_OK: Final = "ok"
SCOPE_RESET: Final = "reset"
SCOPE_REMOVED: Final = "removed"
ScopeStatus = Literal["ok", "reset", "removed"]

PUT: Final = "put"
DEL: Final = "del"
ChangeOp = Literal["put", "del"]

# The value of an optional raw field that was not sent (omitted on the wire, falsy).
ABSENT: Final = msgspec.UNSET

# A BIGINT column holds every sequence number and change-log position.
_INT64_MAX = 2**63 - 1
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
DeviceSeq = Annotated[int, msgspec.Meta(ge=1, le=_INT64_MAX)]
Seq = Annotated[int, msgspec.Meta(ge=0, le=_INT64_MAX)]


class Op(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One record made on a device, in the order the device made it (R1, R2)."""

    type: str  # dotted noun.verb, e.g. "inspection.submitted"
    v: int = 1  # the version of the body's shape for this type
    op_id: uuid.UUID
    device_seq: DeviceSeq
    hlc: str  # canonical HLC (sync.hlc), parsed per op so a bad one rejects only its op (R6)
    occurred_at: AwareDatetime
    body: msgspec.Raw


class PushRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    protocol: int
    app_version: str
    device_id: uuid.UUID
    device_now: AwareDatetime
    ops: list[Op]


class OpResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    op_id: uuid.UUID
    device_seq: DeviceSeq
    status: OpStatus
    code: str | None = None  # stable problem code, e.g. "inspection.invalid_answers"
    detail: str | None = None  # for a person
    field: str | None = None  # path inside the op, e.g. "body.answers.gauge"
    # The server's state, for a conflict (R16, R20).
    current: msgspec.Raw | msgspec.UnsetType = ABSENT
    # What applying produced, e.g. an evaluation.
    result: msgspec.Raw | msgspec.UnsetType = ABSENT
    parallel: bool = False  # a stale but legal transition applied alongside another (R19)


class PushResponse(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    results: list[OpResult]
    last_applied_seq: Seq
    missing_blobs: list[str]  # sha256 hex of blobs referenced but not yet uploaded
    server_now: AwareDatetime
    server_hlc: str
    skew_ms: int  # device_now - server_now


class Change(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    entity: str
    id: str
    op: ChangeOp
    version: int
    data: msgspec.Raw | msgspec.UnsetType = ABSENT  # the whole record for a put; absent for a del


class PullRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    protocol: int
    app_version: str
    device_id: uuid.UUID
    cursors: dict[str, str | None]  # scope -> cursor from the last page, null for a new scope
    limit: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 500


class ScopePage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    scope: str
    status: ScopeStatus
    changes: list[Change]
    cursor: str | None
    has_more: bool


class PullResponse(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    scopes: list[ScopePage]
    last_applied_seq: Seq
    server_now: AwareDatetime
    server_hlc: str


class InvalidCursor(ValueError):
    code: ClassVar[str] = "sync.invalid_cursor"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# A cursor is urlsafe base64, unpadded, of b"2:" + epoch + b":" + position, followed by the
# first 16 bytes of that text's HMAC-SHA256 under the server's cursor key. "2" is the cursor
# format; format 1 (an unkeyed checksum) is no longer read, so such a cursor is reset (R29).
#
# The signature means every part of a cursor is one the server made: a forged one (a
# position, a feed or an entity id to page from that the server never sent) is refused as
# damaged before anything of it reaches a query.
_CURSOR_FORMAT = b"2"
_CHECKSUM_BYTES = 16
_CURSOR_MAX_LENGTH = 240
_EPOCH = re.compile(r"[0-9A-Za-z._-]{1,128}")
_POSITION = re.compile(r"0|[1-9][0-9]{0,18}")


def _signature(payload: bytes, key: bytes) -> bytes:
    if not key:
        raise ValueError("a cursor key is required")
    return hmac.new(key, payload, hashlib.sha256).digest()[:_CHECKSUM_BYTES]


def encode_cursor(position: int, epoch: str, key: bytes) -> str:
    """`epoch` names one lineage of the change log (a restore or rebuild starts a new one);
    `key` signs the cursor (the server's, never a device's)."""
    if type(position) is not int or not 0 <= position <= _INT64_MAX:
        raise ValueError("a cursor position is an integer from 0 to 2**63 - 1")
    if not isinstance(epoch, str) or not _EPOCH.fullmatch(epoch):
        raise ValueError("a cursor epoch is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-'")
    payload = b":".join((_CURSOR_FORMAT, epoch.encode(), str(position).encode()))
    raw = payload + _signature(payload, key)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str, key: bytes) -> tuple[int, str]:
    """`(position, epoch)`; raises `InvalidCursor` for anything `encode_cursor` did not make."""
    if not isinstance(text, str) or not 0 < len(text) <= _CURSOR_MAX_LENGTH:
        raise InvalidCursor("not a cursor")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except ValueError:
        raise InvalidCursor("not a cursor") from None
    payload, checksum = raw[:-_CHECKSUM_BYTES], raw[-_CHECKSUM_BYTES:]
    if not payload or not hmac.compare_digest(_signature(payload, key), checksum):
        raise InvalidCursor("cursor damaged")
    parts = payload.split(b":")
    if len(parts) != 3 or parts[0] != _CURSOR_FORMAT:
        raise InvalidCursor("unknown cursor format")
    try:
        epoch, position = parts[1].decode("ascii"), parts[2].decode("ascii")
    except UnicodeDecodeError:
        raise InvalidCursor("unknown cursor format") from None
    if not _EPOCH.fullmatch(epoch) or not _POSITION.fullmatch(position):
        raise InvalidCursor("unknown cursor format")
    value = int(position)
    if value > _INT64_MAX:
        raise InvalidCursor("cursor position out of range")
    return value, epoch
