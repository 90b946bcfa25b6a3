"""What scanning a tag answers: the tag and its target (from the registry), with the
checklists that apply to the target at its site, how each went last time, the target's
open findings, and what its schedules have due on it."""

from __future__ import annotations

import msgspec

from server.accounts.access import Caller
from server.inspections.findings import open_findings_on
from server.inspections.history import last_inspections
from server.registry.tags import resolve_tag
from server.scans.wire import ChecklistOffer, TagScan
from server.schedules.due import due_on
from server.templates.site_checklists import applicable_templates


async def scan_tag(caller: Caller, code: str, public_url: str) -> TagScan:
    resolution = await resolve_tag(caller, code, public_url)
    scan = TagScan(**msgspec.structs.asdict(resolution))
    target = resolution.target
    if target is None:
        return scan
    if target.asset is not None:
        site_id, asset_id, location_id = target.asset.site_id, target.asset.id, None
        offered = await applicable_templates(caller, site_id, asset_category=target.asset.category)
    else:
        assert target.location is not None
        site_id, asset_id, location_id = target.location.site_id, None, target.location.id
        offered = await applicable_templates(caller, site_id, location_kind=target.location.kind)
    last = await last_inspections(asset_id, location_id, [summary.key for summary, _ in offered])
    return msgspec.structs.replace(
        scan,
        templates=[
            ChecklistOffer(**msgspec.structs.asdict(summary), last_inspection=last.get(summary.key))
            for summary, _ in offered
        ],
        open_findings=await open_findings_on(asset_id, location_id),
        due=await due_on(caller, site_id, asset_id, location_id),
    )
