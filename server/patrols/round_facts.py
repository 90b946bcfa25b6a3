"""The facts of a round, taken in through the fact kit (server/facts.py): a patroller's
`round.started`, `checkpoint.scanned` and `round.finished`, and a supervisor's
`round.countersigned`, `round.explained` and `round.cancelled`.

Each patroller's fact names its round, route and window, so whichever arrives first makes
the round known: a scan that syncs before its start is kept and judged once the start
arrives, and in the meantime is judged against the route's newest version. Flags never
refuse a fact; what is refused is what cannot be a round: a round id that is not its
window's, a route of another site, a route version that does not exist, facts of one round
naming two routes, and (R47) a time beyond the server's clock: a phone whose clock runs
days ahead would otherwise walk a round of a day still to come.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from server import clock
from server.accounts.access import EVERYONE, MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.errors import DomainError
from server.facts import FUTURE_TOLERANCE, Candidate, FactHandler, Plan
from server.patrols.patrol_routes import route_versions
from server.patrols.round_schedules import books_of
from server.patrols.rounds import rejudge, rounds_by_id, site_context
from server.patrols.tables import PatrolFact, PatrolRound, PatrolRoute
from server.patrols.windows import round_id_for
from server.patrols.wire import (
    CheckpointScan,
    RoundCancel,
    RoundCountersign,
    RoundExplain,
    RoundFactIn,
    RoundFinish,
    RoundStart,
)
from sync.bulk import insert_rows

PATROLLERS = EVERYONE - {"auditor"}
F = TypeVar(
    "F", RoundStart, CheckpointScan, RoundFinish, RoundCountersign, RoundExplain, RoundCancel
)

_COMMON = ("id", "round_id", "route_id", "schedule_id", "window")


class _RoundFacts(FactHandler[F], Generic[F]):
    """What every round fact shares: one table, the round found or made, a new judgement."""

    noun = "round record"
    id_code = "round.id_not_uuid7"
    conflict_code = "round.conflict"
    table = PatrolFact
    at: ClassVar[str]
    """The field holding the device's time of the fact."""
    allowed: ClassVar[frozenset[str]] = PATROLLERS

    async def admit(
        self, caller: Caller, candidates: list[Candidate[F]], *, now: datetime
    ) -> list[Plan[F] | DomainError]:
        context = await _Context.load(caller, [c.body for c in candidates])
        received = clock.utcnow()
        results: list[Plan[F] | DomainError] = []
        for candidate in candidates:
            body = candidate.body
            try:
                site, round_row = await context.place(caller, body, self.allowed)
                if getattr(body, self.at) > now + FUTURE_TOLERANCE:
                    # R47: a phone whose clock runs ahead would walk tomorrow's round today.
                    raise context.refusal(
                        "round.recorded_in_future",
                        f"{self.at} is in the future beyond the tolerated clock drift",
                        self.at,
                        site,
                    )
            except DomainError as exc:
                results.append(exc)
                continue
            fields = msgspec.to_builtins(body)
            for name in (*_COMMON, self.at):
                fields.pop(name, None)
            row = {
                "id": body.id,
                "site": site,
                "round_id": body.round_id,
                "type": self.type,
                "person": caller.user_id,
                "device_id": caller.device_id,
                "tag": getattr(body, "tag", None),
                "occurred_at": getattr(body, self.at),
                "received_at": received,
                "body": msgspec.json.encode(fields).decode(),
                "content_sha256": candidate.digest,
            }
            results.append(candidate.accept(site, row, extra=round_row))
        return results

    async def store(self, caller: Caller, plans: list[Plan[F]]) -> None:
        await insert_rows(PatrolFact, [p.row for p in plans])
        new_rounds: dict[uuid.UUID, dict[str, Any]] = {}
        for plan in plans:
            made = plan.extra
            if made is not None and made.get("new"):
                new_rounds.setdefault(made["id"], made)
        if new_rounds:
            known = {r["id"] for r in await rounds_by_id(new_rounds)}
            rows = [
                {k: v for k, v in r.items() if k != "new"}
                for id, r in new_rounds.items()
                if id not in known
            ]
            await insert_rows(PatrolRound, rows)
        await rejudge({p.body.round_id for p in plans})


class RoundStarted(_RoundFacts[RoundStart]):
    type = "round.started"
    body = RoundStart
    at = "started_at"
    utc_fields = ("started_at",)


class CheckpointScanned(_RoundFacts[CheckpointScan]):
    type = "checkpoint.scanned"
    body = CheckpointScan
    at = "scanned_at"
    utc_fields = ("scanned_at",)


class RoundFinished(_RoundFacts[RoundFinish]):
    type = "round.finished"
    body = RoundFinish
    at = "finished_at"
    utc_fields = ("finished_at",)


class RoundCountersigned(_RoundFacts[RoundCountersign]):
    type = "round.countersigned"
    body = RoundCountersign
    at = "countersigned_at"
    utc_fields = ("countersigned_at",)
    allowed = MANAGERS


class RoundExplained(_RoundFacts[RoundExplain]):
    type = "round.explained"
    body = RoundExplain
    at = "explained_at"
    utc_fields = ("explained_at",)
    allowed = MANAGERS


class RoundCancelled(_RoundFacts[RoundCancel]):
    type = "round.cancelled"
    body = RoundCancel
    at = "cancelled_at"
    utc_fields = ("cancelled_at",)
    allowed = MANAGERS


STARTED = RoundStarted()
SCANNED = CheckpointScanned()
FINISHED = RoundFinished()
COUNTERSIGNED = RoundCountersigned()
EXPLAINED = RoundExplained()
CANCELLED = RoundCancelled()


class _Context:
    """What a batch of round facts is checked against, read in bulk: the rounds they name,
    the routes and schedules, and the sites' zones. Rounds first named in this batch are
    kept here, so the batch's later facts find them."""

    def __init__(self) -> None:
        self.rounds: dict[uuid.UUID, dict[str, Any]] = {}
        self.routes: dict[uuid.UUID, tuple[uuid.UUID, set[int]]] = {}
        self.schedules: dict[uuid.UUID, Any] = {}
        self.books: dict[uuid.UUID, Any] = {}
        self.zones: dict[uuid.UUID, str] = {}

    @classmethod
    async def load(cls, caller: Caller, bodies: list[Any]) -> _Context:
        self = cls()
        self.rounds = {r["id"]: r for r in await rounds_by_id(b.round_id for b in bodies)}
        schedule_ids = {b.schedule_id for b in bodies if getattr(b, "schedule_id", None)}
        schedule_ids |= {r["schedule"] for r in self.rounds.values() if r["schedule"]}
        self.books = await books_of(ids=schedule_ids)
        self.schedules = {id: book.out for id, book in self.books.items()}
        route_ids = {b.route_id for b in bodies if isinstance(b, RoundFactIn)}
        route_ids |= {r["route"] for r in self.rounds.values() if r["route"]}
        route_ids |= {s.route_id for s in self.schedules.values()}
        if route_ids:
            versions = await route_versions({(r, None) for r in route_ids})
            newest = {uuid.UUID(v.route): v.version for v in versions.values()}
            rows = await PatrolRoute.select(PatrolRoute.id, PatrolRoute.site).where(
                PatrolRoute.id.is_in(sorted(route_ids))
            )
            self.routes = {
                r["id"]: (r["site"], set(range(1, newest.get(r["id"], 0) + 1))) for r in rows
            }
        sites = {site for site, _ in self.routes.values()} | {
            r["site"] for r in self.rounds.values()
        }
        self.zones = await site_timezones(sites)
        return self

    async def place(
        self, caller: Caller, body: Any, allowed: frozenset[str]
    ) -> tuple[uuid.UUID, dict[str, Any] | None]:
        """The fact's site, and the round row to make if it is the round's first fact."""
        existing = self.rounds.get(body.round_id)
        if isinstance(body, RoundFactIn):
            return self._patroller(caller, body, existing, allowed)
        if existing is not None:
            caller.require(existing["site"], allowed, "round")
            return existing["site"], None
        # A supervisor explains or cancels a window nobody walked: it names the window.
        schedule = self.schedules.get(body.schedule_id) if body.schedule_id else None
        if schedule is None or schedule.site_id not in caller.roles or body.window is None:
            raise DomainError("not_found", "round not found", field="round_id")
        caller.require(schedule.site_id, allowed, "round")
        self._check_id(body.round_id, schedule.id, body.window, schedule.site_id)
        context = await site_context(schedule.site_id)
        book = self.books[schedule.id]
        if book.window_named(context.calendar, body.window, context.tz) is None:
            raise self.refusal(
                "round.unknown_window",
                "the schedule has no round in this window",
                "window",
                schedule.site_id,
            )
        row = self._new_round(body.round_id, schedule.site_id, schedule.route_id, schedule.id)
        row["window"] = body.window
        row["local_date"] = _window_date(body.window)
        return schedule.site_id, row

    def _patroller(
        self,
        caller: Caller,
        body: RoundFactIn,
        existing: dict[str, Any] | None,
        allowed: frozenset[str],
    ) -> tuple[uuid.UUID, dict[str, Any] | None]:
        route = self.routes.get(body.route_id)
        if route is None or route[0] not in caller.roles:
            raise DomainError("not_found", "route not found", field="route_id")
        site = route[0]
        caller.require(site, allowed, "route")
        if existing is not None and existing["route"] != body.route_id:
            raise self.refusal(
                "round.route_mismatch",
                "another fact of this round names another route",
                "route_id",
                site,
            )
        if (body.schedule_id is None) != (body.window is None):
            raise self.refusal(
                "round.schedule_mismatch",
                "a scheduled round names its schedule and window, a voluntary one neither",
                "schedule_id",
                site,
            )
        if body.schedule_id is not None:
            schedule = self.schedules.get(body.schedule_id)
            if schedule is None or schedule.site_id != site:
                raise self.refusal(
                    "round.schedule_mismatch", "no such schedule at this site", "schedule_id", site
                )
            assert body.window is not None
            self._check_id(body.round_id, schedule.id, body.window, site)
        elif body.round_id.version != 7:
            raise self.refusal(
                "round.id_mismatch", "a voluntary round's id is a UUIDv7", "round_id", site
            )
        if isinstance(body, RoundStart) and body.route_version not in route[1]:
            raise self.refusal(
                "round.unknown_route_version",
                f"the route has no version {body.route_version}",
                "route_version",
                site,
            )
        if existing is not None:
            return site, None
        row = self._new_round(body.round_id, site, body.route_id, body.schedule_id)
        row["window"] = body.window
        if body.window is not None:
            row["local_date"] = _window_date(body.window)
        else:
            at = _fact_time(body)
            row["local_date"] = at.astimezone(ZoneInfo(self.zones[site])).date()
        if isinstance(body, RoundStart):
            row["person"] = caller.user_id
            row["started_at"] = body.started_at
        self.rounds[body.round_id] = row
        return site, row

    def _check_id(
        self, round_id: uuid.UUID, schedule_id: uuid.UUID, window: str, site: uuid.UUID
    ) -> None:
        if round_id != round_id_for(str(schedule_id), window):
            raise self.refusal(
                "round.id_mismatch",
                "a scheduled round's id is round_id_for(schedule_id, window)",
                "round_id",
                site,
            )

    @staticmethod
    def refusal(code: str, detail: str, field: str, site: uuid.UUID) -> DomainError:
        error = DomainError(code, detail, field=field)
        error.site_id = site
        return error

    @staticmethod
    def _new_round(
        round_id: uuid.UUID, site: uuid.UUID, route: uuid.UUID, schedule: uuid.UUID | None
    ) -> dict[str, Any]:
        now = clock.utcnow()
        return {
            "new": True,
            "id": round_id,
            "site": site,
            "route": route,
            "route_version": None,
            "schedule": schedule,
            "window": None,
            "local_date": None,
            "person": None,
            "state": "in_progress",
            "covered": 0,
            "expected": 0,
            "flags": "[]",
            "serious": False,
            "started_at": None,
            "finished_at": None,
            "first_received_at": now,
            "judged_at": now,
            "summary": "{}",
            "version": 0,
        }


def _window_date(window: str) -> date:
    return date.fromisoformat(window[:10])


def _fact_time(body: Any) -> datetime:
    for name in ("started_at", "scanned_at", "finished_at"):
        if hasattr(body, name):
            return getattr(body, name)
    raise AssertionError("every patroller's fact has a time")
