"""The schedules domain's synced record kinds, for the sync engine's registry."""

from server.schedules.decisions import DECIDED
from server.schedules.excusals import EXCUSED

HANDLERS = (EXCUSED, DECIDED)
