"""One dispatcher pass: find events, make their deliveries, send what is due.

Any number of passes may run at once, in one process or many (see `deliveries` for how):
each event is delivered to each webhook at least once, normally exactly once. The
in-process loop (`runner`) and `roundkeeper notify run-once` both run `run_pass`.

Every attempt resolves the webhook's host again, checks each address (`destinations`) and
connects to a checked one; redirects are not followed (a 3xx is a failed attempt).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx

from server import clock
from server.accounts.access import ADMINS, Caller
from server.clock import new_id
from server.db import transaction
from server.notifications import destinations, formats
from server.notifications.deliveries import (
    Claimed,
    Outcome,
    any_due,
    claim_due,
    create_deliveries,
    create_test_delivery,
    get_delivery,
    record_outcome,
)
from server.notifications.events import SOURCES, Source, Window, site_refs, test_event
from server.notifications.tables import NotificationCursor
from server.notifications.webhooks import load_webhook, subscribers
from server.notifications.wire import DeliveryOut, PassReport
from server.settings import Settings

log = logging.getLogger("roundkeeper.notifications")

RESPONSE_READ_MAX = 64 * 1024


@dataclass(frozen=True)
class DispatchPolicy:
    timeout_s: float = 10.0
    """For one POST, connecting included."""
    max_attempts: int = 8
    """Attempts in a series before a delivery is `failed` (a manual retry starts another)."""
    backoff_s: float = 60.0
    """The wait after the first failed attempt; it doubles after each further one."""
    backoff_cap_s: float = 3600.0
    batch: int = 50
    concurrency: int = 10
    overlap: timedelta = timedelta(minutes=10)
    """How far before its last look a source looks again: a transaction that stamped a row
    before the last look but committed after it is still found."""
    catch_up: timedelta = timedelta(days=3)
    """After a longer stop, older events are not announced (the digest still counts them)."""
    sources: Sequence[Source] = field(default_factory=lambda: SOURCES)
    allow_private: tuple[destinations.IPNetwork, ...] = ()
    """Networks webhooks may reach although they are not public
    (ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE); by default only public addresses."""

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchPolicy:
        return cls(allow_private=destinations.allowed_networks(settings.webhook_allow_private))

    @property
    def lease(self) -> timedelta:
        """How long a claimed delivery is this dispatcher's: longer than sending a whole
        batch can take, so a delivery is taken over only from a dispatcher that stopped."""
        rounds = -(-self.batch // self.concurrency)
        return timedelta(seconds=self.timeout_s * rounds + 60)


def backoff_s(tries: int, policy: DispatchPolicy, rand: float | None = None) -> float:
    """Exponential, capped, with jitter (between half and all of the step) so that
    receivers that failed together are not retried together."""
    step = min(policy.backoff_cap_s, policy.backoff_s * 2 ** max(0, tries - 1))
    return step / 2 + (random.random() if rand is None else rand) * step / 2


async def run_pass(
    *,
    now: datetime | None = None,
    policy: DispatchPolicy | None = None,
    client: httpx.AsyncClient | None = None,
) -> PassReport:
    """Find events up to `now` (default: the clock) and send every delivery due by then."""
    policy = policy or DispatchPolicy()
    now = (now or clock.utcnow()).astimezone(UTC)
    report = PassReport()
    await collect(now, policy, report)
    if client is None:
        async with httpx.AsyncClient() as own:
            await send_due(now, policy, own, report)
    else:
        await send_due(now, policy, client, report)
    return report


async def collect(now: datetime, policy: DispatchPolicy, report: PassReport) -> None:
    hooks = await subscribers()
    for source in policy.sources:
        listening = [hook for hook in hooks if source.kind in hook.events]
        if not listening:
            continue
        sites: dict[uuid.UUID, datetime] = {}
        for hook in listening:  # oldest first: the first of a site is its earliest
            sites.setdefault(hook.site_id, hook.created_at)
        since = max(min(sites.values()), now - policy.catch_up)
        scanned_to = await _scanned_to(source.kind)
        if scanned_to is not None:
            since = max(since, scanned_to - policy.overlap)
        try:
            events = await source.scan(Window(since=since, until=now, sites=sites))
        except Exception:
            # One broken source must not keep the others' events (or any sending) back.
            log.exception(
                "notifications: the %s source failed; it is asked again next pass", source.kind
            )
            continue
        async with transaction():
            report.created += await create_deliveries(events, listening, now)
            await _advance(source.kind, now)
        report.events += len(events)


async def send_due(
    now: datetime, policy: DispatchPolicy, client: httpx.AsyncClient, report: PassReport
) -> None:
    """Each due delivery gets one attempt in a pass: a failed one is due again only later."""
    if not await any_due(now):
        return
    gate = asyncio.Semaphore(policy.concurrency)

    async def send(claimed: Claimed) -> str | None:
        async with gate:
            try:
                return await _attempt(claimed, now, policy, client)
            except Exception:
                # Its claim lapses and another pass sends it again.
                log.exception("notifications: sending delivery %s failed", claimed.id)
                return None

    while batch := await claim_due(now, policy.batch, policy.lease):
        for status in await asyncio.gather(*(send(claimed) for claimed in batch)):
            if status == "delivered":
                report.delivered += 1
            elif status == "failed":
                report.failed += 1
            elif status == "pending":
                report.retrying += 1


async def send_test(
    caller: Caller, site_id: uuid.UUID, webhook_id: uuid.UUID, policy: DispatchPolicy
) -> DeliveryOut:
    """An admin's test delivery, sent now while they wait: one attempt, kept like any other
    (a failed one is `failed` at once, and can be retried). The answer says what the
    receiver said."""
    caller.require(site_id, ADMINS, "site")
    await load_webhook(site_id, webhook_id)
    site = (await site_refs({site_id}))[site_id]
    now = clock.utcnow()
    delivery_id = new_id()
    event = test_event(site, delivery_id, now)
    await create_test_delivery(caller, site_id, webhook_id, delivery_id, event, now)
    once = replace(policy, max_attempts=1)
    for claimed in await claim_due(now, 1, policy.lease, only=delivery_id):
        async with httpx.AsyncClient() as client:
            await _attempt(claimed, now, once, client)
    return await get_delivery(webhook_id, delivery_id)


@dataclass(frozen=True)
class _Answer:
    status_code: int | None = None
    error: str = ""
    body: bytes = b""
    content_type: str = ""


async def _attempt(
    claimed: Claimed, now: datetime, policy: DispatchPolicy, client: httpx.AsyncClient
) -> str | None:
    # Robots check the signature's timestamp against their own clock: sign with the real one.
    request = formats.build_request(
        format=claimed.format,
        url=claimed.url,
        secret=claimed.secret,
        delivery_id=claimed.id,
        event=claimed.event,
        now=clock.utcnow(),
    )
    started = time.perf_counter()
    answer = await _post(request, claimed.format, policy, client)
    # What the receiver or the network said is shown to managers: kept short and printable
    # (and never emptied, since an empty error records a success).
    error = answer.error and (formats.clean_text(answer.error, formats.ERROR_KEPT) or "failed")
    outcome = Outcome(
        status_code=answer.status_code,
        error=error,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        response=formats.response_excerpt(answer.body, answer.content_type),
        at=clock.utcnow(),
    )
    if outcome.error:
        log.info(
            "notifications: delivery %s attempt %d: %s", claimed.id, claimed.attempt, outcome.error
        )
    retry_at = max(now, outcome.at) + timedelta(seconds=backoff_s(claimed.tries, policy))
    return await record_outcome(
        claimed, outcome, give_up=claimed.tries >= policy.max_attempts, retry_at=retry_at
    )


async def _post(
    request: formats.Outgoing, format: str, policy: DispatchPolicy, client: httpx.AsyncClient
) -> _Answer:
    """POST to a checked address of the URL's host; to the next one only when one
    refuses the connection (nothing was sent to it)."""
    url = httpx.URL(request.url)
    try:
        addresses = await destinations.checked_addresses(
            url, policy.allow_private, timeout_s=policy.timeout_s
        )
    except (destinations.DestinationRefused, destinations.DestinationUnresolvable) as exc:
        return _Answer(error=f"not sent: {exc}")
    answer = _Answer(error="no address to send to")
    for address in addresses:
        target = destinations.pinned(url, address)
        status_code: int | None = None
        body = b""
        try:
            async with client.stream(
                "POST",
                target.url,
                content=request.body,
                headers={**request.headers, **target.headers},
                timeout=policy.timeout_s,
                follow_redirects=False,
                extensions=target.extensions,
            ) as response:
                status_code = response.status_code
                content_type = response.headers.get("content-type", "")
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= RESPONSE_READ_MAX:
                        break
            error = formats.judge_response(format, status_code, body)
            return _Answer(status_code, error, body, content_type)
        except httpx.ConnectError as exc:
            answer = _Answer(error=f"{type(exc).__name__}: {exc}".rstrip(": "))
        except httpx.TimeoutException:
            return _Answer(status_code, f"no answer within {policy.timeout_s:g} s")
        except httpx.HTTPError as exc:
            return _Answer(status_code, f"{type(exc).__name__}: {exc}".rstrip(": "))
    return answer


async def _scanned_to(source: str) -> datetime | None:
    row = (
        await NotificationCursor.select(NotificationCursor.scanned_to)
        .where(NotificationCursor.source == source)
        .first()
    )
    return row["scanned_to"] if row else None


async def _advance(source: str, now: datetime) -> None:
    """Only ever forwards: a pass that started earlier and finished later moves nothing."""
    await NotificationCursor.insert(
        NotificationCursor(id=new_id(), source=source, scanned_to=now)
    ).on_conflict(action="DO NOTHING")
    await NotificationCursor.update({NotificationCursor.scanned_to: now}).where(
        (NotificationCursor.source == source) & (NotificationCursor.scanned_to < now)
    )
