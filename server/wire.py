"""Wire basics every domain shares: the base of request bodies, the page of a list and
common field types."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from server.errors import DomainError
from sync.rules import EARLIEST, LATEST

T = TypeVar("T")

# Every time and date a request carries lies in [EARLIEST, LATEST), the range the sync
# engine keeps for an op's `occurred_at`: a school's records do, and the edges of the
# calendar (year 1, year 9999) overflow as soon as they are moved to another time zone or
# stored.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def value_problem(value: Any, path: str = "") -> str | None:
    """Why a decoded value cannot be kept, or None: text with a NUL character (PostgreSQL
    refuses it), a time or date outside [EARLIEST, LATEST), an integer no column holds.
    Walks structs, mappings and sequences; the answer names where (`answers.note`)."""
    problem: str | None = None
    if isinstance(value, str):
        problem = "text may not contain NUL characters" if "\x00" in value else None
    elif isinstance(value, bool) or value is None:
        problem = None
    elif isinstance(value, int):
        problem = None if _INT_MIN <= value <= _INT_MAX else "the number is out of range"
    elif isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        problem = None if EARLIEST <= moment < LATEST else _OUT_OF_RANGE
    elif isinstance(value, date):
        problem = None if EARLIEST.date() <= value < LATEST.date() else _OUT_OF_RANGE
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = value_problem(key, where) or value_problem(item, where)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = value_problem(item, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            found = value_problem(getattr(value, name), f"{path}.{name}" if path else name)
            if found:
                return found
    if problem is None:
        return None
    return f"{path}: {problem}" if path else problem


_OUT_OF_RANGE = (
    f"times and dates must lie from {EARLIEST.date().isoformat()} to before "
    f"{LATEST.date().isoformat()}"
)


D = TypeVar("D", date, datetime)


def in_range(value: D | None, field: str) -> D | None:
    """A time or date from a query string, refused (400, with its name) outside the range
    every stored value lies in: nothing it is compared with lies beyond."""
    if value is not None:
        problem = value_problem(value)
        if problem is not None:
            raise DomainError("request.invalid", problem, field=field)
    return value


class Request(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of request bodies: unknown fields are errors, not silently dropped, and no value
    is one the server cannot keep (`value_problem`): decoding refuses it with its path, on
    the REST API and in a pushed op alike."""

    def __post_init__(self) -> None:
        problem = value_problem(self)
        if problem is not None:
            raise ValueError(problem)


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
