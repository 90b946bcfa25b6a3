"""Pick-up cards end to end, on both databases: kept by managers (made, changed at a
version, withdrawn), read and checked by the gate through the API and through sync; an
expired card and an expired temporary collector refused with their codes; a check sent
twice recorded once; an inspector's phone never receives a card; no full phone answered
or pulled; bad input refused with a code and the field, never a 5xx."""

from __future__ import annotations

import json

from server.gate.pickup_cards import (
    CARD_EXPIRED,
    CARD_NOT_YET,
    CARD_REVOKED,
    COLLECTOR_EXPIRED,
    COLLECTOR_NOT_YET,
    NOT_A_COLLECTOR,
)
from server.gate.tables import CardCheckRow
from tests.factories import make_person, make_school
from tests.gate.gating import ago, gate_school, new_id, pull_all, results
from tests.gate.passing import GRANDPA_PHONE, PARENT_PHONE, card_body, later, op_check
from tests.syncing.device import device_of


async def made_card(api, g, **over) -> dict:
    answer = await api.post(
        f"/api/sites/{g.site}/pickup-cards", json=card_body(**over), headers=g.manager.headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def check(api, g, card_id: str, key: str, **over) -> dict:
    body = {"id": new_id(), "collector_key": key, "checked_at": ago(1)} | over
    answer = await api.post(
        f"/api/pickup-cards/{card_id}/checks", json=body, headers=g.gatekeeper.headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def codes(answer: dict) -> list[str]:
    return [fault["code"] for fault in answer["faults"]]


async def test_a_card_made_changed_and_withdrawn_by_a_manager(api):
    g = await gate_school(api)
    body = card_body()
    made = await api.post(f"/api/sites/{g.site}/pickup-cards", json=body, headers=g.manager.headers)
    assert made.status_code == 201, made.text
    card = made.json()
    assert (card["child"], card["class_name"], card["version"]) == ("刘小雨", "一年级一班", 1)
    assert [c["phone_masked"] for c in card["collectors"]] == ["139****4321", "136****4444"]
    assert card["revoked_at"] is None
    # The same card again under its id: the same answer, stored once.
    again = await api.post(
        f"/api/sites/{g.site}/pickup-cards", json=body, headers=g.manager.headers
    )
    assert (again.status_code, again.json()) == (201, card)
    other = await api.post(
        f"/api/sites/{g.site}/pickup-cards",
        json=body | {"child": "张三"},
        headers=g.manager.headers,
    )
    assert (other.status_code, other.json()["code"]) == (409, "pickup_card.id_taken")
    listed = await api.get(f"/api/sites/{g.site}/pickup-cards", headers=g.gatekeeper.headers)
    assert listed.status_code == 200 and listed.json() == [card]

    url = f"/api/pickup-cards/{card['id']}"
    changed = await api.put(
        url,
        json=body | {"version": 1, "collectors": body["collectors"][:1]},
        headers=g.manager.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and len(changed.json()["collectors"]) == 1
    stale = await api.put(url, json=body | {"version": 1}, headers=g.manager.headers)
    assert (stale.status_code, stale.json()["code"]) == (409, "pickup_card.version_conflict")
    # The console reads a phone masked and sends an edit without it: the phone stays, as
    # the gate's caller sees from its mask; a phone typed anew replaces it.
    unphoned = [{**c, "phone": None} for c in body["collectors"][:1]]
    kept = await api.put(
        url, json=body | {"version": 2, "collectors": unphoned}, headers=g.manager.headers
    )
    assert kept.status_code == 200, kept.text
    assert [c["phone_masked"] for c in kept.json()["collectors"]] == ["139****4321"]
    retyped = [{**c, "phone": "13512345678"} for c in body["collectors"][:1]]
    replaced = await api.put(
        url, json=body | {"version": 3, "collectors": retyped}, headers=g.manager.headers
    )
    assert [c["phone_masked"] for c in replaced.json()["collectors"]] == ["135****5678"]
    assert (await api.get(url, headers=g.gatekeeper.headers)).json()["version"] == 4
    assert PARENT_PHONE not in stale.text
    # Withdrawn: every collector refused from then on; withdrawn twice, it stays as it was.
    revoked = await api.post(f"{url}/revoke", headers=g.manager.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    twice = await api.post(f"{url}/revoke", headers=g.manager.headers)
    assert twice.json() == revoked.json()
    now = await check(api, g, card["id"], "card-001", checked_at=ago(0))
    assert codes(now) == [CARD_REVOKED]
    # A check the gate made before the withdrawal (synced late) was not refused by it.
    before = await check(api, g, card["id"], "card-001", checked_at=ago(60))
    assert before["allowed"] is True

    # The gate reads cards but does not keep them; an inspector neither.
    for person, status in ((g.gatekeeper, 403), (g.inspector, 403)):
        asked = [
            await api.post(
                f"/api/sites/{g.site}/pickup-cards", json=card_body(), headers=person.headers
            ),
            await api.put(url, json=body | {"version": 3}, headers=person.headers),
            await api.post(f"{url}/revoke", headers=person.headers),
        ]
        assert [a.status_code for a in asked] == [status] * 3
    denied = await api.get(f"/api/sites/{g.site}/pickup-cards", headers=g.inspector.headers)
    assert denied.status_code == 403
    stranger = await make_person(await make_school(), "admin")
    for answer in (
        await api.get(url, headers=stranger.headers),
        await api.get(f"/api/sites/{g.site}/pickup-cards", headers=stranger.headers),
        await api.post(f"{url}/revoke", headers=stranger.headers),
        await api.post(
            f"{url}/checks",
            json={"id": new_id(), "collector_key": "card-001", "checked_at": ago(1)},
            headers=stranger.headers,
        ),
    ):
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
        assert "刘小雨" not in answer.text


async def test_the_gates_checks_and_their_codes(api):
    g = await gate_school(api)
    card = await made_card(api, g)
    mother = await check(api, g, card["id"], "card-001")
    assert (mother["allowed"], mother["faults"], mother["collector"]) == (True, [], "刘芳")
    grandpa = await check(api, g, card["id"], "card-002")
    assert grandpa["allowed"] is True
    stranger = await check(api, g, card["id"], "card-999")
    assert (stranger["allowed"], codes(stranger), stranger["collector"]) == (
        False,
        [NOT_A_COLLECTOR],
        None,
    )
    # The grandfather's week is over (and not yet begun, the week before).
    expired = await made_card(
        api,
        g,
        collectors=[
            {
                "key": "k1",
                "name": "刘建国",
                "valid_from": ago(60 * 24 * 10),
                "valid_until": ago(60),
            },
            {"key": "k2", "name": "刘奶奶", "valid_from": later(60), "valid_until": later(600)},
        ],
    )
    old = await check(api, g, expired["id"], "k1")
    assert (old["allowed"], codes(old), old["collector"]) == (False, [COLLECTOR_EXPIRED], "刘建国")
    assert codes(await check(api, g, expired["id"], "k2")) == [COLLECTOR_NOT_YET]
    # The card itself has expired; or is not yet valid.
    ended = await made_card(api, g, valid_from=ago(60 * 24 * 300), valid_until=ago(10))
    last_year = await check(api, g, ended["id"], "card-001")
    assert (last_year["allowed"], codes(last_year)) == (False, [CARD_EXPIRED])
    coming = await made_card(api, g, valid_from=later(60), valid_until=later(60 * 24 * 30))
    assert codes(await check(api, g, coming["id"], "card-001")) == [CARD_NOT_YET]

    # Through sync: the same check twice is recorded once and answered the same.
    op = op_check(g, g.tablet, ended["id"], "card-001")
    first = await g.tablet.push_ok([op])
    assert results(first) == [("applied", None)]
    assert first["results"][0]["result"]["faults"][0]["code"] == CARD_EXPIRED
    resent = await g.tablet.push_ok([g.tablet.op(op["body"], "card.checked")])
    assert results(resent) == [("duplicate", None)]
    assert resent["results"][0]["result"] == first["results"][0]["result"]
    stored = await CardCheckRow.select().where(CardCheckRow.id == op["body"]["id"])
    assert len(stored) == 1 and stored[0]["allowed"] is False
    assert json.loads(stored[0]["faults"])[0]["code"] == CARD_EXPIRED
    # The same via the API, twice: one row, the same answer.
    body = {"id": new_id(), "collector_key": "card-002", "checked_at": ago(2)}
    url = f"/api/pickup-cards/{card['id']}/checks"
    once = await api.post(url, json=body, headers=g.gatekeeper.headers)
    twice = await api.post(url, json=body, headers=g.manager.headers)
    assert once.status_code == twice.status_code == 200
    assert once.json() == twice.json() and once.json()["collector"] == "刘建国"
    assert len(await CardCheckRow.select().where(CardCheckRow.id == body["id"])) == 1
    changed = await api.post(
        url, json=body | {"collector_key": "card-001"}, headers=g.gatekeeper.headers
    )
    assert (changed.status_code, changed.json()["code"]) == (409, "card.conflict")


async def test_an_inspector_never_receives_a_card_and_no_phone_is_answered_whole(api):
    g = await gate_school(api)
    card = await made_card(api, g)
    said = [
        (await api.get(f"/api/sites/{g.site}/pickup-cards", headers=g.manager.headers)).text,
        (await api.get(f"/api/pickup-cards/{card['id']}", headers=g.gatekeeper.headers)).text,
        json.dumps(await check(api, g, card["id"], "card-002")),
    ]
    gate_pull = json.dumps(await pull_all(api, g.tablet))
    said.append(gate_pull)
    assert card["id"] in gate_pull and '"entity": "pickup_card"' in gate_pull
    for text in said:
        assert PARENT_PHONE not in text and GRANDPA_PHONE not in text
    for person in (g.inspector, g.host):
        pulled = json.dumps(await pull_all(api, await device_of(api, person)))
        assert card["id"] not in pulled and "刘小雨" not in pulled
        assert '"entity": "pickup_card"' not in pulled
    # An inspector's device may not record a check either.
    device = await device_of(api, g.inspector)
    pushed = await device.push_ok([op_check(g, device, card["id"], "card-001")])
    assert results(pushed) == [("rejected", "auth.forbidden")]


async def test_bad_input_is_refused_with_its_code_and_field_never_a_5xx(api):
    g = await gate_school(api)
    url = f"/api/sites/{g.site}/pickup-cards"
    base = card_body()
    collectors = base["collectors"]
    cases = [
        ({"valid_until": ago(60 * 24 * 40)}, 422, "pickup_card.window_invalid", "valid_until"),
        (
            {"collectors": [collectors[0], collectors[0]]},
            422,
            "pickup_card.key_twice",
            "collectors[1].key",
        ),
        (
            {"collectors": [collectors[1] | {"valid_until": ago(60 * 24 * 5)}]},
            422,
            "pickup_card.window_invalid",
            "collectors[0].valid_until",
        ),
        (
            {"collectors": [collectors[0] | {"phone": "555"}]},
            422,
            "pickup_card.phone_format",
            "collectors[0].phone",
        ),
        ({"collectors": [collectors[0]] * 21}, 400, "request.invalid", None),
        ({"collectors": "刘芳"}, 400, "request.invalid", "collectors"),
        ({"child": 5}, 400, "request.invalid", "child"),
        ({"id": "x"}, 400, "request.invalid", "id"),
        ({"valid_from": "2026-01-01"}, 400, "request.invalid", "valid_from"),
    ]
    for over, status, code, field in cases:
        answer = await api.post(
            url,
            json=base | over | {"id": new_id()} | ({"id": over["id"]} if "id" in over else {}),
            headers=g.manager.headers,
        )
        assert (answer.status_code, answer.json()["code"]) == (status, code), (over, answer.text)
        if field is not None:
            assert answer.json().get("field") == field, (over, answer.text)
    card = await made_card(api, g)
    unknown = new_id()
    for answer in (
        await api.get(f"/api/pickup-cards/{unknown}", headers=g.manager.headers),
        await api.post(f"/api/pickup-cards/{unknown}/revoke", headers=g.manager.headers),
        await api.put(
            f"/api/pickup-cards/{unknown}",
            json=card_body(unknown) | {"version": 1},
            headers=g.manager.headers,
        ),
        await api.post(
            f"/api/pickup-cards/{unknown}/checks",
            json={"id": new_id(), "collector_key": "k", "checked_at": ago(1)},
            headers=g.gatekeeper.headers,
        ),
    ):
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), answer.text
    put = f"/api/pickup-cards/{card['id']}"
    for body, code, field in (
        (card_body(card["id"]), "request.invalid", None),
        (card_body(card["id"]) | {"version": "one"}, "request.invalid", "version"),
        (card_body(card["id"]) | {"version": 0}, "request.invalid", "version"),
        (card_body() | {"version": 1}, "request.invalid", "id"),
    ):
        answer = await api.put(put, json=body, headers=g.manager.headers)
        assert (answer.status_code, answer.json()["code"], answer.json().get("field")) == (
            400,
            code,
            field,
        ), answer.text
    checks = f"/api/pickup-cards/{card['id']}/checks"
    for body, status, code in (
        ({"id": new_id(), "collector_key": "", "checked_at": ago(1)}, 400, "request.invalid"),
        ({"id": new_id(), "collector_key": 1, "checked_at": ago(1)}, 400, "request.invalid"),
        (
            {"id": new_id(), "collector_key": "k", "checked_at": later(60)},
            422,
            "card.recorded_in_future",
        ),
        (
            {
                "id": "0190a6c4-0000-4000-8000-000000000000",
                "collector_key": "k",
                "checked_at": ago(1),
            },
            400,
            "card.id_not_uuid7",
        ),
    ):
        answer = await api.post(checks, json=body, headers=g.gatekeeper.headers)
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    # Through sync: a card of another school is not found; nothing lost after it.
    elsewhere = await make_school()
    admin = await make_person(elsewhere, "admin")
    foreign = (
        await api.post(
            f"/api/sites/{elsewhere.site_id}/pickup-cards",
            json=card_body(),
            headers=admin.headers,
        )
    ).json()
    pushed = await g.tablet.push_ok(
        [
            op_check(g, g.tablet, foreign["id"], "card-001"),
            op_check(g, g.tablet, card["id"], "card-001", site_id=str(elsewhere.site_id)),
            op_check(g, g.tablet, card["id"], "card-001", checked_at="yesterday"),
            op_check(g, g.tablet, card["id"], "card-001"),
        ]
    )
    assert results(pushed) == [
        ("rejected", "not_found"),
        ("rejected", "not_found"),
        ("rejected", "sync.invalid_body"),
        ("applied", None),
    ]
