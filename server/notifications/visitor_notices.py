"""Webhook deliveries that name a visitor (`visit.*` events: the visitor's name, their
organisation and purpose, for the host) are personal data as the register is, and go when
the register's personal fields go: a delivery older than its site's retention period
(server/gate/settings.py) is deleted with its attempts. The gate's purge cannot reach
this table (notifications sit above the gate), so the daily run and `roundkeeper gate
purge` call both."""

from __future__ import annotations

import datetime as dt
import uuid

from server import clock
from server.gate.settings import settings_of
from server.notifications.tables import Delivery


async def forget_visitor_notices(site_id: uuid.UUID | None = None, *, dry_run: bool = False) -> int:
    """Deletes the visitor notices past their site's retention; how many (or would)."""
    query = Delivery.select(Delivery.site).where(Delivery.event.like("visit.%")).distinct()
    if site_id is not None:
        query = query.where(Delivery.site == site_id)
    sites = [row["site"] for row in await query]
    now = clock.utcnow()
    forgotten = 0
    for site, (settings, _) in (await settings_of(sites)).items():
        before = now - dt.timedelta(days=settings.retention_days)
        old = (
            (Delivery.site == site)
            & Delivery.event.like("visit.%")
            & (Delivery.created_at < before)
        )
        forgotten += await Delivery.count().where(old)
        if not dry_run:
            await Delivery.delete().where(old)
    return forgotten
