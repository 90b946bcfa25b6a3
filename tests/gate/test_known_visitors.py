"""Repeat visitors on both databases: a gate device receives, per document seen at the site,
what the latest check-in with it gave, keyed by the document's hash (found from the pulled
lookup key, as the phone finds it), masked, never the full number or phone, and never on an
inspector's phone."""

from __future__ import annotations

import json

from server.gate.documents import id_key
from tests.gate.gating import (
    ID_NUMBER,
    PHONE,
    ago,
    changes_of,
    gate_school,
    new_id,
    pull_all,
    pulled_lookup_key,
    results,
)
from tests.syncing.device import device_of


async def test_the_latest_check_in_of_a_document_is_what_the_gate_knows_of_it(api):
    g = await gate_school(api, id_mask="4+4")
    later, earlier = new_id(), new_id()
    # The later visit syncs first; the earlier one, from the other tablet, after it.
    pushed = await g.tablet.push_ok(
        [g.op_check_in(g.tablet, later, checked_in_at=ago(10), organisation="市卫健委", plate=None)]
    )
    assert results(pushed) == [("applied", None)]
    pushed = await g.other_tablet.push_ok(
        [g.op_check_in(g.other_tablet, earlier, checked_in_at=ago(600), name="王访客旧名")]
    )
    assert results(pushed) == [("applied", None)]
    await g.tablet.push_ok(
        [g.op_check_in(g.tablet, new_id(), id_type="none", id_number="", no_document_reason="忘带")]
    )

    pages = await pull_all(api, g.tablet)
    known = changes_of(pages, "known_visitor")
    key = id_key("resident_id", ID_NUMBER, pulled_lookup_key(pages, g.site))
    assert [k["id"] for k in known] == [key]  # one document; "no document" makes none
    data = known[0]["data"]
    assert data == {
        "id_key": key,
        "site_id": g.site,
        "name": "王访客",
        "id_type": "resident_id",
        "id_masked": ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:],
        "organisation": "市卫健委",
        "phone_masked": "138****5678",
        "plate": None,
        "last_visit_at": data["last_visit_at"],
    }
    later_visit = (await api.get(f"/api/visits/{later}", headers=g.manager.headers)).json()
    assert data["last_visit_at"] == later_visit["checked_in_at"]
    text = json.dumps(known)
    assert ID_NUMBER not in text and PHONE not in text and ID_NUMBER[4:14] not in text

    inspector_pull = json.dumps(await pull_all(api, await device_of(api, g.inspector)))
    assert key not in inspector_pull and '"entity": "known_visitor"' not in inspector_pull


async def test_a_new_visit_of_a_known_document_reaches_the_gate_as_a_change(api):
    g = await gate_school(api)
    await g.tablet.push_ok([g.op_check_in(g.tablet, new_id(), checked_in_at=ago(60))])
    cursors: dict[str, str | None] = {}
    [first] = changes_of(await pull_all(api, g.tablet, cursors), "known_visitor")
    assert first["data"]["organisation"] == "区教育局"
    made = await api.post(
        f"/api/sites/{g.site}/visits",
        json=g.check_in(organisation="区卫生监督所", checked_in_at=ago(1)),
        headers=g.gatekeeper.headers,
    )
    assert made.status_code == 201, made.text
    changed = changes_of(await pull_all(api, g.tablet, cursors), "known_visitor")
    assert [c["id"] for c in changed] == [first["id"]]
    assert changed[-1]["data"]["organisation"] == "区卫生监督所"
    assert changed[-1]["version"] > first["version"]
