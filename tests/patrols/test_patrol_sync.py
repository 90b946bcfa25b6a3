"""A round walked on a phone and synced, on both databases: one round whatever the order and
repetition of its facts, flags from the scans, a late sync of an on-time round on time, and
bad input refused with a clear code while nothing else is lost."""

from __future__ import annotations

from datetime import timedelta

from uuid_utils.compat import uuid7

from server.patrols.windows import round_id_for
from tests.patrols.patrolling import (
    FRIDAY,
    day,
    local,
    patrol_school,
    results,
    round_detail,
)
from tests.schedules.scheduling import set_now


async def test_a_round_walked_offline_is_one_round_with_its_flags(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    window = "2026-11-20T09:30"
    a, b, c, d = p.tags
    ops = [
        p.start(window, local(9, 31)),
        p.scan(window, a, local(9, 32)),
        p.scan(window, c, local(9, 35)),  # before b: b is then out of sequence
        p.scan(window, b, local(9, 36)),
        p.scan(window, d, local(9, 40)),
        p.scan(window, d, local(9, 41)),  # the same checkpoint again: counted once
        p.finish(window, local(9, 42), note="一切正常"),
    ]
    pushed = await p.phone.push_ok(ops)
    assert results(pushed) == [("applied", None)] * len(ops)
    # The whole batch again (a phone that lost the answer): every op answered as before.
    again = await p.phone.push_ok(ops)
    assert again["results"] == pushed["results"]
    # The same facts as new ops (a phone that queued them twice): each a duplicate.
    resent = [p.phone.op(op["body"], type=op["type"]) for op in ops]
    assert results(await p.phone.push_ok(resent)) == [("duplicate", None)] * len(ops)

    detail = await round_detail(api, p, p.round_of(window))
    summary = detail["round"]
    assert summary["state"] == "completed"
    assert (summary["covered"], summary["expected"]) == (4, 4)
    assert summary["person"]["id"] == str(p.guard.user_id)
    assert summary["late"] is False
    assert set(summary["flags"]) == {"scan.out_of_sequence", "scan.duplicate"}
    assert len(detail["scans"]) == 5
    by_tag = [(s["tag"], s["counted"], s["flags"]) for s in detail["scans"]]
    assert (b, True, ["scan.out_of_sequence"]) in by_tag  # behind c, already scanned
    assert (d, False, ["scan.duplicate"]) in by_tag
    assert detail["finished_note"] == "一切正常"
    assert detail["missing"] == []


async def test_facts_in_any_order_and_across_batches_give_the_same_round(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    window = "2026-11-20T09:30"
    a, b, c, d = p.tags
    # The finish and the scans reach the server before the start, in two batches (a phone
    # numbers its ops in the order it sends them).
    finish = p.finish(window, local(9, 50))
    scans = [
        p.scan(window, c, local(9, 34)),  # 60 s after b, where the walk takes 120: too fast
        p.scan(window, b, local(9, 33)),
        p.scan(window, a, local(9, 32)),
    ]
    pushed = await p.phone.push_ok([finish, *scans])
    assert results(pushed) == [("applied", None)] * 4
    start = p.start(window, local(9, 31))
    early = (await round_detail(api, p, p.round_of(window)))["round"]
    assert early["state"] == "incomplete" and early["covered"] == 3
    await p.phone.push_ok([start])
    detail = await round_detail(api, p, p.round_of(window))
    assert detail["round"]["state"] == "incomplete"
    assert detail["round"]["started_at"].startswith("2026-11-20T01:31")
    assert [m["tag"] for m in detail["missing"]] == [d]
    assert detail["round"]["flags"] == ["scan.too_fast"]
    assert detail["round"]["serious"] is True


async def test_a_late_sync_of_an_on_time_round_is_on_time(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    window = "2026-11-20T07:30"
    ops = [p.start(window, local(7, 35))]
    ops += [p.scan(window, tag, local(7, 40 + 3 * i)) for i, tag in enumerate(p.tags)]
    ops.append(p.finish(window, local(8, 0)))
    # The phone was offline all morning: the round reaches the server at 10:00, past grace.
    await p.phone.push_ok(ops)
    rounds = {r["window"]: r for r in (await day(api, p))["rounds"]}
    walked = rounds[window]
    assert walked["state"] == "completed" and walked["late"] is False
    assert walked["flags"] == []
    assert (
        rounds["2026-11-20T09:30"]["state"] == "in_progress"
        or rounds["2026-11-20T09:30"]["state"] == "upcoming"
    )
    assert rounds["2026-11-20T15:00"]["state"] == "upcoming"


async def test_the_day_lists_every_window_and_counts_the_missed(api, monkeypatch):
    set_now(monkeypatch, FRIDAY + timedelta(hours=8))  # 18:00: every window has passed
    p = await patrol_school(api)
    window = "2026-11-20T15:00"
    ops = [p.start(window, local(15, 20))]
    ops += [p.scan(window, tag, local(15, 22 + 3 * i)) for i, tag in enumerate(p.tags[:2])]
    await p.phone.push_ok(ops)
    seen = await day(api, p, date="2026-11-20")
    states = {r["window"]: r["state"] for r in seen["rounds"]}
    assert states == {
        "2026-11-20T07:30": "missed",
        "2026-11-20T09:30": "missed",
        "2026-11-20T15:00": "incomplete",
    }
    counts = seen["counts"]
    assert (counts["scheduled"], counts["missed"], counts["incomplete"]) == (3, 2, 1)
    missed = next(r for r in seen["rounds"] if r["window"] == "2026-11-20T07:30")
    assert missed["id"] == str(round_id_for(p.schedule["id"], "2026-11-20T07:30"))
    assert missed["on_duty_role"] == "guard"


async def test_a_voluntary_round_is_shown_and_never_counted(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    own = p.fact(None, round_id=_uuid7())
    start = p.phone.op(
        own | {"route_version": 1, "started_at": local(9, 0).isoformat()}, type="round.started"
    )
    scan = p.phone.op(
        {**own, "id": _uuid7(), "tag": p.tags[0], "method": "typed"}
        | {"scanned_at": local(9, 1).isoformat()},
        type="checkpoint.scanned",
    )
    assert results(await p.phone.push_ok([start, scan])) == [("applied", None)] * 2
    seen = await day(api, p)
    voluntary = [r for r in seen["rounds"] if r["voluntary"]]
    assert len(voluntary) == 1 and voluntary[0]["counts_for_compliance"] is False
    assert seen["counts"]["scheduled"] == 3


async def test_bad_round_facts_are_refused_with_codes_and_block_nothing(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    other = await patrol_school(api)
    window = "2026-11-20T09:30"
    wrong_id = p.start(window, local(9, 31))
    wrong_id["body"]["round_id"] = p.round_of("2026-11-20T07:30")
    half = p.start(window, local(9, 31))
    half["body"]["schedule_id"] = None
    bad_version = p.start(window, local(9, 31), route_version=7)
    foreign_route = p.scan(window, p.tags[0], local(9, 32), route_id=other.route["id"])
    not_v7 = p.scan(window, p.tags[0], local(9, 32), id="00000000-0000-4000-8000-000000000000")
    unknown_tag = p.scan(window, "ZZZZ-ZZZZ", local(9, 33))
    ahead = p.scan(window, p.tags[1], FRIDAY + timedelta(days=3))
    good = p.scan(window, p.tags[0], local(9, 34))
    finish_first = p.finish(window, local(9, 35))
    pushed = await p.phone.push_ok(
        [wrong_id, half, bad_version, foreign_route, not_v7, unknown_tag, ahead, good, finish_first]
    )
    assert results(pushed) == [
        ("rejected", "round.id_mismatch"),
        ("rejected", "round.schedule_mismatch"),
        ("rejected", "round.unknown_route_version"),
        ("rejected", "not_found"),
        ("rejected", "round.id_not_uuid7"),
        ("applied", None),
        ("rejected", "round.recorded_in_future"),
        ("applied", None),
        ("applied", None),
    ]
    assert pushed["results"][0]["field"] == "body.round_id"
    assert pushed["results"][6]["field"] == "body.scanned_at"
    assert pushed["last_applied_seq"] == p.phone.seq
    detail = await round_detail(api, p, p.round_of(window))
    flags = {s["tag"]: s["flags"] for s in detail["scans"]}
    assert flags["ZZZZ-ZZZZ"] == ["scan.unknown_tag"]
    assert p.tags[1] not in flags
    # A finish with no start: the round began at its first scan and is judged finished.
    assert detail["round"]["state"] == "incomplete"


async def test_a_route_change_is_a_new_version_and_a_started_round_keeps_its_own(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    window = "2026-11-20T09:30"
    await p.phone.push_ok([p.start(window, local(9, 31)), p.scan(window, p.tags[0], local(9, 32))])
    path = f"/api/patrol/routes/{p.route['id']}"
    shorter = {"name": "安保日间巡查", "checkpoints": [{"tag": p.tags[0]}], "base_version": 1}
    changed = await api.put(path, json=shorter, headers=p.admin.headers)
    assert changed.status_code == 200 and changed.json()["version"] == 2, changed.text
    stale = await api.put(path, json=shorter, headers=p.admin.headers)
    assert stale.status_code == 409 and stale.json()["code"] == "route.version_conflict"
    detail = await round_detail(api, p, p.round_of(window))
    assert (detail["round"]["route_version"], detail["round"]["expected"]) == (1, 4)
    first = await api.get(path, params={"version": 1}, headers=p.guard.headers)
    assert len(first.json()["checkpoints"]) == 4


async def test_a_route_takes_only_the_sites_active_tags(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    other = await patrol_school(api)
    path = f"/api/sites/{p.school.site_id}/patrol/routes"
    retired = await api.post(
        f"/api/tags/{p.tags[3]}/retire", json={"note": "坏了"}, headers=p.admin.headers
    )
    assert retired.status_code in (200, 201), retired.text
    cases = [
        ([{"tag": p.tags[0]}, {"tag": other.tags[0]}], "route.tag_unknown", "checkpoints[1].tag"),
        ([{"tag": p.tags[3]}], "route.tag_retired", "checkpoints[0].tag"),
        ([{"tag": p.tags[0]}, {"tag": p.tags[0]}], "route.tag_twice", "checkpoints[1].tag"),
        ([{"tag": "not a code!"}], "tag.invalid_code", "checkpoints[0].tag"),
        ([{"tag": p.tags[0], "checklist": "no_such"}], "route.unknown_template", None),
    ]
    for checkpoints, code, field in cases:
        answer = await api.post(
            path, json={"name": "路线", "checkpoints": checkpoints}, headers=p.admin.headers
        )
        assert answer.status_code in (400, 422), answer.text
        assert answer.json()["code"] == code
        if field:
            assert answer.json()["field"] == field
    refused = await api.post(
        path, json={"name": "路线", "checkpoints": [{"tag": p.tags[0]}]}, headers=p.guard.headers
    )
    assert refused.status_code == 403


async def test_a_supervisor_countersigns_and_closes_a_missed_round(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api, countersign=True)
    walked = "2026-11-20T07:30"
    ops = [p.start(walked, local(7, 35))]
    ops += [p.scan(walked, tag, local(7, 40 + 3 * i)) for i, tag in enumerate(p.tags)]
    ops.append(p.finish(walked, local(7, 55)))
    await p.phone.push_ok(ops)
    before = (await round_detail(api, p, p.round_of(walked)))["round"]
    assert before["needs_countersign"] is True

    sign = {
        "id": _uuid7(),
        "round_id": p.round_of(walked),
        "countersigned_at": local(9, 50).isoformat(),
        "note": "已核查",
    }
    signed = await api.post("/api/patrol/countersigns", json=sign, headers=p.manager.headers)
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["round"]["countersigned"] and not body["round"]["needs_countersign"]
    assert body["countersigns"][0]["text"] == "已核查"
    twice = await api.post("/api/patrol/countersigns", json=sign, headers=p.manager.headers)
    assert twice.status_code == 200 and len(twice.json()["countersigns"]) == 1
    by_guard = await api.post(
        "/api/patrol/countersigns", json=sign | {"id": _uuid7()}, headers=p.guard.headers
    )
    assert by_guard.status_code == 403

    set_now(monkeypatch, FRIDAY + timedelta(hours=8))
    missed = "2026-11-20T15:00"
    explain = {
        "id": _uuid7(),
        "round_id": p.round_of(missed),
        "schedule_id": p.schedule["id"],
        "window": missed,
        "explained_at": local(18, 5).isoformat(),
        "reason": "门卫临时送医，已安排补巡",
    }
    closed = await api.post("/api/patrol/explanations", json=explain, headers=p.manager.headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["round"]["state"] == "missed"
    assert closed.json()["round"]["closed"] is True
    assert closed.json()["explanations"][0]["text"].startswith("门卫")
    month = await api.get(
        f"/api/sites/{p.school.site_id}/patrol/month",
        params={"month": "2026-11"},
        headers=p.auditor.headers,
    )
    cells = next(d for d in month.json()["schedules"][0]["days"] if d["date"] == "2026-11-20")
    assert [(c["state"], c["closed"], c["countersigned"]) for c in cells["cells"]] == [
        ("completed", True, True),
        ("missed", False, False),
        ("missed", True, False),
    ]
    nowhere = explain | {"id": _uuid7(), "window": "2026-11-20T16:00"}
    nowhere["round_id"] = str(round_id_for(p.schedule["id"], "2026-11-20T16:00"))
    refused = await api.post("/api/patrol/explanations", json=nowhere, headers=p.manager.headers)
    assert refused.status_code == 422 and refused.json()["code"] == "round.unknown_window"


async def test_the_month_grid_the_people_and_the_checkpoints(api, monkeypatch):
    set_now(monkeypatch, FRIDAY + timedelta(hours=8))
    p = await patrol_school(api)
    window = "2026-11-20T09:30"
    ops = [p.start(window, local(9, 31))]
    ops += [p.scan(window, tag, local(9, 33 + 4 * i)) for i, tag in enumerate(p.tags)]
    ops.append(p.finish(window, local(9, 50)))
    await p.phone.push_ok(ops)
    site = p.school.site_id
    month = await api.get(
        f"/api/sites/{site}/patrol/month", params={"month": "2026-11"}, headers=p.auditor.headers
    )
    assert month.status_code == 200, month.text
    grid = month.json()["schedules"][0]
    assert grid["times"] == ["07:30", "09:30", "15:00"]
    assert len(grid["days"]) == 30
    friday = next(d for d in grid["days"] if d["date"] == "2026-11-20")
    assert [c["state"] for c in friday["cells"]] == ["missed", "completed", "missed"]
    person = await api.get(
        f"/api/sites/{site}/patrol/people/{p.guard.user_id}",
        params={"since": "2026-11-20", "until": "2026-11-20"},
        headers=p.manager.headers,
    )
    assert person.status_code == 200, person.text
    assert [r["state"] for r in person.json()["rounds"]] == ["missed", "completed", "missed"]
    people = await api.get(f"/api/sites/{site}/patrol/people", headers=p.auditor.headers)
    assert people.status_code == 200, people.text
    assert sorted(x["role"] for x in people.json()) == ["admin", "guard", "manager"]
    report = await api.get(
        f"/api/sites/{site}/patrol/checkpoints",
        params={"since": "2026-11-01", "until": "2026-11-20"},
        headers=p.manager.headers,
    )
    assert report.status_code == 200, report.text
    rows = {r["tag"]: r for r in report.json()["checkpoints"]}
    assert rows[p.tags[0]]["scans"] == 1 and rows[p.tags[0]]["shortest_gap_seconds"] is None
    assert rows[p.tags[1]]["shortest_gap_seconds"] == 240
    assert rows[p.tags[1]]["days_since_last_scan"] == 0
    wide = await api.get(
        f"/api/sites/{site}/patrol/checkpoints",
        params={"since": "2026-01-01", "until": "2026-11-20"},
        headers=p.manager.headers,
    )
    assert wide.status_code == 400 and wide.json()["field"] == "since"


async def test_phones_pull_routes_schedules_and_rounds(api, monkeypatch):
    set_now(monkeypatch, FRIDAY)
    p = await patrol_school(api)
    window = "2026-11-20T09:30"
    await p.phone.push_ok([p.start(window, local(9, 31)), p.scan(window, p.tags[0], local(9, 32))])
    pulled = await api.post(
        "/api/sync/pull",
        json={"protocol": 1, "app_version": "test", "device_id": str(p.phone.id), "cursors": {}},
        headers=p.guard.headers,
    )
    assert pulled.status_code == 200, pulled.text
    changes = [c for scope in pulled.json()["scopes"] for c in scope["changes"]]
    by_entity: dict[str, list] = {}
    for change in changes:
        by_entity.setdefault(change["entity"], []).append(change["data"])
    assert by_entity["patrol_route"][0]["checkpoints"][0]["tag"] == p.tags[0]
    assert by_entity["patrol_schedule"][0]["times"]["kind"] == "fixed"
    (walked,) = by_entity["patrol_round"]
    assert walked["scanned"] == [p.tags[0]] and walked["state"] == "in_progress"


def _uuid7() -> str:
    return str(uuid7())
