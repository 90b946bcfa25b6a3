"""The visitor register: the facts of each visit as the gate recorded them, and each
visit's state as its facts make it. No column holds a full ID number: a check-in keeps the
number's keyed hash and its masked form only (server/gate/documents.py)."""

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


class VisitFactRow(Table, tablename="visit_fact"):
    """A fact of a visit (checked in, approved, refused, checked out), made on a gate device
    or the web and stored once. `body` keeps the fields of its type, the ID number replaced
    by `id_key` and `id_masked`; `occurred_at` is the device's time."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    visit_id = UUID(index=True)
    type = Varchar(length=32)
    person: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    device_id = UUID(null=True, default=None)
    occurred_at = Timestamptz()
    received_at = Timestamptz()
    body = JSON()
    content_sha256 = Varchar(length=64)


class VisitRow(Table, tablename="visit"):
    """A visit some fact names, with what its facts say as of the last one (the pure
    judgement of server/gate/visits.py) and what the register lists it by. `summary` is
    the server.gate.wire.VisitOut sent to gate devices."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    local_date = Date(index=True)
    """The site's date of the check-in (of the first fact while no check-in is known)."""
    state = Varchar(length=16)
    consent = Varchar(length=16)
    id_key = Varchar(length=64, null=True, default=None)
    """HMAC-SHA256 of the document's kind and number: repeat visitors and the watchlist."""
    flags = JSON(default=[])
    first_received_at = Timestamptz()
    judged_at = Timestamptz()
    summary = JSON(default={})
    version = Integer(default=0)
    purged_at = Timestamptz(null=True, default=None)
    """When the retention purge removed the visit's personal fields (the counts stay)."""


class GateSettingsRow(Table, tablename="gate_settings"):
    """A site's gate: what a check-in must give, how ID numbers are masked, how long the
    register keeps personal fields, and what check-out needs. A site without a row has
    the defaults (server/gate/settings.py)."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, unique=True)
    body = JSON(default={})
    """server.gate.settings.GateSettings, as the site's managers set it."""
    version = Integer(default=1)
    updated_by: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=True)
    updated_at = Timestamptz()


class WatchEntryRow(Table, tablename="watch_entry"):
    """A person the gate must not let in without a manager's decision, known to gate
    devices by the keyed hash of their document only. The name and the reason are for
    managers; the masked number lets them tell two entries apart."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    id_key = Varchar(length=64, index=True)
    id_type = Varchar(length=32)
    id_masked = Varchar(length=40)
    name = Varchar(length=100, default="")
    reason = Varchar(length=500, default="")
    added_by: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    added_at = Timestamptz()
    removed_by: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=True)
    removed_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)


class PassFactRow(Table, tablename="pass_fact"):
    """A fact of an early-leave pass (created, confirmed, cancelled, exited), stored once."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    pass_id = UUID(index=True)
    type = Varchar(length=32)
    person: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=True)
    """Who recorded it; null for a parent's confirmation through a one-time link."""
    device_id = UUID(null=True, default=None)
    occurred_at = Timestamptz()
    received_at = Timestamptz()
    body = JSON()
    content_sha256 = Varchar(length=64)


class LeavePassRow(Table, tablename="leave_pass"):
    """A pass some fact names, with what its facts say (server/gate/passes.py)."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    local_date = Date(index=True)
    state = Varchar(length=24)
    flags = JSON(default=[])
    first_received_at = Timestamptz()
    judged_at = Timestamptz()
    summary = JSON(default={})
    version = Integer(default=0)
    purged_at = Timestamptz(null=True, default=None)


class ParentLinkRow(Table, tablename="parent_link"):
    """A one-time link a parent opens to confirm a pass: only the SHA-256 of its token is
    kept, and it is spent by its first confirmation."""

    id = UUID(primary_key=True)
    pass_id = UUID(index=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False)
    token_sha256 = Varchar(length=64, unique=True)
    created_by: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class PickupCardRow(Table, tablename="pickup_card"):
    """A child's pick-up card (接送卡): reference data the school keeps, not facts. The
    collectors (server.gate.pickup_cards.Collector) are kept whole in `collectors`."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    child = Varchar(length=100)
    class_name = Varchar(length=50, default="")
    valid_from = Timestamptz()
    valid_until = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    collectors = JSON(default=[])
    version = Integer(default=1)
    updated_by: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    updated_at = Timestamptz()


class CardCheckRow(Table, tablename="card_check"):
    """The gate's check of a pick-up card at collection (op `card.checked`): who stood
    there, and whether the card let them take the child."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    card: ForeignKey[Table] = ForeignKey(PickupCardRow, on_delete=OnDelete.restrict, null=False)
    collector_key = Varchar(length=64)
    allowed = Boolean()
    faults = JSON(default=[])
    person: ForeignKey[Table] = ForeignKey(USER, on_delete=OnDelete.restrict, null=False)
    device_id = UUID(null=True, default=None)
    occurred_at = Timestamptz()
    received_at = Timestamptz()
    content_sha256 = Varchar(length=64)
