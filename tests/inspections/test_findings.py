from __future__ import annotations

from datetime import UTC, datetime, timedelta

from uuid_utils.compat import uuid7

from tests.factories import make_asset, make_person
from tests.inspections.helpers import (
    extinguisher_answers,
    extinguisher_school,
    submission,
    submit,
)
from tests.syncing.device import device_of
from tests.syncing.recorded import position, recorded

DAY = timedelta(days=1)


def days_ago(n: float) -> datetime:
    return datetime.now(UTC) - n * DAY


async def findings_of(api, person, **params):
    response = await api.get("/api/findings", params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_later_pass_of_the_item_rechecks_the_open_finding(api):
    _, _, inspector, asset = await extinguisher_school()
    failed = submission(
        asset=asset, answers=extinguisher_answers(hose="fail"), completed_at=days_ago(3)
    )
    finding = (await submit(api, inspector, failed)).json()["findings"][0]
    # Another item failing later leaves the hose finding open.
    other = submission(
        asset=asset, answers=extinguisher_answers(hose="na", body="fail"), completed_at=days_ago(2)
    )
    await submit(api, inspector, other)
    assert (await findings_of(api, inspector, status="open"))[-1]["id"] == finding["id"]
    passed = submission(asset=asset, completed_at=days_ago(1))
    await submit(api, inspector, passed)
    rechecked = (await api.get(f"/api/findings/{finding['id']}", headers=inspector.headers)).json()
    assert rechecked["status"] == "rechecked"
    assert rechecked["rechecked_by"] == passed["id"]
    assert rechecked["version"] == 2
    body_finding = next(f for f in await findings_of(api, inspector) if f["item_key"] == "body")
    assert body_finding["status"] == "rechecked"


async def test_a_failure_that_syncs_after_a_later_pass_arrives_already_rechecked(api):
    _, _, inspector, asset = await extinguisher_school()
    passed = submission(asset=asset, completed_at=days_ago(1))
    await submit(api, inspector, passed)
    late = submission(
        asset=asset, answers=extinguisher_answers(hose="fail"), completed_at=days_ago(2)
    )
    finding = (await submit(api, inspector, late)).json()["findings"][0]
    assert finding["status"] == "rechecked"
    assert finding["rechecked_by"] == passed["id"]


async def test_a_pass_made_before_a_failure_does_not_recheck_it(api):
    _, _, inspector, asset = await extinguisher_school()
    failed = submission(
        asset=asset, answers=extinguisher_answers(hose="fail"), completed_at=days_ago(1)
    )
    await submit(api, inspector, failed)
    earlier_pass = submission(asset=asset, completed_at=days_ago(2))
    await submit(api, inspector, earlier_pass)
    assert [f["status"] for f in await findings_of(api, inspector)] == ["open"]


async def test_a_pass_on_another_asset_rechecks_nothing(api):
    school, admin, inspector, asset = await extinguisher_school()
    other = await make_asset(admin, school, asset_number="MHQ-002")
    await submit(
        api,
        inspector,
        submission(
            asset=asset, answers=extinguisher_answers(hose="fail"), completed_at=days_ago(2)
        ),
    )
    await submit(api, inspector, submission(asset=other, completed_at=days_ago(1)))
    assert [f["status"] for f in await findings_of(api, inspector)] == ["open"]


async def test_a_correction_supersedes_and_withdraws_the_open_findings_of_the_first(api):
    school, _, inspector, asset = await extinguisher_school()
    wrong = submission(asset=asset, answers=extinguisher_answers(hose="fail"))
    await submit(api, inspector, wrong)
    correction = submission(asset=asset, supersedes=wrong["id"])
    response = await submit(api, inspector, correction)
    assert response.status_code == 201, response.text
    assert response.json()["supersedes"] == wrong["id"]
    first = (await api.get(f"/api/inspections/{wrong['id']}", headers=inspector.headers)).json()
    assert first["superseded_by"] == correction["id"]
    assert [f["status"] for f in first["findings"]] == ["withdrawn"]
    current = await api.get(
        "/api/inspections",
        params={"site_id": str(school.site_id), "current_only": "true"},
        headers=inspector.headers,
    )
    assert [i["id"] for i in current.json()["items"]] == [correction["id"]]
    again = await submit(api, inspector, submission(asset=asset, supersedes=wrong["id"]))
    assert (again.status_code, again.json()["code"]) == (409, "inspection.already_superseded")


async def test_only_the_inspector_or_a_manager_corrects_an_inspection(api):
    school, _, inspector, asset = await extinguisher_school()
    first = submission(asset=asset)
    await submit(api, inspector, first)
    colleague = await make_person(school, "inspector")
    refused = await submit(api, colleague, submission(asset=asset, supersedes=first["id"]))
    assert refused.status_code == 403
    manager = await make_person(school, "manager")
    accepted = await submit(api, manager, submission(asset=asset, supersedes=first["id"]))
    assert accepted.status_code == 201


async def test_a_correction_must_be_of_the_same_thing_with_the_same_checklist(api):
    school, admin, inspector, asset = await extinguisher_school()
    other = await make_asset(admin, school, asset_number="MHQ-009")
    first = submission(asset=asset)
    await submit(api, inspector, first)
    response = await submit(api, inspector, submission(asset=other, supersedes=first["id"]))
    assert (response.status_code, response.json()["code"]) == (
        422,
        "inspection.supersedes_mismatch",
    )
    unknown = await submit(
        api, inspector, submission(asset=asset, supersedes="0190a000-0000-7000-8000-000000000000")
    )
    assert (unknown.status_code, unknown.json()["field"]) == (404, "supersedes")


async def test_findings_filter_by_site_status_severity_and_place(api):
    school, _, inspector, asset = await extinguisher_school()
    answers = extinguisher_answers(gauge_zone="yellow", hose="fail")
    await submit(api, inspector, submission(asset=asset, answers=answers))
    high = await findings_of(api, inspector, severity="high", site_id=str(school.site_id))
    assert [f["item_key"] for f in high] == ["gauge_zone"]
    assert len(await findings_of(api, inspector, status="open", asset_id=str(asset))) == 2
    assert await findings_of(api, inspector, status="rechecked") == []


# --- a finding and its corrective action: one life ------------------------------------


async def finding_and_action(api, admin, inspector, asset):
    failed = submission(asset=asset, answers=extinguisher_answers(gauge_zone="red"))
    finding = (await submit(api, inspector, failed)).json()["findings"][0]
    actions = (await api.get("/api/actions", headers=admin.headers)).json()["items"]
    assert [a["finding_id"] for a in actions] == [finding["id"]]
    return finding, actions[0]


def step_body(action: dict, transition: str, **extra) -> dict:
    return {
        "id": str(uuid7()),
        "action_id": action["id"],
        "transition": transition,
        "base_version": action["version"],
        **extra,
    }


async def step(api, person, body: dict) -> dict:
    response = await api.post(
        f"/api/actions/{body['action_id']}/transitions", json=body, headers=person.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["action"]


async def finding_now(api, person, finding: dict) -> dict:
    return (await api.get(f"/api/findings/{finding['id']}", headers=person.headers)).json()


async def test_signing_off_the_action_resolves_its_finding_in_the_same_change(api):
    school, admin, inspector, asset = await extinguisher_school()
    maintainer = await make_person(school, "maintainer")
    finding, action = await finding_and_action(api, admin, inspector, asset)
    action = await step(api, maintainer, step_body(action, "fix", note="换了灭火器"))
    assert (await finding_now(api, inspector, finding))["status"] == "open"
    before = await position()
    action = await step(api, inspector, step_body(action, "verify"))
    resolved = await finding_now(api, inspector, finding)
    assert resolved["status"] == "resolved"
    assert resolved["resolved_by"] == action["id"]
    assert resolved["resolved_at"] == action["closed_at"]
    assert resolved["version"] == 2
    # Devices pull the finding's change with the action's, under the step's one position.
    changes = [c for c in await recorded() if c.position > before]
    both = [c for c in changes if c.entity in ("action", "finding")]
    assert {(c.entity, c.version) for c in both} == {("action", 3), ("finding", 2)}
    assert {c.position for c in changes} == {before + 1}
    assert next(c for c in both if c.entity == "finding").data == resolved
    assert await findings_of(api, inspector, status="open") == []
    assert [f["id"] for f in await findings_of(api, inspector, status="resolved")] == [
        finding["id"]
    ]


async def test_a_reopened_action_opens_its_finding_again(api):
    school, admin, inspector, asset = await extinguisher_school()
    maintainer = await make_person(school, "maintainer")
    finding, action = await finding_and_action(api, admin, inspector, asset)
    action = await step(api, maintainer, step_body(action, "fix"))
    action = await step(api, admin, step_body(action, "verify"))
    await step(api, inspector, step_body(action, "reopen", reason="压力表仍在红区"))
    reopened = await finding_now(api, inspector, finding)
    assert (reopened["status"], reopened["version"]) == ("open", 3)
    assert (reopened["resolved_by"], reopened["resolved_at"]) == (None, None)
    assert (await recorded("finding"))[-1].data == reopened


async def test_a_sign_off_arriving_twice_resolves_the_finding_once(api):
    school, admin, inspector, asset = await extinguisher_school()
    maintainer = await make_person(school, "maintainer")
    finding, action = await finding_and_action(api, admin, inspector, asset)
    action = await step(api, maintainer, step_body(action, "fix"))
    phone = await device_of(api, inspector)
    verify = step_body(action, "verify")
    sent = await phone.push_ok([phone.op(verify, type="action.transitioned")])
    assert sent["results"][0]["status"] == "applied"
    # Sent again by the phone under a new op, and once more from the web.
    again = await phone.push_ok([phone.op(verify, type="action.transitioned")])
    assert again["results"][0]["status"] == "duplicate"
    await step(api, inspector, verify)
    resolved = await finding_now(api, inspector, finding)
    assert (resolved["status"], resolved["version"]) == ("resolved", 2)
    assert [c.version for c in await recorded("finding")] == [1, 2]


async def test_reopening_an_action_a_recheck_verified_opens_the_finding_until_the_next_pass(api):
    _, admin, inspector, asset = await extinguisher_school()
    failed = submission(
        asset=asset, answers=extinguisher_answers(hose="fail"), completed_at=days_ago(2)
    )
    finding = (await submit(api, inspector, failed)).json()["findings"][0]
    await submit(api, inspector, submission(asset=asset, completed_at=days_ago(1)))
    assert (await finding_now(api, inspector, finding))["status"] == "rechecked"
    action = (await api.get("/api/actions", headers=admin.headers)).json()["items"][0]
    assert action["state"] == "verified"
    await step(api, admin, step_body(action, "reopen", reason="复查时看错了"))
    reopened = await finding_now(api, inspector, finding)
    assert (reopened["status"], reopened["rechecked_by"]) == ("open", None)
    passed = submission(asset=asset)
    await submit(api, inspector, passed)
    rechecked = await finding_now(api, inspector, finding)
    assert (rechecked["status"], rechecked["rechecked_by"]) == ("rechecked", passed["id"])
    action = (await api.get(f"/api/actions/{action['id']}", headers=admin.headers)).json()
    assert action["state"] == "verified"


async def test_a_cancelled_action_leaves_its_finding_open(api):
    _, admin, inspector, asset = await extinguisher_school()
    finding, action = await finding_and_action(api, admin, inspector, asset)
    await step(api, admin, step_body(action, "cancel", reason="换新灭火器，另行采购"))
    still = await finding_now(api, inspector, finding)
    assert (still["status"], still["version"]) == ("open", 1)


async def test_the_api_description_lists_every_status_of_a_finding(api):
    schema = (await api.get("/schema/openapi.json")).json()
    [status] = [
        p for p in schema["paths"]["/api/findings"]["get"]["parameters"] if p["name"] == "status"
    ]
    assert set(status["schema"]["enum"]) == {"open", "rechecked", "resolved", "withdrawn", None}
    finding = schema["components"]["schemas"]["FindingOut"]["properties"]
    assert set(finding["status"]["enum"]) == {"open", "rechecked", "resolved", "withdrawn"}
    assert {"resolved_by", "resolved_at"} <= set(finding)
