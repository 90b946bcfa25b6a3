"""Small factories: each sets only what a test is about, through the domain functions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from uuid_utils.compat import uuid7

from server.accounts import sites, tokens, users
from server.accounts.access import Caller
from server.accounts.wire import SiteCreate
from server.registry import assets, locations, tags
from server.registry.wire import AssetCreate, LocationCreate, TagCreate

PASSWORD = "correct horse battery"
_counter = iter(range(1, 1_000_000))


@dataclass
class Person:
    user_id: uuid.UUID
    username: str
    token: str
    caller: Caller

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class School:
    organization_id: uuid.UUID
    site_id: uuid.UUID


async def make_school(
    name: str | None = None,
    organization_id: uuid.UUID | None = None,
    timezone: str = "Asia/Shanghai",
) -> School:
    n = next(_counter)
    org = organization_id or await sites.create_organization(f"教育集团{n}")
    site = await sites.create_site(
        org, SiteCreate(name=name or f"实验小学{n}", name_en=f"School {n}", timezone=timezone)
    )
    return School(org, site)


async def make_person(
    school: School,
    role: str = "admin",
    *,
    username: str | None = None,
    expires_at: datetime | None = None,
    extra_sites: dict[uuid.UUID, str] | None = None,
) -> Person:
    username = username or f"{role}{next(_counter)}"
    user_id = await users.create_user(
        organization_id=school.organization_id,
        username=username,
        display_name=f"测试{role}",
        password=PASSWORD,
        hashing="fast",
    )
    await users.set_membership(user_id, school.site_id, role, expires_at)
    for site_id, other_role in (extra_sites or {}).items():
        await users.set_membership(user_id, site_id, other_role)
    created = await tokens.create_token(user_id, "test phone")
    caller = await users.load_caller(user_id)
    assert caller is not None
    return Person(user_id, username, created.token, caller)


async def make_location(
    admin: Person,
    school: School,
    name: str = "教学楼A",
    *,
    parent: uuid.UUID | None = None,
    kind: str = "building",
    code: str = "",
) -> uuid.UUID:
    data = LocationCreate(site_id=school.site_id, parent_id=parent, kind=kind, name=name, code=code)
    return (await locations.create_location(admin.caller, data)).id


async def make_asset(
    admin: Person,
    school: School,
    *,
    category: str = "fire_extinguisher",
    name: str = "干粉灭火器",
    location: uuid.UUID | None = None,
    asset_number: str = "",
    attributes: dict | None = None,
) -> uuid.UUID:
    data = AssetCreate(
        site_id=school.site_id,
        location_id=location,
        category=category,
        name=name,
        asset_number=asset_number,
        attributes=attributes or {},
    )
    return (await assets.create_asset(admin.caller, data)).id


async def make_tag(
    admin: Person, *, asset: uuid.UUID | None = None, location: uuid.UUID | None = None
) -> str:
    data = TagCreate(asset_id=asset, location_id=location)
    return (await tags.issue_tag(admin.caller, data, "https://rk.school.example.cn")).code


async def take_step(api, person: Person, action: dict, transition: str, **extra) -> dict:
    """A corrective action's step through the API (the action as it is now, at its version);
    the action as the server answers after it."""
    body = {
        "id": str(uuid7()),
        "action_id": action["id"],
        "transition": transition,
        "base_version": action["version"],
        **extra,
    }
    answer = await api.post(
        f"/api/actions/{action['id']}/transitions", json=body, headers=person.headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["action"]
