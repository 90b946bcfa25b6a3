"""The device-side sync client: a local store (`sync.store`) and the server's sync API.

    store = DeviceStore("~/.roundkeeper/device.sqlite3")
    async with DeviceClient(store) as client:
        await client.enrol("https://rk.school.example.cn", token)   # once
        await client.pull()                                          # reference data
        client.enqueue("inspection.submitted", body, occurred_at)    # offline, any time
        await client.push()                                          # when online
        await client.upload_blobs()

The client is asynchronous (`httpx.AsyncClient`): the device simulator drives many devices
from one process, and the tests talk to a server running in their own event loop; a
blocking client would stall both. The store is plain `sqlite3`: its transactions are short
and local, and a blocking call of a millisecond is cheaper than a thread hop.

Every request is retried on transport errors, 5xx, 429 and 503 (`sync.retry`); a push may
be retried after the server committed because the server's ledger answers a replayed op
with its stored result (R3). A batch answered 413 is halved and sent again (R12).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec

from sync.device import (
    BlobFile,
    BlobReport,
    DeviceStatus,
    Identity,
    PullReport,
    PushReport,
    SyncReport,
)
from sync.retry import RetryPolicy, is_retryable
from sync.store import DeviceStore
from sync.wire import (
    PROTOCOL_VERSION,
    SCOPE_RESET,
    Op,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    ScopePage,
)

APP_VERSION = "roundkeeper-python/0.1.0"
DEFAULT_BATCH = 200
DEFAULT_PULL_LIMIT = 500
# A server that answers gap again after the lost ops were put back is not one this device
# can reconcile alone; and a pull whose scopes never stop having more is a server bug.
MAX_GAP_RECOVERIES = 3
MAX_RESETS = 3
MAX_PULL_ROUNDS = 100_000

Sleep = Callable[[float], Awaitable[None]]


class SyncError(Exception):
    """A sync that could not be done; `code` is the server's problem code when it sent one."""

    def __init__(
        self,
        detail: str,
        *,
        code: str = "sync.failed",
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.status = status
        self.field = field


class ServerUnavailable(SyncError):
    """No answer worth having after every retry: the network or the server is down. The
    outbox is untouched; try again later."""


class RequestRefused(SyncError):
    """The server refused the request (4xx): retrying the same request will not help."""


class DeviceClient:
    def __init__(
        self,
        store: DeviceStore,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        batch_size: int = DEFAULT_BATCH,
        pull_limit: int = DEFAULT_PULL_LIMIT,
        app_version: str = APP_VERSION,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """`transport`, `sleep`, `rng` and `now` are for tests and the simulator: a stub
        or faulty network, waits that do not wait, a clock that is off."""
        self.store = store
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self.pull_limit = pull_limit
        self.app_version = app_version
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._now = now or (lambda: datetime.now(UTC))
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def __aenter__(self) -> DeviceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _now_ms(self) -> int:
        return int(self._now().timestamp() * 1000)

    # Enrolment ------------------------------------------------------------------------

    async def enrol(self, server_url: str, token: str) -> Identity:
        """Ask the server who `token` speaks for (`GET /api/me`) and remember it. The token
        must be bound to a device (made by `POST /api/tokens` or `roundkeeper token
        create`), since ops are numbered per device."""
        server_url = server_url.rstrip("/")
        response = await self._request("GET", server_url + "/api/me", token=token)
        me = response.json()
        if not me.get("device_id"):
            raise RequestRefused(
                "this token is not bound to a device; create a device token",
                code="sync.not_a_device_token",
            )
        identity = msgspec.convert(
            {
                "server_url": server_url,
                "token": token,
                "device_id": me["device_id"],
                "user_id": me["id"],
                "username": me["username"],
                "display_name": me.get("display_name") or me["username"],
                "organization_id": me["organization_id"],
                "sites": me.get("sites") or [],
                "enrolled_at": self._now(),
            },
            Identity,
        )
        self.store.enrol(identity)
        return identity

    # Local ----------------------------------------------------------------------------

    def enqueue(
        self,
        type: str,
        body: Any,
        occurred_at: datetime,
        v: int = 1,
        *,
        blobs: list[BlobFile] | tuple[BlobFile, ...] = (),
    ) -> Op:
        """Record an op offline; see `Outbox.enqueue`."""
        return self.store.outbox.enqueue(
            type, body, occurred_at, v=v, blobs=blobs, now_ms=self._now_ms()
        )

    def apply_page(self, page: ScopePage) -> None:
        self.store.cache.apply_page(page)

    def status(self) -> DeviceStatus:
        return self.store.status()

    # Push -----------------------------------------------------------------------------

    async def push(self) -> PushReport:
        """Send the outbox in order, in batches, until it is empty or the server stops
        answering. A 413 halves the batch; a gap puts back what the server lacks (R5)."""
        identity = self.store.require_identity()
        size = max(1, self.batch_size)
        sent_seqs: set[int] = set()
        settled = attention = batches = gaps = 0
        last_applied = self.store.state()["last_applied_seq"]
        while ops := self.store.outbox.pending(size):
            request = PushRequest(
                protocol=PROTOCOL_VERSION,
                app_version=self.app_version,
                device_id=identity.device_id,
                device_now=self._now(),
                ops=ops,
            )
            response = await self._request(
                "POST",
                identity.server_url + "/api/sync/push",
                token=identity.token,
                content=msgspec.json.encode(request),
                accept=(413,),
            )
            if response.status_code == 413:
                if len(ops) == 1:
                    problem = _problem(response)
                    raise RequestRefused(
                        f"op {ops[0].device_seq} ({ops[0].type}) alone is over the server's "
                        f"limit: {problem.get('detail', '')}",
                        code="sync.op_too_large",
                        status=413,
                    )
                size = max(1, len(ops) // 2)
                continue
            answer = msgspec.json.decode(response.content, type=PushResponse)
            batches += 1
            sent_seqs.update(op.device_seq for op in ops)
            outcome = self.store.outbox.settle(answer, now_ms=self._now_ms())
            settled += outcome.settled
            attention += outcome.rejected
            last_applied = outcome.last_applied_seq
            if outcome.gap:
                gaps += 1
                if gaps > MAX_GAP_RECOVERIES:
                    raise SyncError(
                        f"the server keeps answering gap after {last_applied}",
                        code="sync.gap_persists",
                    )
            elif [op.device_seq for op in self.store.outbox.pending(1)] == [ops[0].device_seq]:
                # An answer that moves nothing and is no gap would loop for ever.
                raise SyncError(
                    "the server answered a push without settling any op", code="sync.no_progress"
                )
        return PushReport(
            sent=len(sent_seqs),
            settled=settled,
            needs_attention=attention,
            batches=batches,
            remaining=self.store.outbox.count(),
            last_applied_seq=last_applied,
        )

    # Pull -----------------------------------------------------------------------------

    async def pull(self) -> PullReport:
        """Pull every scope until none has more, each page with its cursor in one local
        transaction (R31). The server adds scopes the user may newly see (R24)."""
        identity = self.store.require_identity()
        pages = changes = requests = 0
        statuses: dict[str, str] = {}
        resets: dict[str, int] = {}
        while True:
            request = PullRequest(
                protocol=PROTOCOL_VERSION,
                app_version=self.app_version,
                device_id=identity.device_id,
                cursors=self.store.cache.cursors(),
                limit=self.pull_limit,
            )
            response = await self._request(
                "POST",
                identity.server_url + "/api/sync/pull",
                token=identity.token,
                content=msgspec.json.encode(request),
            )
            answer = msgspec.json.decode(response.content, type=PullResponse)
            requests += 1
            for page in answer.scopes:
                self.store.cache.apply_page(page)
                pages += 1
                changes += len(page.changes)
                statuses[page.scope] = page.status
                if page.status == SCOPE_RESET:
                    resets[page.scope] = resets.get(page.scope, 0) + 1
                    if resets[page.scope] > MAX_RESETS:
                        raise SyncError(
                            f"the server keeps resetting scope {page.scope}",
                            code="sync.reset_persists",
                        )
            self.store.note_pull(answer.last_applied_seq, answer.server_hlc, now_ms=self._now_ms())
            if not any(page.has_more for page in answer.scopes):
                break
            if requests >= MAX_PULL_ROUNDS:
                raise SyncError("the server never stopped having more", code="sync.no_progress")
        return PullReport(pages=pages, changes=changes, requests=requests, scopes=statuses)

    # Blobs ----------------------------------------------------------------------------

    async def upload_blobs(self, *, limit: int | None = None) -> BlobReport:
        """Upload queued photos, least tried first. Never raises for a failed upload: a
        photo must not hold back data (R39); failures are counted and kept on the queue.
        An unreachable server ends the round early (the next blob would fail the same way)."""
        identity = self.store.require_identity()
        uploaded = failed = 0
        errors: list[str] = []
        for blob in self.store.blobs.queued(limit):
            try:
                content = blob.path.read_bytes()
            except OSError as exc:
                self.store.blobs.failed(blob.sha256, f"cannot read {blob.path}: {exc}")
                failed += 1
                errors.append(f"{blob.sha256[:12]}: cannot read {blob.path}")
                continue
            try:
                await self._request(
                    "PUT",
                    f"{identity.server_url}/api/blobs/{blob.sha256}",
                    token=identity.token,
                    content=content,
                    params={"site_id": str(blob.site_id)},
                    headers={"Content-Type": "application/octet-stream"},
                )
            except ServerUnavailable as exc:
                self.store.blobs.failed(blob.sha256, str(exc))
                failed += 1
                errors.append(f"{blob.sha256[:12]}: {exc}")
                break
            except SyncError as exc:
                self.store.blobs.failed(blob.sha256, f"{exc.code}: {exc.detail}")
                failed += 1
                errors.append(f"{blob.sha256[:12]}: {exc.code}: {exc.detail}")
                continue
            self.store.blobs.uploaded(blob.sha256)
            uploaded += 1
        return BlobReport(
            uploaded=uploaded, failed=failed, remaining=self.store.blobs.count(), errors=errors
        )

    async def sync(self) -> SyncReport:
        """Push, pull, then upload photos: what a device does when it comes online."""
        pushed = await self.push()
        pulled = await self.pull()
        blobs = await self.upload_blobs()
        return SyncReport(push=pushed, pull=pulled, blobs=blobs)

    # HTTP -----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        url: str,
        *,
        token: str,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """One request, retried (`sync.retry`); a 2xx or an `accept`ed status is returned,
        another 4xx raises `RequestRefused`, exhausted retries raise `ServerUnavailable`."""
        sent_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        if content is not None and "Content-Type" not in sent_headers:
            sent_headers["Content-Type"] = "application/json"
        attempts = max(1, self.retry.attempts)
        for attempt in range(attempts):
            try:
                response = await self._http.request(
                    method, url, content=content, params=params, headers=sent_headers
                )
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}"
                delay = self.retry.backoff(attempt, self._rng)
            else:
                if response.is_success or response.status_code in accept:
                    return response
                if not is_retryable(response.status_code):
                    problem = _problem(response)
                    raise RequestRefused(
                        str(problem.get("detail") or response.reason_phrase),
                        code=str(problem.get("code") or f"http.{response.status_code}"),
                        status=response.status_code,
                        field=problem.get("field"),
                    )
                failure = f"HTTP {response.status_code}"
                delay = self.retry.delay(
                    attempt,
                    self._rng,
                    status=response.status_code,
                    retry_after=response.headers.get("Retry-After"),
                    now=datetime.now(UTC),
                )
            if attempt + 1 < attempts:
                await self._sleep(delay)
        raise ServerUnavailable(
            f"{method} {url} failed {attempts} times; last: {failure}", code="sync.unavailable"
        )


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
