"""`roundkeeper db ...`: the database schema."""

from __future__ import annotations

import click

from server import db
from server.cli.common import run
from server.settings import Settings


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the current version."""

    async def work(settings: Settings) -> list[str]:
        return await db.upgrade(db.current_engine(), quiet=True)

    ran = run(work, migrated=False)
    click.echo(f"migrated: {len(ran)} migrations applied" if ran else "already up to date")


@db_group.command("status")
def db_status() -> None:
    """List migrations not yet applied."""

    async def work(settings: Settings) -> list[str]:
        return await db.pending_migrations()

    pending = run(work, migrated=False)
    for migration in pending:
        click.echo(f"pending {migration}")
    click.echo("up to date" if not pending else f"{len(pending)} pending: roundkeeper db upgrade")
