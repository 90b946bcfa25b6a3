"""The `roundkeeper` command. Every command uses ROUNDKEEPER_DATABASE_URL."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
import msgspec

from server import db
from server.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _run(work: Callable[[Settings], Awaitable[Any]], *, migrated: bool = True) -> Any:
    """Run `work` with a connected, bound database; domain refusals become clean errors."""
    from server.errors import DomainError

    settings = _settings()

    async def main() -> Any:
        async with db.connected(settings.database_url):
            if migrated:
                await db.check_ready()
            return await work(settings)

    try:
        return asyncio.run(main())
    except (db.DatabaseNotReady, DomainError) as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def main() -> None:
    """Roundkeeper: school logistics inspections, patrols and the gate."""


@main.command()
@click.option("--host", default=None, help="address to listen on [ROUNDKEEPER_HOST]")
@click.option("--port", type=int, default=None, help="port [ROUNDKEEPER_PORT]")
@click.option("--workers", type=int, default=None, help="processes [ROUNDKEEPER_WORKERS]")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API, the tag pages and the OpenAPI docs (/schema)."""
    import uvicorn

    settings = _settings()

    async def ready(_: Settings) -> None:
        """Nothing to do: _run has checked the database is reachable and migrated, so an
        unmigrated database is refused here with the command to run, not by every worker."""

    _run(ready)
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


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the current version."""

    async def work(settings: Settings) -> list[str]:
        return await db.upgrade(db.current_engine(), quiet=True)

    ran = _run(work, migrated=False)
    click.echo(f"migrated: {len(ran)} migrations applied" if ran else "already up to date")


@db_group.command("status")
def db_status() -> None:
    """List migrations not yet applied."""

    async def work(settings: Settings) -> list[str]:
        return await db.pending_migrations()

    pending = _run(work, migrated=False)
    for migration in pending:
        click.echo(f"pending {migration}")
    click.echo("up to date" if not pending else f"{len(pending)} pending: roundkeeper db upgrade")


@main.command()
def demo() -> None:
    """Load the demo school (idempotent) and print the accounts to log in with."""
    from server.demo import DEMO_PASSWORD, PEOPLE, load_demo, sample_tag

    async def work(settings: Settings) -> tuple[str, str | None]:
        return await load_demo(settings), await sample_tag(settings)

    summary, tag_url = _run(work)
    click.echo(summary)
    click.echo(f"Demo accounts, one per role (password for all: {DEMO_PASSWORD}):")
    for username, display_name, role in PEOPLE:
        click.echo(f"  {username:<11} {role:<11} {display_name}")
    if tag_url:
        click.echo(f"Try a tag (an extinguisher's QR): {tag_url}")


@main.group("sync")
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
    from server.clock import utcnow
    from sync import retention

    async def work(settings: Settings) -> retention.PruneResult:
        now = utcnow()
        return await retention.prune(
            older_than=now - timedelta(days=keep_days),
            refused_older_than=now - timedelta(days=keep_refused_days),
            transaction=db.transaction,
        )

    result = _run(work)
    click.echo(
        f"deleted {result.changes} changes (cursors below position {result.pruned_through} "
        f"are reset), {result.ops} op answers and {result.refused_ops} refused op answers"
    )


@main.group("notify")
def notify_group() -> None:
    """Site webhooks."""


@notify_group.command("run-once")
def notify_run_once() -> None:
    """One dispatcher pass: find new events, send what is due (safe beside running servers
    and other passes; for a cron job or systemd timer)."""
    from server.notifications.dispatcher import run_pass

    async def work(settings: Settings) -> Any:
        return await run_pass()

    report = _run(work)
    click.echo(
        f"{report.events} events, {report.created} new deliveries; sent {report.delivered}, "
        f"{report.retrying} to retry, {report.failed} failed"
    )


@main.group("site")
def site_group() -> None:
    """Organizations and sites."""


@site_group.command("create")
@click.option("--organization", required=True, help="organization name (created if new)")
@click.option("--name", required=True, help="site name, e.g. 阳光实验小学")
@click.option("--name-en", default="")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
def site_create(organization: str, name: str, name_en: str, timezone: str) -> None:
    """Create a site (and its organization when it is new)."""
    from server.accounts import sites
    from server.accounts.wire import SiteCreate
    from server.inspections import templates

    async def work(settings: Settings) -> str:
        if await sites.find_site(name):
            raise click.ClickException(f"a site named {name!r} exists already")
        org_id = await sites.find_organization(organization)
        if org_id is None:
            org_id = await sites.create_organization(organization)
            await templates.install_library(org_id)
        site_id = await sites.create_site(
            org_id, SiteCreate(name=name, name_en=name_en, timezone=timezone)
        )
        return str(site_id)

    click.echo(f"site {name}: {_run(work)}")


@main.group("user")
def user_group() -> None:
    """People."""


@user_group.command("create")
@click.argument("username")
@click.option("--site", "site_name", required=True, help="site name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(
        ["admin", "manager", "inspector", "guard", "gatekeeper", "maintainer", "auditor"]
    ),
)
@click.option("--display-name", default=None)
@click.option("--password", default=None, help="prompted for when absent")
@click.option("--expires", type=click.DateTime(), default=None, help="end of access (auditors)")
def user_create(
    username: str,
    site_name: str,
    role: str,
    display_name: str | None,
    password: str | None,
    expires: datetime | None,
) -> None:
    """Create a person with a role at a site (or give an existing one that role)."""
    from server.accounts import sites, users

    if role == "auditor" and expires is None:
        raise click.ClickException("an auditor's access must end: pass --expires YYYY-MM-DD")
    if password is not None and len(password) < 8:
        raise click.ClickException("the password must have at least 8 characters")

    async def work(settings: Settings) -> str:
        site = await sites.find_site(site_name)
        if site is None:
            raise click.ClickException(f"no site named {site_name!r}")
        user = await users.find_user(username)
        if user is None:
            secret = password or _ask_password()
            user_id = await users.create_user(
                organization_id=site["organization"],
                username=username,
                display_name=display_name or username,
                password=secret,
                hashing=settings.password_hashing,
            )
        else:
            user_id = user["id"]
        expires_at = expires.astimezone() if expires else None
        await users.set_membership(user_id, site["id"], role, expires_at)
        return f"{username} is {role} at {site_name}"

    click.echo(_run(work))


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise click.ClickException("pass --password (no terminal to ask on)")
    first = getpass.getpass("password: ")
    if len(first) < 8 or first != getpass.getpass("again: "):
        raise click.ClickException("passwords differ or are shorter than 8 characters")
    return first


@main.group("templates")
def templates_group() -> None:
    """Checklist templates."""


@templates_group.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organization", required=True, help="organization name")
def templates_publish(file: Path, organization: str) -> None:
    """Publish a template from a .yaml or .json file as the next version of its key."""
    from server.accounts import sites
    from server.errors import DomainError
    from server.inspections import templates

    content = file.read_bytes()
    fmt = "json" if file.suffix.lower() == ".json" else "yaml"

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

    result = _run(work)
    if result.created:
        click.echo(f"published {result.key} version {result.version}")
    else:
        click.echo(f"{result.key} version {result.version} has this content already; unchanged")


@main.group("token")
def token_group() -> None:
    """Bearer tokens for devices and integrations."""


@token_group.command("create")
@click.argument("username")
@click.option("--device", "device_name", default="cli", show_default=True, help="device name")
def token_create(username: str, device_name: str) -> None:
    """Create a token for a new device of USERNAME; it is printed once, never again."""
    from server.accounts import tokens, users

    async def work(settings: Settings) -> str:
        user = await users.find_user(username)
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        created = await tokens.create_token(user["id"], device_name)
        return created.token

    click.echo(_run(work))


@main.group("assets")
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

    result = _run(work)
    if result.already_imported_at is not None:
        click.echo(
            f"this file was imported already ({result.already_imported_at:%Y-%m-%d %H:%M} "
            "UTC); nothing changed"
        )
        return
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {result.rows} rows")


@main.command()
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

    pdf, count = _run(work)
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


from server.device_cli import device  # noqa: E402  (the device side, registered last)

main.add_command(device)
