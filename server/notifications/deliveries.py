"""Deliveries: one per (webhook, event), created once however many dispatchers find the
event, claimed by one dispatcher at a time, and kept with every attempt.

Safe on several workers:
- creating: `INSERT ... ON CONFLICT DO NOTHING` against the unique index on
  (event_key, webhook); on PostgreSQL a second inserter waits for the first to commit and
  then inserts nothing. Rows go in a fixed order, so two inserters never deadlock.
- claiming: due rows are selected `FOR UPDATE SKIP LOCKED` on PostgreSQL (on SQLite the
  write transaction holds the database's one write lock) and, in the same transaction,
  given a claim token and a lease (`next_attempt_at` moves past the send's timeout). The
  HTTP request happens after the commit, holding no lock. A dispatcher that dies mid-send
  leaves the lease to lapse, and another sends the delivery again: at least once.
- recording: a failure reschedules only while the claim is still the recorder's own; a
  success is recorded whoever claimed it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from server import clock
from server.accounts.access import ADMINS, MANAGERS, Caller
from server.clock import new_id
from server.db import is_sqlite, transaction
from server.errors import DomainError, not_found
from server.notifications.formats import RESPONSE_KEPT, clean_text
from server.notifications.tables import Delivery, DeliveryAttempt
from server.notifications.webhooks import Subscriber, load_webhook, targets
from server.notifications.wire import AttemptOut, DeliveryOut, DeliveryPage, Event

NEVER = uuid.UUID(int=0)
CHUNK = 500


@dataclass(frozen=True)
class Claimed:
    """A delivery this dispatcher may send now."""

    id: uuid.UUID
    webhook_id: uuid.UUID
    event: Event
    attempt: int
    """The number of this attempt (1 for the first ever)."""
    tries: int
    """Attempts since it was last queued, this one included."""
    claim: uuid.UUID
    url: str
    format: str
    secret: str


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    """Empty for a success."""
    duration_ms: float
    response: str
    at: datetime


async def create_deliveries(
    events: list[Event], subscribers: list[Subscriber], now: datetime
) -> int:
    """A pending delivery for each event and each active webhook of its site subscribed to
    its kind that existed when it happened; inside the caller's transaction. Returns how
    many were new."""
    by_site: dict[uuid.UUID, list[Subscriber]] = {}
    for subscriber in subscribers:
        by_site.setdefault(subscriber.site_id, []).append(subscriber)
    rows = []
    for event in events:
        for hook in by_site.get(event.site.id, []):
            if event.kind in hook.events and hook.created_at <= event.at:
                rows.append((hook.id, event))
    if not rows:
        return 0
    known = await _known_keys({hook for hook, _ in rows}, {e.key for _, e in rows})
    fresh = sorted(
        ((hook, event) for hook, event in rows if (hook, event.key) not in known),
        key=lambda pair: (str(pair[0]), pair[1].key),
    )
    if not fresh:
        return 0
    created = await (
        Delivery.insert(*(_pending(new_id(), hook, event, now) for hook, event in fresh))
        .on_conflict(action="DO NOTHING")
        .returning(Delivery.id)
    )
    return len(created)


def _pending(delivery_id: uuid.UUID, hook: uuid.UUID, event: Event, now: datetime) -> Delivery:
    """A new delivery of `event` to `hook`, due at `now`."""
    return Delivery(
        id=delivery_id,
        webhook=hook,
        site=event.site.id,
        event=event.kind,
        event_key=event.key,
        occurred_at=event.at,
        payload=msgspec.json.encode(event).decode(),
        status="pending",
        attempts=0,
        tries=0,
        next_attempt_at=now,
        claim=None,
        last_status_code=None,
        last_error="",
        delivered_at=None,
        created_at=clock.utcnow(),
    )


async def create_test_delivery(
    caller: Caller,
    site_id: uuid.UUID,
    webhook_id: uuid.UUID,
    delivery_id: uuid.UUID,
    event: Event,
    now: datetime,
) -> None:
    """A delivery of an admin's test event to one webhook, due now (whatever the events the
    webhook subscribes to, and even if it is switched off: a test is how one finds out)."""
    caller.require(site_id, ADMINS, "site")
    await Delivery.insert(_pending(delivery_id, webhook_id, event, now))


async def get_delivery(webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryOut:
    rows = await Delivery.select().where(
        (Delivery.id == delivery_id) & (Delivery.webhook == webhook_id)
    )
    if not rows:
        raise not_found("delivery")
    return (await _outs(rows))[0]


async def keys_present(keys: set[str]) -> set[str]:
    """Those event keys that some webhook already has a delivery for."""
    wanted, found = sorted(keys), set[str]()
    for start in range(0, len(wanted), CHUNK):
        rows = await Delivery.select(Delivery.event_key).where(
            Delivery.event_key.is_in(wanted[start : start + CHUNK])
        )
        found.update(row["event_key"] for row in rows)
    return found


async def _known_keys(hooks: set[uuid.UUID], keys: set[str]) -> set[tuple[uuid.UUID, str]]:
    rows = await Delivery.select(Delivery.webhook, Delivery.event_key).where(
        Delivery.webhook.is_in(list(hooks)) & Delivery.event_key.is_in(list(keys))
    )
    return {(row["webhook"], row["event_key"]) for row in rows}


async def any_due(now: datetime) -> bool:
    """A cheap read first, so an idle pass never takes SQLite's write lock."""
    return await Delivery.exists().where(
        (Delivery.status == "pending") & (Delivery.next_attempt_at <= now)
    )


async def claim_due(
    now: datetime, limit: int, lease: timedelta, only: uuid.UUID | None = None
) -> list[Claimed]:
    """Up to `limit` pending deliveries due at `now` whose webhook is active (or just the
    one `only` names, active or not: an admin's test), each now this dispatcher's until
    `now + lease`."""
    token = new_id()
    async with transaction():
        where = (Delivery.status == "pending") & (Delivery.next_attempt_at <= now)
        if only is None:
            where &= Delivery.webhook._.active.eq(True)
        else:
            where &= Delivery.id == only
        query = (
            Delivery.select(Delivery.id)
            .where(where)
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
        )
        if not is_sqlite():
            query = query.lock_rows("UPDATE", skip_locked=True, of=(Delivery,))
        ids = [row["id"] for row in await query]
        if not ids:
            return []
        rows = await (
            Delivery.update(
                {
                    Delivery.claim: token,
                    Delivery.next_attempt_at: now + lease,
                    Delivery.attempts: Delivery.attempts + 1,
                    Delivery.tries: Delivery.tries + 1,
                }
            )
            .where(Delivery.id.is_in(ids))
            .returning(
                Delivery.id, Delivery.webhook, Delivery.payload, Delivery.attempts, Delivery.tries
            )
        )
    hooks = await targets([row["webhook"] for row in rows])
    return [
        Claimed(
            id=row["id"],
            webhook_id=row["webhook"],
            event=msgspec.json.decode(row["payload"], type=Event),
            attempt=row["attempts"],
            tries=row["tries"],
            claim=token,
            url=hooks[row["webhook"]]["url"],
            format=hooks[row["webhook"]]["format"],
            secret=hooks[row["webhook"]]["secret"],
        )
        for row in rows
        if row["webhook"] in hooks
    ]


async def record_outcome(
    claimed: Claimed, outcome: Outcome, *, give_up: bool, retry_at: datetime
) -> str | None:
    """Keep the attempt and move the delivery on: delivered; failed when `give_up`; else
    pending again from `retry_at`. Returns the status it is left in (None when its webhook
    was deleted meanwhile)."""
    async with transaction():
        query = Delivery.select(Delivery.claim, Delivery.status).where(Delivery.id == claimed.id)
        if not is_sqlite():
            query = query.lock_rows("UPDATE")
        current = await query.first()
        if current is None:
            return None
        status = current["status"]
        last: dict[Any, Any] = {
            Delivery.last_status_code: outcome.status_code,
            Delivery.last_error: outcome.error,
        }
        if not outcome.error:
            if status != "delivered":
                status = "delivered"
                await Delivery.update(
                    {
                        **last,
                        Delivery.status: status,
                        Delivery.delivered_at: outcome.at,
                        Delivery.claim: None,
                    }
                ).where(Delivery.id == claimed.id)
        elif current["claim"] == claimed.claim and status == "pending":
            changes: dict[Any, Any] = {**last, Delivery.claim: None}
            if give_up:
                status = "failed"
                changes[Delivery.status] = status
            else:
                changes[Delivery.next_attempt_at] = retry_at
            await Delivery.update(changes).where(Delivery.id == claimed.id)
        await DeliveryAttempt.insert(
            DeliveryAttempt(
                id=new_id(),
                delivery=claimed.id,
                number=claimed.attempt,
                at=outcome.at,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                response=outcome.response,
            )
        )
    return status


# --- the API -----------------------------------------------------------------------------


async def list_deliveries(
    caller: Caller,
    site_id: uuid.UUID,
    webhook_id: uuid.UUID,
    *,
    status: str | None = None,
    before: uuid.UUID | None = None,
    limit: int = 50,
) -> DeliveryPage:
    caller.require(site_id, MANAGERS, "site")
    await load_webhook(site_id, webhook_id)
    query = Delivery.select().where(Delivery.webhook == webhook_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    if before is not None:
        query = query.where(Delivery.id < before)
    rows = await query.order_by(Delivery.id, ascending=False).limit(limit + 1)
    page = rows[:limit]
    items = await _outs(page)
    return DeliveryPage(items=items, next_before=page[-1]["id"] if len(rows) > limit else None)


async def retry_delivery(
    caller: Caller, site_id: uuid.UUID, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryOut:
    """Send a failed (or still pending) delivery again now, with a new series of attempts."""
    caller.require(site_id, MANAGERS, "site")
    await load_webhook(site_id, webhook_id)
    where = (Delivery.id == delivery_id) & (Delivery.webhook == webhook_id)
    async with transaction():
        row = await Delivery.select(Delivery.status).where(where).first()
        if row is None:
            raise not_found("delivery")
        if row["status"] == "delivered":
            raise DomainError(
                "delivery.already_delivered",
                "this delivery was delivered; its receiver has it",
                field="id",
            )
        await Delivery.update(
            {
                Delivery.status: "pending",
                Delivery.tries: 0,
                Delivery.claim: None,
                Delivery.next_attempt_at: clock.utcnow(),
            }
        ).where(where)
    rows = await Delivery.select().where(where)
    return (await _outs(rows))[0]


async def _outs(rows: list[dict[str, Any]]) -> list[DeliveryOut]:
    attempts: dict[uuid.UUID, list[AttemptOut]] = {row["id"]: [] for row in rows}
    found = (
        await DeliveryAttempt.select()
        .where(DeliveryAttempt.delivery.is_in(list(attempts) or [NEVER]))
        .order_by(DeliveryAttempt.number)
        .order_by(DeliveryAttempt.at)
    )
    for attempt in found:
        attempts[attempt["delivery"]].append(
            AttemptOut(
                number=attempt["number"],
                at=attempt["at"],
                status_code=attempt["status_code"],
                error=attempt["error"],
                duration_ms=attempt["duration_ms"],
                # Attempts recorded before answers were cut short are cut short here.
                response=clean_text(attempt["response"], RESPONSE_KEPT),
            )
        )
    return [
        DeliveryOut(
            id=row["id"],
            webhook_id=row["webhook"],
            event=row["event"],
            event_key=row["event_key"],
            occurred_at=row["occurred_at"],
            status=row["status"],
            attempt_count=row["attempts"],
            next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
            delivered_at=row["delivered_at"],
            last_status_code=row["last_status_code"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            attempts=attempts[row["id"]],
        )
        for row in rows
    ]
