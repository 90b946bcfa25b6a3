"""What the server says, logs and exports never carries a credential or a secret.

A full run against one school: every read route of the API (from the app's route table)
as each role, a device's push and pull, the labels PDF, the OpenAPI description, the
webhook deliveries as the API shows them, and every log line the server wrote meanwhile.
Searched for: the people's API tokens (shown once, when made, and nowhere after), their
password, password hashes, session ids, the webhook's signing secret, and the server's own
secret key; and visitors' full ID numbers, also in every row of every table.
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any

import httpx
import pypdfium2
import pytest
from uuid_utils.compat import uuid7

from server import db
from server.accounts.tables import ApiToken, UserSession
from server.gate.keys import id_secret
from tests.factories import PASSWORD
from tests.inspections.helpers import extinguisher_answers, submission
from tests.syncing.device import device_of
from tests.tenancy_world import (
    PASS_PHONES,
    VISITOR_ID_NUMBER,
    VISITOR_PHONE,
    WATCHED_NAME,
    build_world,
    visitor,
)
from tests.test_tenancy_matrix import api_routes, request_of

SECRET = "s3cret-webhook-signing-key-1234567890"


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def logs():
    """Every line the server's own loggers write, and every INFO line of any library (the
    level a deployment runs at; libraries' DEBUG lines echo SQL parameters by design)."""
    handler = Everything()
    root, ours = logging.getLogger(), logging.getLogger("roundkeeper")
    levels = root.level, ours.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    ours.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


def _text(response: httpx.Response) -> str:
    headers = "\n".join(
        f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "set-cookie"
    )
    body = response.content.decode("utf-8", "replace")
    where = f"{response.request.method} {response.request.url} {response.status_code}"
    return f"{where}\n{headers}\n{body}"


async def test_no_response_log_line_or_export_carries_a_credential_or_a_secret(
    api, clean, logs
) -> None:
    world = await build_world(api)
    site = world.ids["site_id"]
    people = [world.admin, world.manager, world.inspector, world.auditor]
    said: list[str] = []

    hook = await api.post(
        f"/api/sites/{site}/webhooks",
        json={"url": "http://93.184.216.34/signed", "events": ["finding.high"], "secret": SECRET},
        headers=world.admin.headers,
    )
    assert hook.status_code == 201, hook.text
    said.append(_text(hook))

    # A browser session, whose cookie and CSRF token are credentials too.
    login = await api.post(
        "/api/auth/login", json={"username": world.manager.username, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    browser = {
        "the session cookie": next(iter(login.cookies.values())),
        "the CSRF token": login.json()["csrf_token"],
    }
    stored_hashes = [r["token_hash"] for r in await UserSession.select(UserSession.token_hash)]
    stored_hashes += [r["token_hash"] for r in await ApiToken.select(ApiToken.token_hash)]

    # A phone's work: a failing inspection pushed, then everything pulled.
    device = await device_of(api, world.inspector)
    body = submission(asset=world.ids["asset_id"], answers=extinguisher_answers(gauge_zone="red"))
    pushed = await device.push([device.op(body)])
    said.append(_text(pushed))
    pulled = await api.post(
        "/api/sync/pull",
        json={"protocol": 1, "app_version": "t", "device_id": str(device.id), "cursors": {}},
        headers=world.inspector.headers,
    )
    said.append(_text(pulled))

    # The gate's work: a visitor checked in through sync, and the gate's scope pulled by a
    # manager's device (visitor records never reach an inspector's).
    gate = await device_of(api, world.manager)
    check_in = visitor(world.inspector) | {"site_id": site}
    pushed = await gate.push([gate.op(check_in, "visit.checked_in")])
    assert pushed.json()["results"][0]["status"] == "applied", pushed.text
    said.append(_text(pushed))
    gate_pull = await api.post(
        "/api/sync/pull",
        json={"protocol": 1, "app_version": "t", "device_id": str(gate.id), "cursors": {}},
        headers=world.manager.headers,
    )
    assert f"{site}/gate" in gate_pull.text and world.ids["visit_id"] in gate_pull.text
    said.append(_text(gate_pull))
    # The visitor is on the watchlist now: the check-in matched, a manager decides, the host
    # signs; the gate's own feeds (settings and key, watch keys, repeat visitors) pulled.
    matched = check_in["visit_id"]
    decided = await gate.push(
        [
            gate.op(
                {
                    "id": str(uuid7()),
                    "visit_id": matched,
                    "site_id": site,
                    "decision": "admit",
                    "decided_at": datetime.now(UTC).isoformat(),
                },
                "visit.watch_decided",
            )
        ]
    )
    assert decided.json()["results"][0]["status"] == "applied", decided.text
    said.append(_text(decided))
    host_phone = device  # the inspector is the visit's host; the phone numbers on from
    host_phone.seq = (await host_phone.push_ok([]))["last_applied_seq"]  # what it stored
    signed = await host_phone.push(
        [
            host_phone.op(
                {
                    "id": str(uuid7()),
                    "visit_id": matched,
                    "site_id": site,
                    "signed_at": datetime.now(UTC).isoformat(),
                    "strokes": [[1.0, 2.0, 3.0, 4.0]],
                },
                "visit.signed",
            )
        ]
    )
    assert signed.json()["results"][0]["status"] == "applied", signed.text
    said.append(_text(signed))
    gate_pull = await api.post(
        "/api/sync/pull",
        json={"protocol": 1, "app_version": "t", "device_id": str(gate.id), "cursors": {}},
        headers=world.manager.headers,
    )
    for entity in ("gate_settings", "watch_key", "known_visitor"):
        assert f'"entity":"{entity}"' in gate_pull.text.replace(" ", ""), entity
    assert WATCHED_NAME not in gate_pull.text and '"watch":"admitted"' in gate_pull.text
    said.append(_text(gate_pull))

    # Every read of the API, as each role; exports and the API description.
    reads = [r for r in api_routes(clean) if r.method == "GET"]
    assert len(reads) > 30
    for person in people:
        for route in reads:
            request: dict[str, Any] = request_of(world, route, world.ids)
            answer = await api.request(**{**request, "headers": person.headers})
            assert answer.status_code < 500, (route, answer.text)
            said.append(_text(answer))
    for extra in ("/schema/openapi.json", f"/api/labels.pdf?site_id={site}", "/healthz"):
        said.append(_text(await api.get(extra, headers=world.admin.headers)))
    # The visitor's slip is among the reads; its PDF's text is compressed, so read out too.
    # A slip leaves the gate in the visitor's hand: never their phone, even masked.
    slips = {f"/api/visits/{{visit_id}}/{name}" for name in ("slip", "slip.pdf")}
    assert slips <= {route.path for route in reads}
    visit_slips = [
        await api.get(f"/api/visits/{world.ids['visit_id']}/slip", headers=world.manager.headers),
        await api.get(
            f"/api/visits/{world.ids['visit_id']}/slip.pdf", headers=world.manager.headers
        ),
    ]
    assert [s.status_code for s in visit_slips] == [200, 200], [s.text for s in visit_slips]
    slip_texts = [
        visit_slips[0].text,
        pypdfium2.PdfDocument(visit_slips[1].content)[0].get_textpage().get_text_range(),
    ]
    for text in slip_texts:
        assert "王访客" in text and "13812345678" not in text and "138****5678" not in text
    said += slip_texts

    secrets = {
        "the webhook's secret": SECRET,
        "the server's secret key": clean.settings.secret_key,
        "a password": PASSWORD,
        "a password hash": "$argon2",
        **{f"{p.username}'s token": p.token for p in people},
        **browser,
        **{f"a stored token hash ({n})": h for n, h in enumerate(stored_hashes)},
        "a visitor's full ID number": VISITOR_ID_NUMBER,
        "a visitor's full phone": VISITOR_PHONE,
        "the deployment's ID key (hex)": id_secret(clean.settings.secret_key).hex(),
        "the deployment's ID key (base64)": base64.urlsafe_b64encode(
            id_secret(clean.settings.secret_key)
        )
        .rstrip(b"=")
        .decode(),
        **{f"a parent's or collector's full phone ({n})": p for n, p in enumerate(PASS_PHONES)},
    }
    assert all(secrets.values())
    everything = {"responses": "\n".join(said), "logs": "\n".join(logs.lines)}
    found = {
        (where, what)
        for where, text in everything.items()
        for what, secret in secrets.items()
        if secret in text
    }
    assert found == set()
    # The scan saw what it searched: the run's responses name the site and its records.
    assert site in everything["responses"] and world.ids["asset_id"] in everything["responses"]
    assert world.ids["visit_id"] in everything["responses"]
    assert world.ids["pass_id"] in everything["responses"]
    assert world.ids["card_id"] in everything["responses"]
    # The tables hold credentials' hashes by design; a visitor's number, not even that: only
    # its keyed hash and masked form.
    rows = [repr(row) for table in db.table_classes() for row in await table.select()]
    stored = "\n".join(rows)
    assert world.ids["visit_id"] in stored
    assert VISITOR_ID_NUMBER not in stored
