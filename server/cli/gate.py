"""`roundkeeper gate ...`: the gate's upkeep."""

from __future__ import annotations

import uuid

import click

from server.cli.common import run
from server.settings import Settings


@click.group("gate")
def gate_group() -> None:
    """The visitor register, early-leave passes and pick-up cards."""


@gate_group.command("purge")
@click.option("--site", "site_id", type=click.UUID, default=None, help="this site only")
@click.option("--dry-run", is_flag=True, help="count what would be purged, change nothing")
def purge(site_id: uuid.UUID | None, dry_run: bool) -> None:
    """Remove the personal fields of visits older than their site's retention period, and
    of early-leave passes and card checks whose school year has ended (365 days without a
    calendar). The counts stay. The server also runs this daily; running it again changes
    nothing."""
    from server.gate.retention import PurgeResult
    from server.gate.retention import purge as purge_records
    from server.notifications.visitor_notices import forget_visitor_notices

    async def work(settings: Settings) -> tuple[PurgeResult, int]:
        result = await purge_records(site_id=site_id, dry_run=dry_run)
        return result, await forget_visitor_notices(site_id, dry_run=dry_run)

    result, notices = run(work)
    verb = "would purge" if dry_run else "purged"
    click.echo(
        f"{verb} {result.visits} visits, {result.passes} early-leave passes and "
        f"{result.card_checks} card checks; {result.known_visitors} repeat visitors "
        f"removed from gate devices; {notices} webhook notices naming a visitor deleted"
    )
