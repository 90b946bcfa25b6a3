"""Simulated phones doing extinguisher rounds offline and syncing, against a real server.

Each device is the real client with its own store and token: it pulls the site, then
alternates offline sessions of random length (inspections of random cached extinguishers,
some failing) with syncs (push, pull, photos). At the end every outbox is drained and the
server's inspections are compared with what the devices were told it accepted.

    # a fresh demo server (SQLite, or --postgres), tokens made for its inspector
    python bench/simulate.py --devices 8 --ops 5000
    python bench/simulate.py --postgres --devices 32 --duration 60

    # a running server: tokens given, or made by `roundkeeper token create` against the
    # database in ROUNDKEEPER_DATABASE_URL
    python bench/simulate.py --server http://127.0.0.1:8000 --token rk_... --token rk_...
    python bench/simulate.py --server http://127.0.0.1:8000 --user inspector --devices 4

Prints ops/second (acknowledged ops over the whole run, and over the time spent pushing)
and exits 1 unless the server holds exactly the acknowledged inspections.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from simulator import SimulationResult, Workload, simulate

BIN = Path(sys.executable).parent / "roundkeeper"


def make_tokens(env: dict[str, str], user: str, count: int, prefix: str) -> list[str]:
    """One device token each, made by the server's own CLI on the server's database."""
    tokens = []
    for n in range(count):
        done = subprocess.run(
            [str(BIN), "token", "create", user, "--device", f"{prefix}-{n}"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"roundkeeper token create failed: {done.stderr.strip()}")
        tokens.append(done.stdout.strip())
    return tokens


def report(result: SimulationResult) -> int:
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(result.statuses.items())) or "none"
    print(f"devices           {result.devices}")
    print(f"inspections made  {result.made}")
    print(f"acknowledged      {result.acknowledged} ({statuses}); still queued {result.pending}")
    print(f"syncs             {result.syncs}; photos uploaded {result.photos_uploaded}")
    print(f"elapsed           {result.elapsed_s:.2f} s (pushing {result.push_s:.2f} s)")
    print(f"ops/s             {result.ops_per_s:,.0f} overall", end="")
    if result.push_s:
        print(f", {result.acknowledged / result.push_s:,.0f} while pushing")
    else:
        print()
    for error in result.errors[:10]:
        print(f"error             {error}")
    check = result.verification
    if check is None:
        return 0
    print(
        f"server check      {check.on_server} on the server, {check.acknowledged} acknowledged: "
        + ("exact" if check.exact else f"{len(check.missing)} lost, {len(check.unexpected)} extra")
    )
    return 0 if check.exact and not result.pending else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", help="a running server (default: start a demo server)")
    parser.add_argument("--postgres", action="store_true", help="the demo server on PostgreSQL")
    parser.add_argument("--token", action="append", default=[], help="a device token; repeat")
    parser.add_argument("--user", default="inspector", help="whose tokens to make")
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--duration", type=float, help="seconds of simulated work")
    parser.add_argument("--ops", type=int, help="inspections to make in all")
    parser.add_argument("--session", default="1-40", help="inspections per offline session")
    parser.add_argument("--offline", default="0-0", help="seconds offline after a session")
    parser.add_argument("--fail-rate", type=float, default=0.1)
    parser.add_argument("--photo-rate", type=float, default=0.0, help="share with a real photo")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--store-dir", type=Path, help="device stores (default: a temp dir)")
    args = parser.parse_args()
    if args.duration is None and args.ops is None:
        args.ops = 2000
    low, _, high = args.session.partition("-")
    off_low, _, off_high = args.offline.partition("-")
    workload = Workload(
        duration_s=args.duration,
        total_ops=args.ops,
        session_ops=(int(low), int(high or low)),
        offline_s=(float(off_low), float(off_high or off_low)),
        fail_rate=args.fail_rate,
        photo_rate=args.photo_rate,
        seed=args.seed,
    )

    def run(server: str, tokens: list[str]) -> int:
        with tempfile.TemporaryDirectory() as tmp:
            stores = args.store_dir or Path(tmp)
            result = asyncio.run(simulate(server, tokens, stores, workload, verify_with=tokens[0]))
        return report(result)

    if args.server:
        tokens = args.token or make_tokens(dict(os.environ), args.user, args.devices, "sim")
        return run(args.server, tokens)

    from harness import demo_server

    backend = "postgres" if args.postgres else "sqlite"
    with demo_server(backend) as running:
        print(f"demo server on {running.database} at {running.base}")
        tokens = make_tokens(running.env, args.user, args.devices, "sim")
        return run(running.base, tokens)


if __name__ == "__main__":
    sys.exit(main())
