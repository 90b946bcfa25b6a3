"""What the accounts API sends and accepts. Hand-written: the wire must not follow columns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from server.wire import Name, Request

Username = Annotated[str, msgspec.Meta(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]


class LoginRequest(Request, frozen=True, kw_only=True):
    username: Annotated[str, msgspec.Meta(max_length=64)]
    password: Annotated[str, msgspec.Meta(max_length=256)]


class SiteRole(msgspec.Struct, frozen=True, kw_only=True):
    site_id: uuid.UUID
    site_name: str
    role: str
    expires_at: datetime | None = None


class Me(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    username: str
    display_name: str
    organization_id: uuid.UUID
    sites: list[SiteRole]
    device_id: uuid.UUID | None = None
    """The device a bearer token is bound to (None for a browser session)."""


class LoginResponse(msgspec.Struct, frozen=True, kw_only=True):
    user: Me
    csrf_token: str
    expires_at: datetime


class SiteCreate(Request, frozen=True, kw_only=True):
    name: Name
    name_en: Annotated[str, msgspec.Meta(max_length=200)] = ""
    timezone: Annotated[str, msgspec.Meta(max_length=64)] = "Asia/Shanghai"


class SiteUpdate(Request, frozen=True, kw_only=True):
    """Only the fields sent change."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    name_en: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    timezone: Annotated[str, msgspec.Meta(max_length=64)] | msgspec.UnsetType = msgspec.UNSET
    keep_photo_location: bool | msgspec.UnsetType = msgspec.UNSET


class SiteOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    name_en: str
    timezone: str
    keep_photo_location: bool
    """Whether viewers see where photos were taken (the EXIF location); the original
    file always keeps it."""
    role: str


class TokenCreate(Request, frozen=True, kw_only=True):
    device_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class TokenOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: uuid.UUID
    prefix: str
    device_id: uuid.UUID
    device_name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(msgspec.Struct, frozen=True, kw_only=True):
    """The only time the token itself is shown."""

    token: str
    info: TokenOut


class MemberCreate(Request, frozen=True, kw_only=True):
    username: Username
    display_name: Name
    password: Password
    role: str
    expires_at: datetime | None = None


class MemberUpdate(Request, frozen=True, kw_only=True):
    """Only the fields sent change. An `expires_at` already past ends the person's access
    at the site (their phones drop it); null makes a role open-ended, except an auditor's."""

    role: str | msgspec.UnsetType = msgspec.UNSET
    expires_at: datetime | msgspec.UnsetType | None = msgspec.UNSET


class PhoneOut(msgspec.Struct, frozen=True, kw_only=True):
    """A phone a person logged in on (its device token): what tells a lost one apart."""

    token_id: uuid.UUID
    device_id: uuid.UUID
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    """When the phone last called the server with this token (a sync, mostly)."""
    revoked_at: datetime | None


class MemberOut(msgspec.Struct, frozen=True, kw_only=True):
    user_id: uuid.UUID
    username: str
    display_name: str
    role: str
    expires_at: datetime | None = None
    phones: list[PhoneOut] = []
    """In the site's list of members only: newest first, revoked ones too."""
    locked_out: bool = False
    """Too many failed logins lately: the person cannot log in until the lock passes or an
    admin lifts it."""


class SiteInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A site as devices keep it offline (pulled as entity `site`)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    name_en: str
    timezone: str
    keep_photo_location: bool


class PersonInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A member of a site as devices see them (entity `person`): a name to show and a
    role, never a username or a credential."""

    id: uuid.UUID
    name: str
    role: str
    active: bool
