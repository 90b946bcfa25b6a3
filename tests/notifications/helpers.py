"""Webhooks and dispatcher passes for tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from server.notifications.destinations import allowed_networks
from server.notifications.dispatcher import DispatchPolicy, run_pass
from server.notifications.wire import PassReport
from tests.factories import Person, School

LOOPBACK = allowed_networks(["127.0.0.1/32"])
"""Where the tests' receivers listen, as the test server's settings allow it."""
QUICK = DispatchPolicy(
    timeout_s=2.0, max_attempts=4, backoff_s=0.01, backoff_cap_s=0.05, allow_private=LOOPBACK
)
"""Backoff in hundredths of a second, so retries happen within a test; the receivers'
loopback allowed, as the test server allows it (tests/conftest.py)."""


def policy(**changes: Any) -> DispatchPolicy:
    return replace(QUICK, **changes)


async def add_webhook(
    api, admin: Person, school: School, url: str, events: list[str], **fields: Any
) -> dict:
    body = {"url": url, "events": events, **fields}
    response = await api.post(
        f"/api/sites/{school.site_id}/webhooks", json=body, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries(api, person: Person, school: School, hook: dict, **params: str) -> list:
    response = await api.get(
        f"/api/sites/{school.site_id}/webhooks/{hook['id']}/deliveries",
        params=params,
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def dispatch(now: datetime | None = None, **changes: Any) -> PassReport:
    return await run_pass(now=now, policy=policy(**changes))
