"""When to try a request again, and how long to wait first.

A device on a school's Wi-Fi meets every kind of failure: no route, a proxy's 502, a server
restarting (503), a server shedding load (429). Each is worth another try, after a wait:

- transport errors and 5xx: exponential backoff with full jitter (a random wait between
  zero and `base * 2**attempt`, capped), so that a hundred phones that lost the network
  together do not come back together;
- 429 and 503 with `Retry-After`: the server said when; that wait is honoured (capped, so a
  misconfigured proxy cannot park a device for a day).

Retrying a push is safe even when the server committed before the answer was lost: the
server's ledger answers a replayed op with its stored result (R3).

Pure: the caller passes the random source and the current time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def is_retryable(status: int) -> bool:
    """5xx and 429: the server may answer differently later. A 4xx is the request's fault."""
    return status >= 500 or status == 429


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    """Tries per call, the first included; then the call fails and the caller decides."""
    base_s: float = 0.5
    cap_s: float = 30.0
    """The longest backoff wait."""
    max_retry_after_s: float = 300.0
    """The longest `Retry-After` obeyed; a longer one is cut to this."""

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]; `attempt` counts from 0."""
        ceiling = min(self.cap_s, self.base_s * 2 ** min(attempt, 32))
        return rng.uniform(0, ceiling)

    def delay(
        self,
        attempt: int,
        rng: random.Random,
        *,
        status: int | None = None,
        retry_after: str | None = None,
        now: datetime | None = None,
    ) -> float:
        """The wait before the next try: the server's `Retry-After` on 429/503 when it gave
        one that parses, else the backoff."""
        if status in (429, 503) and retry_after:
            seconds = parse_retry_after(retry_after, now or datetime.now(UTC))
            if seconds is not None:
                return min(seconds, self.max_retry_after_s)
        return self.backoff(attempt, rng)


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date
    (RFC 9110 10.2.3). A date in the past means now (0); garbage means None."""
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        seconds = float(text)  # not in the RFC, but some servers send "1.5"
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
