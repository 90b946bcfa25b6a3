"""Sending: each robot format through a local receiver that checks signatures as the robot
would, retries with growing waits until it succeeds, giving up after N attempts, failures
shown through the API with every attempt, and a manual retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_person
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.notifications.helpers import add_webhook, deliveries, dispatch


async def school_with_hook(api, receiver, **hook):
    """A school whose webhook has one finding.high delivery waiting."""
    school, admin, inspector, asset = await extinguisher_school()
    fields = {"format": "generic", **hook}
    created = await add_webhook(api, admin, school, receiver.url(), ["finding.high"], **fields)
    body = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    assert (await submit(api, inspector, body)).status_code == 201
    return school, admin, created


@pytest.mark.parametrize(
    ("format", "secret"),
    [("wecom", None), ("dingtalk", "SEC0123456789abcdef"), ("feishu", "feishu-signing-secret")],
)
async def test_robot_messages_are_taken_by_the_robot(api, receiver, format, secret):
    receiver.script.robot = format
    receiver.script.robot_secret = secret
    school, admin, hook = await school_with_hook(api, receiver, format=format, secret=secret)

    report = await dispatch()
    assert report.delivered == 1, await deliveries(api, admin, school, hook)
    [request] = receiver.requests
    message = request.json()
    if format == "wecom":
        assert message["msgtype"] == "markdown"
        assert message["markdown"]["content"].startswith("### 检查发现高优先级隐患")
    elif format == "dingtalk":
        assert set(request.query) == {"timestamp", "sign"}
        assert message["msgtype"] == "markdown"
        assert message["markdown"]["title"].startswith("检查发现高优先级隐患")
    else:
        assert message["msg_type"] == "interactive"
        assert {"timestamp", "sign"} <= set(message)
    assert request.headers["x-roundkeeper-delivery"]


@pytest.mark.parametrize("format", ["dingtalk", "feishu"])
async def test_a_robot_refusing_a_bad_signature_is_a_failed_attempt(api, receiver, format):
    receiver.script.robot = format
    receiver.script.robot_secret = "the-robots-real-secret"
    school, admin, hook = await school_with_hook(api, receiver, format=format, secret="a-typo")

    report = await dispatch()
    assert (report.delivered, report.retrying) == (0, 1)
    [delivery] = await deliveries(api, admin, school, hook)
    assert delivery["status"] == "pending"
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] == 200
    assert "robot refused" in attempt["error"]
    assert "sign" in attempt["response"]


async def test_failures_are_retried_with_growing_waits_until_delivered(api, receiver):
    receiver.script.fail_first = 2
    school, admin, hook = await school_with_hook(api, receiver)
    start = datetime.now(UTC)

    async def attempts_after(seconds: float) -> int:
        await dispatch(now=start + timedelta(seconds=seconds), backoff_s=30, backoff_cap_s=3600)
        return len(receiver.requests)

    assert await attempts_after(0) == 1  # 500; next try 15-30 s later
    assert await attempts_after(14) == 1
    assert await attempts_after(31) == 2  # 500 again; next try 30-60 s later
    assert await attempts_after(31 + 29) == 2
    assert await attempts_after(31 + 61) == 3  # delivered
    assert await attempts_after(600) == 3

    # The same delivery each time: the receiver de-duplicates by its id.
    assert len({r.delivery_id for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    [delivery] = await deliveries(api, admin, school, hook, status="delivered")
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    assert [a["number"] for a in delivery["attempts"]] == [1, 2, 3]
    assert delivery["attempts"][0]["error"] == "HTTP 500"
    assert delivery["attempts"][2]["error"] == ""
    assert all(a["duration_ms"] >= 0 for a in delivery["attempts"])
    assert delivery["attempt_count"] == 3 and delivery["next_attempt_at"] is None


async def test_a_receiver_too_slow_to_answer_is_timed_out_and_tried_again(api, receiver):
    receiver.script.slow_first = 1
    receiver.script.slow_s = 1.5
    school, admin, hook = await school_with_hook(api, receiver)

    report = await dispatch(timeout_s=0.3)
    assert report.retrying == 1
    [delivery] = await deliveries(api, admin, school, hook)
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] == "no answer within 0.3 s"
    assert 250 <= attempt["duration_ms"] < 1500

    later = datetime.now(UTC) + timedelta(seconds=1)
    assert (await dispatch(now=later, timeout_s=0.3)).delivered == 1
    # The slow receiver did get the first request: at least once, never lost.
    assert [r.delivery_id for r in receiver.requests] == [delivery["id"]] * 2


async def test_after_n_attempts_it_fails_and_the_api_shows_every_attempt(api, receiver):
    receiver.script.fail_first = 1000
    school, admin, hook = await school_with_hook(api, receiver)
    manager = await make_person(school, "manager")

    start = datetime.now(UTC)
    reports = [await dispatch(now=start + timedelta(minutes=n), max_attempts=3) for n in range(5)]
    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    assert len(receiver.requests) == 3

    assert await deliveries(api, manager, school, hook, status="pending") == []
    [failed] = await deliveries(api, manager, school, hook, status="failed")
    assert failed["status"] == "failed" and failed["event"] == "finding.high"
    assert failed["last_status_code"] == 500 and failed["last_error"] == "HTTP 500"
    assert [(a["number"], a["status_code"]) for a in failed["attempts"]] == [
        (1, 500),
        (2, 500),
        (3, 500),
    ]
    assert "maintenance" in failed["attempts"][0]["response"]

    # Put right at the receiver, retried by hand: a new series of attempts, then delivered.
    receiver.script.fail_first = 0
    url = f"/api/sites/{school.site_id}/webhooks/{hook['id']}/deliveries/{failed['id']}/retry"
    retried = await api.post(url, headers=manager.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending"
    assert (await dispatch(max_attempts=3)).delivered == 1
    [done] = await deliveries(api, admin, school, hook)
    assert done["status"] == "delivered" and done["attempt_count"] == 4
    again = await api.post(url, headers=manager.headers)
    assert again.status_code == 409 and again.json()["code"] == "delivery.already_delivered"


async def test_an_unreachable_receiver_is_a_failed_attempt(api, receiver):
    school, admin, hook = await school_with_hook(api, receiver)
    receiver.stop()
    report = await dispatch()
    assert report.retrying == 1
    [delivery] = await deliveries(api, admin, school, hook)
    assert delivery["attempts"][0]["status_code"] is None
    assert "Connect" in delivery["attempts"][0]["error"]


async def test_a_switched_off_webhook_keeps_its_deliveries_until_switched_on(api, receiver):
    receiver.script.fail_first = 1
    school, admin, hook = await school_with_hook(api, receiver)
    assert (await dispatch()).retrying == 1
    url = f"/api/sites/{school.site_id}/webhooks/{hook['id']}"
    assert (await api.patch(url, json={"active": False}, headers=admin.headers)).status_code == 200
    later = datetime.now(UTC) + timedelta(hours=1)
    assert (await dispatch(now=later)).delivered == 0
    assert len(receiver.requests) == 1
    assert (await api.patch(url, json={"active": True}, headers=admin.headers)).status_code == 200
    assert (await dispatch(now=later)).delivered == 1
    assert len(receiver.requests) == 2
