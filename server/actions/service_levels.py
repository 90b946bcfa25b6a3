"""A site's service levels: how long each size of repair may take (small by the end of the
day, large the next working day, major within three, by default), which a new action's
due time follows."""

from __future__ import annotations

import uuid

from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.actions import rules
from server.actions.tables import SiteServiceLevel
from server.actions.wire import ServiceLevelOut, ServiceLevelSet
from server.clock import new_id
from server.db import transaction


async def list_service_levels(caller: Caller, site_id: uuid.UUID) -> list[ServiceLevelOut]:
    caller.require(site_id, EVERYONE)
    own = (await levels_of({site_id})).get(site_id, {})
    return [
        ServiceLevelOut(
            size=size,  # type: ignore[arg-type]
            extra_days=(own.get(size) or default).extra_days,
            min_hours=(own.get(size) or default).min_hours,
            default=size not in own,
        )
        for size, default in rules.DEFAULT_SERVICE_LEVELS.items()
    ]


async def set_service_level(
    caller: Caller, site_id: uuid.UUID, size: str, data: ServiceLevelSet
) -> list[ServiceLevelOut]:
    caller.require(site_id, MANAGERS)
    async with transaction():
        await SiteServiceLevel.delete().where(
            (SiteServiceLevel.site == site_id) & (SiteServiceLevel.size == size)
        )
        await SiteServiceLevel.insert(
            SiteServiceLevel(
                id=new_id(),
                site=site_id,
                size=size,
                extra_days=data.extra_days,
                min_hours=data.min_hours,
            )
        )
    return await list_service_levels(caller, site_id)


async def levels_of(sites: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, rules.ServiceLevel]]:
    rows = await SiteServiceLevel.select().where(
        SiteServiceLevel.site.is_in(list(sites) or [uuid.UUID(int=0)])
    )
    found: dict[uuid.UUID, dict[str, rules.ServiceLevel]] = {}
    for row in rows:
        levels = found.setdefault(row["site"], dict(rules.DEFAULT_SERVICE_LEVELS))
        levels[row["size"]] = rules.ServiceLevel(
            extra_days=row["extra_days"], min_hours=row["min_hours"]
        )
    return found
