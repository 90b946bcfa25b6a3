"""A site's people as its admins manage them: who has which role until when, the phones each
one logged in on, and who is locked out after failed logins.

Phones are revoked through the token API (`DELETE /api/tokens/{id}`, allowed for the admins
of the person's sites); a person's password is theirs and is not shown or reset here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec

from server.accounts.access import ADMINS, MANAGERS, Caller, check_role
from server.accounts.sessions import lift_lock, locked_out
from server.accounts.tokens import phones_of
from server.accounts.users import members_of, set_membership
from server.accounts.wire import MemberOut, MemberUpdate
from server.errors import DomainError, not_found
from server.settings import Settings


async def list_people(caller: Caller, site_id: uuid.UUID, settings: Settings) -> list[MemberOut]:
    """The site's members, each with their phones and whether they are locked out."""
    caller.require(site_id, MANAGERS)
    members = await members_of(site_id)
    phones = await phones_of([m.user_id for m in members])
    locked = await locked_out(settings, [m.username for m in members])
    return [
        msgspec.structs.replace(
            m, phones=phones.get(m.user_id, []), locked_out=m.username in locked
        )
        for m in members
    ]


async def update_member(
    caller: Caller, site_id: uuid.UUID, user_id: uuid.UUID, data: MemberUpdate
) -> MemberOut:
    """An admin changes a person's role at the site or when it ends. Nobody changes their
    own: an admin who could would lock themselves, and maybe the site, out of it."""
    caller.require(site_id, ADMINS)
    member = await _member(site_id, user_id)
    if user_id == caller.user_id:
        raise DomainError("member.own_role", "your own role at a site is changed by another admin")
    role = check_role(data.role) if isinstance(data.role, str) else member.role
    expires_at = member.expires_at if data.expires_at is msgspec.UNSET else data.expires_at
    if role == "auditor" and expires_at is None:
        raise DomainError(
            "request.invalid",
            "an auditor's access must have an end (expires_at)",
            field="expires_at",
        )
    await set_membership(user_id, site_id, role, _utc(expires_at))
    return await _member(site_id, user_id)


async def unlock(caller: Caller, site_id: uuid.UUID, user_id: uuid.UUID) -> MemberOut:
    """An admin lifts a member's login lock (they called the office: it was them)."""
    caller.require(site_id, ADMINS)
    member = await _member(site_id, user_id)
    await lift_lock(member.username)
    return msgspec.structs.replace(member, locked_out=False)


async def _member(site_id: uuid.UUID, user_id: uuid.UUID) -> MemberOut:
    found = [m for m in await members_of(site_id) if m.user_id == user_id]
    if not found:
        raise not_found("member")
    return found[0]


def _utc(at: datetime | None) -> datetime | None:
    """A time sent without an offset is UTC, as every stored one."""
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)
