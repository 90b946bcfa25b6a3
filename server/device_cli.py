"""`roundkeeper device ...`: a device on the command line, for kiosks, scripts and tests.

It runs on the device's side: it talks to a server over HTTP with a device token and never
opens the server's database. Between syncs it works from its local store (`sync.store`):
`inspect` needs no network at all. It imports `checklists` to check answers before they
are queued, so a mistyped answer is refused at the tag, not a day later by the server.

The store is `~/.roundkeeper/device.sqlite3` unless `--store` or ROUNDKEEPER_DEVICE_STORE
names another file (one file per device).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec
import yaml
from uuid_utils.compat import uuid7

from checklists import Template, evaluate, parse_template, validate
from checklists.problems import InvalidTemplate
from checklists.templates import ChoiceItem, NumberItem, PhotoItem, SignatureItem
from qr.codes import InvalidTagCode, format_code, normalize_code
from sync.device import BlobFile, CachedRecord, DeviceStatus, StoreError
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


# Inspecting offline -------------------------------------------------------------------


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
        now = datetime.now(UTC)
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
    judged = evaluate(template, answers, today=date.today())
    failed = f" ({', '.join(judged.failed_items)})" if judged.failed_items else ""
    click.echo(
        f"queued inspection {body['id']} as record #{op.device_seq}: {template.title.en} "
        f"v{template.version} of {target.data.get('name', target.id)} "
        f"[{format_code(tag.data['code'])}]: {judged.result}{failed}"
    )
    if files:
        click.echo(f"{len(files)} photos queued for upload")
    click.echo("send it with: roundkeeper device push")


def find_tag(store: DeviceStore, typed: str) -> CachedRecord:
    try:
        code = normalize_code(typed)
    except InvalidTagCode as exc:
        raise click.ClickException(f"{typed!r} is not a tag code: {exc}") from None
    tag = store.cache.find_tag(code)
    if tag is None:
        raise click.ClickException(
            f"tag {format_code(code)} is not in this device's cache: roundkeeper device pull"
        )
    if tag.data.get("status", "active") != "active":
        raise click.ClickException(f"tag {format_code(code)} is {tag.data['status']}")
    return tag


def find_target(store: DeviceStore, tag: CachedRecord) -> tuple[str, CachedRecord]:
    for kind in ("asset", "location"):
        target_id = tag.data.get(f"{kind}_id")
        if target_id:
            target = store.cache.get(kind, str(target_id), scope=tag.scope)
            if target is None:
                raise click.ClickException(
                    f"the {kind} of tag {format_code(tag.data['code'])} is not cached: "
                    "roundkeeper device pull"
                )
            return kind, target
    raise click.ClickException(f"tag {format_code(tag.data['code'])} is not attached to anything")


def choose_template(
    store: DeviceStore, scope: str, kind: str, target: CachedRecord, key: str | None
) -> Template:
    """The latest cached version of a checklist that applies to the target at its site:
    the site's own rule for the template if it has one, else the template's `applies_to`."""
    category = target.data.get("category") if kind == "asset" else None
    location_kind = target.data.get("kind") if kind == "location" else None
    applicable: dict[str, Template] = {}
    for record in store.cache.all("template", scope=scope):
        template = _template(record)
        override = store.cache.get("site_checklist", template.key, scope=scope)
        if override is not None:
            rule = override.data
            enabled = rule.get("enabled", True)
            categories, kinds = rule.get("asset_categories", []), rule.get("location_kinds", [])
        else:
            enabled = True
            categories = template.applies_to.asset_categories
            kinds = template.applies_to.location_kinds
        if enabled and (category in categories or location_kind in kinds):
            applicable[template.key] = template
    what = f"{kind} {target.data.get('name', target.id)}"
    if key is None:
        if len(applicable) == 1:
            return next(iter(applicable.values()))
        if not applicable:
            raise click.ClickException(f"no cached checklist applies to {what}")
        raise click.ClickException(
            f"several checklists apply to {what}; choose one with --template: "
            + ", ".join(sorted(applicable))
        )
    if key not in applicable:
        choices = ", ".join(sorted(applicable)) or "none"
        raise click.ClickException(
            f"checklist {key} does not apply to {what} (these do: {choices})"
        )
    return applicable[key]


def _template(record: CachedRecord) -> Template:
    try:
        return parse_template(record.data["template"])
    except (InvalidTemplate, KeyError, TypeError) as exc:
        raise click.ClickException(f"cached template {record.id} cannot be read: {exc}") from None


def read_answers(
    template: Template, answers_file: Path | None, pairs: tuple[str, ...]
) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    if answers_file is not None:
        text = answers_file.read_text(encoding="utf-8")
        try:
            loaded = (
                json.loads(text) if answers_file.suffix.lower() == ".json" else yaml.safe_load(text)
            )
        except (ValueError, yaml.YAMLError) as exc:
            raise click.ClickException(f"{answers_file} cannot be read: {exc}") from None
        if not isinstance(loaded, dict):
            raise click.ClickException(f"{answers_file} must hold an object of answers")
        answers.update({str(key): _plain(value) for key, value in loaded.items()})
    items = {item.key: item for item in template.items}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.ClickException(f"--answer {pair!r}: write ITEM=VALUE")
        answers[key.strip()] = _typed(items.get(key.strip()), value.strip())
    return answers


def _typed(item: object, value: str) -> Any:
    """A flag's text as the answer its item takes; what does not fit is left as text for
    `validate` to report with the item's path."""
    if isinstance(item, NumberItem):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                continue
    if isinstance(item, ChoiceItem) and item.multiple:
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(item, PhotoItem):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _plain(value: Any) -> Any:
    # YAML reads 2031-06-30 as a date; an answer is the text.
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def attach_photos(
    template: Template, answers: dict[str, Any], photos: tuple[str, ...], site_id: uuid.UUID
) -> list[BlobFile]:
    """Hash each photo and name it in its item's answer; `PATH` goes to the first photo
    item, `ITEM=PATH` to that photo or signature item."""
    media = {
        item.key: item for item in template.items if isinstance(item, PhotoItem | SignatureItem)
    }
    first_photo = next((k for k, item in media.items() if isinstance(item, PhotoItem)), None)
    files: list[BlobFile] = []
    for given in photos:
        key, sep, rest = given.partition("=")
        key, path = (key, Path(rest)) if sep and key in media else (first_photo, Path(given))
        if key is None:
            raise click.ClickException(f"checklist {template.key} takes no photos")
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise click.ClickException(f"cannot read photo {path}: {exc.strerror}") from None
        if isinstance(media[key], SignatureItem):
            answers[key] = digest
        else:
            existing = answers.get(key)
            answers[key] = [*(existing if isinstance(existing, list) else []), digest]
        files.append(BlobFile(sha256=digest, site_id=site_id, path=path.resolve()))
    return files
