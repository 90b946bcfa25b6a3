"""The actions domain's synced record kinds, for the sync engine's registry."""

from server.actions.actions import STEPPED
from server.actions.hazards import REPORTED

HANDLERS = (REPORTED, STEPPED)
