"""Audiences, rule by rule (sync/PROTOCOL.md R43-R46), through the real HTTP API on both
databases.

No shipped feed is for a narrower audience yet (the gate's visitor records will be), so
these tests declare one: a `gate_probe` feed for the gate audience, with rows kept in
memory and changes recorded through the feed in real write transactions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from server.accounts import users
from server.db import transaction
from server.feeds import Audience, Feed, Scope, parse_scope
from server.syncing import entities
from sync.tables import SyncChange
from tests.factories import make_asset, make_person, make_school
from tests.syncing.test_pull import pull, pull_all

PROBE = "gate_probe"


class GateProbe:
    """Visitor-like records of one audience: rows for snapshots, changes through the feed."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict[str, tuple[int, dict]]] = {}
        self.feed = Feed(PROBE, Audience.GATE, self.snapshot)

    async def snapshot(self, site_id: uuid.UUID, after: str | None, limit: int) -> list:
        rows = sorted(self.rows.get(site_id, {}).items())
        return [(id_, v, data) for id_, (v, data) in rows if after is None or id_ > after][:limit]

    async def add(self, site_id: uuid.UUID, name: str) -> str:
        entity_id = str(uuid.uuid4())
        data = {"name": name}
        self.rows.setdefault(site_id, {})[entity_id] = (1, data)
        async with transaction():
            self.feed.record(site_id, entity_id, version=1, data=data)
        return entity_id


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> GateProbe:
    probe = GateProbe()
    monkeypatch.setattr(entities, "FEEDS", (*entities.FEEDS, probe.feed))
    return probe


def received(seen: dict[str, list[dict]], entity: str) -> dict[str, set[str]]:
    """Per scope, the ids of `entity` a device was sent."""
    return {
        scope: {c["id"] for c in changes if c["entity"] == entity}
        for scope, changes in seen.items()
    }


async def school_with_staff():
    school = await make_school()
    people = {role: await make_person(school, role) for role in ("admin", "manager", "gatekeeper")}
    people |= {
        role: await make_person(school, role)
        for role in ("inspector", "guard", "maintainer", "auditor")
    }
    return school, people


def test_rule_43_a_scope_is_a_site_and_an_audience() -> None:
    site = uuid.uuid4()
    everyone, gate = Scope(site, Audience.SITE), Scope(site, Audience.GATE)
    # Everyone's scope keeps the name devices have used since protocol 1: the site id.
    assert str(everyone) == str(site)
    assert str(gate) == f"{site}/gate"
    assert parse_scope(str(everyone)) == everyone
    assert parse_scope(str(gate)) == gate
    for text in (
        f"{site}/visitors",
        f"{site}/",
        f"{site}/site",
        str(site).upper(),
        f"{site}/gate/more",
        "not-a-site",
        "",
    ):
        assert parse_scope(text) is None, text


async def test_rule_44_every_change_lands_in_its_feeds_audience_scope(api, probe) -> None:
    school, people = await school_with_staff()
    visit = await probe.add(school.site_id, "张三")
    asset = await make_asset(people["admin"], school, asset_number="MHQ-44")
    rows = await SyncChange.select(SyncChange.scope, SyncChange.entity, SyncChange.entity_id)
    scopes = {(r["entity"], r["entity_id"]): r["scope"] for r in rows}
    assert scopes[(PROBE, visit)] == f"{school.site_id}/gate"
    assert scopes[("asset", str(asset))] == str(school.site_id)
    seen, _, _ = await pull_all(api, people["gatekeeper"])
    assert received(seen, PROBE) == {str(school.site_id): set(), f"{school.site_id}/gate": {visit}}
    assert str(asset) in received(seen, "asset")[str(school.site_id)]
    assert received(seen, "asset")[f"{school.site_id}/gate"] == set()


async def test_rule_45_a_device_receives_only_the_audiences_its_role_admits(api, probe) -> None:
    school, people = await school_with_staff()
    first = await probe.add(school.site_id, "张三")
    site, gate = str(school.site_id), f"{school.site_id}/gate"
    cursors = {}
    for role, person in people.items():
        seen, cursors[role], _ = await pull_all(api, person)
        if role in ("admin", "manager", "gatekeeper"):
            assert set(cursors[role]) == {site, gate}, role
            assert received(seen, PROBE)[gate] == {first}, role
        else:
            assert set(cursors[role]) == {site}, role
            assert all(c["entity"] != PROBE for changes in seen.values() for c in changes), role
    # Later changes follow the same line, through the change log.
    second = await probe.add(school.site_id, "李四")
    for role, person in people.items():
        seen, after, _ = await pull_all(api, person, cursors[role])
        assert set(after) == set(cursors[role]), role
        got = {c["id"] for changes in seen.values() for c in changes if c["entity"] == PROBE}
        assert got == ({second} if role in ("admin", "manager", "gatekeeper") else set()), role
    # Naming the gate scope does not open it: it is answered removed, with nothing in it.
    answer = await pull(api, people["inspector"], {site: cursors["inspector"][site], gate: None})
    pages = {page["scope"]: page for page in answer["scopes"]}
    assert pages[gate]["status"] == "removed" and pages[gate]["changes"] == []


async def test_rule_45_an_audience_without_feeds_has_no_scope(api, monkeypatch) -> None:
    # The gate has a feed (visits) since the visitor register; without it, no gate scope.
    site_only = tuple(f for f in entities.FEEDS if f.audience is not Audience.GATE)
    monkeypatch.setattr(entities, "FEEDS", site_only)
    school, people = await school_with_staff()
    _, cursors, _ = await pull_all(api, people["manager"])
    assert set(cursors) == {str(school.site_id)}


async def test_rule_46_losing_the_role_removes_the_audience_scope_not_the_site(api, probe) -> None:
    school, people = await school_with_staff()
    gatekeeper = people["gatekeeper"]
    await probe.add(school.site_id, "张三")
    site, gate = str(school.site_id), f"{school.site_id}/gate"
    _, cursors, _ = await pull_all(api, gatekeeper)
    assert set(cursors) == {site, gate}
    await users.set_membership(gatekeeper.user_id, school.site_id, "inspector")
    later = await probe.add(school.site_id, "李四")
    asset = await make_asset(people["admin"], school, asset_number="MHQ-46")
    seen, after, statuses = await pull_all(api, gatekeeper, cursors)
    assert statuses == {site: "ok", gate: "removed"}
    assert set(after) == {site}
    assert seen[gate] == []
    assert str(asset) in {c["id"] for c in seen[site]}
    assert later not in {c["id"] for changes in seen.values() for c in changes}
    # Given the role back, the device starts the gate scope again from a snapshot.
    await users.set_membership(gatekeeper.user_id, school.site_id, "gatekeeper")
    seen, again, _ = await pull_all(api, gatekeeper, after)
    assert set(again) == {site, gate}
    assert received(seen, PROBE)[gate] >= {later}
    # An ended membership removes every scope of the site.
    await users.set_membership(gatekeeper.user_id, school.site_id, "gatekeeper", datetime.now(UTC))
    _, gone, statuses = await pull_all(api, gatekeeper, again)
    assert gone == {} and statuses == {site: "removed", gate: "removed"}
