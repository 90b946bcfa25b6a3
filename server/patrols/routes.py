"""Routes: the checkpoints a round visits, as immutable versions.

A round is judged by the route version it started on, so a version never changes once a
round has used it; an edit is a new version with the next number.
"""

import functools
import math
from collections.abc import Sequence
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

TagCode = Annotated[str, Meta(min_length=1, max_length=64)]
Mode = Literal["sequence", "any_order"]
NfcSerial = Annotated[str, Meta(pattern=r"^[0-9A-F]{2}(:[0-9A-F]{2}){3,15}$")]
"""An NFC tag's serial as Web NFC gives it, upper-case (`04:A2:1B:7C:5D:80:00`)."""

_EARTH_RADIUS_M = 6_371_000.0


class _Parsed(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Subclasses say `frozen=True` again: msgspec inherits it, type checkers do not (PEP 681)."""


class Position(_Parsed, frozen=True):
    lat: Annotated[float, Meta(ge=-90, le=90)]
    lon: Annotated[float, Meta(ge=-180, le=180)]


class Checkpoint(_Parsed, frozen=True):
    """A tag on a location or an asset. `min_gap_seconds` is the walking time from the
    checkpoint before it; `checklist` names a template to fill in there; `radius_m` says how
    far from `position` a phone's fix may be and still be there."""

    tag: TagCode
    name: Annotated[str, Meta(max_length=200)] = ""
    checklist: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    min_gap_seconds: Annotated[int, Meta(ge=0, le=86_400)] | None = None
    position: Position | None = None
    radius_m: Annotated[float, Meta(gt=0, le=10_000)] = 50.0
    nfc_serial: NfcSerial | None = None
    """The serial number of an NFC sticker bound to the checkpoint: a phone that reads it
    was there, which a photograph of a QR code cannot prove."""


class RouteVersion(_Parsed, dict=True, frozen=True):
    route: Annotated[str, Meta(min_length=1, max_length=100)]
    version: Annotated[int, Meta(ge=1)]
    checkpoints: Annotated[tuple[Checkpoint, ...], Meta(min_length=1, max_length=500)]
    mode: Mode = "sequence"

    def __post_init__(self) -> None:
        if len({checkpoint.tag for checkpoint in self.checkpoints}) != len(self.checkpoints):
            raise ValueError("a tag appears twice on the route")

    @functools.cached_property
    def order(self) -> dict[str, int]:
        """Each tag's place on the route, from 0; looked up for every scan judged."""
        return {checkpoint.tag: at for at, checkpoint in enumerate(self.checkpoints)}


def version_started_on(versions: Sequence[RouteVersion], started: int | None) -> RouteVersion:
    """The version a round is judged by: the one its start names, else (not yet started) the
    newest, which is the one a phone would start on now."""
    if not versions:
        raise ValueError("a route has at least one version")
    if started is None:
        return max(versions, key=lambda version: version.version)
    for version in versions:
        if version.version == started:
            return version
    raise ValueError(f"route {versions[0].route!r} has no version {started}")


def distance_m(a: Position, b: Position) -> float:
    """Great-circle distance; a school's checkpoints are metres apart, where it is exact."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
