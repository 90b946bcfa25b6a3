"""Hybrid logical clocks: an order of events that survives wrong device clocks.

An HLC is the wall time in milliseconds of the latest event its node has seen (its own or
received), a counter that orders events within one millisecond, and the node that made it:
a device id or "server". Comparing two HLCs compares `(wall_ms, counter, node)`, so two
different nodes never tie, and the order respects causality: whatever a node does after
receiving an HLC is stamped later than it, however slow its own clock.

The canonical string form is `WALL-COUNTER-NODE`:

    1741996800000-002a-0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b

WALL is wall_ms in 13 zero-padded decimal digits, COUNTER 4 zero-padded lowercase hex
digits, NODE 1 to 64 characters of A-Z a-z 0-9 . _ - (a device id, or "server").

Every part before the node has a fixed width, so comparing two strings byte by byte
compares the values in the same order (store them with byte order, e.g. COLLATE "C" on
PostgreSQL: a linguistic collation ignores the dashes). 13 digits of milliseconds last
until the year 2286. There is exactly one string per value (no uppercase hex, no
padding variants), so equal strings mean equal clocks.

Device time is never a cursor. A phone's clock can be wrong by days, be set back by its
owner, or jump when the battery dies; a cursor made from it would skip what was written
"before" a clock that ran fast and repeat what came "after" one that ran slow. Cursors come
from the server's commit-ordered change log; HLCs only order concurrent edits of the same
field (last writer wins) and tell how far a device's clock was off. The server caps a
device's HLC (`cap`) so a clock far in the future cannot drag the server's clock with it.

Everything here is pure: the current time is passed in; only `now_ms` reads the clock.
"""

import re
import time
from dataclasses import dataclass
from typing import ClassVar

WALL_DIGITS = 13
COUNTER_DIGITS = 4
MAX_WALL_MS = 10**WALL_DIGITS - 1
MAX_COUNTER = 16**COUNTER_DIGITS - 1
NODE_MAX_LENGTH = 64
SERVER_NODE = "server"
# How far ahead of the server's clock a device's HLC may be before it is capped.
MAX_AHEAD_MS = 5 * 60 * 1000

_NODE = re.compile(rf"[0-9A-Za-z._-]{{1,{NODE_MAX_LENGTH}}}")
_TEXT = re.compile(
    rf"(?P<wall>[0-9]{{{WALL_DIGITS}}})-(?P<counter>[0-9a-f]{{{COUNTER_DIGITS}}})-(?P<node>.*)",
    re.DOTALL,
)


class InvalidHlc(ValueError):
    code: ClassVar[str] = "sync.invalid_hlc"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, order=True, slots=True)
class Hlc:
    """Field order is comparison order; `str()` gives the canonical, sortable form."""

    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        # bool is an int; a clock built from True would print as 0000000000001.
        if type(self.wall_ms) is not int or not 0 <= self.wall_ms <= MAX_WALL_MS:
            raise InvalidHlc(f"wall_ms must be an integer from 0 to {MAX_WALL_MS}")
        if type(self.counter) is not int or not 0 <= self.counter <= MAX_COUNTER:
            raise InvalidHlc(f"counter must be an integer from 0 to {MAX_COUNTER}")
        if not isinstance(self.node, str) or not _NODE.fullmatch(self.node):
            raise InvalidHlc(
                f"node must be 1 to {NODE_MAX_LENGTH} characters of A-Z, a-z, 0-9, '.', '_', '-'"
            )

    def __str__(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}x}-{self.node}"


def parse_hlc(text: str) -> Hlc:
    """The inverse of `str(hlc)`; anything but the canonical form raises `InvalidHlc`."""
    if not isinstance(text, str):
        raise InvalidHlc("an HLC is a string")
    match = _TEXT.fullmatch(text)
    if match is None:
        raise InvalidHlc(
            f"expected {WALL_DIGITS} digits, '-', {COUNTER_DIGITS} lowercase hex digits, '-', "
            "a node id"
        )
    return Hlc(int(match["wall"]), int(match["counter"], 16), match["node"])


def now_ms() -> int:
    """The only place that reads the clock, for callers that have no time of their own."""
    return time.time_ns() // 1_000_000


def tick(last: Hlc | None, now_ms: int, node: str) -> Hlc:
    """The clock for a local event or a message about to be sent.

    Strictly later than `last`, even if the wall clock stood still or went back.
    """
    if last is None or now_ms > last.wall_ms:
        return Hlc(now_ms, 0, node)
    return _advance(last.wall_ms, last.counter + 1, node)


def receive(local: Hlc | None, remote: Hlc, now_ms: int, node: str) -> Hlc:
    """The clock after receiving `remote`: later than both it and `local`.

    A remote clock ahead of ours is adopted as it is; the server must `cap` a device's
    clock before merging it, a device trusts the server's.
    """
    wall = max(now_ms, remote.wall_ms, local.wall_ms if local is not None else -1)
    counter = -1
    if wall == remote.wall_ms:
        counter = remote.counter
    if local is not None and wall == local.wall_ms:
        counter = max(counter, local.counter)
    return _advance(wall, counter + 1, node)


def cap(remote: Hlc, max_wall_ms: int) -> Hlc:
    """`remote` with its wall time no later than `max_wall_ms` (server now + `MAX_AHEAD_MS`).

    The counter and node are kept. Capped clocks of one device lose their order among
    themselves and may even become equal; that is acceptable for a device whose clock was
    that far off, since its own ops are ordered by `device_seq`, and a capped clock still
    ties with no other device's.
    """
    if remote.wall_ms <= max_wall_ms:
        return remote
    return Hlc(max_wall_ms, remote.counter, remote.node)


def _advance(wall_ms: int, counter: int, node: str) -> Hlc:
    # A full counter (65,536 events in one millisecond) borrows the next millisecond: the
    # clock runs a little ahead rather than stop being strictly increasing.
    if counter > MAX_COUNTER:
        return Hlc(wall_ms + 1, 0, node)
    return Hlc(wall_ms, counter, node)
