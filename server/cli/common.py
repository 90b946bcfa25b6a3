"""What every server-side command shares: the settings, and a database to work in.

Every such command uses ROUNDKEEPER_DATABASE_URL; the `device` commands never do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import click

from server import db
from server.settings import Settings, SettingsError


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def run(work: Callable[[Settings], Awaitable[Any]], *, migrated: bool = True) -> Any:
    """Run `work` with a connected, bound database; domain refusals become clean errors."""
    from server.errors import DomainError

    settings = load_settings()

    async def main() -> Any:
        async with db.connected(settings.database_url):
            if migrated:
                await db.check_ready()
            return await work(settings)

    try:
        return asyncio.run(main())
    except (db.DatabaseNotReady, DomainError) as exc:
        raise click.ClickException(str(exc)) from None
