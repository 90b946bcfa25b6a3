"""`roundkeeper device ...`: a device on the command line, for kiosks, scripts and tests.

It runs on the device's side: it talks to a server over HTTP with a device token and never
opens the server's database. Between syncs it works from its local store (`sync.store`):
`inspect` needs no network at all. It imports `checklists` to check answers before they
are queued, so a mistyped answer is refused at the tag, not a day later by the server
(`server.cli.device_inspection` reads the cache and the answers for it).

The store is `~/.roundkeeper/device.sqlite3` unless `--store` or ROUNDKEEPER_DEVICE_STORE
names another file (one file per device).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
import msgspec
from uuid_utils.compat import uuid7

from checklists import evaluate, validate
from qr.codes import format_code
from server import clock
from server.cli.device_inspection import (
    attach_photos,
    choose_template,
    find_tag,
    find_target,
    read_answers,
)
from sync.device import DeviceStatus, StoreError
from sync.store import DeviceStore

if TYPE_CHECKING:
    from sync.client import DeviceClient

DEFAULT_STORE = Path("~/.roundkeeper/device.sqlite3")
INSPECTION_SUBMITTED = "inspection.submitted"
T = TypeVar("T")

store_option = click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ROUNDKEEPER_DEVICE_STORE",
    default=DEFAULT_STORE,
    show_default=True,
    help="this device's local store [ROUNDKEEPER_DEVICE_STORE]",
)


@contextmanager
def opened(store_path: Path) -> Iterator[DeviceStore]:
    try:
        with DeviceStore(store_path.expanduser()) as store:
            yield store
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def online(store: DeviceStore, work: Callable[[DeviceClient], Awaitable[T]]) -> T:
    """Run `work` with a client; a sync that fails becomes a clean error with its code.

    The client (and httpx) is imported here, not at the top: every `roundkeeper` command
    loads this module, and only these need the network."""
    from sync.client import DeviceClient, SyncError

    async def main() -> T:
        async with DeviceClient(store) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except SyncError as exc:
        raise click.ClickException(f"{exc.code}: {exc.detail}") from None
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("device")
def device() -> None:
    """This machine as a sync device: enrol, pull, inspect offline, push."""


@device.command("enrol")
@click.option("--server", "server_url", required=True, help="e.g. https://rk.school.example.cn")
@click.option("--token", required=True, help="a device token (roundkeeper token create)")
@store_option
def enrol(server_url: str, token: str, store_path: Path) -> None:
    """Enrol this device with a device token; the token is kept in the store."""
    with opened(store_path) as store:
        me = online(store, lambda client: client.enrol(server_url, token))
        sites = ", ".join(f"{s.get('site_name', s['site_id'])} ({s['role']})" for s in me.sites)
        click.echo(f"enrolled device {me.device_id} for {me.username} ({me.display_name})")
        click.echo(f"sites: {sites or 'none'}")
        click.echo(f"store: {store.path}; next: roundkeeper device pull")


@device.command("pull")
@store_option
def pull(store_path: Path) -> None:
    """Bring the cached reference data (tags, assets, templates, ...) up to date."""
    with opened(store_path) as store:
        report = online(store, lambda client: client.pull())
        for scope, status in sorted(report.scopes.items()):
            click.echo(f"site {scope}: {status}")
        cached = ", ".join(f"{entity} {n}" for entity, n in store.cache.counts().items())
        click.echo(f"{report.changes} changes in {report.pages} pages; cached: {cached or '-'}")


@device.command("push")
@store_option
def push(store_path: Path) -> None:
    """Send queued records, then queued photos (a failed photo never holds back a record)."""
    with opened(store_path) as store:

        async def work(client: DeviceClient) -> None:
            from sync.client import ServerUnavailable, SyncError

            try:
                report = await client.push()
            except ServerUnavailable:
                raise
            except SyncError as refused:
                # Photos do not wait on records (R39): send them, then report the refusal.
                await client.upload_blobs()
                raise refused from None
            click.echo(
                f"sent {report.sent} records in {report.batches} batches: {report.settled} "
                f"answered, {report.needs_attention} need attention, {report.remaining} queued"
            )
            blobs = await client.upload_blobs()
            click.echo(
                f"photos: {blobs.uploaded} uploaded, {blobs.failed} failed, "
                f"{blobs.remaining} queued"
            )
            for error in blobs.errors:
                click.echo(f"  {error}", err=True)
            if report.needs_attention:
                click.echo("see roundkeeper device status for the records that need attention")

        online(store, work)


@device.command("status")
@click.option("--json", "as_json", is_flag=True, help="machine-readable")
@store_option
def status(as_json: bool, store_path: Path) -> None:
    """What waits to be sent, when this device last synced, and what needs a person."""
    with opened(store_path) as store:
        current = store.status()
    if as_json:
        click.echo(msgspec.json.encode(current).decode())
        return
    for line in describe(current):
        click.echo(line)


@device.command("dismiss")
@click.argument("op_id", type=click.UUID)
@store_option
def dismiss(op_id: uuid.UUID, store_path: Path) -> None:
    """Mark a rejected or conflicting record as seen, so status stops listing it."""
    with opened(store_path) as store:
        if not store.outbox.dismiss(op_id):
            raise click.ClickException(f"no record {op_id} needs attention")
    click.echo(f"dismissed {op_id}")


def describe(current: DeviceStatus) -> list[str]:
    if not current.enrolled:
        return ["not enrolled: roundkeeper device enrol --server URL --token TOKEN"]
    lines = [
        f"device {current.device_id} of {current.username} at {current.server_url}",
        f"queued: {current.queued_ops} records, {current.queued_blobs} photos"
        + (f" ({current.failing_blobs} failing)" if current.failing_blobs else ""),
        f"last push: {_when(current.last_push_at)}; last pull: {_when(current.last_pull_at)}",
        f"the server has this device's records up to #{current.last_applied_seq}; "
        f"the next is #{current.next_seq}",
        "cached: " + (", ".join(f"{e} {n}" for e, n in current.cached.items()) or "nothing"),
    ]
    for scope, cursor in current.cursors.items():
        lines.append(f"site {scope}: " + ("synced" if cursor else "not pulled yet"))
    if current.needs_attention:
        lines.append(f"needs attention ({len(current.needs_attention)}):")
        for op in current.needs_attention:
            where = f" at {op.field}" if op.field else ""
            lines.append(
                f"  #{op.device_seq} {op.type} {op.op_id}: {op.status} {op.code or ''}{where}"
                + (f" — {op.detail}" if op.detail else "")
            )
    return lines


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "never"


@device.command("inspect")
@click.argument("tag_code")
@click.option("--template", "template_key", default=None, help="checklist key (default: the one)")
@click.option("--answer", "answer_pairs", multiple=True, help="ITEM=VALUE, repeatable")
@click.option(
    "--answers-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="answers as a JSON or YAML object; --answer overrides",
)
@click.option("--photo", "photos", multiple=True, help="PATH or ITEM=PATH, repeatable")
@click.option("--note", default="", help="a remark for the whole inspection")
@store_option
def inspect(
    tag_code: str,
    template_key: str | None,
    answer_pairs: tuple[str, ...],
    answers_file: Path | None,
    photos: tuple[str, ...],
    note: str,
    store_path: Path,
) -> None:
    """Fill in a checklist for a tagged asset or location, offline, and queue it."""
    with opened(store_path) as store:
        store.require_identity()
        tag = find_tag(store, tag_code)
        kind, target = find_target(store, tag)
        template = choose_template(store, tag.scope, kind, target, template_key)
        answers = read_answers(template, answers_file, answer_pairs)
        files = attach_photos(template, answers, photos, uuid.UUID(tag.scope))
        problems = validate(template, answers)
        if problems:
            for problem in problems:
                click.echo(f"{problem.path}: {problem.reason}", err=True)
            raise click.ClickException(f"{len(problems)} problems with the answers; not queued")
        now = clock.utcnow()
        body = {
            "id": str(uuid7()),
            "template_key": template.key,
            "template_version": template.version,
            f"{kind}_id": target.id,
            "answers": answers,
            "started_at": now.isoformat(),
            "completed_at": now.isoformat(),
        }
        if note:
            body["note"] = note
        op = store.outbox.enqueue(INSPECTION_SUBMITTED, body, now, blobs=files)
    judged = evaluate(template, answers, today=clock.utcnow().astimezone().date())
    failed = f" ({', '.join(judged.failed_items)})" if judged.failed_items else ""
    click.echo(
        f"queued inspection {body['id']} as record #{op.device_seq}: {template.title.en} "
        f"v{template.version} of {target.data.get('name', target.id)} "
        f"[{format_code(tag.data['code'])}]: {judged.result}{failed}"
    )
    if files:
        click.echo(f"{len(files)} photos queued for upload")
    click.echo("send it with: roundkeeper device push")
