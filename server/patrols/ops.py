"""The patrols domain's synced record kinds, for the sync engine's registry."""

from server.patrols.round_facts import (
    CANCELLED,
    COUNTERSIGNED,
    EXPLAINED,
    FINISHED,
    SCANNED,
    STARTED,
)

HANDLERS = (STARTED, SCANNED, FINISHED, COUNTERSIGNED, EXPLAINED, CANCELLED)
