"""A site's gate settings: what a check-in must give, how ID numbers are masked, how long the
register keeps personal fields, whether the host signs before the visitor leaves, and the
gate's day. A site without a row has the defaults (version 0).

The forms enforce the settings (the gate phone and the console); the server never refuses
a check-in for one: a gate device offline may hold older settings, and the visitor was at
the gate all the same. A stored check-in that lacks a required field, or brings a vehicle
where none is allowed, is kept and flagged (server/gate/visits.py).

Gate devices receive the settings as the feed entity `gate_settings` (audience GATE) with
the site's lookup key, so that they hash an ID number exactly as the server does
(server/gate/keys.py) and match the watchlist and repeat visitors offline.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.db import is_sqlite, json_bytes, transaction
from server.errors import DomainError
from server.feeds import Audience, Feed
from server.gate.documents import KEEP_4_4, KEEP_6_4
from server.gate.keys import site_key_text
from server.gate.tables import GateSettingsRow
from server.wire import Request

RequiredField = Literal[
    "id_number", "phone", "organisation", "purpose", "plate", "badge", "expected_stay"
]
IdMask = Literal["6+4", "4+4"]
ClockTime = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
RetentionDays = Annotated[int, Meta(ge=30, le=1095)]
StayMinutes = Annotated[int, Meta(ge=1, le=24 * 60)]
RequiredFields = Annotated[list[RequiredField], Meta(max_length=7)]

DEFAULT_REQUIRED: tuple[RequiredField, ...] = ("phone", "purpose")


class GateSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What a site's managers set. Name, document kind and host are always required and
    not listed. `vehicles_allowed` false: the gate form starts at "no vehicle", and a
    plate given all the same is kept and flagged. `overstay_minutes`: the stay a check-in
    that gives none is expected to keep to."""

    required_fields: RequiredFields = msgspec.field(default_factory=lambda: [*DEFAULT_REQUIRED])
    id_mask: IdMask = "6+4"
    retention_days: RetentionDays = 180
    sign_before_checkout: bool = False
    closing_time: ClockTime = "18:00"
    vehicles_allowed: bool = False
    overstay_minutes: StayMinutes = 240

    @property
    def mask_keep(self) -> tuple[int, int]:
        return KEEP_4_4 if self.id_mask == "4+4" else KEEP_6_4


DEFAULTS = GateSettings()


class GateSettingsIn(Request, GateSettings, frozen=True, kw_only=True):
    """The whole settings (a field left out takes its default) and `version`, the one they
    were changed from (0: the site has only the defaults so far)."""

    version: Annotated[int, Meta(ge=0)]


class GateSettingsOut(GateSettings, frozen=True, kw_only=True):
    site_id: uuid.UUID
    version: int


class GateSettingsRecord(GateSettingsOut, frozen=True, kw_only=True):
    """The feed entity `gate_settings`: the settings and the site's lookup key, base64url
    without padding (server/gate/keys.py)."""

    lookup_key: str


def missing_fields(given: dict[str, Any], settings: GateSettings) -> list[str]:
    """The required fields a check-in (its stored body) leaves empty, in the order the
    settings list them."""
    present = {
        "id_number": given.get("id_type") not in (None, "none"),
        "phone": bool(given.get("phone")),
        "organisation": bool((given.get("organisation") or "").strip()),
        "purpose": bool((given.get("purpose") or "").strip()),
        "plate": bool(given.get("plate")),
        "badge": bool(given.get("badge")),
        "expected_stay": given.get("expected_stay_minutes") is not None,
    }
    return [name for name in dict.fromkeys(settings.required_fields) if not present[name]]


async def settings_of(
    site_ids: Iterable[uuid.UUID],
) -> dict[uuid.UUID, tuple[GateSettings, int]]:
    """Each site's settings and their version (the defaults and 0 for a site without)."""
    wanted = sorted(set(site_ids))
    found = {site: (DEFAULTS, 0) for site in wanted}
    if wanted:
        rows = await GateSettingsRow.select(
            GateSettingsRow.site, GateSettingsRow.body, GateSettingsRow.version
        ).where(GateSettingsRow.site.is_in(wanted))
        for row in rows:
            found[row["site"]] = (_decode(row["body"]), row["version"])
    return found


async def get_settings(caller: Caller, site_id: uuid.UUID) -> GateSettingsOut:
    """Any member of the site reads them: the form a host sees names what the gate asks."""
    caller.require(site_id, EVERYONE)
    settings, version = (await settings_of([site_id]))[site_id]
    return _out(site_id, settings, version)


async def set_settings(caller: Caller, site_id: uuid.UUID, data: GateSettingsIn) -> GateSettingsOut:
    """Replace the site's settings; 409 `gate_settings.version_conflict` when `version` is
    no longer the stored one (settings replaced from a stale copy would undo another
    manager's change)."""
    caller.require(site_id, MANAGERS)
    settings = msgspec.convert(
        {f: getattr(data, f) for f in GateSettings.__struct_fields__}, GateSettings
    )
    settings = msgspec.structs.replace(
        settings, required_fields=list(dict.fromkeys(settings.required_fields))
    )
    async with transaction():
        query = GateSettingsRow.select(GateSettingsRow.id, GateSettingsRow.version).where(
            GateSettingsRow.site == site_id
        )
        if not is_sqlite():
            query = query.lock_rows("UPDATE")
        row = await query.first()
        stored = 0 if row is None else row["version"]
        if data.version != stored:
            raise DomainError(
                "gate_settings.version_conflict",
                f"changed by someone else: version is {stored}, you sent {data.version}",
                field="version",
            )
        body = msgspec.json.encode(settings).decode()
        now = clock.utcnow()
        if row is None:
            await GateSettingsRow.insert(
                GateSettingsRow(
                    id=clock.new_id(),
                    site=site_id,
                    body=body,
                    version=1,
                    updated_by=caller.user_id,
                    updated_at=now,
                )
            )
        else:
            await GateSettingsRow.update(
                {
                    GateSettingsRow.body: body,
                    GateSettingsRow.version: stored + 1,
                    GateSettingsRow.updated_by: caller.user_id,
                    GateSettingsRow.updated_at: now,
                }
            ).where(GateSettingsRow.id == row["id"])
        out = _out(site_id, settings, stored + 1)
        GATE_SETTINGS_FEED.record(site_id, site_id, version=out.version, data=_record(out))
    return out


async def snapshot_settings(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, GateSettingsRecord]]:
    """One entity per site, the defaults included: a new gate device needs the lookup key
    whether or not a manager ever changed a setting."""
    if after is not None or limit < 1:
        return []
    settings, version = (await settings_of([site_id]))[site_id]
    return [(str(site_id), version, _record(_out(site_id, settings, version)))]


def _out(site_id: uuid.UUID, settings: GateSettings, version: int) -> GateSettingsOut:
    return GateSettingsOut(**msgspec.structs.asdict(settings), site_id=site_id, version=version)


def _record(out: GateSettingsOut) -> GateSettingsRecord:
    return GateSettingsRecord(**msgspec.structs.asdict(out), lookup_key=site_key_text(out.site_id))


def _decode(value: Any) -> GateSettings:
    """A stored body; a field a later release added takes its default."""
    return msgspec.json.decode(json_bytes(value), type=GateSettings)


GATE_SETTINGS_FEED = Feed("gate_settings", Audience.GATE, snapshot_settings)
