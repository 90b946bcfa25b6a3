"""Setting up schedules and reading what is due, for the schedule tests.

The server runs in the test process, so the day the server sees is set by replacing
`server.clock.utcnow`, which every module reads through the module (tests/test_conventions.py):
an inspection sent while the clock is set may be completed at any time up to that day.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from server import clock
from server.registry.tables import Asset, Location
from tests.factories import Person

FRIDAY = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
"""Friday 20 November 2026, 10:00 in Shanghai: the day most schedule tests live on."""

EXTINGUISHER_CHECK = "fire_extinguisher_monthly"


def set_now(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: when)


async def born(
    when: datetime,
    *,
    assets: tuple[uuid.UUID, ...] = (),
    locations: tuple[uuid.UUID, ...] = (),
) -> None:
    """Date things back to `when`: a schedule covers a thing from the day it was created."""
    if assets:
        await Asset.update({Asset.created_at: when, Asset.updated_at: when}).where(
            Asset.id.is_in(list(assets))
        )
    if locations:
        await Location.update({Location.created_at: when, Location.updated_at: when}).where(
            Location.id.is_in(list(locations))
        )


def by_category(category: str = "fire_extinguisher") -> dict[str, Any]:
    return {"by": "category", "category": category}


async def make_schedule(
    api,
    person: Person,
    site_id: uuid.UUID,
    rule: dict[str, Any],
    *,
    targets: dict[str, Any] | None = None,
    template_key: str = EXTINGUISHER_CHECK,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "template_key": template_key,
        "targets": targets or by_category(),
        "rule": rule,
        **extra,
    }
    response = await api.post(f"/api/sites/{site_id}/schedules", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def due(api, person: Person, site_id: uuid.UUID, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(
        "/api/due", params={"site_id": str(site_id), **params}, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def keys(items: list[dict[str, Any]]) -> list[str]:
    return [item["occurrence"]["key"] for item in items]


def statuses(items: list[dict[str, Any]]) -> dict[str, str]:
    """By occurrence key (one target)."""
    return {item["occurrence"]["key"]: item["status"] for item in items}


async def put_calendar(api, person: Person, site_id: uuid.UUID, calendar: dict[str, Any]):
    return await api.put(f"/api/sites/{site_id}/calendar", json=calendar, headers=person.headers)
