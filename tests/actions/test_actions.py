"""Corrective actions: raised from findings and reports, owned, due, stepped through their
states on the web and through sync, verified by the requester or a passing re-check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from uuid_utils.compat import uuid7

from server.actions.tables import ActionEvent, CorrectiveAction
from tests.factories import make_location, make_person
from tests.inspections.helpers import (
    extinguisher_answers,
    extinguisher_school,
    photo,
    submission,
    submit,
)
from tests.syncing.device import device_of


async def failing_inspection(api, inspector, asset, **answers):
    body = submission(asset=asset, answers=extinguisher_answers(**(answers or {"hose": "fail"})))
    response = await submit(api, inspector, body)
    assert response.status_code == 201, response.text
    return body


async def only_action(api, person) -> dict:
    listing = (await api.get("/api/actions", headers=person.headers)).json()["items"]
    assert len(listing) == 1, listing
    return listing[0]


async def step(api, person, action: dict, transition: str, base: int | None = None, **extra):
    body = {
        "id": str(uuid7()),
        "action_id": action["id"],
        "transition": transition,
        "base_version": base or action["version"],
        **extra,
    }
    return await api.post(
        f"/api/actions/{action['id']}/transitions", json=body, headers=person.headers
    )


async def test_a_failed_item_raises_an_action_owned_by_the_keeper_and_due_by_the_service_level(
    api,
):
    school, admin, inspector, asset = await extinguisher_school()
    keeper = await make_person(school, "maintainer")
    await api.patch(
        f"/api/assets/{asset}", json={"keeper_id": str(keeper.user_id)}, headers=admin.headers
    )
    await failing_inspection(api, inspector, asset, gauge_zone="red")
    action = await only_action(api, admin)
    assert action["source"] == "finding"
    assert action["owner_id"] == str(keeper.user_id)
    assert action["requester_id"] == str(inspector.user_id)
    assert action["priority"] == "high"
    assert action["size"] == "small"
    assert action["title"] == "压力表指针所在区域"
    assert action["title_en"] == "Pressure gauge needle zone"
    assert action["state"] == "open"
    raised = datetime.fromisoformat(action["raised_at"])
    due = datetime.fromisoformat(action["due_at"])
    assert raised < due <= raised + timedelta(days=4)


async def test_without_a_keeper_the_sites_maintainer_owns_it(api):
    school, admin, inspector, asset = await extinguisher_school()
    maintainer = await make_person(school, "maintainer")
    await failing_inspection(api, inspector, asset)
    action = await only_action(api, admin)
    assert action["owner_id"] == str(maintainer.user_id)
    assert action["priority"] == "normal" and action["size"] == "large"


async def test_the_whole_life_of_an_action_is_kept_as_history(api):
    school, admin, inspector, asset = await extinguisher_school()
    maintainer = await make_person(school, "maintainer")
    await failing_inspection(api, inspector, asset)
    action = await only_action(api, admin)
    started = await step(api, maintainer, action, "start")
    assert started.status_code == 200, started.text
    action = started.json()["action"]
    assert action["state"] == "in_progress" and action["version"] == 2
    fixed = await step(
        api, maintainer, action, "fix", note="更换了喷管", photos=[photo("new hose")]
    )
    action = fixed.json()["action"]
    assert action["state"] == "fixed"
    verified = await step(api, inspector, action, "verify", note="已复查")
    action = verified.json()["action"]
    assert action["state"] == "verified" and action["closed_at"] is not None
    detail = (await api.get(f"/api/actions/{action['id']}", headers=admin.headers)).json()
    assert [(e["kind"], e["from_state"], e["to_state"]) for e in detail["history"]] == [
        ("created", "", "open"),
        ("start", "open", "in_progress"),
        ("fix", "in_progress", "fixed"),
        ("verify", "fixed", "verified"),
    ]
    fix = detail["history"][2]
    assert fix["note"] == "更换了喷管" and fix["photos"] == [photo("new hose")]
    assert fix["by"]["id"] == str(maintainer.user_id)
    reopened = await step(api, inspector, action, "reopen", reason="喷管仍有裂纹")
    assert reopened.json()["action"]["state"] == "open"
    assert reopened.json()["action"]["closed_at"] is None


async def test_illegal_steps_are_conflicts_with_the_current_state_and_change_nothing(api):
    _, admin, inspector, asset = await extinguisher_school()
    await failing_inspection(api, inspector, asset)
    action = await only_action(api, admin)
    for transition in ("verify", "reopen"):
        refused = await step(api, admin, action, transition, reason="?")
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "action.conflict"
    assert await ActionEvent.count() == 1
    row = await CorrectiveAction.select().first()
    assert (row["state"], row["version"]) == ("open", 1)


async def test_who_may_do_what(api):
    school, admin, inspector, asset = await extinguisher_school()
    await failing_inspection(api, inspector, asset)
    action = await only_action(api, admin)
    bystander = await make_person(school, "guard")
    assert (await step(api, bystander, action, "start")).status_code == 403
    assert (await step(api, inspector, action, "cancel", reason="重复")).status_code == 403
    no_reason = await step(api, admin, action, "cancel")
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "action.reason_required")
    cancelled = await step(api, admin, action, "cancel", reason="重复报修")
    assert cancelled.json()["action"]["state"] == "cancelled"


async def test_a_manager_reassigns_an_action(api):
    school, admin, inspector, asset = await extinguisher_school()
    await failing_inspection(api, inspector, asset)
    action = await only_action(api, admin)
    other = await make_person(school, "maintainer")
    assigned = await step(api, admin, action, "assign", owner_id=str(other.user_id))
    assert assigned.json()["action"]["owner_id"] == str(other.user_id)
    mine = await api.get("/api/actions", params={"mine": "true"}, headers=other.headers)
    assert [a["id"] for a in mine.json()["items"]] == [action["id"]]


async def test_a_later_passing_inspection_verifies_the_action(api):
    _, admin, inspector, asset = await extinguisher_school()
    await failing_inspection(api, inspector, asset)
    action = await only_action(api, admin)
    passed = submission(asset=asset)
    await submit(api, inspector, passed)
    detail = (await api.get(f"/api/actions/{action['id']}", headers=admin.headers)).json()
    assert detail["state"] == "verified"
    assert detail["history"][-1]["kind"] == "rechecked"
    assert detail["history"][-1]["inspection_id"] == passed["id"]


async def test_a_corrected_inspection_cancels_the_actions_of_its_withdrawn_findings(api):
    _, admin, inspector, asset = await extinguisher_school()
    wrong = await failing_inspection(api, inspector, asset)
    await submit(api, inspector, submission(asset=asset, supersedes=wrong["id"]))
    action = await only_action(api, admin)
    assert action["state"] == "cancelled"


async def test_through_sync_a_stale_legal_step_is_parallel_and_an_illegal_one_a_conflict(api):
    school, admin, inspector, asset = await extinguisher_school()
    fixer_a = await make_person(school, "maintainer")
    fixer_b = await make_person(school, "maintainer")
    await failing_inspection(api, inspector, asset)
    action = await only_action(api, admin)
    phone_a, phone_b = await device_of(api, fixer_a), await device_of(api, fixer_b)

    def body(transition: str, base: int, **extra) -> dict:
        return {
            "id": str(uuid7()),
            "action_id": action["id"],
            "transition": transition,
            "base_version": base,
            **extra,
        }

    # Both saw version 1 offline; A fixes first, then B's fix arrives: still legal from
    # "fixed"? No: fix is legal only from open or in_progress, so B's start is stale but
    # legal only if the action is still open or in progress.
    first = await phone_a.push_ok([phone_a.op(body("start", 1), type="action.transitioned")])
    assert first["results"][0]["status"] == "applied"
    assert first["results"][0].get("parallel") is not True
    stale_legal = await phone_b.push_ok(
        [phone_b.op(body("fix", 1, note="我也修了"), type="action.transitioned")]
    )
    result = stale_legal["results"][0]
    assert (result["status"], result["parallel"]) == ("applied", True)
    stale_illegal = await phone_a.push_ok(
        [phone_a.op(body("start", 2), type="action.transitioned")]
    )
    conflict = stale_illegal["results"][0]
    assert (conflict["status"], conflict["code"]) == ("conflict", "action.conflict")
    assert conflict["current"]["state"] == "fixed"
    assert conflict["current"]["version"] == 3
    detail = (await api.get(f"/api/actions/{action['id']}", headers=admin.headers)).json()
    assert [e["parallel"] for e in detail["history"]] == [False, False, True]


async def test_a_hazard_report_raises_an_action_the_reporter_signs_off(api):
    school, admin, _, _ = await extinguisher_school()
    guard = await make_person(school, "guard")
    maintainer = await make_person(school, "maintainer")
    corridor = await make_location(admin, school, "二楼走廊", kind="corridor")
    report = {
        "id": str(uuid7()),
        "kind": "hazard",
        "location_id": str(corridor),
        "description": "走廊灯管松动，有掉落风险",
        "photos": [photo("lamp")],
        "reported_at": datetime.now(UTC).isoformat(),
    }
    created = await api.post("/api/reports", json=report, headers=guard.headers)
    assert created.status_code == 201, created.text
    action = created.json()
    assert (action["source"], action["priority"], action["requester_id"]) == (
        "hazard",
        "high",
        str(guard.user_id),
    )
    assert action["owner_id"] == str(maintainer.user_id)
    again = await api.post("/api/reports", json=report, headers=guard.headers)
    assert (again.status_code, again.json()["id"]) == (200, action["id"])
    changed = await api.post(
        "/api/reports", json=dict(report, description="改了"), headers=guard.headers
    )
    assert (changed.status_code, changed.json()["code"]) == (409, "report.conflict")
    fixed = await step(api, maintainer, action, "fix", note="已紧固")
    signed = await step(api, guard, fixed.json()["action"], "verify")
    assert signed.json()["action"]["state"] == "verified"


async def test_a_repair_request_made_offline_arrives_through_sync(api):
    _, admin, inspector, asset = await extinguisher_school()
    phone = await device_of(api, inspector)
    report = {
        "id": str(uuid7()),
        "kind": "repair",
        "asset_id": str(asset),
        "description": "箱门合页坏了",
        "size": "large",
        "reported_at": datetime.now(UTC).isoformat(),
    }
    answer = await phone.push_ok([phone.op(report, type="hazard.reported")])
    assert answer["results"][0]["status"] == "applied"
    action = await only_action(api, admin)
    assert (action["source"], action["size"], action["report_id"]) == (
        "repair",
        "large",
        report["id"],
    )


async def test_lists_by_state_overdue_and_age(api):
    school, admin, inspector, asset = await extinguisher_school()
    old = submission(
        asset=asset,
        answers=extinguisher_answers(hose="fail"),
        completed_at=datetime.now(UTC) - timedelta(days=10),
    )
    await submit(api, inspector, old)
    await failing_inspection(api, inspector, asset, hose="fail", body="fail")
    params = {"site_id": str(school.site_id)}
    everything = (await api.get("/api/actions", params=params, headers=admin.headers)).json()
    assert len(everything["items"]) == 3
    overdue = await api.get(
        "/api/actions", params=params | {"overdue": "true"}, headers=admin.headers
    )
    assert [a["title_en"] for a in overdue.json()["items"]] == ["Hose not cracked or blocked"]
    oldest = await api.get(
        "/api/actions", params=params | {"oldest_first": "true"}, headers=admin.headers
    )
    assert oldest.json()["items"][0]["title_en"] == "Hose not cracked or blocked"
    opened = await api.get(
        "/api/actions", params=params | {"state": "fixed"}, headers=admin.headers
    )
    assert opened.json()["items"] == []


async def test_a_site_sets_its_own_service_levels(api):
    school, admin, _, _ = await extinguisher_school()
    path = f"/api/sites/{school.site_id}/service-levels"
    levels = {lv["size"]: lv for lv in (await api.get(path, headers=admin.headers)).json()}
    assert levels["large"]["extra_days"] == 1 and levels["large"]["default"] is True
    changed = await api.put(f"{path}/large", json={"extra_days": 2}, headers=admin.headers)
    assert changed.status_code == 200, changed.text
    assert {lv["size"]: lv["extra_days"] for lv in changed.json()}["large"] == 2


async def test_every_step_from_every_state_through_the_api(api):
    """The state machine as the database keeps it: each transition tried from each state
    by a manager who is also the requester (so only legality decides)."""
    from server.actions.rules import MOVES, next_state

    school, admin, _, asset = await extinguisher_school()
    other = await make_person(school, "maintainer")
    await failing_inspection(api, admin, asset)
    action = await only_action(api, admin)
    for state in ("open", "in_progress", "fixed", "verified", "cancelled"):
        for transition in MOVES:
            await CorrectiveAction.update(
                {CorrectiveAction.state: state, CorrectiveAction.version: 1}
            ).where(CorrectiveAction.id == action["id"])
            response = await step(
                api,
                admin,
                dict(action, version=1),
                transition,
                reason="复查",
                owner_id=str(other.user_id),
            )
            expected = next_state(state, transition)
            if expected is None:
                assert response.status_code == 409, (state, transition, response.text)
                assert response.json()["code"] == "action.conflict"
                assert response.json()["field"] == "transition"
            else:
                assert response.status_code == 200, (state, transition, response.text)
                assert response.json()["action"]["state"] == expected
                assert response.json()["action"]["version"] == 2
