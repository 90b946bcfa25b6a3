"""Initial sync: everything a new device pulls before it can work offline.

Starts `roundkeeper serve` on a fresh database with the demo school, and adds a synthetic
school the way an office would set one up: `roundkeeper site create` and `user create`,
its rooms through the API (6 buildings of 5 floors of 12 rooms), 2,000 assets in one CSV
import, and a tag for every asset and location (`POST /api/tags/bulk`). Then, for each
site, a new device of one of its inspectors pulls with null cursors until `has_more` is
false, at the page size the device client uses. Reported: pages (requests), changes,
bytes as the server sends them (it does not compress), bytes gzip-compressed at level 6
page by page (what a reverse proxy that gzips JSON would send), and the time taken.

    python bench/bench_initial_sync.py [--postgres] [--assets 2000] [--limit 500]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import itertools
import time
from dataclasses import dataclass, field

import httpx
from harness import Running, demo_server

PASSWORD = "bench-password-1"
BUILDINGS, FLOORS, ROOMS = 6, 5, 12
KINDS = (
    # category, name, name_en, prefix, attribute columns
    ("fire_extinguisher", "干粉灭火器", "ABC dry powder extinguisher 4 kg", "MHQ", True),
    ("fire_extinguisher", "二氧化碳灭火器", "CO2 extinguisher 3 kg", "MHQ", True),
    ("emergency_light", "应急照明灯", "Emergency light", "YJD", False),
    ("exit_sign", "安全出口指示标志", "Exit sign", "CKB", False),
    ("electrical_panel", "配电箱", "Distribution box", "PDX", False),
    ("fire_hydrant_box", "室内消火栓箱", "Indoor hydrant box", "XHS", False),
    ("projector", "教室投影仪", "Classroom projector", "TYY", False),
)


@dataclass
class Initial:
    pages: int = 0
    changes: int = 0
    raw: int = 0
    gzipped: int = 0
    seconds: float = 0.0
    kinds: collections.Counter = field(default_factory=collections.Counter)


def initial_sync(base: str, token: str, limit: int) -> Initial:
    """Pull as a new device: null cursors, then the cursors given, until nothing more."""
    # Uncompressed answers (the server sends no other), measured as they came.
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    result = Initial()
    with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
        device_id = client.get("/api/me").json()["device_id"]
        cursors: dict[str, str | None] = {}
        started = time.perf_counter()
        while True:
            response = client.post(
                "/api/sync/pull",
                json={
                    "protocol": 1,
                    "app_version": "bench",
                    "device_id": device_id,
                    "cursors": cursors,
                    "limit": limit,
                },
            )
            if response.status_code != 200:
                raise SystemExit(f"pull failed: {response.status_code} {response.text[:500]}")
            body = response.content
            result.pages += 1
            result.raw += len(body)
            result.gzipped += len(gzip.compress(body, compresslevel=6))
            answer = response.json()
            for page in answer["scopes"]:
                if page["status"] != "ok":
                    raise SystemExit(f"unexpected {page['status']} for {page['scope']}")
                cursors[page["scope"]] = page["cursor"]
                result.changes += len(page["changes"])
                result.kinds.update(change["entity"] for change in page["changes"])
            if not any(page["has_more"] for page in answer["scopes"]):
                break
        result.seconds = time.perf_counter() - started
    return result


def synthetic_site(running: Running, assets: int) -> str:
    """A school with `assets` assets, tagged; returns a token of its inspector."""
    name = "合成实验学校"
    created = running.roundkeeper(
        "site", "create", "--organization", "合成教育集团", "--name", name, "--name-en", "Synth"
    )
    site_id = created.rpartition(": ")[2]
    for username, role in (("synadmin", "admin"), ("syninspector", "inspector")):
        running.roundkeeper(
            "user", "create", username, "--site", name, "--role", role, "--password", PASSWORD
        )
    admin = {"Authorization": f"Bearer {running.roundkeeper('token', 'create', 'synadmin')}"}
    rooms = []
    with httpx.Client(base_url=running.base, timeout=300, headers=admin) as client:

        def place(parent: str | None, kind: str, name: str, code: str = "") -> str:
            response = client.post(
                "/api/locations",
                json={
                    "site_id": site_id,
                    "parent_id": parent,
                    "kind": kind,
                    "name": name,
                    "code": code,
                },
            )
            if response.status_code != 201:
                raise SystemExit(f"location: {response.status_code} {response.text[:300]}")
            return response.json()["id"]

        for b in range(1, BUILDINGS + 1):
            building = place(None, "building", f"{b}号楼", f"B{b}")
            for f in range(1, FLOORS + 1):
                floor = place(building, "floor", f"{f}F")
                for r in range(1, ROOMS + 1):
                    place(floor, "room", f"{f}{r:02d}室", f"B{b}-{f}{r:02d}")
                    rooms.append(f"{b}号楼/{f}F/{f}{r:02d}室")
        header = (
            "category,name,name_en,asset_number,location,"
            "attr:extinguisher_type,attr:manufactured_date,attr:expiry_date\n"
        )
        numbers: collections.Counter = collections.Counter()
        lines = []
        for n, kind, room in zip(range(assets), itertools.cycle(KINDS), itertools.cycle(rooms)):
            category, title, title_en, prefix, extinguisher = kind
            numbers[prefix] += 1
            made = 2018 + n % 7
            attributes = (
                f"MFZ/ABC4,{made}-0{1 + n % 9}-15,{made + 10}-0{1 + n % 9}-15"
                if extinguisher
                else ",,"
            )
            lines.append(
                f"{category},{title},{title_en},{prefix}-{numbers[prefix]:04d},{room},{attributes}\n"
            )
        imported = client.post(
            f"/api/sites/{site_id}/assets/import",
            params={"format": "csv"},
            content=(header + "".join(lines)).encode(),
        )
        if imported.status_code != 200:
            raise SystemExit(f"import: {imported.status_code} {imported.text[:500]}")
        tagged = client.post("/api/tags/bulk", json={"site_id": site_id, "targets": "all"})
        if tagged.status_code != 200:
            raise SystemExit(f"tags: {tagged.status_code} {tagged.text[:300]}")
    return running.roundkeeper("token", "create", "syninspector", "--device", "bench-initial")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--limit", type=int, default=500, help="page size (the client's: 500)")
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    with demo_server(backend) as running:
        demo_token = running.roundkeeper("token", "create", "inspector", "--device", "bench")
        started = time.perf_counter()
        synth_token = synthetic_site(running, args.assets)
        built = time.perf_counter() - started
        sites = {
            "demo school": initial_sync(running.base, demo_token, args.limit),
            f"{args.assets:,d}-asset school": initial_sync(running.base, synth_token, args.limit),
        }
    print(
        f"{running.database}, 1 server process, pages of {args.limit}; the synthetic school "
        f"took {built:.1f} s to set up (locations, CSV import, tags)"
    )
    print(
        f"{'site':<18} {'pages':>5} {'changes':>7} {'bytes':>10} {'gzip -6':>9} "
        f"{'ratio':>5} {'B/change':>8} {'seconds':>7}"
    )
    for name, r in sites.items():
        print(
            f"{name:<18} {r.pages:5d} {r.changes:7,d} {r.raw:10,d} {r.gzipped:9,d} "
            f"{r.raw / r.gzipped:5.1f} {r.raw / r.changes:8.0f} {r.seconds:7.2f}"
        )
    for name, r in sites.items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(r.kinds.items())))


if __name__ == "__main__":
    main()
