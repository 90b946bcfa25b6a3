"""Bulk import of assets from CSV or XLSX: the whole file is checked first, then either
every row goes in, in one transaction, or none does and every problem is listed."""

from __future__ import annotations

import dataclasses
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
from server.registry.wire import (
    AttributeValue,
    ImportCheck,
    ImportPreviewRow,
    ImportResult,
    RowError,
)

MAX_ERRORS_LISTED = 500
MAX_PREVIEW = 500
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
    # The dates and model the checklists read from an asset's attributes.
    "有效期至": "attr:expiry_date",
    "有效期": "attr:expiry_date",
    "生产日期": "attr:manufacture_date",
    "购置日期": "attr:purchase_date",
    "型号": "attr:model",
    "规格型号": "attr:model",
}
# A category as the office names it, in either language, besides its code.
CATEGORY_NAMES = {
    "灭火器": "fire_extinguisher",
    "消火栓箱": "fire_hydrant_box",
    "火灾报警控制器": "fire_alarm_panel",
    "应急照明灯": "emergency_light",
    "安全出口标志": "exit_sign",
    "配电箱": "electrical_panel",
    "游乐设施": "playground_equipment",
    "体育器材": "sports_equipment",
    "厨房燃气": "kitchen_gas",
    "饮水机": "water_dispenser",
    "冰箱": "refrigerator",
    "消毒柜": "disinfection_cabinet",
    "其他": "other",
    "fire extinguisher": "fire_extinguisher",
    "fire hydrant box": "fire_hydrant_box",
    "fire alarm panel": "fire_alarm_panel",
    "emergency light": "emergency_light",
    "exit sign": "exit_sign",
    "electrical panel": "electrical_panel",
    "playground equipment": "playground_equipment",
    "sports equipment": "sports_equipment",
    "kitchen gas": "kitchen_gas",
    "water dispenser": "water_dispenser",
    "refrigerator": "refrigerator",
    "disinfection cabinet": "disinfection_cabinet",
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
            errors.append(
                RowError(row=1, column=name, code="column_unknown", reason="unknown column")
            )
            continue
        if key in mapping.values():
            errors.append(
                RowError(row=1, column=name, code="column_twice", reason=f"second column for {key}")
            )
        mapping[name] = key
    for field in REQUIRED:
        if field not in mapping.values():
            errors.append(
                RowError(
                    row=1, column=field, code="column_missing", reason="required column missing"
                )
            )
    return mapping, errors


@dataclasses.dataclass
class _Checked:
    """A file read and checked against the site: the assets it would make, each with its
    row, and every problem found."""

    rows: int
    drafts: list[tuple[int, Asset, dict[str, AttributeValue]]] = dataclasses.field(
        default_factory=list
    )
    """Each asset with its row, and its attributes as read (the column holds them as JSON)."""
    errors: list[RowError] = dataclasses.field(default_factory=list)
    tree: dict[uuid.UUID, dict[str, Any]] = dataclasses.field(default_factory=dict)
    keeper_names: dict[uuid.UUID, str] = dataclasses.field(default_factory=dict)


async def _earlier_import(site_id: uuid.UUID, digest: str) -> dict[str, Any] | None:
    return await (
        AssetImport.select()
        .where((AssetImport.site == site_id) & (AssetImport.sha256 == digest))
        .first()
    )


async def _check_file(
    site_id: uuid.UUID, content: bytes, filename: str, progress: Progress | None = None
) -> _Checked:
    # Unpacking and reading a file is CPU work: off the event loop, other requests go on.
    header, rows = await anyio.to_thread.run_sync(read_rows, content, filename)
    mapping, errors = _columns(header)
    if errors:
        return _Checked(rows=len(rows), errors=errors)
    tree = await site_tree(site_id)
    resolve_location = location_resolver(tree)
    keepers, keeper_names = await _keepers(site_id)
    taken = {
        r["asset_number"]
        for r in await Asset.select(Asset.asset_number).where(
            (Asset.site == site_id) & (Asset.asset_number != "")
        )
    }
    checked = _Checked(rows=len(rows), tree=tree, keeper_names=keeper_names)
    seen_numbers: dict[str, int] = {}
    now = clock.utcnow()
    for row in rows:
        fields = {mapping[k]: v for k, v in row.values.items() if k in mapping}
        category = fields.get("category", "")
        fields["category"] = CATEGORY_NAMES.get(category.lower(), category)
        row_errors = _check_row(row.number, fields, taken, seen_numbers)
        location_id = keeper_id = None
        if fields.get("location"):
            location_id = resolve_location(fields["location"])
            if location_id is None:
                row_errors.append(
                    RowError(
                        row=row.number,
                        column="location",
                        code="location_unknown",
                        reason="no such location",
                        value=fields["location"],
                    )
                )
        if fields.get("keeper"):
            keeper_id = keepers.get(fields["keeper"])
            if keeper_id is None:
                row_errors.append(
                    RowError(
                        row=row.number,
                        column="keeper",
                        code="keeper_unknown",
                        reason="not a member of this site",
                        value=fields["keeper"],
                    )
                )
        attributes: dict[str, AttributeValue] = {
            k[5:]: v for k, v in fields.items() if k.startswith("attr:") and v
        }
        row_errors.extend(_attribute_errors(row.number, attributes))
        errors.extend(row_errors)
        if not row_errors:
            draft = Asset(
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
            checked.drafts.append((row.number, draft, attributes))
        if progress:
            progress(1)
    checked.errors = errors
    return checked


def _attribute_errors(number: int, attributes: dict[str, AttributeValue]) -> list[RowError]:
    errors = []
    for key, value in attributes.items():
        try:
            check_attributes({key: value})
        except DomainError as exc:
            named = len(key) <= 64 and key.replace("_", "").isalnum()
            code = "date_format" if named else "attribute_name"
            errors.append(
                RowError(
                    row=number, column=exc.field, code=code, reason=exc.detail, value=str(value)
                )
            )
    return errors


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
    earlier = await _earlier_import(site_id, digest)
    if earlier is not None:
        return ImportResult(
            rows=earlier["rows"], created=0, dry_run=dry_run, already_imported_at=earlier["at"]
        )
    checked = await _check_file(site_id, content, filename, progress)
    if checked.errors:
        raise _invalid(checked.errors)
    drafts = [draft for _, draft, _ in checked.drafts]
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
                    rows=checked.rows,
                    created=len(drafts),
                    by_user=caller.user_id,
                    at=clock.utcnow(),
                )
            )
    return ImportResult(rows=checked.rows, created=0 if dry_run else len(drafts), dry_run=dry_run)


async def check_import(
    caller: Caller, site_id: uuid.UUID, content: bytes, filename: str
) -> ImportCheck:
    """What importing the file would do, storing nothing: every problem against its row and
    column, and the assets it would make. A file the import refuses as a whole (unreadable,
    too long) is refused here too."""
    caller.require(site_id, MANAGERS)
    earlier = await _earlier_import(site_id, hashlib.sha256(content).hexdigest())
    try:
        checked = await _check_file(site_id, content, filename)
    except DomainError as exc:
        if exc.code != "import.invalid_rows" or not exc.errors:
            raise
        checked = _Checked(rows=0, errors=[msgspec.convert(e, RowError) for e in exc.errors])
    preview = [
        ImportPreviewRow(
            row=number,
            name=draft.name,
            category=draft.category,
            asset_number=draft.asset_number,
            serial_number=draft.serial_number,
            location_path=path_of(checked.tree, draft.location),
            keeper_name=checked.keeper_names.get(draft.keeper) if draft.keeper else None,
            attributes=attributes,
        )
        for number, draft, attributes in checked.drafts[:MAX_PREVIEW]
    ]
    return ImportCheck(
        rows=checked.rows,
        creatable=0 if checked.errors else len(checked.drafts),
        problems=len(checked.errors),
        errors=checked.errors[:MAX_ERRORS_LISTED],
        preview=[] if checked.errors else preview,
        already_imported_at=earlier["at"] if earlier else None,
    )


def _check_row(
    number: int, fields: dict[str, str], taken: set[str], seen: dict[str, int]
) -> list[RowError]:
    errors = []
    for field in REQUIRED:
        if not fields.get(field):
            errors.append(RowError(row=number, column=field, code="required", reason="required"))
    category = fields.get("category", "")
    if category and not CATEGORY.match(category):
        errors.append(
            RowError(
                row=number,
                column="category",
                code="category_format",
                reason="lower-case letters, digits and _",
                value=category,
            )
        )
    for field, limit in (
        ("name", 200),
        ("name_en", 200),
        ("asset_number", 64),
        ("serial_number", 64),
    ):
        if len(fields.get(field, "")) > limit:
            errors.append(
                RowError(row=number, column=field, code="too_long", reason=f"longer than {limit}")
            )
    asset_number = fields.get("asset_number", "")
    if asset_number:
        if asset_number in taken:
            errors.append(
                RowError(
                    row=number,
                    column="asset_number",
                    code="number_taken",
                    reason="already used at this site",
                    value=asset_number,
                )
            )
        elif asset_number in seen:
            errors.append(
                RowError(
                    row=number,
                    column="asset_number",
                    code="number_repeated",
                    reason=f"same number as row {seen[asset_number]}",
                    value=asset_number,
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


async def _keepers(site_id: uuid.UUID) -> tuple[dict[str, uuid.UUID], dict[uuid.UUID, str]]:
    """A keeper named by username, or by their name where no one else at the site has it;
    and each member's name."""
    members = await users.members_of(site_id)
    by_name: dict[str, list[uuid.UUID]] = {}
    for m in members:
        by_name.setdefault(m.display_name, []).append(m.user_id)
    found = {name: ids[0] for name, ids in by_name.items() if len(ids) == 1}
    found.update({m.username: m.user_id for m in members})
    return found, {m.user_id: m.display_name for m in members}


def _invalid(errors: list[RowError]) -> DomainError:
    listed = errors[:MAX_ERRORS_LISTED]
    more = f" (first {MAX_ERRORS_LISTED} listed)" if len(errors) > MAX_ERRORS_LISTED else ""
    return DomainError(
        "import.invalid_rows",
        f"{len(errors)} problems found{more}; nothing was imported",
        errors=[msgspec.structs.asdict(e) for e in listed],
    )
