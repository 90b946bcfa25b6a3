"""A network that fails on purpose, for the chaos tests and the device simulator.

`FaultyTransport` wraps a real `httpx` transport and does to each request what the next
fault of its schedule says (then passes everything once the schedule is used up):

- `DROP_REQUEST`: lost before it reached the server (`httpx.ConnectError`);
- `DROP_RESPONSE`: the server answered, so a push's batch has committed, but the answer is
  lost on the way back (`httpx.ReadTimeout`): the device must resend without the server
  applying anything twice (R3, R9);
- `DUPLICATE_FIRST` / `DUPLICATE_SECOND`: sent twice at the same time (a proxy that
  retried); the device gets the first or the second answer;
- `REPLAY_BEFORE` / `REPLAY_AFTER`: a copy of the oldest push it holds back (every push is
  held) reaches the server late, just before or just after this request; its answer goes
  nowhere. A push resent after a drop can so arrive after later ones.

`observe` sees each answer the device gets; the tests use it to follow `last_applied_seq`.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Callable, Iterable

import httpx

PUSH_PATH = "/api/sync/push"


class Fault(enum.StrEnum):
    PASS = "pass"
    DROP_REQUEST = "drop_request"
    DROP_RESPONSE = "drop_response"
    DUPLICATE_FIRST = "duplicate_first"
    DUPLICATE_SECOND = "duplicate_second"
    REPLAY_BEFORE = "replay_before"
    REPLAY_AFTER = "replay_after"


class FaultyTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        schedule: Iterable[Fault] = (),
        *,
        observe: Callable[[httpx.Request, httpx.Response], None] | None = None,
    ) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.schedule: deque[Fault] = deque(schedule)
        self.observe = observe
        self.held: deque[httpx.Request] = deque()
        self.done: list[tuple[str, Fault]] = []
        """Each request's path and what was done to it, in order."""

    def plan(self, faults: Iterable[Fault]) -> None:
        """Faults for the next requests, after those still scheduled."""
        self.schedule.extend(faults)

    def heal(self) -> None:
        """Every request from now on passes (held copies are forgotten)."""
        self.schedule.clear()
        self.held.clear()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.schedule.popleft() if self.schedule else Fault.PASS
        self.done.append((request.url.path, fault))
        if request.url.path == PUSH_PATH:
            self.held.append(_copy(request))
        if fault is Fault.DROP_REQUEST:
            raise httpx.ConnectError("lost before it reached the server", request=request)
        if fault is Fault.REPLAY_BEFORE:
            await self._replay_oldest()
        if fault in (Fault.DUPLICATE_FIRST, Fault.DUPLICATE_SECOND):
            answers = await asyncio.gather(self._send(request), self._send(_copy(request)))
            response = answers[0 if fault is Fault.DUPLICATE_FIRST else 1]
        else:
            response = await self._send(request)
        if fault is Fault.REPLAY_AFTER:
            await self._replay_oldest()
        if fault is Fault.DROP_RESPONSE:
            raise httpx.ReadTimeout("the answer was lost on the way back", request=request)
        if self.observe is not None:
            self.observe(request, response)
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """The whole answer, read: the server has finished with the request."""
        response = await self.inner.handle_async_request(request)
        await response.aread()
        return response

    async def _replay_oldest(self) -> None:
        if self.held:
            await self._send(self.held.popleft())

    async def aclose(self) -> None:
        await self.inner.aclose()


def _copy(request: httpx.Request) -> httpx.Request:
    return httpx.Request(
        request.method, request.url, headers=request.headers, content=request.content
    )
