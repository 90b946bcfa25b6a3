"""The gate's settings and watchlist (managers; every member reads the settings), a
manager's decision on a watchlist match, the host's signature, and the host's own list of
visitors waiting for them."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import Body, Parameter, QueryParameter

from server.deps import CurrentCaller
from server.gate import register, settings, visit_facts, watchlist
from server.gate.settings import GateSettingsIn, GateSettingsOut
from server.gate.visits import State
from server.gate.watchlist import WatchEntryIn, WatchEntryOut
from server.gate.wire import SignatureIn, VisitOut, WatchDecisionIn

Id = Annotated[uuid.UUID, Parameter()]


class GateSettingsController(Controller):
    path = "/api/sites/{site_id:uuid}/gate"
    tags = ["gate"]

    @get("/settings")
    async def get_settings(self, caller: CurrentCaller, site_id: Id) -> GateSettingsOut:
        """The site's gate settings (the defaults, version 0, until a manager sets them)."""
        return await settings.get_settings(caller, site_id)

    @put("/settings")
    async def set_settings(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[GateSettingsIn, Body()]
    ) -> GateSettingsOut:
        """Replace the settings (managers); 409 `gate_settings.version_conflict` when
        `version` is not the stored one."""
        return await settings.set_settings(caller, site_id, data)

    @get("/watchlist")
    async def list_watch_entries(self, caller: CurrentCaller, site_id: Id) -> list[WatchEntryOut]:
        """The site's watchlist (managers), removed entries included; numbers masked."""
        return await watchlist.list_entries(caller, site_id)

    @post("/watchlist")
    async def add_watch_entry(
        self, caller: CurrentCaller, site_id: Id, data: Annotated[WatchEntryIn, Body()]
    ) -> WatchEntryOut:
        """Add a person (managers); the number is checked as at a check-in and kept only
        hashed and masked. The same entry sent twice is added once."""
        return await watchlist.add_entry(caller, site_id, data)


class WatchEntryController(Controller):
    path = "/api/gate/watchlist/{entry_id:uuid}"
    tags = ["gate"]

    @post("/remove", status_code=200)
    async def remove_watch_entry(self, caller: CurrentCaller, entry_id: Id) -> WatchEntryOut:
        """The entry stops matching (managers); it stays listed, with who removed it."""
        return await watchlist.remove_entry(caller, entry_id)


class VisitWatchController(Controller):
    path = "/api/visits/{visit_id:uuid}"
    tags = ["gate"]

    @post("/watch-decisions", status_code=200)
    async def decide_watch(
        self, caller: CurrentCaller, visit_id: Id, data: Annotated[WatchDecisionIn, Body()]
    ) -> VisitOut:
        """A manager admits or denies a visitor the watchlist matched; 403
        `visit.not_a_manager` for a caller (in the app) or a named `by_id` (by phone) who
        is not a manager."""
        return await visit_facts.decide_watch(caller, visit_id, data)

    @post("/signatures", status_code=200)
    async def sign_visit(
        self, caller: CurrentCaller, visit_id: Id, data: Annotated[SignatureIn, Body()]
    ) -> VisitOut:
        """The host's drawn signature (the host or a manager)."""
        return await visit_facts.sign_visit(caller, visit_id, data)


class MyVisitsController(Controller):
    path = "/api/me/visits"
    tags = ["gate"]

    @get("/")
    async def my_visits(
        self,
        caller: CurrentCaller,
        visit_state: Annotated[State | None, QueryParameter(name="state")] = "pending",
    ) -> list[VisitOut]:
        """The visits naming the caller as host, at all their sites: `pending` (the
        default) is who waits at a gate for them."""
        return await register.my_visits(caller, visit_state)


CONTROLLERS = (
    GateSettingsController,
    WatchEntryController,
    VisitWatchController,
    MyVisitsController,
)
