"""The host on both databases: reads the visits naming them (nobody else at the site does,
but gate staff and managers), lists who waits for them at all their sites, signs the visit
(in the app or through sync), and a check-out of an unsigned visit where the site wants a
signature first is kept and flagged, never refused."""

from __future__ import annotations

from typing import Any

from server.gate.visits import CHECKED_OUT_UNSIGNED
from tests.factories import make_person, make_school
from tests.gate.gating import ID_NUMBER, PHONE, ago, gate_school, new_id, results
from tests.syncing.device import device_of


def strokes(points: int = 3, count: int = 2) -> list[list[float]]:
    return [[float(n) for i in range(points) for n in (i * 10, i * 5 + s)] for s in range(count)]


async def test_the_host_reads_their_visits_and_lists_who_waits_for_them(api):
    g = await gate_school(api)
    second = await make_school()
    host = await make_person(g.school, "inspector", extra_sites={second.site_id: "maintainer"})
    second_gatekeeper = await make_person(second, "gatekeeper")
    ours = g.check_in(host_id=str(host.user_id), checked_in_at=ago(20))
    theirs = g.check_in()  # for the gate's other host
    for body in (ours, theirs):
        made = await api.post(
            f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers
        )
        assert made.status_code == 201, made.text
    there = g.check_in(host_id=str(host.user_id), checked_in_at=ago(10))
    made = await api.post(
        f"/api/sites/{second.site_id}/visits", json=there, headers=second_gatekeeper.headers
    )
    assert made.status_code == 201, made.text

    mine = await api.get(f"/api/visits/{ours['visit_id']}", headers=host.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["host"]["id"] == str(host.user_id)
    assert ID_NUMBER not in mine.text and PHONE not in mine.text
    for visit_id, person in ((theirs["visit_id"], host), (ours["visit_id"], g.inspector)):
        other = await api.get(f"/api/visits/{visit_id}", headers=person.headers)
        assert (other.status_code, other.json()["code"]) == (403, "auth.forbidden")
        assert "王访客" not in other.text

    waiting = await api.get("/api/me/visits", params={"state": "pending"}, headers=host.headers)
    assert waiting.status_code == 200, waiting.text
    assert [v["id"] for v in waiting.json()] == [ours["visit_id"], there["visit_id"]]
    assert ID_NUMBER not in waiting.text and PHONE not in waiting.text
    assert (await api.get("/api/me/visits", headers=host.headers)).json() == waiting.json()

    decided = await api.post(
        f"/api/visits/{ours['visit_id']}/decisions",
        json={"id": new_id(), "decision": "approved", "decided_at": ago(5)},
        headers=host.headers,
    )
    assert decided.json()["state"] == "inside"
    waiting = await api.get("/api/me/visits", headers=host.headers)
    assert [v["id"] for v in waiting.json()] == [there["visit_id"]]
    inside = await api.get("/api/me/visits", params={"state": "inside"}, headers=host.headers)
    assert [v["id"] for v in inside.json()] == [ours["visit_id"]]
    bad = await api.get("/api/me/visits", params={"state": "gone"}, headers=host.headers)
    assert bad.status_code == 400, bad.text
    stranger = await make_person(await make_school(), "admin")
    assert (await api.get("/api/me/visits", headers=stranger.headers)).json() == []


async def test_the_host_signs_and_nobody_else_at_the_site_may(api):
    g = await gate_school(api)
    body = g.check_in()
    await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    url = f"/api/visits/{body['visit_id']}/signatures"

    def signature(**over: Any) -> dict[str, Any]:
        return {"id": new_id(), "signed_at": ago(15), "strokes": strokes()} | over

    for person, status, code in (
        (g.inspector, 403, "auth.forbidden"),
        (g.gatekeeper, 403, "auth.forbidden"),
        (await make_person(await make_school(), "admin"), 404, "not_found"),
    ):
        refused = await api.post(url, json=signature(), headers=person.headers)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    for over, field in (
        ({"strokes": []}, "strokes"),
        ({"strokes": [[1.0, 2.0, 3.0]]}, "strokes[0]"),
        ({"strokes": [[1.0]]}, "strokes[0]"),
        ({"strokes": strokes(points=501)}, "strokes[0]"),
        ({"strokes": strokes(count=201)}, "strokes"),
        ({"strokes": [[1.0, 2e9]]}, "strokes[0][1]"),
        ({"signed_at": "2026-01-01T08:00:00"}, "signed_at"),
    ):
        bad = await api.post(url, json=signature(**over), headers=g.host.headers)
        assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (
            400,
            "request.invalid",
            field,
        ), (over, bad.text)
    first = signature()
    signed = await api.post(url, json=first, headers=g.host.headers)
    assert signed.status_code == 200, signed.text
    assert signed.json()["signed_at"][:19] == first["signed_at"][:19]
    again = await api.post(url, json=first, headers=g.host.headers)
    assert again.json() == signed.json()
    by_manager = await api.post(url, json=signature(signed_at=ago(12)), headers=g.manager.headers)
    assert by_manager.status_code == 200, by_manager.text
    assert by_manager.json()["signed_at"] == signed.json()["signed_at"]  # the first stands


async def test_an_unsigned_check_out_is_kept_and_flagged_where_the_site_wants_a_signature(api):
    g = await gate_school(api, sign_before_checkout=True)
    unsigned, signed = new_id(), new_id()
    host_phone = await device_of(api, g.host)
    for visit_id in (unsigned, signed):
        pushed = await g.tablet.push_ok(
            [g.op_check_in(g.tablet, visit_id), g.op_approve(g.tablet, visit_id, ago(29))]
        )
        assert results(pushed) == [("applied", None)] * 2
    sign = host_phone.op(
        {
            "id": new_id(),
            "visit_id": signed,
            "site_id": g.site,
            "signed_at": ago(20),
            "strokes": strokes(),
        },
        "visit.signed",
    )
    assert results(await host_phone.push_ok([sign])) == [("applied", None)]
    out = await g.tablet.push_ok(
        [g.op_check_out(g.tablet, unsigned, ago(10)), g.op_check_out(g.tablet, signed, ago(10))]
    )
    assert results(out) == [("applied", None)] * 2
    left = (await api.get(f"/api/visits/{unsigned}", headers=g.manager.headers)).json()
    assert (left["state"], left["flags"], left["signed_at"]) == (
        "left",
        [CHECKED_OUT_UNSIGNED],
        None,
    )
    done = (await api.get(f"/api/visits/{signed}", headers=g.manager.headers)).json()
    assert (done["state"], done["flags"]) == ("left", [])
    assert done["signed_at"] is not None
    # A signature made after the visitor left does not undo the flag.
    late = host_phone.op(
        {
            "id": new_id(),
            "visit_id": unsigned,
            "site_id": g.site,
            "signed_at": ago(1),
            "strokes": strokes(),
        },
        "visit.signed",
    )
    assert results(await host_phone.push_ok([late])) == [("applied", None)]
    still = (await api.get(f"/api/visits/{unsigned}", headers=g.manager.headers)).json()
    assert still["flags"] == [CHECKED_OUT_UNSIGNED] and still["signed_at"] is not None


async def test_without_the_setting_an_unsigned_check_out_is_not_flagged(api):
    g = await gate_school(api)
    visit_id = new_id()
    await g.tablet.push_ok(
        [
            g.op_check_in(g.tablet, visit_id),
            g.op_approve(g.tablet, visit_id, ago(29)),
            g.op_check_out(g.tablet, visit_id, ago(3)),
        ]
    )
    visit = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
    assert (visit["state"], visit["flags"]) == ("left", [])
