"""Webhooks, the deliveries made for them, every attempt, and how far each event source
has looked.

A delivery is unique per (webhook, event key): two dispatchers that find the same event
at the same moment insert it once (the unique index is in the constraints migration).
"""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.references import SITE, USER


class Webhook(Table, tablename="webhook"):
    """Where one site's events are sent, in which format."""

    id = UUID(primary_key=True)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    url = Varchar(length=2000)
    format = Varchar(length=12)
    """generic, wecom, dingtalk or feishu."""
    events = JSON(default=[])
    secret = Varchar(length=200, default="")
    """Signs generic payloads (HMAC-SHA256) and DingTalk/Feishu robot messages; never
    returned by the API (`has_secret` says whether there is one).

    Kept in plain text, deliberately. Signing needs the secret itself, so it cannot be
    hashed; encrypting it needs an authenticated cipher, which the standard library does
    not have (a home-made one would only look safe), and a key the dispatcher holds
    anyway. And it would protect little: whoever reads this table reads `url` beside it,
    which is a credential itself (a WeCom robot's `key=`, a DingTalk robot's
    `access_token=`, a Feishu bot's token in the path) and must be usable as it is, and
    the rest of the database holds more than any webhook carries. The database, its
    backups included, is kept like the secret key."""
    active = Boolean(default=True)
    created_by: ForeignKey[Table] = ForeignKey(
        USER, on_delete=OnDelete.restrict, null=True, default=None
    )
    created_at = Timestamptz()
    """Events that happened before this are not sent to the webhook."""
    updated_at = Timestamptz()


class Delivery(Table, tablename="webhook_delivery"):
    """One event for one webhook, sent until it is delivered or given up."""

    id = UUID(primary_key=True)
    """Sent as X-Roundkeeper-Delivery (and in generic bodies): receivers de-duplicate by
    it, since a delivery can arrive more than once."""
    # Deliveries belong to their webhook: deleting it in the database's own cascade is safe
    # even while a dispatcher is recording an attempt.
    webhook = ForeignKey(Webhook, on_delete=OnDelete.cascade, null=False)
    site: ForeignKey[Table] = ForeignKey(SITE, on_delete=OnDelete.restrict, null=False, index=True)
    event = Varchar(length=32)
    event_key = Varchar(length=200)
    occurred_at = Timestamptz()
    payload = Text()
    """The event as found (msgspec JSON): every attempt sends the same content."""
    status = Varchar(length=12, default="pending")
    """pending, delivered or failed."""
    attempts = Integer(default=0)
    tries = Integer(default=0)
    """Attempts since it was last queued: a manual retry starts a new series."""
    next_attempt_at = Timestamptz()
    """For a pending delivery: when it is due; while one dispatcher is sending it, when
    its claim lapses and another may take it over."""
    claim = UUID(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Text(default="")
    delivered_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class DeliveryAttempt(Table, tablename="webhook_attempt"):
    id = UUID(primary_key=True)
    delivery = ForeignKey(Delivery, on_delete=OnDelete.cascade, null=False, index=True)
    number = Integer()
    at = Timestamptz()
    status_code = Integer(null=True, default=None)
    error = Text(default="")
    duration_ms = Float()
    response = Text(default="")
    """The start of a text answer, printable, at most 200 characters
    (`formats.response_excerpt`), for whoever investigates a failure."""


class NotificationCursor(Table, tablename="notification_cursor"):
    """Up to when an event source has been scanned (it looks again a little before that)."""

    id = UUID(primary_key=True)
    source = Varchar(length=64)
    scanned_to = Timestamptz()
