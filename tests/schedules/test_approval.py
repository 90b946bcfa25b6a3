"""A due list that tells the truth: a done check says whether it passed, an excusal says
why and by whom, excused work is counted apart from done and from overdue, and where a
site asks for it an inspector's excusal waits for a manager's approval."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from uuid_utils.compat import uuid7

from tests.factories import Person, make_person
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit
from tests.schedules.scheduling import FRIDAY, born, make_schedule, set_now
from tests.syncing.device import device_of
from tests.syncing.recorded import recorded
from tests.syncing.test_pull import entities, pull_all

MORNING = {"every": "daily", "windows": [{"start": "08:00", "end": "09:00"}]}
TODAY = "2026-11-20T08:00"
"""Friday's occurrence: its window closed at 09:00 in Shanghai, an hour before FRIDAY."""
ZERO = {
    "passed": 0,
    "failed": 0,
    "excused": 0,
    "awaiting_approval": 0,
    "due": 0,
    "upcoming": 0,
    "overdue": 0,
}


async def due_list(api, person: Person, site_id: uuid.UUID, **params: Any) -> dict[str, Any]:
    response = await api.get(
        "/api/due", params={"site_id": str(site_id), **params}, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def a_morning_check(api, monkeypatch):
    """An extinguisher checked every morning 08:00-09:00 since Wednesday, read on Friday at
    10:00."""
    set_now(monkeypatch, FRIDAY - timedelta(days=2))
    school, admin, inspector, asset = await extinguisher_school()
    await born(FRIDAY - timedelta(days=10), assets=(asset,))
    schedule = await make_schedule(api, admin, school.site_id, MORNING)
    set_now(monkeypatch, FRIDAY)
    return school, admin, inspector, asset, schedule


def excusal_of(schedule, asset, reason: str = "灭火器送检，明日归还") -> dict[str, Any]:
    return {
        "id": str(uuid7()),
        "schedule_id": schedule["id"],
        "occurrence_key": TODAY,
        "asset_id": str(asset),
        "reason": reason,
    }


def decision_of(excusal_id: str, decision: str = "approve", note: str = "") -> dict[str, Any]:
    return {
        "id": str(uuid7()),
        "excusal_id": excusal_id,
        "decision": decision,
        "note": note,
        "decided_at": (FRIDAY - timedelta(minutes=1)).isoformat(),
    }


async def excuse(api, person: Person, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await api.post("/api/occurrences/excusals", json=body, headers=person.headers)
    assert response.status_code == status, response.text
    return response.json()


async def decide(api, person: Person, body: dict[str, Any]):
    return await api.post("/api/occurrences/excusals/decisions", json=body, headers=person.headers)


async def require_approval(api, person: Person, site_id: uuid.UUID, required: bool = True):
    return await api.put(
        f"/api/sites/{site_id}/excusal-policy",
        json={"approval_required": required},
        headers=person.headers,
    )


async def test_a_failed_check_is_done_but_failed_and_counted_apart_from_passed(api, monkeypatch):
    school, admin, inspector, asset, _ = await a_morning_check(api, monkeypatch)
    failed = submission(
        asset=asset,
        answers=extinguisher_answers(gauge_zone="red"),
        completed_at=datetime(2026, 11, 20, 0, 30, tzinfo=UTC),
    )
    assert (await submit(api, inspector, failed)).status_code == 201
    listed = await due_list(api, admin, school.site_id)
    [entry] = listed["items"]
    assert (entry["status"], entry["result"]) == ("done", "fail")
    assert listed["counts"] == {**ZERO, "failed": 1}

    # Corrected to a pass, it stands as passed.
    correction = submission(
        asset=asset,
        completed_at=datetime(2026, 11, 20, 1, 50, tzinfo=UTC),
        supersedes=failed["id"],
    )
    response = await submit(api, inspector, correction)
    assert response.status_code == 201, response.text
    listed = await due_list(api, admin, school.site_id)
    assert (listed["items"][0]["status"], listed["items"][0]["result"]) == ("done", "pass")
    assert listed["counts"] == {**ZERO, "passed": 1}


async def test_a_check_failed_then_passed_in_its_window_stands_as_passed(api, monkeypatch):
    school, admin, inspector, asset, _ = await a_morning_check(api, monkeypatch)
    for at, answers in (
        (datetime(2026, 11, 20, 0, 10, tzinfo=UTC), extinguisher_answers(hose="fail")),
        (datetime(2026, 11, 20, 0, 40, tzinfo=UTC), extinguisher_answers()),
    ):
        body = submission(asset=asset, answers=answers, completed_at=at)
        assert (await submit(api, inspector, body)).status_code == 201
    [entry] = (await due_list(api, admin, school.site_id))["items"]
    assert (entry["status"], entry["result"]) == ("done", "pass")
    # One done late fails: the late one says how it came out.
    week = await due_list(api, admin, school.site_id, scope="week")
    yesterday = next(i for i in week["items"] if i["occurrence"]["key"] == "2026-11-19T08:00")
    assert (yesterday["status"], yesterday["result"]) == ("overdue", None)
    late = submission(
        asset=asset,
        answers=extinguisher_answers(gauge_zone="red"),
        completed_at=datetime(2026, 11, 19, 3, 0, tzinfo=UTC),
    )
    assert (await submit(api, inspector, late)).status_code == 201
    week = await due_list(api, admin, school.site_id, scope="week")
    yesterday = next(i for i in week["items"] if i["occurrence"]["key"] == "2026-11-19T08:00")
    assert (yesterday["status"], yesterday["result"]) == ("done_late", "fail")


async def test_an_excusal_shows_its_reason_and_person_and_counts_as_excused_not_done(
    api, monkeypatch
):
    school, admin, inspector, asset, schedule = await a_morning_check(api, monkeypatch)
    before = await due_list(api, admin, school.site_id, scope="overdue")
    assert before["counts"] == {**ZERO, "overdue": 3}
    body = excusal_of(schedule, asset)
    stored = await excuse(api, inspector, body)
    assert stored["state"] == "accepted"
    listed = await due_list(api, admin, school.site_id)
    [entry] = listed["items"]
    assert entry["status"] == "excused" and entry["result"] is None
    assert entry["excusal"] == {
        "id": body["id"],
        "reason": "灭火器送检，明日归还",
        "excused_by": {"id": str(inspector.user_id), "name": "测试inspector"},
        "excused_at": "2026-11-20T02:00:00Z",
        "state": "accepted",
        "decided_by": None,
        "decided_at": None,
        "decision_note": "",
    }
    assert listed["counts"] == {**ZERO, "excused": 1}
    overdue = await due_list(api, admin, school.site_id, scope="overdue")
    assert TODAY not in [i["occurrence"]["key"] for i in overdue["items"]]
    assert overdue["counts"] == {**ZERO, "overdue": 2}


async def test_where_approval_is_required_an_inspectors_excusal_stays_overdue_until_approved(
    api, monkeypatch
):
    school, _, inspector, asset, schedule = await a_morning_check(api, monkeypatch)
    manager = await make_person(school, "manager")
    refused = await require_approval(api, inspector, school.site_id)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.forbidden")
    policy = await require_approval(api, manager, school.site_id)
    assert policy.status_code == 200, policy.text
    assert policy.json()["approval_required"] is True and policy.json()["version"] == 1

    body = excusal_of(schedule, asset)
    assert (await excuse(api, inspector, body))["state"] == "pending"
    overdue = await due_list(api, manager, school.site_id)
    [entry] = overdue["items"]
    assert entry["status"] == "overdue"
    assert entry["excusal"]["state"] == "pending"
    assert entry["excusal"]["reason"] == "灭火器送检，明日归还"
    assert overdue["counts"] == {**ZERO, "overdue": 1, "awaiting_approval": 1}

    approval = decision_of(body["id"], note="同意，送检单已见")
    decided = await decide(api, manager, approval)
    assert decided.status_code == 201, decided.text
    assert decided.json()["state"] == "approved"
    assert decided.json()["decided_by"] == str(manager.user_id)
    listed = await due_list(api, manager, school.site_id)
    [entry] = listed["items"]
    assert entry["status"] == "excused"
    assert entry["excusal"]["state"] == "approved"
    assert entry["excusal"]["decided_by"]["name"] == "测试manager"
    assert entry["excusal"]["decision_note"] == "同意，送检单已见"
    assert listed["counts"] == {**ZERO, "excused": 1}


async def test_a_rejected_excusal_returns_the_work_to_overdue_and_may_be_excused_anew(
    api, monkeypatch
):
    school, admin, inspector, asset, schedule = await a_morning_check(api, monkeypatch)
    assert (await require_approval(api, admin, school.site_id)).status_code == 200
    first = excusal_of(schedule, asset, reason="没空")
    await excuse(api, inspector, first)
    rejected = await decide(api, admin, decision_of(first["id"], "reject", "今天必须检查"))
    assert rejected.status_code == 201 and rejected.json()["state"] == "rejected"
    [entry] = (await due_list(api, admin, school.site_id))["items"]
    assert entry["status"] == "overdue"
    assert (entry["excusal"]["state"], entry["excusal"]["decision_note"]) == (
        "rejected",
        "今天必须检查",
    )
    # A new excusal waits again; the rejected one no longer stands for the occurrence.
    second = excusal_of(schedule, asset, reason="灭火器已送检")
    await excuse(api, inspector, second)
    listed = await due_list(api, admin, school.site_id)
    assert listed["items"][0]["excusal"]["id"] == second["id"]
    assert listed["counts"] == {**ZERO, "overdue": 1, "awaiting_approval": 1}


async def test_a_managers_own_excusal_stands_where_approval_is_required(api, monkeypatch):
    school, admin, _, asset, schedule = await a_morning_check(api, monkeypatch)
    assert (await require_approval(api, admin, school.site_id)).status_code == 200
    assert (await excuse(api, admin, excusal_of(schedule, asset)))["state"] == "accepted"
    listed = await due_list(api, admin, school.site_id)
    assert listed["items"][0]["status"] == "excused"


async def test_a_decision_is_taken_once_and_only_from_a_manager(api, monkeypatch):
    school, admin, inspector, asset, schedule = await a_morning_check(api, monkeypatch)
    body = excusal_of(schedule, asset)
    await excuse(api, inspector, body)
    # Where approval is not asked for, a manager may still reject an excusal afterwards.
    forbidden = await decide(api, inspector, decision_of(body["id"]))
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "auth.forbidden")
    rejection = decision_of(body["id"], "reject")
    first = await decide(api, admin, rejection)
    assert (first.status_code, first.json()["state"]) == (201, "rejected")
    again = await decide(api, admin, rejection)
    assert (again.status_code, again.json()) == (200, first.json())
    other = await decide(api, admin, {**rejection, "note": "改了"})
    assert (other.status_code, other.json()["code"]) == (409, "excusal.conflict")
    second = await decide(api, admin, decision_of(body["id"]))
    assert (second.status_code, second.json()["code"]) == (409, "excusal.already_decided")
    assert second.json()["field"] == "excusal_id"
    stranger = await decide(api, admin, decision_of(str(uuid7())))
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")
    future = decision_of(body["id"])
    future["decided_at"] = (FRIDAY + timedelta(hours=1)).isoformat()
    late = await decide(api, admin, future)
    assert (late.status_code, late.json()["code"]) == (422, "excusal.decided_in_future")
    bad_id = await decide(api, admin, {**decision_of(body["id"]), "id": str(uuid.uuid4())})
    assert (bad_id.status_code, bad_id.json()["code"]) == (400, "excusal.id_not_uuid7")
    [entry] = (await due_list(api, admin, school.site_id))["items"]
    assert entry["status"] == "overdue" and entry["excusal"]["state"] == "rejected"
    # Devices are sent the excusal again, decided, as its version 2.
    changes = await recorded("excusal", scope=school.site_id)
    assert [(c.id, c.version) for c in changes] == [(body["id"], 1), (body["id"], 2)]


async def test_a_decision_made_offline_arrives_by_sync_once(api, monkeypatch):
    school, admin, inspector, asset, schedule = await a_morning_check(api, monkeypatch)
    assert (await require_approval(api, admin, school.site_id)).status_code == 200
    body = excusal_of(schedule, asset)
    await excuse(api, inspector, body)
    approval = decision_of(body["id"])
    device = await device_of(api, admin)
    answer = await device.push_ok(
        [
            device.op(approval, type="excusal.decided"),
            device.op(approval, type="excusal.decided"),
            device.op(decision_of(body["id"], "reject"), type="excusal.decided"),
        ]
    )
    results = answer["results"]
    assert [r["status"] for r in results] == ["applied", "duplicate", "conflict"]
    assert results[2]["code"] == "excusal.already_decided"
    assert results[2]["current"]["state"] == "approved"
    inspector_device = await device_of(api, inspector)
    refused = await inspector_device.push_ok(
        [inspector_device.op(decision_of(body["id"]), type="excusal.decided")]
    )
    assert refused["results"][0]["code"] == "auth.forbidden"
    [entry] = (await due_list(api, admin, school.site_id))["items"]
    assert entry["status"] == "excused"


async def test_a_device_pulls_the_sites_rule_and_the_excusals_decided(api, monkeypatch):
    school, admin, inspector, asset, schedule = await a_morning_check(api, monkeypatch)
    unset = await api.get(f"/api/sites/{school.site_id}/excusal-policy", headers=inspector.headers)
    assert unset.json() == {
        "site_id": str(school.site_id),
        "approval_required": False,
        "version": 0,
        "updated_at": None,
    }
    assert (await require_approval(api, admin, school.site_id)).status_code == 200
    unchanged = await require_approval(api, admin, school.site_id)
    assert unchanged.json()["version"] == 1
    body = excusal_of(schedule, asset)
    await excuse(api, inspector, body)
    assert (await decide(api, admin, decision_of(body["id"]))).status_code == 201
    seen, _, _ = await pull_all(api, inspector)
    held = entities(seen[str(school.site_id)])
    assert held[("excusal_policy", str(school.site_id))]["data"] == {
        "site_id": str(school.site_id),
        "approval_required": True,
    }
    excusal = held[("excusal", body["id"])]
    assert excusal["version"] == 2
    assert excusal["data"]["state"] == "approved"
    assert excusal["data"]["decided_by"] == str(admin.user_id)
