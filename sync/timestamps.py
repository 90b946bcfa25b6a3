"""When the device's store wrote something down: wall time as ISO 8601 text in UTC.

Only the store's own bookkeeping (when an op was queued, pushed or acknowledged, a photo
uploaded, a scope pulled) is stamped this way; device time orders nothing in the protocol
(`sync.hlc` says why).
"""

from __future__ import annotations

from datetime import UTC, datetime


def now_text() -> str:
    return datetime.now(UTC).isoformat()
