"""A school with a patrol route and a schedule of fixed windows, and a guard's phone that
walks it, for the patrol tests (through the API and sync, on both databases).

The day is FRIDAY (20 November 2026, 10:00 in Shanghai): the 07:30 round is past its grace,
the 09:30 round is open, the 15:00 round is to come.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from uuid_utils.compat import uuid7

from server.patrols.tables import PatrolSchedule, PatrolScheduleVersion
from server.patrols.windows import round_id_for
from tests.factories import Person, School, make_location, make_person, make_school, make_tag
from tests.syncing.device import Device, device_of

FRIDAY = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
SHANGHAI = timedelta(hours=8)
PLACES = ("东门岗亭", "教学楼一楼", "食堂后门", "宿舍楼门口")


def local(hour: int, minute: int = 0, day: int = 20) -> datetime:
    """A Shanghai wall time on November `day`, 2026, as an aware UTC instant."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - SHANGHAI


@dataclass
class Patrol:
    school: School
    admin: Person
    guard: Person
    manager: Person
    auditor: Person
    tags: list[str]
    route: dict[str, Any]
    schedule: dict[str, Any]
    phone: Device

    def round_of(self, window: str) -> str:
        return str(round_id_for(self.schedule["id"], window))

    def fact(self, window: str | None, round_id: str | None = None, **body: Any) -> dict:
        return {
            "id": str(uuid7()),
            "round_id": round_id or self.round_of(window or ""),
            "route_id": self.route["id"],
            "schedule_id": self.schedule["id"] if window else None,
            "window": window,
            **body,
        }

    def start(self, window: str | None, at: datetime, **over: Any) -> dict:
        body = self.fact(window, route_version=self.route["version"], started_at=at.isoformat())
        return self.phone.op(body | over, type="round.started")

    def scan(self, window: str | None, tag: str, at: datetime, **over: Any) -> dict:
        body = self.fact(window, tag=tag, method="qr", scanned_at=at.isoformat())
        return self.phone.op(body | over, type="checkpoint.scanned")

    def finish(self, window: str | None, at: datetime, **over: Any) -> dict:
        body = self.fact(window, finished_at=at.isoformat(), note="")
        return self.phone.op(body | over, type="round.finished")


async def patrol_school(
    api, *, min_gap: int | None = 120, countersign: bool = False, timezone: str = "Asia/Shanghai"
) -> Patrol:
    school = await make_school(timezone=timezone)
    admin = await make_person(school, "admin")
    guard = await make_person(school, "guard")
    manager = await make_person(school, "manager")
    auditor = await make_person(school, "auditor")
    tags = []
    for name in PLACES:
        place = await make_location(admin, school, name)
        tags.append(await make_tag(admin, location=place))
    checkpoints: list[dict[str, Any]] = [{"tag": tag} for tag in tags]
    if min_gap is not None:
        checkpoints[2]["min_gap_seconds"] = min_gap
    route = await api.post(
        f"/api/sites/{school.site_id}/patrol/routes",
        json={"name": "安保日间巡查", "name_en": "Day patrol", "checkpoints": checkpoints},
        headers=admin.headers,
    )
    assert route.status_code == 201, route.text
    schedule = await api.post(
        f"/api/sites/{school.site_id}/patrol/schedules",
        json={
            "name": "每日三巡",
            "name_en": "Three rounds a day",
            "route_id": route.json()["id"],
            "times": {
                "kind": "fixed",
                "windows": [
                    {"start": "07:30", "duration_minutes": 60, "grace_minutes": 30},
                    {"start": "09:30", "duration_minutes": 60, "grace_minutes": 30},
                    {"start": "15:00", "duration_minutes": 60, "grace_minutes": 30},
                ],
            },
            "who": {"kind": "role", "role": "guard"},
            "countersign": countersign,
        },
        headers=admin.headers,
    )
    assert schedule.status_code == 201, schedule.text
    await made_long_ago(schedule.json()["id"])
    phone = await device_of(api, guard)
    return Patrol(
        school, admin, guard, manager, auditor, tags, route.json(), schedule.json(), phone
    )


async def made_long_ago(schedule_id: str, days: int = 30) -> None:
    """Date a schedule back (a month): it owes the rounds of the days the tests look at."""
    await PatrolScheduleVersion.update(
        {
            PatrolScheduleVersion.effective_at: PatrolScheduleVersion.effective_at
            - timedelta(days=days)
        }
    ).where(PatrolScheduleVersion.schedule == schedule_id)
    await PatrolSchedule.update(
        {PatrolSchedule.updated_at: PatrolSchedule.updated_at - timedelta(days=days)}
    ).where(PatrolSchedule.id == schedule_id)


async def round_detail(api, patrol: Patrol, round_id: str) -> dict[str, Any]:
    answer = await api.get(f"/api/patrol/rounds/{round_id}", headers=patrol.manager.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def day(api, patrol: Patrol, **params: Any) -> dict[str, Any]:
    answer = await api.get(
        f"/api/sites/{patrol.school.site_id}/patrol/day",
        params=params,
        headers=patrol.manager.headers,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def results(pushed: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("code")) for r in pushed["results"]]


def new_id() -> str:
    return str(uuid.UUID(str(uuid7())))
