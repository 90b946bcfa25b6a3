"""Requests no correct client sends, through the real HTTP API on both databases: each gets
a clear 4xx problem (code, field, reason), never a 5xx, and nothing stored changes.

The classes come from an independent probe that found each of them answering 500: bodies
that are not UTF-8 or nest deeper than the decoder goes, NUL characters (PostgreSQL refuses
them) in bodies, paths and query strings, and times and dates at the calendar's edges.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.actions.tables import HazardReport
from tests.inspections.helpers import extinguisher_school, submission

JSON = {"Content-Type": "application/json"}


async def test_a_body_that_is_not_utf8_is_malformed_json(api):
    _, _, inspector, _ = await extinguisher_school()
    for body in (b'{"id": "\xff\xfe"}', b"\xc3\x28", b'{"note": "\xed\xa0\x80"}'):
        answer = await api.post(
            "/api/inspections", content=body, headers={**inspector.headers, **JSON}
        )
        assert (answer.status_code, answer.json()["code"]) == (400, "request.malformed_json")


@pytest.mark.parametrize("path", ["/api/inspections", "/api/sync/push", "/api/reports"])
async def test_json_nested_deeper_than_the_decoder_goes_is_malformed(api, path):
    _, _, inspector, _ = await extinguisher_school()
    deep = b"[" * 200_000 + b"]" * 200_000
    for body in (deep, b'{"answers": ' + deep + b"}"):
        answer = await api.post(path, content=body, headers={**inspector.headers, **JSON})
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] in ("request.malformed_json", "request.invalid")


@pytest.mark.parametrize(
    "address",
    [
        "/api/assets?category=%00",
        "/api/templates/abc%00",
        "/api/tags/K7QM%00X3P9",
        "/api/findings?state=%00open",
        "/t/%00",
        "/api/locations?site_id=00000000-0000-0000-0000-000000000000&kind=room%00",
    ],
)
async def test_a_nul_character_in_the_address_is_refused(api, address):
    _, _, inspector, _ = await extinguisher_school()
    answer = await api.get(address, headers=inspector.headers)
    assert (answer.status_code, answer.json()["code"]) == (400, "request.invalid")


async def test_a_nul_character_in_a_body_is_refused_with_its_field(api):
    _, _, inspector, asset = await extinguisher_school()
    report = {
        "id": "0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b",
        "kind": "repair",
        "asset_id": str(asset),
        "description": "漏水\x00",
        "reported_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    answer = await api.post("/api/reports", json=report, headers=inspector.headers)
    assert (answer.status_code, answer.json()["code"]) == (400, "request.invalid")
    assert "description" in answer.json()["detail"]
    assert await HazardReport.count() == 0


@pytest.mark.parametrize(
    "edge", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1969-12-31T00:00:00Z"]
)
async def test_times_at_the_calendars_edges_in_a_body_are_refused(api, edge):
    _, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset, completed_at=datetime.now(UTC), started_at=edge)
    answer = await api.post("/api/inspections", json=body, headers=inspector.headers)
    assert (answer.status_code, answer.json()["code"]) == (400, "request.invalid")


async def test_times_and_dates_at_the_calendars_edges_in_a_query_are_refused(api):
    school, admin, _, _ = await extinguisher_school()
    site = school.site_id
    for address, field in [
        (f"/api/due?site_id={site}&from=0001-01-01&to=0001-01-02", "from"),
        (f"/api/due?site_id={site}&from=9999-12-30&to=9999-12-31", "from"),
        (f"/api/inspections?site_id={site}&completed_from=0001-01-01T00:00:00%2B08:00", None),
        (f"/api/inspections?site_id={site}&completed_to=9999-12-31T23:59:59-08:00", None),
        (f"/api/sites/{site}/plan?month=0001-01", "month"),
        (f"/api/sites/{site}/plan?month=9999-12", "month"),
    ]:
        answer = await api.get(address, headers=admin.headers)
        assert answer.status_code == 400, (address, answer.text)
        assert answer.json()["code"] == "request.invalid", address
        if field:
            assert answer.json()["field"] == field, address
