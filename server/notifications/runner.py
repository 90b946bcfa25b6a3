"""The dispatcher inside the server process: one asyncio task running a pass every
`notify_interval_s` seconds. Every worker may run one (passes are safe side by side); a
failing pass is logged and the next one comes as usual; shutdown waits briefly for a pass
in progress, then cancels it (its claimed deliveries lapse and are sent by a later pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from server.notifications.dispatcher import DispatchPolicy, run_pass
from server.settings import Settings

log = logging.getLogger("roundkeeper.notifications")

STOP_GRACE_S = 5.0


class BackgroundDispatcher:
    def __init__(
        self,
        *,
        enabled: bool,
        interval_s: float,
        policy: DispatchPolicy | None = None,
        run: Callable[..., Awaitable[Any]] = run_pass,
        stop_grace_s: float = STOP_GRACE_S,
    ) -> None:
        self.enabled = enabled
        self.interval_s = interval_s
        self.policy = policy or DispatchPolicy()
        self.passes = 0
        """Passes finished (failed ones included)."""
        self._run = run
        self._stop_grace_s = stop_grace_s
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @classmethod
    def from_settings(cls, settings: Settings) -> BackgroundDispatcher:
        return cls(
            enabled=settings.notify_in_process,
            interval_s=settings.notify_interval_s,
            policy=DispatchPolicy.from_settings(settings),
        )

    async def start(self) -> None:
        if not self.enabled:
            log.info(
                "notifications: no dispatcher in this process (ROUNDKEEPER_NOTIFY_IN_PROCESS "
                "is false); webhooks are sent by `roundkeeper notify run-once` on a timer"
            )
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="roundkeeper-notify")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), self._stop_grace_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._run(policy=self.policy)
            except Exception:
                log.exception(
                    "notifications: a dispatcher pass failed; the next in %g s", self.interval_s
                )
            self.passes += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)
