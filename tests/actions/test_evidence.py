"""The evidence an action carries from the finding to the sign-off: the failing answer read
with its checklist, the limit, the inspector's note and the photos in the action itself, and
every later step with its note and photos in the `action_event` feed; and which photos a
phone can fetch."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from uuid_utils.compat import uuid7

from checklists.library import library_template
from server.actions.evidence import finding_evidence, item_note
from server.actions.tables import CorrectiveAction
from tests.actions.test_actions import failing_inspection, only_action, step
from tests.blobs.pictures import photo as picture
from tests.blobs.pictures import sha256
from tests.blobs.test_blobs import upload
from tests.factories import make_location, make_person, make_school
from tests.inspections.helpers import extinguisher_school, photo
from tests.syncing.recorded import feed, recorded

INSPECTION = uuid.UUID(int=7)


def test_a_chosen_option_carries_its_labels_and_a_reading_its_limits_and_unit():
    extinguisher = library_template("fire_extinguisher_monthly")
    seen = finding_evidence(
        extinguisher,
        "gauge_zone",
        {"gauge_zone": "red", "notes": "指针在红区"},
        inspection_id=INSPECTION,
        inspection_note="",
        photos=["a" * 64],
    )
    assert (seen.item_type, seen.answer) == ("choice", "red")
    assert seen.answer_label == "红区（压力不足，需充装）"
    assert seen.answer_label_en == "Red (under-pressure, recharge)"
    assert (seen.note, seen.photos, seen.inspection_id) == ("指针在红区", ["a" * 64], INSPECTION)

    kitchen = library_template("kitchen_hygiene_daily")
    cold = finding_evidence(
        kitchen,
        "fridge_temperature",
        {"fridge_temperature": 11.5},
        inspection_id=INSPECTION,
        inspection_note="冰箱门没关严",
        photos=[],
    )
    assert (cold.item_type, cold.answer, cold.unit) == ("number", 11.5, "°C")
    assert (cold.min, cold.max, cold.answer_label) == (0.0, 8.0, "")
    assert cold.note == "冰箱门没关严"
    freezer = finding_evidence(
        kitchen,
        "freezer_temperature",
        {"freezer_temperature": -10},
        inspection_id=INSPECTION,
        inspection_note="",
        photos=[],
    )
    assert (freezer.min, freezer.max) == (None, -18.0)

    expired = finding_evidence(
        extinguisher,
        "service_life_end",
        {"service_life_end": "2020-01-31"},
        inspection_id=INSPECTION,
        inspection_note="",
        photos=[],
    )
    assert (expired.item_type, expired.answer, expired.not_past) == ("date", "2020-01-31", True)


def test_the_note_is_the_text_shown_for_the_item_else_every_note_of_the_check():
    extinguisher = library_template("fire_extinguisher_monthly")
    answers = {"notes": "  箱门卡住 "}
    assert item_note(extinguisher, "hose", answers, "已通知后勤") == "箱门卡住\n已通知后勤"
    assert item_note(extinguisher, "hose", {}, "") == ""
    # A note given right under the failing item is its note.
    answers["hose.note"] = "喷管开裂"
    assert item_note(extinguisher, "hose", answers, "已通知后勤") == "喷管开裂"


async def test_an_action_from_a_finding_carries_the_answer_note_and_photos(api):
    _, admin, inspector, asset = await extinguisher_school()
    await failing_inspection(api, inspector, asset, gauge_zone="yellow", notes="超压，已贴停用标识")
    action = await only_action(api, admin)
    assert action["evidence"] == {
        "inspection_id": action["evidence"]["inspection_id"],
        "item_key": "gauge_zone",
        "item_type": "choice",
        "answer": "yellow",
        "answer_label": "黄区（超压）",
        "answer_label_en": "Yellow (over-pressure)",
        "unit": "",
        "min": None,
        "max": None,
        "not_past": False,
        "note": "超压，已贴停用标识",
        "photos": [photo()],
    }
    # Devices get the same, in the action they pull.
    (change,) = [c for c in await recorded("action") if c.id == action["id"]]
    assert change.data["evidence"] == action["evidence"]


async def test_a_hazard_reports_photos_are_its_actions_evidence(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    await make_person(school, "maintainer")
    kitchen = await make_location(admin, school, "食堂后厨", kind="kitchen")
    body = {
        "id": str(uuid7()),
        "kind": "hazard",
        "location_id": str(kitchen),
        "description": "地面湿滑",
        "photos": [photo("floor")],
        "reported_at": datetime.now(UTC).isoformat(),
    }
    reported = await api.post("/api/reports", json=body, headers=admin.headers)
    assert reported.status_code == 201, reported.text
    assert reported.json()["evidence"]["photos"] == [photo("floor")]
    assert reported.json()["evidence"]["item_type"] == ""


async def test_an_action_raised_before_evidence_was_kept_has_none(api):
    _, admin, inspector, asset = await extinguisher_school()
    await failing_inspection(api, inspector, asset)
    await CorrectiveAction.update({CorrectiveAction.evidence: None}, force=True)
    assert (await only_action(api, admin))["evidence"] is None


async def test_each_step_reaches_devices_with_its_note_and_photos_once(api):
    school, admin, inspector, asset = await extinguisher_school()
    keeper = await make_person(school, "maintainer")
    await failing_inspection(api, inspector, asset)
    action = await only_action(api, admin)
    fix = {"note": "更换了喷管", "photos": [photo("fixed")]}
    step_id = str(uuid7())
    for _ in range(2):
        answer = await step(api, keeper, action, "fix", id=step_id, **fix)
        assert answer.status_code == 200, answer.text
    verified = await step(api, inspector, action, "verify", base=2, note="已复查")
    assert verified.status_code == 200, verified.text

    changes = await recorded("action_event", scope=school.site_id)
    assert [c.data["kind"] for c in changes] == ["created", "fix", "verify"]
    created, fixed, signed = (c.data for c in changes)
    assert created["by_id"] == str(inspector.user_id) and created["to_state"] == "open"
    assert fixed["id"] == step_id and fixed["action_id"] == action["id"]
    assert (fixed["note"], fixed["photos"], fixed["by_id"]) == (
        "更换了喷管",
        [photo("fixed")],
        str(keeper.user_id),
    )
    assert (signed["note"], signed["from_state"], signed["to_state"]) == (
        "已复查",
        "fixed",
        "verified",
    )
    # A new device's snapshot holds each step as it was recorded.
    rows = await feed("action_event").rows(school.site_id, None, 10)
    assert [(i, v) for i, v, _ in rows] == sorted((c.id, 1) for c in changes)


async def test_a_phone_is_told_which_photos_it_can_fetch(api, clean):
    school = await make_school()
    other = await make_school()
    inspector = await make_person(school, "inspector")
    auditor = await make_person(school, "auditor")
    stranger = await make_person(other, "inspector")
    content = picture(gps=False)
    uploaded = await upload(api, inspector, school, content)
    assert uploaded.status_code == 201, uploaded.text
    waiting = photo("still on the phone")
    asked = {"sha256": [sha256(content), waiting]}

    for person in (inspector, auditor):
        shown = await api.get("/api/blobs/", params=asked, headers=person.headers)
        assert shown.status_code == 200, shown.text
        assert shown.json() == {"shown": [sha256(content)]}
    # Another school's people are not told it exists.
    shown = await api.get("/api/blobs/", params=asked, headers=stranger.headers)
    assert shown.json() == {"shown": []}

    bad = await api.get("/api/blobs/", params={"sha256": ["NOT-A-HASH"]}, headers=inspector.headers)
    assert bad.status_code == 400
    assert (bad.json()["code"], bad.json()["field"]) == ("blob.invalid_name", "sha256")
    many = {"sha256": [photo(str(n)) for n in range(101)]}
    refused = await api.get("/api/blobs/", params=many, headers=inspector.headers)
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["field"]) == ("request.invalid", "sha256")
    nobody = await api.get("/api/blobs/", params=asked)
    assert nobody.status_code == 401
