"""Bulk import of assets from CSV or XLSX: the whole file is checked first, then either
every row goes in, in one transaction, or none does and every problem is listed."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import msgspec

from server import clock
from server.accounts import users
from server.accounts.access import MANAGERS, Caller
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError
from server.registry.assets import check_attributes, record_asset
from server.registry.locations import path_of, site_tree
from server.registry.spreadsheets import read_rows
from server.registry.tables import Asset, AssetImport
from server.registry.wire import AttributeValue, ImportResult, RowError

MAX_ERRORS_LISTED = 500
INSERT_CHUNK = 500

# Header names as a school office writes them, in either language.
HEADERS = {
    "name": "name",
    "名称": "name",
    "资产名称": "name",
    "name_en": "name_en",
    "英文名称": "name_en",
    "category": "category",
    "类别": "category",
    "类型": "category",
    "asset_number": "asset_number",
    "编号": "asset_number",
    "资产编号": "asset_number",
    "serial_number": "serial_number",
    "序列号": "serial_number",
    "出厂编号": "serial_number",
    "location": "location",
    "位置": "location",
    "存放地点": "location",
    "keeper": "keeper",
    "责任人": "keeper",
    "保管人": "keeper",
}
REQUIRED = ("name", "category")
CATEGORY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
Progress = Callable[[int], None]


def _columns(header: list[str]) -> tuple[dict[str, str], list[RowError]]:
    """Map each header to a field; `attr:KEY` or `attr.KEY` columns become attributes."""
    mapping: dict[str, str] = {}
    errors: list[RowError] = []
    for name in header:
        if not name:
            continue
        key = HEADERS.get(name) or HEADERS.get(name.lower())
        if key is None and name.lower().startswith(("attr:", "attr.")):
            key = "attr:" + name[5:].strip()
        if key is None:
            errors.append(RowError(row=1, column=name, reason="unknown column"))
            continue
        if key in mapping.values():
            errors.append(RowError(row=1, column=name, reason=f"second column for {key}"))
        mapping[name] = key
    for field in REQUIRED:
        if field not in mapping.values():
            errors.append(RowError(row=1, column=field, reason="required column missing"))
    return mapping, errors


async def import_assets(
    caller: Caller,
    site_id: uuid.UUID,
    content: bytes,
    filename: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    caller.require(site_id, MANAGERS)
    digest = hashlib.sha256(content).hexdigest()
    earlier = (
        await AssetImport.select()
        .where((AssetImport.site == site_id) & (AssetImport.sha256 == digest))
        .first()
    )
    if earlier is not None:
        return ImportResult(
            rows=earlier["rows"], created=0, dry_run=dry_run, already_imported_at=earlier["at"]
        )
    # Unpacking and reading a file is CPU work: off the event loop, other requests go on.
    header, rows = await anyio.to_thread.run_sync(read_rows, content, filename)
    mapping, errors = _columns(header)
    if errors:
        raise _invalid(errors)
    resolve_location = location_resolver(await site_tree(site_id))
    keepers = await _keepers(site_id)
    taken = {
        r["asset_number"]
        for r in await Asset.select(Asset.asset_number).where(
            (Asset.site == site_id) & (Asset.asset_number != "")
        )
    }
    drafts: list[Asset] = []
    seen_numbers: dict[str, int] = {}
    now = clock.utcnow()
    for row in rows:
        fields = {mapping[k]: v for k, v in row.values.items() if k in mapping}
        row_errors = _check_row(row.number, fields, taken, seen_numbers)
        location_id = keeper_id = None
        if fields.get("location"):
            location_id = resolve_location(fields["location"])
            if location_id is None:
                row_errors.append(
                    RowError(row=row.number, column="location", reason="no such location")
                )
        if fields.get("keeper"):
            keeper_id = keepers.get(fields["keeper"])
            if keeper_id is None:
                row_errors.append(
                    RowError(row=row.number, column="keeper", reason="not a member of this site")
                )
        attributes: dict[str, AttributeValue] = {
            k[5:]: v for k, v in fields.items() if k.startswith("attr:") and v
        }
        try:
            check_attributes(attributes)
        except DomainError as exc:
            row_errors.append(RowError(row=row.number, column=exc.field, reason=exc.detail))
        errors.extend(row_errors)
        if not row_errors:
            drafts.append(
                Asset(
                    id=new_id(),
                    site=site_id,
                    location=location_id,
                    category=fields["category"],
                    name=fields["name"],
                    name_en=fields.get("name_en", ""),
                    asset_number=fields.get("asset_number", ""),
                    serial_number=fields.get("serial_number", ""),
                    attributes=attributes,
                    keeper=keeper_id,
                    status="active",
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        if progress:
            progress(1)
    if errors:
        raise _invalid(errors)
    if not dry_run:
        async with transaction():
            # Checked again inside the transaction: two uploads of one file race here.
            if await AssetImport.exists().where(
                (AssetImport.site == site_id) & (AssetImport.sha256 == digest)
            ):
                return await import_assets(caller, site_id, content, filename)
            for start in range(0, len(drafts), INSERT_CHUNK):
                await Asset.insert(*drafts[start : start + INSERT_CHUNK])
            for draft in drafts:
                record_asset(draft.to_dict())
            await AssetImport.insert(
                AssetImport(
                    id=new_id(),
                    site=site_id,
                    sha256=digest,
                    filename=filename[:200],
                    rows=len(rows),
                    created=len(drafts),
                    by_user=caller.user_id,
                    at=now,
                )
            )
    return ImportResult(rows=len(rows), created=0 if dry_run else len(drafts), dry_run=dry_run)


def _check_row(
    number: int, fields: dict[str, str], taken: set[str], seen: dict[str, int]
) -> list[RowError]:
    errors = []
    for field in REQUIRED:
        if not fields.get(field):
            errors.append(RowError(row=number, column=field, reason="required"))
    category = fields.get("category", "")
    if category and not CATEGORY.match(category):
        errors.append(
            RowError(row=number, column="category", reason="lower-case letters, digits and _")
        )
    for field, limit in (
        ("name", 200),
        ("name_en", 200),
        ("asset_number", 64),
        ("serial_number", 64),
    ):
        if len(fields.get(field, "")) > limit:
            errors.append(RowError(row=number, column=field, reason=f"longer than {limit}"))
    asset_number = fields.get("asset_number", "")
    if asset_number:
        if asset_number in taken:
            errors.append(
                RowError(row=number, column="asset_number", reason="already used at this site")
            )
        elif asset_number in seen:
            errors.append(
                RowError(
                    row=number,
                    column="asset_number",
                    reason=f"same number as row {seen[asset_number]}",
                )
            )
        else:
            seen[asset_number] = number
    return errors


def location_resolver(tree: dict[uuid.UUID, dict[str, Any]]) -> Callable[[str], uuid.UUID | None]:
    """Find a location by its path ("教学楼A/3F/301", also with ">" or "›"), its code, or id."""
    by_path: dict[str, uuid.UUID] = {}
    by_code: dict[str, list[uuid.UUID]] = {}
    for location_id, row in tree.items():
        if row["status"] != "active":
            continue
        by_path["/".join(path_of(tree, location_id))] = location_id
        if row["code"]:
            by_code.setdefault(row["code"], []).append(location_id)

    def resolve(text: str) -> uuid.UUID | None:
        key = "/".join(part.strip() for part in re.split(r"[/>›]", text) if part.strip())
        if key in by_path:
            return by_path[key]
        if len(by_code.get(text, [])) == 1:
            return by_code[text][0]
        try:
            candidate = uuid.UUID(text)
        except ValueError:
            return None
        return candidate if candidate in tree else None

    return resolve


async def _keepers(site_id: uuid.UUID) -> dict[str, uuid.UUID]:
    members = await users.members_of(site_id)
    return {m.username: m.user_id for m in members}


def _invalid(errors: list[RowError]) -> DomainError:
    listed = errors[:MAX_ERRORS_LISTED]
    more = f" (first {MAX_ERRORS_LISTED} listed)" if len(errors) > MAX_ERRORS_LISTED else ""
    return DomainError(
        "import.invalid_rows",
        f"{len(errors)} problems found{more}; nothing was imported",
        errors=[msgspec.structs.asdict(e) for e in listed],
    )
