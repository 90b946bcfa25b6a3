"""Who may do what: `site create`, `user create` and `token create`."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime

import click

from server.cli.common import run
from server.settings import Settings


@click.group("site")
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
    from server.templates import templates

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

    click.echo(f"site {name}: {run(work)}")


@click.group("user")
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

    click.echo(run(work))


def _ask_password() -> str:
    if not sys.stdin.isatty():
        raise click.ClickException("pass --password (no terminal to ask on)")
    first = getpass.getpass("password: ")
    if len(first) < 8 or first != getpass.getpass("again: "):
        raise click.ClickException("passwords differ or are shorter than 8 characters")
    return first


@click.group("token")
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

    click.echo(run(work))
