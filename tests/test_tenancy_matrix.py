"""Every API route that names a site or one of its records, taken from the app's own route
table, asked by everyone who must not use it: a stranger of another organization, the admin
of a sister site, an auditor whose membership ended, a revoked token, no credentials, and
(for writes) the site's read-only auditor; on a route naming a site and a record in it, also
the sister site's admin naming their own site with the victim's record. A new route is in
the matrix by itself; one whose path parameter has no value here, or a write with no body
here, fails the test until it gets one. The house rule (README, "The HTTP API"): a site you
do not belong to answers 404."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute
from uuid_utils.compat import uuid7

import checklists
from server import db
from server.app import create_app
from server.settings import Settings
from tests.conftest import Server, unique
from tests.factories import PASSWORD
from tests.inspections.helpers import submission
from tests.syncing.device import device_of
from tests.tenancy_world import (
    PUSH_LEDGERS,
    UNWATCHED_TABLES,
    World,
    build_world,
    leave_pass,
    local_day,
    pickup_card,
    table_digests,
    visitor,
)

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LIBRARY = Path(checklists.__file__).parent / "library"

OWN_SCOPE = {
    ("POST", "/api/auth/login"): "public: a login names a username, never a site",
    ("POST", "/api/auth/logout"): "ends the caller's own session",
    ("GET", "/api/me"): "the caller's own profile and roles",
    ("GET", "/api/tokens"): "the caller's own tokens (an admin's: also their sites' people's)",
    ("POST", "/api/tokens"): "enrols a device for the caller themself",
    ("GET", "/api/sites"): "the caller's own sites",
    ("POST", "/api/sites"): "adds a site to the caller's own organization",
    ("GET", "/api/templates"): "the caller's own organization's templates",
    ("POST", "/api/templates"): "publishes into the caller's own organization",
    ("POST", "/api/templates/check"): "checks against the caller's own organization's",
    ("POST", "/api/sync/push"): "device-scoped, answered per op: see the push test below",
    ("POST", "/api/sync/pull"): "device-scoped, answered per scope: see the pull test below",
    ("GET", "/api/blobs"): "which of the named photos the caller's own sites hold: see below",
    ("GET", "/api/me/visits"): "the visits naming the caller as host, at their own sites",
}
"""Routes outside the matrix: they name no site and no record of one. Each is still
checked below for what it shows a stranger."""

ORGANIZATION_WIDE = {
    ("GET", "/api/templates/{key}"): "a template is the organization's, read at all its sites",
    ("GET", "/api/templates/{key}/versions/{version}"): "the same, one version of it",
}
"""Routes whose record belongs to the organization, not to one site: the sister site's
admin (same organization) may read it; everyone else gets what they get for a site."""

Body = dict[str, Any] | bytes | None
BODIES: dict[tuple[str, str], Callable[[World], Body]] = {
    ("POST", "/api/sites/{site_id}/members"): lambda w: {
        "username": unique("newcomer"),
        "display_name": "新来的老师",
        "password": PASSWORD,
        "role": "inspector",
    },
    ("PATCH", "/api/sites/{site_id}"): lambda w: {"name": "改名小学"},
    ("DELETE", "/api/tokens/{token_id}"): lambda w: None,
    ("POST", "/api/locations"): lambda w: {
        "site_id": w.site,
        "parent_id": w.ids["location_id"],
        "kind": "room",
        "name": "一年级1班",
    },
    ("PATCH", "/api/locations/{location_id}"): lambda w: {"name": "教学楼B"},
    ("POST", "/api/assets"): lambda w: {
        "site_id": w.site,
        "location_id": w.ids["location_id"],
        "category": "fire_extinguisher",
        "name": "二氧化碳灭火器",
    },
    ("PATCH", "/api/assets/{asset_id}"): lambda w: {"name": "泡沫灭火器"},
    ("POST", "/api/sites/{site_id}/assets/import"): lambda w: (
        "name,category\n消防栓,other\n".encode()
    ),
    ("POST", "/api/sites/{site_id}/assets/import/check"): lambda w: (
        "name,category\n消防栓,other\n".encode()
    ),
    ("POST", "/api/tags/bulk"): lambda w: {"site_id": w.site},
    ("POST", "/api/tags"): lambda w: {"location_id": w.ids["location_id"]},
    ("POST", "/api/tags/{code}/rebind"): lambda w: {"location_id": w.ids["location_id"]},
    ("POST", "/api/tags/{code}/replace"): lambda w: {"note": "标签破损"},
    ("POST", "/api/tags/{code}/retire"): lambda w: {"note": "设备报废"},
    ("PUT", "/api/blobs/{sha256}"): lambda w: w.blob,
    ("PUT", "/api/sites/{site_id}/checklists/{key}"): lambda w: {
        "asset_categories": ["fire_extinguisher"]
    },
    ("DELETE", "/api/sites/{site_id}/checklists/{key}"): lambda w: None,
    ("POST", "/api/inspections"): lambda w: submission(asset=w.ids["asset_id"]),
    ("POST", "/api/reports"): lambda w: {
        "id": str(uuid7()),
        "kind": "repair",
        "asset_id": w.ids["asset_id"],
        "description": "箱门合页松动",
        "reported_at": datetime.now(UTC).isoformat(),
    },
    ("POST", "/api/actions/{action_id}/transitions"): lambda w: {
        "id": str(uuid7()),
        "action_id": w.ids["action_id"],
        "transition": "start",
        "base_version": 1,
    },
    ("PUT", "/api/sites/{site_id}/service-levels/{size}"): lambda w: {"extra_days": 1},
    ("PUT", "/api/sites/{site_id}/calendar"): lambda w: {"school_weekdays": [1, 2, 3, 4, 5]},
    ("POST", "/api/sites/{site_id}/schedules"): lambda w: {
        "template_key": w.ids["key"],
        "targets": {"by": "category", "category": "fire_extinguisher"},
        "rule": {"every": "weekly", "weekdays": [1]},
    },
    ("POST", "/api/sites/{site_id}/schedules/{schedule_id}/versions"): lambda w: {
        "rule": {"every": "weekly", "weekdays": [3]}
    },
    ("PATCH", "/api/sites/{site_id}/schedules/{schedule_id}"): lambda w: {
        "rule": {"every": "weekly", "weekdays": [5]}
    },
    ("DELETE", "/api/sites/{site_id}/schedules/{schedule_id}"): lambda w: None,
    ("POST", "/api/occurrences/excusals"): lambda w: {
        "id": str(uuid7()),
        "schedule_id": w.ids["schedule_id"],
        "occurrence_key": f"{local_day(2)}T08:00",
        "asset_id": w.ids["asset_id"],
        "reason": "教学楼封闭施工",
    },
    ("POST", "/api/occurrences/excusals/decisions"): lambda w: {
        "id": str(uuid7()),
        "excusal_id": w.ids["excusal_id"],
        "decision": "approve",
        "decided_at": datetime.now(UTC).isoformat(),
    },
    ("PUT", "/api/sites/{site_id}/excusal-policy"): lambda w: {"approval_required": True},
    ("POST", "/api/sites/{site_id}/webhooks"): lambda w: {
        "url": "http://93.184.216.34/digest",
        "events": ["digest.daily"],
    },
    ("PATCH", "/api/sites/{site_id}/webhooks/{webhook_id}"): lambda w: {"active": False},
    ("POST", "/api/sites/{site_id}/webhooks/{webhook_id}/test"): lambda w: None,
    ("PATCH", "/api/sites/{site_id}/members/{user_id}"): lambda w: {"role": "maintainer"},
    ("POST", "/api/sites/{site_id}/members/{user_id}/unlock"): lambda w: None,
    ("DELETE", "/api/sites/{site_id}/webhooks/{webhook_id}"): lambda w: None,
    (
        "POST",
        "/api/sites/{site_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    ): lambda w: None,
    ("POST", "/api/sites/{site_id}/patrol/routes"): lambda w: {
        "name": "校门巡查",
        "checkpoints": [{"tag": w.ids["code"]}],
    },
    ("PUT", "/api/patrol/routes/{route_id}"): lambda w: {
        "name": "夜间巡查",
        "checkpoints": [{"tag": w.ids["code"], "min_gap_seconds": 60}],
        "base_version": 1,
    },
    ("POST", "/api/patrol/routes/{route_id}/retire"): lambda w: None,
    ("POST", "/api/sites/{site_id}/patrol/schedules"): lambda w: {
        "name": "每日三巡",
        "route_id": w.ids["route_id"],
        "times": {"kind": "fixed", "windows": [{"start": "07:30", "duration_minutes": 60}]},
        "who": {"kind": "role", "role": "guard"},
    },
    ("PUT", "/api/patrol/schedules/{round_schedule_id}"): lambda w: {
        "name": "夜间每两小时一巡",
        "route_id": w.ids["route_id"],
        "times": {"kind": "repeating", "every_minutes": 60, "start": "22:00", "end": "06:00"},
        "who": {"kind": "role", "role": "guard"},
        "base_version": 1,
    },
    ("POST", "/api/patrol/schedules/{round_schedule_id}/retire"): lambda w: None,
    ("POST", "/api/patrol/countersigns"): lambda w: {
        "id": str(uuid7()),
        "round_id": w.ids["round_id"],
        "countersigned_at": datetime.now(UTC).isoformat(),
    },
    ("POST", "/api/patrol/explanations"): lambda w: {
        "id": str(uuid7()),
        "round_id": w.ids["round_id"],
        "explained_at": datetime.now(UTC).isoformat(),
        "reason": "抽查",
    },
    ("POST", "/api/sites/{site_id}/visits"): lambda w: visitor(w.inspector),
    ("POST", "/api/visits/{visit_id}/decisions"): lambda w: {
        "id": str(uuid7()),
        "decision": "approved",
        "decided_at": datetime.now(UTC).isoformat(),
    },
    ("POST", "/api/visits/{visit_id}/checkout"): lambda w: {
        "id": str(uuid7()),
        "checked_out_at": datetime.now(UTC).isoformat(),
    },
    ("PUT", "/api/sites/{site_id}/gate/settings"): lambda w: {
        "vehicles_allowed": True,
        "version": 0,
    },
    ("POST", "/api/sites/{site_id}/gate/watchlist"): lambda w: {
        "id": str(uuid7()),
        "id_type": "passport",
        "id_number": "E12345678",
        "name": "李某",
        "reason": "家长纠纷",
    },
    ("POST", "/api/gate/watchlist/{entry_id}/remove"): lambda w: None,
    ("POST", "/api/visits/{visit_id}/watch-decisions"): lambda w: {
        "id": str(uuid7()),
        "decision": "admit",
        "decided_at": datetime.now(UTC).isoformat(),
    },
    ("POST", "/api/visits/{visit_id}/signatures"): lambda w: {
        "id": str(uuid7()),
        "signed_at": datetime.now(UTC).isoformat(),
        "strokes": [[10.0, 10.0, 20.0, 15.0]],
    },
    ("POST", "/api/sites/{site_id}/passes"): lambda w: leave_pass(),
    ("POST", "/api/passes/{pass_id}/confirmations"): lambda w: {
        "id": str(uuid7()),
        "parent_name": "王芳",
        "parent_phone": "13987654321",
        "confirmed_at": datetime.now(UTC).isoformat(),
    },
    ("POST", "/api/passes/{pass_id}/parent-links"): lambda w: None,
    ("POST", "/api/passes/{pass_id}/cancellations"): lambda w: {
        "id": str(uuid7()),
        "cancelled_at": datetime.now(UTC).isoformat(),
    },
    ("POST", "/api/passes/{pass_id}/exits"): lambda w: {
        "id": str(uuid7()),
        "exited_at": datetime.now(UTC).isoformat(),
    },
    ("POST", "/api/sites/{site_id}/pickup-cards"): lambda w: pickup_card(),
    ("PUT", "/api/pickup-cards/{card_id}"): lambda w: pickup_card(id=w.ids["card_id"], version=1),
    ("POST", "/api/pickup-cards/{card_id}/revoke"): lambda w: None,
    ("POST", "/api/pickup-cards/{card_id}/checks"): lambda w: {
        "id": str(uuid7()),
        "collector_key": "card-001",
        "checked_at": datetime.now(UTC).isoformat(),
    },
    ("POST", "/api/patrol/cancellations"): lambda w: {
        "id": str(uuid7()),
        "round_id": w.ids["round_id"],
        "cancelled_at": datetime.now(UTC).isoformat(),
        "reason": "考试期间暂停",
    },
}
"""A body each write route's rightful user has accepted (the last test proves it)."""

FILE_TYPES = {
    ("PUT", "/api/blobs/{sha256}"): "image/png",
    ("POST", "/api/sites/{site_id}/assets/import"): "text/csv",
    ("POST", "/api/sites/{site_id}/assets/import/check"): "text/csv",
}
REQUIRED_QUERY = {"format": "csv", "month": local_day(0)[:7]}
"""Values for required query parameters other than site_id (which is always the site)."""


@dataclass(frozen=True)
class Known:
    status: int
    code: str
    reason: str


KNOWN: dict[tuple[str, str, str], Known] = {}
"""Cells that answer other than they should today, each with why; the test checks that they
still answer exactly this, so a fix must remove its entry."""


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    params: tuple[str, ...]
    query: tuple[tuple[str, bool], ...]
    """(name, required)"""

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


@functools.cache
def _routes(settings: Settings) -> tuple[Route, ...]:
    app = create_app(settings)
    paths = app.openapi_schema.paths or {}
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path_format.startswith("/api/"):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                operation = getattr(paths[route.path_format], method.lower())
                query = tuple(
                    (p.name, bool(p.required))
                    for p in operation.parameters or []
                    if p.param_in == "query"
                )
                found.append(Route(method, route.path_format, tuple(route.path_parameters), query))
    return tuple(sorted(found, key=lambda r: (r.path, r.method)))


def api_routes(server: Server) -> tuple[Route, ...]:
    return _routes(server.settings)


@dataclass
class Cell:
    attacker: str
    route: Route
    headers: dict[str, str]
    ids: dict[str, str]

    @property
    def name(self) -> tuple[str, str, str]:
        return (self.attacker, self.route.method, self.route.path)


class Unlisted(Exception):
    """A route the tables here do not know how to call yet."""


def request_of(world: World, route: Route, ids: dict[str, str]) -> dict[str, Any]:
    """The arguments of httpx's `request` that call `route` on the records in `ids`."""
    missing = [p for p in route.params if p not in ids]
    if missing:
        raise Unlisted(f"{route.method} {route.path}: no value for path parameter(s) {missing}")
    params: dict[str, str] = {}
    for name, required in route.query:
        if name == "site_id":
            params[name] = ids["site_id"]
        elif required and name in ids:
            params[name] = ids[name]  # a record named in the query (GET /api/blobs?sha256=)
        elif required:
            if name not in REQUIRED_QUERY:
                raise Unlisted(f"{route.method} {route.path}: no value for query {name!r}")
            params[name] = REQUIRED_QUERY[name]
    request: dict[str, Any] = {
        "method": route.method,
        "url": route.path.format(**{p: ids[p] for p in route.params}),
        "params": params,
        "headers": {},
    }
    if route.method in UNSAFE:
        if route.key not in BODIES:
            raise Unlisted(f"{route.method} {route.path}: no body in BODIES")
        body = BODIES[route.key](world)
        if isinstance(body, bytes):
            request["content"] = body
            request["headers"] = {"Content-Type": FILE_TYPES[route.key]}
        elif body is not None:
            request["json"] = body
    return request


async def send(api: httpx.AsyncClient, request: dict[str, Any], headers: dict[str, str]):
    return await api.request(**{**request, "headers": {**request["headers"], **headers}})


def cells_of(world: World, route: Route) -> list[Cell]:
    cells = [
        Cell(attacker, route, headers, world.ids)
        for attacker, headers in world.attackers.items()
        if attacker != "wrong role" or route.method in UNSAFE
    ]
    if "site_id" in route.params and any(
        p != "site_id" and p.endswith("_id") for p in route.params
    ):
        # The sister site's admin naming their own site and the victim's record in it.
        own = {**world.ids, "site_id": str(world.sister.site_id)}
        sister = world.attackers["sister site"]
        cells.append(Cell("sister site, own site in the path", route, sister, own))
    return cells


def expected(attacker: str, route: Route) -> str:
    if attacker in ("no credentials", "revoked token"):
        return "401"
    if attacker == "wrong role":
        return "refused"
    if attacker == "sister site" and route.key in ORGANIZATION_WIDE:
        return "allowed"
    return "404"


def judge(expectation: str, status: int, code: str) -> bool:
    return {
        "401": status == 401 and code.startswith("auth."),
        "404": (status, code) == (404, "not_found"),
        "refused": (status, code) in ((403, "auth.forbidden"), (404, "not_found")),
        "allowed": 200 <= status < 300,
    }[expectation]


def matrix_routes(server: Server) -> list[Route]:
    return [r for r in api_routes(server) if r.key not in OWN_SCOPE]


@pytest.fixture
async def world(api) -> World:
    return await build_world(api)


async def test_every_route_naming_a_site_or_its_records_refuses_whoever_may_not_use_it(
    api, server, world
):
    routes = matrix_routes(server)
    assert ("GET", "/api/assets/{asset_id}") in {r.key for r in routes}
    before = await table_digests()
    unlisted: list[str] = []
    wrong: list[str] = []
    seen_known: set[tuple[str, str, str]] = set()
    for route in routes:
        try:
            requests = [
                (cell, request_of(world, route, cell.ids)) for cell in cells_of(world, route)
            ]
        except Unlisted as exc:
            unlisted.append(str(exc))
            continue
        for cell, request in requests:
            response = await send(api, request, cell.headers)
            status, code = response.status_code, _code(response)
            if cell.name in KNOWN:
                seen_known.add(cell.name)
                known = KNOWN[cell.name]
                if (status, code) != (known.status, known.code):
                    wrong.append(
                        f"{cell.name}: KNOWN as {known.status} {known.code}, now {status} {code}"
                    )
            elif status >= 500 or not judge(expected(cell.attacker, route), status, code):
                wrong.append(
                    f"{cell.name}: wanted {expected(cell.attacker, route)}, got {status} {code}"
                )
    assert not unlisted, "routes the matrix cannot call yet:\n" + "\n".join(unlisted)
    assert not wrong, f"{len(wrong)} cells answer wrongly:\n" + "\n".join(wrong)
    assert seen_known == set(KNOWN), f"KNOWN cells that no longer exist: {set(KNOWN) - seen_known}"
    after = await table_digests()
    assert {t for t in before if before[t] != after[t]} == set(), "refused requests changed data"
    assert set(UNWATCHED_TABLES) | set(PUSH_LEDGERS) <= {
        t._meta.tablename for t in db.table_classes()
    }


def _code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return body.get("code", "") if isinstance(body, dict) else ""


OPS = {
    "inspection.submitted": ("POST", "/api/inspections"),
    "hazard.reported": ("POST", "/api/reports"),
    "action.transitioned": ("POST", "/api/actions/{action_id}/transitions"),
    "occurrence.excused": ("POST", "/api/occurrences/excusals"),
    "excusal.decided": ("POST", "/api/occurrences/excusals/decisions"),
}
"""Each op type and the route taking the same body: the op names the victim's records."""


async def test_a_strangers_push_naming_the_sites_records_is_rejected_and_changes_nothing(
    api, world
):
    before = await table_digests(PUSH_LEDGERS)
    for who, stranger in world.strangers.items():
        device = await device_of(api, stranger)
        ops = [device.op(BODIES[route](world), type) for type, route in OPS.items()]
        answer = await device.push_ok(ops)
        results = [(r["status"], r.get("code")) for r in answer["results"]]
        assert results == [("rejected", "not_found")] * len(OPS), (who, answer["results"])
        assert not _mentions(answer, world), who
    assert await table_digests(PUSH_LEDGERS) == before


async def test_a_strangers_pull_never_returns_the_sites_scope(api, world):
    asked = {world.site: None, f"{world.site}/gate": None}
    for who, stranger in world.strangers.items():
        device = await device_of(api, stranger)
        for cursors in ({}, asked):
            response = await api.post(
                "/api/sync/pull",
                json={
                    "protocol": 1,
                    "app_version": "test-1.0",
                    "device_id": str(device.id),
                    "cursors": cursors,
                },
                headers=stranger.headers,
            )
            assert response.status_code == 200, (who, response.text)
            for page in response.json()["scopes"]:
                if page["scope"].startswith(world.site):
                    assert (page["status"], page["changes"]) == ("removed", []), (who, page)
                else:
                    assert not _mentions(page, world), (who, page["scope"])


async def test_routes_of_the_callers_own_scope_never_show_the_site_to_a_stranger(
    api, server, world
):
    """The excluded routes, and every list asked without a site, answer a stranger about
    their own things only; publishing and adding a site need an admin."""
    lists = [
        r.path
        for r in api_routes(server)
        if r.method == "GET" and not r.params and not any(required for _, required in r.query)
    ]
    assert {"/api/me", "/api/tokens", "/api/sites", "/api/templates", "/api/assets"} <= set(lists)
    for who, stranger in world.strangers.items():
        for path in lists:
            response = await api.get(path, headers=stranger.headers)
            # 404: the expired auditor's organization's templates, now none of theirs.
            assert response.status_code in (200, 404), (who, path, response.text)
            assert not _mentions(response.json(), world), (who, path)
    for who, headers in world.attackers.items():
        if who == "wrong role":
            continue  # the site's own auditor reads its photos
        asked = await api.get("/api/blobs", params={"sha256": world.ids["sha256"]}, headers=headers)
        assert asked.status_code in (200, 401), (who, asked.text)
        assert asked.status_code == 401 or asked.json() == {"shown": []}, (who, asked.text)
    mine = await api.get(
        "/api/blobs", params={"sha256": world.ids["sha256"]}, headers=world.admin.headers
    )
    assert mine.json() == {"shown": [world.ids["sha256"]]}, mine.text
    template = (LIBRARY / f"{world.ids['key']}.yaml").read_bytes()
    for who in ("wrong role", "expired auditor"):
        headers = world.attackers[who]
        site = await api.post("/api/sites", json={"name": "分校"}, headers=headers)
        published = await api.post("/api/templates", content=template, headers=headers)
        checked = await api.post("/api/templates/check", content=template, headers=headers)
        for response in (site, published, checked):
            assert (response.status_code, _code(response)) == (403, "auth.forbidden"), who


async def test_every_body_in_the_table_is_accepted_from_the_sites_admin(api, server, world):
    """So that a refusal in the matrix is the server's doing, not a bad body's (deletions
    and retirements, withdrawals, cancellations and a pupil's exit go last, so that every
    other write still finds its record open)."""
    writes = [r for r in matrix_routes(server) if r.method in UNSAFE]
    ending = ("/retire", "/revoke", "/cancellations", "/exits")
    writes.sort(key=lambda r: r.method == "DELETE" or r.path.endswith(ending))
    answers = {}
    for route in writes:
        response = await send(api, request_of(world, route, world.ids), world.admin.headers)
        answers[route.key] = (response.status_code, _code(response))
    refused = {k: a for k, a in answers.items() if not 200 <= a[0] < 300}
    assert not refused, refused


def _mentions(value: Any, world: World) -> bool:
    text = json.dumps(value)
    return any(victim in text for victim in world.victim_values())
