"""Pick-up cards (接送卡): who may collect a small child, and whether they may now.

A card is reference data the school keeps (not facts from the gate): the child, the
card's own validity (commonly the school year), and the collectors, each with the code of
the card or QR they show at the gate. A temporary collector (a grandparent for a week)
carries a `valid_until`; a permanent one none. A card is checked against who is standing
at the gate, so every refusal says why, and none of them is overridden here: the
gatekeeper phones the parent, and a new temporary collector is added to the card.
"""

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from server.gate.faults import Fault

Instant = Annotated[dt.datetime, Meta(tz=True)]

CARD_EXPIRED = "card.expired"
CARD_NOT_YET = "card.not_yet_valid"
CARD_REVOKED = "card.revoked"
NOT_A_COLLECTOR = "card.not_a_collector"
COLLECTOR_EXPIRED = "card.collector_expired"
COLLECTOR_NOT_YET = "card.collector_not_yet_valid"


class Collector(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`key` is what the gate reads from the collector's card or phone (the card's code)."""

    key: Annotated[str, Meta(min_length=1, max_length=64)]
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    relation: Annotated[str, Meta(max_length=50)] = ""
    valid_from: Instant | None = None
    valid_until: Instant | None = None

    def __post_init__(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("a collector's validity ends after it starts")

    @property
    def temporary(self) -> bool:
        return self.valid_until is not None


class PickupCard(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    child: Annotated[str, Meta(min_length=1, max_length=100)]
    collectors: Annotated[tuple[Collector, ...], Meta(max_length=20)]
    valid_from: Instant | None = None
    valid_until: Instant | None = None
    revoked: bool = False

    def __post_init__(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("a card's validity ends after it starts")
        keys = [collector.key for collector in self.collectors]
        if len(keys) != len(set(keys)):
            raise ValueError("two collectors of one card share a key")


class Collection(msgspec.Struct, frozen=True, kw_only=True):
    """`collector` is the card's entry for the person, when they have one."""

    allowed: bool
    collector: Collector | None
    faults: tuple[Fault, ...]


def may_collect(card: PickupCard, person: str, at: dt.datetime) -> Collection:
    """Whether the holder of `person` (a collector's key) may collect the card's child at
    `at`. Validity ends are exclusive: a temporary collector until Friday 18:00 may not
    collect at 18:00."""
    if at.tzinfo is None:
        raise ValueError("at must carry its timezone")
    faults = []
    if card.revoked:
        faults.append(Fault(code=CARD_REVOKED, reason="this pick-up card was withdrawn"))
    elif card.valid_from is not None and at < card.valid_from:
        faults.append(
            Fault(code=CARD_NOT_YET, reason=f"the card is valid from {card.valid_from.isoformat()}")
        )
    elif card.valid_until is not None and at >= card.valid_until:
        faults.append(
            Fault(code=CARD_EXPIRED, reason=f"the card expired {card.valid_until.isoformat()}")
        )
    collector = next((c for c in card.collectors if c.key == person), None)
    if collector is None:
        faults.append(
            Fault(code=NOT_A_COLLECTOR, reason="not among the child's authorised collectors")
        )
    elif collector.valid_from is not None and at < collector.valid_from:
        faults.append(
            Fault(
                code=COLLECTOR_NOT_YET,
                reason=f"may collect from {collector.valid_from.isoformat()}",
            )
        )
    elif collector.valid_until is not None and at >= collector.valid_until:
        faults.append(
            Fault(
                code=COLLECTOR_EXPIRED,
                reason=f"could collect until {collector.valid_until.isoformat()}",
            )
        )
    return Collection(allowed=not faults, collector=collector, faults=tuple(faults))
