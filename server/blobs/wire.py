"""What the blobs API sends. Uploads are raw image bytes, so there is no request struct."""

from __future__ import annotations

import msgspec


class BlobOut(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    size: int
    """Bytes of the stored original."""
    media_type: str
    width: int
    height: int
    created: bool
    """True when this upload gave the site the blob; false when the site already had it."""


class BlobsShown(msgspec.Struct, frozen=True, kw_only=True):
    shown: list[str]
    """Those of the names asked about that the caller can fetch now, sorted."""
