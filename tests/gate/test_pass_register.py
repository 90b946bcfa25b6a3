"""Early-leave passes end to end, on both databases: made by the class teacher, confirmed,
cancelled and let out through the API and through sync, in any order; every state; the
audience (the gate and managers read every pass, the teacher their own, an inspector's
phone never receives one); no full phone in any answer or pull; bad input refused with a
code and the field, never a 5xx."""

from __future__ import annotations

import json

from server.gate.passes import (
    CANCELLED,
    EXITED_AFTER_CANCEL,
    EXITED_OUTSIDE_WINDOW,
    EXITED_UNCONFIRMED,
    NOT_CONFIRMED,
    OUTSIDE_WINDOW,
    UNKNOWN,
    USED_TWICE,
)
from tests.factories import make_person, make_school
from tests.gate.gating import ago, gate_school, new_id, pull_all, results
from tests.gate.passing import (
    COLLECTOR_PHONE,
    PARENT_PHONE,
    confirmation,
    exit_body,
    later,
    op_cancel,
    op_confirm,
    op_create,
    op_exit,
    pass_body,
)
from tests.syncing.device import device_of


async def test_a_pass_made_confirmed_by_the_teacher_and_let_out(api):
    g = await gate_school(api)
    teacher = g.host
    body = pass_body()
    pass_id = body["pass_id"]
    made = await api.post(f"/api/sites/{g.site}/passes", json=body, headers=teacher.headers)
    assert made.status_code == 201, made.text
    leave = made.json()
    assert leave["state"] == "awaiting_parent"
    assert leave["blockers"] == [NOT_CONFIRMED]
    assert (leave["pupil"], leave["class_name"], leave["collector"]) == (
        "王小明",
        "三年级二班",
        "王芳",
    )
    assert leave["collector_phone_masked"] == "137****2222"
    assert leave["created_by"]["id"] == str(teacher.user_id)
    assert leave["confirmed_by_parent"] is None and leave["flags"] == []

    confirmed = await api.post(
        f"/api/passes/{pass_id}/confirmations", json=confirmation(), headers=teacher.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    leave = confirmed.json()
    assert leave["state"] == "confirmed" and leave["blockers"] == []
    assert leave["confirmed_by_parent"]["name"] == "王芳"
    assert leave["confirmed_by_parent"]["phone_masked"] == "139****4321"
    assert leave["confirmed_by_parent"]["channel"] == "teacher"

    day = await api.get(f"/api/sites/{g.site}/passes", headers=g.gatekeeper.headers)
    assert day.status_code == 200, day.text
    assert [p["id"] for p in day.json()] == [pass_id]
    out = await api.post(
        f"/api/passes/{pass_id}/exits", json=exit_body(), headers=g.gatekeeper.headers
    )
    assert out.status_code == 200, out.text
    left = out.json()
    assert left["state"] == "exited" and left["flags"] == []
    assert left["exit_recorded_by"]["id"] == str(g.gatekeeper.user_id)
    assert left["blockers"] == ["pass.already_exited"]
    # The teacher reads their own pass; another member of the site does not.
    own = await api.get(f"/api/passes/{pass_id}", headers=teacher.headers)
    assert own.status_code == 200 and own.json()["state"] == "exited"
    mine = await api.get(f"/api/sites/{g.site}/passes", headers=teacher.headers)
    assert [p["id"] for p in mine.json()] == [pass_id]
    other = await api.get(f"/api/sites/{g.site}/passes", headers=g.inspector.headers)
    assert other.status_code == 200 and other.json() == []
    denied = await api.get(f"/api/passes/{pass_id}", headers=g.inspector.headers)
    assert (denied.status_code, denied.json()["code"]) == (403, "auth.forbidden")


async def test_every_state_of_a_pass(api):
    g = await gate_school(api)
    teacher = g.host
    url = f"/api/sites/{g.site}/passes"
    waiting = pass_body()
    await api.post(url, json=waiting, headers=teacher.headers)
    confirmed = pass_body()
    await api.post(url, json=confirmed, headers=teacher.headers)
    await api.post(
        f"/api/passes/{confirmed['pass_id']}/confirmations",
        json=confirmation(),
        headers=g.manager.headers,
    )
    cancelled = pass_body()
    await api.post(url, json=cancelled, headers=teacher.headers)
    gone = await api.post(
        f"/api/passes/{cancelled['pass_id']}/cancellations",
        json={"id": new_id(), "cancelled_at": ago(10), "reason": "家长改变主意"},
        headers=teacher.headers,
    )
    assert gone.status_code == 200, gone.text
    assert (gone.json()["state"], gone.json()["blockers"]) == ("cancelled", [CANCELLED])
    # Let out all the same, after the cancellation and without a confirmation: kept, flagged.
    out = await api.post(
        f"/api/passes/{cancelled['pass_id']}/exits",
        json=exit_body(ago(2), collected_by="李四"),
        headers=g.gatekeeper.headers,
    )
    assert out.status_code == 200, out.text
    assert out.json()["state"] == "exited"
    assert set(out.json()["flags"]) == {
        EXITED_UNCONFIRMED,
        EXITED_AFTER_CANCEL,
        "pass.other_collector",
    }
    # A pass for later today is confirmed but not yet open.
    future = pass_body(leave_from=later(60), leave_until=later(90))
    await api.post(url, json=future, headers=teacher.headers)
    await api.post(
        f"/api/passes/{future['pass_id']}/confirmations",
        json=confirmation(),
        headers=teacher.headers,
    )
    early = await api.get(f"/api/passes/{future['pass_id']}", headers=g.gatekeeper.headers)
    assert (early.json()["state"], early.json()["blockers"]) == ("confirmed", [OUTSIDE_WINDOW])
    # Let out before its window: kept, flagged.
    out = await api.post(
        f"/api/passes/{future['pass_id']}/exits", json=exit_body(), headers=g.manager.headers
    )
    assert out.json()["flags"] == [EXITED_OUTSIDE_WINDOW]

    states = {p["id"]: p["state"] for p in (await api.get(url, headers=g.manager.headers)).json()}
    assert states == {
        waiting["pass_id"]: "awaiting_parent",
        confirmed["pass_id"]: "confirmed",
        cancelled["pass_id"]: "exited",
        future["pass_id"]: "exited",
    }


async def test_facts_synced_in_any_order_and_a_pass_used_twice(api):
    g = await gate_school(api)
    teacher = await device_of(api, g.host)
    pass_id = new_id()
    # The gate lets the pupil out and syncs before the teacher's phone does.
    late_exit = op_exit(g, g.tablet, pass_id, ago(5))
    assert results(await g.tablet.push_ok([late_exit])) == [("applied", None)]
    leave = (await api.get(f"/api/passes/{pass_id}", headers=g.manager.headers)).json()
    assert leave["state"] == "exited" and leave["pupil"] is None
    assert leave["flags"] == [EXITED_UNCONFIRMED]
    # Only a confirmation known: the pass itself is unknown.
    other = new_id()
    assert results(await teacher.push_ok([op_confirm(g, teacher, other)])) == [("applied", None)]
    unknown = (await api.get(f"/api/passes/{other}", headers=g.manager.headers)).json()
    assert (unknown["state"], unknown["blockers"]) == ("unknown", [UNKNOWN])
    # The teacher's phone syncs the pass and the parent's confirmation.
    made = await teacher.push_ok([op_create(g, teacher, pass_id), op_confirm(g, teacher, pass_id)])
    assert results(made) == [("applied", None)] * 2
    leave = (await api.get(f"/api/passes/{pass_id}", headers=g.manager.headers)).json()
    assert leave["state"] == "exited" and leave["flags"] == []
    assert leave["pupil"] == "王小明" and leave["exit_recorded_by"]["id"] == str(
        g.gatekeeper.user_id
    )
    # A second tablet let the same pupil out earlier: the earliest stands, the pass is flagged.
    earlier = op_exit(g, g.other_tablet, pass_id, ago(8))
    assert results(await g.other_tablet.push_ok([earlier])) == [("applied", None)]
    leave = (await api.get(f"/api/passes/{pass_id}", headers=g.gatekeeper.headers)).json()
    assert leave["flags"] == [USED_TWICE]
    assert leave["exited_at"][:19] == earlier["body"]["exited_at"][:19]
    # The same exit sent again is a duplicate, not a third; other content: a conflict.
    resent = g.tablet.op(late_exit["body"], "pass.exited")
    assert results(await g.tablet.push_ok([resent])) == [("duplicate", None)]
    changed = g.tablet.op(late_exit["body"] | {"collected_by": "张三"}, "pass.exited")
    assert results(await g.tablet.push_ok([changed])) == [("conflict", "pass.conflict")]
    assert (await api.get(f"/api/passes/{pass_id}", headers=g.manager.headers)).json()["flags"] == [
        USED_TWICE
    ]


async def test_only_the_teacher_or_a_manager_confirms_or_cancels(api):
    g = await gate_school(api)
    body = pass_body()
    pass_id = body["pass_id"]
    await api.post(f"/api/sites/{g.site}/passes", json=body, headers=g.host.headers)
    for person in (g.inspector, g.gatekeeper):
        asked = [
            await api.post(
                f"/api/passes/{pass_id}/confirmations", json=confirmation(), headers=person.headers
            ),
            await api.post(
                f"/api/passes/{pass_id}/cancellations",
                json={"id": new_id(), "cancelled_at": ago(1)},
                headers=person.headers,
            ),
            await api.post(f"/api/passes/{pass_id}/parent-links", headers=person.headers),
        ]
        assert [(a.status_code, a.json()["code"]) for a in asked] == [
            (403, "pass.not_creator")
        ] * 3, [a.text for a in asked]
    # Through sync too, once the pass is known.
    device = await device_of(api, g.inspector)
    pushed = await device.push_ok(
        [op_confirm(g, device, pass_id), op_cancel(g, device, pass_id, ago(1))]
    )
    assert results(pushed) == [("rejected", "pass.not_creator")] * 2
    # Only the gate and managers let a pupil out; an auditor makes no pass.
    auditor = await make_person(g.school, "auditor")
    refused = [
        await api.post(f"/api/passes/{pass_id}/exits", json=exit_body(), headers=g.host.headers),
        await api.post(f"/api/sites/{g.site}/passes", json=pass_body(), headers=auditor.headers),
        await api.get(f"/api/sites/{g.site}/passes", headers=auditor.headers),
    ]
    refused += [
        await api.post(
            f"/api/passes/{pass_id}/confirmations", json=confirmation(), headers=auditor.headers
        ),
        await api.post(
            f"/api/passes/{pass_id}/cancellations",
            json={"id": new_id(), "cancelled_at": ago(1)},
            headers=auditor.headers,
        ),
        await api.post(f"/api/passes/{pass_id}/parent-links", headers=auditor.headers),
    ]
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(403, "auth.forbidden")] * 6
    # A manager may; another school's admin does not see the pass at all.
    cancelled = await api.post(
        f"/api/passes/{pass_id}/cancellations",
        json={"id": new_id(), "cancelled_at": ago(1)},
        headers=g.manager.headers,
    )
    assert cancelled.json()["state"] == "cancelled"
    stranger = await make_person(await make_school(), "admin")
    for answer in (
        await api.get(f"/api/passes/{pass_id}", headers=stranger.headers),
        await api.post(f"/api/passes/{pass_id}/exits", json=exit_body(), headers=stranger.headers),
        await api.post(f"/api/passes/{pass_id}/parent-links", headers=stranger.headers),
        await api.get(f"/api/sites/{g.site}/passes", headers=stranger.headers),
        await api.post(f"/api/sites/{g.site}/passes", json=pass_body(), headers=stranger.headers),
    ):
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), answer.text
        assert "王小明" not in answer.text
    stranger_device = await device_of(api, stranger)
    pushed = await stranger_device.push_ok([op_exit(g, stranger_device, pass_id, ago(1))])
    assert results(pushed) == [("rejected", "not_found")]


async def test_an_inspector_never_receives_a_pass_and_no_answer_holds_a_full_phone(api):
    g = await gate_school(api)
    said: list[str] = []
    body = pass_body()
    pass_id = body["pass_id"]
    for answer in (
        await api.post(f"/api/sites/{g.site}/passes", json=body, headers=g.host.headers),
        await api.post(
            f"/api/passes/{pass_id}/confirmations", json=confirmation(), headers=g.host.headers
        ),
        await api.get(f"/api/passes/{pass_id}", headers=g.manager.headers),
        await api.get(f"/api/sites/{g.site}/passes", headers=g.gatekeeper.headers),
        await api.post(
            f"/api/passes/{pass_id}/exits", json=exit_body(), headers=g.gatekeeper.headers
        ),
        # A refused phone is not echoed either.
        await api.post(
            f"/api/passes/{pass_id}/confirmations",
            json=confirmation(parent_phone=PARENT_PHONE + "9"),
            headers=g.host.headers,
        ),
    ):
        assert answer.status_code < 500, answer.text
        said.append(answer.text)
    teacher = await device_of(api, g.host)
    said.append(
        (
            await teacher.push([op_create(g, teacher, new_id()), op_confirm(g, teacher, new_id())])
        ).text
    )
    gate_pull = json.dumps(await pull_all(api, g.tablet))
    said.append(gate_pull)
    assert pass_id in gate_pull and '"entity": "leave_pass"' in gate_pull
    for text in said:
        assert PARENT_PHONE not in text and COLLECTOR_PHONE not in text, text
    for person in (g.inspector, g.host):
        pulled = json.dumps(await pull_all(api, await device_of(api, person)))
        assert pass_id not in pulled and "王小明" not in pulled
        assert '"entity": "leave_pass"' not in pulled


async def test_bad_input_is_refused_with_its_code_and_field_never_a_5xx(api):
    g = await gate_school(api)
    url = f"/api/sites/{g.site}/passes"
    teacher = g.host
    cases = [
        ({"leave_until": ago(90)}, 422, "pass.window_invalid", "leave_until"),
        ({"leave_until": ago(60), "leave_from": ago(60)}, 422, "pass.window_invalid", None),
        ({"collector_phone": "12345"}, 422, "pass.phone_format", "collector_phone"),
        ({"created_at": later(60)}, 422, "pass.recorded_in_future", "created_at"),
        ({"id": "0190a6c4-0000-4000-8000-000000000000"}, 400, "pass.id_not_uuid7", "id"),
        ({"pass_id": 7}, 400, "request.invalid", "pass_id"),
        ({"pupil": ""}, 400, "request.invalid", "pupil"),
        ({"pupil": ["王"]}, 400, "request.invalid", "pupil"),
        ({"leave_from": "2026-12-07T08:00:00"}, 400, "request.invalid", "leave_from"),
        ({"leave_from": "tomorrow"}, 400, "request.invalid", "leave_from"),
        ({"collector": None, "collector_phone": None}, 201, None, None),
        ({"extra": 1}, 400, "request.invalid", None),
    ]
    for over, status, code, field in cases:
        answer = await api.post(url, json=pass_body(**over), headers=teacher.headers)
        assert answer.status_code == status, (over, answer.text)
        if code is not None:
            assert answer.json()["code"] == code, (over, answer.text)
            if field is not None:
                assert answer.json().get("field") == field, (over, answer.text)
    for raw in ("[]", "null", '"x"', "{", '{"id": {}}'):
        answer = await api.post(
            url, content=raw, headers={**teacher.headers, "Content-Type": "application/json"}
        )
        assert answer.status_code == 400, (raw, answer.text)
    unknown = new_id()
    for path, payload in (
        ("confirmations", confirmation()),
        ("cancellations", {"id": new_id(), "cancelled_at": ago(1)}),
        ("exits", exit_body()),
        ("parent-links", None),
    ):
        answer = await api.post(
            f"/api/passes/{unknown}/{path}", json=payload, headers=g.manager.headers
        )
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), answer.text
    for path in (f"/api/passes/{unknown}", "/api/passes/not-a-uuid"):
        answer = await api.get(path, headers=g.manager.headers)
        assert answer.status_code in (400, 404), answer.text
    body = pass_body()
    await api.post(url, json=body, headers=teacher.headers)
    pass_id = body["pass_id"]
    for payload, code, field in (
        (confirmation(parent_phone="abc"), "pass.phone_format", "parent_phone"),
        (confirmation(channel="link"), "request.invalid", "channel"),
        (confirmation(confirmed_at=later(30)), "pass.recorded_in_future", "confirmed_at"),
        (confirmation(parent_name=None), "request.invalid", "parent_name"),
    ):
        answer = await api.post(
            f"/api/passes/{pass_id}/confirmations", json=payload, headers=teacher.headers
        )
        assert (answer.json()["code"], answer.json().get("field")) == (code, field), answer.text
    for payload in (
        exit_body(method="walk"),
        exit_body(exited_at="3 pm"),
        exit_body(collected_by=""),
    ):
        answer = await api.post(
            f"/api/passes/{pass_id}/exits", json=payload, headers=g.gatekeeper.headers
        )
        assert (answer.status_code, answer.json().get("code")) == (400, "request.invalid"), (
            payload,
            answer.text,
        )
    bad_date = await api.get(url, params={"date": "0001-01-01"}, headers=g.gatekeeper.headers)
    assert (bad_date.status_code, bad_date.json()["field"]) == (400, "date")
    not_a_date = await api.get(url, params={"date": "07/12"}, headers=g.gatekeeper.headers)
    assert not_a_date.status_code == 400
    # Through sync: refused with the code, the field under `body`, nothing lost after it.
    device = await device_of(api, teacher)
    other = g.school.site_id
    pushed = await device.push_ok(
        [
            op_create(g, device, new_id(), leave_until=ago(120)),
            op_create(g, device, new_id(), pupil=None),
            op_create(g, device, pass_id),  # the same pass made again at another time
            op_create(g, device, new_id(), site_id=new_id()),
            op_create(g, device, new_id()),
        ]
    )
    assert results(pushed) == [
        ("rejected", "pass.window_invalid"),
        ("rejected", "sync.invalid_body"),
        ("applied", None),
        ("rejected", "not_found"),
        ("applied", None),
    ], pushed
    assert pushed["results"][0]["field"] == "body.leave_until"
    assert other
    # An exit naming the pass at another of the caller's sites: the pass's site stands.
    elsewhere = await make_school(organization_id=g.school.organization_id)
    both = await make_person(g.school, "gatekeeper", extra_sites={elsewhere.site_id: "gatekeeper"})
    tablet = await device_of(api, both)
    mismatch = await tablet.push_ok(
        [op_exit(g, tablet, pass_id, ago(1), site_id=str(elsewhere.site_id))]
    )
    assert results(mismatch) == [("rejected", "pass.site_mismatch")]
