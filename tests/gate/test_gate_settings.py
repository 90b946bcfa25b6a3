"""A site's gate settings on both databases: read by any member, replaced by managers from the
version they saw, sent to gate devices with the site's lookup key (never to an inspector's
phone), and applied to check-ins without ever refusing one: the ID mask, the required
fields and vehicles flagged, the expected stay a check-in without one keeps to."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from server.gate.documents import id_key, site_lookup_key
from server.gate.keys import id_secret
from server.gate.visits import REQUIRED_FIELD_MISSING, VEHICLE_NOT_ALLOWED
from tests.conftest import Server
from tests.factories import make_person, make_school
from tests.gate.gating import (
    ID_NUMBER,
    changes_of,
    gate_school,
    new_id,
    pull_all,
    pulled_lookup_key,
)
from tests.syncing.device import device_of

DEFAULTS = {
    "required_fields": ["phone", "purpose"],
    "id_mask": "6+4",
    "retention_days": 180,
    "sign_before_checkout": False,
    "closing_time": "18:00",
    "vehicles_allowed": False,
    "overstay_minutes": 240,
}


async def test_any_member_reads_the_defaults_and_only_managers_replace_them(api):
    school = await make_school()
    manager = await make_person(school, "manager")
    inspector = await make_person(school, "inspector")
    gatekeeper = await make_person(school, "gatekeeper")
    stranger = await make_person(await make_school(), "admin")
    url = f"/api/sites/{school.site_id}/gate/settings"

    read = await api.get(url, headers=inspector.headers)
    assert read.status_code == 200, read.text
    assert read.json() == {**DEFAULTS, "site_id": str(school.site_id), "version": 0}

    wanted = {**DEFAULTS, "id_mask": "4+4", "required_fields": ["badge", "plate", "badge"]}
    for person, status in ((inspector, 403), (gatekeeper, 403), (stranger, 404)):
        refused = await api.put(url, json={**wanted, "version": 0}, headers=person.headers)
        assert refused.status_code == status, refused.text
    put = await api.put(url, json={**wanted, "version": 0}, headers=manager.headers)
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 1
    assert put.json()["required_fields"] == ["badge", "plate"]  # each once
    assert (await api.get(url, headers=gatekeeper.headers)).json() == put.json()
    assert (await api.get(url, headers=stranger.headers)).status_code == 404

    stale = await api.put(url, json={**DEFAULTS, "version": 0}, headers=manager.headers)
    assert (stale.status_code, stale.json()["code"], stale.json()["field"]) == (
        409,
        "gate_settings.version_conflict",
        "version",
    )
    assert (await api.get(url, headers=manager.headers)).json()["id_mask"] == "4+4"

    bad = [
        ({"retention_days": 29}, "retention_days"),
        ({"retention_days": 1096}, "retention_days"),
        ({"id_mask": "3+3"}, "id_mask"),
        ({"closing_time": "24:00"}, "closing_time"),
        ({"required_fields": ["name"]}, "required_fields[0]"),
        ({"overstay_minutes": 0}, "overstay_minutes"),
        ({"colour": "red"}, "colour"),
        ({"version": -1}, "version"),
    ]
    for over, field in bad:
        answer = await api.put(
            url, json={**DEFAULTS, "version": 1, **over}, headers=manager.headers
        )
        assert (answer.status_code, answer.json()["code"]) == (400, "request.invalid"), over
        assert answer.json()["field"] == field, (over, answer.json())


async def test_gate_devices_receive_the_settings_and_the_key_an_inspector_never_does(
    api, server: Server
):
    g = await gate_school(api, id_mask="4+4")
    pages = await pull_all(api, g.tablet)
    [item] = changes_of(pages, "gate_settings")
    assert item["id"] == g.site and item["op"] == "put"
    assert item["data"]["id_mask"] == "4+4" and item["data"]["vehicles_allowed"] is True
    key = pulled_lookup_key(pages, g.site)
    secret = id_secret(server.settings.secret_key)
    assert key == site_lookup_key(secret, g.school.site_id)
    assert "=" not in item["data"]["lookup_key"]
    # Another site's key is another key.
    other = await make_school()
    assert site_lookup_key(secret, other.site_id) != key

    # A change reaches the device that already holds the settings.
    cursors: dict[str, str | None] = {}
    await pull_all(api, g.tablet, cursors)
    changed = await api.put(
        f"/api/sites/{g.site}/gate/settings",
        json={**DEFAULTS, "sign_before_checkout": True, "version": 1},
        headers=g.manager.headers,
    )
    assert changed.status_code == 200, changed.text
    [later] = changes_of(await pull_all(api, g.tablet, cursors), "gate_settings")
    assert (later["version"], later["data"]["sign_before_checkout"]) == (2, True)
    assert later["data"]["lookup_key"] == item["data"]["lookup_key"]

    inspector_pull = json.dumps(await pull_all(api, await device_of(api, g.inspector)))
    for entity in ("gate_settings", "watch_key", "known_visitor"):
        assert f'"entity": "{entity}"' not in inspector_pull
    assert item["data"]["lookup_key"] not in inspector_pull


async def test_the_site_key_hashes_what_the_deployment_key_hashed_before(server: Server):
    """The message is the document's kind and normalised number, whatever the key: the
    phone's port hashes exactly this (server/web/app/gatekey.js)."""
    secret = id_secret(server.settings.secret_key)
    site = (await make_school()).site_id
    key = site_lookup_key(secret, site)
    expected = id_key("resident_id", ID_NUMBER, key)
    assert id_key("resident_id", " " + ID_NUMBER.lower() + " ", key) == expected
    assert id_key("passport", ID_NUMBER, key) != expected
    assert len(base64.urlsafe_b64encode(key).rstrip(b"=")) == 43


async def test_the_id_mask_is_the_sites_and_the_number_is_never_sent(api):
    g = await gate_school(api, id_mask="4+4")
    made = await api.post(
        f"/api/sites/{g.site}/visits", json=g.check_in(), headers=g.gatekeeper.headers
    )
    assert made.status_code == 201, made.text
    assert made.json()["id_masked"] == ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
    assert ID_NUMBER not in made.text and ID_NUMBER[4:14] not in made.text


async def test_a_check_in_lacking_what_the_site_requires_is_kept_and_flagged(api):
    g = await gate_school(
        api, required_fields=["phone", "badge", "expected_stay"], vehicles_allowed=False
    )
    url = f"/api/sites/{g.site}/visits"
    lacking = await api.post(
        url,
        json=g.check_in(phone=None, badge=None, expected_stay_minutes=None),
        headers=g.gatekeeper.headers,
    )
    assert lacking.status_code == 201, lacking.text
    assert lacking.json()["flags"] == [REQUIRED_FIELD_MISSING, VEHICLE_NOT_ALLOWED]
    complete = await api.post(url, json=g.check_in(plate=None), headers=g.gatekeeper.headers)
    assert complete.status_code == 201, complete.text
    assert complete.json()["flags"] == []
    # Malformed data is refused as before: a setting never makes it acceptable.
    malformed = await api.post(url, json=g.check_in(phone="12345"), headers=g.gatekeeper.headers)
    assert (malformed.status_code, malformed.json()["code"]) == (422, "visit.phone_format")
    # Settings changed later do not change a visit already judged.
    await api.put(
        f"/api/sites/{g.site}/gate/settings",
        json={**DEFAULTS, "required_fields": [], "vehicles_allowed": True, "version": 1},
        headers=g.manager.headers,
    )
    visit_id = lacking.json()["id"]
    approved = await api.post(
        f"/api/visits/{visit_id}/decisions",
        json={
            "id": new_id(),
            "decision": "approved",
            "decided_at": lacking.json()["checked_in_at"],
        },
        headers=g.host.headers,
    )
    assert approved.json()["flags"] == [REQUIRED_FIELD_MISSING, VEHICLE_NOT_ALLOWED]


async def test_a_check_in_without_a_stay_keeps_to_the_sites_overstay_minutes(api):
    g = await gate_school(api, overstay_minutes=90)
    body = g.check_in(expected_stay_minutes=None)
    await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    decided = await api.post(
        f"/api/visits/{body['visit_id']}/decisions",
        json={"id": new_id(), "decision": "approved", "decided_at": body["checked_in_at"]},
        headers=g.host.headers,
    )
    visit = decided.json()
    entered = datetime.fromisoformat(visit["entered_at"])
    assert datetime.fromisoformat(visit["expected_until"]) - entered == timedelta(minutes=90)
