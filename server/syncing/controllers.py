from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, post
from litestar.params import Body

from server.deps import CurrentCaller
from server.errors import decode_body
from server.syncing import pull, push
from sync.wire import PullRequest, PullResponse, PushRequest, PushResponse


class SyncController(Controller):
    path = "/api/sync"
    tags = ["sync"]

    @post("/push", status_code=200, request_max_body_size=push.MAX_BYTES)
    async def push(self, caller: CurrentCaller, request: Request) -> PushResponse:
        """Apply a device's ops in order, exactly once (body: sync.wire.PushRequest; each
        op's body stays raw until its type decodes it). See sync/PROTOCOL.md."""
        data = decode_body(await request.body(), PushRequest)
        return await push.push_ops(caller, data)

    @post("/pull", status_code=200)
    async def pull(
        self, caller: CurrentCaller, data: Annotated[PullRequest, Body()]
    ) -> PullResponse:
        """The changes to what the device may see since its cursors; see sync/PROTOCOL.md."""
        return await pull.pull_changes(caller, data)
