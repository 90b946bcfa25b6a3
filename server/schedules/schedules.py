"""Schedules: recurring work — a checklist template to fill in for a set of targets, by a
recurrence rule read in the site's timezone (checklists.recurrence).

A schedule's rule lives in versions, each in force from a local date until the next. A
change is a new version from today or later; a date before today at the site is refused
(`schedule.effective_in_past`), and ending a schedule is a version with no rule. So every
past day keeps the rule it had, and what was due in any past period is computed again
exactly as it was. Today is still open: a version from today governs all of today. A new
version on the date of a version not yet in force replaces it.

Targets are chosen by a spec and resolved against the registry when they are needed: every
asset of a category at the site, everything in a location subtree (its assets, of one
category if given, and/or its locations of one kind), or named assets and locations. A thing
added later is covered from the day it was created (its local date at the site) and a retired
one up to the day it was retired, so adding an extinguisher never makes last month's check
overdue. Which things a spec selects is the registry's answer now: an asset moved to another
building or category moves with its schedules, the past included. The template and the spec
never change; to cover other things, end the schedule and make another.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

import checklists
from checklists import PerTermRule, Rule
from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.db import is_sqlite, transaction
from server.errors import DomainError, not_found
from server.feeds import Audience, Feed
from server.registry.locations import subtree_ids
from server.registry.targets import SiteThing, site_things
from server.schedules.calendars import calendar_of, local_today
from server.schedules.tables import Schedule, ScheduleVersion
from server.schedules.wire import (
    CategoryTargets,
    NamedTargets,
    ScheduleChange,
    ScheduleCreate,
    ScheduleOut,
    ScheduleRecord,
    ScheduleVersionOut,
    SubtreeTargets,
    TargetSpec,
)
from server.templates.templates import published_versions, template_titles

NAMES_SHOWN = 5
"""How many of a schedule's things it names when read."""


@dataclass
class LoadedSchedule:
    id: uuid.UUID
    site_id: uuid.UUID
    template_key: str
    targets: TargetSpec
    versions: list[dict[str, Any]]
    """Rows of schedule_version, oldest first, `rule` decoded."""
    version: int
    created_at: dt.datetime
    created_by: uuid.UUID | None

    @property
    def rules(self) -> list[checklists.ScheduleVersion]:
        return [
            checklists.ScheduleVersion(
                effective_from=row["effective_from"],
                rule=row["rule"],
                skip_holidays=row["skip_holidays"],
            )
            for row in self.versions
        ]

    @property
    def per_term(self) -> bool:
        return any(isinstance(row["rule"], PerTermRule) for row in self.versions)


# --- targets --------------------------------------------------------------------------


def select_targets(spec: TargetSpec, things: Iterable[SiteThing]) -> list[SiteThing]:
    """The things of a site a spec selects, retired ones included (they were covered until
    they were retired), in name order."""
    things = list(things)
    if isinstance(spec, CategoryTargets):
        chosen = [t for t in things if t.asset_id is not None and t.category == spec.category]
    elif isinstance(spec, SubtreeTargets):
        tree = {
            t.location_id: {"id": t.location_id, "parent": t.parent_id}
            for t in things
            if t.asset_id is None and t.location_id is not None
        }
        inside = subtree_ids(tree, spec.location_id) if spec.location_id in tree else set()
        chosen = [
            t
            for t in things
            if t.location_id in inside
            and (
                (
                    t.asset_id is not None
                    and spec.assets
                    and spec.asset_category in (None, t.category)
                )
                or (
                    t.asset_id is None
                    and spec.location_kind is not None
                    and t.kind == spec.location_kind
                )
            )
        ]
    else:
        assets, locations = set(spec.asset_ids), set(spec.location_ids)
        chosen = [
            t
            for t in things
            if (t.asset_id in assets) or (t.asset_id is None and t.location_id in locations)
        ]
    return sorted(chosen, key=lambda t: (t.name, str(t.asset_id or t.location_id)))


def coverage(thing: SiteThing, zone: ZoneInfo) -> tuple[dt.date, dt.date | None]:
    """The local dates a thing is covered on: from the day it was created, and up to the day
    it was retired (its last change), or open-ended."""
    first = thing.created_at.astimezone(zone).date()
    last = thing.updated_at.astimezone(zone).date() if thing.status != "active" else None
    return first, last


def target_id(thing: SiteThing) -> uuid.UUID:
    return thing.asset_id if thing.asset_id is not None else thing.location_id  # type: ignore[return-value]


# --- reading --------------------------------------------------------------------------


async def site_schedules(
    site_id: uuid.UUID, schedule_ids: Iterable[uuid.UUID] | None = None
) -> list[LoadedSchedule]:
    """A site's schedules (or the named ones of it) with their versions, in creation order."""
    query = Schedule.select().where(Schedule.site == site_id)
    if schedule_ids is not None:
        query = query.where(Schedule.id.is_in(list(schedule_ids) or [uuid.UUID(int=0)]))
    rows = await query.order_by(Schedule.id).output(load_json=False)
    return await _with_versions(rows)


async def schedules_by_id(schedule_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, LoadedSchedule]:
    """Schedules of any site by id; the caller checks the site."""
    wanted = list(set(schedule_ids))
    if not wanted:
        return {}
    rows = await Schedule.select().where(Schedule.id.is_in(wanted)).output(load_json=False)
    return {s.id: s for s in await _with_versions(rows)}


async def _with_versions(rows: list[dict[str, Any]]) -> list[LoadedSchedule]:
    if not rows:
        return []
    versions: dict[uuid.UUID, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    for version in (
        await ScheduleVersion.select()
        .where(ScheduleVersion.schedule.is_in(list(versions)))
        .order_by(ScheduleVersion.effective_from)
    ):
        version["rule"] = msgspec.json.decode(version["rule"], type=Rule | None)  # type: ignore[arg-type]
        versions[version["schedule"]].append(version)
    return [
        LoadedSchedule(
            id=row["id"],
            site_id=row["site"],
            template_key=row["template_key"],
            targets=_spec(row["targets"]),
            versions=versions[row["id"]],
            version=row["version"],
            created_at=row["created_at"],
            created_by=row["created_by"],
        )
        for row in rows
    ]


def _spec(value: Any) -> TargetSpec:
    if isinstance(value, str):
        return msgspec.json.decode(value, type=TargetSpec)  # type: ignore[arg-type]
    return msgspec.convert(value, TargetSpec)  # type: ignore[arg-type]


async def list_schedules(caller: Caller, site_id: uuid.UUID) -> list[ScheduleOut]:
    caller.require(site_id, EVERYONE)
    return await _outs(caller, site_id, await site_schedules(site_id))


async def get_schedule(caller: Caller, site_id: uuid.UUID, schedule_id: uuid.UUID) -> ScheduleOut:
    caller.require(site_id, EVERYONE, "schedule")
    found = await site_schedules(site_id, [schedule_id])
    if not found:
        raise not_found("schedule")
    return (await _outs(caller, site_id, found))[0]


async def _outs(
    caller: Caller, site_id: uuid.UUID, schedules: list[LoadedSchedule]
) -> list[ScheduleOut]:
    titles = await template_titles(caller.organization_id, {s.template_key for s in schedules})
    things = await site_things(site_id) if schedules else []
    covered = {
        s.id: [t for t in select_targets(s.targets, things) if t.status == "active"]
        for s in schedules
    }
    return [
        ScheduleOut(
            id=s.id,
            site_id=s.site_id,
            template_key=s.template_key,
            title_zh=titles.get(s.template_key, ("", ""))[0],
            title_en=titles.get(s.template_key, ("", ""))[1],
            targets=s.targets,
            target_count=len(covered[s.id]),
            target_names=[t.name for t in covered[s.id][:NAMES_SHOWN]],
            versions=[
                ScheduleVersionOut(
                    effective_from=row["effective_from"],
                    rule=row["rule"],
                    skip_holidays=row["skip_holidays"],
                    added_at=row["added_at"].astimezone(dt.UTC),
                    added_by=row["added_by"],
                )
                for row in s.versions
            ],
            version=s.version,
            created_at=s.created_at.astimezone(dt.UTC),
            created_by=s.created_by,
        )
        for s in schedules
    ]


# --- writing --------------------------------------------------------------------------


async def create_schedule(caller: Caller, site_id: uuid.UUID, data: ScheduleCreate) -> ScheduleOut:
    caller.require(site_id, MANAGERS)
    today = local_today((await site_timezones([site_id]))[site_id])
    effective_from = _check_date(data.effective_from, today)
    await _check_template(caller, data.template_key)
    await _check_targets(site_id, data.targets)
    await _check_calendar(site_id, data.rule)
    schedule_id = clock.new_id()
    now = clock.utcnow()
    async with transaction():
        await Schedule.insert(
            Schedule(
                id=schedule_id,
                site=site_id,
                template_key=data.template_key,
                targets=msgspec.json.encode(data.targets).decode(),
                version=1,
                created_at=now,
                created_by=caller.user_id,
                updated_at=now,
            )
        )
        await ScheduleVersion.insert(
            _version_row(schedule_id, effective_from, data.rule, data.skip_holidays, caller, now)
        )
        record_schedule((await site_schedules(site_id, [schedule_id]))[0])
    return await get_schedule(caller, site_id, schedule_id)


async def change_schedule(
    caller: Caller, site_id: uuid.UUID, schedule_id: uuid.UUID, data: ScheduleChange
) -> ScheduleOut:
    """Add a version from a date; a `rule` of None ends the schedule from that date."""
    caller.require(site_id, MANAGERS, "schedule")
    today = local_today((await site_timezones([site_id]))[site_id])
    effective_from = _check_date(data.effective_from, today)
    if data.rule is not None:
        await _check_calendar(site_id, data.rule)
    async with transaction():
        query = Schedule.select(Schedule.id, Schedule.version).where(
            (Schedule.id == schedule_id) & (Schedule.site == site_id)
        )
        if not is_sqlite():
            # Two managers changing one schedule take turns; its version grows by one each.
            query = query.lock_rows("UPDATE")
        found = await query.first()
        if found is None:
            raise not_found("schedule")
        if data.version is not None and data.version != found["version"]:
            raise DomainError(
                "schedule.version_conflict",
                f"changed by someone else: version is {found['version']}, you sent {data.version}",
                field="version",
            )
        now = clock.utcnow()
        rule_json = msgspec.json.encode(data.rule).decode()
        same_day = ScheduleVersion.select(
            ScheduleVersion.id, ScheduleVersion.rule, ScheduleVersion.skip_holidays
        ).where(
            (ScheduleVersion.schedule == schedule_id)
            & (ScheduleVersion.effective_from == effective_from)
        )
        replaced = await same_day.first()
        if replaced is not None:
            if (replaced["rule"], replaced["skip_holidays"]) == (rule_json, data.skip_holidays):
                return await get_schedule(caller, site_id, schedule_id)
            await ScheduleVersion.update(
                {
                    ScheduleVersion.rule: rule_json,
                    ScheduleVersion.skip_holidays: data.skip_holidays,
                    ScheduleVersion.added_at: now,
                    ScheduleVersion.added_by: caller.user_id,
                }
            ).where(ScheduleVersion.id == replaced["id"])
        else:
            await ScheduleVersion.insert(
                _version_row(
                    schedule_id, effective_from, data.rule, data.skip_holidays, caller, now
                )
            )
        await Schedule.update(
            {Schedule.version: Schedule.version + 1, Schedule.updated_at: now}
        ).where(Schedule.id == schedule_id)
        record_schedule((await site_schedules(site_id, [schedule_id]))[0])
    return await get_schedule(caller, site_id, schedule_id)


async def end_schedule(
    caller: Caller,
    site_id: uuid.UUID,
    schedule_id: uuid.UUID,
    effective_from: dt.date | None,
    version: int | None = None,
) -> ScheduleOut:
    """Nothing is due from `effective_from` (today if not given); the past stays."""
    change = ScheduleChange(rule=None, effective_from=effective_from, version=version)
    return await change_schedule(caller, site_id, schedule_id, change)


def _version_row(
    schedule_id: uuid.UUID,
    effective_from: dt.date,
    rule: Rule | None,
    skip_holidays: bool,
    caller: Caller,
    now: dt.datetime,
) -> ScheduleVersion:
    return ScheduleVersion(
        id=clock.new_id(),
        schedule=schedule_id,
        effective_from=effective_from,
        rule=msgspec.json.encode(rule).decode(),
        skip_holidays=skip_holidays,
        added_at=now,
        added_by=caller.user_id,
    )


def _check_date(effective_from: dt.date | None, today: dt.date) -> dt.date:
    if effective_from is None:
        return today
    if effective_from < today:
        raise DomainError(
            "schedule.effective_in_past",
            f"effective_from {effective_from.isoformat()} is before today "
            f"({today.isoformat()} at the site): what was due on past days must stay as it "
            "was, so a change takes effect today or later",
            field="effective_from",
        )
    return effective_from


async def _check_template(caller: Caller, template_key: str) -> None:
    if not await published_versions(caller.organization_id, template_key):
        raise DomainError(
            "schedule.unknown_template",
            f"no checklist template {template_key!r} is published",
            field="template_key",
        )


async def _check_targets(site_id: uuid.UUID, spec: TargetSpec) -> None:
    """Every place and thing the spec names is at this site (else not found, like any id
    of another site); a spec must be able to select something."""
    if isinstance(spec, CategoryTargets):
        return
    things = await site_things(site_id)
    assets = {t.asset_id for t in things if t.asset_id is not None}
    locations = {t.location_id for t in things if t.asset_id is None}
    if isinstance(spec, SubtreeTargets):
        if spec.location_id not in locations:
            raise DomainError("not_found", "location not found", field="targets.location_id")
        if not spec.assets and spec.location_kind is None:
            raise DomainError(
                "request.invalid",
                "a subtree selects its assets, its locations of a kind, or both; this selects "
                "nothing",
                field="targets.assets",
            )
        return
    assert isinstance(spec, NamedTargets)
    if not spec.asset_ids and not spec.location_ids:
        raise DomainError(
            "request.invalid", "name at least one asset or location", field="targets.asset_ids"
        )
    for ids, known, what in (
        (spec.asset_ids, assets, "asset"),
        (spec.location_ids, locations, "location"),
    ):
        for at, wanted in enumerate(ids):
            if wanted not in known:
                raise DomainError(
                    "not_found", f"{what} not found", field=f"targets.{what}_ids[{at}]"
                )


async def _check_calendar(site_id: uuid.UUID, rule: Rule) -> None:
    if not isinstance(rule, PerTermRule):
        return
    calendar = await calendar_of(site_id)
    if calendar is None or not calendar.terms:
        raise DomainError(
            "schedule.calendar_required",
            "a rule of n times per term needs the site's calendar with its terms; "
            "PUT /api/sites/{site_id}/calendar first",
            field="rule",
        )


# --- for devices ----------------------------------------------------------------------


def schedule_record(schedule: LoadedSchedule) -> ScheduleRecord:
    return ScheduleRecord(
        id=schedule.id,
        site_id=schedule.site_id,
        template_key=schedule.template_key,
        targets=schedule.targets,
        versions=schedule.rules,
    )


def record_schedule(schedule: LoadedSchedule) -> None:
    SCHEDULE_FEED.record(
        schedule.site_id,
        schedule.id,
        version=schedule.version,
        data=schedule_record(schedule),
    )


async def snapshot_schedule(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, ScheduleRecord]]:
    """Every schedule of the site, ended ones too (their past is still reported)."""
    if limit < 1:
        return []
    query = Schedule.select().where(Schedule.site == site_id)
    if after is not None:
        query = query.where(Schedule.id > uuid.UUID(after))
    rows = await query.order_by(Schedule.id).limit(limit).output(load_json=False)
    return [(str(s.id), s.version, schedule_record(s)) for s in await _with_versions(rows)]


SCHEDULE_FEED = Feed("schedule", Audience.SITE, snapshot_schedule)
