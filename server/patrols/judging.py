"""The facts of a round and how the round is judged from them.

A verdict is derived from the set of facts alone: the same facts in any order, or with any
of them delivered twice, give the same verdict, so a phone that syncs late or resends a
batch changes nothing. A fact's `id` is its identity; two facts with different ids are two
events, so the same checkpoint scanned twice is two scans of which one is counted.

Flags never reject a scan: a scan in a basement without GPS is a normal working day, and
a person decides what a flag means. Thresholds, each chosen to flag only what walking
cannot explain:

- implausible speed: faster than `MAX_WALKING_SPEED` between the edges of two
  checkpoints' radii (7 m/s is a sprint; rounds include stairs and doors);
- clock skew: a device time more than `CLOCK_SKEW` after the server received the fact (a
  device behind cannot be told from one that synced late, so only one ahead is flagged;
  5 minutes is the cap sync puts on device clocks);
- GPS far: further from the checkpoint than its radius plus the fix's own accuracy.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from server.patrols.routes import NfcSerial, Position, RouteVersion, TagCode, distance_m
from server.patrols.windows import OnDuty, PersonId, RoundWindow

MAX_WALKING_SPEED = 7.0
CLOCK_SKEW = dt.timedelta(minutes=5)

State = Literal["upcoming", "in_progress", "completed", "incomplete", "missed", "cancelled"]
TagState = Literal["active", "retired"]
Method = Literal["qr", "typed", "nfc"]
Text = Annotated[str, Meta(max_length=2000)]
Instant = Annotated[dt.datetime, Meta(tz=True)]

OUT_OF_SEQUENCE = "scan.out_of_sequence"
TOO_FAST = "scan.too_fast"
IMPLAUSIBLE_SPEED = "scan.implausible_speed"
OUTSIDE_WINDOW = "scan.outside_window"
OFF_DUTY = "scan.off_duty"
DUPLICATE = "scan.duplicate"
UNKNOWN_TAG = "scan.unknown_tag"
RETIRED_TAG = "scan.retired_tag"
OTHER_ROUTE = "scan.other_route"
GPS_FAR = "scan.gps_far"
GPS_ABSENT = "scan.gps_absent"
CLOCK_AHEAD = "scan.clock_skew"
OTHER_DEVICE = "scan.other_device"
NFC_MISMATCH = "scan.nfc_mismatch"
SERIOUS = frozenset(
    {TOO_FAST, IMPLAUSIBLE_SPEED, OFF_DUTY, RETIRED_TAG, NFC_MISMATCH, OTHER_DEVICE}
)
"""Flags a supervisor hears about at once (`round.flagged`): signs of a round walked by
someone else or not walked at all. The others (no GPS in a basement, a scan twice, one
out of order) are read on the round's page."""


class RoundFact(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="type"
):
    """`occurred_at` is the device's time (business time), `received_at` the server's."""

    id: Annotated[str, Meta(min_length=1, max_length=64)]
    round_id: Annotated[str, Meta(min_length=1, max_length=64)]
    device_id: Annotated[str, Meta(min_length=1, max_length=64)]
    person: PersonId
    occurred_at: Instant
    received_at: Instant


class RoundStarted(RoundFact, tag="round.started", frozen=True):
    """`window` is the key of the scheduled window; None for a voluntary round."""

    route: str
    route_version: int
    window: str | None = None


class CheckpointScanned(RoundFact, tag="checkpoint.scanned", frozen=True):
    tag: TagCode
    method: Method
    position: Position | None = None
    accuracy_m: Annotated[float, Meta(ge=0)] | None = None
    nfc_serial: NfcSerial | None = None


class RoundFinished(RoundFact, tag="round.finished", frozen=True):
    note: Text = ""


class RoundCountersigned(RoundFact, tag="round.countersigned", frozen=True):
    """The supervisor's signature under the patroller's (公安部令第61号 Art. 25)."""

    note: Text = ""


class RoundExplained(RoundFact, tag="round.explained", frozen=True):
    """A supervisor's comment closing a missed or flagged round (why it was missed, what the
    flags turned out to be)."""

    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class RoundCancelled(RoundFact, tag="round.cancelled", frozen=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


Fact = (
    RoundStarted
    | CheckpointScanned
    | RoundFinished
    | RoundCountersigned
    | RoundExplained
    | RoundCancelled
)


class ScanVerdict(msgspec.Struct, frozen=True, kw_only=True):
    """`checkpoint` is the tag's place on the route (None off the route); only `counted`
    scans make up the coverage."""

    fact_id: str
    tag: str
    checkpoint: int | None
    occurred_at: dt.datetime
    person: str
    device_id: str
    method: Method
    counted: bool
    flags: tuple[str, ...]


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """`counts_for_compliance` is False for voluntary and cancelled rounds: they are shown,
    never held against the schedule. `flags` gathers the scans' flags, each once.

    A round is walked within its window; grace is the time after the window in which a
    round may still begin, so a start after the window's end is late and a finish after
    the grace is late. An early start is one before the window opens; an early finish is
    one sooner after the start than the route's walking gaps add up to."""

    state: State
    voluntary: bool
    counts_for_compliance: bool
    route: str
    route_version: int
    window: str | None
    expected: int
    covered: int
    coverage: float
    missing: tuple[str, ...]
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    early_start: bool
    late_start: bool
    early_finish: bool
    late_finish: bool
    scans: tuple[ScanVerdict, ...]
    flags: tuple[str, ...]
    countersigned_by: tuple[str, ...]
    explanations: tuple[str, ...]
    cancelled_because: str | None


def judge(
    route: RouteVersion,
    window: RoundWindow | None,
    facts: Iterable[RoundFact],
    now: dt.datetime,
    known_tags: Mapping[str, TagState],
    *,
    on_duty: OnDuty | None = None,
) -> Verdict:
    """The round of `facts` (all of one round) as of `now`, against the route version it
    started on and its scheduled `window` (None: voluntary). Scans before the start, or
    synced before it, belong to the round all the same; the round began at its start's
    device time, or at its first scan's while the start has not arrived. Missed only once
    `grace_end` has passed with neither a start nor a scan. `on_duty` naming people flags
    scans by anyone else; a duty held by a role is checked where roles are known."""
    if now.tzinfo is None:
        raise ValueError("now must carry its timezone")
    ordered = _distinct(facts)
    if len({fact.round_id for fact in ordered}) > 1:
        raise ValueError("facts of more than one round")
    starts = [f for f in ordered if isinstance(f, RoundStarted)]
    scans = [f for f in ordered if isinstance(f, CheckpointScanned)]
    finishes = [f for f in ordered if isinstance(f, RoundFinished)]
    cancels = [f for f in ordered if isinstance(f, RoundCancelled)]
    start = starts[0] if starts else None
    if start is not None and (start.route, start.route_version) != (route.route, route.version):
        raise ValueError(
            f"the round started on {start.route} v{start.route_version}, "
            f"not {route.route} v{route.version}"
        )
    first = start or (scans[0] if scans else None)
    started_at = first.occurred_at if first is not None else None
    finished_at = finishes[-1].occurred_at if finishes else None
    judged = _judge_scans(route, window, scans, known_tags, on_duty, first)
    covered = sum(1 for scan in judged if scan.counted)
    expected = len(route.checkpoints)
    seen = {scan.tag for scan in judged if scan.counted}
    walking = sum(c.min_gap_seconds or 0 for c in route.checkpoints)

    state: State
    if cancels:
        state = "cancelled"
    elif first is None:
        state = "missed" if window is not None and now >= window.grace_end else "upcoming"
    elif finishes or (window is not None and now >= window.grace_end):
        state = "completed" if covered == expected else "incomplete"
    else:
        state = "in_progress"
    return Verdict(
        state=state,
        voluntary=window is None,
        counts_for_compliance=window is not None and state != "cancelled",
        route=route.route,
        route_version=route.version,
        window=window.key if window is not None else None,
        expected=expected,
        covered=covered,
        coverage=covered / expected,
        missing=tuple(c.tag for c in route.checkpoints if c.tag not in seen),
        started_at=started_at,
        finished_at=finished_at,
        early_start=window is not None and started_at is not None and started_at < window.start,
        late_start=window is not None and started_at is not None and started_at >= window.end,
        early_finish=(
            started_at is not None
            and finished_at is not None
            and (finished_at - started_at).total_seconds() < walking
        ),
        late_finish=window is not None
        and finished_at is not None
        and finished_at >= window.grace_end,
        scans=tuple(judged),
        flags=tuple(sorted({flag for scan in judged for flag in scan.flags})),
        countersigned_by=tuple(
            dict.fromkeys(f.person for f in ordered if isinstance(f, RoundCountersigned))
        ),
        explanations=tuple(f.reason for f in ordered if isinstance(f, RoundExplained)),
        cancelled_because=cancels[0].reason if cancels else None,
    )


def _distinct(facts: Iterable[RoundFact]) -> list[RoundFact]:
    """Each fact once, in order of device time. The same id with other content is a
    conflict the sync engine answers before facts get here; should one slip through, the
    smaller encoding stays, so the outcome does not hang on which arrived first."""
    by_id: dict[str, RoundFact] = {}
    for fact in facts:
        kept = by_id.setdefault(fact.id, fact)
        if kept is not fact and kept != fact:
            by_id[fact.id] = min(kept, fact, key=msgspec.json.encode)
    return sorted(by_id.values(), key=lambda fact: (fact.occurred_at, fact.id))


def _judge_scans(
    route: RouteVersion,
    window: RoundWindow | None,
    scans: list[CheckpointScanned],
    known_tags: Mapping[str, TagState],
    on_duty: OnDuty | None,
    first: RoundFact | None,
) -> list[ScanVerdict]:
    order = route.order
    judged = []
    counted: set[int] = set()
    furthest = -1
    previous: tuple[CheckpointScanned, int] | None = None
    for scan in scans:
        flags = []
        at = order.get(scan.tag)
        if at is None:
            state = known_tags.get(scan.tag)
            flags.append(
                UNKNOWN_TAG if state is None else RETIRED_TAG if state == "retired" else OTHER_ROUTE
            )
        elif known_tags.get(scan.tag) == "retired":
            flags.append(RETIRED_TAG)
        is_counted = at is not None and at not in counted
        if at is not None and not is_counted:
            flags.append(DUPLICATE)
        if is_counted and at is not None:
            counted.add(at)
            if route.mode == "sequence" and at < furthest:
                flags.append(OUT_OF_SEQUENCE)
            furthest = max(furthest, at)
            if previous is not None:
                flags.extend(_between(route, previous, scan, at))
            previous = (scan, at)
            flags.extend(_gps(route, scan, at))
            flags.extend(_nfc(route, scan, at))
        if window is not None and not window.start <= scan.occurred_at < window.grace_end:
            flags.append(OUTSIDE_WINDOW)
        if on_duty is not None and on_duty.people and scan.person not in on_duty.people:
            flags.append(OFF_DUTY)
        if scan.occurred_at - scan.received_at > CLOCK_SKEW:
            flags.append(CLOCK_AHEAD)
        if first is not None and scan.device_id != first.device_id:
            flags.append(OTHER_DEVICE)
        judged.append(
            ScanVerdict(
                fact_id=scan.id,
                tag=scan.tag,
                checkpoint=at,
                occurred_at=scan.occurred_at,
                person=scan.person,
                device_id=scan.device_id,
                method=scan.method,
                counted=is_counted,
                flags=tuple(flags),
            )
        )
    return judged


def _between(
    route: RouteVersion, previous: tuple[CheckpointScanned, int], scan: CheckpointScanned, at: int
) -> list[str]:
    """Flags from the walk since the previous counted scan."""
    flags = []
    seconds = (scan.occurred_at - previous[0].occurred_at).total_seconds()
    here = route.checkpoints[at]
    if here.min_gap_seconds is not None and seconds < here.min_gap_seconds:
        flags.append(TOO_FAST)
    there = route.checkpoints[previous[1]]
    if here.position is not None and there.position is not None:
        # Only the walk between the edges of the two radii must be explained.
        metres = distance_m(here.position, there.position) - here.radius_m - there.radius_m
        if metres > 0 and (seconds <= 0 or metres / seconds > MAX_WALKING_SPEED):
            flags.append(IMPLAUSIBLE_SPEED)
    return flags


def _gps(route: RouteVersion, scan: CheckpointScanned, at: int) -> list[str]:
    checkpoint = route.checkpoints[at]
    if checkpoint.position is None:
        return []
    if scan.position is None:
        return [GPS_ABSENT]
    allowed = checkpoint.radius_m + (scan.accuracy_m or 0.0)
    if distance_m(scan.position, checkpoint.position) > allowed:
        return [GPS_FAR]
    return []


def _nfc(route: RouteVersion, scan: CheckpointScanned, at: int) -> list[str]:
    """A scan that says it read the checkpoint's sticker must have read that sticker."""
    bound = route.checkpoints[at].nfc_serial
    if scan.method != "nfc" or bound is None:
        return []
    return [] if scan.nfc_serial == bound else [NFC_MISMATCH]
