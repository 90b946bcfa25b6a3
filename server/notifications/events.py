"""Where events come from: sources that scan the domains' state for what a site's webhooks
should hear about. A source is asked about a window of time and answers every event in it,
whether or not it answered it before; the unique event key makes finding one twice
harmless, so the dispatcher can look back a little further than it last looked.

`SOURCES` is the list the dispatcher asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from server.accounts.sites import site_timezones, snapshot_site
from server.accounts.users import display_names
from server.actions.notifiable import actions_for_notifications, open_actions_of_site
from server.actions.wire import ActionOut
from server.gate.host import awaiting_host
from server.inspections.history import day_results
from server.notifications.deliveries import keys_present
from server.notifications.wire import DigestFigures, Event, OpenActionAges, SiteRef, Wording
from server.patrols.supervision import flagged_rounds as patrol_flagged
from server.patrols.supervision import missed_rounds as patrol_missed
from server.schedules.due import overdue_occurrences as due_occurrences

DIGEST_AT = time(7, 0)
"""Site-local time of the managers' morning digest."""

STATE_ZH = {"open": "待处理", "in_progress": "处理中", "fixed": "已整改待验证"}
STATE_EN = {"open": "open", "in_progress": "in progress", "fixed": "fixed, awaiting check"}


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime
    """The dispatcher's "now" (UTC)."""
    sites: dict[uuid.UUID, datetime]
    """The sites with an active webhook for this source's events, each with when its
    earliest such webhook was made (nothing before that is sent to any of them)."""


EventSource = Callable[[Window], Awaitable[list[Event]]]


@dataclass(frozen=True)
class Source:
    kind: str
    """The event kind it finds; also the name of its cursor."""
    scan: EventSource


async def high_priority_findings(window: Window) -> list[Event]:
    """finding.high: a high-priority action raised from a failed critical item or a hazard
    report, when the server stores it (a finding that syncs late is news when it lands)."""
    found = await actions_for_notifications(
        list(window.sites), since=window.since, until=window.until
    )
    sites = await site_refs({n.action.site_id for n in found.raised_high})
    owners = await _owner_names([n.action for n in found.raised_high])
    return [
        _action_event(
            "finding.high",
            f"finding.high:{n.action.id}",
            n.stored_at,
            n.action,
            sites[n.action.site_id],
            owners,
            window.until,
        )
        for n in found.raised_high
        if n.action.site_id in sites
    ]


async def overdue_actions(window: Window) -> list[Event]:
    """action.overdue: an action past its due time and not closed, once per action and due
    time."""
    found = await actions_for_notifications(
        list(window.sites), since=window.since, until=window.until
    )
    sites = await site_refs({n.action.site_id for n in found.overdue})
    owners = await _owner_names([n.action for n in found.overdue])
    return [
        _action_event(
            "action.overdue",
            f"action.overdue:{n.action.id}:{_utc_stamp(n.action.due_at)}",
            max(n.action.due_at, n.stored_at),
            n.action,
            sites[n.action.site_id],
            owners,
            window.until,
        )
        for n in found.overdue
        if n.action.site_id in sites
    ]


async def daily_digests(window: Window) -> list[Event]:
    """digest.daily: each site's digest for managers, once a site-local day, from 07:00
    local time until the day ends (a day's digest is never sent the next day)."""
    zones = await site_timezones(window.sites)
    due: dict[str, tuple[uuid.UUID, date, datetime]] = {}
    for site_id, zone_name in zones.items():
        zone = ZoneInfo(zone_name)
        local_now = window.until.astimezone(zone)
        if local_now.time() < DIGEST_AT:
            continue
        day = local_now.date()
        at = datetime.combine(day, DIGEST_AT, tzinfo=zone).astimezone(UTC)
        if window.sites[site_id] <= at:
            due[f"digest.daily:{site_id}:{day.isoformat()}"] = (site_id, day, at)
    # Working out a digest reads a whole site; do it only while one is still to be made.
    made = await keys_present(set(due))
    wanted = {key: value for key, value in due.items() if key not in made}
    sites = await site_refs({site_id for site_id, _, _ in wanted.values()})
    return [
        await _digest(key, sites[site_id], day, at, window.until)
        for key, (site_id, day, at) in wanted.items()
        if site_id in sites
    ]


async def overdue_occurrences(window: Window) -> list[Event]:
    """occurrence.overdue: a scheduled check whose window closed without an inspection,
    once per occurrence (its window never moves, so its key never changes).

    Working this out reads a whole site's schedules, so it is asked only for the sites with
    a webhook that wants these events; `window.since` keeps each pass to the occurrences
    whose windows closed since the last one (with the dispatcher's look-back)."""
    events: list[Event] = []
    sites = await site_refs(set(window.sites))
    for site_id, site in sites.items():
        zone = ZoneInfo(site.timezone)
        for entry in await due_occurrences(site_id, window.since, window.until):
            closed = entry.occurrence.due_end
            when = closed.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            late = _duration(window.until - closed)
            zh = Wording(
                title="定期检查逾期未做",
                lines=[
                    f"**{site.name}**",
                    f"检查：{entry.title_zh}",
                    f"对象：{entry.target.name}",
                    f"应完成时间：{when}（已逾期 {late[0]}）",
                ],
            )
            en = Wording(
                title="Scheduled check overdue",
                lines=[
                    f"**{site.name_en or site.name}**",
                    f"Check: {entry.title_en or entry.title_zh}",
                    f"On: {entry.target.name}",
                    f"Due by: {when} ({site.timezone}), {late[1]} ago",
                ],
            )
            events.append(
                Event(
                    key=f"occurrence.overdue:{entry.key}",
                    kind="occurrence.overdue",
                    site=site,
                    at=closed,
                    zh=zh,
                    en=en,
                    data={"due": msgspec.to_builtins(entry)},
                )
            )
    return events


FLAG_ZH = {
    "scan.too_fast": "两个巡查点之间用时过短",
    "scan.implausible_speed": "两个巡查点之间的移动速度不可能",
    "scan.off_duty": "扫码人不是当班人员",
    "scan.retired_tag": "扫了已停用的标签",
    "scan.nfc_mismatch": "NFC 标签与巡查点不符",
    "scan.other_device": "另一台手机参与了同一轮巡查",
}
FLAG_EN = {
    "scan.too_fast": "too little time between two checkpoints",
    "scan.implausible_speed": "impossible speed between two checkpoints",
    "scan.off_duty": "scanned by someone not on duty",
    "scan.retired_tag": "a retired tag was scanned",
    "scan.nfc_mismatch": "the NFC sticker does not match the checkpoint",
    "scan.other_device": "another phone scanned the same round",
}


async def missed_rounds(window: Window) -> list[Event]:
    """round.missed: a scheduled patrol round nobody started by the end of its grace, once
    per round (its window never moves, so its key never changes)."""
    events: list[Event] = []
    sites = await site_refs(set(window.sites))
    for site_id, site in sites.items():
        zone = ZoneInfo(site.timezone)
        for found in await patrol_missed(site_id, window.since, window.until):
            assert found.window_start is not None and found.grace_end is not None
            start = found.window_start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            who_zh = "、".join(p.name for p in found.on_duty) or found.on_duty_role or ""
            who_en = ", ".join(p.name for p in found.on_duty) or found.on_duty_role or ""
            events.append(
                Event(
                    key=f"round.missed:{found.id}",
                    kind="round.missed",
                    site=site,
                    at=found.grace_end,
                    zh=Wording(
                        title="巡查漏巡",
                        lines=[
                            f"**{site.name}**",
                            f"巡查：{found.schedule_name}（{found.route_name}）",
                            f"应巡时间：{start}",
                            f"当班：{who_zh}",
                        ],
                    ),
                    en=Wording(
                        title="Patrol round missed",
                        lines=[
                            f"**{site.name_en or site.name}**",
                            f"Round: {found.schedule_name_en or found.schedule_name}"
                            f" ({found.route_name_en or found.route_name})",
                            f"Due at: {start} ({site.timezone})",
                            f"On duty: {who_en}",
                        ],
                    ),
                    data={"round": msgspec.to_builtins(found)},
                )
            )
    return events


async def flagged_rounds(window: Window) -> list[Event]:
    """round.flagged: a patrol round with a serious flag (too fast, impossible speed, off
    duty, a retired tag, a wrong NFC sticker, another phone), once per round, when the server
    learns it."""
    events: list[Event] = []
    found = await patrol_flagged(list(window.sites), window.since, window.until)
    sites = await site_refs({r.site_id for r, _ in found})
    for round_, at in found:
        site = sites.get(round_.site_id)
        if site is None:
            continue
        serious = [f for f in round_.flags if f in FLAG_ZH]
        name = round_.schedule_name or round_.route_name
        name_en = round_.schedule_name_en or round_.route_name_en or name
        walker = round_.person.name if round_.person else ""
        events.append(
            Event(
                key=f"round.flagged:{round_.id}",
                kind="round.flagged",
                site=site,
                at=at,
                zh=Wording(
                    title="巡查异常",
                    lines=[
                        f"**{site.name}**",
                        f"巡查：{name}（{walker}）",
                        f"已巡 {round_.covered}/{round_.expected} 个点",
                        *[f"异常：{FLAG_ZH[f]}" for f in serious],
                    ],
                ),
                en=Wording(
                    title="Patrol round flagged",
                    lines=[
                        f"**{site.name_en or site.name}**",
                        f"Round: {name_en} ({walker})",
                        f"Checkpoints: {round_.covered} of {round_.expected}",
                        *[f"Flag: {FLAG_EN[f]}" for f in serious],
                    ],
                ),
                data={"round": msgspec.to_builtins(round_)},
            )
        )
    return events


async def visits_awaiting_host(window: Window) -> list[Event]:
    """visit.awaiting_host: a visitor checked in at the gate whom the host has not answered
    when the check-in reaches the server, once per visit, with the link where the host
    decides. No document number and no phone: a chat group keeps what it is sent."""
    events: list[Event] = []
    found = await awaiting_host(window.sites, window.since, window.until)
    sites = await site_refs({visit.site_id for visit in found})
    for visit in found:
        site = sites.get(visit.site_id)
        if site is None:
            continue
        zone = ZoneInfo(site.timezone)
        at = visit.checked_in_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        party_zh = f"（共 {visit.party_size} 人）" if visit.party_size > 1 else ""
        party_en = f" (party of {visit.party_size})" if visit.party_size > 1 else ""
        org_zh = f"（{_clip(visit.organisation, 100)}）" if visit.organisation else ""
        org_en = f" ({_clip(visit.organisation, 100)})" if visit.organisation else ""
        events.append(
            Event(
                key=f"visit.awaiting_host:{visit.id}",
                kind="visit.awaiting_host",
                site=site,
                at=visit.received_at,
                zh=Wording(
                    title="访客待确认",
                    lines=[
                        f"**{site.name}**",
                        f"访客：{visit.visitor}{org_zh}{party_zh}",
                        f"事由：{_clip(visit.purpose) or '未填写'}",
                        f"被访人：{visit.host.name}",
                        f"门岗：{visit.recorded_by.name}，{at} 登记",
                        f"请确认：{visit.url}",
                    ],
                ),
                en=Wording(
                    title="Visitor awaiting host",
                    lines=[
                        f"**{site.name_en or site.name}**",
                        f"Visitor: {visit.visitor}{org_en}{party_en}",
                        f"Purpose: {_clip(visit.purpose) or 'not given'}",
                        f"Host: {visit.host.name}",
                        f"Gate: registered by {visit.recorded_by.name} at {at} ({site.timezone})",
                        f"Decide: {visit.url}",
                    ],
                ),
                data={"visit": msgspec.to_builtins(visit)},
            )
        )
    return events


SOURCES: list[Source] = [
    Source("finding.high", high_priority_findings),
    Source("action.overdue", overdue_actions),
    Source("digest.daily", daily_digests),
    Source("occurrence.overdue", overdue_occurrences),
    Source("round.missed", missed_rounds),
    Source("round.flagged", flagged_rounds),
    Source("visit.awaiting_host", visits_awaiting_host),
]


async def site_refs(site_ids: set[uuid.UUID]) -> dict[uuid.UUID, SiteRef]:
    refs = {}
    for site_id in site_ids:
        for _, _, info in await snapshot_site(site_id, None, 1):
            refs[site_id] = SiteRef(
                id=info.id, name=info.name, name_en=info.name_en, timezone=info.timezone
            )
    return refs


def test_event(site: SiteRef, delivery_id: uuid.UUID, at: datetime) -> Event:
    """What an admin's test delivery says: that the site's messages will arrive here."""
    stamp = at.astimezone(ZoneInfo(site.timezone)).strftime("%Y-%m-%d %H:%M")
    return Event(
        key=f"webhook.test:{delivery_id}",
        kind="webhook.test",
        site=site,
        at=at.astimezone(UTC),
        zh=Wording(
            title="测试消息",
            lines=[f"**{site.name}**", f"校园巡检的通知将发送到这里。发送时间：{stamp}"],
        ),
        en=Wording(
            title="Test message",
            lines=[
                f"**{site.name_en or site.name}**",
                f"Roundkeeper's notifications will arrive here. Sent {stamp} ({site.timezone}).",
            ],
        ),
        data={},
    )


def _action_event(
    kind: str,
    key: str,
    at: datetime,
    action: ActionOut,
    site: SiteRef,
    owners: dict[uuid.UUID, str],
    now: datetime,
) -> Event:
    zone = ZoneInfo(site.timezone)
    due = action.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    owner = owners.get(action.owner_id) if action.owner_id else None
    title_en = action.title_en or action.title
    if kind == "finding.high":
        hazard = action.source == "hazard"
        zh = Wording(
            title="隐患报告" if hazard else "检查发现高优先级隐患",
            lines=[
                f"**{site.name}**",
                f"事项：{action.title}",
                f"来源：{'隐患报告' if hazard else '检查不合格（关键项）'}",
                f"责任人：{owner or '未指派'}",
                f"整改期限：{due}",
            ],
        )
        en = Wording(
            title="Hazard reported" if hazard else "High-priority finding",
            lines=[
                f"**{site.name_en or site.name}**",
                f"Item: {title_en}",
                f"Source: {'hazard report' if hazard else 'failed critical inspection item'}",
                f"Owner: {owner or 'unassigned'}",
                f"Due: {due} ({site.timezone})",
            ],
        )
    else:
        late = _duration(now - action.due_at)
        zh = Wording(
            title="整改逾期",
            lines=[
                f"**{site.name}**",
                f"事项：{action.title}",
                f"状态：{STATE_ZH.get(action.state, action.state)}",
                f"责任人：{owner or '未指派'}",
                f"整改期限：{due}（已逾期 {late[0]}）",
            ],
        )
        en = Wording(
            title="Corrective action overdue",
            lines=[
                f"**{site.name_en or site.name}**",
                f"Item: {title_en}",
                f"State: {STATE_EN.get(action.state, action.state)}",
                f"Owner: {owner or 'unassigned'}",
                f"Due: {due} ({site.timezone}), overdue by {late[1]}",
            ],
        )
    if action.description:
        zh = Wording(title=zh.title, lines=[*zh.lines, f"说明：{_clip(action.description)}"])
        en = Wording(title=en.title, lines=[*en.lines, f"Description: {_clip(action.description)}"])
    return Event(
        key=key,
        kind=kind,  # type: ignore[arg-type]
        site=site,
        at=at.astimezone(UTC),
        zh=zh,
        en=en,
        data={"action": msgspec.to_builtins(action)},
    )


async def _digest(key: str, site: SiteRef, day: date, at: datetime, now: datetime) -> Event:
    zone = ZoneInfo(site.timezone)
    day_start = datetime.combine(day - timedelta(days=1), time(0), tzinfo=zone)
    day_end = datetime.combine(day, time(0), tzinfo=zone)
    open_actions = await open_actions_of_site(site.id)
    inspections, failed = await day_results(
        site.id, day_start=day_start.astimezone(UTC), day_end=day_end.astimezone(UTC)
    )
    ages = [now - a.raised_at for a in open_actions]
    digest = DigestFigures(
        date=day.isoformat(),
        open_actions=len(open_actions),
        open_high_priority=sum(1 for a in open_actions if a.priority == "high"),
        open_by_age=OpenActionAges(
            under_1_day=sum(1 for age in ages if age < timedelta(days=1)),
            days_1_to_3=sum(1 for age in ages if timedelta(days=1) <= age < timedelta(days=3)),
            days_3_to_7=sum(1 for age in ages if timedelta(days=3) <= age < timedelta(days=7)),
            over_7_days=sum(1 for age in ages if age >= timedelta(days=7)),
        ),
        overdue_actions=sum(1 for a in open_actions if a.due_at < now),
        inspections_yesterday=inspections,
        failed_inspections_yesterday=failed,
    )
    by_age = digest.open_by_age
    zh = Wording(
        title=f"每日简报 {digest.date}",
        lines=[
            f"**{site.name}**",
            f"未关闭整改：{digest.open_actions} 项（高优先级 {digest.open_high_priority} 项）",
            f"按时长：1天内 {by_age.under_1_day}，1–3天 {by_age.days_1_to_3}，"
            f"3–7天 {by_age.days_3_to_7}，7天以上 {by_age.over_7_days}",
            f"已逾期：{digest.overdue_actions} 项",
            f"昨日检查：{digest.inspections_yesterday} 次，"
            f"不合格 {digest.failed_inspections_yesterday} 次",
        ],
    )
    en = Wording(
        title=f"Daily digest {digest.date}",
        lines=[
            f"**{site.name_en or site.name}**",
            f"Open corrective actions: {digest.open_actions} "
            f"({digest.open_high_priority} high priority)",
            f"By age: under 1 day {by_age.under_1_day}, 1–3 days {by_age.days_1_to_3}, "
            f"3–7 days {by_age.days_3_to_7}, over 7 days {by_age.over_7_days}",
            f"Overdue: {digest.overdue_actions}",
            f"Yesterday's inspections: {digest.inspections_yesterday}, "
            f"failed {digest.failed_inspections_yesterday}",
        ],
    )
    return Event(
        key=key,
        kind="digest.daily",
        site=site,
        at=at,
        zh=zh,
        en=en,
        data=msgspec.to_builtins(digest),
    )


async def _owner_names(actions: list[ActionOut]) -> dict[uuid.UUID, str]:
    return await display_names(list({a.owner_id for a in actions if a.owner_id}))


def _duration(delta: timedelta) -> tuple[str, str]:
    hours = max(0, int(delta.total_seconds() // 3600))
    if hours < 48:
        return f"{hours} 小时", f"{hours} h"
    return f"{hours // 24} 天", f"{hours // 24} days"


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
