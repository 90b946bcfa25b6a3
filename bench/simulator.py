"""Simulated devices: many phones doing rounds offline and syncing, against a real server.

Each device is a real client (`sync.client`) with its own store and token. It pulls the
reference data, then alternates offline sessions of random length, in which it inspects
random cached extinguishers with random answers (some failing), with syncs (push, pull,
photos). At the end every device drains its outbox and `verify` checks that the server
holds exactly the inspections it acknowledged: each one answered applied or duplicate is
there, no refused one is.

Used by `bench/simulate.py` (which imports it as a sibling, like `harness`) and by
tests/bench/test_simulator.py (as `bench.simulator`). It is not part of `sync`: it makes
`inspection.submitted` ops, and the protocol package knows no domain. The answers are made
from the cached template's items, so this module needs nothing of the checklist package;
what it makes is valid for every item type the language has.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import struct
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

from sync.client import DeviceClient
from sync.device import BlobFile, CachedRecord
from sync.ids import uuid7
from sync.store import DeviceStore

INSPECTION_SUBMITTED = "inspection.submitted"
ACCEPTED = ("applied", "duplicate")

MAX_ERRORS = 200

MakeClient = Callable[[DeviceStore, int], DeviceClient]


@dataclass(frozen=True)
class Workload:
    """What the devices do. Stops at `duration_s` or `total_ops`, whichever comes first."""

    duration_s: float | None = None
    total_ops: int | None = None
    session_ops: tuple[int, int] = (1, 40)
    """Inspections per offline session, inclusive range."""
    offline_s: tuple[float, float] = (0.0, 0.0)
    """Wall time a device stays offline after a session (0: sync at once, for benchmarks)."""
    fail_rate: float = 0.1
    """Share of inspections with one failing answer."""
    photo_rate: float = 0.0
    """Share of inspections whose photo is a real file uploaded after the push; the others
    name a photo never sent (the server accepts the record and lists it as missing)."""
    template_key: str = "fire_extinguisher_monthly"
    asset_category: str = "fire_extinguisher"
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.duration_s is None and self.total_ops is None:
            raise ValueError("give a duration or a number of ops")


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    acknowledged: int
    """Inspections answered applied or duplicate."""
    on_server: int
    """Of the inspections the devices made, how many the server holds."""
    missing: list[str]
    """Acknowledged but not on the server: lost."""
    unexpected: list[str]
    """On the server but not acknowledged as accepted (refused, or never answered)."""

    @property
    def exact(self) -> bool:
        return not self.missing and not self.unexpected


class SimulationResult(msgspec.Struct, frozen=True, kw_only=True):
    devices: int
    made: int
    """Inspections enqueued."""
    statuses: dict[str, int]
    """Acknowledged ops per final status."""
    pending: int
    """Still in outboxes at the end (a server that stayed unreachable)."""
    syncs: int
    elapsed_s: float
    push_s: float
    """Wall time during which at least one device was pushing."""
    photos_uploaded: int
    errors: list[str]
    verification: Verification | None = None

    @property
    def acknowledged(self) -> int:
        return sum(self.statuses.values())

    @property
    def ops_per_s(self) -> float:
        return self.acknowledged / self.elapsed_s if self.elapsed_s else 0.0


@dataclass
class _Run:
    workload: Workload
    started: float
    made: int = 0
    syncs: int = 0
    photos: int = 0
    pushing: int = 0
    push_since: float = 0.0
    push_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    def error(self, text: str) -> None:
        # A server down for an hour fails every sync of every device; a sample is enough.
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text)

    def done(self) -> bool:
        w = self.workload
        out_of_time = w.duration_s is not None and time.monotonic() - self.started >= w.duration_s
        return out_of_time or (w.total_ops is not None and self.made >= w.total_ops)

    def push_started(self) -> None:
        if self.pushing == 0:
            self.push_since = time.monotonic()
        self.pushing += 1

    def push_ended(self) -> None:
        self.pushing -= 1
        if self.pushing == 0:
            self.push_s += time.monotonic() - self.push_since


async def simulate(
    server_url: str,
    tokens: list[str],
    store_dir: Path,
    workload: Workload,
    *,
    make_client: MakeClient | None = None,
    verify_with: str | None = None,
) -> SimulationResult:
    """Run one device per token until the workload is done, drain every outbox, and (when
    `verify_with`, a token that may list the sites' inspections, is given) verify."""
    rng = random.Random(workload.seed)
    stores = [
        DeviceStore(store_dir / f"device-{n}.sqlite3", durable=False) for n in range(len(tokens))
    ]
    clients = [
        make_client(store, n) if make_client else DeviceClient(store)
        for n, store in enumerate(stores)
    ]
    run = _Run(workload, time.monotonic())
    try:
        for client, token in zip(clients, tokens, strict=True):
            if client.store.identity() is None:
                await client.enrol(server_url, token)
        await asyncio.gather(
            *(
                _device(client, run, random.Random(rng.getrandbits(64)), store_dir / f"photos-{n}")
                for n, client in enumerate(clients)
            )
        )
        for client in clients:  # drain: what a device made must reach the server
            await _sync(client, run)
        elapsed = time.monotonic() - run.started
        statuses: dict[str, int] = {}
        for store in stores:
            for result in store.outbox.results():
                statuses[result.status] = statuses.get(result.status, 0) + 1
        verification = None
        if verify_with is not None:
            verification = await verify(server_url, verify_with, stores)
        return SimulationResult(
            devices=len(clients),
            made=run.made,
            statuses=statuses,
            pending=sum(store.outbox.count() for store in stores),
            syncs=run.syncs,
            elapsed_s=elapsed,
            push_s=run.push_s,
            photos_uploaded=run.photos,
            errors=run.errors,
            verification=verification,
        )
    finally:
        for client in clients:
            await client.aclose()
        for store in stores:
            store.close()


async def _device(client: DeviceClient, run: _Run, rng: random.Random, photos: Path) -> None:
    w = run.workload
    await _sync(client, run)
    targets = _targets(client.store, w)
    if not targets:
        run.error(f"device {client.store.path.name}: no cached {w.asset_category}")
        return
    while not run.done():
        for _ in range(rng.randint(*w.session_ops)):
            if run.done():
                break
            asset, template = rng.choice(targets)
            _inspect(client, asset, template, rng, w, photos)
            run.made += 1
        pause = rng.uniform(*w.offline_s)
        await asyncio.sleep(pause)  # also lets the other devices run
        await _sync(client, run)


async def _sync(client: DeviceClient, run: _Run) -> None:
    run.push_started()
    try:
        await client.push()
    except Exception as exc:  # a sync that fails is retried next session, as on a phone
        run.error(f"push: {type(exc).__name__}: {exc}")
    finally:
        run.push_ended()
    try:
        await client.pull()
        # Await first: `run.photos += await ...` would read the total before the upload and
        # lose the other devices' uploads made meanwhile.
        uploaded = (await client.upload_blobs()).uploaded
        run.photos += uploaded
    except Exception as exc:
        run.error(f"pull: {type(exc).__name__}: {exc}")
    run.syncs += 1


def _targets(store: DeviceStore, w: Workload) -> list[tuple[CachedRecord, dict[str, Any]]]:
    found = []
    for asset in store.cache.all("asset"):
        if asset.data.get("category") != w.asset_category:
            continue
        template = store.cache.get("template", w.template_key, scope=asset.scope)
        if template is not None:
            found.append((asset, template.data))
    return found


def _inspect(
    client: DeviceClient,
    asset: CachedRecord,
    template: dict[str, Any],
    rng: random.Random,
    w: Workload,
    photos: Path,
) -> None:
    files: list[BlobFile] = []

    def photo() -> str:
        if rng.random() < w.photo_rate:
            content = tiny_png(rng)
            digest = hashlib.sha256(content).hexdigest()
            photos.mkdir(parents=True, exist_ok=True)
            path = photos / f"{digest}.png"
            path.write_bytes(content)
            files.append(BlobFile(sha256=digest, site_id=uuid.UUID(asset.scope), path=path))
            return digest
        return hashlib.sha256(rng.randbytes(16)).hexdigest()

    completed = datetime.now(UTC)
    body = {
        "id": str(uuid7()),
        "template_key": template["key"],
        "template_version": template["version"],
        "asset_id": asset.id,
        "answers": random_answers(
            template["template"], rng, fail=rng.random() < w.fail_rate, photo=photo
        ),
        "started_at": (completed - timedelta(seconds=rng.randint(20, 300))).isoformat(),
        "completed_at": completed.isoformat(),
    }
    client.enqueue(INSPECTION_SUBMITTED, body, completed, blobs=files)


def random_answers(
    template: dict[str, Any], rng: random.Random, *, fail: bool, photo: Callable[[], str]
) -> dict[str, Any]:
    """Valid answers to a template as the server encodes it; with `fail`, one judged item
    (if it is shown) gets a failing answer."""
    items = template["items"]
    judged = [
        item["key"] for item in items if item["type"] in ("check", "choice", "number", "date")
    ]
    failing = rng.choice(judged) if fail and judged else None
    answers: dict[str, Any] = {}
    shown: set[str] = set()
    for item in items:
        condition = item.get("show_if")
        if condition and not _shown(condition, answers, shown):
            continue
        shown.add(item["key"])
        answer = _answer(item, rng, item["key"] == failing, photo)
        if answer is not None:
            answers[item["key"]] = answer
    return answers


def _shown(condition: dict[str, Any], answers: dict[str, Any], shown: set[str]) -> bool:
    accepted = condition.get("in") or (
        [condition["equals"]] if condition.get("equals") is not None else []
    )
    given = answers.get(condition["item"])
    if condition["item"] not in shown:
        return False
    if isinstance(given, list):
        return any(value in accepted for value in given)
    return given in accepted


def _answer(item: dict[str, Any], rng: random.Random, fail: bool, photo: Callable[[], str]) -> Any:
    kind = item["type"]
    if kind == "check":
        if fail:
            return "fail"
        return "na" if item.get("allow_na", True) and rng.random() < 0.1 else "pass"
    if kind == "choice":
        values = [option["value"] for option in item["options"]]
        bad = [v for v in values if v in item.get("fail_options", [])]
        good = [v for v in values if v not in bad] or values
        chosen = rng.choice(bad if fail and bad else good)
        return [chosen] if item.get("multiple") else chosen
    if kind == "number":
        return _number(item, rng, fail)
    if kind == "date":
        today = date.today()
        if item.get("must_not_be_past"):
            days = -rng.randint(1, 400) if fail else rng.randint(30, 2000)
            return (today + timedelta(days=days)).isoformat()
        return (today - timedelta(days=rng.randint(0, 30))).isoformat()
    if kind == "photo":
        return [photo() for _ in range(item.get("min_count", 1))]
    if kind == "signature":
        return photo()
    if kind == "text":
        return "simulated" if item.get("required", True) else None
    return None


def _number(item: dict[str, Any], rng: random.Random, fail: bool) -> int | float:
    low, high = item.get("min"), item.get("max")
    decimals = item.get("decimals", 0)
    if fail and (low is not None or high is not None):
        value = high + 1 if high is not None else low - 1
    else:
        low = low if low is not None else (high - 10 if high is not None else 0)
        high = high if high is not None else low + 10
        value = rng.uniform(low, high)
    return round(value, decimals) if decimals else int(value)


def tiny_png(rng: random.Random) -> bytes:
    """A valid 1x1 PNG, different every time (a random pixel and a random text chunk), made
    without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixel = zlib.compress(b"\x00" + rng.randbytes(3))
    nonce = b"Comment\x00" + rng.randbytes(8).hex().encode()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", nonce)
        + chunk(b"IDAT", pixel)
        + chunk(b"IEND", b"")
    )


async def verify(server_url: str, token: str, stores: list[DeviceStore]) -> Verification:
    """The server holds exactly the inspections the devices were told it accepted: read
    every inspection of the devices' sites and compare with what the devices made."""
    accepted: set[str] = set()
    made: set[str] = set()
    sites: set[str] = set()
    for store in stores:
        identity = store.require_identity()
        sites.update(str(site["site_id"]) for site in identity.sites)
        for result in store.outbox.results():
            made.add(str(result.body["id"]))
            if result.status in ACCEPTED:
                accepted.add(str(result.body["id"]))
        made.update(str(msgspec.json.decode(op.body)["id"]) for op in store.outbox.pending())
    on_server: set[str] = set()
    async with httpx.AsyncClient(
        base_url=server_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        for site in sorted(sites):
            after: str | None = None
            while True:
                params = {"site_id": site, "limit": "200", **({"after": after} if after else {})}
                response = await http.get("/api/inspections", params=params)
                response.raise_for_status()
                page = response.json()
                on_server.update(item["id"] for item in page["items"] if item["id"] in made)
                after = page.get("next_after")
                if not after:
                    break
    return Verification(
        acknowledged=len(accepted),
        on_server=len(on_server),
        missing=sorted(accepted - on_server),
        unexpected=sorted(on_server - accepted),
    )
