"""Every feed devices pull, in the order a new device receives them (R27); each domain
declares its feeds (`server.feeds.Feed`) with their audience and records its changes
through them.

The order within an audience is fixed: while a snapshot is paged, the device's cursor names
a feed by its place in its audience's list, so a new kind goes at the end. A device gets the
site and its people first, then what applies where, then the things themselves, then what
was found wrong with them.
"""

from __future__ import annotations

from server.accounts.sites import SITE_FEED
from server.accounts.users import PERSON_FEED
from server.actions.actions import ACTION_EVENT_FEED, ACTION_FEED
from server.feeds import Audience, Feed
from server.gate.cards import PICKUP_CARD_FEED
from server.gate.known_visitors import KNOWN_VISITOR_FEED
from server.gate.pass_register import LEAVE_PASS_FEED
from server.gate.register import VISIT_FEED
from server.gate.settings import GATE_SETTINGS_FEED
from server.gate.watchlist import WATCH_KEY_FEED
from server.inspections.findings import FINDING_FEED
from server.inspections.inspection_feed import INSPECTION_FEED
from server.patrols.patrol_routes import ROUTE_FEED
from server.patrols.round_schedules import SCHEDULE_FEED as PATROL_SCHEDULE_FEED
from server.patrols.rounds import ROUND_FEED
from server.registry.assets import ASSET_FEED
from server.registry.locations import LOCATION_FEED
from server.registry.tags import TAG_FEED
from server.schedules.approval import POLICY_FEED
from server.schedules.calendars import CALENDAR_FEED
from server.schedules.excusals import EXCUSAL_FEED
from server.schedules.schedules import SCHEDULE_FEED
from server.templates.site_checklists import SITE_CHECKLIST_FEED
from server.templates.templates import TEMPLATE_FEED

FEEDS: tuple[Feed, ...] = (
    SITE_FEED,
    PERSON_FEED,
    TEMPLATE_FEED,
    SITE_CHECKLIST_FEED,
    LOCATION_FEED,
    ASSET_FEED,
    TAG_FEED,
    FINDING_FEED,
    ACTION_FEED,
    CALENDAR_FEED,
    SCHEDULE_FEED,
    EXCUSAL_FEED,
    INSPECTION_FEED,
    ACTION_EVENT_FEED,
    POLICY_FEED,
    ROUTE_FEED,
    PATROL_SCHEDULE_FEED,
    ROUND_FEED,
    VISIT_FEED,
    GATE_SETTINGS_FEED,
    WATCH_KEY_FEED,
    KNOWN_VISITOR_FEED,
    LEAVE_PASS_FEED,
    PICKUP_CARD_FEED,
)


def feeds_of(feeds: tuple[Feed, ...] = FEEDS) -> dict[Audience, tuple[Feed, ...]]:
    """Each audience's feeds, in order; an audience without any has no scope (R45)."""
    by_audience: dict[Audience, tuple[Feed, ...]] = {}
    for feed in feeds:
        by_audience[feed.audience] = (*by_audience.get(feed.audience, ()), feed)
    return by_audience
