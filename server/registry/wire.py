"""What the registry API sends and accepts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.wire import Name, Page, Request

OptionalName = Annotated[str, msgspec.Meta(max_length=200)]
Kind = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z_]{1,31}$")]
Category = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
ShortText = Annotated[str, msgspec.Meta(max_length=64)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
AttributeValue = str | int | float | bool | None
Status = Literal["active", "retired"]


class LocationCreate(Request, frozen=True, kw_only=True):
    id: uuid.UUID | None = None
    """Made by the client (UUIDv7) so that a retried request creates one location."""
    site_id: uuid.UUID
    parent_id: uuid.UUID | None = None
    kind: Kind
    name: Name
    name_en: OptionalName = ""
    code: Annotated[str, msgspec.Meta(max_length=40)] = ""
    sort_order: int = 0


class LocationUpdate(Request, frozen=True, kw_only=True):
    """Only the fields sent change. `version`, if sent, must match the stored one."""

    version: int | msgspec.UnsetType = msgspec.UNSET
    parent_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    kind: Kind | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    name_en: OptionalName | msgspec.UnsetType = msgspec.UNSET
    code: Annotated[str, msgspec.Meta(max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    sort_order: int | msgspec.UnsetType = msgspec.UNSET
    status: Status | msgspec.UnsetType = msgspec.UNSET


class LocationOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    parent_id: uuid.UUID | None
    kind: str
    name: str
    name_en: str
    code: str
    sort_order: int
    status: str
    version: int
    path: list[str]
    """Names from the root down to this location, inclusive."""
    created_at: datetime
    updated_at: datetime


class AssetCreate(Request, frozen=True, kw_only=True):
    id: uuid.UUID | None = None
    """Made by the client (UUIDv7) so that a retried request creates one asset."""
    site_id: uuid.UUID
    location_id: uuid.UUID | None = None
    category: Category
    name: Name
    name_en: OptionalName = ""
    asset_number: ShortText = ""
    serial_number: ShortText = ""
    attributes: dict[str, AttributeValue] = {}
    keeper_id: uuid.UUID | None = None


class AssetUpdate(Request, frozen=True, kw_only=True):
    version: int | msgspec.UnsetType = msgspec.UNSET
    location_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    category: Category | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    name_en: OptionalName | msgspec.UnsetType = msgspec.UNSET
    asset_number: ShortText | msgspec.UnsetType = msgspec.UNSET
    serial_number: ShortText | msgspec.UnsetType = msgspec.UNSET
    attributes: dict[str, AttributeValue] | msgspec.UnsetType = msgspec.UNSET
    keeper_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    status: Status | msgspec.UnsetType = msgspec.UNSET


class AssetOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    location_id: uuid.UUID | None
    location_path: list[str]
    category: str
    name: str
    name_en: str
    asset_number: str
    serial_number: str
    attributes: dict[str, AttributeValue]
    keeper_id: uuid.UUID | None
    keeper_name: str | None
    status: str
    version: int
    created_at: datetime
    updated_at: datetime


class TagCreate(Request, frozen=True, kw_only=True):
    asset_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    code: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    """A pre-printed code to register; a new one is made when absent."""
    note: Note = ""


class TagRebind(Request, frozen=True, kw_only=True):
    asset_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    note: Note = ""


class TagNote(Request, frozen=True, kw_only=True):
    note: Note = ""


class TagOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    code: str
    printed_code: str
    url: str
    status: str
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class TagTarget(msgspec.Struct, frozen=True, kw_only=True):
    kind: Literal["asset", "location"]
    asset: AssetOut | None = None
    location: LocationOut | None = None


class TagResolution(msgspec.Struct, frozen=True, kw_only=True):
    tag: TagOut
    target: TagTarget | None
    replaced_by: str | None = None
    """For a replaced tag, the code of the label that took its place."""


class TagEventOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: str
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    previous_asset_id: uuid.UUID | None
    previous_location_id: uuid.UUID | None
    other_tag_code: str | None
    note: str
    by_user_id: uuid.UUID | None
    at: datetime


class TagBulkIssue(Request, frozen=True, kw_only=True):
    site_id: uuid.UUID
    targets: Literal["assets", "locations", "all"] = "all"


class TagBulkIssued(msgspec.Struct, frozen=True, kw_only=True):
    issued: int


class RowError(msgspec.Struct, frozen=True, kw_only=True):
    row: int
    """1-based row number in the file, the header being row 1."""
    column: str | None
    reason: str


class ImportResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    rows: int
    created: int
    dry_run: bool
    already_imported_at: datetime | None = None
    """Set when this exact file was imported before: nothing was imported again."""


class LocationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A location as devices keep it offline (entity `location`); a device builds paths
    from `parent_id`."""

    id: uuid.UUID
    site_id: uuid.UUID
    parent_id: uuid.UUID | None
    kind: str
    name: str
    name_en: str
    code: str
    sort_order: int
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    """When it was made and last changed: a schedule covers it from the day it was made and,
    once it is retired, up to the day of its last change (a phone works out what is due)."""


class AssetRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An asset as devices keep it offline (entity `asset`); the keeper is named by the
    site's `person` records."""

    id: uuid.UUID
    site_id: uuid.UUID
    location_id: uuid.UUID | None
    category: str
    name: str
    name_en: str
    asset_number: str
    serial_number: str
    attributes: dict[str, AttributeValue]
    keeper_id: uuid.UUID | None
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    """When it was made and last changed: a schedule covers it from the day it was made and,
    once it is retired, up to the day of its last change (a phone works out what is due)."""


class TagRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A tag as devices keep it offline (entity `tag`), so a scan resolves without a
    network; replaced and retired tags stay, with their status."""

    id: uuid.UUID
    site_id: uuid.UUID
    code: str
    status: str
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None


class LocationPage(Page[LocationOut], frozen=True, kw_only=True):
    """A page of a site's locations. Each page type is named and says its items' type
    again: the API description (and a client generated from it) then names both."""

    items: list[LocationOut]


class AssetPage(Page[AssetOut], frozen=True, kw_only=True):
    """A page of assets."""

    items: list[AssetOut]


class TagPage(Page[TagOut], frozen=True, kw_only=True):
    """A page of tags."""

    items: list[TagOut]
