"""Building inspection submissions for tests."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from uuid_utils.compat import uuid7

from server.templates.templates import install_library
from tests.factories import Person, School, make_asset, make_person, make_school


def photo(name: str = "gauge") -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def extinguisher_answers(**changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "gauge_zone": "green",
        "seal_and_pin": "pass",
        "hose": "pass",
        "body": "pass",
        "service_life_end": "2031-06-30",
        "cabinet_opens": "na",
        "signage_and_access": "pass",
        "photo": [photo()],
        "notes": "",
    }
    answers.update(changes)
    return answers


def submission(
    *,
    asset: uuid.UUID | None = None,
    location: uuid.UUID | None = None,
    template: str = "fire_extinguisher_monthly",
    version: int = 1,
    answers: dict[str, Any] | None = None,
    completed_at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    completed = completed_at or datetime.now(UTC) - timedelta(minutes=1)
    body: dict[str, Any] = {
        "id": str(uuid7()),
        "template_key": template,
        "template_version": version,
        "answers": extinguisher_answers() if answers is None else answers,
        "started_at": (completed - timedelta(minutes=2)).isoformat(),
        "completed_at": completed.isoformat(),
    }
    if asset is not None:
        body["asset_id"] = str(asset)
    if location is not None:
        body["location_id"] = str(location)
    body.update(extra)
    return body


async def extinguisher_school() -> tuple[School, Person, Person, uuid.UUID]:
    """A school with the library installed, an admin, an inspector and one extinguisher."""
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    asset = await make_asset(admin, school, asset_number="MHQ-001")
    return school, admin, inspector, asset


async def submit(api, person: Person, body: dict[str, Any]):
    return await api.post("/api/inspections", json=body, headers=person.headers)
