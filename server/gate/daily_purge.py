"""The retention purge (server/gate/retention.py) inside the server process: a pass an hour
after start, then one a day. Every worker may run one (passes are safe side by side and
idempotent); a failing pass is logged and the next comes as usual. `roundkeeper gate
purge` does the same from a timer, for a server restarted more often than hourly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from litestar import Litestar

from server.gate.retention import purge

log = logging.getLogger("roundkeeper.gate")

FIRST_PASS_S = 3600.0
"""After start: not while the server is still warming up, nor in a short-lived test run."""
INTERVAL_S = 24 * 3600.0


Also = Callable[[], Awaitable[int]]
"""A purge of the same records kept elsewhere (a domain above the gate's): how many went."""


async def run_passes(first_s: float, interval_s: float, also: tuple[Also, ...] = ()) -> None:
    await asyncio.sleep(first_s)
    while True:
        try:
            result = await purge()
            if result.visits or result.passes or result.card_checks:
                log.info("gate retention purge: %s", result)
            for other in also:
                if gone := await other():
                    log.info("gate retention purge: %d by %s", gone, other.__qualname__)
        except Exception:
            log.exception("gate retention purge failed; the next in %g s", interval_s)
        await asyncio.sleep(interval_s)


def daily_purge(
    *also: Also,
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    """Litestar's lifespan: the passes (the gate's, then `also`) run while the app serves,
    and stop with it."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        passes = run_passes(FIRST_PASS_S, INTERVAL_S, also)
        task = asyncio.create_task(passes, name="roundkeeper-gate-purge")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan
