"""The fact kit: one way to take in a synced fact, whichever domain it belongs to.

A fact (an inspection, a hazard report, an excusal, a step in an action's life) is made
once on a device under an id of its own (a UUIDv7) and never edited. Taking one in is the
same everywhere (PROTOCOL.md R6, R15, R16): the id must be a UUIDv7; the content is
digested (`sync.rules.content_digest`); an id stored before is a duplicate if its digest
is the same and a conflict if not, the first one standing (`sync.rules.fact_outcome`);
the same id twice in one batch is judged against the first; a refusal names the site it
belongs to, for the managers' list; and whether a refusal is `conflict` or `rejected`
follows from its code's status in the catalogue (409 is a conflict).

A domain adds a fact by subclassing `FactHandler`: it names its op type, body struct,
problem codes and table, says how to admit new facts (`admit`: authorise, validate,
evaluate, in bulk) and how to store them (`store`). The same handler serves the REST
endpoint (`accept`) and the sync push (`prepare`), so a record means the same whichever
way it arrived. See CONTRIBUTING.md, "Adding a record kind".
"""

from __future__ import annotations

import abc
import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

import msgspec
from piccolo.table import Table

from server import clock
from server.accounts.access import Caller
from server.db import transaction
from server.errors import STATUS, DomainError, not_found
from sync.engine import Outcome
from sync.rules import content_digest, fact_outcome
from sync.wire import APPLIED, CONFLICT, DUPLICATE, REJECTED

FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far a fact's business time may run ahead of the latest time the server accepts
(its own clock, or the device's when that runs ahead): more is a clock set wrong."""


class FactBody(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


B = TypeVar("B", bound=FactBody)


@dataclass(frozen=True)
class Candidate(Generic[B]):
    """A fact whose id is new: for the handler to admit or refuse."""

    body: B
    digest: str
    """Its content digest, stored with it (`content_sha256`)."""

    def accept(
        self,
        site_id: uuid.UUID,
        row: Any,
        *,
        blobs: Sequence[str] = (),
        parallel: bool = False,
        extra: Any = None,
    ) -> Plan[B]:
        return Plan(
            self.body, "new", site_id, self.digest, row, list(blobs), parallel=parallel, extra=extra
        )


@dataclass
class Plan(Generic[B]):
    """A fact that will be stored (`new`) or already was (`duplicate`)."""

    body: B
    outcome: Literal["new", "duplicate"]
    site_id: uuid.UUID
    digest: str
    row: Any
    """new: what `store` writes; duplicate: the stored row `stored` read."""
    blobs: list[str] = field(default_factory=list)
    """The photos and signatures it names, reported to the device until they arrive."""
    parallel: bool = False
    """Applied over a change the person had not seen (R19)."""
    extra: Any = None
    """Whatever else the handler keeps between admitting and storing (an evaluation)."""


@dataclass(frozen=True)
class Stored:
    """What the kit needs of a fact stored before: its site and its digest."""

    site_id: uuid.UUID
    digest: str
    row: dict[str, Any]


class FactHandler(abc.ABC, Generic[B]):
    """One kind of fact. Subclasses set the class attributes and write `admit` and
    `store`; the rest is the kit's."""

    type: ClassVar[str]
    """The op type, `noun.verb` (e.g. `hazard.reported`)."""
    body: builtins.type[B]
    versions: ClassVar[frozenset[int]] = frozenset({1})
    noun: ClassVar[str]
    """What a person calls it, in messages (`report not found`)."""
    id_code: ClassVar[str]
    """The problem code for an id that is not a UUIDv7."""
    conflict_code: ClassVar[str]
    """The problem code for an id stored before with other content (a 409 code)."""
    conflict_detail: ClassVar[str] = ""
    table: ClassVar[builtins.type[Table]]
    """Where the facts are stored: its `id`, `site` and `content_sha256` columns are read."""
    utc_fields: ClassVar[tuple[str, ...]] = ()
    """Times digested in UTC: the same instant sent with another offset (a relay, a phone
    that moved time zone) is the same fact."""

    # --- what each handler writes ---------------------------------------------------

    @abc.abstractmethod
    async def admit(
        self, caller: Caller, candidates: list[Candidate[B]], *, now: datetime
    ) -> list[Plan[B] | DomainError]:
        """Decide each new fact, in order, reading what the batch needs in bulk: a Plan
        (`candidate.accept(...)`) or the DomainError refusing it, with `site_id` set
        where the site is known and the caller belongs to it. `now` is the latest
        business time believed."""

    @abc.abstractmethod
    async def store(self, caller: Caller, plans: list[Plan[B]]) -> None:
        """Write the admitted facts in bulk, with what they cause (findings, actions,
        changes for devices)."""

    def answer(self, plan: Plan[B]) -> Any:
        """What the op's answer carries for an applied or duplicate fact."""
        return {"id": str(plan.body.id)}

    def current(self, stored: Stored) -> Any:
        """What a conflict sends back of the fact that stands."""
        return None

    async def stored(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Stored]:
        table = self.table
        rows = await table.select(
            table._meta.primary_key,
            table.site,  # type: ignore[attr-defined]  # every fact table has one (see `table`)
            table.content_sha256,  # type: ignore[attr-defined]
        ).where(table._meta.primary_key.is_in(ids))
        return {row["id"]: Stored(row["site"], row["content_sha256"], row) for row in rows}

    # --- the kit --------------------------------------------------------------------

    def digest(self, body: B) -> str:
        if self.utc_fields:
            changes = {name: getattr(body, name) for name in self.utc_fields}
            body = msgspec.structs.replace(
                body,  # type: ignore[type-var]
                **{k: v.astimezone(UTC) for k, v in changes.items() if v is not None},
            )
        return content_digest(body)

    def decode(self, v: int, raw: msgspec.Raw) -> B:
        return msgspec.json.decode(raw, type=self.body)

    async def prepare(
        self, caller: Caller, bodies: list[B], *, now: datetime | None = None
    ) -> FactBatch[B]:
        """Plan a batch (the sync engine's `OpHandler.prepare`). Call inside the
        transaction that will write it."""
        received = clock.utcnow()
        batch = FactBatch(self, caller, max(now or received, received), _segments(bodies))
        await batch.plan_next()
        return batch

    async def accept(self, caller: Caller, body: B) -> Plan[B]:
        """One fact from the REST API, in its own transaction; a refusal is raised."""
        async with transaction():
            batch = await self.prepare(caller, [body])
            plan = batch.plans[0]
            if isinstance(plan, DomainError):
                raise plan
            await batch.write()
        return plan

    async def _plan(
        self, caller: Caller, bodies: list[B], now: datetime
    ) -> list[Plan[B] | DomainError]:
        results: list[Plan[B] | DomainError | None] = [None] * len(bodies)
        digests: list[str] = []
        for index, body in enumerate(bodies):
            digests.append(self.digest(body))
            if body.id.version != 7:
                results[index] = DomainError(
                    self.id_code, "the id must be a UUIDv7 made on the device", field="id"
                )
        ids = [b.id for b, r in zip(bodies, results, strict=True) if r is None]
        stored = await self.stored(ids) if ids else {}
        candidates: list[tuple[int, Candidate[B]]] = []
        for index, (body, digest) in enumerate(zip(bodies, digests, strict=True)):
            if results[index] is not None:
                continue
            earlier = stored.get(body.id)
            verdict = fact_outcome(earlier.digest if earlier else None, digest)
            if earlier is None:
                candidates.append((index, Candidate(body, digest)))
            elif earlier.site_id not in caller.roles:
                results[index] = not_found(self.noun)
            elif verdict == "duplicate":
                results[index] = Plan(body, "duplicate", earlier.site_id, digest, earlier.row)
            else:
                results[index] = self._conflict(earlier)
        if candidates:
            admitted = await self.admit(caller, [c for _, c in candidates], now=now)
            for (index, _), plan in zip(candidates, admitted, strict=True):
                results[index] = plan
        return results  # type: ignore[return-value]

    def _conflict(self, earlier: Stored) -> DomainError:
        error = DomainError(
            self.conflict_code,
            self.conflict_detail
            or f"a {self.noun} with this id was stored with different content; the first stands",
            field="id",
            current=self.current(earlier),
        )
        error.site_id = earlier.site_id
        return error

    def outcome(self, plan: Plan[B] | DomainError) -> Outcome:
        if isinstance(plan, DomainError):
            return Outcome(
                status=CONFLICT if STATUS[plan.code] == 409 else REJECTED,
                code=plan.code,
                detail=plan.detail,
                field=f"body.{plan.field}" if plan.field else "body",
                current=plan.current,
                result={"errors": plan.errors} if plan.errors else None,
                scope=str(plan.site_id) if plan.site_id else None,
            )
        return Outcome(
            status=APPLIED if plan.outcome == "new" else DUPLICATE,
            parallel=plan.parallel,
            result=self.answer(plan),
            scope=str(plan.site_id),
            blobs=plan.blobs,
        )


class FactBatch(Generic[B]):
    """A planned batch (the sync engine's `Prepared`). A batch that names one id twice is
    planned in segments, each written before the next is planned, so the repeat is judged
    against the fact as stored."""

    def __init__(
        self, handler: FactHandler[B], caller: Caller, now: datetime, segments: list[list[B]]
    ) -> None:
        self.handler = handler
        self.caller = caller
        self.now = now
        self.pending = segments
        self.plans: list[Plan[B] | DomainError] = []
        self._unwritten: list[Plan[B] | DomainError] = []

    async def plan_next(self) -> None:
        self._unwritten = await self.handler._plan(self.caller, self.pending.pop(0), self.now)
        self.plans += self._unwritten

    async def write(self) -> None:
        while True:
            new = [p for p in self._unwritten if isinstance(p, Plan) and p.outcome == "new"]
            if new:
                await self.handler.store(self.caller, new)
            if not self.pending:
                return
            await self.plan_next()

    @property
    def outcomes(self) -> list[Outcome]:
        return [self.handler.outcome(plan) for plan in self.plans]


def _segments(bodies: list[B]) -> list[list[B]]:
    """Runs of bodies in which no id repeats."""
    segments: list[list[B]] = [[]]
    ids: set[uuid.UUID] = set()
    for body in bodies:
        if body.id in ids:
            segments.append([])
            ids = set()
        segments[-1].append(body)
        ids.add(body.id)
    return segments
