"""The sync engine's own tables: the commit-ordered change log and its counter, each
device's ledger, and the result of every op ever pushed.

They name no domain table: a scope is a string (the server uses site ids), an entity is a
name and an id, and an op's body is whatever its type's handler made of it.
"""

from piccolo.columns import (
    UUID,
    BigInt,
    BigSerial,
    Boolean,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class SyncCounter(Table, tablename="sync_counter"):
    """One row. `position` numbers writing transactions in commit order (R25); `epoch`
    names this database, so a cursor from another one is reset (R29); changes at or below
    `pruned_through` are gone."""

    position = BigInt(default=0)
    epoch = Varchar(length=32)
    pruned_through = BigInt(default=0)


class SyncChange(Table, tablename="sync_change"):
    """A change to one entity, visible to one scope. All changes of one transaction share
    `position`; `id` orders them within it."""

    id = BigSerial(primary_key=True)
    position = BigInt()
    scope = Varchar(length=64)
    entity = Varchar(length=32)
    entity_id = Varchar(length=80)
    op = Varchar(length=3)
    version = BigInt(default=0)
    data = Text(null=True, default=None)
    changed_at = Timestamptz()


class SyncDevice(Table, tablename="sync_device"):
    """A device's ledger: how far its ops have been answered (R2, R3)."""

    id = UUID(primary_key=True)
    user_id = UUID()
    last_applied_seq = BigInt(default=0)
    protocol = Integer(default=0)
    app_version = Varchar(length=64, default="")
    last_push_at = Timestamptz(null=True, default=None)
    last_pull_at = Timestamptz(null=True, default=None)
    last_skew_ms = BigInt(default=0)
    skew_flagged = Boolean(default=False)


class SyncOp(Table, tablename="sync_op"):
    """The final answer given to one op (R3, R6): replays return it unchanged."""

    id = BigSerial(primary_key=True)
    device_id = UUID()
    device_seq = BigInt()
    op_id = UUID(index=True)
    type = Varchar(length=64)
    v = Integer(default=1)
    status = Varchar(length=12)
    code = Varchar(length=64, null=True, default=None)
    detail = Text(null=True, default=None)
    field = Varchar(length=200, null=True, default=None)
    result = Text(null=True, default=None)
    current = Text(null=True, default=None)
    parallel = Boolean(default=False)
    scope = Varchar(length=64, null=True, default=None)
    hlc = Varchar(length=100, default="")
    occurred_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz()
