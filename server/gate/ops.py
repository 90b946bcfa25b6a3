"""The gate's synced record kinds, for the sync engine's registry."""

from server.gate.cards import CARD_CHECKED
from server.gate.pass_facts import CANCELLED, CONFIRMED, CREATED, EXITED
from server.gate.visit_facts import (
    APPROVED,
    CHECKED_IN,
    CHECKED_OUT,
    REFUSED,
    SIGNED,
    WATCH_DECIDED,
)

HANDLERS = (
    CHECKED_IN,
    APPROVED,
    REFUSED,
    CHECKED_OUT,
    WATCH_DECIDED,
    SIGNED,
    CREATED,
    CONFIRMED,
    CANCELLED,
    EXITED,
    CARD_CHECKED,
)
