"""The retention purge (PIPL Art. 19: personal data only as long as necessary).

Visits: once a visit's local date is older than the site's `retention_days` (its gate
settings), the personal fields leave every fact of it and its register entry (name,
document key and masked number, phone, organisation, plate, badge, purpose, reasons);
`purged_at` is set. The rows stay, with their dates, states, party sizes and flags: how
many visitors came, and when, is what an inspector may still ask years later. Gate
devices receive the purged entry (a new version), the change log's earlier copies of it
are overwritten, and a repeat visitor whose latest visit is purged is deleted from their
feed (`known_visitor`).

Early-leave passes and pick-up card checks are children's records (PIPL Art. 28): they
are kept until the school year that holds their date has ended (the site's calendar,
`school_year_end`), or 365 days where the calendar does not say, and then purged alike.
A purged fact keeps every key it had, its text replaced by a placeholder, so that a fact
arriving late (a device offline for months) still judges the record again; the next pass
purges what that brought back (`judged_at` after `purged_at`).

Every pass is idempotent and safe beside another (a second worker, the command line):
rows are locked as they are purged, and a purged row matches no longer.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from piccolo.columns.combination import WhereRaw

from checklists import SchoolCalendar
from server import clock
from server.accounts.sites import site_timezones
from server.db import is_sqlite, json_bytes, transaction
from server.feeds import Audience, Scope
from server.gate.known_visitors import KNOWN_VISITOR_FEED, latest
from server.gate.register import VISIT_FEED
from server.gate.settings import settings_of
from server.gate.slips import PURGED
from server.gate.tables import CardCheckRow, LeavePassRow, PassFactRow, VisitFactRow, VisitRow
from server.schedules.calendars import calendar_of
from sync.tables import SyncChange
from sync.wire import PUT

PLACEHOLDER = "—"
"""What a purged text becomes in a stored fact: not empty, so that a fact's rules (a name
of at least one character) still hold when a late fact makes the record be judged again."""
PASS_PURGED = "pass.purged"
DAYS_WITHOUT_CALENDAR = 365
CHUNK = 200

VISIT_FACT_FIELDS: dict[str, Any] = {
    "name": PLACEHOLDER,
    "id_key": None,
    "id_masked": None,
    "phone": None,
    "organisation": "",
    "purpose": "",
    "plate": None,
    "badge": None,
    "no_document_reason": "",
    "reason": "",
}
"""A visit fact's personal fields and what they become (refusals and watchlist decisions
give a `reason`, which may name the visitor)."""
VISIT_SUMMARY_FIELDS: dict[str, Any] = {
    "visitor": None,
    "id_masked": None,
    "phone_masked": None,
    "organisation": "",
    "purpose": "",
    "plate": None,
    "badge": None,
    "refusal_reason": "",
}
PASS_FIELDS = frozenset(
    {
        "pupil",
        "class_name",
        "reason",
        "collector",
        "collector_phone",
        "collector_phone_masked",
        "parent_name",
        "parent_phone",
        "phone",
        "phone_masked",
        "collected_by",
        "name",
    }
)
"""Keys of a pass's facts and entry that hold a pupil's or a parent's details, at any depth
(`confirmed_by_parent.name`); a person reference of the school's staff ({id, name}) stays."""


@dataclass(frozen=True, slots=True)
class PurgeResult:
    visits: int
    passes: int
    card_checks: int
    known_visitors: int
    """Repeat visitors deleted from gate devices."""


def school_year(day: dt.date) -> int:
    """The year a school year begins in: it runs from August to July (the autumn term
    starts late August or September, the spring term ends by mid-July)."""
    return day.year if day.month >= 8 else day.year - 1


def school_year_end(calendar: SchoolCalendar | None, day: dt.date) -> dt.date | None:
    """The last day of the school year that holds `day`: 31 July, or the last day of its
    last term if the calendar runs it later; None when the calendar has no term of that
    year (a calendar not kept up says nothing about it)."""
    if calendar is None:
        return None
    year = school_year(day)
    ends = [term.last_day for term in calendar.terms if school_year(term.first_day) == year]
    if not ends:
        return None
    return max(dt.date(year + 1, 7, 31), *ends)


def pass_kept_until(calendar: SchoolCalendar | None, day: dt.date) -> dt.date:
    """The last day a pass (or card check) of `day` keeps its personal fields."""
    end = school_year_end(calendar, day)
    return end if end is not None else day + dt.timedelta(days=DAYS_WITHOUT_CALENDAR)


def purged_visit_fact(body: dict[str, Any]) -> dict[str, Any]:
    return body | {k: v for k, v in VISIT_FACT_FIELDS.items() if k in body}


def purged_visit_summary(summary: dict[str, Any], version: int) -> dict[str, Any]:
    flags = [f for f in summary.get("flags", []) if f != PURGED] + [PURGED]
    fields = {k: v for k, v in VISIT_SUMMARY_FIELDS.items() if k in summary}
    return summary | fields | {"flags": flags, "version": version}


def purged_pass_value(value: Any) -> Any:
    """`value` with every text under a pass's personal keys replaced by the placeholder."""
    if isinstance(value, list):
        return [purged_pass_value(item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"id", "name"}:
        return value  # the school's own people (PersonRef)
    return {
        key: _placeholder(item) if key in PASS_FIELDS else purged_pass_value(item)
        for key, item in value.items()
    }


def _placeholder(value: Any) -> Any:
    if value is None or value == "":
        return value
    return PLACEHOLDER if isinstance(value, str) else None


def purged_faults(faults: list[Any]) -> list[Any]:
    """A card check's faults, their codes only (a fault may name the collector)."""
    return [{"code": f.get("code")} if isinstance(f, dict) else f for f in faults]


async def purge(
    *, site_id: uuid.UUID | None = None, dry_run: bool = False, now: dt.datetime | None = None
) -> PurgeResult:
    """One pass over every site with gate records (or `site_id` only). `dry_run` counts
    what a pass would purge and changes nothing."""
    now = now or clock.utcnow()
    sites = [site_id] if site_id is not None else await _gate_sites()
    zones = await site_timezones(sites)
    settings = await settings_of(sites)
    totals = [0, 0, 0, 0]
    for site in sites:
        if site not in zones:
            continue
        today = now.astimezone(ZoneInfo(zones[site])).date()
        cutoff = today - dt.timedelta(days=settings[site][0].retention_days)
        visits, known = await _purge_visits(site, cutoff, now, dry_run)
        calendar = await calendar_of(site)
        passes = await _purge_passes(site, calendar, today, now, dry_run)
        checks = await _purge_card_checks(site, ZoneInfo(zones[site]), calendar, today, dry_run)
        for n, count in enumerate((visits, passes, checks, known)):
            totals[n] += count
    return PurgeResult(
        visits=totals[0], passes=totals[1], card_checks=totals[2], known_visitors=totals[3]
    )


async def _gate_sites() -> list[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for table in (VisitRow, LeavePassRow, CardCheckRow):
        found |= {r["site"] for r in await table.select(table.site).distinct()}
    return sorted(found)


def _due(table: type[VisitRow] | type[LeavePassRow]) -> Any:
    """Not purged, or judged again since (a late fact brought its fields back)."""
    return table.purged_at.is_null() | WhereRaw("judged_at > purged_at")


async def _purge_visits(
    site: uuid.UUID, cutoff: dt.date, now: dt.datetime, dry_run: bool
) -> tuple[int, int]:
    due = (VisitRow.site == site) & (VisitRow.local_date < cutoff) & _due(VisitRow)
    if dry_run:
        return await VisitRow.count().where(due), 0
    purged = known = 0
    while True:
        async with transaction():
            query = (
                VisitRow.select(
                    VisitRow.id,
                    VisitRow.id_key,
                    VisitRow.summary,
                    VisitRow.version,
                    VisitRow.judged_at,
                )
                .where(due)
                .order_by(VisitRow.id)
                .limit(CHUNK)
            )
            if not is_sqlite():
                query = query.lock_rows("UPDATE")
            rows = await query
            if not rows:
                return purged, known
            await _scrub_facts(VisitFactRow, [r["id"] for r in rows], purged_visit_fact)
            keys: dict[str, int] = {}
            for row in rows:
                version = row["version"] + 1
                summary = purged_visit_summary(_decoded(row["summary"]), version)
                await VisitRow.update(
                    {
                        VisitRow.id_key: None,
                        VisitRow.summary: msgspec.json.encode(summary).decode(),
                        VisitRow.version: version,
                        VisitRow.purged_at: max(now, row["judged_at"]),
                    }
                ).where(VisitRow.id == row["id"])
                VISIT_FEED.record(site, row["id"], version=version, data=summary)
                await _overwrite_changes(site, "visit", [str(row["id"])], summary)
                if row["id_key"]:
                    at = summary.get("checked_in_at") or ""
                    keys[row["id_key"]] = max(keys.get(row["id_key"], 0), _millis(at) + 1)
            known += await _forget_known(site, keys)
            purged += len(rows)


async def _scrub_facts(
    table: type[VisitFactRow] | type[PassFactRow],
    owners: list[uuid.UUID],
    scrub: Callable[[Any], Any],
) -> None:
    owner = VisitFactRow.visit_id if table is VisitFactRow else PassFactRow.pass_id
    for fact in await table.select(table.id, table.body).where(owner.is_in(owners)):
        body = _decoded(fact["body"])
        scrubbed = scrub(body)
        if scrubbed != body:
            encoded = msgspec.json.encode(scrubbed).decode()
            await table.update({table.body: encoded}).where(table.id == fact["id"])


async def _overwrite_changes(
    site: uuid.UUID, entity: str, ids: Iterable[str], data: dict[str, Any]
) -> None:
    """The change log's earlier copies of a purged entity now carry its purged form: a
    device pulling from an old cursor must not receive what the purge removed."""
    await SyncChange.update({SyncChange.data: msgspec.json.encode(data).decode()}).where(
        (SyncChange.scope == str(Scope(site, Audience.GATE)))
        & (SyncChange.entity == entity)
        & SyncChange.entity_id.is_in(list(ids))
        & (SyncChange.op == PUT)
    )


async def _forget_known(site: uuid.UUID, keys: dict[str, int]) -> int:
    """Delete the repeat visitors whose every visit at the site is purged: their earlier
    copies leave the change log, and devices are told to drop them."""
    if not keys:
        return 0
    kept = await latest(site, keys)
    gone = sorted(k for k in keys if k not in kept)
    if gone:
        await SyncChange.delete().where(
            (SyncChange.scope == str(Scope(site, Audience.GATE)))
            & (SyncChange.entity == KNOWN_VISITOR_FEED.name)
            & SyncChange.entity_id.is_in(gone)
        )
    for key in gone:
        KNOWN_VISITOR_FEED.record(site, key, version=keys[key], deleted=True)
    return len(gone)


async def _purge_passes(
    site: uuid.UUID,
    calendar: SchoolCalendar | None,
    today: dt.date,
    now: dt.datetime,
    dry_run: bool,
) -> int:
    candidates = await LeavePassRow.select(LeavePassRow.id, LeavePassRow.local_date).where(
        (LeavePassRow.site == site) & (LeavePassRow.local_date < today) & _due(LeavePassRow)
    )
    ids = sorted(r["id"] for r in candidates if pass_kept_until(calendar, r["local_date"]) < today)
    if dry_run:
        return len(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        async with transaction():
            query = LeavePassRow.select(
                LeavePassRow.id, LeavePassRow.summary, LeavePassRow.judged_at
            ).where(LeavePassRow.id.is_in(chunk) & _due(LeavePassRow))
            if not is_sqlite():
                query = query.lock_rows("UPDATE")
            rows = await query
            await _scrub_facts(PassFactRow, [r["id"] for r in rows], purged_pass_value)
            for row in rows:
                summary = purged_pass_value(_decoded(row["summary"]))
                if isinstance(summary.get("flags"), list) and PASS_PURGED not in summary["flags"]:
                    summary["flags"] = [*summary["flags"], PASS_PURGED]
                await LeavePassRow.update(
                    {
                        LeavePassRow.summary: msgspec.json.encode(summary).decode(),
                        LeavePassRow.purged_at: max(now, row["judged_at"]),
                    }
                ).where(LeavePassRow.id == row["id"])
                await _overwrite_changes(site, "leave_pass", [str(row["id"])], summary)
    return len(ids)


async def _purge_card_checks(
    site: uuid.UUID,
    zone: ZoneInfo,
    calendar: SchoolCalendar | None,
    today: dt.date,
    dry_run: bool,
) -> int:
    """A card check has no personal field but its faults' details: they keep their codes."""
    rows = await CardCheckRow.select(
        CardCheckRow.id, CardCheckRow.occurred_at, CardCheckRow.faults
    ).where(CardCheckRow.site == site)
    due = []
    for row in rows:
        day = row["occurred_at"].astimezone(zone).date()
        faults = _decoded(row["faults"])
        if pass_kept_until(calendar, day) < today and purged_faults(faults) != faults:
            due.append((row["id"], purged_faults(faults)))
    if not dry_run:
        async with transaction():
            for check_id, faults in due:
                await CardCheckRow.update(
                    {CardCheckRow.faults: msgspec.json.encode(faults).decode()}
                ).where(CardCheckRow.id == check_id)
    return len(due)


def _millis(text: str) -> int:
    try:
        return int(dt.datetime.fromisoformat(text).timestamp() * 1000)
    except (TypeError, ValueError):
        return 0


def _decoded(value: Any) -> Any:
    return msgspec.json.decode(json_bytes(value))
