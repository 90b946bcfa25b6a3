"""Patrol routes and their versions, round schedules, the facts of rounds, and each
round's latest judgement."""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.references import SITE, USER


class PatrolRoute(Table, tablename="patrol_route"):
    """A route's name and state; what it visits is in its versions. `version` is the newest
    version's number (what a round starts on now)."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    status = Varchar(length=16, default="active")
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PatrolRouteVersion(Table, tablename="patrol_route_version"):
    """One version of a route, never changed once written: a round is judged by the version
    it started on."""

    id = UUID(primary_key=True)
    route = ForeignKey(PatrolRoute, on_delete=OnDelete.restrict, null=False, index=True)
    version = Integer()
    mode = Varchar(length=16)
    checkpoints = JSON()
    """server.patrols.wire.CheckpointOut list as JSON: the tags resolved when written."""
    created_at = Timestamptz()
    created_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )


class PatrolSchedule(Table, tablename="patrol_schedule"):
    """When a route is walked and by whom (server.patrols.windows.RoundSchedule's parts as
    JSON), as the newest version says; the versions keep what was in force when."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    route = ForeignKey(PatrolRoute, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    times = JSON()
    who = JSON()
    days = Varchar(length=16)
    countersign = Boolean(default=False)
    status = Varchar(length=16, default="active")
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PatrolScheduleVersion(Table, tablename="patrol_schedule_version"):
    """A schedule's rule from `effective_at` until the next version (see
    round_schedules.Book): a change or a retirement never rewrites the past, and nothing is
    owed before the schedule was made. `ended`: no rounds from then on."""

    id = UUID(primary_key=True)
    schedule = ForeignKey(PatrolSchedule, on_delete=OnDelete.restrict, null=False, index=True)
    effective_at = Timestamptz()
    route = ForeignKey(PatrolRoute, on_delete=OnDelete.restrict, null=False)
    times = JSON()
    who = JSON()
    days = Varchar(length=16)
    countersign = Boolean(default=False)
    ended = Boolean(default=False)
    added_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )


class PatrolFact(Table, tablename="patrol_fact"):
    """A fact of a round (started, a checkpoint scanned, finished, countersigned, explained,
    cancelled), made on a device or the web and stored once. `body` keeps the fields of its
    type; `occurred_at` is the device's time, `received_at` the server's."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    round_id = UUID(index=True)
    type = Varchar(length=32)
    person: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    device_id = UUID(null=True, default=None)
    tag = Varchar(length=16, null=True, default=None)
    """The tag a scan names (in `body` too): the checkpoints' report groups by it."""
    occurred_at = Timestamptz()
    received_at = Timestamptz()
    body = JSON()
    content_sha256 = Varchar(length=64)


class PatrolRound(Table, tablename="patrol_round"):
    """A round some fact names, with what the facts say so far: which route and window it is
    (from whichever fact arrived first) and its judgement when the last fact arrived. The
    facts are the truth; views judge again as of now."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    route = ForeignKey(PatrolRoute, on_delete=OnDelete.restrict, null=True, default=None)
    route_version = Integer(null=True, default=None)
    schedule = ForeignKey(PatrolSchedule, on_delete=OnDelete.restrict, null=True, default=None)
    window = Varchar(length=20, null=True, default=None)
    local_date = Date(null=True, default=None, index=True)
    person: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
    state = Varchar(length=16)
    covered = Integer(default=0)
    expected = Integer(default=0)
    flags = JSON(default=[])
    serious = Boolean(default=False)
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    first_received_at = Timestamptz()
    judged_at = Timestamptz()
    summary = JSON(default={})
    """server.patrols.wire.RoundSummary when last judged: what phones were sent."""
    version = Integer(default=1)
