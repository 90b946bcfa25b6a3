"""A visitor checked in at the gate whom the host has not answered is announced once as
visit.awaiting_host, with the link where the host decides, never the document or the phone
(both databases); a visit the host approved before its check-in synced is not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from uuid_utils.compat import uuid7

from server.notifications.tables import Delivery
from server.notifications.visitor_notices import forget_visitor_notices
from tests.conftest import PUBLIC_URL
from tests.factories import make_person
from tests.gate.gating import ID_NUMBER, PHONE, ago, gate_school, new_id
from tests.notifications.helpers import add_webhook, dispatch


async def test_a_pending_check_in_is_announced_once_with_the_hosts_link(api, receiver):
    g = await gate_school(api)
    admin = await make_person(g.school, "admin")
    await add_webhook(api, admin, g.school, receiver.url(), ["visit.awaiting_host"])
    body = g.check_in(party_size=3)
    made = await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    assert made.status_code == 201, made.text
    # Approved before its check-in arrived: nobody is waiting for the host.
    expected = new_id()
    await g.tablet.push_ok(
        [g.op_approve(g.tablet, expected, ago(40)), g.op_check_in(g.tablet, expected)]
    )

    first = await dispatch(now=datetime.now(UTC) + timedelta(seconds=5))
    assert (first.created, first.delivered) == (1, 1)
    assert (await dispatch(now=datetime.now(UTC) + timedelta(seconds=10))).created == 0
    [request] = receiver.requests
    payload = request.json()
    assert payload["event"] == "visit.awaiting_host"
    assert payload["event_key"] == f"visit.awaiting_host:{body['visit_id']}"
    zh = payload["zh"]
    assert zh["title"] == "访客待确认"
    text = "\n".join(zh["lines"] + payload["en"]["lines"])
    for said in ("王访客", "区教育局", "检查食堂", "测试inspector", "测试gatekeeper", "共 3 人"):
        assert said in text, said
    link = f"{PUBLIC_URL}/app/visits/{body['visit_id']}"
    assert f"请确认：{link}" in zh["lines"] and f"Decide: {link}" in payload["en"]["lines"]
    assert payload["data"]["visit"]["url"] == link
    everything = json.dumps(payload, ensure_ascii=False) + request.body.decode()
    for private in (ID_NUMBER, ID_NUMBER[-4:], PHONE, "138****5678", expected):
        assert private not in everything


async def test_no_webhook_for_the_event_no_announcement(api, receiver):
    g = await gate_school(api)
    admin = await make_person(g.school, "admin")
    await add_webhook(api, admin, g.school, receiver.url(), ["round.missed"])
    await api.post(f"/api/sites/{g.site}/visits", json=g.check_in(), headers=g.gatekeeper.headers)
    report = await dispatch(now=datetime.now(UTC) + timedelta(seconds=5))
    assert report.created == 0 and receiver.requests == []


async def test_a_notice_naming_a_visitor_goes_with_the_registers_personal_fields(api, receiver):
    """Deleted once older than the site's retention period; a newer notice and a notice of
    another kind stay."""
    g = await gate_school(api, retention_days=30)
    admin = await make_person(g.school, "admin")
    await add_webhook(api, admin, g.school, receiver.url(), ["visit.awaiting_host", "round.missed"])
    for _ in range(2):
        made = await api.post(
            f"/api/sites/{g.site}/visits", json=g.check_in(), headers=g.gatekeeper.headers
        )
        assert made.status_code == 201, made.text
    assert (await dispatch(now=datetime.now(UTC) + timedelta(seconds=5))).created == 2
    rows = await Delivery.select(Delivery.id).order_by(Delivery.created_at)
    old, recent = rows[0]["id"], rows[1]["id"]
    await Delivery.update({Delivery.created_at: datetime.now(UTC) - timedelta(days=31)}).where(
        Delivery.id == old
    )
    # A notice of another kind, as old: not the register's to remove.
    other = await Delivery.select().where(Delivery.id == old).first()
    assert other is not None
    other_id = uuid7()
    await Delivery.insert(
        Delivery(**{**other, "id": other_id, "event": "round.missed", "event_key": f"x:{other_id}"})
    )

    assert await forget_visitor_notices(dry_run=True) == 1
    assert await Delivery.count().where(Delivery.id == old) == 1
    assert await forget_visitor_notices() == 1
    left = {r["id"] for r in await Delivery.select(Delivery.id)}
    assert left == {recent, other_id}
    assert await forget_visitor_notices() == 0
