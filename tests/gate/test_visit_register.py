"""Visits end to end, on both databases: checked in, approved, inside and checked out
through the API and through sync, in any order; the register's audience (gate staff and
managers, never an inspector, whose phone never receives a visit); the full ID number
nowhere: not in an answer, a pulled change or a table; bad input refused with a code and
the field."""

from __future__ import annotations

import json

from server import db
from server.gate.visits import CHECKED_OUT_TWICE, NOT_CHECKED_IN
from tests.factories import make_person, make_school
from tests.gate.gating import (
    ID_NUMBER,
    PHONE,
    WRONG_CHECK,
    ago,
    gate_school,
    new_id,
    pull_all,
    results,
)


async def test_checked_in_approved_by_the_host_inside_then_checked_out(api):
    g = await gate_school(api)
    body = g.check_in()
    visit_id = body["visit_id"]
    made = await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    assert made.status_code == 201, made.text
    visit = made.json()
    assert (visit["state"], visit["consent"]) == ("pending", "pending")
    assert visit["id_masked"] == ID_NUMBER[:6] + "*" * 8 + ID_NUMBER[-4:]
    assert visit["phone_masked"] == "138****5678"
    assert visit["host"]["id"] == str(g.host.user_id)
    assert (visit["plate"], visit["badge"], visit["party_size"]) == ("京A12345", "V-07", 2)

    decided = await api.post(
        f"/api/visits/{visit_id}/decisions",
        json={"id": new_id(), "decision": "approved", "decided_at": ago(25)},
        headers=g.host.headers,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "inside"
    assert decided.json()["decided_by"]["id"] == str(g.host.user_id)
    inside = await api.get(
        f"/api/sites/{g.site}/visits", params={"state": "inside"}, headers=g.manager.headers
    )
    assert inside.status_code == 200, inside.text
    assert [v["id"] for v in inside.json()] == [visit_id]

    out = await api.post(
        f"/api/visits/{visit_id}/checkout",
        json={"id": new_id(), "checked_out_at": ago(5)},
        headers=g.gatekeeper.headers,
    )
    assert out.status_code == 200, out.text
    left = out.json()
    assert left["state"] == "left" and left["flags"] == []
    assert left["checked_out_at"] is not None
    got = await api.get(f"/api/visits/{visit_id}", headers=g.gatekeeper.headers)
    assert got.json() == left
    day = await api.get(f"/api/sites/{g.site}/visits", headers=g.gatekeeper.headers)
    assert [v["state"] for v in day.json()] == ["left"]
    still = await api.get(
        f"/api/sites/{g.site}/visits", params={"state": "inside"}, headers=g.gatekeeper.headers
    )
    assert still.json() == []


async def test_a_check_out_synced_before_its_check_in_is_kept_and_resolved(api):
    g = await gate_school(api)
    visit_id = new_id()
    # The second tablet checks the visitor out and syncs first.
    early = await g.other_tablet.push_ok([g.op_check_out(g.other_tablet, visit_id, ago(2))])
    assert results(early) == [("applied", None)]
    visit = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
    assert visit["state"] == "left" and visit["flags"] == [NOT_CHECKED_IN]
    assert visit["visitor"] is None
    late = await g.tablet.push_ok(
        [g.op_check_in(g.tablet, visit_id), g.op_approve(g.tablet, visit_id, ago(28))]
    )
    assert results(late) == [("applied", None)] * 2
    visit = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
    assert visit["state"] == "left" and visit["flags"] == []
    assert visit["visitor"] == "王访客" and visit["entered_at"] is not None
    # A second check-in of the same visit (another fact, from another tablet): kept, flagged.
    again = await g.other_tablet.push_ok([g.op_check_in(g.other_tablet, visit_id)])
    assert results(again) == [("applied", None)]
    visit = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
    assert "visit.checked_in_twice" in visit["flags"]


async def test_two_check_outs_keep_the_earliest_and_flag_the_other(api):
    g = await gate_school(api)
    visit_id = new_id()
    await g.tablet.push_ok(
        [g.op_check_in(g.tablet, visit_id), g.op_approve(g.tablet, visit_id, ago(29))]
    )
    later = g.op_check_out(g.tablet, visit_id, ago(3))
    earlier = g.op_check_out(g.other_tablet, visit_id, ago(10))
    assert results(await g.tablet.push_ok([later])) == [("applied", None)]
    assert results(await g.other_tablet.push_ok([earlier])) == [("applied", None)]
    visit = (await api.get(f"/api/visits/{visit_id}", headers=g.gatekeeper.headers)).json()
    assert visit["state"] == "left"
    assert visit["flags"] == [CHECKED_OUT_TWICE]
    assert visit["checked_out_at"][:19] == earlier["body"]["checked_out_at"][:19]
    # The same check-out once more is a duplicate, not a third.
    resent = g.tablet.op(later["body"], "visit.checked_out")
    assert results(await g.tablet.push_ok([resent])) == [("duplicate", None)]


async def test_a_refusal_is_kept_and_a_later_approval_does_not_let_the_visitor_in(api):
    g = await gate_school(api)
    body = g.check_in()
    visit_id = body["visit_id"]
    await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    refused = await api.post(
        f"/api/visits/{visit_id}/decisions",
        json={"id": new_id(), "decision": "refused", "decided_at": ago(25), "reason": "未预约"},
        headers=g.host.headers,
    )
    assert refused.status_code == 200, refused.text
    assert (refused.json()["state"], refused.json()["refusal_reason"]) == ("refused", "未预约")
    approved = await api.post(
        f"/api/visits/{visit_id}/decisions",
        json={
            "id": new_id(),
            "decision": "approved",
            "channel": "phone",
            "by_id": str(g.host.user_id),
            "decided_at": ago(20),
        },
        headers=g.gatekeeper.headers,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "refused"
    assert approved.json()["flags"] == ["visit.approved_after_refusal"]
    day = await api.get(f"/api/sites/{g.site}/visits", headers=g.manager.headers)
    assert [(v["id"], v["state"]) for v in day.json()] == [(visit_id, "refused")]


async def test_an_inspector_neither_reads_nor_pulls_a_visit(api):
    g = await gate_school(api)
    body = g.check_in()
    visit_id = body["visit_id"]
    made = await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.manager.headers)
    assert made.status_code == 201, made.text
    stranger = await make_person(await make_school(), "admin")
    for person, status in ((g.inspector, 403), (stranger, 404)):
        asked = [
            await api.get(f"/api/visits/{visit_id}", headers=person.headers),
            await api.get(f"/api/sites/{g.site}/visits", headers=person.headers),
            await api.post(
                f"/api/sites/{g.site}/visits", json=g.check_in(), headers=person.headers
            ),
            await api.post(
                f"/api/visits/{visit_id}/checkout",
                json={"id": new_id(), "checked_out_at": ago(1)},
                headers=person.headers,
            ),
            await api.post(
                f"/api/visits/{visit_id}/decisions",
                json={"id": new_id(), "decision": "approved", "decided_at": ago(1)},
                headers=person.headers,
            ),
        ]
        assert [a.status_code for a in asked] == [status] * len(asked), [a.text for a in asked]
        assert all(visit_id not in a.text and "王访客" not in a.text for a in asked)

    from tests.syncing.device import device_of

    gate_pull = json.dumps(await pull_all(api, g.tablet))
    inspector_pull = json.dumps(await pull_all(api, await device_of(api, g.inspector)))
    assert visit_id in gate_pull and f"{g.site}/gate" in gate_pull
    assert '"entity": "visit"' in gate_pull
    assert visit_id not in inspector_pull and "王访客" not in inspector_pull
    assert f"{g.site}/gate" not in inspector_pull
    assert '"entity": "visit"' not in inspector_pull
    # What an inspector's phone does receive is the site's own scope, as before.
    assert g.site in inspector_pull


async def test_the_full_id_number_is_never_answered_pulled_or_stored(api):
    g = await gate_school(api)
    said: list[str] = []
    body = g.check_in()
    visit_id = body["visit_id"]
    for answer in (
        await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers),
        await api.post(
            f"/api/visits/{visit_id}/decisions",
            json={"id": new_id(), "decision": "approved", "decided_at": ago(20)},
            headers=g.manager.headers,
        ),
        await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers),
        await api.get(f"/api/sites/{g.site}/visits", headers=g.manager.headers),
        # A refused check-in (a bad plate) must not echo the number either.
        await api.post(
            f"/api/sites/{g.site}/visits",
            json=g.check_in(plate="XX"),
            headers=g.gatekeeper.headers,
        ),
    ):
        assert answer.status_code < 500, answer.text
        said.append(answer.text)
    other = new_id()
    pushed = await g.tablet.push(
        [
            g.op_check_in(g.tablet, other),
            g.op_check_in(g.tablet, new_id(), id_number=WRONG_CHECK),
        ]
    )
    said.append(pushed.text)
    said.append(json.dumps(await pull_all(api, g.tablet)))
    assert visit_id in "\n".join(said) and other in "\n".join(said)
    for text in said:
        assert ID_NUMBER not in text and WRONG_CHECK not in text
        assert ID_NUMBER[6:14] not in text  # the birth date the mask hides
        assert PHONE not in text
    stored = []
    for table in db.table_classes():
        for row in await table.select():
            stored.append(repr(row))
    everything = "\n".join(stored)
    assert visit_id in everything
    assert ID_NUMBER not in everything and WRONG_CHECK not in everything
    assert ID_NUMBER[6:14] not in everything


async def test_bad_input_is_refused_with_its_code_and_field(api):
    g = await gate_school(api)
    url = f"/api/sites/{g.site}/visits"
    cases = [
        ({"id_number": WRONG_CHECK}, "visit.id_check_digit", "id_number"),
        ({"id_number": "110105491231002"}, "visit.id_old_form", "id_number"),
        ({"id_number": "12345"}, "visit.id_format", "id_number"),
        ({"id_type": "none", "id_number": ""}, "visit.no_document_reason", "no_document_reason"),
        ({"phone": "12345"}, "visit.phone_format", "phone"),
        ({"plate": "ZZ12345"}, "visit.plate_format", "plate"),
        ({"host_id": str(g.inspector.user_id)}, None, None),  # a member: accepted
        ({"host_id": new_id()}, "visit.host_not_member", "host_id"),
        ({"id": "not-a-uuid"}, "request.invalid", "id"),
        ({"party_size": 0}, "request.invalid", "party_size"),
        ({"checked_in_at": "2026-01-01T08:00:00"}, "request.invalid", "checked_in_at"),
    ]
    for over, code, field in cases:
        answer = await api.post(url, json=g.check_in(**over), headers=g.gatekeeper.headers)
        if code is None:
            assert answer.status_code == 201, answer.text
            continue
        assert answer.status_code in (400, 422), (over, answer.text)
        assert (answer.json()["code"], answer.json().get("field")) == (code, field), over
    # Every fault of the form at once.
    both = await api.post(
        url, json=g.check_in(id_number=WRONG_CHECK, phone="1"), headers=g.gatekeeper.headers
    )
    assert [e["field"] for e in both.json()["errors"]] == ["id_number", "phone"]
    # "No document" with a reason never blocks the gate, and keeps no number.
    none = await api.post(
        url,
        json=g.check_in(id_type="none", id_number=WRONG_CHECK, no_document_reason="忘带证件"),
        headers=g.gatekeeper.headers,
    )
    assert none.status_code == 201, none.text
    assert none.json()["id_masked"] is None

    body = g.check_in()
    await api.post(url, json=body, headers=g.gatekeeper.headers)
    visit_id = body["visit_id"]
    not_host = await api.post(
        f"/api/visits/{visit_id}/decisions",
        json={"id": new_id(), "decision": "approved", "decided_at": ago(1)},
        headers=g.inspector.headers,
    )
    assert (not_host.status_code, not_host.json()["code"]) == (403, "auth.forbidden")
    by_phone = await api.post(
        f"/api/visits/{visit_id}/decisions",
        json={
            "id": new_id(),
            "decision": "approved",
            "channel": "phone",
            "by_id": str(g.inspector.user_id),
            "decided_at": ago(1),
        },
        headers=g.gatekeeper.headers,
    )
    assert (by_phone.status_code, by_phone.json()["code"], by_phone.json()["field"]) == (
        422,
        "visit.not_host",
        "by_id",
    )
    unknown = await api.post(
        f"/api/visits/{new_id()}/checkout",
        json={"id": new_id(), "checked_out_at": ago(1)},
        headers=g.gatekeeper.headers,
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    future = await api.post(
        f"/api/visits/{visit_id}/checkout",
        json={"id": new_id(), "checked_out_at": ago(-60)},
        headers=g.gatekeeper.headers,
    )
    assert (future.json()["code"], future.json()["field"]) == (
        "visit.recorded_in_future",
        "checked_out_at",
    )
    bad_date = await api.get(url, params={"date": "0001-01-01"}, headers=g.gatekeeper.headers)
    assert (bad_date.status_code, bad_date.json()["field"]) == (400, "date")

    # Through sync: refused with the code, the field under `body`, nothing lost after it.
    pushed = await g.tablet.push_ok(
        [
            g.op_check_in(g.tablet, new_id(), id_number=WRONG_CHECK),
            g.op_check_in(g.tablet, new_id(), id="0190a6c4-0000-4000-8000-000000000000"),
            g.op_check_in(g.tablet, new_id()),
        ]
    )
    assert results(pushed) == [
        ("rejected", "visit.id_check_digit"),
        ("rejected", "visit.id_not_uuid7"),
        ("applied", None),
    ]
    assert pushed["results"][0]["field"] == "body.id_number"
    # The same fact id with other content: a conflict, the first stands.
    first = g.op_check_in(g.tablet, new_id())
    await g.tablet.push_ok([first])
    changed = g.tablet.op(first["body"] | {"name": "李访客"}, "visit.checked_in")
    assert results(await g.tablet.push_ok([changed])) == [("conflict", "visit.conflict")]
    # Another number under the same fact id is a conflict too: the digest keys the number.
    other_number = g.tablet.op(
        first["body"] | {"id_number": "110105194912310038"}, "visit.checked_in"
    )
    assert results(await g.tablet.push_ok([other_number])) == [("conflict", "visit.conflict")]


async def test_a_visit_pushed_by_whoever_may_not_record_it_is_refused_and_changes_nothing(api):
    from tests.syncing.device import device_of

    g = await gate_school(api)
    visit_id = new_id()
    stranger = await make_person(await make_school(), "gatekeeper")
    for person, code in ((g.inspector, "auth.forbidden"), (stranger, "not_found")):
        device = await device_of(api, person)
        ops = [
            g.op_check_in(device, visit_id),
            g.op_check_out(device, visit_id, ago(1)),
            g.op_approve(device, visit_id, ago(1)),
        ]
        answer = await device.push_ok(ops)
        assert results(answer) == [("rejected", code)] * 3, answer
        assert ID_NUMBER not in json.dumps(answer)
    missing = await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)
    assert missing.status_code == 404
