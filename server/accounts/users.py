"""People, their memberships, and the Caller built from them."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server import clock
from server.accounts.access import ADMINS, MANAGERS, Caller, check_role
from server.accounts.passwords import hash_password
from server.accounts.tables import Membership, User, UsernameRefusal
from server.accounts.wire import MemberCreate, MemberOut, PersonInfo, SiteRole
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError
from server.feeds import Audience, Feed

log = logging.getLogger("roundkeeper")

USERNAME_REFUSALS = 20
USERNAME_REFUSAL_WINDOW = timedelta(days=1)
"""How many taken usernames one admin may be told of in a day: far more than adding a
school's staff ever meets, far too few to map another organization's usernames."""


async def create_user(
    *,
    organization_id: uuid.UUID,
    username: str,
    display_name: str,
    password: str,
    hashing: str = "standard",
) -> uuid.UUID:
    if await User.exists().where(User.username == username).run():
        raise DomainError(
            "user.username_taken",
            "this username is not available; choose another",
            field="username",
        )
    user_id = new_id()
    await User.insert(
        User(
            id=user_id,
            organization=organization_id,
            username=username,
            display_name=display_name,
            password_hash=hash_password(password, hashing),
            active=True,
            created_at=clock.utcnow(),
        )
    ).run()
    return user_id


async def set_membership(
    user_id: uuid.UUID, site_id: uuid.UUID, role: str, expires_at: datetime | None = None
) -> None:
    """Give `user_id` exactly one role at `site_id` (replacing any earlier one). An
    `expires_at` already past ends the membership: devices drop the person from the site."""
    check_role(role)
    async with transaction():
        where = (Membership.user == user_id) & (Membership.site == site_id)
        updated = (
            await Membership.update(
                {
                    Membership.role: role,
                    Membership.expires_at: expires_at,
                    Membership.version: Membership.version + 1,
                }
            )
            .where(where)
            .returning(Membership.version)
            .run()
        )
        version = updated[0]["version"] if updated else 1
        if not updated:
            await Membership.insert(
                Membership(
                    id=new_id(),
                    user=user_id,
                    site=site_id,
                    role=role,
                    expires_at=expires_at,
                    version=version,
                    created_at=clock.utcnow(),
                )
            ).run()
        if _has_ended(expires_at):
            PERSON_FEED.record(site_id, user_id, version=version, deleted=True)
        else:
            user = (
                await User.select(User.display_name, User.active).where(User.id == user_id).first()
            )
            assert user is not None, "the membership just written references the user"
            person = {
                "user": user_id,
                "user.display_name": user["display_name"],
                "user.active": user["active"],
                "role": role,
            }
            PERSON_FEED.record(site_id, user_id, version=version, data=person_info(person))


def _has_ended(expires_at: datetime | None) -> bool:
    if expires_at is None:
        return False
    if expires_at.tzinfo is None:  # stored as UTC, like every time without an offset
        expires_at = expires_at.replace(tzinfo=UTC)
    return expires_at <= clock.utcnow()


def person_info(row: dict[str, Any]) -> PersonInfo:
    return PersonInfo(
        id=row["user"], name=row["user.display_name"], role=row["role"], active=row["user.active"]
    )


async def snapshot_person(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, PersonInfo]]:
    """The site's current members (deactivated people too: `active` tells the device)."""
    query = Membership.select(
        Membership.user,
        Membership.role,
        Membership.version,
        Membership.user.display_name,
        Membership.user.active,
    ).where(
        (Membership.site == site_id)
        & (Membership.expires_at.is_null() | (Membership.expires_at > clock.utcnow()))
    )
    if after is not None:
        query = query.where(Membership.user > uuid.UUID(after))
    rows = await query.order_by(Membership.user).limit(limit)
    return [(str(r["user"]), r["version"], person_info(r)) for r in rows]


async def find_user(username: str) -> dict | None:
    return await User.select().where(User.username == username).first().run()


async def load_caller(
    user_id: uuid.UUID,
    *,
    device_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
) -> Caller | None:
    """The caller for an active user, or None for a deactivated or unknown one."""
    user = await User.select().where((User.id == user_id) & (User.active.eq(True))).first().run()
    if user is None:
        return None
    now = clock.utcnow()
    rows = (
        await Membership.select(Membership.site, Membership.role, Membership.expires_at)
        .where(Membership.user == user_id)
        .run()
    )
    roles = {r["site"]: r["role"] for r in rows if r["expires_at"] is None or r["expires_at"] > now}
    return Caller(
        user_id=user["id"],
        organization_id=user["organization"],
        username=user["username"],
        display_name=user["display_name"],
        roles=roles,
        device_id=device_id,
        session_id=session_id,
    )


async def site_roles(caller: Caller) -> list[SiteRole]:
    rows = (
        await Membership.select(
            Membership.site, Membership.role, Membership.expires_at, Membership.site.name
        )
        .where(Membership.user == caller.user_id)
        .run()
    )
    return [
        SiteRole(
            site_id=r["site"], site_name=r["site.name"], role=r["role"], expires_at=r["expires_at"]
        )
        for r in rows
        if r["site"] in caller.roles
    ]


async def list_members(caller: Caller, site_id: uuid.UUID) -> list[MemberOut]:
    """For the site's managers: usernames are what one logs in with, and an inspector or an
    auditor has no use for them (their devices get the site's people by name, entity
    `person`)."""
    caller.require(site_id, MANAGERS)
    return await members_of(site_id)


async def members_of(site_id: uuid.UUID) -> list[MemberOut]:
    """Active people with a role at the site (for callers already authorised)."""
    rows = (
        await Membership.select(
            Membership.user,
            Membership.role,
            Membership.expires_at,
            Membership.user.username,
            Membership.user.display_name,
        )
        .where((Membership.site == site_id) & (Membership.user._.active.eq(True)))
        .order_by(Membership.user.username)
        .run()
    )
    return [
        MemberOut(
            user_id=r["user"],
            username=r["user.username"],
            display_name=r["user.display_name"],
            role=r["role"],
            expires_at=r["expires_at"],
        )
        for r in rows
    ]


async def add_member(
    caller: Caller, site_id: uuid.UUID, data: MemberCreate, hashing: str
) -> MemberOut:
    """An admin creates a person in their organization with a role at their site.

    Usernames are unique across every organization, because logging in takes a username
    alone; so a refusal of a taken one tells an admin that someone, somewhere, has it. That
    cannot be avoided without making logins name their organization; what can be done is
    done: the refusal says nothing of whose it is, each one is recorded (UsernameRefusal:
    who asked for which name, when), and an admin told USERNAME_REFUSALS times in a day is
    refused every new member (429) until the oldest of them is a day old."""
    caller.require(site_id, ADMINS)
    await _check_username_refusals(caller)
    check_role(data.role)
    if data.role == "auditor" and data.expires_at is None:
        raise DomainError(
            "request.invalid",
            "an auditor's access must have an end (expires_at)",
            field="expires_at",
        )
    try:
        async with transaction():
            user_id = await create_user(
                organization_id=caller.organization_id,
                username=data.username,
                display_name=data.display_name,
                password=data.password,
                hashing=hashing,
            )
            await set_membership(user_id, site_id, data.role, data.expires_at)
    except DomainError as exc:
        if exc.code == "user.username_taken":
            await _record_username_refusal(caller, data.username)
        raise
    return MemberOut(
        user_id=user_id,
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        expires_at=data.expires_at,
    )


async def _check_username_refusals(caller: Caller) -> None:
    now = clock.utcnow()
    recent = (
        await UsernameRefusal.select(UsernameRefusal.at)
        .where(
            (UsernameRefusal.admin == caller.user_id)
            & (UsernameRefusal.at > now - USERNAME_REFUSAL_WINDOW)
        )
        .order_by(UsernameRefusal.at)
        .run()
    )
    if len(recent) >= USERNAME_REFUSALS:
        wait = recent[0]["at"] + USERNAME_REFUSAL_WINDOW - now
        raise DomainError(
            "auth.rate_limited",
            f"{USERNAME_REFUSALS} usernames asked for today were taken; "
            "try again later, or ask the server's operator",
            headers={"Retry-After": str(max(1, int(wait.total_seconds())))},
        )


async def _record_username_refusal(caller: Caller, username: str) -> None:
    await UsernameRefusal.insert(
        UsernameRefusal(id=new_id(), admin=caller.user_id, username=username, at=clock.utcnow())
    ).run()
    log.warning("username %r refused to admin %s: taken", username, caller.username)


async def is_member(user_id: uuid.UUID, site_id: uuid.UUID) -> bool:
    return (
        await Membership.exists()
        .where((Membership.user == user_id) & (Membership.site == site_id))
        .run()
    )


async def display_names(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = await User.select(User.id, User.display_name).where(User.id.is_in(user_ids)).run()
    return {r["id"]: r["display_name"] for r in rows}


PERSON_FEED = Feed("person", Audience.SITE, snapshot_person)
