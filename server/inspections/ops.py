"""The inspections domain's synced record kinds, for the sync engine's registry."""

from server.inspections.inspections import SUBMITTED

HANDLERS = (SUBMITTED,)
