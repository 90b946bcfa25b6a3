"""The watchlist on both databases: managers add and remove entries; gate devices receive an
entry's keyed hash and nothing else, and match a visitor from the hashes alone; the server
matches every check-in too; a matched visit waits for a manager's decision (in the app, or
by phone through the gatekeeper), whatever order its facts arrive in."""

from __future__ import annotations

import json
from typing import Any

from server.gate.documents import check_character, id_key
from server.gate.visits import WATCHLIST_MATCH
from tests.factories import make_person, make_school
from tests.gate.gating import (
    ID_NUMBER,
    PHONE,
    Gate,
    ago,
    changes_of,
    gate_school,
    new_id,
    pull_all,
    pulled_lookup_key,
    results,
)
from tests.syncing.device import device_of

OTHER_BODY = "44030619800101123"
OTHER_NUMBER = OTHER_BODY + check_character(OTHER_BODY)
"""Another resident ID of the right form (no real person's): never on the list."""


def entry(**over: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "id_type": "resident_id",
        "id_number": ID_NUMBER,
        "name": "张某",
        "reason": "法院禁止令",
    } | over


async def listed(api, g: Gate, **over: Any) -> dict[str, Any]:
    made = await api.post(
        f"/api/sites/{g.site}/gate/watchlist", json=entry(**over), headers=g.manager.headers
    )
    assert made.status_code == 201, made.text
    return made.json()


async def test_managers_add_list_and_remove_entries_and_nobody_else_does(api):
    g = await gate_school(api)
    url = f"/api/sites/{g.site}/gate/watchlist"
    body = entry()
    made = await api.post(url, json=body, headers=g.manager.headers)
    assert made.status_code == 201, made.text
    added = made.json()
    assert added["id_masked"] == ID_NUMBER[:6] + "*" * 8 + ID_NUMBER[-4:]
    assert (added["name"], added["reason"], added["version"]) == ("张某", "法院禁止令", 1)
    assert added["added_by"]["id"] == str(g.manager.user_id)
    assert added["removed_at"] is None and added["removed_by"] is None
    assert ID_NUMBER not in made.text

    again = await api.post(url, json=body, headers=g.manager.headers)
    assert (again.status_code, again.json()) == (201, added)
    other = await api.post(url, json=body | {"name": "李某"}, headers=g.manager.headers)
    assert (other.status_code, other.json()["code"], other.json()["field"]) == (
        409,
        "watch.conflict",
        "id",
    )
    stranger = await make_person(await make_school(), "admin")
    for person, status in ((g.gatekeeper, 403), (g.inspector, 403), (stranger, 404)):
        assert (await api.get(url, headers=person.headers)).status_code == status
        tried = await api.post(url, json=entry(), headers=person.headers)
        assert tried.status_code == status, tried.text
        gone = await api.post(f"/api/gate/watchlist/{added['id']}/remove", headers=person.headers)
        assert gone.status_code == status, gone.text
        assert "张某" not in tried.text + gone.text

    for over, code, field in (
        (
            {"id_number": ID_NUMBER[:-1] + ("1" if ID_NUMBER[-1] != "1" else "2")},
            "visit.id_check_digit",
            "id_number",
        ),
        ({"id_type": "none", "id_number": ""}, "watch.no_document", "id_type"),
        ({"name": ""}, "request.invalid", "name"),
        ({"id": "not-a-uuid"}, "request.invalid", "id"),
    ):
        bad = await api.post(url, json=entry(**over), headers=g.manager.headers)
        assert bad.status_code in (400, 422), bad.text
        assert (bad.json()["code"], bad.json()["field"]) == (code, field), over

    removed = await api.post(f"/api/gate/watchlist/{added['id']}/remove", headers=g.manager.headers)
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed_by"]["id"] == str(g.manager.user_id)
    assert removed.json()["version"] == 2
    twice = await api.post(f"/api/gate/watchlist/{added['id']}/remove", headers=g.manager.headers)
    assert twice.json() == removed.json()
    missing = await api.post(f"/api/gate/watchlist/{new_id()}/remove", headers=g.manager.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    listing = (await api.get(url, headers=g.manager.headers)).json()
    assert [e["id"] for e in listing] == [added["id"]]
    assert listing[0]["removed_at"] is not None


async def test_a_gate_device_matches_from_the_hashes_alone_and_learns_nothing_else(api):
    g = await gate_school(api)
    added = await listed(api, g)
    cursors: dict[str, str | None] = {}
    pages = await pull_all(api, g.tablet, cursors)
    [item] = changes_of(pages, "watch_key")
    assert item["id"] == added["id"]
    assert set(item["data"]) == {"id", "site_id", "id_key"}
    pulled = json.dumps(changes_of(pages, "watch_key"))
    for private in ("张某", "法院禁止令", added["id_masked"], ID_NUMBER, ID_NUMBER[-4:]):
        assert private not in pulled
    # The phone hashes what the visitor shows with the pulled key, and finds the entry.
    key = pulled_lookup_key(pages, g.site)
    assert id_key("resident_id", ID_NUMBER, key) == item["data"]["id_key"]
    assert id_key("resident_id", OTHER_NUMBER, key) != item["data"]["id_key"]
    assert id_key("passport", ID_NUMBER, key) != item["data"]["id_key"]

    inspector_pull = json.dumps(await pull_all(api, await device_of(api, g.inspector)))
    assert item["data"]["id_key"] not in inspector_pull

    await api.post(f"/api/gate/watchlist/{added['id']}/remove", headers=g.manager.headers)
    [removed] = changes_of(await pull_all(api, g.tablet, cursors), "watch_key")
    assert (removed["id"], removed["op"]) == (added["id"], "del")
    assert "data" not in removed
    fresh = await pull_all(api, g.other_tablet)
    assert changes_of(fresh, "watch_key") == []


async def test_the_server_matches_a_check_in_the_device_let_through_and_a_manager_admits(api):
    g = await gate_school(api)
    await listed(api, g)
    visit_id = new_id()
    pushed = await g.tablet.push_ok(
        [
            g.op_check_in(g.tablet, visit_id, watch_match=False),
            g.op_approve(g.tablet, visit_id, ago(29)),
        ]
    )
    assert results(pushed) == [("applied", None)] * 2
    visit = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
    assert (visit["state"], visit["consent"], visit["watch"]) == ("pending", "approved", "match")
    assert visit["flags"] == [WATCHLIST_MATCH] and visit["entered_at"] is None
    # Not a visit for anyone's still-inside list.
    inside = await api.get(
        f"/api/sites/{g.site}/visits", params={"state": "inside"}, headers=g.manager.headers
    )
    assert inside.json() == []

    admitted = await api.post(
        f"/api/visits/{visit_id}/watch-decisions",
        json={"id": new_id(), "decision": "admit", "decided_at": ago(20), "reason": "同名"},
        headers=g.manager.headers,
    )
    assert admitted.status_code == 200, admitted.text
    visit = admitted.json()
    assert (visit["state"], visit["watch"], visit["flags"]) == ("inside", "admitted", [])
    assert visit["watch_decided_by"]["id"] == str(g.manager.user_id)
    assert visit["entered_at"] is not None and visit["expected_until"] is not None
    assert ID_NUMBER not in admitted.text and PHONE not in admitted.text


async def test_a_denial_by_phone_refuses_and_only_a_manager_may_decide(api):
    g = await gate_school(api)
    body = g.check_in(id_number=OTHER_NUMBER, watch_match=True)  # the device's own verdict
    made = await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    assert made.status_code == 201, made.text
    assert (made.json()["watch"], made.json()["state"]) == ("match", "pending")
    visit_id = body["visit_id"]
    url = f"/api/visits/{visit_id}/watch-decisions"

    def decision(**over: Any) -> dict[str, Any]:
        return {"id": new_id(), "decision": "admit", "decided_at": ago(10)} | over

    for person, payload in (
        (g.host, decision()),
        (g.gatekeeper, decision()),
        (g.gatekeeper, decision(channel="phone", by_id=str(g.host.user_id))),
        (g.gatekeeper, decision(channel="phone")),
    ):
        refused = await api.post(url, json=payload, headers=person.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "visit.not_a_manager"), (
            refused.text
        )
    inspector = await api.post(url, json=decision(), headers=g.inspector.headers)
    assert (inspector.status_code, inspector.json()["code"]) == (403, "visit.not_a_manager")
    stranger = await make_person(await make_school(), "admin")
    assert (await api.post(url, json=decision(), headers=stranger.headers)).status_code == 404
    # Through sync: the same refusal, with its code.
    op = g.tablet.op(
        decision(visit_id=visit_id, site_id=g.site) | {"decision": "deny"}, "visit.watch_decided"
    )
    assert results(await g.tablet.push_ok([op])) == [("rejected", "visit.not_a_manager")]

    denied = await api.post(
        url,
        json=decision(decision="deny", channel="phone", by_id=str(g.manager.user_id)),
        headers=g.gatekeeper.headers,
    )
    assert denied.status_code == 200, denied.text
    visit = denied.json()
    assert (visit["state"], visit["watch"], visit["flags"]) == ("refused", "denied", [])
    assert visit["watch_decided_by"]["id"] == str(g.manager.user_id)
    # The host's approval does not let a denied visitor in; an admission after it neither.
    await api.post(
        f"/api/visits/{visit_id}/decisions",
        json={"id": new_id(), "decision": "approved", "decided_at": ago(5)},
        headers=g.host.headers,
    )
    later = await api.post(url, json=decision(), headers=g.manager.headers)
    assert (later.json()["state"], later.json()["watch"]) == ("refused", "denied")


async def test_a_removed_entry_matches_no_later_check_in(api):
    g = await gate_school(api)
    added = await listed(api, g)
    await api.post(f"/api/gate/watchlist/{added['id']}/remove", headers=g.manager.headers)
    made = await api.post(
        f"/api/sites/{g.site}/visits",
        json=g.check_in(checked_in_at=ago(0)),
        headers=g.gatekeeper.headers,
    )
    assert (made.json()["watch"], made.json()["flags"]) == ("none", [])
    # A check-in made before the removal, synced after it, still matched.
    earlier = await api.post(
        f"/api/sites/{g.site}/visits",
        json=g.check_in(checked_in_at=ago(30)),
        headers=g.gatekeeper.headers,
    )
    assert (earlier.json()["watch"], earlier.json()["flags"]) == ("match", [WATCHLIST_MATCH])


async def test_the_facts_of_a_matched_visit_in_any_order_and_twice_give_the_same_visit(api):
    g = await gate_school(api)
    await listed(api, g)
    outcomes = []
    for order in ((0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)):
        visit_id = new_id()
        facts = [
            (g.check_in(visit_id, checked_in_at=ago(30)) | {"site_id": g.site}, "visit.checked_in"),
            (
                {
                    "id": new_id(),
                    "visit_id": visit_id,
                    "site_id": g.site,
                    "channel": "phone",
                    "by_id": str(g.host.user_id),
                    "approved_at": ago(28),
                },
                "visit.approved",
            ),
            (
                {
                    "id": new_id(),
                    "visit_id": visit_id,
                    "site_id": g.site,
                    "decision": "admit",
                    "channel": "phone",
                    "by_id": str(g.manager.user_id),
                    "decided_at": ago(25),
                },
                "visit.watch_decided",
            ),
            (
                {
                    "id": new_id(),
                    "visit_id": visit_id,
                    "site_id": g.site,
                    "checked_out_at": ago(5),
                    "method": "slip",
                },
                "visit.checked_out",
            ),
        ]
        for index in order:
            body, type_ = facts[index]
            pushed = await g.tablet.push_ok([g.tablet.op(body, type_)])
            assert results(pushed) == [("applied", None)]
        for body, type_ in facts:  # all of them again: duplicates, nothing changes
            resent = await g.other_tablet.push_ok([g.other_tablet.op(body, type_)])
            assert results(resent) == [("duplicate", None)]
        visit = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
        outcomes.append(
            {
                k: v
                for k, v in visit.items()
                if k not in ("id", "version", "checked_in_at", "entered_at", "expected_until")
                and not k.endswith("_at")
            }
        )
        assert visit["watch"] == "admitted" and visit["state"] == "left"
    assert outcomes[0] == outcomes[1] == outcomes[2]


async def test_decisions_and_signatures_pushed_by_a_stranger_are_refused_and_change_nothing(api):
    g = await gate_school(api)
    body = g.check_in(watch_match=True)
    await api.post(f"/api/sites/{g.site}/visits", json=body, headers=g.gatekeeper.headers)
    visit_id = body["visit_id"]
    before = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
    stranger = await make_person(await make_school(), "admin")
    device = await device_of(api, stranger)
    named = {"visit_id": visit_id, "site_id": g.site}
    answer = await device.push_ok(
        [
            device.op(
                named | {"id": new_id(), "decision": "admit", "decided_at": ago(1)},
                "visit.watch_decided",
            ),
            device.op(
                named | {"id": new_id(), "signed_at": ago(1), "strokes": [[1.0, 2.0]]},
                "visit.signed",
            ),
        ]
    )
    assert results(answer) == [("rejected", "not_found")] * 2
    assert "王访客" not in json.dumps(answer)
    after = (await api.get(f"/api/visits/{visit_id}", headers=g.manager.headers)).json()
    assert after == before and after["watch"] == "match"
