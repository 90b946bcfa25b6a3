"""The facts of a visit, taken in through the fact kit (server/facts.py): the gate's
`visit.checked_in` and `visit.checked_out`, and the host's consent, `visit.approved` or
`visit.refused` (in the app by the host or a manager; by phone recorded by the gatekeeper,
naming who said yes).

Each fact names its visit and site, so whichever arrives first makes the visit known: a
check-out that syncs before its check-in is kept, and the visit is judged again when the
check-in arrives (server/gate/visits.py). Flags never refuse a fact; what is refused is what
cannot be a register entry: a document number that fails its check, a phone or plate of no
known form, a host who is not at the site, a decision by someone who may not make it, a
time beyond the server's clock (R47).

The ID number is checked, then kept only as its keyed hash (HMAC-SHA256 with the site's
lookup key, server/gate/keys.py) and its masked form (as the site's settings mask it). The
content digest that tells a duplicate from a conflict is taken over the body with the
number replaced by its keyed hash: a plain digest of a body whose other fields are stored
would give the number back to anyone trying the ~36,500 birth dates its 6+4 mask hides.

What the site's settings ask is noted on the fact as the server receives it, never
refused (server/gate/settings.py): the required fields a check-in left empty, whether
vehicles were allowed, the stay a check-in without one is expected to keep, whether a
check-out wanted the host's signature first. A check-in is matched against the site's
watchlist here too, whatever the gate device found (server/gate/watchlist.py).
"""

from __future__ import annotations

import abc
import uuid
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from server import clock
from server.accounts.access import MANAGERS, Caller
from server.accounts.sites import site_timezones
from server.db import json_bytes
from server.errors import DomainError, forbidden
from server.facts import FUTURE_TOLERANCE, Candidate, FactHandler, Plan
from server.gate.contacts import check_phone, check_plate
from server.gate.documents import (
    NO_DOCUMENT_REASON,
    check_document,
    id_key,
    mask_id,
)
from server.gate.faults import Fault
from server.gate.keys import id_secret, site_key, use_secret_key
from server.gate.register import READERS, rejudge, site_members, visit_out, visit_site, visits_by_id
from server.gate.settings import GateSettings, missing_fields, settings_of
from server.gate.tables import VisitFactRow, VisitRow, WatchEntryRow
from server.gate.wire import (
    CheckInIn,
    CheckOutIn,
    DecisionIn,
    SignatureIn,
    VisitApprove,
    VisitCheckIn,
    VisitCheckOut,
    VisitOut,
    VisitRefuse,
    VisitSign,
    VisitWatchDecide,
    WatchDecisionIn,
)
from sync.bulk import insert_rows

__all__ = ["id_secret", "use_secret_key"]

F = TypeVar(
    "F", VisitCheckIn, VisitApprove, VisitRefuse, VisitCheckOut, VisitWatchDecide, VisitSign
)


def _number_key(body: VisitCheckIn) -> str | None:
    """The keyed hash of the number as typed (normalised, not yet checked), or None."""
    if body.id_type == "none" or not body.id_number.strip():
        return None
    return id_key(body.id_type, body.id_number, site_key(body.site_id))


class _Context:
    """What a batch of visit facts is checked against, read in bulk: the visits' sites,
    their hosts (from the check-ins stored), the sites' people and zones."""

    def __init__(self) -> None:
        self.sites: dict[uuid.UUID, uuid.UUID] = {}
        self.hosts: dict[uuid.UUID, uuid.UUID] = {}
        self.members: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
        self.zones: dict[uuid.UUID, str] = {}
        self.settings: dict[uuid.UUID, GateSettings] = {}
        self.watch: dict[tuple[uuid.UUID, str], list[datetime | None]] = {}
        """(site, id_key) -> when each entry listing it was removed (None: active)."""

    @classmethod
    async def load(cls, caller: Caller, bodies: list[Any]) -> _Context:
        self = cls()
        ids = {b.visit_id for b in bodies}
        self.sites = {r["id"]: r["site"] for r in await visits_by_id(ids)}
        check_ins = await VisitFactRow.select(
            VisitFactRow.visit_id, VisitFactRow.id, VisitFactRow.occurred_at, VisitFactRow.body
        ).where(
            VisitFactRow.visit_id.is_in(sorted(ids)) & (VisitFactRow.type == "visit.checked_in")
        )
        for row in sorted(check_ins, key=lambda r: (r["occurred_at"], str(r["id"]))):
            fields = msgspec.json.decode(json_bytes(row["body"]))
            self.hosts.setdefault(row["visit_id"], uuid.UUID(fields["host_id"]))
        sites = ({b.site_id for b in bodies} | set(self.sites.values())) & set(caller.roles)
        self.members = await site_members(sites)
        self.zones = await site_timezones(sites)
        self.settings = {site: found for site, (found, _) in (await settings_of(sites)).items()}
        keys = set()
        for body in bodies:
            if isinstance(body, VisitCheckIn) and body.site_id in sites:
                try:
                    key = _number_key(body)
                except ValueError:
                    continue
                if key is not None:
                    keys.add(key)
        if keys:
            rows = await WatchEntryRow.select(
                WatchEntryRow.site, WatchEntryRow.id_key, WatchEntryRow.removed_at
            ).where(
                WatchEntryRow.site.is_in(sorted(sites)) & WatchEntryRow.id_key.is_in(sorted(keys))
            )
            for row in rows:
                self.watch.setdefault((row["site"], row["id_key"]), []).append(row["removed_at"])
        return self

    def listed(self, site: uuid.UUID, key: str, at: datetime) -> bool:
        """An entry of the site lists the key as of `at` (one removed before does not)."""
        return any(gone is None or gone > at for gone in self.watch.get((site, key), ()))

    def place(self, caller: Caller, body: Any) -> uuid.UUID:
        site: uuid.UUID = body.site_id
        if site not in caller.roles:
            raise DomainError("not_found", "site not found", field="site_id")
        known = self.sites.get(body.visit_id)
        if known is not None and known != site:
            if known not in caller.roles:
                raise DomainError("not_found", "visit not found", field="visit_id")
            raise refusal("visit.site_mismatch", "this visit is at another site", "site_id", site)
        return site


def refusal(
    code: str, detail: str, field: str, site: uuid.UUID, errors: list[dict[str, Any]] | None = None
) -> DomainError:
    error = DomainError(code, detail, field=field, errors=errors)
    error.site_id = site
    return error


class _VisitFacts(FactHandler[F], Generic[F]):
    """What every visit fact shares: one table, the visit found or made, a new judgement."""

    noun = "visit record"
    id_code = "visit.id_not_uuid7"
    conflict_code = "visit.conflict"
    table = VisitFactRow
    at: ClassVar[str]

    async def admit(
        self, caller: Caller, candidates: list[Candidate[F]], *, now: datetime
    ) -> list[Plan[F] | DomainError]:
        context = await _Context.load(caller, [c.body for c in candidates])
        received = clock.utcnow()
        results: list[Plan[F] | DomainError] = []
        for candidate in candidates:
            body = candidate.body
            try:
                site = context.place(caller, body)
                fields = self.check(caller, body, site, context, now)
                if getattr(body, self.at) > now + FUTURE_TOLERANCE:
                    raise refusal(
                        "visit.recorded_in_future",
                        f"{self.at} is in the future beyond the tolerated clock drift",
                        self.at,
                        site,
                    )
            except DomainError as exc:
                if exc.site_id is None and body.site_id in caller.roles:
                    exc.site_id = body.site_id
                results.append(exc)
                continue
            context.sites.setdefault(body.visit_id, site)
            row = {
                "id": body.id,
                "site": site,
                "visit_id": body.visit_id,
                "type": self.type,
                "person": caller.user_id,
                "device_id": caller.device_id,
                "occurred_at": getattr(body, self.at),
                "received_at": received,
                "body": msgspec.json.encode(fields).decode(),
                "content_sha256": candidate.digest,
            }
            results.append(candidate.accept(site, row))
        return results

    @abc.abstractmethod
    def check(
        self, caller: Caller, body: F, site: uuid.UUID, context: _Context, now: datetime
    ) -> dict[str, Any]:
        """Authorise and validate one fact: what its stored body keeps."""

    async def store(self, caller: Caller, plans: list[Plan[F]]) -> None:
        await insert_rows(VisitFactRow, [p.row for p in plans])
        named: dict[uuid.UUID, Plan[F]] = {}
        for plan in plans:
            named.setdefault(plan.body.visit_id, plan)
        known = {r["id"] for r in await visits_by_id(named)}
        now = clock.utcnow()
        await insert_rows(
            VisitRow,
            [
                {
                    "id": visit_id,
                    "site": plan.site_id,
                    "local_date": plan.row["occurred_at"].date(),
                    "state": "pending",
                    "consent": "pending",
                    "id_key": None,
                    "flags": "[]",
                    "first_received_at": now,
                    "judged_at": now,
                    "summary": "{}",
                    "version": 0,
                }
                for visit_id, plan in named.items()
                if visit_id not in known
            ],
        )
        await rejudge(set(named))

    def answer(self, plan: Plan[F]) -> Any:
        return {"id": str(plan.body.id), "visit_id": str(plan.body.visit_id)}


class VisitCheckedIn(_VisitFacts[VisitCheckIn]):
    type = "visit.checked_in"
    body = VisitCheckIn
    at = "checked_in_at"
    utc_fields = ("checked_in_at",)

    def digest(self, body: VisitCheckIn) -> str:
        return super().digest(msgspec.structs.replace(body, id_number=_number_key(body) or ""))

    def check(
        self,
        caller: Caller,
        body: VisitCheckIn,
        site: uuid.UUID,
        context: _Context,
        now: datetime,
    ) -> dict[str, Any]:
        caller.require(site, READERS, "site")
        today = now.astimezone(ZoneInfo(context.zones[site])).date()
        faults: list[tuple[str, Fault]] = []
        document = check_document(
            body.id_type, body.id_number, today=today, reason=body.no_document_reason
        )
        for fault in document.faults:
            where = "no_document_reason" if fault.code == NO_DOCUMENT_REASON else "id_number"
            faults.append((where, fault))
        phone = plate = None
        if body.phone is not None and body.phone.strip():
            checked = check_phone(body.phone)
            phone = checked.value
            faults += [("phone", fault) for fault in checked.faults]
        if body.plate is not None and body.plate.strip():
            checked = check_plate(body.plate)
            plate = checked.value
            faults += [("plate", fault) for fault in checked.faults]
        if faults:
            where, first = faults[0]
            raise refusal(
                first.code,
                first.reason,
                where,
                site,
                errors=[{"code": f.code, "detail": f.reason, "field": w} for w, f in faults]
                if len(faults) > 1
                else None,
            )
        if body.host_id not in context.members.get(site, {}):
            raise refusal(
                "visit.host_not_member", "the host is not one of the site's people", "host_id", site
            )
        number = document.value
        context.hosts.setdefault(body.visit_id, body.host_id)
        settings = context.settings[site]
        key = id_key(body.id_type, number, site_key(site)) if number else None
        fields: dict[str, Any] = {
            "name": body.name,
            "id_type": body.id_type,
            "id_key": key,
            "id_masked": mask_id(number, settings.mask_keep) if number else None,
            "no_document_reason": body.no_document_reason if body.id_type == "none" else "",
            "phone": phone,
            "organisation": body.organisation,
            "host_id": str(body.host_id),
            "purpose": body.purpose,
            "party_size": body.party_size,
            "plate": plate,
            "badge": body.badge,
            "expected_stay_minutes": body.expected_stay_minutes,
            "watch_match": body.watch_match,
            "watch_listed": key is not None and context.listed(site, key, body.checked_in_at),
            "vehicles_allowed": settings.vehicles_allowed,
            "stay_default_minutes": settings.overstay_minutes,
        }
        fields["missing_fields"] = missing_fields(fields, settings)
        return fields


class _Decided(_VisitFacts[F], Generic[F]):
    def check(
        self, caller: Caller, body: F, site: uuid.UUID, context: _Context, now: datetime
    ) -> dict[str, Any]:
        assert isinstance(body, VisitApprove | VisitRefuse)
        role = caller.roles[site]
        members = context.members.get(site, {})
        managers = {user for user, r in members.items() if r in MANAGERS}
        host = context.hosts.get(body.visit_id)
        if body.channel == "app":
            if body.by_id is not None and body.by_id != caller.user_id:
                raise refusal(
                    "visit.not_host",
                    "in the app a decision is the caller's own: record another's by phone",
                    "by_id",
                    site,
                )
            if role not in MANAGERS and host is not None and caller.user_id != host:
                raise forbidden("only the visit's host or a manager decides")
            by = caller.user_id
        else:
            caller.require(site, READERS, "site")
            allowed = managers | ({host} if host is not None else set(members))
            if body.by_id is None or body.by_id not in allowed:
                raise refusal(
                    "visit.not_host",
                    "name who gave consent by phone: the visit's host or a manager",
                    "by_id",
                    site,
                )
            by = body.by_id
        fields: dict[str, Any] = {"by_id": str(by), "channel": body.channel}
        if isinstance(body, VisitRefuse):
            fields["reason"] = body.reason
        return fields


class VisitApproved(_Decided[VisitApprove]):
    type = "visit.approved"
    body = VisitApprove
    at = "approved_at"
    utc_fields = ("approved_at",)


class VisitRefused(_Decided[VisitRefuse]):
    type = "visit.refused"
    body = VisitRefuse
    at = "refused_at"
    utc_fields = ("refused_at",)


class VisitCheckedOut(_VisitFacts[VisitCheckOut]):
    type = "visit.checked_out"
    body = VisitCheckOut
    at = "checked_out_at"
    utc_fields = ("checked_out_at",)

    def check(
        self,
        caller: Caller,
        body: VisitCheckOut,
        site: uuid.UUID,
        context: _Context,
        now: datetime,
    ) -> dict[str, Any]:
        caller.require(site, READERS, "site")
        return {
            "method": body.method,
            "sign_required": context.settings[site].sign_before_checkout,
        }


class VisitWatchDecided(_VisitFacts[VisitWatchDecide]):
    """A manager's word on a watchlist match: in the app, the caller's own (a manager);
    by phone, recorded by gate staff and naming the manager who said it."""

    type = "visit.watch_decided"
    body = VisitWatchDecide
    at = "decided_at"
    utc_fields = ("decided_at",)

    def check(
        self,
        caller: Caller,
        body: VisitWatchDecide,
        site: uuid.UUID,
        context: _Context,
        now: datetime,
    ) -> dict[str, Any]:
        members = context.members.get(site, {})
        if caller.roles[site] == "auditor":
            raise forbidden("an auditor reads the register and records nothing")
        if body.channel == "app":
            if caller.roles[site] not in MANAGERS:
                raise refusal(
                    "visit.not_a_manager",
                    "only a manager decides on a watchlist match",
                    "channel",
                    site,
                )
            if body.by_id is not None and body.by_id != caller.user_id:
                raise refusal(
                    "visit.not_host",
                    "in the app a decision is the caller's own: record another's by phone",
                    "by_id",
                    site,
                )
            by = caller.user_id
        else:
            caller.require(site, READERS, "site")
            if body.by_id is None or members.get(body.by_id) not in MANAGERS:
                raise refusal(
                    "visit.not_a_manager",
                    "name the manager who decided by phone",
                    "by_id",
                    site,
                )
            by = body.by_id
        return {
            "by_id": str(by),
            "channel": body.channel,
            "decision": body.decision,
            "reason": body.reason,
        }


class VisitSigned(_VisitFacts[VisitSign]):
    """The host's signature, drawn on their phone or the gate's screen (by the host, or a
    manager for them). The strokes are kept for the slip."""

    type = "visit.signed"
    body = VisitSign
    at = "signed_at"
    utc_fields = ("signed_at",)

    def check(
        self,
        caller: Caller,
        body: VisitSign,
        site: uuid.UUID,
        context: _Context,
        now: datetime,
    ) -> dict[str, Any]:
        host = context.hosts.get(body.visit_id)
        if caller.roles[site] not in MANAGERS and caller.user_id != host:
            error = forbidden("only the visit's host or a manager signs")
            error.site_id = site
            raise error
        odd = next((i for i, stroke in enumerate(body.strokes) if len(stroke) % 2), None)
        if odd is not None:
            raise refusal(
                "request.invalid",
                "a stroke is a list of x, y pairs: an even count of numbers",
                f"strokes[{odd}]",
                site,
            )
        return {"strokes": body.strokes}


CHECKED_IN = VisitCheckedIn()
APPROVED = VisitApproved()
REFUSED = VisitRefused()
CHECKED_OUT = VisitCheckedOut()
WATCH_DECIDED = VisitWatchDecided()
SIGNED = VisitSigned()


async def check_in_visitor(caller: Caller, site_id: uuid.UUID, data: CheckInIn) -> VisitOut:
    body = VisitCheckIn(**msgspec.structs.asdict(data), site_id=site_id)
    await CHECKED_IN.accept(caller, body)
    return await visit_out(data.visit_id)


async def decide_visit(caller: Caller, visit_id: uuid.UUID, data: DecisionIn) -> VisitOut:
    site = await visit_site(caller, visit_id)
    if data.decision == "approved":
        approval = VisitApprove(
            id=data.id,
            visit_id=visit_id,
            site_id=site,
            channel=data.channel,
            by_id=data.by_id,
            approved_at=data.decided_at,
        )
        await APPROVED.accept(caller, approval)
    else:
        refusal_ = VisitRefuse(
            id=data.id,
            visit_id=visit_id,
            site_id=site,
            channel=data.channel,
            by_id=data.by_id,
            refused_at=data.decided_at,
            reason=data.reason,
        )
        await REFUSED.accept(caller, refusal_)
    return await visit_out(visit_id)


async def check_out_visitor(caller: Caller, visit_id: uuid.UUID, data: CheckOutIn) -> VisitOut:
    site = await visit_site(caller, visit_id)
    body = VisitCheckOut(**msgspec.structs.asdict(data), visit_id=visit_id, site_id=site)
    await CHECKED_OUT.accept(caller, body)
    return await visit_out(visit_id)


async def decide_watch(caller: Caller, visit_id: uuid.UUID, data: WatchDecisionIn) -> VisitOut:
    site = await visit_site(caller, visit_id)
    body = VisitWatchDecide(**msgspec.structs.asdict(data), visit_id=visit_id, site_id=site)
    await WATCH_DECIDED.accept(caller, body)
    return await visit_out(visit_id)


async def sign_visit(caller: Caller, visit_id: uuid.UUID, data: SignatureIn) -> VisitOut:
    site = await visit_site(caller, visit_id)
    body = VisitSign(**msgspec.structs.asdict(data), visit_id=visit_id, site_id=site)
    await SIGNED.accept(caller, body)
    return await visit_out(visit_id)
