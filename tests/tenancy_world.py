"""A victim school with one of everything a route can name, the people who must not reach
it, and a digest of every table to show that nothing they sent changed anything
(tests/test_tenancy_matrix.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from uuid_utils.compat import uuid7

from server import db
from server.gate.documents import check_character
from server.notifications.dispatcher import DispatchPolicy, collect
from server.notifications.wire import PassReport
from server.templates.templates import install_library
from tests.blobs.pictures import sha256, signature
from tests.factories import (
    Person,
    School,
    make_asset,
    make_location,
    make_person,
    make_school,
    make_tag,
)
from tests.inspections.helpers import extinguisher_answers, submission, submit
from tests.schedules.scheduling import make_schedule
from tests.syncing.device import device_of

EXTINGUISHER_CHECK = "fire_extinguisher_monthly"
MORNING = {"every": "daily", "windows": [{"start": "08:00", "end": "09:00"}]}
WEBHOOK_URL = "http://127.0.0.1:1/hook"
"""An address the test server may send to (its settings allow the loopback) where nothing
listens: the admin's test delivery is refused at once, and nothing leaves the machine (the
test server runs no dispatcher; only a test delivery is sent)."""

UNWATCHED_TABLES = {
    "api_token": "every request stamps last_used_at on the token that made it (attackers' too)",
    "migration": "the schema's own bookkeeping, not the school's data",
}
"""Tables a refused request may legitimately write; every other table must not move."""
PUSH_LEDGERS = {
    "sync_op": "the ledger of a device's pushed ops and their answers, rejected ones too (R8)",
    "sync_device": "the pushing device's own state: last push, app version, clock skew (R35)",
}
"""Also written by a stranger's push, about the stranger's own device."""


@dataclass
class World:
    school: School
    sister: School
    admin: Person
    manager: Person
    inspector: Person
    auditor: Person
    ids: dict[str, str]
    """Path parameter name -> the victim's value."""
    strangers: dict[str, Person]
    """The other organization's admin, the sister site's admin, the expired auditor."""
    attackers: dict[str, dict[str, str]]
    """Who -> the headers they send: the strangers, a revoked token, no credentials, and
    the site's own read-only auditor ("wrong role")."""
    blob: bytes

    @property
    def site(self) -> str:
        return str(self.school.site_id)

    def victim_values(self) -> set[str]:
        """What an answer to a stranger must never mention."""
        named = {"site_id", "asset_id", "location_id", "code", "inspection_id", "finding_id"}
        named |= {"action_id", "schedule_id", "excusal_id", "webhook_id", "sha256", "token_id"}
        named |= {"user_id", "route_id", "round_schedule_id", "round_id", "visit_id"}
        named |= {"entry_id"}
        named |= {"pass_id", "card_id"}
        return {value for name, value in self.ids.items() if name in named}


VISITOR_ID_NUMBER = "11010519491231002" + check_character("11010519491231002")
"""The world's visitor's resident ID (of the right form, no real person's): no answer, log
line, pulled change or table may ever hold it whole."""


VISITOR_PHONE = "13812345678"
"""The world's visitor's phone: no answer may hold it whole, only masked."""
WATCHED_NAME = "张某某"
"""The name on the world's watchlist entry: for managers, never on a gate device."""


def visitor(host: Person, **over: Any) -> dict[str, Any]:
    """A check-in's body: a visitor for `host`, checked in a minute ago."""
    return {
        "id": str(uuid7()),
        "visit_id": str(uuid7()),
        "name": "王访客",
        "id_type": "resident_id",
        "id_number": VISITOR_ID_NUMBER,
        "phone": VISITOR_PHONE,
        "organisation": "区教育局",
        "host_id": str(host.user_id),
        "purpose": "检查食堂",
        "checked_in_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    } | over


PASS_PHONES = ("13987654321", "13711112222", "13633334444")
"""The world's parent's, pass collector's and card collector's phones: answered masked only."""


def leave_pass(**over: Any) -> dict[str, Any]:
    """An early-leave pass's body: a window from an hour ago to two hours ahead."""
    now = datetime.now(UTC)
    return {
        "id": str(uuid7()),
        "pass_id": str(uuid7()),
        "pupil": "王小明",
        "class_name": "三年级二班",
        "reason": "发烧",
        "leave_from": (now - timedelta(hours=1)).isoformat(),
        "leave_until": (now + timedelta(hours=2)).isoformat(),
        "collector": "王芳",
        "collector_phone": PASS_PHONES[1],
        "created_at": (now - timedelta(minutes=1)).isoformat(),
    } | over


def pickup_card(**over: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": str(uuid7()),
        "child": "刘小雨",
        "class_name": "一年级一班",
        "valid_from": (now - timedelta(days=30)).isoformat(),
        "valid_until": (now + timedelta(days=200)).isoformat(),
        "collectors": [{"key": "card-001", "name": "刘芳", "phone": PASS_PHONES[2]}],
    } | over


def local_day(site_days_ahead: int) -> str:
    """A date at the school (Shanghai) this many days from today."""
    return (
        datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=site_days_ahead)
    ).isoformat()


async def build_world(api: httpx.AsyncClient) -> World:
    school = await make_school()
    await install_library(school.organization_id)
    now = datetime.now(UTC)
    admin = await make_person(school, "admin")
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    auditor = await make_person(school, "auditor", expires_at=now + timedelta(days=30))
    expired = await make_person(school, "auditor", expires_at=now - timedelta(days=1))
    building = await make_location(admin, school, "教学楼A")
    asset = await make_asset(admin, school, location=building, asset_number="MHQ-001")
    code = await make_tag(admin, asset=asset)
    site = str(school.site_id)

    hook = await _ok(
        api.post(
            f"/api/sites/{site}/webhooks",
            json={"url": WEBHOOK_URL, "events": ["finding.high"]},
            headers=admin.headers,
        ),
        201,
    )
    # A red gauge is a critical failure: a high finding, its corrective action, and (for
    # the webhook) a finding.high delivery, queued and never sent.
    failed = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    response = await submit(api, inspector, failed)
    assert response.status_code == 201, response.text
    inspection = response.json()
    finding = inspection["findings"][0]
    action = (await _ok(api.get("/api/actions", params={"site_id": site}, headers=admin.headers)))[
        "items"
    ][0]
    await collect(datetime.now(UTC) + timedelta(seconds=1), DispatchPolicy(), PassReport())
    delivery = (
        await _ok(
            api.get(f"/api/sites/{site}/webhooks/{hook['id']}/deliveries", headers=admin.headers)
        )
    )["items"][0]

    schedule = await make_schedule(api, admin, school.site_id, MORNING)
    excusal = await _ok(
        api.post(
            "/api/occurrences/excusals",
            json={
                "id": str(uuid7()),
                "schedule_id": schedule["id"],
                "occurrence_key": f"{local_day(1)}T08:00",
                "asset_id": str(asset),
                "reason": "灭火器送检",
            },
            headers=inspector.headers,
        ),
        201,
    )
    blob = signature()
    await _ok(
        api.put(
            f"/api/blobs/{sha256(blob)}",
            params={"site_id": site},
            content=blob,
            headers={**inspector.headers, "Content-Type": "image/png"},
        ),
        201,
    )
    tablet = await _ok(
        api.post("/api/tokens", json={"device_name": "办公室平板"}, headers=manager.headers),
        201,
    )
    lost = await _ok(
        api.post("/api/tokens", json={"device_name": "丢失的手机"}, headers=inspector.headers),
        201,
    )
    await _ok(api.delete(f"/api/tokens/{lost['info']['id']}", headers=inspector.headers))

    route = await _ok(
        api.post(
            f"/api/sites/{site}/patrol/routes",
            json={"name": "夜间巡查", "checkpoints": [{"tag": code}]},
            headers=admin.headers,
        ),
        201,
    )
    round_schedule = await _ok(
        api.post(
            f"/api/sites/{site}/patrol/schedules",
            json={
                "name": "夜间每两小时一巡",
                "route_id": route["id"],
                "times": {
                    "kind": "repeating",
                    "every_minutes": 120,
                    "start": "22:00",
                    "end": "06:00",
                },
                "who": {"kind": "role", "role": "inspector"},
            },
            headers=admin.headers,
        ),
        201,
    )
    walker = await device_of(api, inspector)
    round_id = str(uuid7())
    walked = {"round_id": round_id, "route_id": route["id"]}
    pushed = await walker.push_ok(
        [
            walker.op(
                walked | {"id": str(uuid7()), "route_version": 1, "started_at": now.isoformat()},
                type="round.started",
            ),
            walker.op(
                walked
                | {"id": str(uuid7()), "tag": code, "method": "qr", "scanned_at": now.isoformat()},
                type="checkpoint.scanned",
            ),
        ]
    )
    assert [r["status"] for r in pushed["results"]] == ["applied", "applied"], pushed

    visit = await _ok(
        api.post(f"/api/sites/{site}/visits", json=visitor(inspector), headers=manager.headers),
        201,
    )
    # The visitor's document on the watchlist after their visit: later check-ins match it.
    watched = await _ok(
        api.post(
            f"/api/sites/{site}/gate/watchlist",
            json={
                "id": str(uuid7()),
                "id_type": "resident_id",
                "id_number": VISITOR_ID_NUMBER,
                "name": WATCHED_NAME,
                "reason": "法院禁止令",
            },
            headers=manager.headers,
        ),
        201,
    )

    made_pass = await _ok(
        api.post(f"/api/sites/{site}/passes", json=leave_pass(), headers=inspector.headers), 201
    )
    await _ok(
        api.post(
            f"/api/passes/{made_pass['id']}/confirmations",
            json={
                "id": str(uuid7()),
                "parent_name": "王芳",
                "parent_phone": PASS_PHONES[0],
                "confirmed_at": datetime.now(UTC).isoformat(),
            },
            headers=inspector.headers,
        )
    )
    card = await _ok(
        api.post(f"/api/sites/{site}/pickup-cards", json=pickup_card(), headers=manager.headers),
        201,
    )

    other_org = await make_school()
    sister = await make_school(organization_id=school.organization_id)
    ids = {
        "site_id": site,
        "location_id": str(building),
        "asset_id": str(asset),
        "code": code,
        "key": EXTINGUISHER_CHECK,
        "version": "1",
        "inspection_id": inspection["id"],
        "finding_id": finding["id"],
        "action_id": action["id"],
        "schedule_id": schedule["id"],
        "excusal_id": excusal["id"],
        "webhook_id": hook["id"],
        "delivery_id": delivery["id"],
        "size": "small",
        "sha256": sha256(blob),
        "token_id": tablet["info"]["id"],
        "user_id": str(inspector.user_id),
        "route_id": route["id"],
        "round_schedule_id": round_schedule["id"],
        "round_id": round_id,
        "visit_id": visit["id"],
        "entry_id": watched["id"],
        "pass_id": made_pass["id"],
        "card_id": card["id"],
    }
    strangers = {
        "other organization": await make_person(other_org, "admin"),
        "sister site": await make_person(sister, "admin"),
        "expired auditor": expired,
    }
    attackers = {
        "no credentials": {},
        "revoked token": {"Authorization": f"Bearer {lost['token']}"},
        **{who: person.headers for who, person in strangers.items()},
        "wrong role": auditor.headers,
    }
    return World(
        school, sister, admin, manager, inspector, auditor, ids, strangers, attackers, blob
    )


async def table_digests(unwatched: Iterable[str] = ()) -> dict[str, tuple[int, str]]:
    """Rows and a digest of their content, per table but the unwatched ones."""
    skipped = set(UNWATCHED_TABLES) | set(unwatched)
    digests: dict[str, tuple[int, str]] = {}
    for table in db.table_classes():
        name = table._meta.tablename
        if name in skipped:
            continue
        rows = sorted(repr(sorted(row.items())) for row in await table.select())
        digests[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return digests


async def _ok(request, status: int = 200):
    response = await request
    assert response.status_code == status, (response.request.url, response.text)
    return response.json()
