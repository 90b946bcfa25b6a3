"""The gate under load: from check-in to the host's approval on the gate device, and the
still-inside list of a busy day.

Starts `roundkeeper serve` on a fresh database with the demo school, then:
1. `--devices` gate devices (the demo gatekeeper's tablets) register visitors at
   `--rate` visits an hour each, spread at random over the run (`--minutes`; `--speed`
   compresses time: at 10 a minute of the run is ten of the gate's, for headroom). Each
   visit is what the gate and the host do: the tablet pushes `visit.checked_in` through
   sync (one op, as a tablet online sends it), the host approves in the app (REST), and
   the tablet pulls until its copy of the visit is approved. The figure is that whole
   round trip, p50 / p90 / p99 / max, with the server also answering every tablet's pull
   every few seconds as the app does;
2. a day of `--day` visits at the site (checked in and approved through sync by 20
   tablets, in batches of 200, a third checked out), then the still-inside list
   (GET /api/sites/{id}/visits?state=inside) and the day's register, timed.

    python bench/bench_gate.py [--postgres] [--devices 20] [--rate 200] [--minutes 3]
                               [--speed 1] [--day 10000] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from bench_push import devices
from harness import demo_server
from uuid_utils.compat import uuid7

from sync.hlc import tick

PULL_EVERY = 5.0
"""Seconds between a tablet's own pulls while it waits for nothing in particular."""


class Tablet:
    def __init__(self, client: httpx.AsyncClient, token: str, device_id: str, site: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.device_id = device_id
        self.site = site
        self.seq = 0
        self.clock = None
        self.cursors: dict[str, str | None] = {site: None, f"{site}/gate": None}
        self.visits: dict[str, dict] = {}
        self.lock = asyncio.Lock()

    def op(self, type_: str, body: dict) -> dict:
        self.seq += 1
        now = datetime.now(UTC)
        self.clock = tick(self.clock, int(now.timestamp() * 1000), self.device_id)
        return {
            "type": type_,
            "v": 1,
            "op_id": str(uuid7()),
            "device_seq": self.seq,
            "hlc": str(self.clock),
            "occurred_at": now.isoformat(),
            "body": body,
        }

    async def push(self, ops: list[dict]) -> None:
        answer = await self.client.post(
            "/api/sync/push",
            headers=self.headers,
            json={
                "protocol": 1,
                "app_version": "bench",
                "device_id": self.device_id,
                "device_now": datetime.now(UTC).isoformat(),
                "ops": ops,
            },
        )
        body = answer.json()
        if answer.status_code != 200 or any(r["status"] != "applied" for r in body["results"]):
            raise SystemExit(f"push failed: {answer.status_code} {answer.text[:500]}")

    async def pull(self) -> None:
        """Every page of every scope, into the tablet's copy of the visits."""
        async with self.lock:
            more = True
            while more:
                answer = await self.client.post(
                    "/api/sync/pull",
                    headers=self.headers,
                    json={
                        "protocol": 1,
                        "app_version": "bench",
                        "device_id": self.device_id,
                        "cursors": self.cursors,
                        "limit": 500,
                    },
                )
                if answer.status_code != 200:
                    raise SystemExit(f"pull failed: {answer.status_code} {answer.text[:500]}")
                more = False
                for page in answer.json()["scopes"]:
                    self.cursors[page["scope"]] = page["cursor"]
                    more = more or page["has_more"]
                    for change in page["changes"]:
                        if change["entity"] == "visit" and change["op"] == "put":
                            self.visits[change["id"]] = change["data"]


def check_in(site: str, host: str, visit_id: str, n: int) -> dict:
    return {
        "id": str(uuid7()),
        "visit_id": visit_id,
        "site_id": site,
        "name": f"访客{n}",
        "id_type": "none",
        "no_document_reason": "未带证件",
        "phone": f"139{n % 100_000_000:08d}",
        "organisation": "区教育局",
        "host_id": host,
        "purpose": "送材料",
        "party_size": 1,
        "checked_in_at": datetime.now(UTC).isoformat(),
    }


async def one_visit(tablet: Tablet, host_headers: dict, host: str, n: int) -> float:
    """Seconds from the check-in's push to the tablet holding the approval."""
    visit_id = str(uuid7())
    began = time.perf_counter()
    await tablet.push([tablet.op("visit.checked_in", check_in(tablet.site, host, visit_id, n))])
    decided = await tablet.client.post(
        f"/api/visits/{visit_id}/decisions",
        headers=host_headers,
        json={
            "id": str(uuid7()),
            "decision": "approved",
            "decided_at": datetime.now(UTC).isoformat(),
        },
    )
    if decided.status_code != 200:
        raise SystemExit(f"approval failed: {decided.status_code} {decided.text[:300]}")
    while tablet.visits.get(visit_id, {}).get("consent") != "approved":
        await tablet.pull()
    return time.perf_counter() - began


async def background_pulls(tablet: Tablet, until: float) -> None:
    while time.perf_counter() < until:
        await asyncio.sleep(PULL_EVERY * random.uniform(0.5, 1.5))
        await tablet.pull()


async def round_trips(
    client: httpx.AsyncClient, tablets: list[Tablet], host: tuple[dict, str], args
) -> list[float]:
    seconds = args.minutes * 60
    per_tablet = max(1, round(args.rate * args.minutes * args.speed / 60))
    until = time.perf_counter() + seconds
    for tablet in tablets:
        await tablet.pull()
    took: list[float] = []

    async def run(tablet: Tablet, offset: int) -> None:
        starts = sorted(random.uniform(0, seconds) for _ in range(per_tablet))
        began = time.perf_counter()
        for n, at in enumerate(starts):
            wait = began + at - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            took.append(await one_visit(tablet, host[0], host[1], offset + n))

    await asyncio.gather(
        *(run(t, i * per_tablet) for i, t in enumerate(tablets)),
        *(background_pulls(t, until) for t in tablets),
    )
    return took


async def busy_day(
    client: httpx.AsyncClient, tablets: list[Tablet], host: str, total: int
) -> dict[str, float]:
    ops_of: list[list[dict]] = [[] for _ in tablets]
    for n in range(total):
        tablet = tablets[n % len(tablets)]
        visit_id = str(uuid7())
        ops = ops_of[n % len(tablets)]
        ops.append(tablet.op("visit.checked_in", check_in(tablet.site, host, visit_id, n)))
        approved = datetime.now(UTC).isoformat()
        body = {
            "id": str(uuid7()),
            "visit_id": visit_id,
            "site_id": tablet.site,
            "channel": "phone",
            "by_id": host,
            "approved_at": approved,
        }
        ops.append(tablet.op("visit.approved", body))
        if n % 3 == 0:
            out = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
            body = {"id": str(uuid7()), "visit_id": visit_id, "site_id": tablet.site}
            ops.append(tablet.op("visit.checked_out", {**body, "checked_out_at": out}))

    async def send(tablet: Tablet, ops: list[dict]) -> None:
        for start in range(0, len(ops), 200):
            await tablet.push(ops[start : start + 200])

    began = time.perf_counter()
    await asyncio.gather(*(send(t, ops) for t, ops in zip(tablets, ops_of, strict=True)))
    figures = {"ingest": sum(map(len, ops_of)) / (time.perf_counter() - began)}
    site = tablets[0].site
    for name, params in (("inside", {"state": "inside"}), ("day", {})):
        best = float("inf")
        for _ in range(5):
            began = time.perf_counter()
            answer = await client.get(
                f"/api/sites/{site}/visits", params=params, headers=tablets[0].headers
            )
            best = min(best, time.perf_counter() - began)
            if answer.status_code != 200:
                raise SystemExit(f"list failed: {answer.status_code} {answer.text[:300]}")
            figures[f"{name} rows"] = len(answer.json())
        figures[name] = best
    return figures


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def measure(running, args) -> tuple[list[float], dict[str, float]]:
    async with httpx.AsyncClient(base_url=running.base, timeout=120) as client:
        ((host_token, _),) = await devices(running.base, running, 1, "inspector")
        host_headers = {"Authorization": f"Bearer {host_token}"}
        me = (await client.get("/api/me", headers=host_headers)).json()
        host, site = me["id"], me["sites"][0]["site_id"]
        made = await devices(running.base, running, args.devices, "gatekeeper")
        tablets = [Tablet(client, token, device, site) for token, device in made]
        took = await round_trips(client, tablets, (host_headers, host), args)
        day = await busy_day(client, tablets, host, args.day)
    return took, day


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--rate", type=int, default=200, help="visits an hour, each device")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--day", type=int, default=10_000)
    parser.add_argument("--profile", help="run the server under cProfile, writing here")
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    with demo_server(backend, profile=args.profile) as running:
        took, day = asyncio.run(measure(running, args))
    rate = args.devices * args.rate * args.speed
    print(
        f"{running.database}: {args.devices} gate devices, {args.rate} visits an hour each, "
        f"time x{args.speed:g} ({rate:.0f} visits an hour of the run), {len(took)} visits"
    )
    print(
        "check-in to approval on the tablet: "
        f"p50 {statistics.median(took) * 1000:.0f} ms, p90 {percentile(took, 90) * 1000:.0f} ms, "
        f"p99 {percentile(took, 99) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms"
    )
    print(
        f"a day of {args.day} visits pushed at {day['ingest']:.0f} ops/s; "
        f"still inside ({day['inside rows']:.0f} visits) {day['inside'] * 1000:.0f} ms, "
        f"the day's register ({day['day rows']:.0f}) {day['day'] * 1000:.0f} ms (best of 5)"
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
