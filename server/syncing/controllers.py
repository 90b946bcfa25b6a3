from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Request, get, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromQuery, QueryParameter

from server.deps import AppSettings, CurrentCaller
from server.errors import DomainError, decode_body
from server.syncing import pull, push, refusals
from server.syncing.refusals import DeviceSync, RefusedOp
from sync.wire import PullRequest, PullResponse, PushRequest, PushResponse


class SyncController(Controller):
    path = "/api/sync"
    tags = ["sync"]

    @post("/push", status_code=200, request_max_body_size=push.MAX_BYTES)
    async def push(self, caller: CurrentCaller, request: Request) -> PushResponse:
        """Apply a device's ops in order, exactly once (body: sync.wire.PushRequest; each
        op's body stays raw until its type decodes it). See sync/PROTOCOL.md."""
        try:
            body = await request.body()
        except RequestEntityTooLarge:
            # R12: refused whole, with the limit, so the device knows to send fewer ops.
            raise DomainError(
                "request.too_large",
                f"a push body may be at most {push.MAX_BYTES} bytes; send fewer ops at a time",
            ) from None
        return await push.push_ops(caller, decode_body(body, PushRequest))

    @get("/refused")
    async def refused(
        self,
        caller: CurrentCaller,
        site_id: FromQuery[uuid.UUID],
        status: FromQuery[Literal["rejected", "conflict"] | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[RefusedOp]:
        """Ops of this site that were rejected or in conflict, newest first (managers)."""
        return await refusals.list_refused_ops(caller, site_id, status=status, limit=limit)

    @get("/devices")
    async def devices(
        self, caller: CurrentCaller, site_id: FromQuery[uuid.UUID]
    ) -> list[DeviceSync]:
        """The site's devices: last push and pull, app version, clock skew (managers)."""
        return await refusals.list_devices(caller, site_id)

    @post("/pull", status_code=200)
    async def pull(
        self, caller: CurrentCaller, settings: AppSettings, data: Annotated[PullRequest, Body()]
    ) -> PullResponse:
        """The changes to what the device may see since its cursors; see sync/PROTOCOL.md."""
        return await pull.pull_changes(caller, data, key=pull.cursor_key(settings.secret_key))
