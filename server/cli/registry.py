"""The asset register on the command line: `assets import` and `labels`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import msgspec

from server.cli.common import run
from server.settings import Settings


@click.group("assets")
def assets_group() -> None:
    """The asset register."""


@assets_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_name", required=True)
@click.option("--as", "username", default=None, help="acting user (default: the site's admin)")
@click.option("--dry-run", is_flag=True, help="check the file, import nothing")
def assets_import(file: Path, site_name: str, username: str | None, dry_run: bool) -> None:
    """Import assets from a .csv or .xlsx file: every row, or none."""
    from server.errors import DomainError
    from server.registry import imports

    content = file.read_bytes()
    _, rows = imports.read_rows(content, file.name)

    async def work(settings: Settings) -> Any:
        caller = await _acting_caller(site_name, username)
        site_id = next(iter(caller.roles))
        with click.progressbar(length=len(rows), label="checking rows") as bar:
            try:
                return await imports.import_assets(
                    caller, site_id, content, file.name, dry_run=dry_run, progress=bar.update
                )
            except DomainError as exc:
                if exc.errors:
                    for error in exc.errors:
                        click.echo(
                            f"row {error['row']}, {error['column'] or '-'}: {error['reason']}",
                            err=True,
                        )
                raise

    result = run(work)
    if result.already_imported_at is not None:
        click.echo(
            f"this file was imported already ({result.already_imported_at:%Y-%m-%d %H:%M} "
            "UTC); nothing changed"
        )
        return
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {result.rows} rows")


@click.command()
@click.option("--site", "site_name", required=True)
@click.option(
    "--preset",
    default="a4-3x8",
    show_default=True,
    help="a4-3x8, a4-4x10, a4-2x7, thermal-50x30, thermal-62x29",
)
@click.option("--location", default=None, help="only inside this location (path, e.g. 教学楼A/3F)")
@click.option("--category", default=None, help="only assets of this category")
@click.option("--targets", type=click.Choice(["all", "assets", "locations"]), default="all")
@click.option("--issue-missing", is_flag=True, help="first give a tag to everything without one")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def labels(
    site_name: str,
    preset: str,
    location: str | None,
    category: str | None,
    targets: str,
    issue_missing: bool,
    output: Path,
) -> None:
    """Print a PDF of QR labels for a site's tags."""
    from server.registry import imports, tags
    from server.registry import labels as registry_labels
    from server.registry.locations import site_tree

    registry_labels.preset(preset)

    async def work(settings: Settings) -> tuple[bytes, int]:
        caller = await _acting_caller(site_name, None)
        site_id = next(iter(caller.roles))
        if issue_missing:
            issued = await tags.issue_missing_tags(caller, site_id, targets)
            click.echo(f"issued {issued.issued} new tags")
        location_id = None
        if location:
            location_id = imports.location_resolver(await site_tree(site_id))(location)
            if location_id is None:
                raise click.ClickException(f"no location {location!r}")
        contents = await registry_labels.site_labels(
            caller,
            site_id,
            settings.public_url,
            location_id=location_id,
            category=category,
            targets=targets,  # type: ignore[arg-type]
        )
        with click.progressbar(length=len(contents), label="drawing labels") as bar:
            pdf = registry_labels.render_pdf(
                contents, preset, settings.label_font, lambda n: bar.update(n - bar.pos)
            )
        return pdf, len(contents)

    pdf, count = run(work)
    output.write_bytes(pdf)
    click.echo(f"wrote {count} labels to {output}")


async def _acting_caller(site_name: str, username: str | None) -> Any:
    """A command acts as a real person (the audit trail names who did what): the named user,
    or the site's first admin."""
    from server.accounts import sites, users

    site = await sites.find_site(site_name)
    if site is None:
        raise click.ClickException(f"no site named {site_name!r}")
    members = await users.members_of(site["id"])
    if username is None:
        admins = [m for m in members if m.role == "admin"]
        if not admins:
            raise click.ClickException(f"{site_name} has no admin; pass --as USERNAME")
        username = admins[0].username
    member = next((m for m in members if m.username == username), None)
    if member is None:
        raise click.ClickException(f"{username} is not a member of {site_name}")
    caller = await users.load_caller(member.user_id)
    assert caller is not None
    # Acting at one site only, so "the caller's sites" means this one.
    return msgspec.structs.replace(caller, roles={site["id"]: member.role})
