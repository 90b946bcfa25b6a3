"""The protocol's decisions as pure functions; the server engine does the I/O around them.

Each function cites the rules of `sync/PROTOCOL.md` it decides.
"""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

import msgspec

from sync.hlc import MAX_AHEAD_MS, Hlc, cap

SeqClass = Literal["replay", "next", "gap"]
FactOutcome = Literal["new", "duplicate", "conflict"]

# A device whose clock is further off than this is flagged for a person to look at (R35).
# NTP keeps a phone within a second; two minutes is a clock set by hand, a wrong time zone
# taken for UTC is hours.
SKEW_FLAG_MS = 2 * 60 * 1000

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

EARLIEST = _UNIX_EPOCH
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""An op's `occurred_at` lies in [EARLIEST, LATEST): the edges of the calendar overflow as
soon as they are moved to another time zone or stored."""


def classify_seq(device_seq: int, last_applied_seq: int) -> SeqClass:
    """R3, R5: "replay" answers the stored result, "next" is applied, "gap" waits.

    A replay must still be checked against the stored op's id (R4).
    """
    if device_seq <= last_applied_seq:
        return "replay"
    if device_seq == last_applied_seq + 1:
        return "next"
    return "gap"


def plan_batch(seqs: list[int], last_applied_seq: int) -> list[SeqClass]:
    """`classify_seq` for each op of one batch, in order, as the batch will be applied (R1).

    Each op answered by a final status advances the counter, so a batch may carry ops
    `last + 1, last + 2, ...`; a seq repeated within the batch is a replay of its first
    occurrence (R3), whose result exists only once the batch is decided. Once one op is a
    gap, every later op is too (R5): applying them would leave the hole behind them.
    """
    plan: list[SeqClass] = []
    last = last_applied_seq
    for seq in seqs:
        verdict = classify_seq(seq, last) if not plan or plan[-1] != "gap" else "gap"
        if verdict == "next":
            last = seq
        plan.append(verdict)
    return plan


def fact_outcome(stored_digest: str | None, incoming_digest: str) -> FactOutcome:
    """R15, R16: a fact's id seen before is a duplicate if its content is the same, else a
    conflict in which the first one stays. `None` means the id is new."""
    if stored_digest is None:
        return "new"
    if stored_digest == incoming_digest:
        return "duplicate"
    return "conflict"


def content_digest(obj: Any) -> str:
    """The sha256 (hex) of a decoded body's canonical JSON, for `fact_outcome`.

    Digest the body after its type's struct decoded it, not the bytes received: key order,
    whitespace and defaults left out do not change the digest. Values are not normalised
    further: the same instant written with two offsets gives two digests, which is right for
    evidence (the device recorded different text) and never happens on a retry, which sends
    the same op again.
    """
    return hashlib.sha256(msgspec.json.encode(obj, order="sorted")).hexdigest()


class ClockCheck(NamedTuple):
    hlc: Hlc
    skew_ms: int
    flagged: bool


def cap_and_skew(device_now: datetime, server_now: datetime, hlc: Hlc) -> ClockCheck:
    """R34, R35: the op's HLC capped at server_now + 5 minutes, the batch's skew
    (device_now - server_now, in whole milliseconds, rounded down), and whether the clock
    should be flagged: the skew is beyond `SKEW_FLAG_MS` either way, or the HLC had to be
    capped (the device's clock ran ahead at some point even if it is right now).

    Nothing here refuses anything: a wrong clock never fails a sync.
    """
    if device_now.utcoffset() is None or server_now.utcoffset() is None:
        raise ValueError("device_now and server_now must carry their UTC offset")
    skew_ms = (device_now - server_now) // timedelta(milliseconds=1)
    server_ms = (server_now - _UNIX_EPOCH) // timedelta(milliseconds=1)
    capped = cap(hlc, server_ms + MAX_AHEAD_MS)
    return ClockCheck(capped, skew_ms, abs(skew_ms) > SKEW_FLAG_MS or capped != hlc)


TransitionVerdict = Literal["applied", "parallel", "conflict"]


def judge_transition(*, legal: bool, base_version: int, current_version: int) -> TransitionVerdict:
    """R18-R20: a transition of a mutable record, made on a device from `base_version`.

    Illegal from the record's current state: `conflict` (the device is sent the current
    state). Legal and made from the current version: `applied`. Legal but made from an
    older version while someone else changed the record: `parallel` (applied, flagged). A
    base newer than the server's own version cannot come from a correct device: conflict.
    """
    if not legal or base_version > current_version:
        return "conflict"
    return "applied" if base_version == current_version else "parallel"


def last_writer_wins(current_hlc: str | None, incoming_hlc: str) -> bool:
    """R21: whether a free-text value written at `incoming_hlc` replaces the one written at
    `current_hlc`. Canonical HLCs compare in byte order; the node (the device id) makes two
    different writers' clocks unequal, so every server and device picks the same winner
    whatever order the writes arrive in. A rewrite at the same clock is the same write."""
    return current_hlc is None or incoming_hlc.encode() > current_hlc.encode()
