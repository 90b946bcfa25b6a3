"""What devices pull, and who receives it: feeds, audiences and scopes (PROTOCOL.md R43-R46).

A feed is one kind of entity devices keep a copy of (`asset`, `finding`, ...). Each belongs
to one audience: everyone with a role at a site, or a narrower group (the gate's visitor
records reach only gate staff and managers, never an inspector's phone). A scope, the unit
a device pulls and keeps a cursor for, is a site and an audience; a domain records each
change through its feed, so the change lands in its audience's scope and nowhere else.

Which roles make up an audience is the accounts domain's word (`accounts.access`); the
order of the feeds a device receives is the sync wiring's (`syncing.entities`).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sync import changelog


class Audience(enum.StrEnum):
    SITE = "site"
    """Everyone with a role at the site."""
    GATE = "gate"
    """The site's gate staff and managers: visitor records and ID data."""


class Scope(NamedTuple):
    site_id: uuid.UUID
    audience: Audience

    def __str__(self) -> str:
        # Everyone's scope is the bare site id, as devices have named it since protocol 1.
        if self.audience is Audience.SITE:
            return str(self.site_id)
        return f"{self.site_id}/{self.audience.value}"


def parse_scope(text: str) -> Scope | None:
    """The scope a device names, or None when it names none this server has."""
    site, _, audience = text.partition("/")
    try:
        scope = Scope(uuid.UUID(site), Audience(audience or Audience.SITE))
    except ValueError:
        return None
    # Only the canonical spelling: one scope, one cursor.
    return scope if str(scope) == text else None


Rows = Callable[[uuid.UUID, str | None, int], Awaitable[list[tuple[str, int, Any]]]]


@dataclass(frozen=True)
class Feed:
    """One kind of entity devices pull. `rows` lists a site's current rows for a new
    device's snapshot (R27): (site id, the last entity id of the previous page or None, at
    most how many) to (entity id, version, data), in the order of the ids as strings."""

    name: str
    audience: Audience
    rows: Rows

    async def snapshot(self, scope: str, after: str | None, limit: int) -> list[Any]:
        parsed = parse_scope(scope)
        if parsed is None or parsed.audience is not self.audience:
            return []
        return await self.rows(parsed.site_id, after, limit)

    def record(
        self,
        site_id: uuid.UUID,
        entity_id: Any,
        *,
        version: int,
        data: Any = None,
        deleted: bool = False,
    ) -> None:
        """Note a change for the devices of this feed's audience at `site_id`, inside the
        write transaction that makes it (`sync.changelog.record`)."""
        changelog.record(
            str(Scope(site_id, self.audience)),
            self.name,
            entity_id,
            version=version,
            data=data,
            deleted=deleted,
        )
