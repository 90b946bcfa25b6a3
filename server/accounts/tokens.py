"""Bearer tokens for devices and integrations: bound to one user and one device,
stored as SHA-256, listable and revocable."""

from __future__ import annotations

import logging
import secrets
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from server import clock
from server.accounts.access import ADMINS, Caller
from server.accounts.sessions import digest
from server.accounts.tables import ApiToken, Device, Membership
from server.accounts.users import load_caller
from server.accounts.wire import PhoneOut, TokenCreated, TokenOut
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError, not_found

log = logging.getLogger("roundkeeper.accounts")

TOKEN_PREFIX = "rk_"
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


async def create_token(user_id: uuid.UUID, device_name: str) -> TokenCreated:
    """A token for a new device of `user_id`; the plaintext is returned once, never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.utcnow()
    device_id, token_id = new_id(), new_id()
    async with transaction():
        await Device.insert(
            Device(id=device_id, user=user_id, name=device_name, created_at=now)
        ).run()
        await ApiToken.insert(
            ApiToken(
                id=token_id,
                user=user_id,
                device=device_id,
                token_hash=digest(token),
                prefix=token[:10],
                created_at=now,
            )
        ).run()
    info = TokenOut(
        id=token_id,
        user_id=user_id,
        prefix=token[:10],
        device_id=device_id,
        device_name=device_name,
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    return TokenCreated(token=token, info=info)


async def resolve_token(token: str) -> Caller:
    """The caller a token acts for. An unknown token, a revoked one and one whose account is
    deactivated get the same answer: whoever holds a token learns nothing about it."""
    refused = DomainError("auth.required", "this bearer token is not valid; enrol the device again")
    row = (
        await ApiToken.select(
            ApiToken.id, ApiToken.user, ApiToken.device, ApiToken.revoked_at, ApiToken.last_used_at
        )
        .where(ApiToken.token_hash == digest(token))
        .first()
        .run()
    )
    if row is None or row["revoked_at"] is not None:
        raise refused
    caller = await load_caller(row["user"], device_id=row["device"])
    if caller is None:
        raise refused
    now = clock.utcnow()
    if row["last_used_at"] is None or now - row["last_used_at"] > LAST_USED_RESOLUTION:
        await _touch(row["id"], now)
    return caller


async def _touch(token_id: uuid.UUID, now: datetime) -> None:
    """When the token was last used, for the admins' list of phones: a hint, written at
    most every LAST_USED_RESOLUTION. While SQLite's one writer is busy past its timeout
    (a school's gate tablets pushing their morning's backlog at once), the request goes
    on without it rather than failing: the next request writes it."""
    try:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == token_id).run()
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        log.info("token %s: last use not recorded, the database is busy", token_id)


async def list_tokens(caller: Caller) -> list[TokenOut]:
    """The caller's own tokens, and, for a site admin, those of the people at their sites."""
    users = await _manageable_users(caller)
    rows = (
        await ApiToken.select(*ApiToken.all_columns(), ApiToken.device.name)
        .where(ApiToken.user.is_in(list(users)))
        .order_by(ApiToken.created_at, ascending=False)
        .run()
    )
    return [_token_out(r) for r in rows]


async def revoke_token(caller: Caller, token_id: uuid.UUID) -> TokenOut:
    users = await _manageable_users(caller)
    row = (
        await ApiToken.select(*ApiToken.all_columns(), ApiToken.device.name)
        .where(ApiToken.id == token_id)
        .first()
        .run()
    )
    if row is None or row["user"] not in users:
        raise not_found("token")
    if row["revoked_at"] is None:
        now = clock.utcnow()
        await (
            ApiToken.update({ApiToken.revoked_at: now})
            .where((ApiToken.id == token_id) & ApiToken.revoked_at.is_null())
            .run()
        )
        row = {**row, "revoked_at": now}
    return _token_out(row)


async def phones_of(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PhoneOut]]:
    """Each person's phones, newest first, revoked ones too (for callers already
    authorised)."""
    phones: dict[uuid.UUID, list[PhoneOut]] = {}
    if not user_ids:
        return phones
    rows = (
        await ApiToken.select(*ApiToken.all_columns(), ApiToken.device.name)
        .where(ApiToken.user.is_in(user_ids))
        .order_by(ApiToken.created_at, ascending=False)
        .run()
    )
    for row in rows:
        phones.setdefault(row["user"], []).append(
            PhoneOut(
                token_id=row["id"],
                device_id=row["device"],
                name=row["device.name"],
                created_at=row["created_at"],
                last_seen_at=row["last_used_at"],
                revoked_at=row["revoked_at"],
            )
        )
    return phones


@dataclass(frozen=True)
class MemberDevice:
    id: uuid.UUID
    name: str
    user_id: uuid.UUID
    user_name: str
    enrolled_at: datetime
    """When its token was made: the person logged in on it."""


async def member_devices(site_id: uuid.UUID) -> list[MemberDevice]:
    """The devices in use by the site's people: those with a token not revoked, of a
    person with a current role there (for callers already authorised)."""
    members = (
        await Membership.select(Membership.user)
        .where(
            (Membership.site == site_id)
            & (Membership.expires_at.is_null() | (Membership.expires_at > clock.utcnow()))
        )
        .run()
    )
    if not members:
        return []
    rows = (
        await ApiToken.select(
            ApiToken.device,
            ApiToken.device.name,
            ApiToken.user,
            ApiToken.user.display_name,
            ApiToken.created_at,
        )
        .where(ApiToken.user.is_in([m["user"] for m in members]) & ApiToken.revoked_at.is_null())
        .run()
    )
    return [
        MemberDevice(
            id=r["device"],
            name=r["device.name"],
            user_id=r["user"],
            user_name=r["user.display_name"],
            enrolled_at=r["created_at"],
        )
        for r in rows
    ]


async def _manageable_users(caller: Caller) -> set[uuid.UUID]:
    users = {caller.user_id}
    admin_sites = caller.site_ids(ADMINS)
    if admin_sites:
        rows = (
            await Membership.select(Membership.user).where(Membership.site.is_in(admin_sites)).run()
        )
        users.update(r["user"] for r in rows)
    return users


def _token_out(row: dict) -> TokenOut:
    return TokenOut(
        id=row["id"],
        user_id=row["user"],
        prefix=row["prefix"],
        device_id=row["device"],
        device_name=row["device.name"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )
