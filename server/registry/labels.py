"""Printable labels for a site's tags, through the pure `qr` package."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from qr.fonts import FontFile, FontNotFound, find_cjk_font
from qr.labels import LabelContent, label_png, label_svg
from qr.presets import PRESETS, LabelPreset
from qr.sheets import labels_pdf
from qr.urls import tag_url
from server.accounts import sites
from server.accounts.access import EVERYONE, Caller
from server.errors import DomainError
from server.registry.locations import path_of, site_tree, subtree_ids
from server.registry.tables import Asset, Tag
from server.registry.tags import load_tag
from server.registry.wire import LabelPresetOut, LabelSheetPlan

MAX_LABELS = 5000
Targets = Literal["assets", "locations", "all"]


def preset(name: str) -> LabelPreset:
    if name not in PRESETS:
        raise DomainError(
            "request.invalid",
            f"unknown preset {name!r}; one of {', '.join(PRESETS)}",
            field="preset",
        )
    return PRESETS[name]


def font(preferred: Path | None) -> FontFile:
    try:
        return find_cjk_font(preferred)
    except FontNotFound as exc:
        raise DomainError("labels.font_missing", str(exc)) from None


async def select_labels(
    caller: Caller,
    site_id: uuid.UUID,
    public_url: str,
    *,
    location_id: uuid.UUID | None = None,
    category: str | None = None,
    targets: Targets = "all",
    code: str | None = None,
) -> list[LabelContent]:
    """Labels for the site's active tags, in walking order (by location path, then name).
    `location_id` keeps what is inside that location; `category` keeps assets only."""
    caller.require(site_id, EVERYONE)
    tree = await site_tree(site_id)
    inside = subtree_ids(tree, location_id) if location_id is not None else None
    site = await sites.get_site(caller, site_id)
    query = Tag.select(Tag.code, Tag.asset, Tag.location).where(
        (Tag.site == site_id) & (Tag.status == "active")
    )
    if code is not None:
        query = query.where(Tag.code == code)
    tags = await query
    asset_ids = [t["asset"] for t in tags if t["asset"]]
    assets: dict[uuid.UUID, dict[str, Any]] = {}
    if asset_ids:
        rows = await Asset.select(
            Asset.id, Asset.name, Asset.asset_number, Asset.category, Asset.location, Asset.status
        ).where(Asset.id.is_in(asset_ids))
        assets = {r["id"]: r for r in rows}
    labels: list[tuple[list[str], LabelContent]] = []
    for tag in tags:
        if tag["asset"]:
            asset = assets[tag["asset"]]
            if targets == "locations" or asset["status"] != "active":
                continue
            if category and asset["category"] != category:
                continue
            if inside is not None and asset["location"] not in inside:
                continue
            path = path_of(tree, asset["location"])
            title = asset["name"]
            if asset["asset_number"]:
                title = f"{title} {asset['asset_number']}"
        else:
            if targets == "assets" or category:
                continue
            location = tree.get(tag["location"])
            if location is None or location["status"] != "active":
                continue
            if inside is not None and tag["location"] not in inside:
                continue
            path = path_of(tree, tag["location"])[:-1]
            title = location["name"] + (f" ({location['code']})" if location["code"] else "")
        content = LabelContent(
            url=tag_url(public_url, tag["code"]),
            code=tag["code"],
            title=title,
            subtitle=" › ".join(path),
            org_line=site.name,
        )
        labels.append((path, content))
    labels.sort(key=lambda item: (item[0], item[1].title))
    return [content for _, content in labels]


async def site_labels(
    caller: Caller,
    site_id: uuid.UUID,
    public_url: str,
    *,
    location_id: uuid.UUID | None = None,
    category: str | None = None,
    targets: Targets = "all",
    code: str | None = None,
) -> list[LabelContent]:
    """The labels of `select_labels`, as many as one PDF may hold."""
    labels = await select_labels(
        caller,
        site_id,
        public_url,
        location_id=location_id,
        category=category,
        targets=targets,
        code=code,
    )
    if len(labels) > MAX_LABELS:
        raise DomainError(
            "labels.too_many",
            f"{len(labels)} labels; at most {MAX_LABELS} per request: "
            "narrow by location or category",
        )
    return labels


async def plan_sheet(
    caller: Caller,
    site_id: uuid.UUID,
    public_url: str,
    preset_name: str,
    *,
    location_id: uuid.UUID | None = None,
    category: str | None = None,
    targets: Targets = "all",
) -> LabelSheetPlan:
    """How many labels and pages the same PDF request would make, and its first label's
    code, without drawing anything; a selection too large to print is counted all the same."""
    stock = preset(preset_name)
    contents = await select_labels(
        caller,
        site_id,
        public_url,
        location_id=location_id,
        category=category,
        targets=targets,
    )
    return LabelSheetPlan(
        labels=len(contents),
        pages=-(-len(contents) // stock.labels_per_page),
        max_labels=MAX_LABELS,
        sample_code=contents[0].code if contents else None,
    )


async def label_presets(caller: Caller, site_id: uuid.UUID) -> list[LabelPresetOut]:
    """The stock a site's labels can be printed on (the same for every site today)."""
    caller.require(site_id, EVERYONE)
    return [
        LabelPresetOut(
            name=p.name,
            kind=p.kind,
            page_width=p.page_width,
            page_height=p.page_height,
            columns=p.columns,
            rows=p.rows,
            label_width=p.label_width,
            label_height=p.label_height,
        )
        for p in PRESETS.values()
    ]


async def tag_label(caller: Caller, code: str, public_url: str) -> LabelContent:
    tag = await load_tag(caller, code)
    contents = await site_labels(caller, tag["site"], public_url, code=tag["code"])
    if contents:
        return contents[0]
    raise DomainError("tag.not_active", "only an active tag of an active target has a label")


def render_pdf(
    contents: list[LabelContent],
    preset_name: str,
    preferred_font: Path | None,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    return labels_pdf(
        contents, preset(preset_name), font=font(preferred_font), on_progress=progress
    )


def render_png(content: LabelContent, preset_name: str, preferred_font: Path | None) -> bytes:
    return label_png(content, preset(preset_name), font=font(preferred_font))


def render_svg(content: LabelContent, preset_name: str) -> str:
    return label_svg(content, preset(preset_name))
