"""The console's board of a site's actions: filtered by several states, by owner or by no
owner, by age, and read a page at a time with the count and the people's names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_asset, make_person, take_step
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission, submit


async def listed(api, person, **params) -> dict:
    response = await api.get("/api/actions", params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_sites_actions_by_states_owner_age_a_page_at_a_time(api) -> None:
    school, admin, inspector, asset = await extinguisher_school()
    auditor = await make_person(school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=5))
    old = submission(
        asset=asset,
        answers=extinguisher_answers(hose="fail"),
        completed_at=datetime.now(UTC) - timedelta(days=10),
    )
    assert (await submit(api, inspector, old)).status_code == 201
    # Another extinguisher: a passing hose on the first would close its action.
    other = await make_asset(admin, school, asset_number="MHQ-002")
    new = submission(asset=other, answers=extinguisher_answers(body="fail", seal_and_pin="fail"))
    assert (await submit(api, inspector, new)).status_code == 201
    # The maintainer joins after: no one held the actions when they were raised.
    fixer = await make_person(school, "maintainer")
    site = str(school.site_id)
    everything = await listed(api, admin, site_id=site)
    assert everything["total"] == 3 and everything["next_after"] is None
    by_title = {a["title_en"]: a for a in everything["items"]}
    hose = by_title["Hose not cracked or blocked"]
    seal = by_title["Seal intact and safety pin in place"]
    assert {a["owner_id"] for a in everything["items"]} == {None}

    await take_step(api, admin, hose, "assign", owner_id=str(fixer.user_id))
    seal = await take_step(api, admin, seal, "fix", note="换了铅封")

    mine = await listed(api, admin, site_id=site, owner_id=str(fixer.user_id))
    assert [a["id"] for a in mine["items"]] == [hose["id"]]
    # Its owner and the inspector who asked for it, by name.
    assert sorted(p["name"] for p in mine["people"]) == ["测试inspector", "测试maintainer"]
    unowned = await listed(api, admin, site_id=site, unowned="true")
    assert {a["id"] for a in unowned["items"]} == {
        seal["id"],
        by_title["Body not corroded or dented"]["id"],
    }
    fixed_or_open = await api.get(
        "/api/actions",
        params=[("site_id", site), ("state", "open"), ("state", "fixed")],
        headers=auditor.headers,
    )
    assert fixed_or_open.json()["total"] == 3
    only_fixed = await listed(api, auditor, site_id=site, state="fixed")
    assert [a["id"] for a in only_fixed["items"]] == [seal["id"]]
    aged = await listed(api, admin, site_id=site, older_than_days="7")
    assert [a["id"] for a in aged["items"]] == [hose["id"]]
    # Raised ten days ago is ten days old, as the site's backlog counts it.
    assert [
        a["id"] for a in (await listed(api, admin, site_id=site, older_than_days="10"))["items"]
    ] == [hose["id"]]
    assert (await listed(api, admin, site_id=site, older_than_days="11"))["items"] == []

    from_finding = await listed(api, auditor, site_id=site, finding_id=hose["finding_id"])
    assert [a["id"] for a in from_finding["items"]] == [hose["id"]]

    # Two at a time, newest first, then the rest; the count on every page.
    first = await listed(api, admin, site_id=site, limit="2")
    assert len(first["items"]) == 2 and first["total"] == 3 and first["next_after"]
    rest = await listed(api, admin, site_id=site, limit="2", after=first["next_after"])
    assert rest["next_after"] is None and rest["total"] == 3
    assert [a["id"] for a in first["items"] + rest["items"]] == [
        a["id"] for a in everything["items"]
    ]
    assert rest["items"][0]["id"] == hose["id"]
    oldest = await listed(api, admin, site_id=site, limit="1", oldest_first="true")
    assert oldest["items"][0]["id"] == hose["id"]
    nxt = await listed(
        api, admin, site_id=site, limit="5", oldest_first="true", after=oldest["next_after"]
    )
    assert hose["id"] not in [a["id"] for a in nxt["items"]] and len(nxt["items"]) == 2

    # The detail names the owner for someone who cannot read the site's members.
    detail = await api.get(f"/api/actions/{hose['id']}", headers=auditor.headers)
    assert {"id": str(fixer.user_id), "name": "测试maintainer"} in detail.json()["people"]


async def test_a_bad_filter_is_refused_and_a_page_mark_from_elsewhere_is_not_found(api) -> None:
    school, admin, _, _ = await extinguisher_school()
    site = str(school.site_id)
    bad = await api.get(
        "/api/actions", params={"site_id": site, "state": "done"}, headers=admin.headers
    )
    assert bad.status_code == 400 and bad.json()["code"] == "request.invalid"
    negative = await api.get(
        "/api/actions", params={"site_id": site, "older_than_days": "-1"}, headers=admin.headers
    )
    assert negative.status_code == 400
    other, other_admin, other_inspector, other_asset = await extinguisher_school()
    body = submission(asset=other_asset, answers=extinguisher_answers(hose="fail"))
    assert (await submit(api, other_inspector, body)).status_code == 201
    (theirs,) = (await listed(api, other_admin, site_id=str(other.site_id)))["items"]
    foreign = await api.get(
        "/api/actions", params={"site_id": site, "after": theirs["id"]}, headers=admin.headers
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
