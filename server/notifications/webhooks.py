"""A site's webhooks: where its events go, in which format. Only its admins manage them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import httpx
import msgspec

from server import clock
from server.accounts.access import ADMINS, Caller
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError, not_found
from server.notifications import destinations
from server.notifications.tables import Webhook
from server.notifications.wire import WebhookCreate, WebhookOut, WebhookUpdate


class Subscriber(msgspec.Struct, frozen=True, kw_only=True):
    """An active webhook, as the dispatcher needs it to decide who is sent an event."""

    id: uuid.UUID
    site_id: uuid.UUID
    events: frozenset[str]
    created_at: datetime


async def create_webhook(
    caller: Caller, site_id: uuid.UUID, data: WebhookCreate, *, allow_private: Iterable[str] = ()
) -> WebhookOut:
    """`allow_private`: the networks (CIDRs) a URL may point into although they are not
    public (ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE)."""
    caller.require(site_id, ADMINS, "site")
    url = await check_url(data.url, allow_private)
    now = clock.utcnow()
    row: dict[str, Any] = {
        "id": new_id(),
        "site": site_id,
        "url": url,
        "format": data.format,
        "events": _unique(data.events),
        "secret": data.secret or "",
        "active": data.active,
        "created_by": caller.user_id,
        "created_at": now,
        "updated_at": now,
    }
    await Webhook.insert(Webhook(**row))
    return webhook_out(row)


async def list_webhooks(caller: Caller, site_id: uuid.UUID) -> list[WebhookOut]:
    caller.require(site_id, ADMINS, "site")
    rows = (
        await Webhook.select()
        .where(Webhook.site == site_id)
        .order_by(Webhook.created_at)
        .output(load_json=True)
    )
    return [webhook_out(row) for row in rows]


async def get_webhook(caller: Caller, site_id: uuid.UUID, webhook_id: uuid.UUID) -> WebhookOut:
    caller.require(site_id, ADMINS, "site")
    return webhook_out(await load_webhook(site_id, webhook_id))


async def update_webhook(
    caller: Caller,
    site_id: uuid.UUID,
    webhook_id: uuid.UUID,
    data: WebhookUpdate,
    *,
    allow_private: Iterable[str] = (),
) -> WebhookOut:
    caller.require(site_id, ADMINS, "site")
    await load_webhook(site_id, webhook_id)
    changes: dict[Any, Any] = {}
    if data.url is not msgspec.UNSET:
        changes[Webhook.url] = await check_url(data.url, allow_private)
    if data.format is not msgspec.UNSET:
        changes[Webhook.format] = data.format
    if data.events is not msgspec.UNSET:
        changes[Webhook.events] = msgspec.json.encode(_unique(data.events)).decode()
    if data.secret is not msgspec.UNSET:
        changes[Webhook.secret] = data.secret or ""
    if data.active is not msgspec.UNSET:
        changes[Webhook.active] = data.active
    if changes:
        changes[Webhook.updated_at] = clock.utcnow()
        await Webhook.update(changes).where(Webhook.id == webhook_id)
    return webhook_out(await load_webhook(site_id, webhook_id))


async def delete_webhook(caller: Caller, site_id: uuid.UUID, webhook_id: uuid.UUID) -> None:
    """The webhook goes with its deliveries and their attempts."""
    caller.require(site_id, ADMINS, "site")
    async with transaction():
        await load_webhook(site_id, webhook_id)
        await Webhook.delete().where(Webhook.id == webhook_id)


async def load_webhook(site_id: uuid.UUID, webhook_id: uuid.UUID) -> dict[str, Any]:
    """A webhook of `site_id` (the caller's right to the site already checked)."""
    row = (
        await Webhook.select()
        .where((Webhook.id == webhook_id) & (Webhook.site == site_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise not_found("webhook")
    return row


async def subscribers() -> list[Subscriber]:
    """Every active webhook, oldest first."""
    rows = (
        await Webhook.select(Webhook.id, Webhook.site, Webhook.events, Webhook.created_at)
        .where(Webhook.active.eq(True))
        .order_by(Webhook.created_at)
        .output(load_json=True)
    )
    return [
        Subscriber(
            id=row["id"],
            site_id=row["site"],
            events=frozenset(row["events"]),
            created_at=row["created_at"],
        )
        for row in rows
    ]


async def targets(webhook_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Where and how to send, by webhook id (url, format, secret, active)."""
    rows = await Webhook.select(
        Webhook.id, Webhook.url, Webhook.format, Webhook.secret, Webhook.active
    ).where(Webhook.id.is_in(webhook_ids or [uuid.UUID(int=0)]))
    return {row["id"]: row for row in rows}


async def check_url(url: str, allow_private: Iterable[str] = ()) -> str:
    """An http(s) URL (any port) whose host is, or resolves only to, addresses webhooks
    may reach (see `destinations`); the dispatcher checks again before every attempt.
    Parsed by httpx, the parser that sends, so that the host checked is the host sent to."""
    url = url.strip()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise DomainError(
            "request.invalid",
            "the webhook URL must be an http(s) URL such as "
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...",
            field="url",
        )
    try:
        await destinations.checked_addresses(parsed, destinations.allowed_networks(allow_private))
    except destinations.DestinationRefused as exc:
        raise DomainError(
            "webhook.destination_not_public",
            f"webhooks are sent to public addresses only: {exc}; a receiver inside the "
            f"school's network needs its network in {destinations.ALLOW_PRIVATE_SETTING}",
            field="url",
        ) from None
    except destinations.DestinationUnresolvable as exc:
        raise DomainError(
            "webhook.destination_unresolvable",
            f"the webhook URL's host has no address: {exc}",
            field="url",
        ) from None
    return url


def webhook_out(row: dict[str, Any]) -> WebhookOut:
    return WebhookOut(
        id=row["id"],
        site_id=row["site"],
        url=row["url"],
        format=row["format"],
        events=row["events"],
        has_secret=bool(row["secret"]),
        active=row["active"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _unique(events: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(events))
