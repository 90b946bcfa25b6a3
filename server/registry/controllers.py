from __future__ import annotations

import uuid
from typing import Annotated, Literal

import anyio
from litestar import Controller, Request, Response, get, patch, post
from litestar.params import Body, FromQuery, Parameter, QueryParameter

from server.deps import AppSettings, CurrentCaller
from server.registry import assets, imports, labels, locations, site_tags, spreadsheets, tags
from server.registry.wire import (
    AssetCreate,
    AssetOut,
    AssetPage,
    AssetUpdate,
    ImportCheck,
    ImportResult,
    LabelPresetOut,
    LabelSheetPlan,
    LocationCreate,
    LocationOut,
    LocationPage,
    LocationUpdate,
    TagBulkIssue,
    TagBulkIssued,
    TagCoverage,
    TagCreate,
    TagEventOut,
    TagListPage,
    TagNote,
    TagOut,
    TagPage,
    TagRebind,
)

Id = Annotated[uuid.UUID, Parameter()]
Code = Annotated[str, Parameter(description="tag code, e.g. K7QM-X3P9")]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
IMPORT_BODY_LIMIT = spreadsheets.MAX_FILE_BYTES


class LocationController(Controller):
    path = "/api/locations"
    tags = ["registry"]

    @get("/")
    async def list_locations(
        self,
        caller: CurrentCaller,
        site_id: FromQuery[uuid.UUID | None] = None,
        parent_id: FromQuery[uuid.UUID | None] = None,
        kind: FromQuery[str | None] = None,
        status: FromQuery[Literal["active", "retired"] | None] = "active",
        q: FromQuery[str | None] = None,
        after: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 100,
    ) -> LocationPage:
        return await locations.list_locations(
            caller,
            site_id=site_id,
            parent_id=parent_id,
            kind=kind,
            status=status,
            q=q,
            after=after,
            limit=limit,
        )

    @post("/")
    async def create_location(
        self, caller: CurrentCaller, data: Annotated[LocationCreate, Body()]
    ) -> LocationOut:
        return await locations.create_location(caller, data)

    @get("/{location_id:uuid}")
    async def get_location(self, caller: CurrentCaller, location_id: Id) -> LocationOut:
        return await locations.get_location(caller, location_id)

    @patch("/{location_id:uuid}")
    async def update_location(
        self, caller: CurrentCaller, location_id: Id, data: Annotated[LocationUpdate, Body()]
    ) -> LocationOut:
        return await locations.update_location(caller, location_id, data)


class AssetController(Controller):
    path = "/api/assets"
    tags = ["registry"]

    @get("/")
    async def list_assets(
        self,
        caller: CurrentCaller,
        site_id: FromQuery[uuid.UUID | None] = None,
        location_id: FromQuery[uuid.UUID | None] = None,
        category: FromQuery[str | None] = None,
        status: FromQuery[Literal["active", "retired"] | None] = "active",
        keeper_id: FromQuery[uuid.UUID | None] = None,
        q: FromQuery[str | None] = None,
        untagged: FromQuery[bool] = False,
        after: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 100,
    ) -> AssetPage:
        return await assets.list_assets(
            caller,
            site_id=site_id,
            location_id=location_id,
            category=category,
            status=status,
            keeper_id=keeper_id,
            q=q,
            untagged=untagged,
            after=after,
            limit=limit,
        )

    @post("/")
    async def create_asset(
        self, caller: CurrentCaller, data: Annotated[AssetCreate, Body()]
    ) -> AssetOut:
        return await assets.create_asset(caller, data)

    @get("/{asset_id:uuid}")
    async def get_asset(self, caller: CurrentCaller, asset_id: Id) -> AssetOut:
        return await assets.get_asset(caller, asset_id)

    @patch("/{asset_id:uuid}")
    async def update_asset(
        self, caller: CurrentCaller, asset_id: Id, data: Annotated[AssetUpdate, Body()]
    ) -> AssetOut:
        return await assets.update_asset(caller, asset_id, data)


class ImportController(Controller):
    path = "/api/sites/{site_id:uuid}/assets/import"
    tags = ["registry"]

    @post("/", request_max_body_size=IMPORT_BODY_LIMIT, status_code=200)
    async def import_assets(
        self,
        caller: CurrentCaller,
        request: Request,
        site_id: Id,
        format: FromQuery[Literal["csv", "xlsx"]],
        dry_run: FromQuery[bool] = False,
    ) -> ImportResult:
        """The file is the raw request body; `format` says how to read it. All rows or none."""
        content = await request.body()
        return await imports.import_assets(
            caller, site_id, content, f"upload.{format}", dry_run=dry_run
        )

    @post("/check", request_max_body_size=IMPORT_BODY_LIMIT, status_code=200)
    async def check_import(
        self,
        caller: CurrentCaller,
        request: Request,
        site_id: Id,
        format: FromQuery[Literal["csv", "xlsx"]],
    ) -> ImportCheck:
        """Every problem of the file against its row, and the assets it would make; stores
        nothing. The file is the raw request body."""
        content = await request.body()
        return await imports.check_import(caller, site_id, content, f"upload.{format}")


class TagController(Controller):
    path = "/api/tags"
    tags = ["registry"]

    @get("/")
    async def list_tags(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        site_id: FromQuery[uuid.UUID | None] = None,
        asset_id: FromQuery[uuid.UUID | None] = None,
        location_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[Literal["active", "replaced", "retired"] | None] = "active",
        after: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 100,
    ) -> TagPage:
        return await tags.list_tags(
            caller,
            site_id=site_id,
            asset_id=asset_id,
            location_id=location_id,
            status=status,
            public_url=settings.public_url,
            after=after,
            limit=limit,
        )

    @post("/")
    async def issue_tag(
        self, caller: CurrentCaller, settings: AppSettings, data: Annotated[TagCreate, Body()]
    ) -> TagOut:
        return await tags.issue_tag(caller, data, settings.public_url)

    @post("/bulk", status_code=200)
    async def issue_missing(
        self, caller: CurrentCaller, data: Annotated[TagBulkIssue, Body()]
    ) -> TagBulkIssued:
        """A tag for every active asset and/or location of the site that has none."""
        return await tags.issue_missing_tags(caller, data.site_id, data.targets)

    @get("/{code:str}/history")
    async def tag_history(self, caller: CurrentCaller, code: Code) -> list[TagEventOut]:
        return await tags.tag_history(caller, code)

    @post("/{code:str}/replace")
    async def replace_tag(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        code: Code,
        data: Annotated[TagNote, Body()],
    ) -> TagOut:
        return await tags.replace_tag(caller, code, data.note, settings.public_url)

    @post("/{code:str}/rebind", status_code=200)
    async def rebind_tag(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        code: Code,
        data: Annotated[TagRebind, Body()],
    ) -> TagOut:
        return await tags.rebind_tag(caller, code, data, settings.public_url)

    @post("/{code:str}/retire", status_code=200)
    async def retire_tag(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        code: Code,
        data: Annotated[TagNote, Body()],
    ) -> TagOut:
        return await tags.retire_tag(caller, code, data.note, settings.public_url)

    @get("/{code:str}/label.png", media_type="image/png")
    async def label_png(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        code: Code,
        preset: FromQuery[str] = "a4-3x8",
    ) -> Response[bytes]:
        content = await labels.tag_label(caller, code, settings.public_url)
        png = await anyio.to_thread.run_sync(
            labels.render_png, content, preset, settings.label_font
        )
        return Response(png, media_type="image/png")

    @get("/{code:str}/label.svg", media_type="image/svg+xml")
    async def label_svg(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        code: Code,
        preset: FromQuery[str] = "a4-3x8",
    ) -> Response[str]:
        content = await labels.tag_label(caller, code, settings.public_url)
        return Response(labels.render_svg(content, preset), media_type="image/svg+xml")


class LabelController(Controller):
    path = "/api/labels.pdf"
    tags = ["registry"]

    @get("/", media_type="application/pdf")
    async def labels_pdf(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        site_id: FromQuery[uuid.UUID],
        preset: FromQuery[str] = "a4-3x8",
        location_id: FromQuery[uuid.UUID | None] = None,
        category: FromQuery[str | None] = None,
        targets: FromQuery[Literal["assets", "locations", "all"]] = "all",
    ) -> Response[bytes]:
        labels.preset(preset)
        contents = await labels.site_labels(
            caller,
            site_id,
            settings.public_url,
            location_id=location_id,
            category=category,
            targets=targets,
        )
        pdf = await anyio.to_thread.run_sync(
            labels.render_pdf, contents, preset, settings.label_font
        )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="labels-{preset}.pdf"'},
        )


class SiteTagController(Controller):
    path = "/api/sites/{site_id:uuid}/tags"
    tags = ["registry"]

    @get("/")
    async def list_site_tags(
        self,
        caller: CurrentCaller,
        site_id: Id,
        status: FromQuery[site_tags.TagStatus] = "active",
        targets: FromQuery[site_tags.Targets] = "all",
        q: FromQuery[str | None] = None,
        after: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 50,
    ) -> TagListPage:
        """The site's tags, newest first, with what each is on and where."""
        return await site_tags.list_site_tags(
            caller, site_id, status=status, targets=targets, q=q, after=after, limit=limit
        )

    @get("/untagged")
    async def count_untagged(self, caller: CurrentCaller, site_id: Id) -> TagCoverage:
        return await site_tags.count_untagged(caller, site_id)


class LabelSheetController(Controller):
    path = "/api/sites/{site_id:uuid}/labels"
    tags = ["registry"]

    @get("/")
    async def plan_sheet(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        site_id: Id,
        preset: FromQuery[str] = "a4-3x8",
        location_id: FromQuery[uuid.UUID | None] = None,
        category: FromQuery[str | None] = None,
        targets: FromQuery[Literal["assets", "locations", "all"]] = "all",
    ) -> LabelSheetPlan:
        """What GET /api/labels.pdf with the same choices would print."""
        return await labels.plan_sheet(
            caller,
            site_id,
            settings.public_url,
            preset,
            location_id=location_id,
            category=category,
            targets=targets,
        )

    @get("/presets")
    async def label_presets(self, caller: CurrentCaller, site_id: Id) -> list[LabelPresetOut]:
        return await labels.label_presets(caller, site_id)
