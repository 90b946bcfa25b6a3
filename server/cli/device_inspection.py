"""The inspection `roundkeeper device inspect` fills in offline, from the device's cache:
the tag typed, what it is attached to, the checklist that applies, the answers given as
flags or in a file, and the photos attached."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import click
import yaml

from checklists import Template, parse_template
from checklists.problems import InvalidTemplate
from checklists.templates import ChoiceItem, NumberItem, PhotoItem, SignatureItem
from qr.codes import InvalidTagCode, format_code, normalize_code
from sync.device import BlobFile, CachedRecord
from sync.store import DeviceStore


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
        named, sep, rest = given.partition("=")
        key, path = (named, Path(rest)) if sep and named in media else (first_photo, Path(given))
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
