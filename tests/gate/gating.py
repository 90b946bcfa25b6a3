"""A school with a gate (a gatekeeper and their tablet, a second gate tablet), a teacher
who receives visitors, a manager and an inspector, for the visitor register's tests
(through the API and sync, on both databases)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from uuid_utils.compat import uuid7

from server.gate.documents import check_character
from tests.factories import Person, School, make_person, make_school
from tests.syncing.device import Device, device_of

ID_BODY = "11010519491231002"
ID_NUMBER = ID_BODY + check_character(ID_BODY)
"""A resident ID of the right shape with its right check digit (no real person's)."""
WRONG_CHECK = ID_BODY + ("1" if ID_NUMBER[-1] != "1" else "2")
PHONE = "13812345678"


def ago(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def new_id() -> str:
    return str(uuid7())


@dataclass
class Gate:
    school: School
    gatekeeper: Person
    host: Person
    manager: Person
    inspector: Person
    tablet: Device
    other_tablet: Device

    @property
    def site(self) -> str:
        return str(self.school.site_id)

    def check_in(self, visit_id: str | None = None, **over: Any) -> dict[str, Any]:
        """The REST body of a check-in (an op's body adds `site_id`)."""
        return {
            "id": new_id(),
            "visit_id": visit_id or new_id(),
            "name": "王访客",
            "id_type": "resident_id",
            "id_number": ID_NUMBER,
            "phone": PHONE,
            "organisation": "区教育局",
            "host_id": str(self.host.user_id),
            "purpose": "检查食堂",
            "party_size": 2,
            "plate": "京A12345",
            "badge": "V-07",
            "expected_stay_minutes": 60,
            "checked_in_at": ago(30),
        } | over

    def op_check_in(self, device: Device, visit_id: str, **over: Any) -> dict:
        return device.op(
            self.check_in(visit_id, **over) | {"site_id": self.site}, "visit.checked_in"
        )

    def op_approve(self, device: Device, visit_id: str, at: str, **over: Any) -> dict:
        body = {
            "id": new_id(),
            "visit_id": visit_id,
            "site_id": self.site,
            "channel": "phone",
            "by_id": str(self.host.user_id),
            "approved_at": at,
        }
        return device.op(body | over, "visit.approved")

    def op_check_out(self, device: Device, visit_id: str, at: str, **over: Any) -> dict:
        body = {
            "id": new_id(),
            "visit_id": visit_id,
            "site_id": self.site,
            "checked_out_at": at,
            "method": "slip",
        }
        return device.op(body | over, "visit.checked_out")


async def gate_school(api: httpx.AsyncClient, **settings: Any) -> Gate:
    """A school whose gate lets vehicles in (the visitors here come by car), with any other
    `settings` its managers chose; the defaults otherwise."""
    school = await make_school()
    await make_person(school, "admin")
    gatekeeper = await make_person(school, "gatekeeper")
    second = await make_person(school, "gatekeeper")
    host = await make_person(school, "inspector")
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    chosen = await api.put(
        f"/api/sites/{school.site_id}/gate/settings",
        json={"vehicles_allowed": True, **settings, "version": 0},
        headers=manager.headers,
    )
    assert chosen.status_code == 200, chosen.text
    return Gate(
        school,
        gatekeeper,
        host,
        manager,
        inspector,
        await device_of(api, gatekeeper),
        await device_of(api, second),
    )


async def pull_all(
    api: httpx.AsyncClient, device: Device, cursors: dict[str, str | None] | None = None
) -> list[dict[str, Any]]:
    """Every page of every scope the device's person receives, from nothing (or from
    `cursors`, which are moved on as the device keeps them)."""
    cursors = {} if cursors is None else cursors
    pages: list[dict[str, Any]] = []
    for _ in range(50):
        response = await api.post(
            "/api/sync/pull",
            json={
                "protocol": 1,
                "app_version": "test-1.0",
                "device_id": str(device.id),
                "cursors": cursors,
            },
            headers=device.person.headers,
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        pages.append(answer)
        more = False
        for page in answer["scopes"]:
            cursors[page["scope"]] = page["cursor"]
            more = more or page["has_more"]
        if not more:
            return pages
    raise AssertionError("the pull never ended")


def results(pushed: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("code")) for r in pushed["results"]]


def changes_of(pages: list[dict[str, Any]], entity: str) -> list[dict[str, Any]]:
    """The pulled changes of one entity kind, in the order they came."""
    return [
        change
        for page in pages
        for scope in page["scopes"]
        for change in scope["changes"]
        if change["entity"] == entity
    ]


def pulled_lookup_key(pages: list[dict[str, Any]], site: str) -> bytes:
    """The site's lookup key as a gate device reads it from its `gate_settings` entity."""
    [settings] = [c for c in changes_of(pages, "gate_settings") if c["id"] == site]
    text = settings["data"]["lookup_key"]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
