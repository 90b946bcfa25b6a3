"""The console's lists of a site's inspections and findings: by the person who inspected,
and findings read on past the last one shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_person
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit


async def test_inspections_by_inspector_and_findings_a_page_at_a_time(api) -> None:
    school, admin, inspector, asset = await extinguisher_school()
    other = await make_person(school, "inspector")
    now = datetime.now(UTC)
    mine = submission(
        asset=asset,
        answers=extinguisher_answers(hose="fail", body="fail"),
        completed_at=now - timedelta(hours=2),
    )
    assert (await submit(api, inspector, mine)).status_code == 201
    theirs = submission(asset=asset, completed_at=now - timedelta(hours=1))
    assert (await submit(api, other, theirs)).status_code == 201
    site = str(school.site_id)

    by_other = await api.get(
        "/api/inspections",
        params={"site_id": site, "inspector_id": str(other.user_id)},
        headers=admin.headers,
    )
    assert [i["id"] for i in by_other.json()["items"]] == [theirs["id"]]
    failed_by_other = await api.get(
        "/api/inspections",
        params={"site_id": site, "inspector_id": str(other.user_id), "result": "fail"},
        headers=admin.headers,
    )
    assert failed_by_other.json()["items"] == []

    every = (await api.get("/api/findings", params={"site_id": site}, headers=admin.headers)).json()
    assert len(every) == 2
    first = (
        await api.get(
            "/api/findings", params={"site_id": site, "limit": "1"}, headers=admin.headers
        )
    ).json()
    rest = (
        await api.get(
            "/api/findings",
            params={"site_id": site, "limit": "5", "after": first[0]["id"]},
            headers=admin.headers,
        )
    ).json()
    assert [f["id"] for f in first + rest] == [f["id"] for f in every]


async def test_a_finding_mark_from_another_site_is_not_found(api) -> None:
    school, admin, _, _ = await extinguisher_school()
    other, _, other_inspector, other_asset = await extinguisher_school()
    body = submission(asset=other_asset, answers=extinguisher_answers(hose="fail"))
    assert (await submit(api, other_inspector, body)).status_code == 201
    (found,) = (
        await api.get(
            "/api/findings", params={"site_id": str(other.site_id)}, headers=other_inspector.headers
        )
    ).json()
    answer = await api.get(
        "/api/findings",
        params={"site_id": str(school.site_id), "after": found["id"]},
        headers=admin.headers,
    )
    assert answer.status_code == 404, answer.text
