"""Wire basics every domain shares: the base of request bodies, the page of a list and
common field types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

import msgspec

T = TypeVar("T")


class Request(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of request bodies: unknown fields are errors, not silently dropped."""


class Page(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    """One page of a list, read on from its last item (`?after=`) rather than by an offset."""

    items: list[T]
    next_after: uuid.UUID | None
    """Pass as `after` for the next page; null on the last page."""


AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
"""What people call a thing (a site, a person, a location, an asset)."""


class PersonRef(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str


Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
