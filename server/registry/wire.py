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
    by_name: str | None = None
    """Who did it, by the name their site knows them by."""
    target_name: str | None = None
    """The asset's or location's name the tag was on after this event."""
    previous_target_name: str | None = None
    """For a rebinding: what the tag was on before."""


class TagListed(msgspec.Struct, frozen=True, kw_only=True):
    """A tag as the site's list of tags shows it: with what it is on and where that is."""

    id: uuid.UUID
    code: str
    printed_code: str
    status: str
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    target_name: str
    """The asset's or the location's name."""
    target_number: str
    """The asset's number, or the location's code (a room number); may be empty."""
    place: list[str]
    """Where it is: the asset's location path, or the location's parents."""
    created_at: datetime
    """When it was issued."""
    updated_at: datetime


class TagListPage(Page[TagListed], frozen=True, kw_only=True):
    """A page of a site's tags, newest first."""

    items: list[TagListed]


class TagCoverage(msgspec.Struct, frozen=True, kw_only=True):
    """How many of the site's active things have no active tag yet."""

    untagged_assets: int
    untagged_locations: int


class TagBulkIssue(Request, frozen=True, kw_only=True):
    site_id: uuid.UUID
    targets: Literal["assets", "locations", "all"] = "all"


class TagBulkIssued(msgspec.Struct, frozen=True, kw_only=True):
    issued: int


class LabelPresetOut(msgspec.Struct, frozen=True, kw_only=True):
    """Label stock the server prints on; lengths in millimetres."""

    name: str
    kind: Literal["sheet", "roll"]
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float


class LabelSheetPlan(msgspec.Struct, frozen=True, kw_only=True):
    """What a label PDF with the same choices would hold, before it is made."""

    labels: int
    pages: int
    max_labels: int
    """The most one PDF holds; above it, narrow by location or category."""
    sample_code: str | None
    """The code of the sheet's first label (for a preview); null when there is none."""


ROW_PROBLEMS = frozenset(
    {
        "column_unknown",
        "column_twice",
        "column_missing",
        "columns_too_many",
        "required",
        "category_format",
        "too_long",
        "number_taken",
        "number_repeated",
        "location_unknown",
        "keeper_unknown",
        "attribute_name",
        "date_format",
    }
)
"""What can be wrong with a row of an import (`RowError.code`): a vocabulary of its own,
under the one problem code `import.invalid_rows`; the console says each in the person's
language (tests/test_conventions.py checks both)."""


class RowError(msgspec.Struct, frozen=True, kw_only=True):
    row: int
    """1-based row number in the file, the header being row 1."""
    column: str | None
    code: str
    """What is wrong, stable: one of ROW_PROBLEMS."""
    reason: str
    value: str = ""
    """What the cell held, where that is the problem (a place or keeper not found)."""


class ImportResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    rows: int
    created: int
    dry_run: bool
    already_imported_at: datetime | None = None
    """Set when this exact file was imported before: nothing was imported again."""


class ImportPreviewRow(msgspec.Struct, frozen=True, kw_only=True):
    """An asset an import would make, as the file's row says it."""

    row: int
    name: str
    category: str
    asset_number: str
    serial_number: str
    location_path: list[str]
    keeper_name: str | None
    attributes: dict[str, AttributeValue]


class ImportCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What importing a file would do; nothing is stored."""

    rows: int
    creatable: int
    """Assets the import would make: every row, or none while any row has a problem."""
    problems: int
    errors: list[RowError]
    """The first 500 problems, by row."""
    preview: list[ImportPreviewRow]
    """The first 500 assets it would make."""
    already_imported_at: datetime | None
    """Set when this exact file was imported before: importing it again makes nothing."""


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
