"""Round schedules: when a route is walked and by whom, and the windows that follow.

A schedule is reference data: managers write it, phones pull it (entity `patrol_schedule`,
the rule in force now) and compute the windows offline as the server does
(server/patrols/windows.py). Its rules are versions from the moment each was made (`Book`):
nothing is owed before the schedule was made, and a change or a retirement never rewrites
a past window (a missed round stays missed). A round walked in a window the new rule no
longer makes keeps its facts and is judged as voluntary, never lost.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec

from checklists import SchoolCalendar
from server import clock
from server.accounts.access import EVERYONE, MANAGERS, ROLES, Caller
from server.accounts.users import members_of
from server.db import is_sqlite, json_bytes, transaction
from server.errors import DomainError, not_found
from server.feeds import Audience, Feed
from server.patrols.patrol_routes import route_site
from server.patrols.tables import PatrolSchedule, PatrolScheduleVersion
from server.patrols.windows import (
    FixedTimes,
    ForPeople,
    ForRole,
    ForRoster,
    RepeatingTimes,
    RoundSchedule,
    RoundWindow,
    round_windows,
)
from server.patrols.wire import ScheduleChange, ScheduleCreate, ScheduleOut

_TIMES = msgspec.json.Decoder(Any)
_PARTS: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
    FixedTimes | RepeatingTimes | ForRole | ForPeople | ForRoster
)
"""A version's `times` or `who` as stored (their tags tell them apart)."""


async def create_schedule(caller: Caller, site_id: uuid.UUID, data: ScheduleCreate) -> ScheduleOut:
    caller.require(site_id, MANAGERS)
    await _check(site_id, data)
    now = clock.utcnow()
    schedule_id = clock.new_id()
    async with transaction():
        await PatrolSchedule.insert(
            PatrolSchedule(
                id=schedule_id,
                site=site_id,
                route=data.route_id,
                created_at=now,
                **_columns(data, now),
            )
        )
        await _add_version(caller, schedule_id, data, now)
        out = await _schedule_out(schedule_id)
        record_schedule(out)
    return out


async def change_schedule(
    caller: Caller, schedule_id: uuid.UUID, data: ScheduleChange
) -> ScheduleOut:
    row = await _row(caller, schedule_id)
    caller.require(row["site"], MANAGERS, "schedule")
    await _check(row["site"], data)
    async with transaction():
        row = await _locked(schedule_id)
        if row["status"] != "active":
            raise DomainError("patrol_schedule.retired", "a retired schedule cannot be changed")
        if row["version"] != data.base_version:
            raise DomainError(
                "patrol_schedule.version_conflict",
                f"changed by someone else: version is {row['version']}, "
                f"you sent {data.base_version}",
                field="base_version",
            )
        now = clock.utcnow()
        columns = _columns(data, now) | {"version": row["version"] + 1, "route": data.route_id}
        await PatrolSchedule.update(
            {getattr(PatrolSchedule, k): v for k, v in columns.items()}
        ).where(PatrolSchedule.id == schedule_id)
        await _add_version(caller, schedule_id, data, now)
        out = await _schedule_out(schedule_id)
        record_schedule(out)
    return out


async def retire_schedule(caller: Caller, schedule_id: uuid.UUID) -> ScheduleOut:
    row = await _row(caller, schedule_id)
    caller.require(row["site"], MANAGERS, "schedule")
    async with transaction():
        row = await _locked(schedule_id)
        if row["status"] != "active":
            return await _schedule_out(schedule_id)
        now = clock.utcnow()
        await PatrolSchedule.update(
            {
                PatrolSchedule.status: "retired",
                PatrolSchedule.version: row["version"] + 1,
                PatrolSchedule.updated_at: now,
            }
        ).where(PatrolSchedule.id == schedule_id)
        current = _out(row)
        await _add_version(caller, schedule_id, current, now, ended=True)
        out = await _schedule_out(schedule_id)
        record_schedule(out)
    return out


async def list_schedules(
    caller: Caller, site_id: uuid.UUID, *, include_retired: bool = False
) -> list[ScheduleOut]:
    caller.require(site_id, EVERYONE)
    return await schedules_of(site_id, include_retired=include_retired)


async def schedules_of(site_id: uuid.UUID, *, include_retired: bool = False) -> list[ScheduleOut]:
    query = PatrolSchedule.select().where(PatrolSchedule.site == site_id)
    if not include_retired:
        query = query.where(PatrolSchedule.status == "active")
    return [_out(r) for r in await query.order_by(PatrolSchedule.created_at, PatrolSchedule.id)]


async def schedules_by_id(ids: set[uuid.UUID]) -> dict[uuid.UUID, ScheduleOut]:
    if not ids:
        return {}
    rows = await PatrolSchedule.select().where(PatrolSchedule.id.is_in(sorted(ids)))
    return {r["id"]: _out(r) for r in rows}


def pure_schedule(out: ScheduleOut) -> RoundSchedule:
    return RoundSchedule(
        key=str(out.id), route=str(out.route_id), times=out.times, who=out.who, days=out.days
    )


def windows_of(
    schedule: ScheduleOut,
    calendar: SchoolCalendar | None,
    first_day: dt.date,
    last_day: dt.date,
    tz: str,
) -> list[RoundWindow]:
    return round_windows(pure_schedule(schedule), calendar, first_day, last_day, tz)


@dataclass(frozen=True)
class Book:
    """A schedule with its rules over time: (in force from, the rule or None once ended),
    oldest first."""

    out: ScheduleOut
    rules: tuple[tuple[dt.datetime, ScheduleOut | None], ...]

    def windows(
        self, calendar: SchoolCalendar | None, first_day: dt.date, last_day: dt.date, tz: str
    ) -> list[tuple[ScheduleOut, RoundWindow]]:
        """The windows dated `first_day` to `last_day`, each with the rule it is owed under.
        A rule owes the windows it opens before the next rule takes over, and, from the
        moment it was made, those still open or in their grace: a schedule made at 09:45
        owes the round of 09:30 to 10:30, not the one of 07:30. A window both rules make
        (the same key) is the older rule's."""
        found: dict[str, tuple[ScheduleOut, RoundWindow]] = {}
        for index, (since, rule) in enumerate(self.rules):
            if rule is None:
                continue
            until = self.rules[index + 1][0] if index + 1 < len(self.rules) else None
            for window in windows_of(rule, calendar, first_day, last_day, tz):
                if window.grace_end > since and (until is None or window.start < until):
                    found.setdefault(window.key, (rule, window))
        return sorted(found.values(), key=lambda rw: (rw[1].start, rw[1].key))

    def window_named(
        self, calendar: SchoolCalendar | None, key: str, tz: str
    ) -> tuple[ScheduleOut, RoundWindow] | None:
        """The window with this key and the rule it opened under, or None."""
        try:
            day = dt.date.fromisoformat(key[:10])
        except ValueError:
            return None
        for rule, window in self.windows(calendar, day, day, tz):
            if window.key == key:
                return rule, window
        return None


async def books_of(
    site_id: uuid.UUID | None = None, ids: set[uuid.UUID] | None = None
) -> dict[uuid.UUID, Book]:
    """The schedules of a site, or these schedules, retired ones too, with their rules."""
    query = PatrolSchedule.select()
    if site_id is not None:
        query = query.where(PatrolSchedule.site == site_id)
    if ids is not None:
        if not ids:
            return {}
        query = query.where(PatrolSchedule.id.is_in(sorted(ids)))
    rows = await query.order_by(PatrolSchedule.created_at, PatrolSchedule.id)
    if not rows:
        return {}
    versions = await PatrolScheduleVersion.select().where(
        PatrolScheduleVersion.schedule.is_in([r["id"] for r in rows])
    )
    by_schedule: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for version in sorted(versions, key=lambda v: (v["effective_at"], v["id"])):
        by_schedule.setdefault(version["schedule"], []).append(version)
    books = {}
    for row in rows:
        out = _out(row)
        rules = tuple(
            (
                v["effective_at"],
                None
                if v["ended"]
                else msgspec.structs.replace(
                    out,
                    route_id=v["route"],
                    times=_PARTS.decode(json_bytes(v["times"])),
                    who=_PARTS.decode(json_bytes(v["who"])),
                    days=v["days"],
                    countersign=v["countersign"],
                ),
            )
            for v in by_schedule.get(row["id"], [])
        )
        books[row["id"]] = Book(out=out, rules=rules)
    return books


def record_schedule(out: ScheduleOut) -> None:
    SCHEDULE_FEED.record(out.site_id, out.id, version=out.version, data=out)


async def snapshot_schedules(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, ScheduleOut]]:
    query = PatrolSchedule.select().where(PatrolSchedule.site == site_id)
    if after is not None:
        query = query.where(PatrolSchedule.id > uuid.UUID(after))
    rows = await query.order_by(PatrolSchedule.id).limit(limit)
    return [(str(r["id"]), r["version"], _out(r)) for r in rows]


SCHEDULE_FEED = Feed("patrol_schedule", Audience.SITE, snapshot_schedules)


async def _check(site_id: uuid.UUID, data: ScheduleCreate) -> None:
    route = await route_site(data.route_id)
    if route is None or route[0] != site_id:
        raise not_found("route")
    if route[1] != "active":
        raise DomainError("route.retired", "the route is retired", field="route_id")
    who = data.who
    if isinstance(who, ForRole):
        if who.role not in ROLES or who.role == "auditor":
            raise DomainError(
                "request.invalid", f"no patrolling role {who.role!r}", field="who.role"
            )
        return
    members = {str(m.user_id) for m in await members_of(site_id)}
    named: list[tuple[str, str]] = []
    if isinstance(who, ForPeople):
        named = [(f"who.people[{i}]", p) for i, p in enumerate(who.people)]
    elif isinstance(who, ForRoster):
        named = [(f"who.duties[{i}].person", d.person) for i, d in enumerate(who.duties)]
        for i, swap in enumerate(who.substitutes):
            named.append((f"who.substitutes[{i}].person", swap.person))
            named.append((f"who.substitutes[{i}].replaces", swap.replaces))
    for field, person in named:
        if person not in members:
            raise DomainError(
                "patrol_schedule.person_unknown",
                f"{person} is not a member of this site",
                field=field,
            )


async def _add_version(
    caller: Caller,
    schedule_id: uuid.UUID,
    rule: ScheduleCreate | ScheduleOut,
    now: dt.datetime,
    *,
    ended: bool = False,
) -> None:
    await PatrolScheduleVersion.insert(
        PatrolScheduleVersion(
            id=clock.new_id(),
            schedule=schedule_id,
            effective_at=now,
            route=rule.route_id,
            times=msgspec.json.encode(rule.times).decode(),
            who=msgspec.json.encode(rule.who).decode(),
            days=rule.days,
            countersign=rule.countersign,
            ended=ended,
            added_by=caller.user_id,
        )
    )


def _columns(data: ScheduleCreate, now: dt.datetime) -> dict[str, Any]:
    return {
        "name": data.name,
        "name_en": data.name_en,
        "times": msgspec.json.encode(data.times).decode(),
        "who": msgspec.json.encode(data.who).decode(),
        "days": data.days,
        "countersign": data.countersign,
        "status": "active",
        "updated_at": now,
    }


async def _row(caller: Caller, schedule_id: uuid.UUID) -> dict[str, Any]:
    row = await PatrolSchedule.select().where(PatrolSchedule.id == schedule_id).first()
    if row is None or row["site"] not in caller.roles:
        raise not_found("schedule")
    return row


async def _locked(schedule_id: uuid.UUID) -> dict[str, Any]:
    query = PatrolSchedule.select().where(PatrolSchedule.id == schedule_id)
    if not is_sqlite():
        query = query.lock_rows("UPDATE")
    row = await query.first()
    assert row is not None, "schedules are never deleted"
    return row


async def _schedule_out(schedule_id: uuid.UUID) -> ScheduleOut:
    row = await PatrolSchedule.select().where(PatrolSchedule.id == schedule_id).first()
    assert row is not None, "schedules are never deleted"
    return _out(row)


def _out(row: dict[str, Any]) -> ScheduleOut:
    return msgspec.convert(
        {
            "id": row["id"],
            "site_id": row["site"],
            "name": row["name"],
            "name_en": row["name_en"],
            "route_id": row["route"],
            "times": _TIMES.decode(json_bytes(row["times"])),
            "who": _TIMES.decode(json_bytes(row["who"])),
            "days": row["days"],
            "countersign": row["countersign"],
            "status": row["status"],
            "version": row["version"],
            # Every version is written with the schedule's `updated_at`.
            "rule_since": row["updated_at"],
        },
        ScheduleOut,
    )
