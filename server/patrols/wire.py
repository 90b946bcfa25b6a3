"""What the patrol API and the patrol ops send and accept.

Routes and round schedules are reference data (managers write them, phones pull them);
a round is made of facts (`round.started`, `checkpoint.scanned`, `round.finished`,
`round.countersigned`, `round.explained`, `round.cancelled`), each a sync op and, for the
supervisor's, also a REST call. A scheduled round's id is `round_id_for(schedule_id,
window)` (server/patrols/windows.py), the same on every phone; a voluntary round's is a
UUIDv7 the phone makes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from server.patrols.judging import Method, State
from server.patrols.routes import Mode, NfcSerial, Position
from server.patrols.windows import Days, FixedTimes, ForPeople, ForRole, ForRoster, RepeatingTimes
from server.templates.wire import TemplateKey
from server.wire import AwareDatetime, Name, PersonRef, Request

WindowKey = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(\+1)?$")]
"""A window within its schedule: `2026-11-23T07:30`; `2026-11-23T02:00+1` is the 02:00
round of the night that starts on the 23rd."""
TagCode = Annotated[str, Meta(min_length=1, max_length=64)]
Note = Annotated[str, Meta(max_length=2000)]
Reason = Annotated[str, Meta(min_length=1, max_length=2000)]
OtherName = Annotated[str, Meta(max_length=200)]


# --- routes ------------------------------------------------------------------------------


class CheckpointIn(Request, frozen=True, kw_only=True):
    """A checkpoint is an existing, active tag of the site (its code). `checklist` names a
    template to fill in there (its newest version is pinned in the route version);
    `min_gap_seconds` is the walking time from the checkpoint before it."""

    tag: TagCode
    name: OtherName = ""
    name_en: OtherName = ""
    checklist: TemplateKey | None = None
    min_gap_seconds: Annotated[int, Meta(ge=0, le=86_400)] | None = None
    position: Position | None = None
    radius_m: Annotated[float, Meta(gt=0, le=10_000)] = 50.0
    nfc_serial: NfcSerial | None = None


class RouteCreate(Request, frozen=True, kw_only=True):
    name: Name
    name_en: OtherName = ""
    mode: Mode = "sequence"
    checkpoints: Annotated[list[CheckpointIn], Meta(min_length=1, max_length=500)]


class RouteChange(RouteCreate, frozen=True, kw_only=True):
    """Every change is a new version: rounds already started keep theirs."""

    base_version: Annotated[int, Meta(ge=1)]
    """The version the change was made against (409 `route.version_conflict` if newer
    exists)."""


class ChecklistRef(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    version: int
    title_zh: str
    title_en: str


class CheckpointOut(msgspec.Struct, frozen=True, kw_only=True):
    """`name` is what people read: the route's own name for the checkpoint (`label`), else
    the tagged thing's name. An edit sends `label` back, so a thing renamed later renames
    the checkpoints that have no name of their own."""

    tag: str
    tag_id: uuid.UUID
    asset_id: uuid.UUID | None
    location_id: uuid.UUID | None
    name: str
    name_en: str
    label: str = ""
    label_en: str = ""
    thing_name: str = ""
    thing_name_en: str = ""
    """The tagged thing's names when the route version was written."""
    checklist: ChecklistRef | None
    min_gap_seconds: int | None
    position: Position | None
    radius_m: float
    nfc_serial: str | None


class RouteOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    name_en: str
    mode: Mode
    version: int
    """The route's newest version (what a round starts on now)."""
    status: Literal["active", "retired"]
    checkpoints: list[CheckpointOut]
    updated_at: datetime


# --- round schedules ---------------------------------------------------------------------


class ScheduleCreate(Request, frozen=True, kw_only=True):
    """`who`: a role at the site, named people (user ids), or a duty roster with
    substitutes (user ids). `countersign`: a supervisor signs each round after the patroller
    (the daily fire patrol)."""

    name: Name
    name_en: OtherName = ""
    route_id: uuid.UUID
    times: FixedTimes | RepeatingTimes
    who: ForRole | ForPeople | ForRoster
    days: Days = "every_day"
    countersign: bool = False


class ScheduleChange(ScheduleCreate, frozen=True, kw_only=True):
    base_version: Annotated[int, Meta(ge=1)]
    """409 `patrol_schedule.version_conflict` if the stored version is newer."""


class ScheduleOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    name_en: str
    route_id: uuid.UUID
    times: FixedTimes | RepeatingTimes
    who: ForRole | ForPeople | ForRoster
    days: Days
    countersign: bool
    status: Literal["active", "retired"]
    version: int
    rule_since: datetime
    """When the rule above took effect: it owes no window whose grace ended before (earlier
    windows are owed under the rules before it, kept on the server)."""


# --- the facts of a round (sync ops; the supervisor's also REST) -------------------------


class RoundFactIn(Request, frozen=True, kw_only=True):
    """What every fact of a patroller's round carries, so whichever arrives first tells the
    server which round it is: a scan that syncs before its start is kept and judged."""

    id: uuid.UUID
    """The fact's own id, a UUIDv7 made on the device."""
    round_id: uuid.UUID
    route_id: uuid.UUID
    schedule_id: uuid.UUID | None = None
    window: WindowKey | None = None
    """Both set for a scheduled round (then `round_id` must be `round_id_for(schedule_id,
    window)`), neither for a voluntary one."""


class RoundStart(RoundFactIn, frozen=True, kw_only=True):
    route_version: Annotated[int, Meta(ge=1)]
    started_at: AwareDatetime


class CheckpointScan(RoundFactIn, frozen=True, kw_only=True):
    """`method`: how presence was proved: `qr` (the camera read the code), `typed` (the
    code was typed), `nfc` (the sticker's serial was read; `nfc_serial`)."""

    tag: TagCode
    method: Method
    nfc_serial: NfcSerial | None = None
    position: Position | None = None
    accuracy_m: Annotated[float, Meta(ge=0, le=100_000)] | None = None
    scanned_at: AwareDatetime


class RoundFinish(RoundFactIn, frozen=True, kw_only=True):
    """The patroller's signature: the finish is theirs."""

    finished_at: AwareDatetime
    note: Note = ""


class RoundCountersign(Request, frozen=True, kw_only=True):
    """A supervisor's signature under the patroller's (公安部令第61号 Art. 25)."""

    id: uuid.UUID
    round_id: uuid.UUID
    countersigned_at: AwareDatetime
    note: Note = ""


class RoundExplain(Request, frozen=True, kw_only=True):
    """A supervisor closes a missed or flagged round with a comment. A missed window has no
    round yet: name it by `schedule_id` and `window` (`round_id` is then theirs)."""

    id: uuid.UUID
    round_id: uuid.UUID
    schedule_id: uuid.UUID | None = None
    window: WindowKey | None = None
    explained_at: AwareDatetime
    reason: Reason


class RoundCancel(Request, frozen=True, kw_only=True):
    """A supervisor calls off a scheduled round (an exam, a typhoon): shown, never counted."""

    id: uuid.UUID
    round_id: uuid.UUID
    schedule_id: uuid.UUID | None = None
    window: WindowKey | None = None
    cancelled_at: AwareDatetime
    reason: Reason


# --- what supervisors read ---------------------------------------------------------------


class RoundSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A round as of now: a scheduled window (walked or not) or a voluntary round. `late`:
    started after its window, or finished after its grace. `needs_countersign`: its
    schedule asks for a supervisor's signature and none is given yet. `closed`: a
    supervisor commented on it (explained or countersigned)."""

    id: uuid.UUID
    site_id: uuid.UUID
    route_id: uuid.UUID | None
    route_name: str
    route_name_en: str
    route_version: int | None
    schedule_id: uuid.UUID | None
    schedule_name: str
    schedule_name_en: str
    window: str | None
    local_date: date | None
    window_start: datetime | None
    window_end: datetime | None
    grace_end: datetime | None
    state: State
    voluntary: bool
    counts_for_compliance: bool
    expected: int
    covered: int
    started_at: datetime | None
    finished_at: datetime | None
    early_start: bool
    late_start: bool
    early_finish: bool
    late_finish: bool
    late: bool
    flags: list[str]
    serious: bool
    """Among the flags is one a supervisor hears about at once (`round.flagged`)."""
    person: PersonRef | None
    """Who started it (or scanned first)."""
    on_duty: list[PersonRef]
    on_duty_role: str | None
    scanned: list[str]
    """The checkpoints counted so far (tag codes), for a phone's progress."""
    needs_countersign: bool
    countersigned: bool
    closed: bool
    explained: bool
    """A supervisor closed it with a comment (`round.explained`)."""
    window_open: bool
    """Its window has opened and its grace not yet passed (as of when this was judged):
    an upcoming round nobody has started is due now."""


class ScanOut(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    tag: str
    checkpoint: int | None
    """The checkpoint's place on the route, from 0 (None: not on the route)."""
    checkpoint_name: str
    checkpoint_name_en: str
    scanned_at: datetime
    received_at: datetime
    person: PersonRef
    device_id: uuid.UUID | None
    method: Method
    nfc_serial: str | None
    position: Position | None
    accuracy_m: float | None
    counted: bool
    flags: list[str]


class MissingCheckpoint(msgspec.Struct, frozen=True, kw_only=True):
    tag: str
    name: str
    name_en: str


class Signature(msgspec.Struct, frozen=True, kw_only=True):
    person: PersonRef
    at: datetime
    text: str


class RoundDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A round's timeline: every scan in order of its device time with its flags, and
    what was not scanned."""

    round: RoundSummary
    scans: list[ScanOut]
    missing: list[MissingCheckpoint]
    finished_note: str
    countersigns: list[Signature]
    explanations: list[Signature]
    cancelled: Signature | None


class DayCounts(msgspec.Struct, frozen=True, kw_only=True):
    """Scheduled rounds only (voluntary rounds never count)."""

    scheduled: int
    completed: int
    incomplete: int
    in_progress: int
    missed: int
    upcoming: int
    cancelled: int
    late: int
    flagged: int


class PatrolDay(msgspec.Struct, frozen=True, kw_only=True):
    site_id: uuid.UUID
    date: date
    rounds: list[RoundSummary]
    """Every scheduled window of the day in order of its start, then voluntary rounds."""
    counts: DayCounts


class MatrixCell(msgspec.Struct, frozen=True, kw_only=True):
    round_id: uuid.UUID
    window: str
    state: State
    late: bool
    flagged: bool
    coverage: float
    closed: bool
    """A supervisor commented on it: explained it, or countersigned it."""
    explained: bool
    needs_countersign: bool
    countersigned: bool


class MatrixDay(msgspec.Struct, frozen=True, kw_only=True):
    date: date
    cells: list[MatrixCell | None]
    """One per column of `times`; None where the schedule has no round that day."""


class MatrixSchedule(msgspec.Struct, frozen=True, kw_only=True):
    schedule_id: uuid.UUID
    name: str
    name_en: str
    times: list[str]
    """The columns: each window's clock time (`07:30`; `02:00+1` past midnight)."""
    days: list[MatrixDay]
    counts: DayCounts


class PatrolMonth(msgspec.Struct, frozen=True, kw_only=True):
    """The completion grid an outside inspector asks for: days × windows per schedule."""

    site_id: uuid.UUID
    month: str
    schedules: list[MatrixSchedule]


class PersonRounds(msgspec.Struct, frozen=True, kw_only=True):
    person: PersonRef
    since: date
    until: date
    rounds: list[RoundSummary]
    """Rounds the person walked or owed (named on duty; by their role, when nobody walked
    it), newest first."""
    counts: DayCounts


class CheckpointStats(msgspec.Struct, frozen=True, kw_only=True):
    """A tour exception row: how a checkpoint was scanned over the period. Gaps are the
    times from the scan before it in the same round."""

    route_id: uuid.UUID
    route_name: str
    route_name_en: str
    tag: str
    name: str
    name_en: str
    scans: int
    shortest_gap_seconds: float | None
    average_gap_seconds: float | None
    last_scanned_at: datetime | None
    days_since_last_scan: int | None
    flagged_scans: int


class Patroller(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    role: str


class CheckpointReport(msgspec.Struct, frozen=True, kw_only=True):
    site_id: uuid.UUID
    since: date
    until: date
    checkpoints: list[CheckpointStats]
