from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from server.inspections.tables import Finding, Inspection
from tests.factories import make_location, make_person, make_school
from tests.inspections.helpers import (
    extinguisher_answers,
    extinguisher_school,
    photo,
    submission,
    submit,
)


async def count_rows() -> tuple[int, int]:
    return await Inspection.count(), await Finding.count()


async def test_an_inspection_is_evaluated_on_arrival_and_stored(api):
    school, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset, geolocation={"latitude": 31.2, "longitude": 121.5})
    response = await submit(api, inspector, body)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["id"] == body["id"]
    assert stored["site_id"] == str(school.site_id)
    assert stored["inspector"]["id"] == str(inspector.user_id)
    assert stored["evaluation"]["result"] == "pass"
    assert stored["evaluation"]["score"] == 100.0
    assert stored["findings"] == []
    assert stored["geolocation"] == {"latitude": 31.2, "longitude": 121.5, "accuracy_m": None}
    assert stored["answers"] == body["answers"]
    fetched = await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)
    assert fetched.json() == stored


async def test_the_same_inspection_sent_again_is_stored_once(api):
    _, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset)
    first = await submit(api, inspector, body)
    again = await submit(api, inspector, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert await count_rows() == (1, 0)


async def test_the_same_instant_written_in_another_timezone_is_the_same_content(api):
    _, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset)
    assert (await submit(api, inspector, body)).status_code == 201
    shanghai = timezone_shifted(body, hours=8)
    again = await submit(api, inspector, shanghai)
    assert again.status_code == 200, again.text


def timezone_shifted(body: dict, hours: int) -> dict:
    zone = timezone(timedelta(hours=hours))
    shifted = dict(body)
    for key in ("started_at", "completed_at"):
        shifted[key] = datetime.fromisoformat(body[key]).astimezone(zone).isoformat()
    return shifted


async def test_the_same_id_with_other_content_is_a_conflict_and_the_first_stays(api):
    _, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset)
    await submit(api, inspector, body)
    changed = dict(body, answers=extinguisher_answers(gauge_zone="red"))
    response = await submit(api, inspector, changed)
    assert response.status_code == 409
    assert response.json()["code"] == "inspection.conflict"
    assert response.json()["field"] == "id"
    kept = await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)
    assert kept.json()["answers"]["gauge_zone"] == "green"
    assert await count_rows() == (1, 0)


async def test_a_critical_failure_fails_the_whole_and_raises_a_high_finding(api):
    _, _, inspector, asset = await extinguisher_school()
    answers = extinguisher_answers(gauge_zone="red", hose="fail", photo=[photo("red")])
    response = await submit(api, inspector, submission(asset=asset, answers=answers))
    stored = response.json()
    assert stored["evaluation"]["result"] == "fail"
    assert stored["evaluation"]["critical_failure"] is True
    assert stored["evaluation"]["failed_items"] == ["gauge_zone", "hose"]
    findings = {f["item_key"]: f for f in stored["findings"]}
    assert findings["gauge_zone"]["severity"] == "high"
    assert findings["hose"]["severity"] == "normal"
    assert findings["hose"]["status"] == "open"
    assert findings["hose"]["photos"] == [photo("red")]
    assert findings["hose"]["asset_id"] == str(asset)
    assert findings["hose"]["observed_at"] == stored["completed_at"]


async def test_an_inspection_is_judged_by_its_own_version_after_a_newer_one_is_published(api):
    school, admin, inspector, _ = await extinguisher_school()
    room = await make_location(admin, school, "一年级1班", kind="room")
    v1 = FRIDGE.format(max=5)
    await api.post("/api/templates", content=v1.encode(), headers=admin.headers)
    made_with_v1 = submission(
        location=room, template="fridge_check", version=1, answers={"temperature": 6}
    )
    first = (await submit(api, inspector, made_with_v1)).json()
    assert first["evaluation"]["result"] == "fail"
    published = await api.post(
        "/api/templates", content=FRIDGE.format(max=8).encode(), headers=admin.headers
    )
    assert published.json()["version"] == 2
    # A phone still on v1 sends another reading: v1's limit judges it, not v2's.
    late = submission(location=room, template="fridge_check", version=1, answers={"temperature": 6})
    assert (await submit(api, inspector, late)).json()["evaluation"]["result"] == "fail"
    on_v2 = submission(
        location=room, template="fridge_check", version=2, answers={"temperature": 6}
    )
    assert (await submit(api, inspector, on_v2)).json()["evaluation"]["result"] == "pass"
    again = await api.get(f"/api/inspections/{first['id']}", headers=inspector.headers)
    assert again.json()["evaluation"] == first["evaluation"]
    assert again.json()["template_version"] == 1


FRIDGE = """
key: fridge_check
version: 1
title: {{zh-CN: "冰箱温度", en: "Fridge temperature"}}
category: kitchen
applies_to: {{location_kinds: [room]}}
frequency: {{every: daily}}
items:
  - type: number
    key: temperature
    label: {{zh-CN: "冷藏温度", en: "Chiller temperature"}}
    unit: "°C"
    min: 0
    max: {max}
    critical: true
"""


async def test_bad_submissions_are_refused_with_codes_and_paths_and_nothing_is_stored(api):
    _, _, inspector, asset = await extinguisher_school()
    await submit(api, inspector, submission(asset=asset))
    before = await count_rows()
    cases = [
        (
            submission(asset=asset, template="no_such_checklist"),
            422,
            "inspection.unknown_template",
            "template_key",
        ),
        (submission(asset=asset, version=9), 422, "inspection.unknown_version", "template_version"),
        (
            submission(asset=asset, answers=extinguisher_answers(pressure_ok="pass")),
            422,
            "inspection.invalid_answers",
            "answers.pressure_ok",
        ),
        (
            submission(asset=asset, answers=extinguisher_answers(gauge_zone=3)),
            422,
            "inspection.invalid_answers",
            "answers.gauge_zone",
        ),
        (
            submission(asset=asset, completed_at=datetime.now(UTC) + timedelta(hours=2)),
            422,
            "inspection.completed_in_future",
            "completed_at",
        ),
        (submission(asset=asset, id=str(uuid.uuid4())), 400, "inspection.id_not_uuid7", "id"),
        (submission(), 400, "inspection.target_required", "asset_id"),
        (submission(asset=asset, answers="all fine"), 400, "request.invalid", "answers"),
        (submission(asset=asset, surprise=1), 400, "request.invalid", "surprise"),
        (submission(asset=uuid.uuid4()), 404, "not_found", "asset_id"),
    ]
    for body, status, code, field in cases:
        response = await submit(api, inspector, body)
        assert response.status_code == status, (code, response.text)
        problem = response.json()
        assert problem["code"] == code, problem
        assert problem["field"] == field, problem
    assert await count_rows() == before


async def test_every_problem_in_the_answers_is_listed_at_once(api):
    _, _, inspector, asset = await extinguisher_school()
    answers = extinguisher_answers(hose="broken", service_life_end="next year")
    del answers["body"]
    answers["extra_item"] = "?"
    response = await submit(api, inspector, submission(asset=asset, answers=answers))
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {
        "answers.hose",
        "answers.service_life_end",
        "answers.body",
        "answers.extra_item",
    }


async def test_a_number_sent_as_a_string_is_refused(api):
    school, admin, inspector, _ = await extinguisher_school()
    room = await make_location(admin, school, "厨房", kind="room")
    await api.post("/api/templates", content=FRIDGE.format(max=5).encode(), headers=admin.headers)
    body = submission(location=room, template="fridge_check", answers={"temperature": "4"})
    response = await submit(api, inspector, body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "answers.temperature"
    assert response.json()["errors"][0]["code"] == "answers.wrong_type"


async def test_a_completion_time_slightly_ahead_of_the_server_is_accepted(api):
    _, _, inspector, asset = await extinguisher_school()
    ahead = datetime.now(UTC) + timedelta(minutes=3)
    response = await submit(api, inspector, submission(asset=asset, completed_at=ahead))
    assert response.status_code == 201, response.text


async def test_started_after_completed_is_refused(api):
    _, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset)
    body["started_at"] = (
        datetime.fromisoformat(body["completed_at"]) + timedelta(minutes=1)
    ).isoformat()
    response = await submit(api, inspector, body)
    assert (response.status_code, response.json()["code"]) == (
        422,
        "inspection.started_after_completed",
    )


async def test_strangers_and_auditors(api):
    school, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset)
    await submit(api, inspector, body)
    stranger = await make_person(await make_school(), "admin")
    assert (
        await api.get(f"/api/inspections/{body['id']}", headers=stranger.headers)
    ).status_code == 404
    assert (await submit(api, stranger, submission(asset=asset))).status_code == 404
    auditor = await make_person(
        school, "auditor", expires_at=datetime.now(UTC) + timedelta(days=30)
    )
    refused = await submit(api, auditor, submission(asset=asset))
    assert refused.status_code == 403
    read = await api.get(f"/api/inspections/{body['id']}", headers=auditor.headers)
    assert read.status_code == 200


async def test_photos_not_yet_uploaded_are_reported_missing(api):
    _, _, inspector, asset = await extinguisher_school()
    answers = extinguisher_answers(photo=[photo("a"), photo("b")])
    stored = (await submit(api, inspector, submission(asset=asset, answers=answers))).json()
    assert stored["missing_blobs"] == sorted([photo("a"), photo("b")])


async def test_a_location_can_be_inspected(api):
    school, admin, inspector, _ = await extinguisher_school()
    dorm = await make_location(admin, school, "男生宿舍101", kind="dormitory")
    answers = {
        "no_high_power_appliances": "pass",
        "no_open_flame": "pass",
        "no_improvised_wiring": "pass",
        "no_charging_on_beds": "fail",
        "sockets_and_lights": "pass",
    }
    body = submission(location=dorm, template="dormitory_electrical_weekly", answers=answers)
    response = await submit(api, inspector, body)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert (stored["location_id"], stored["asset_id"]) == (str(dorm), None)
    assert [f["item_key"] for f in stored["findings"]] == ["no_charging_on_beds"]
    assert stored["findings"][0]["location_id"] == str(dorm)
