"""Every flag a scan can carry, raised through sync and read back from the server, and a
round called off: on both databases (the pure judge's own tests are in test_rounds.py)."""

from __future__ import annotations

from datetime import timedelta

from uuid_utils.compat import uuid7

from tests.factories import make_location, make_person, make_tag
from tests.patrols.patrolling import FRIDAY, day, local, made_long_ago, patrol_school, round_detail
from tests.schedules.scheduling import set_now
from tests.syncing.device import device_of

GATE = {"lat": 39.9087, "lon": 116.3975}
FAR_GATE = {"lat": 39.9177, "lon": 116.3975}  # 1 km north
SERIAL = "04:A2:1B:7C:5D:80:00"


async def test_every_flag_is_raised_through_sync_and_never_refuses(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    a, b, c, d = p.tags
    stray = await make_tag(p.admin, location=await make_location(p.admin, p.school, "车库"))
    old = await make_tag(p.admin, location=await make_location(p.admin, p.school, "旧仓库"))
    retired = await api.post(f"/api/tags/{old}/retire", json={}, headers=p.admin.headers)
    assert retired.status_code == 200, retired.text
    route = await api.post(
        f"/api/sites/{p.school.site_id}/patrol/routes",
        json={
            "name": "校门夜巡",
            "checkpoints": [
                {"tag": a, "position": GATE, "radius_m": 30},
                {"tag": b, "position": FAR_GATE, "radius_m": 30, "min_gap_seconds": 300},
                {"tag": c, "nfc_serial": SERIAL},
                {"tag": d},
            ],
        },
        headers=p.admin.headers,
    )
    assert route.status_code == 201, route.text
    colleague = await make_person(p.school, "guard")
    schedule = await api.post(
        f"/api/sites/{p.school.site_id}/patrol/schedules",
        json={
            "name": "校门夜巡",
            "route_id": route.json()["id"],
            "times": {"kind": "fixed", "windows": [{"start": "09:30", "duration_minutes": 60}]},
            "who": {"kind": "people", "people": [str(p.guard.user_id)]},
        },
        headers=p.admin.headers,
    )
    assert schedule.status_code == 201, schedule.text
    await made_long_ago(schedule.json()["id"])
    p.route, p.schedule = route.json(), schedule.json()
    w = "2026-11-20T09:30"
    ops = [
        p.start(w, local(9, 31)),
        p.scan(w, a, local(9, 32)),  # positioned, no fix: gps_absent
        # 20 s after a, 1 km away, and the fix a further 4 km north: too fast, impossible
        # speed, far from the checkpoint.
        p.scan(
            w,
            b,
            local(9, 32) + timedelta(seconds=20),
            position={"lat": 39.95, "lon": 116.3975},
            accuracy_m=10,
        ),
        p.scan(w, d, local(9, 40)),
        p.scan(w, c, local(9, 41), method="nfc", nfc_serial="04:00:00:00:00:00:01"),
        p.scan(w, a, local(9, 42)),  # again: counted once
        p.scan(w, "ZZZZZZZZ", local(9, 43)),
        p.scan(w, stray, local(9, 44)),
        p.scan(w, old, local(9, 45)),
        p.scan(w, d, local(10, 45)),  # after the window: outside it (and a duplicate)
    ]
    set_now(monkeypatch, FRIDAY + timedelta(minutes=50))  # 10:50: the window has closed
    pushed = await p.phone.push_ok(ops)
    assert {r["status"] for r in pushed["results"]} == {"applied"}, pushed["results"]
    other_phone = await device_of(api, colleague)
    body = p.fact(w, tag=d, method="qr", scanned_at=local(9, 46).isoformat())
    body["id"] = str(uuid7())
    assert (await other_phone.push_ok([other_phone.op(body, type="checkpoint.scanned")]))[
        "results"
    ][0]["status"] == "applied"

    detail = await round_detail(api, p, p.round_of(w))
    flags: dict[str, set[str]] = {}
    for scan in detail["scans"]:
        flags.setdefault(scan["tag"], set()).update(scan["flags"])
    assert flags[a] == {"scan.gps_absent", "scan.duplicate"}
    assert flags[b] == {"scan.too_fast", "scan.implausible_speed", "scan.gps_far"}
    assert flags[c] == {"scan.out_of_sequence", "scan.nfc_mismatch"}
    assert flags[d] == {
        "scan.duplicate",
        "scan.outside_window",
        "scan.off_duty",
        "scan.other_device",
    }
    assert flags["ZZZZZZZZ"] == {"scan.unknown_tag"}
    assert flags[stray] == {"scan.other_route"}
    assert flags[old] == {"scan.retired_tag"}
    summary = detail["round"]
    assert (summary["state"], summary["covered"], summary["serious"]) == ("completed", 4, True)
    nfc = next(s for s in detail["scans"] if s["method"] == "nfc")
    assert nfc["nfc_serial"] == "04:00:00:00:00:00:01"


async def test_a_round_called_off_is_shown_and_never_counted(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    window = "2026-11-20T15:00"
    body = {
        "id": str(uuid7()),
        "round_id": p.round_of(window),
        "schedule_id": p.schedule["id"],
        "window": window,
        "cancelled_at": FRIDAY.isoformat(),
        "reason": "期中考试，下午停巡",
    }
    by_guard = await api.post("/api/patrol/cancellations", json=body, headers=p.guard.headers)
    assert by_guard.status_code == 403
    called_off = await api.post("/api/patrol/cancellations", json=body, headers=p.manager.headers)
    assert called_off.status_code == 200, called_off.text
    assert called_off.json()["cancelled"]["text"] == "期中考试，下午停巡"
    set_now(monkeypatch, FRIDAY + timedelta(hours=8))
    seen = await day(api, p)
    state = {r["window"]: r for r in seen["rounds"]}[window]
    assert (state["state"], state["counts_for_compliance"]) == ("cancelled", False)
    assert seen["counts"]["cancelled"] == 1 and seen["counts"]["missed"] == 2
