from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import Body, FromQuery, Parameter, QueryParameter

from server.deps import AppSettings, CurrentCaller
from server.notifications import deliveries, dispatcher, webhooks
from server.notifications.dispatcher import DispatchPolicy
from server.notifications.wire import (
    DeliveryOut,
    DeliveryPage,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
)

Id = Annotated[uuid.UUID, Parameter()]


class WebhookController(Controller):
    path = "/api/sites/{site_id:uuid}/webhooks"
    tags = ["notifications"]

    @post("/")
    async def create_webhook(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        site_id: Id,
        data: Annotated[WebhookCreate, Body()],
    ) -> Response[WebhookOut]:
        """Send this site's events (finding.high, action.overdue, occurrence.overdue,
        digest.daily, round.missed, round.flagged, visit.awaiting_host) to a URL as generic
        JSON or as a WeCom, DingTalk or Feishu robot message. Site admins only. The URL's
        host must be, or resolve to, public addresses only (422
        `webhook.destination_not_public` / `webhook.destination_unresolvable`)."""
        allow = settings.webhook_allow_private
        created = await webhooks.create_webhook(caller, site_id, data, allow_private=allow)
        return Response(created, status_code=201)

    @get("/")
    async def list_webhooks(self, caller: CurrentCaller, site_id: Id) -> list[WebhookOut]:
        return await webhooks.list_webhooks(caller, site_id)

    @get("/{webhook_id:uuid}")
    async def get_webhook(self, caller: CurrentCaller, site_id: Id, webhook_id: Id) -> WebhookOut:
        return await webhooks.get_webhook(caller, site_id, webhook_id)

    @patch("/{webhook_id:uuid}")
    async def update_webhook(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        site_id: Id,
        webhook_id: Id,
        data: Annotated[WebhookUpdate, Body()],
    ) -> WebhookOut:
        """Only the fields sent change; a new URL is checked as on creation. A webhook
        switched off keeps its pending deliveries; they go out when it is switched on
        again."""
        return await webhooks.update_webhook(
            caller, site_id, webhook_id, data, allow_private=settings.webhook_allow_private
        )

    @delete("/{webhook_id:uuid}", status_code=204)
    async def delete_webhook(self, caller: CurrentCaller, site_id: Id, webhook_id: Id) -> None:
        """With its deliveries and their attempts."""
        await webhooks.delete_webhook(caller, site_id, webhook_id)

    @get("/{webhook_id:uuid}/deliveries")
    async def list_deliveries(
        self,
        caller: CurrentCaller,
        site_id: Id,
        webhook_id: Id,
        status: FromQuery[Literal["pending", "delivered", "failed"] | None] = None,
        before: FromQuery[uuid.UUID | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> DeliveryPage:
        """Newest first, each with every attempt (status code, error, duration). Managers
        and admins."""
        return await deliveries.list_deliveries(
            caller, site_id, webhook_id, status=status, before=before, limit=limit
        )

    @post("/{webhook_id:uuid}/test", status_code=200)
    async def test_webhook(
        self, caller: CurrentCaller, settings: AppSettings, site_id: Id, webhook_id: Id
    ) -> DeliveryOut:
        """Send a test message to the webhook now and answer with the delivery and its one
        attempt (what the receiver said). Admins."""
        policy = DispatchPolicy.from_settings(settings)
        return await dispatcher.send_test(caller, site_id, webhook_id, policy)

    @post("/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/retry", status_code=200)
    async def retry_delivery(
        self, caller: CurrentCaller, site_id: Id, webhook_id: Id, delivery_id: Id
    ) -> DeliveryOut:
        """Queue a failed (or pending) delivery to be sent by the next pass, with a fresh
        series of attempts; 409 `conflict` for one already delivered."""
        return await deliveries.retry_delivery(caller, site_id, webhook_id, delivery_id)
