"""Where things are and which QR tag points at them."""

from piccolo.columns import (
    JSON,
    UUID,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.references import SITE, USER


class Location(Table, tablename="location"):
    """A node of a site's tree: building > floor > room, any depth."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    parent: ForeignKey["Location"] = ForeignKey(
        "self", on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    kind = Varchar(length=32)
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    code = Varchar(length=40, default="")
    sort_order = Integer(default=0)
    status = Varchar(length=16, default="active")
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Asset(Table, tablename="asset"):
    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    location = ForeignKey(
        Location, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    category = Varchar(length=40, index=True)
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    asset_number = Varchar(length=64, default="", index=True)
    serial_number = Varchar(length=64, default="")
    attributes = JSON(default={})
    keeper: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    status = Varchar(length=16, default="active")
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Tag(Table, tablename="tag"):
    """A printed code bound to exactly one asset or one location."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    code = Varchar(length=16, unique=True)
    asset = ForeignKey(Asset, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    location = ForeignKey(
        Location, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    status = Varchar(length=16, default="active")
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TagEvent(Table, tablename="tag_event"):
    """The history of a tag: issued, rebound, replaced, retired. Never updated."""

    id = UUID(primary_key=True)
    tag = ForeignKey(Tag, on_delete=OnDelete.restrict, null=False, index=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False)
    kind = Varchar(length=16)
    asset = ForeignKey(Asset, on_delete=OnDelete.restrict, null=True, default=None)
    location = ForeignKey(Location, on_delete=OnDelete.restrict, null=True, default=None)
    previous_asset = ForeignKey(Asset, on_delete=OnDelete.restrict, null=True, default=None)
    previous_location = ForeignKey(Location, on_delete=OnDelete.restrict, null=True, default=None)
    other_tag = ForeignKey(Tag, on_delete=OnDelete.restrict, null=True, default=None)
    note = Text(default="")
    by_user: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
    at = Timestamptz()


class AssetImport(Table, tablename="asset_import"):
    """Each imported file, by content hash: the same file sent twice is imported once."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    sha256 = Varchar(length=64, index=True)
    filename = Varchar(length=200, default="")
    rows = Integer()
    created = Integer()
    by_user: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
    at = Timestamptz()
