"""Pick-up cards: a permanent collector, a temporary one in and out of their days, a stranger,
and a card expired or withdrawn."""

import datetime as dt

import msgspec
import pytest

from server.gate.pickup_cards import (
    CARD_EXPIRED,
    CARD_REVOKED,
    COLLECTOR_EXPIRED,
    COLLECTOR_NOT_YET,
    NOT_A_COLLECTOR,
    Collector,
    PickupCard,
    may_collect,
)

NOON = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)  # 16:00 in Shanghai, home time
DAY = dt.timedelta(days=1)

MOTHER = Collector(key="card-001", name="刘芳", relation="mother")
GRANDPA = Collector(
    key="card-002",
    name="刘建国",
    relation="grandfather",
    valid_from=NOON - DAY,
    valid_until=NOON + 3 * DAY,
)
CARD = PickupCard(child="pupil-7", collectors=(MOTHER, GRANDPA), valid_until=NOON + 200 * DAY)


def codes(card: PickupCard, person: str, at: dt.datetime) -> tuple[str, ...]:
    return tuple(fault.code for fault in may_collect(card, person, at).faults)


def test_a_permanent_collector_may_collect() -> None:
    answer = may_collect(CARD, "card-001", NOON)
    assert answer.allowed and answer.collector == MOTHER and answer.faults == ()
    assert not MOTHER.temporary and GRANDPA.temporary


def test_a_temporary_collector_within_their_days_and_not_outside_them() -> None:
    assert may_collect(CARD, "card-002", NOON).allowed
    assert codes(CARD, "card-002", NOON - 2 * DAY) == (COLLECTOR_NOT_YET,)
    assert codes(CARD, "card-002", NOON + 3 * DAY) == (COLLECTOR_EXPIRED,)  # the end is out
    late = may_collect(CARD, "card-002", NOON + 4 * DAY)
    assert not late.allowed and late.collector == GRANDPA


def test_someone_not_on_the_card() -> None:
    answer = may_collect(CARD, "card-999", NOON)
    assert not answer.allowed and answer.collector is None
    assert answer.faults[0].code == NOT_A_COLLECTOR


def test_an_expired_or_withdrawn_card_stops_everyone() -> None:
    expired = PickupCard(child="pupil-7", collectors=(MOTHER,), valid_until=NOON)
    assert codes(expired, "card-001", NOON) == (CARD_EXPIRED,)
    assert codes(expired, "card-999", NOON) == (CARD_EXPIRED, NOT_A_COLLECTOR)
    withdrawn = PickupCard(child="pupil-7", collectors=(MOTHER,), revoked=True)
    assert codes(withdrawn, "card-001", NOON) == (CARD_REVOKED,)


def test_a_card_and_its_collectors_must_be_consistent() -> None:
    with pytest.raises(ValueError, match="share a key"):
        PickupCard(child="pupil-7", collectors=(MOTHER, MOTHER))
    with pytest.raises(ValueError, match="ends after it starts"):
        Collector(key="k", name="n", valid_from=NOON, valid_until=NOON)
    with pytest.raises(ValueError, match="timezone"):
        may_collect(CARD, "card-001", NOON.replace(tzinfo=None))


def test_a_card_not_yet_valid_refuses_even_a_permanent_collector() -> None:
    from server.gate.pickup_cards import CARD_NOT_YET

    card = msgspec.structs.replace(CARD, valid_from=NOON + DAY)
    assert codes(card, "card-001", NOON) == (CARD_NOT_YET,)
    assert may_collect(card, "card-001", NOON + DAY).allowed
    with pytest.raises(ValueError):
        PickupCard(child="pupil-7", collectors=(), valid_from=NOON, valid_until=NOON)
