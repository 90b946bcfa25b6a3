from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_asset, make_person
from tests.inspections.helpers import (
    extinguisher_answers,
    extinguisher_school,
    submission,
    submit,
)

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
