"""Every kind of entity devices pull, each with how to list a site's current rows for a
new device's snapshot (R27). Domain code records the changes (`sync.changelog.record`) in
the transaction that makes them, under the same names.

The order is fixed: while a snapshot is paged, the device's cursor names a feed by its
place here, so a new kind goes at the end. A device gets the site and its people first,
then what applies where, then the things themselves, then what was found wrong with them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from server.accounts.sites import snapshot_site
from server.accounts.users import snapshot_person
from server.inspections.actions import snapshot_action
from server.inspections.calendars import snapshot_calendar
from server.inspections.excusals import snapshot_excusal
from server.inspections.findings import snapshot_finding
from server.inspections.inspection_feed import snapshot_inspection
from server.inspections.schedules import snapshot_schedule
from server.inspections.site_checklists import snapshot_site_checklist
from server.inspections.templates import snapshot_template
from server.registry.assets import snapshot_asset
from server.registry.locations import snapshot_location
from server.registry.tags import snapshot_tag


@dataclass(frozen=True)
class EntityFeed:
    name: str
    snapshot: Callable[[uuid.UUID, str | None, int], Awaitable[list[tuple[str, int, Any]]]]
    """(site id, the last entity id of the previous page or None, at most how many) to
    (entity id, version, data) of current rows, in the order of the ids as strings."""


FEEDS: tuple[EntityFeed, ...] = (
    EntityFeed("site", snapshot_site),
    EntityFeed("person", snapshot_person),
    EntityFeed("template", snapshot_template),
    EntityFeed("site_checklist", snapshot_site_checklist),
    EntityFeed("location", snapshot_location),
    EntityFeed("asset", snapshot_asset),
    EntityFeed("tag", snapshot_tag),
    EntityFeed("finding", snapshot_finding),
    EntityFeed("action", snapshot_action),
    EntityFeed("calendar", snapshot_calendar),
    EntityFeed("schedule", snapshot_schedule),
    EntityFeed("excusal", snapshot_excusal),
    EntityFeed("inspection", snapshot_inspection),
)
