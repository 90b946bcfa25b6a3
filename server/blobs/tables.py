"""Photos and signatures, stored once by content and granted to the sites that use them."""

from piccolo.columns import (
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.references import SITE, USER


class Blob(Table, tablename="blob"):
    """One stored file, named by the sha256 of its bytes; the bytes live in the blob storage."""

    sha256 = Varchar(length=64, primary_key=True)
    size = Integer()
    media_type = Varchar(length=32)
    width = Integer()
    height = Integer()
    has_location = Boolean(default=False)
    """EXIF GPS or XMP in the stored bytes: viewers get a copy without it."""
    location_rules = Integer(default=1)
    """The version of the rules that judged `has_location` (`blobs.LOCATION_RULES`)."""
    created_at = Timestamptz()


class BlobGrant(Table, tablename="blob_grant"):
    """A site's right to a blob. The same photo uploaded for two sites is stored once,
    granted twice; who can see a blob follows from these rows only."""

    id = UUID(primary_key=True)
    blob = ForeignKey(Blob, on_delete=OnDelete.restrict, null=False)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    uploaded_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
    created_at = Timestamptz()
