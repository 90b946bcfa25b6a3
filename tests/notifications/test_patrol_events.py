"""A patrol round nobody started by the end of its grace is announced once as round.missed;
a round with a serious flag is announced once as round.flagged (both databases)."""

from __future__ import annotations

from datetime import timedelta

from tests.notifications.helpers import add_webhook, dispatch
from tests.patrols.patrolling import FRIDAY, local, patrol_school
from tests.schedules.scheduling import set_now


async def test_a_missed_round_is_announced_once_when_its_grace_ends(api, receiver, monkeypatch):
    set_now(monkeypatch, FRIDAY - timedelta(hours=6))  # 04:00 in Shanghai
    p = await patrol_school(api)
    await add_webhook(api, p.admin, p.school, receiver.url(), ["round.missed"])
    grace_ends = local(9, 0)  # the 07:30 round: 60 minutes and 30 of grace

    assert (await dispatch(now=grace_ends - timedelta(minutes=1))).created == 0
    first = await dispatch(now=grace_ends + timedelta(minutes=1))
    assert (first.created, first.delivered) == (1, 1)
    assert (await dispatch(now=grace_ends + timedelta(minutes=5))).created == 0
    [request] = receiver.requests
    payload = request.json()
    assert payload["event"] == "round.missed"
    assert payload["event_key"] == f"round.missed:{p.round_of('2026-11-20T07:30')}"
    assert payload["zh"]["title"] == "巡查漏巡"
    assert "每日三巡" in payload["zh"]["lines"][1]
    assert payload["data"]["round"]["window"] == "2026-11-20T07:30"
    assert payload["data"]["round"]["state"] == "missed"


async def test_a_walked_round_is_never_announced_missed(api, receiver, monkeypatch):
    set_now(monkeypatch, FRIDAY - timedelta(hours=6))
    p = await patrol_school(api)
    await add_webhook(api, p.admin, p.school, receiver.url(), ["round.missed"])
    window = "2026-11-20T07:30"
    # Walked on time, synced only after the grace has passed: still walked.
    set_now(monkeypatch, local(9, 10))
    await p.phone.push_ok([p.start(window, local(7, 35)), p.scan(window, p.tags[0], local(7, 36))])
    assert (await dispatch(now=local(9, 20))).created == 0


async def test_a_rushed_round_is_announced_once_as_flagged(api, receiver, monkeypatch):
    set_now(monkeypatch, FRIDAY - timedelta(hours=1))
    p = await patrol_school(api)
    await add_webhook(api, p.admin, p.school, receiver.url(), ["round.flagged"])
    set_now(monkeypatch, FRIDAY)
    window = "2026-11-20T09:30"
    a, b, c, _ = p.tags
    ops = [p.start(window, local(9, 31)), p.scan(window, a, local(9, 32))]
    ops += [
        p.scan(window, b, local(9, 33)),
        p.scan(window, c, local(9, 33) + timedelta(seconds=30)),
    ]
    await p.phone.push_ok(ops)
    first = await dispatch(now=FRIDAY + timedelta(minutes=1))
    assert (first.created, first.delivered) == (1, 1)
    # More of the same round later: the same event, not sent again.
    set_now(monkeypatch, FRIDAY + timedelta(minutes=2))
    await p.phone.push_ok([p.finish(window, local(9, 45))])
    assert (await dispatch(now=FRIDAY + timedelta(minutes=3))).created == 0
    [request] = receiver.requests
    payload = request.json()
    assert payload["event"] == "round.flagged"
    assert payload["zh"]["title"] == "巡查异常"
    assert "异常：两个巡查点之间用时过短" in payload["zh"]["lines"]
    assert "scan.too_fast" in payload["data"]["round"]["flags"]
