"""`roundkeeper templates ...`: checklist templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import click

from server.cli.common import run
from server.settings import Settings


@click.group("templates")
def templates_group() -> None:
    """Checklist templates."""


@templates_group.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organization", required=True, help="organization name")
def templates_publish(file: Path, organization: str) -> None:
    """Publish a template from a .yaml or .json file as the next version of its key."""
    from server.accounts import sites
    from server.errors import DomainError
    from server.templates import templates

    content = file.read_bytes()
    fmt: Literal["yaml", "json"] = "json" if file.suffix.lower() == ".json" else "yaml"

    async def work(settings: Settings) -> Any:
        org_id = await sites.find_organization(organization)
        if org_id is None:
            raise click.ClickException(f"no organization named {organization!r}")
        try:
            template = templates.read_template(content, fmt)
        except DomainError as exc:
            for problem in exc.errors or []:
                click.echo(f"{problem['path'] or '(top level)'}: {problem['reason']}", err=True)
            raise
        return await templates.publish_template(org_id, template, None)

    result = run(work)
    if result.created:
        click.echo(f"published {result.key} version {result.version}")
    else:
        click.echo(f"{result.key} version {result.version} has this content already; unchanged")
