"""The schedules domain's synced record kinds, for the sync engine's registry."""

from server.schedules.excusals import EXCUSED

HANDLERS = (EXCUSED,)
