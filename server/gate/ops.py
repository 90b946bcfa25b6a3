"""The gate's synced record kinds, for the sync engine's registry."""

from server.gate.visit_facts import APPROVED, CHECKED_IN, CHECKED_OUT, REFUSED

HANDLERS = (CHECKED_IN, APPROVED, REFUSED, CHECKED_OUT)
