"""Phones on a faulty network against the real server, for the chaos tests.

A `Fleet` is one organization of its own (so hypothesis examples do not see each other's
rows): two sites, an admin of both, four inspectors with one phone each (two of them on
both sites), extinguishers with tags. Each phone is the real `DeviceClient` with its own
store, its own `FaultyTransport` and its own clock. The fleet remembers what the admin did
(who lost which site, what was deleted) so the checks know what must hold.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

import checklists
from checklists import load_library
from server.accounts import tokens, users
from server.db import snapshot, transaction
from server.inspections.tables import Finding, Inspection
from server.syncing.entities import FEEDS
from server.templates.templates import publish_template
from sync.client import DeviceClient, SyncError
from sync.faults import Fault, FaultyTransport
from sync.ids import uuid7
from sync.retry import RetryPolicy
from sync.store import DeviceStore
from sync.tables import SyncChange, SyncCounter
from sync.wire import decode_cursor
from tests.factories import Person, School, make_asset, make_person, make_school, make_tag
from tests.inspections.helpers import extinguisher_answers

TEMPLATE = "fire_extinguisher_monthly"
SYNC_PATHS = ("/api/sync/push", "/api/sync/pull")
FINAL = ("applied", "duplicate", "rejected", "conflict")

Records = dict[tuple[str, str], tuple[int, Any]]
"""(entity, id) -> (version, data): a scope's reference data as a device holds it."""


async def no_wait(_: float) -> None:
    """Retries go again at once: the tests do not wait for backoff."""


@dataclass
class Made:
    """An inspection a phone made offline."""

    inspection_id: str
    site_id: str
    failing: bool


@dataclass
class Phone:
    name: str
    person: Person
    store: DeviceStore
    offset: timedelta
    """How far the phone's clock is off."""
    made: dict[str, Made] = field(default_factory=dict)
    """By op id."""
    answered: list[int] = field(default_factory=list)
    """`last_applied_seq` of every push and pull answer this phone received, in order."""
    network: FaultyTransport = field(init=False)
    client: DeviceClient = field(init=False)

    def __post_init__(self) -> None:
        self.network = FaultyTransport(observe=self.observe)
        self.client = DeviceClient(
            self.store,
            transport=self.network,
            sleep=no_wait,
            retry=RetryPolicy(attempts=6),
            batch_size=3,
            pull_limit=7,
            now=self.now,
        )

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def observe(self, request: httpx.Request, response: httpx.Response) -> None:
        if request.url.path in SYNC_PATHS and response.status_code == 200:
            self.answered.append(json.loads(response.content)["last_applied_seq"])

    def inspect(self, pick: int, failing: bool) -> bool:
        """Inspect a cached extinguisher offline, as the person would (the asset and its
        checklist come from the phone's cache); False when the cache has none."""
        assets = [
            a for a in self.store.cache.all("asset") if a.data["category"] == "fire_extinguisher"
        ]
        if not assets:
            return False
        asset = assets[pick % len(assets)]
        template = self.store.cache.get("template", TEMPLATE, scope=asset.scope)
        if template is None:
            return False
        completed = self.now() - timedelta(seconds=30)
        body = {
            "id": str(uuid7()),
            "template_key": TEMPLATE,
            "template_version": template.data["version"],
            "asset_id": asset.id,
            "answers": extinguisher_answers(hose="fail") if failing else extinguisher_answers(),
            "started_at": (completed - timedelta(minutes=2)).isoformat(),
            "completed_at": completed.isoformat(),
        }
        op = self.client.enqueue("inspection.submitted", body, completed)
        self.made[str(op.op_id)] = Made(body["id"], asset.scope, failing)
        return True

    async def push(self, faults: Iterable[Fault] = ()) -> bool:
        self.network.plan(faults)
        try:
            await self.client.push()
        except SyncError:
            return False
        return True

    async def pull(self, faults: Iterable[Fault] = ()) -> bool:
        self.network.plan(faults)
        try:
            await self.client.pull()
        except SyncError:
            return False
        return True

    def records(self, scope: str) -> Records:
        return records(self.store, scope)


def records(store: DeviceStore, scope: str) -> Records:
    names = {f.name for f in FEEDS} | set(store.cache.counts())
    return {
        (r.entity, r.id): (r.version, r.data)
        for name in sorted(names)
        for r in store.cache.all(name, scope=scope)
    }


@dataclass
class Fleet:
    api: httpx.AsyncClient
    url: str
    school: School
    second: School
    admin: Person
    phones: list[Phone]
    visible: dict[uuid.UUID, set[str]]
    """Each inspector's sites, as the admin left them."""
    lost: set[tuple[uuid.UUID, str]] = field(default_factory=set)
    """(user, site) memberships the admin ended."""
    deleted: set[tuple[str, str, str]] = field(default_factory=set)
    """(scope, entity, id) the admin deleted and did not bring back."""
    assets: dict[str, list[str]] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    revisions: int = 0
    cursor_key: bytes = b""
    """The key the server signs cursors with, to read the positions in them."""

    @property
    def sites(self) -> list[str]:
        return [str(self.school.site_id), str(self.second.site_id)]

    def site(self, pick: int) -> str:
        return self.sites[pick % 2]

    async def close(self) -> None:
        for phone in self.phones:
            await phone.client.aclose()
            phone.store.close()

    # What the admin does ----------------------------------------------------------------

    async def act(self, action: str, pick: int) -> None:
        site = self.site(pick)
        headers = self.admin.headers
        if action == "create_asset":
            number = f"MHQ-{uuid.uuid4().hex[:6]}"
            body = {
                "site_id": site,
                "category": "fire_extinguisher",
                "name": "灭火器",
                "asset_number": number,
            }
            created = await self.api.post("/api/assets", json=body, headers=headers)
            assert created.status_code == 201, created.text
            self.assets[site].append(created.json()["id"])
        elif action in ("rename_asset", "retire_asset"):
            asset = self.assets[site][pick % len(self.assets[site])]
            change = (
                {"name": f"灭火器{pick}"} if action == "rename_asset" else {"status": "retired"}
            )
            changed = await self.api.patch(f"/api/assets/{asset}", json=change, headers=headers)
            assert changed.status_code == 200, changed.text
        elif action == "issue_tag":
            asset = self.assets[site][pick % len(self.assets[site])]
            issued = await self.api.post("/api/tags", json={"asset_id": asset}, headers=headers)
            assert issued.status_code == 201, issued.text
            self.tags[site].append(issued.json()["code"])
        elif action == "retire_tag":
            code = self.tags[site][pick % len(self.tags[site])]
            retired = await self.api.post(f"/api/tags/{code}/retire", json={}, headers=headers)
            assert retired.status_code == 200, retired.text
        elif action == "end_membership":
            # The inspector on two sites loses one of them: the second inspector loses the
            # second site, the third the first.
            phone = self.phones[1 + pick % 2]
            lost = self.sites[1 - pick % 2]
            user = phone.person.user_id
            if (user, lost) not in self.lost:
                await users.set_membership(user, uuid.UUID(lost), "inspector", datetime.now(UTC))
                self.lost.add((user, lost))
                self.visible[user].discard(lost)
                self.deleted.add((lost, "person", str(user)))
        elif action == "publish_template":
            self.revisions += 1
            published = await self.api.post(
                "/api/templates",
                params={"format": "yaml"},
                content=_revised_template(self.revisions).encode(),
                headers=headers,
            )
            assert published.status_code == 201, published.text
        elif action in ("set_checklist", "clear_checklist"):
            url = f"/api/sites/{site}/checklists/{TEMPLATE}"
            if action == "set_checklist":
                rule = {"asset_categories": ["fire_extinguisher", "co2"]}
                done = await self.api.put(url, json=rule, headers=headers)
                self.deleted.discard((site, "site_checklist", TEMPLATE))
            else:
                done = await self.api.delete(url, headers=headers)
                self.deleted.add((site, "site_checklist", TEMPLATE))
            assert done.status_code == 200, done.text
        else:
            raise AssertionError(f"no admin action {action}")

    # What the server holds -------------------------------------------------------------

    async def expected(self, scope: str) -> Records:
        """A scope's reference data as a new device's snapshot would have it, read in
        this process straight from the entity feeds."""
        held: Records = {}
        async with snapshot():
            for feed in FEEDS:
                after = None
                while True:
                    rows = await feed.snapshot(scope, after, 500)
                    for entity_id, version, data in rows:
                        held[(feed.name, entity_id)] = (
                            version,
                            msgspec.json.decode(msgspec.json.encode(data)),
                        )
                    if len(rows) < 500:
                        break
                    after = rows[-1][0]
        return held

    async def counter(self) -> int:
        return (await SyncCounter.select(SyncCounter.position).first())["position"]

    async def last_change(self, scope: str) -> int:
        rows = await SyncChange.raw(
            "SELECT max(position) AS p FROM sync_change WHERE scope = {}", scope
        )
        return rows[0]["p"] or 0

    async def inspections(self) -> list[tuple[str, str]]:
        """(inspection id, device id) of every inspection of the fleet's sites."""
        rows = await Inspection.select(Inspection.id, Inspection.device).where(
            Inspection.site.is_in([self.school.site_id, self.second.site_id])
        )
        return [(str(r["id"]), str(r["device"])) for r in rows]

    async def findings(self) -> list[str]:
        """The inspection of every finding of the fleet's sites."""
        rows = await Finding.select(Finding.inspection).where(
            Finding.site.is_in([self.school.site_id, self.second.site_id])
        )
        return [str(r["inspection"]) for r in rows]

    # What must hold ---------------------------------------------------------------------

    def check_answers_never_go_back(self) -> None:
        for phone in self.phones:
            assert phone.answered == sorted(phone.answered), (phone.name, phone.answered)
            state = phone.store.state()
            assert state["last_applied_seq"] == max(phone.answered, default=0), phone.name
            assert state["last_applied_seq"] < state["next_seq"], phone.name

    def check_gone(self, phone: Phone) -> None:
        """After a completed pull: what was deleted or withdrawn before it is not cached."""
        user = phone.person.user_id
        cursors = phone.store.cache.cursors()
        for who, site in self.lost:
            if who == user:
                assert site not in cursors, f"{phone.name} still has the cursor of a lost site"
                assert phone.records(site) == {}, f"{phone.name} still holds a lost site's data"
        for scope, entity, entity_id in self.deleted:
            assert phone.store.cache.get(entity, entity_id, scope=scope) is None, (
                f"{phone.name} holds deleted {entity} {entity_id}"
            )

    async def check_up_to_date(self, phone: Phone) -> None:
        """After a completed pull with nothing written meanwhile: the phone holds exactly
        what a new device would get, for exactly the sites its person may see."""
        visible = self.visible[phone.person.user_id]
        assert set(phone.store.cache.cursors()) == visible, phone.name
        for scope in sorted(visible):
            assert phone.records(scope) == await self.expected(scope), (phone.name, scope)

    async def check_cursors(self, phone: Phone) -> None:
        """Cursors are change-log positions, whatever the phone's clock says (R36)."""
        top = await self.counter()
        for scope, cursor in phone.store.cache.cursors().items():
            assert cursor is not None
            position, _ = decode_cursor(cursor, self.cursor_key)
            assert await self.last_change(scope) <= position <= top, (phone.name, scope)


def _revised_template(revision: int) -> str:
    path = Path(checklists.__file__).parent / "library" / f"{TEMPLATE}.yaml"
    text = path.read_text(encoding="utf-8")
    original = "Fire extinguisher monthly check"
    assert original in text
    return text.replace(original, f"{original} (revision {revision})")


async def make_fleet(
    api: httpx.AsyncClient, url: str, stores: Path, skew: timedelta, cursor_key: bytes
) -> Fleet:
    """The fourth phone's clock is off by `skew`; every phone is enrolled and has pulled."""
    school = await make_school()
    second = await make_school(organization_id=school.organization_id)
    async with transaction():
        await publish_template(school.organization_id, load_library()[TEMPLATE], None)
    admin = await make_person(school, "admin", extra_sites={second.site_id: "admin"})
    a, b = str(school.site_id), str(second.site_id)
    people = [
        (await make_person(school, "inspector"), {a}),
        (await make_person(school, "inspector", extra_sites={second.site_id: "inspector"}), {a, b}),
        (await make_person(second, "inspector", extra_sites={school.site_id: "inspector"}), {a, b}),
        (await make_person(school, "inspector"), {a}),
    ]
    assets: dict[str, list[str]] = {a: [], b: []}
    codes: dict[str, list[str]] = {a: [], b: []}
    for place in (school, second):
        for n in range(2):
            asset = await make_asset(admin, place, asset_number=f"MHQ-{n}")
            assets[str(place.site_id)].append(str(asset))
            codes[str(place.site_id)].append(await make_tag(admin, asset=asset))
    phones = []
    for n, (person, _) in enumerate(people):
        store = DeviceStore(stores / f"phone-{n}.sqlite3", durable=False)
        phone = Phone(f"phone-{n}", person, store, skew if n == 3 else timedelta(0))
        await phone.client.enrol(url, person.token)
        await phone.client.pull()
        phones.append(phone)
    return Fleet(
        api=api,
        url=url,
        school=school,
        second=second,
        admin=admin,
        phones=phones,
        visible={person.user_id: set(sites) for person, sites in people},
        assets=assets,
        tags=codes,
        cursor_key=cursor_key,
    )


async def fresh_device(fleet: Fleet, stores: Path) -> DeviceStore:
    """A new device of the admin (who sees both sites), enrolled and pulled on a network
    that works."""
    token = (await tokens.create_token(fleet.admin.user_id, "fresh phone")).token
    store = DeviceStore(stores / "fresh.sqlite3", durable=False)
    async with DeviceClient(store) as client:
        await client.enrol(fleet.url, token)
        await client.pull()
    return store
