"""`roundkeeper demo`: the demo school (its data is `server.demo`)."""

from __future__ import annotations

import click

from server.cli.common import run
from server.settings import Settings


@click.command()
def demo() -> None:
    """Load the demo school (idempotent) and print the accounts to log in with."""
    from server.demo import DEMO_PASSWORD, PEOPLE, load_demo, sample_tag

    async def work(settings: Settings) -> tuple[str, str | None]:
        return await load_demo(settings), await sample_tag(settings)

    summary, tag_url = run(work)
    click.echo(summary)
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for username, display_name, role in PEOPLE:
        click.echo(f"  {username:<11} {role:<11} {display_name}")
    if tag_url:
        click.echo(f"Try a tag (an extinguisher's QR): {tag_url}")
