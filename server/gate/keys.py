"""The keys ID numbers are hashed with: the deployment's, derived from the server's secret
key, and each site's, derived from the deployment's (server/gate/documents.py says why a
number's hash must be keyed, and what a site's own key buys)."""

from __future__ import annotations

import base64
import hashlib
import uuid

from server.gate.documents import site_lookup_key

_secret: bytes | None = None


def id_secret(secret_key: str) -> bytes:
    """The deployment's key for ID numbers, derived from the server's secret key (as the
    pull cursors' signing key is), so that no second secret must be kept and backed up."""
    return hashlib.sha256(b"roundkeeper visitor id key\0" + secret_key.encode()).digest()


def use_secret_key(secret_key: str) -> None:
    """Set by `create_app` from the settings, before any request is served."""
    global _secret
    _secret = id_secret(secret_key)


def key_secret() -> bytes:
    if _secret is None:
        raise RuntimeError("the visitor ID key is not set: create_app sets it from the settings")
    return _secret


def site_key(site_id: uuid.UUID) -> bytes:
    """The key of every `id_key` at the site: a visit's and a watch entry's alike."""
    return site_lookup_key(key_secret(), site_id)


def site_key_text(site_id: uuid.UUID) -> str:
    """The site's key as gate devices receive it: base64url without padding."""
    return base64.urlsafe_b64encode(site_key(site_id)).rstrip(b"=").decode()
