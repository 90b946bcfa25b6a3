"""Trimming what the sync engine keeps: old change-log rows and old answers in the ledger.

The change log: the longest run of the oldest positions whose changes were all made
before the horizon is deleted, and the counter's `pruned_through` is raised to the last
of them. That is the whole rule. No row is kept back because it is the latest change of
its entity: a device whose cursor is below `pruned_through` is answered `reset` and
starts the scope again from a snapshot, which is read from the live tables, not from the
log (R27, R29); a cursor at or above it needs nothing that was deleted. Cutting at a
position rather than deleting every old row keeps the log a contiguous tail, so "changes
at or below `pruned_through` are gone" stays exactly true, and nothing younger than the
horizon goes even when a clock stepped back between two transactions.

The ledger: a replay of an op below the device's `last_applied_seq` with no stored
answer is answered `duplicate`, "applied long ago" (R3), so old answers can go. Refused
ones (`rejected`, `conflict`) have a longer horizon of their own: managers list them, and
a device that never got such an answer would otherwise be told `duplicate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable
from piccolo.query.functions.aggregate import Count, Max, Min
from piccolo.table import Table

from sync.engine import Transaction
from sync.tables import SyncChange, SyncCounter, SyncOp
from sync.wire import APPLIED, CONFLICT, DUPLICATE, REJECTED


@dataclass(frozen=True)
class PruneResult:
    changes: int
    """Change-log rows deleted."""
    pruned_through: int
    """The counter's `pruned_through` afterwards: cursors below it are answered `reset`."""
    ops: int
    """Ledger rows of applied and duplicate ops deleted."""
    refused_ops: int
    """Ledger rows of rejected and conflicting ops deleted."""


async def prune(
    *, older_than: datetime, refused_older_than: datetime, transaction: Transaction
) -> PruneResult:
    """Delete what is older than the horizons, in one write transaction: a pull sees the
    rows gone and `pruned_through` raised together, or neither. Running it again deletes
    nothing more."""
    async with transaction():
        through = await _prunable_through(older_than)
        changes = 0
        if through is not None:
            changes = await _count(SyncChange, SyncChange.position <= through)
            if changes:
                await SyncChange.delete().where(SyncChange.position <= through)
        ops = await _delete_ops(older_than, (APPLIED, DUPLICATE))
        refused_ops = await _delete_ops(refused_older_than, (REJECTED, CONFLICT))
        if through is not None:
            # Last, so that writers numbering their transactions (they lock this row on
            # PostgreSQL) wait only for the commit, not for the deletes.
            await SyncCounter.update({SyncCounter.pruned_through: through}).where(
                SyncCounter.pruned_through < through
            )
        counter = await SyncCounter.select(SyncCounter.pruned_through).first()
    return PruneResult(
        changes=changes,
        pruned_through=counter["pruned_through"] if counter else 0,
        ops=ops,
        refused_ops=refused_ops,
    )


async def _prunable_through(older_than: datetime) -> int | None:
    """The last position of the oldest run of positions changed before `older_than`."""
    first_young = await SyncChange.select(Min(SyncChange.position, alias="p")).where(
        SyncChange.changed_at >= older_than
    )
    query = SyncChange.select(Max(SyncChange.position, alias="p"))
    if first_young and first_young[0]["p"] is not None:
        query = query.where(SyncChange.position < first_young[0]["p"])
    last_old = await query
    return last_old[0]["p"] if last_old else None


async def _delete_ops(older_than: datetime, statuses: tuple[str, ...]) -> int:
    old = (SyncOp.received_at < older_than) & SyncOp.status.is_in(list(statuses))
    count = await _count(SyncOp, old)
    if count:
        await SyncOp.delete().where(old)
    return count


async def _count(table: type[Table], where: Combinable) -> int:
    rows = await table.select(Count(alias="n")).where(where)
    count: int = rows[0]["n"]
    return count
