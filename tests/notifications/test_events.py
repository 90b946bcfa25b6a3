"""The events a site's webhooks hear about: a new high-priority finding, an overdue action
(once), the morning digest (once a site-local day, from 07:00), and only their own site's."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.notifications.events import SOURCES, Source, Window
from server.notifications.wire import Event, SiteRef, Wording
from tests.factories import make_asset, make_person, make_school
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.notifications.helpers import add_webhook, deliveries, dispatch


async def fail_critical_item(api, inspector, asset) -> None:
    body = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    response = await submit(api, inspector, body)
    assert response.status_code == 201, response.text


async def only_action(api, person) -> dict:
    items = (await api.get("/api/actions", headers=person.headers)).json()["items"]
    assert len(items) == 1, items
    return items[0]


async def test_a_failed_critical_item_is_delivered_as_finding_high_signed(api, receiver):
    school, admin, inspector, asset = await extinguisher_school()
    hook = await add_webhook(
        api, admin, school, receiver.url(), ["finding.high"], secret="s3cret-for-hmac"
    )
    await fail_critical_item(api, inspector, asset)
    action = await only_action(api, admin)

    report = await dispatch()
    assert (report.created, report.delivered) == (1, 1)
    [request] = receiver.requests
    expected = hmac.new(b"s3cret-for-hmac", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-roundkeeper-signature"] == f"sha256={expected}"
    assert request.headers["x-roundkeeper-event"] == "finding.high"
    payload = request.json()
    assert payload["id"] == request.delivery_id
    assert payload["event"] == "finding.high"
    assert payload["event_key"] == f"finding.high:{action['id']}"
    assert payload["site"]["id"] == str(school.site_id)
    assert payload["data"]["action"]["id"] == action["id"]
    assert payload["data"]["action"]["priority"] == "high"
    assert payload["zh"]["title"] == "检查发现高优先级隐患"
    assert payload["en"]["title"] == "High-priority finding"
    assert any("压力表指针所在区域" in line for line in payload["zh"]["lines"])

    [delivery] = await deliveries(api, admin, school, hook)
    assert delivery["id"] == request.delivery_id
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [200]


async def test_another_sites_webhooks_never_hear_of_it(api, receiver, second_receiver):
    school, admin, inspector, asset = await extinguisher_school()
    other = await make_school(organization_id=school.organization_id)
    other_admin = await make_person(other, "admin")
    await add_webhook(api, admin, school, receiver.url(), ["finding.high"])
    await add_webhook(api, other_admin, other, second_receiver.url(), ["finding.high"])
    await fail_critical_item(api, inspector, asset)

    await dispatch()
    assert len(receiver.requests) == 1
    assert second_receiver.requests == []


async def test_a_normal_failure_or_an_unsubscribed_kind_sends_nothing(api, receiver):
    school, admin, inspector, asset = await extinguisher_school()
    await add_webhook(api, admin, school, receiver.url("/high"), ["finding.high"])
    await add_webhook(api, admin, school, receiver.url("/digest"), ["action.overdue"])
    body = submission(asset=asset, answers=extinguisher_answers(hose="fail"))
    assert (await submit(api, inspector, body)).status_code == 201
    assert (await only_action(api, admin))["priority"] == "normal"

    report = await dispatch()
    assert report.created == 0
    assert receiver.requests == []


async def test_a_finding_from_before_the_webhook_existed_is_not_sent(api, receiver):
    school, admin, inspector, asset = await extinguisher_school()
    await fail_critical_item(api, inspector, asset)
    await add_webhook(api, admin, school, receiver.url(), ["finding.high"])
    assert (await dispatch()).created == 0


async def test_an_overdue_action_is_announced_once(api, receiver):
    school, admin, inspector, asset = await extinguisher_school()
    hook = await add_webhook(api, admin, school, receiver.url(), ["action.overdue"])
    await fail_critical_item(api, inspector, asset)
    action = await only_action(api, admin)
    due = datetime.fromisoformat(action["due_at"])

    assert (await dispatch(now=due - timedelta(minutes=1))).created == 0
    first = await dispatch(now=due + timedelta(minutes=1))
    assert (first.created, first.delivered) == (1, 1)
    for later in (timedelta(minutes=2), timedelta(hours=5), timedelta(days=1)):
        assert (await dispatch(now=due + later)).created == 0

    [request] = receiver.requests
    payload = request.json()
    assert payload["event"] == "action.overdue"
    assert payload["event_key"] == (
        f"action.overdue:{action['id']}:{due.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    )
    assert payload["zh"]["title"] == "整改逾期"
    assert len(await deliveries(api, admin, school, hook)) == 1


async def test_a_closed_action_is_not_overdue(api, receiver):
    school, admin, inspector, asset = await extinguisher_school()
    await add_webhook(api, admin, school, receiver.url(), ["action.overdue"])
    await fail_critical_item(api, inspector, asset)
    action = await only_action(api, admin)
    step = {
        "id": "01900000-0000-7000-8000-000000000001",
        "action_id": action["id"],
        "transition": "cancel",
        "base_version": action["version"],
        "reason": "duplicate of another report",
    }
    response = await api.post(
        f"/api/actions/{action['id']}/transitions", json=step, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    due = datetime.fromisoformat(action["due_at"])
    assert (await dispatch(now=due + timedelta(hours=1))).created == 0
    assert receiver.requests == []


def digests(receiver) -> set[str]:
    return {r.json()["data"]["date"] for r in receiver.requests}


async def test_the_digest_comes_once_a_site_day_from_seven_local_time(
    api, receiver, second_receiver
):
    shanghai, admin, inspector, asset = await extinguisher_school()
    london = await make_school(organization_id=shanghai.organization_id, timezone="Europe/London")
    london_admin = await make_person(london, "admin")
    await add_webhook(api, admin, shanghai, receiver.url(), ["digest.daily"])
    await add_webhook(api, london_admin, london, second_receiver.url(), ["digest.daily"])
    await fail_critical_item(api, inspector, asset)
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    before, after = day - timedelta(days=1), day + timedelta(days=1)

    def at(zone: str, when: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(when, time(hour, minute), ZoneInfo(zone))

    # 06:59 in Shanghai is the evening before in London: London's digest of that day is due.
    await dispatch(now=at("Asia/Shanghai", day, 6, 59))
    assert digests(receiver) == set()
    assert digests(second_receiver) == {before.isoformat()}
    for hour, minute in ((7, 0), (7, 1), (12, 0)):
        await dispatch(now=at("Asia/Shanghai", day, hour, minute))
    assert digests(receiver) == {day.isoformat()}
    await dispatch(now=at("Europe/London", day, 6, 59))
    assert digests(second_receiver) == {before.isoformat()}
    await dispatch(now=at("Europe/London", day, 7, 0))
    await dispatch(now=at("Asia/Shanghai", day, 23, 59))
    assert digests(receiver) == {day.isoformat()}
    await dispatch(now=at("Asia/Shanghai", after, 7, 30))
    assert digests(receiver) == {day.isoformat(), after.isoformat()}
    assert digests(second_receiver) == {before.isoformat(), day.isoformat()}
    assert len(receiver.requests) == 2 and len(second_receiver.requests) == 2

    payload = receiver.requests[0].json()
    assert payload["event"] == "digest.daily"
    assert payload["event_key"] == f"digest.daily:{shanghai.site_id}:{day.isoformat()}"
    figures = payload["data"]
    assert figures["open_actions"] == 1 and figures["open_high_priority"] == 1
    assert figures["open_by_age"]["days_1_to_3"] + figures["open_by_age"]["days_3_to_7"] == 1
    assert figures["overdue_actions"] == 1
    assert payload["zh"]["title"] == f"每日简报 {day.isoformat()}"
    assert payload["en"]["title"] == f"Daily digest {day.isoformat()}"
    assert second_receiver.requests[0].json()["data"]["open_actions"] == 0


async def test_the_digest_counts_the_previous_site_day_of_inspections(api, receiver):
    school, admin, inspector, asset = await extinguisher_school()
    await add_webhook(api, admin, school, receiver.url(), ["digest.daily"])
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.now(zone)
    today = datetime.combine(now.date(), time(0), zone)
    recent = max(now - timedelta(seconds=30), today + timedelta(seconds=1))
    for completed, answers in (
        (recent, extinguisher_answers()),
        (recent - timedelta(microseconds=1), extinguisher_answers(hose="fail")),
        (today - timedelta(hours=1), extinguisher_answers()),  # the day before
    ):
        body = submission(asset=asset, answers=answers, completed_at=completed)
        assert (await submit(api, inspector, body)).status_code == 201, body

    await dispatch(now=today + timedelta(days=1, hours=8))
    [request] = receiver.requests
    figures = request.json()["data"]
    assert figures["date"] == (now.date() + timedelta(days=1)).isoformat()
    assert figures["inspections_yesterday"] == 2
    assert figures["failed_inspections_yesterday"] == 1


async def test_two_passes_at_once_create_and_send_each_delivery_once(
    api, receiver, second_receiver
):
    school, admin, inspector, _ = await extinguisher_school()
    await add_webhook(api, admin, school, receiver.url(), ["finding.high"])
    await add_webhook(api, admin, school, second_receiver.url(), ["finding.high"])
    for n in range(6):
        asset = await make_asset(admin, school, asset_number=f"MHQ-1{n:02}")
        await fail_critical_item(api, inspector, asset)

    # On PostgreSQL each pass's transactions run on connections of their own.
    reports = await asyncio.gather(*(dispatch(batch=2) for _ in range(4)))
    assert sum(r.created for r in reports) == 12
    assert sum(r.delivered for r in reports) == 12
    for hook_receiver in (receiver, second_receiver):
        ids = [r.delivery_id for r in hook_receiver.requests]
        assert len(ids) == 6 and len(set(ids)) == 6
        assert len({r.json()["event_key"] for r in hook_receiver.requests}) == 6
    assert sum(r.created for r in await asyncio.gather(dispatch(), dispatch())) == 0
    assert len(receiver.requests) == 6


async def test_a_registered_source_is_delivered_like_the_others(api, receiver):
    """The hook occurrence.overdue will use: any source in SOURCES is asked each pass."""
    school, admin, _, _ = await extinguisher_school()
    await add_webhook(api, admin, school, receiver.url(), ["occurrence.overdue"])
    asked: list[Window] = []

    async def overdue_occurrences(window: Window) -> list[Event]:
        asked.append(window)
        site = SiteRef(id=school.site_id, name="实验小学", name_en="School", timezone="UTC")
        return [
            Event(
                key="occurrence.overdue:0190",
                kind="occurrence.overdue",
                site=site,
                at=window.until,
                zh=Wording(title="检查逾期", lines=["灭火器月检"]),
                en=Wording(title="Inspection overdue", lines=["Extinguisher monthly"]),
                data={"occurrence_id": "0190"},
            )
        ]

    sources = [s for s in SOURCES if s.kind != "occurrence.overdue"]
    sources.append(Source("occurrence.overdue", overdue_occurrences))
    await dispatch(sources=sources)
    await dispatch(sources=sources)
    assert len(asked) == 2 and set(asked[0].sites) == {school.site_id}
    [request] = receiver.requests
    assert request.json()["event"] == "occurrence.overdue"


async def test_a_scheduled_check_not_done_in_its_window_is_announced_once(api, receiver):
    from tests.schedules.scheduling import born, make_schedule

    school, admin, _, asset = await extinguisher_school()
    await born(datetime.now(UTC) - timedelta(days=7), assets=(asset,))
    await make_schedule(api, admin, school.site_id, {"every": "daily"})
    await add_webhook(api, admin, school, receiver.url(), ["occurrence.overdue"])
    shanghai = ZoneInfo("Asia/Shanghai")
    today = datetime.now(UTC).astimezone(shanghai).date()
    window_closes = datetime.combine(today + timedelta(days=1), time(0), tzinfo=shanghai)

    assert (await dispatch(now=window_closes - timedelta(minutes=5))).created == 0
    first = await dispatch(now=window_closes + timedelta(minutes=5))
    assert (first.created, first.delivered) == (1, 1)
    assert (await dispatch(now=window_closes + timedelta(minutes=10))).created == 0
    [request] = receiver.requests
    payload = request.json()
    assert payload["event"] == "occurrence.overdue"
    assert payload["zh"]["title"] == "定期检查逾期未做"
    assert payload["data"]["due"]["target"]["asset_id"] == str(asset)
    assert payload["data"]["due"]["occurrence"]["key"] == today.isoformat()
