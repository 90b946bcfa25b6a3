"""Running the server: `serve`, `sync prune` and `notify run-once`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from server import db
from server.cli.common import load_settings, run
from server.settings import Settings


@click.command()
@click.option("--host", default=None, help="address to listen on [ROUNDKEEPER_HOST]")
@click.option("--port", type=int, default=None, help="port [ROUNDKEEPER_PORT]")
@click.option("--workers", type=int, default=None, help="processes [ROUNDKEEPER_WORKERS]")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API, the tag pages and the OpenAPI docs (/schema)."""
    import uvicorn

    settings = load_settings()

    async def ready(_: Settings) -> None:
        """Nothing to do: `run` has checked the database is reachable and migrated, so an
        unmigrated database is refused here with the command to run, not by every worker."""

    run(ready)
    host = host or settings.host
    port = port or settings.port
    click.echo(f"Roundkeeper on http://{host}:{port}  (API docs: http://{host}:{port}/schema)")
    uvicorn.run(
        "server.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.workers,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        log_level="info",
    )


@click.group("sync")
def sync_group() -> None:
    """What the sync engine keeps."""


@sync_group.command("prune")
@click.option(
    "--keep-days",
    type=click.IntRange(min=90),
    default=90,
    show_default=True,
    help="keep the change log and the answers to ops this long (at least 90: R29)",
)
@click.option(
    "--keep-refused-days",
    type=click.IntRange(min=1),
    default=365,
    show_default=True,
    help="keep the answers to rejected and conflicting ops this long (managers list them)",
)
def sync_prune(keep_days: int, keep_refused_days: int) -> None:
    """Delete old change-log rows and op answers; devices with an older cursor re-download."""
    from server import clock
    from sync import retention

    async def work(settings: Settings) -> retention.PruneResult:
        now = clock.utcnow()
        return await retention.prune(
            older_than=now - timedelta(days=keep_days),
            refused_older_than=now - timedelta(days=keep_refused_days),
            transaction=db.transaction,
        )

    result = run(work)
    click.echo(
        f"deleted {result.changes} changes (cursors below position {result.pruned_through} "
        f"are reset), {result.ops} op answers and {result.refused_ops} refused op answers"
    )


@click.group("notify")
def notify_group() -> None:
    """Site webhooks."""


@notify_group.command("run-once")
def notify_run_once() -> None:
    """One dispatcher pass: find new events, send what is due (safe beside running servers
    and other passes; for a cron job or systemd timer)."""
    from server.gate.host import use_public_url
    from server.notifications.dispatcher import DispatchPolicy, run_pass

    async def work(settings: Settings) -> Any:
        use_public_url(settings.public_url)
        return await run_pass(policy=DispatchPolicy.from_settings(settings))

    report = run(work)
    click.echo(
        f"{report.events} events, {report.created} new deliveries; sent {report.delivered}, "
        f"{report.retrying} to retry, {report.failed} failed"
    )
