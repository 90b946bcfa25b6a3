"""The templates HTTP API."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, Request, delete, get, post, put
from litestar.params import Body, FromQuery, Parameter

from server.deps import CurrentCaller
from server.templates import site_checklists, templates
from server.templates.wire import (
    SiteChecklistOut,
    SiteChecklistSet,
    TemplateChecked,
    TemplateListed,
    TemplatePublished,
    TemplateVersionOut,
)

Key = Annotated[str, Parameter(description="template key, e.g. fire_extinguisher_monthly")]
Id = Annotated[uuid.UUID, Parameter()]


class TemplateController(Controller):
    path = "/api/templates"
    tags = ["inspections"]

    @get("/")
    async def list_templates(self, caller: CurrentCaller) -> list[TemplateListed]:
        """The latest version of every template of the caller's organization."""
        return await templates.list_templates(caller)

    @post("/")
    async def publish_template(
        self,
        caller: CurrentCaller,
        request: Request,
        format: FromQuery[Literal["yaml", "json"]] = "yaml",
    ) -> TemplatePublished:
        """The template file is the raw request body. A changed template becomes a new
        version; the same content again publishes nothing."""
        template = templates.read_template(await request.body(), format)
        return await templates.publish_for(caller, template)

    @post("/check", status_code=200)
    async def check_template(
        self,
        caller: CurrentCaller,
        request: Request,
        format: FromQuery[Literal["yaml", "json"]] = "yaml",
    ) -> TemplateChecked:
        """What publishing this template file (the raw request body) would do, with every
        problem by its path; nothing is published."""
        return await templates.check_for(caller, await request.body(), format)

    @get("/{key:str}")
    async def get_template(self, caller: CurrentCaller, key: Key) -> TemplateVersionOut:
        return await templates.get_template(caller, key)

    @get("/{key:str}/versions/{version:int}")
    async def get_template_version(
        self, caller: CurrentCaller, key: Key, version: Annotated[int, Parameter(ge=1)]
    ) -> TemplateVersionOut:
        return await templates.get_template(caller, key, version)


class SiteChecklistController(Controller):
    path = "/api/sites/{site_id:uuid}/checklists"
    tags = ["inspections"]

    @get("/")
    async def list_site_checklists(
        self, caller: CurrentCaller, site_id: Id
    ) -> list[SiteChecklistOut]:
        """Where each template applies at this site."""
        return await site_checklists.list_site_checklists(caller, site_id)

    @put("/{key:str}")
    async def set_site_checklist(
        self,
        caller: CurrentCaller,
        site_id: Id,
        key: Key,
        data: Annotated[SiteChecklistSet, Body()],
    ) -> SiteChecklistOut:
        """Replace the template's own `applies_to` at this site (or switch it off)."""
        return await site_checklists.set_site_checklist(caller, site_id, key, data)

    @delete("/{key:str}", status_code=200)
    async def clear_site_checklist(
        self, caller: CurrentCaller, site_id: Id, key: Key
    ) -> SiteChecklistOut:
        """Back to the template's own `applies_to`."""
        return await site_checklists.clear_site_checklist(caller, site_id, key)
