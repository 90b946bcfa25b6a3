from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, Parameter

from server.deps import CurrentCaller
from server.inspections import templates
from server.inspections.wire import TemplatePublished, TemplateSummary, TemplateVersionOut

Key = Annotated[str, Parameter(description="template key, e.g. fire_extinguisher_monthly")]


class TemplateController(Controller):
    path = "/api/templates"
    tags = ["inspections"]

    @get("/")
    async def list_templates(self, caller: CurrentCaller) -> list[TemplateSummary]:
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

    @get("/{key:str}")
    async def get_template(self, caller: CurrentCaller, key: Key) -> TemplateVersionOut:
        return await templates.get_template(caller, key)

    @get("/{key:str}/versions/{version:int}")
    async def get_template_version(
        self, caller: CurrentCaller, key: Key, version: Annotated[int, Parameter(ge=1)]
    ) -> TemplateVersionOut:
        return await templates.get_template(caller, key, version)
