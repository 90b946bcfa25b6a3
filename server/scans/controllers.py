"""The scans HTTP API."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from server.deps import AppSettings, CurrentCaller
from server.scans import tag_scans as scans
from server.scans.wire import TagScan

Code = Annotated[str, Parameter(description="tag code, e.g. K7QM-X3P9")]


class ScanController(Controller):
    path = "/api/tags"
    tags = ["inspections"]

    @get("/{code:str}")
    async def scan_tag(self, caller: CurrentCaller, settings: AppSettings, code: Code) -> TagScan:
        """What a scanned tag points at, the checklists that apply to it at its site with
        the last inspection of each, and its open findings."""
        return await scans.scan_tag(caller, code, settings.public_url)
