"""The facts of an early-leave pass, taken in through the fact kit (server/facts.py): the
teacher's `pass.created`, a parent's `pass.confirmed` (recorded by the teacher who phoned
them; a parent's own through a one-time link is server/gate/parent_links.py), the
teacher's `pass.cancelled` and the gate's `pass.exited`.

Each fact names its pass and site, so whichever arrives first makes the pass known: an
exit that syncs before the pass's creation is kept, and the pass is judged again when the
creation arrives (server/gate/passes.py). An exit is never refused for what the pass says
(it happened: it is flagged); what is refused is what cannot be a record: a window that
ends before it starts, a phone of no known form, a confirmation or cancellation by
someone other than the pass's teacher or a manager (403 `pass.not_creator`), an exit
recorded by someone who is not the gate, a time beyond the server's clock (R47).
"""

from __future__ import annotations

import abc
import hashlib
import uuid
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

from server import clock
from server.accounts.access import MANAGERS, Caller
from server.errors import DomainError
from server.facts import FUTURE_TOLERANCE, Candidate, FactHandler, Plan
from server.gate.contacts import check_phone
from server.gate.pass_register import (
    CREATORS,
    READERS,
    pass_out,
    pass_site,
    passes_by_id,
    rejudge,
)
from server.gate.pass_wire import (
    CancellationIn,
    ConfirmationIn,
    ExitIn,
    PassCancel,
    PassConfirm,
    PassCreate,
    PassExit,
    PassIn,
    PassOut,
)
from server.gate.tables import LeavePassRow, PassFactRow
from sync.bulk import insert_rows

F = TypeVar("F", PassCreate, PassConfirm, PassCancel, PassExit)

PHONE_FORMAT = "pass.phone_format"
NOT_CREATOR = "pass.not_creator"


class _Context:
    """What a batch of pass facts is checked against, read in bulk: the passes' sites and
    who made each (the first creation stored, or one earlier in the batch)."""

    def __init__(self) -> None:
        self.sites: dict[uuid.UUID, uuid.UUID] = {}
        self.creators: dict[uuid.UUID, uuid.UUID] = {}

    @classmethod
    async def load(cls, bodies: list[Any]) -> _Context:
        self = cls()
        ids = sorted({b.pass_id for b in bodies})
        self.sites = {r["id"]: r["site"] for r in await passes_by_id(ids)}
        created = await PassFactRow.select(
            PassFactRow.pass_id, PassFactRow.id, PassFactRow.occurred_at, PassFactRow.person
        ).where(PassFactRow.pass_id.is_in(ids) & (PassFactRow.type == "pass.created"))
        for row in sorted(created, key=lambda r: (r["occurred_at"], str(r["id"]))):
            if row["person"] is not None:
                self.creators.setdefault(row["pass_id"], row["person"])
        return self

    def place(self, caller: Caller, body: Any) -> uuid.UUID:
        site: uuid.UUID = body.site_id
        if site not in caller.roles:
            raise DomainError("not_found", "site not found", field="site_id")
        known = self.sites.get(body.pass_id)
        if known is not None and known != site:
            if known not in caller.roles:
                raise DomainError("not_found", "pass not found", field="pass_id")
            raise refusal("pass.site_mismatch", "this pass is at another site", "site_id", site)
        return site


def refusal(code: str, detail: str, field: str | None, site: uuid.UUID) -> DomainError:
    error = DomainError(code, detail, field=field)
    error.site_id = site
    return error


def checked_phone(typed: str, field: str, site: uuid.UUID) -> str:
    """A phone kept whole for the teacher or the gate to call back; a landline is taken (a
    parent may be reached at work)."""
    checked = check_phone(typed, landline=True)
    if checked.value is None:
        raise refusal(PHONE_FORMAT, checked.faults[0].reason, field, site)
    return checked.value


class _PassFacts(FactHandler[F], Generic[F]):
    """What every pass fact shares: one table, the pass found or made, a new judgement."""

    noun = "pass record"
    id_code = "pass.id_not_uuid7"
    conflict_code = "pass.conflict"
    table = PassFactRow
    at: ClassVar[str]

    async def admit(
        self, caller: Caller, candidates: list[Candidate[F]], *, now: datetime
    ) -> list[Plan[F] | DomainError]:
        context = await _Context.load([c.body for c in candidates])
        received = clock.utcnow()
        results: list[Plan[F] | DomainError] = []
        for candidate in candidates:
            body = candidate.body
            try:
                site = context.place(caller, body)
                fields = self.check(caller, body, site, context)
                if getattr(body, self.at) > now + FUTURE_TOLERANCE:
                    raise refusal(
                        "pass.recorded_in_future",
                        f"{self.at} is in the future beyond the tolerated clock drift",
                        self.at,
                        site,
                    )
            except DomainError as exc:
                if exc.site_id is None and body.site_id in caller.roles:
                    exc.site_id = body.site_id
                results.append(exc)
                continue
            context.sites.setdefault(body.pass_id, site)
            row = {
                "id": body.id,
                "site": site,
                "pass_id": body.pass_id,
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
    def check(self, caller: Caller, body: F, site: uuid.UUID, context: _Context) -> dict[str, Any]:
        """Authorise and validate one fact: what its stored body keeps."""

    async def store(self, caller: Caller, plans: list[Plan[F]]) -> None:
        await store_facts([p.row for p in plans])

    def answer(self, plan: Plan[F]) -> Any:
        return {"id": str(plan.body.id), "pass_id": str(plan.body.pass_id)}


async def store_facts(rows: list[dict[str, Any]]) -> None:
    """Write pass facts, make the passes they name known, and judge those passes again."""
    await insert_rows(PassFactRow, rows)
    named: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        named.setdefault(row["pass_id"], row)
    known = {r["id"] for r in await passes_by_id(named)}
    now = clock.utcnow()
    await insert_rows(
        LeavePassRow,
        [
            {
                "id": pass_id,
                "site": row["site"],
                "local_date": row["occurred_at"].date(),
                "state": "unknown",
                "flags": "[]",
                "first_received_at": now,
                "judged_at": now,
                "summary": "{}",
                "version": 0,
            }
            for pass_id, row in named.items()
            if pass_id not in known
        ],
    )
    await rejudge(set(named))


def _require_creator(caller: Caller, body: Any, site: uuid.UUID, context: _Context) -> None:
    """The pass's teacher or a manager; while the pass's creation has not arrived, any
    member who could have made it (the teacher's phone may sync after the gate's). A role
    that makes no pass (an auditor) is refused as any role is, `auth.forbidden`."""
    role = caller.require(site, CREATORS, "site")
    if role in MANAGERS:
        return
    creator = context.creators.get(body.pass_id)
    if creator is not None and creator != caller.user_id:
        raise refusal(
            NOT_CREATOR, "only the pass's class teacher or a manager may do this", None, site
        )


class PassCreated(_PassFacts[PassCreate]):
    type = "pass.created"
    body = PassCreate
    at = "created_at"
    utc_fields = ("created_at", "leave_from", "leave_until")

    def check(
        self, caller: Caller, body: PassCreate, site: uuid.UUID, context: _Context
    ) -> dict[str, Any]:
        caller.require(site, CREATORS, "site")
        if body.leave_until <= body.leave_from:
            raise refusal(
                "pass.window_invalid", "the window must end after it starts", "leave_until", site
            )
        phone = None
        if body.collector_phone is not None and body.collector_phone.strip():
            phone = checked_phone(body.collector_phone, "collector_phone", site)
        context.creators.setdefault(body.pass_id, caller.user_id)
        return {
            "pupil": body.pupil,
            "class_name": body.class_name,
            "reason": body.reason,
            "leave_from": body.leave_from,
            "leave_until": body.leave_until,
            "collector": body.collector,
            "collector_phone": phone,
        }


class PassConfirmedByTeacher(_PassFacts[PassConfirm]):
    type = "pass.confirmed"
    body = PassConfirm
    at = "confirmed_at"
    utc_fields = ("confirmed_at",)

    def check(
        self, caller: Caller, body: PassConfirm, site: uuid.UUID, context: _Context
    ) -> dict[str, Any]:
        _require_creator(caller, body, site, context)
        phone = checked_phone(body.parent_phone, "parent_phone", site)
        return {"parent_name": body.parent_name, "parent_phone": phone, "channel": body.channel}


class PassCancelled(_PassFacts[PassCancel]):
    type = "pass.cancelled"
    body = PassCancel
    at = "cancelled_at"
    utc_fields = ("cancelled_at",)

    def check(
        self, caller: Caller, body: PassCancel, site: uuid.UUID, context: _Context
    ) -> dict[str, Any]:
        _require_creator(caller, body, site, context)
        return {"reason": body.reason}


class PassExited(_PassFacts[PassExit]):
    type = "pass.exited"
    body = PassExit
    at = "exited_at"
    utc_fields = ("exited_at",)

    def check(
        self, caller: Caller, body: PassExit, site: uuid.UUID, context: _Context
    ) -> dict[str, Any]:
        caller.require(site, READERS, "site")
        return {"collected_by": body.collected_by, "method": body.method}


CREATED = PassCreated()
CONFIRMED = PassConfirmedByTeacher()
CANCELLED = PassCancelled()
EXITED = PassExited()


async def create_pass(caller: Caller, site_id: uuid.UUID, data: PassIn) -> PassOut:
    body = PassCreate(**msgspec.structs.asdict(data), site_id=site_id)
    await CREATED.accept(caller, body)
    return await pass_out(data.pass_id)


async def confirm_pass(caller: Caller, pass_id: uuid.UUID, data: ConfirmationIn) -> PassOut:
    site, _ = await pass_site(caller, pass_id)
    body = PassConfirm(**msgspec.structs.asdict(data), pass_id=pass_id, site_id=site)
    await CONFIRMED.accept(caller, body)
    return await pass_out(pass_id)


async def cancel_pass(caller: Caller, pass_id: uuid.UUID, data: CancellationIn) -> PassOut:
    site, _ = await pass_site(caller, pass_id)
    body = PassCancel(**msgspec.structs.asdict(data), pass_id=pass_id, site_id=site)
    await CANCELLED.accept(caller, body)
    return await pass_out(pass_id)


async def exit_pass(caller: Caller, pass_id: uuid.UUID, data: ExitIn) -> PassOut:
    site, _ = await pass_site(caller, pass_id)
    body = PassExit(**msgspec.structs.asdict(data), pass_id=pass_id, site_id=site)
    await EXITED.accept(caller, body)
    return await pass_out(pass_id)


async def confirm_by_link(
    pass_id: uuid.UUID, site_id: uuid.UUID, parent_name: str, parent_phone: str
) -> None:
    """A parent's confirmation through their one-time link: no account and no device, so
    the server makes its fact (id and time) and records it with no person. Call inside the
    transaction that spends the link."""
    now = clock.utcnow()
    fields = {"parent_name": parent_name, "parent_phone": parent_phone, "channel": "link"}
    encoded = msgspec.json.encode(fields, order="sorted")
    row = {
        "id": clock.new_id(),
        "site": site_id,
        "pass_id": pass_id,
        "type": CONFIRMED.type,
        "person": None,
        "device_id": None,
        "occurred_at": now,
        "received_at": now,
        "body": encoded.decode(),
        "content_sha256": hashlib.sha256(encoded).hexdigest(),
    }
    await store_facts([row])
