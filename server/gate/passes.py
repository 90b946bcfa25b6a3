"""Early-leave passes (学生离校): a pupil leaving in school hours, and what the gate checks.

四见面: the gate, the pupil, the class teacher and a parent all agree. The class teacher
creates the pass (pupil, reason, window, who collects); a parent's confirmation is
recorded (by the teacher who phoned them, or by the parent through a one-time link); the
gate checks the pass with the pupil in front of it and records the exit.

As with visits, the pass is derived from its facts in any order, each fact once. An exit
is a thing that happened, so it is never refused once recorded (a gate device offline
may record one the server would have blocked): it stands, and what was wrong with it is
flagged. Before an exit, `exit_blockers` says what stops it. The window is inclusive at
both ends: a pass "14:00 to 15:00" lets a pupil out at 15:00.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Literal, TypeVar

import msgspec
from msgspec import Meta

from server.gate.faults import Fault

Instant = Annotated[dt.datetime, Meta(tz=True)]
FactId = Annotated[str, Meta(min_length=1, max_length=64)]
PersonId = Annotated[str, Meta(min_length=1, max_length=100)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
PassState = Literal["unknown", "awaiting_parent", "confirmed", "cancelled", "exited"]

UNKNOWN = "pass.unknown"
CANCELLED = "pass.cancelled"
NOT_CONFIRMED = "pass.not_confirmed"
OUTSIDE_WINDOW = "pass.outside_window"
ALREADY_EXITED = "pass.already_exited"
USED_TWICE = "pass.used_twice"
EXITED_UNCONFIRMED = "pass.exited_unconfirmed"
EXITED_OUTSIDE_WINDOW = "pass.exited_outside_window"
EXITED_AFTER_CANCEL = "pass.exited_after_cancel"
OTHER_COLLECTOR = "pass.other_collector"


class PassFact(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="type"
):
    id: FactId
    pass_id: FactId
    device_id: FactId
    person: PersonId
    occurred_at: Instant


class PassCreated(PassFact, tag="pass.created", frozen=True):
    """By the class teacher (`person`). `collector` None: the pupil leaves alone (an older
    pupil, with the parent's consent all the same)."""

    pupil: PersonId
    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    leave_from: Instant
    leave_until: Instant
    collector: Name | None = None

    def __post_init__(self) -> None:
        if self.leave_until <= self.leave_from:
            raise ValueError("a pass's window ends after it starts")


class PassConfirmed(PassFact, tag="pass.confirmed", frozen=True):
    """A parent's agreement: `channel` "teacher" when the teacher phoned them and records it
    (`person` is the teacher), "link" when the parent used the one-time link."""

    parent: Name
    parent_phone: Annotated[str, Meta(min_length=1, max_length=32)]
    channel: Literal["teacher", "link"]


class PassCancelled(PassFact, tag="pass.cancelled", frozen=True):
    reason: Annotated[str, Meta(max_length=500)] = ""


class PassExited(PassFact, tag="pass.exited", frozen=True):
    """Recorded by the gatekeeper (`person`), with who collected the pupil if anyone."""

    collected_by: Name | None = None


F = TypeVar("F", bound=PassFact)


class LeavePass(msgspec.Struct, frozen=True, kw_only=True):
    """A pass as its facts tell it; `created` None while the teacher's pass has not arrived.
    `confirmed` is the first confirmation, `exit` the first exit."""

    pass_id: str
    state: PassState
    created: PassCreated | None
    confirmed: PassConfirmed | None
    cancelled: PassCancelled | None
    exit: PassExited | None
    flags: tuple[str, ...]
    set_aside: tuple[str, ...]


def judge_pass(facts: Iterable[PassFact]) -> LeavePass:
    """The pass of `facts` (all of one pass)."""
    ordered = _distinct(facts)
    if not ordered:
        raise ValueError("a pass needs at least one fact")
    if len({fact.pass_id for fact in ordered}) > 1:
        raise ValueError("facts of more than one pass")
    created = _first(ordered, PassCreated)
    confirmed = _first(ordered, PassConfirmed)
    cancelled = _first(ordered, PassCancelled)
    exits = [f for f in ordered if isinstance(f, PassExited)]
    exited = exits[0] if exits else None
    flags: list[str] = []
    if len(exits) > 1:
        flags.append(USED_TWICE)
    if exited is not None:
        at = exited.occurred_at
        if confirmed is None or confirmed.occurred_at > at:
            flags.append(EXITED_UNCONFIRMED)
        if created is not None and not _in_window(created, at):
            flags.append(EXITED_OUTSIDE_WINDOW)
        if cancelled is not None and cancelled.occurred_at <= at:
            flags.append(EXITED_AFTER_CANCEL)
        if created is not None and _other_collector(exited.collected_by, created.collector):
            flags.append(OTHER_COLLECTOR)
    state: PassState
    if exited is not None:
        state = "exited"
    elif cancelled is not None:
        state = "cancelled"
    elif created is None:
        state = "unknown"
    else:
        state = "confirmed" if confirmed is not None else "awaiting_parent"
    return LeavePass(
        pass_id=ordered[0].pass_id,
        state=state,
        created=created,
        confirmed=confirmed,
        cancelled=cancelled,
        exit=exited,
        flags=tuple(flags),
        set_aside=tuple(sorted(f.id for f in exits[1:])),
    )


def exit_blockers(leave_pass: LeavePass, at: dt.datetime) -> tuple[Fault, ...]:
    """What stops the pupil leaving at `at` on this pass; nothing, and the gate lets them out
    and records the exit. Every blocker is named, so the gatekeeper knows all it takes."""
    if at.tzinfo is None:
        raise ValueError("at must carry its timezone")
    if leave_pass.exit is not None:
        return (
            Fault(
                code=ALREADY_EXITED,
                reason=f"this pass was used at {leave_pass.exit.occurred_at.isoformat()}",
            ),
        )
    if leave_pass.cancelled is not None:
        return (Fault(code=CANCELLED, reason="the class teacher cancelled this pass"),)
    created = leave_pass.created
    if created is None:
        return (
            Fault(
                code=UNKNOWN,
                reason="the teacher's pass has not reached this device: ask the class teacher",
            ),
        )
    faults = []
    if leave_pass.confirmed is None or leave_pass.confirmed.occurred_at > at:
        faults.append(Fault(code=NOT_CONFIRMED, reason="no parent has confirmed this pass yet"))
    if at < created.leave_from:
        faults.append(
            Fault(code=OUTSIDE_WINDOW, reason=f"valid from {created.leave_from.isoformat()}")
        )
    elif at > created.leave_until:
        faults.append(
            Fault(code=OUTSIDE_WINDOW, reason=f"expired at {created.leave_until.isoformat()}")
        )
    return tuple(faults)


def _in_window(created: PassCreated, at: dt.datetime) -> bool:
    return created.leave_from <= at <= created.leave_until


def _other_collector(collected_by: str | None, collector: str | None) -> bool:
    """Someone other than the named collector came. Names are compared without spaces and
    case (`Li Ming`, `li ming`, `李 明`); when the pass named nobody, or the gate wrote down
    nobody, there is nothing to compare."""
    if collected_by is None or collector is None:
        return False
    return "".join(collected_by.split()).casefold() != "".join(collector.split()).casefold()


def _first(facts: list[PassFact], kind: type[F]) -> F | None:
    return next((fact for fact in facts if isinstance(fact, kind)), None)


def _distinct(facts: Iterable[PassFact]) -> list[PassFact]:
    """Each fact once, in order of device time then id; the same id with other content keeps
    the smaller encoding (see `visits._distinct`)."""
    by_id: dict[str, PassFact] = {}
    for fact in facts:
        kept = by_id.setdefault(fact.id, fact)
        if kept is not fact and kept != fact:
            by_id[fact.id] = min(kept, fact, key=msgspec.json.encode)
    return sorted(by_id.values(), key=lambda fact: (fact.occurred_at, fact.id))
