"""The visitor register: the facts of each visit as the gate recorded them, and each
visit's state as its facts make it. No column holds a full ID number: a check-in keeps the
number's keyed hash and its masked form only (server/gate/documents.py)."""

from piccolo.columns import JSON, UUID, Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
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
