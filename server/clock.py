"""Identifiers and time: UUIDv7 ids and aware UTC datetimes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """A time-ordered id (UUIDv7); devices make the same kind for what they create."""
    return uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)
