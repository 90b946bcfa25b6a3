"""A visit's facts, and its state derived from them.

The gate works while the network is down, so a visit's facts reach the server (and other
gate devices) in any order: the host's approval before the check-in it answers, a
check-out before its check-in. The state is derived from the set of facts alone, as a
round's verdict is: the same facts in any order, or delivered twice, give the same visit.
A fact's `id` is its identity; two facts with different ids are two events.

The rules, where the register leaves room:

- Consent. A decision counts when it comes from the host or a manager; until the check-in
  (which names the host) arrives, every decision counts. A refusal is final: an approval
  after it does not let the visitor in (the host who changes their mind has the visitor
  registered again) and is flagged. A refusal after an approval does not take the visitor
  off the still-inside list: they may have walked in, and only a check-out says they left.
- States. `pending`: checked in, no decision. `inside`: checked in and approved, not
  checked out. `refused`: turned away before any approval. `left`: checked out (also a
  check-out whose check-in has not arrived yet, flagged until it does). `approved`: the
  host's consent is known but the check-in is not (a visitor the host expects, or a
  check-in still on its way).
- Twice. Of two check-ins or two check-outs of one visit (two gate devices offline), the
  earliest by device time stands and the visit is flagged.
- Stay. A visitor enters when both the check-in and the approval are there, so the
  expected stay runs from the later of the two.
- Watchlist. A check-in that matched the watchlist (on the gate device or on the server)
  needs a manager's decision besides the host's consent: until one comes the visit stays
  `pending`, however the host decided, and is flagged. A denial is final and makes the
  visit `refused` (an admission beside it is set aside); an admission lets the host's
  approval count, and the stay runs from the latest of the three.
- Settings. What the site's settings asked of a check-in or check-out is carried on the
  fact as the server received it (a required field missing, a vehicle where none is
  allowed, a signature wanted before check-out), so a later change of the settings does
  not change a judged visit. None of them refuses anything: the visitor was at the gate.
  A check-out is unsigned when no signature of the visit was made before it.

No personal field is judged here: name, document and phone stay on the check-in as the
register holds them (masked and keyed), and the state needs none of them.
"""

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Instant = Annotated[dt.datetime, Meta(tz=True)]
FactId = Annotated[str, Meta(min_length=1, max_length=64)]
PersonId = Annotated[str, Meta(min_length=1, max_length=100)]
Text = Annotated[str, Meta(max_length=500)]
Channel = Literal["app", "phone"]
State = Literal["pending", "approved", "refused", "inside", "left"]
Consent = Literal["pending", "approved", "refused"]
Watch = Literal["none", "match", "admitted", "denied"]

CHECKED_IN_TWICE = "visit.checked_in_twice"
CHECKED_OUT_TWICE = "visit.checked_out_twice"
NOT_CHECKED_IN = "visit.not_checked_in"
OUT_BEFORE_IN = "visit.checked_out_before_check_in"
NOT_HOST = "visit.decided_by_other"
APPROVED_AFTER_REFUSAL = "visit.approved_after_refusal"
REFUSED_AFTER_APPROVAL = "visit.refused_after_approval"
NOT_CHECKED_OUT = "visit.not_checked_out"
OVERSTAY = "visit.overstay"
NEVER_APPROVED = "visit.never_approved"
WATCHLIST_MATCH = "visit.watchlist_match"
REQUIRED_FIELD_MISSING = "visit.required_field_missing"
VEHICLE_NOT_ALLOWED = "visit.vehicle_not_allowed"
CHECKED_OUT_UNSIGNED = "visit.checked_out_unsigned"


class VisitFact(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="type"
):
    """`person` recorded the fact on `device_id`; `occurred_at` is the device's time."""

    id: FactId
    visit_id: FactId
    device_id: FactId
    person: PersonId
    occurred_at: Instant


class VisitCheckedIn(VisitFact, tag="visit.checked_in", frozen=True):
    """Registered at the gate by the gatekeeper (`person`). `expected_stay_minutes` None:
    no stay was agreed, so the visit never overstays. `watch_match`: the document matched
    the watchlist; `missing_fields`: what the site required and the check-in left empty;
    `vehicles_allowed`: whether the site let vehicles in (a plate otherwise is flagged)."""

    visitor: Annotated[str, Meta(min_length=1, max_length=100)]
    host: PersonId
    party_size: Annotated[int, Meta(ge=1, le=500)] = 1
    organisation: Text = ""
    purpose: Text = ""
    badge: Annotated[str, Meta(min_length=1, max_length=32)] | None = None
    plate: Annotated[str, Meta(min_length=1, max_length=16)] | None = None
    expected_stay_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] | None = None
    watch_match: bool = False
    missing_fields: tuple[str, ...] = ()
    vehicles_allowed: bool = True


class _Said(VisitFact, frozen=True):
    """`by` decided; `person` recorded it. In the app they are one person; by phone the
    gatekeeper records what the host said, and `occurred_at` is when they said it."""

    by: PersonId
    channel: Channel

    def __post_init__(self) -> None:
        if self.channel == "app" and self.by != self.person:
            raise ValueError("a decision in the app is recorded by the one who made it")


class _Decision(_Said, frozen=True):
    """The host's consent (or a manager's for them)."""


class VisitApproved(_Decision, tag="visit.approved", frozen=True):
    pass


class VisitRefused(_Decision, tag="visit.refused", frozen=True):
    reason: Text = ""


class VisitCheckedOut(VisitFact, tag="visit.checked_out", frozen=True):
    """`method`: the slip's QR scanned, or the visit picked from the still-inside list."""

    method: Literal["slip", "list"] = "list"
    sign_required: bool = False
    """The site wanted the host's signature before check-out when the server received it."""


class VisitWatchDecided(_Said, tag="visit.watch_decided", frozen=True):
    """A manager's decision on a watchlist match (`by`, a manager: admission checked it)."""

    decision: Literal["admit", "deny"]
    reason: Text = ""


class VisitSigned(VisitFact, tag="visit.signed", frozen=True):
    """The host (or a manager) signed the visitor's slip (`person`)."""


Fact = (
    VisitCheckedIn
    | VisitApproved
    | VisitRefused
    | VisitCheckedOut
    | VisitWatchDecided
    | VisitSigned
)


class Visit(msgspec.Struct, frozen=True, kw_only=True):
    """A visit as its facts tell it. `check_in` is the standing check-in (None until one
    arrives). `approved_at` is the first approval that counts, `refused_at` the first
    refusal; `entered_at` the later of check-in and approval; `expected_until` when an
    agreed stay runs out. `set_aside` names the facts that do not count (a second
    check-out, a decision by someone else, an approval after a refusal); `flags` say why.
    `watch`: none (no match), match (a manager must decide), admitted or denied, by
    `watch_decided_by`; `signed_at`: the first signature."""

    visit_id: str
    state: State
    consent: Consent
    check_in: VisitCheckedIn | None
    decided_by: str | None
    watch: Watch = "none"
    watch_decided_by: str | None = None
    signed_at: dt.datetime | None = None
    approved_at: dt.datetime | None
    refused_at: dt.datetime | None
    entered_at: dt.datetime | None
    expected_until: dt.datetime | None
    checked_out_at: dt.datetime | None
    flags: tuple[str, ...]
    set_aside: tuple[str, ...]


class Anomaly(msgspec.Struct, frozen=True, kw_only=True):
    """One thing about one visit for the gate's end-of-day review; `at` is when it became
    one (the stay's end for an overstay, the closing time for a visitor not checked out)."""

    visit_id: str
    code: str
    at: dt.datetime
    visitor: str | None
    host: str | None


def judge_visit(facts: Iterable[VisitFact], *, managers: Collection[str] = ()) -> Visit:
    """The visit of `facts` (all of one visit). `managers` may decide for any host."""
    ordered = _distinct(facts)
    if not ordered:
        raise ValueError("a visit needs at least one fact")
    if len({fact.visit_id for fact in ordered}) > 1:
        raise ValueError("facts of more than one visit")
    check_ins = [f for f in ordered if isinstance(f, VisitCheckedIn)]
    check_outs = [f for f in ordered if isinstance(f, VisitCheckedOut)]
    check_in = check_ins[0] if check_ins else None
    check_out = check_outs[0] if check_outs else None
    flags: list[str] = []
    set_aside = [f.id for f in (*check_ins[1:], *check_outs[1:])]
    if len(check_ins) > 1:
        flags.append(CHECKED_IN_TWICE)
    if len(check_outs) > 1:
        flags.append(CHECKED_OUT_TWICE)
    if check_out is not None and check_in is None:
        flags.append(NOT_CHECKED_IN)
    if check_in and check_out and check_out.occurred_at < check_in.occurred_at:
        flags.append(OUT_BEFORE_IN)

    decisions = [f for f in ordered if isinstance(f, _Decision)]
    allowed = {check_in.host, *managers} if check_in is not None else None
    counted = []
    for decision in decisions:
        if allowed is not None and decision.by not in allowed:
            set_aside.append(decision.id)
            _add(flags, NOT_HOST)
        else:
            counted.append(decision)
    refusal = next((d for d in counted if isinstance(d, VisitRefused)), None)
    approvals = [d for d in counted if isinstance(d, VisitApproved)]
    if refusal is not None:
        late = [d for d in approvals if (d.occurred_at, d.id) > (refusal.occurred_at, refusal.id)]
        if late:
            _add(flags, APPROVED_AFTER_REFUSAL)
            set_aside.extend(d.id for d in late)
        approvals = [d for d in approvals if d not in late]
        if approvals:
            _add(flags, REFUSED_AFTER_APPROVAL)
    approval = approvals[0] if approvals else None

    watch, watch_decision, aside = _watch(check_in, ordered)
    set_aside.extend(aside)
    if watch == "match":
        flags.append(WATCHLIST_MATCH)
    if check_in is not None and check_in.missing_fields:
        flags.append(REQUIRED_FIELD_MISSING)
    if check_in is not None and check_in.plate and not check_in.vehicles_allowed:
        flags.append(VEHICLE_NOT_ALLOWED)
    signatures = [f.occurred_at for f in ordered if isinstance(f, VisitSigned)]
    if (
        check_out is not None
        and check_out.sign_required
        and not any(at <= check_out.occurred_at for at in signatures)
    ):
        flags.append(CHECKED_OUT_UNSIGNED)

    consent: Consent = (
        "refused" if refusal is not None else "approved" if approval is not None else "pending"
    )
    state: State
    if check_out is not None:
        state = "left"
    elif check_in is None:
        state = consent
    elif watch == "denied":
        state = "refused"
    elif approval is not None and watch != "match":
        state = "inside"
    else:
        state = "refused" if refusal is not None else "pending"
    entered_at = (
        max(
            check_in.occurred_at,
            approval.occurred_at,
            *((watch_decision.occurred_at,) if watch_decision is not None else ()),
        )
        if check_in is not None and approval is not None and watch in ("none", "admitted")
        else None
    )
    stay = check_in.expected_stay_minutes if check_in is not None else None
    standing = refusal or approval
    return Visit(
        visit_id=ordered[0].visit_id,
        state=state,
        consent=consent,
        check_in=check_in,
        decided_by=standing.by if standing is not None else None,
        watch=watch,
        watch_decided_by=watch_decision.by if watch_decision is not None else None,
        signed_at=min(signatures, default=None),
        approved_at=approval.occurred_at if approval is not None else None,
        refused_at=refusal.occurred_at if refusal is not None else None,
        entered_at=entered_at,
        expected_until=(
            entered_at + dt.timedelta(minutes=stay)
            if entered_at is not None and stay is not None
            else None
        ),
        checked_out_at=check_out.occurred_at if check_out is not None else None,
        flags=tuple(flags),
        set_aside=tuple(sorted(set_aside)),
    )


def _watch(
    check_in: VisitCheckedIn | None, ordered: list[VisitFact]
) -> tuple[Watch, VisitWatchDecided | None, list[str]]:
    """The watchlist's say: what it is, the decision that stands, and the decisions set
    aside (of a visit that matched nothing, or an admission beside a denial). Until the
    check-in arrives nobody knows whether it matched: its decisions wait, unjudged."""
    decisions = [f for f in ordered if isinstance(f, VisitWatchDecided)]
    if check_in is None:
        return "none", None, []
    if not check_in.watch_match:
        return "none", None, [d.id for d in decisions]
    denial = next((d for d in decisions if d.decision == "deny"), None)
    if denial is not None:
        return "denied", denial, [d.id for d in decisions if d.decision == "admit"]
    if decisions:
        return "admitted", decisions[0], []
    return "match", None, []


def judge_visits(facts: Iterable[VisitFact], *, managers: Collection[str] = ()) -> dict[str, Visit]:
    """Every visit of `facts`, by visit id in order of the id."""
    by_visit: dict[str, list[VisitFact]] = {}
    for fact in facts:
        by_visit.setdefault(fact.visit_id, []).append(fact)
    return {
        visit_id: judge_visit(by_visit[visit_id], managers=managers)
        for visit_id in sorted(by_visit)
    }


def still_inside(visits: Iterable[Visit]) -> list[Visit]:
    """Who is inside now, longest there first. Visitors waiting for their host are not:
    they are at the gate, on the gatekeeper's own list of pending visits."""
    inside = [visit for visit in visits if visit.state == "inside"]
    return sorted(inside, key=lambda visit: (visit.entered_at, visit.visit_id))


def anomalies(visits: Iterable[Visit], closing_time: dt.datetime) -> list[Anomaly]:
    """The day's anomalies as of `closing_time`: visitors not checked out by then (also
    those still waiting for a decision: nobody saw them leave), stays past what was agreed
    (also of visitors who have left), check-ins never approved, and every visit's flags.
    Visitors refused before any approval were turned away at the gate: neither their
    refusal nor a missing check-out is an anomaly. A check-in, decision or check-out
    after `closing_time` is read as not yet made; flags are listed whenever they arose."""
    if closing_time.tzinfo is None:
        raise ValueError("closing_time must carry its timezone")
    found: list[Anomaly] = []
    for visit in visits:
        found.extend(
            _anomaly(visit, flag, _first_seen(visit, closing_time)) for flag in visit.flags
        )
        check_in = visit.check_in
        if check_in is None or check_in.occurred_at > closing_time:
            continue
        approved = visit.approved_at is not None and visit.approved_at <= closing_time
        turned_away = visit.watch == "denied" or (
            not approved and visit.refused_at is not None and visit.refused_at <= closing_time
        )
        out_at = visit.checked_out_at
        left = out_at is not None and out_at <= closing_time
        if not left and not turned_away:
            found.append(_anomaly(visit, NOT_CHECKED_OUT, closing_time))
        if not approved and not turned_away:
            found.append(_anomaly(visit, NEVER_APPROVED, check_in.occurred_at))
        until = visit.expected_until
        if approved and until is not None:
            end = out_at if out_at is not None and left else closing_time
            if end > until:
                found.append(_anomaly(visit, OVERSTAY, until))
    found.sort(key=lambda a: (a.at, a.visit_id, a.code))
    return found


def _anomaly(visit: Visit, code: str, at: dt.datetime) -> Anomaly:
    check_in = visit.check_in
    return Anomaly(
        visit_id=visit.visit_id,
        code=code,
        at=at,
        visitor=check_in.visitor if check_in is not None else None,
        host=check_in.host if check_in is not None else None,
    )


def _first_seen(visit: Visit, closing_time: dt.datetime) -> dt.datetime:
    times = (visit.check_in.occurred_at if visit.check_in else None, visit.checked_out_at)
    return min((t for t in times if t is not None), default=closing_time)


def _add(flags: list[str], flag: str) -> None:
    if flag not in flags:
        flags.append(flag)


def _distinct(facts: Iterable[VisitFact]) -> list[VisitFact]:
    """Each fact once, in order of device time then id. The same id with other content is
    a conflict sync answers before facts get here; should one slip through, the smaller
    encoding stays, so the outcome does not hang on which arrived first."""
    by_id: dict[str, VisitFact] = {}
    for fact in facts:
        kept = by_id.setdefault(fact.id, fact)
        if kept is not fact and kept != fact:
            by_id[fact.id] = min(kept, fact, key=msgspec.json.encode)
    return sorted(by_id.values(), key=lambda fact: (fact.occurred_at, fact.id))
