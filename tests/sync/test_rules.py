import itertools
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.hlc import Hlc
from sync.rules import (
    SKEW_FLAG_MS,
    cap_and_skew,
    classify_seq,
    content_digest,
    fact_outcome,
    judge_transition,
    last_writer_wins,
    plan_batch,
)

DEVICE = "0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"
SERVER_NOW = datetime(2025, 3, 15, 8, 30, tzinfo=UTC)
SERVER_MS = 1_742_027_400_000


@pytest.mark.parametrize(
    ("seq", "last", "verdict"),
    [
        (1, 0, "next"),
        (6, 5, "next"),
        (5, 5, "replay"),
        (1, 5, "replay"),
        (7, 5, "gap"),
        (2, 0, "gap"),
    ],
)
def test_classify_seq(seq: int, last: int, verdict: str) -> None:
    assert classify_seq(seq, last) == verdict


def test_plan_batch_advances_through_consecutive_ops() -> None:
    assert plan_batch([6, 7, 8], 5) == ["next", "next", "next"]


def test_plan_batch_of_nothing() -> None:
    assert plan_batch([], 5) == []


def test_plan_batch_replays_what_was_applied_before() -> None:
    assert plan_batch([4, 5, 6], 5) == ["replay", "replay", "next"]


def test_plan_batch_op_repeated_in_the_batch_is_a_replay_of_the_first() -> None:
    assert plan_batch([6, 6, 7, 6], 5) == ["next", "replay", "next", "replay"]


def test_plan_batch_everything_after_a_gap_is_a_gap() -> None:
    # 7 would be next once 8 is skipped, and 3 a replay: neither is looked at after the gap.
    assert plan_batch([6, 8, 7, 3], 5) == ["next", "gap", "gap", "gap"]


def test_plan_batch_starting_with_a_gap() -> None:
    assert plan_batch([7, 8], 5) == ["gap", "gap"]


def test_plan_batch_out_of_order_is_a_gap_until_resent_in_order() -> None:
    assert plan_batch([7, 6], 5) == ["gap", "gap"]


def test_plan_batch_for_a_new_device() -> None:
    assert plan_batch([1, 2, 3], 0) == ["next", "next", "next"]


@given(st.integers(0, 1000), st.lists(st.integers(1, 1010), max_size=40))
def test_plan_batch_applies_each_seq_at_most_once_and_in_order(last: int, seqs: list[int]) -> None:
    plan = plan_batch(seqs, last)
    assert len(plan) == len(seqs)
    applied = [seq for seq, verdict in zip(seqs, plan, strict=True) if verdict == "next"]
    assert applied == list(range(last + 1, last + 1 + len(applied)))
    if "gap" in plan:
        first = plan.index("gap")
        assert set(plan[first:]) == {"gap"}


def test_fact_outcome() -> None:
    assert fact_outcome(None, "abc") == "new"
    assert fact_outcome("abc", "abc") == "duplicate"
    assert fact_outcome("abc", "abd") == "conflict"


class Body(msgspec.Struct, frozen=True, kw_only=True):
    answers: dict[str, str]
    note: str | None = None


def test_content_digest_ignores_key_order_and_whitespace_of_the_body() -> None:
    one = msgspec.json.decode(b'{"answers": {"a": "x", "b": "y"}}', type=Body)
    two = msgspec.json.decode(b'{"note":null,"answers":{"b":"y","a":"x"}}', type=Body)
    assert content_digest(one) == content_digest(two)
    assert content_digest({"b": 1, "a": 2}) == content_digest({"a": 2, "b": 1})


def test_content_digest_sees_a_changed_value() -> None:
    one = Body(answers={"a": "x"})
    assert content_digest(one) != content_digest(Body(answers={"a": "y"}))
    assert content_digest(one) != content_digest(Body(answers={"a": "x"}, note="n"))


def test_content_digest_is_sha256_hex() -> None:
    digest = content_digest({"a": 1})
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_cap_and_skew_for_a_good_clock() -> None:
    hlc = Hlc(SERVER_MS + 250, 0, DEVICE)
    check = cap_and_skew(SERVER_NOW + timedelta(milliseconds=250), SERVER_NOW, hlc)
    assert check == (hlc, 250, False)


def test_cap_and_skew_caps_a_clock_days_ahead_and_flags_it() -> None:
    hlc = Hlc(SERVER_MS + 3 * 86_400_000, 2, DEVICE)
    capped, skew, flagged = cap_and_skew(SERVER_NOW + timedelta(days=3), SERVER_NOW, hlc)
    assert capped == Hlc(SERVER_MS + 5 * 60_000, 2, DEVICE)
    assert skew == 3 * 86_400_000
    assert flagged


def test_cap_and_skew_flags_a_clock_behind_without_touching_its_hlc() -> None:
    hlc = Hlc(SERVER_MS - 86_400_000, 0, DEVICE)
    check = cap_and_skew(SERVER_NOW - timedelta(days=1), SERVER_NOW, hlc)
    assert check.hlc is hlc
    assert check.skew_ms == -86_400_000
    assert check.flagged


def test_cap_and_skew_threshold_is_exclusive() -> None:
    hlc = Hlc(SERVER_MS, 0, DEVICE)
    at = timedelta(milliseconds=SKEW_FLAG_MS)
    assert not cap_and_skew(SERVER_NOW + at, SERVER_NOW, hlc).flagged
    assert not cap_and_skew(SERVER_NOW - at, SERVER_NOW, hlc).flagged
    assert cap_and_skew(SERVER_NOW + at + timedelta(milliseconds=1), SERVER_NOW, hlc).flagged


def test_cap_and_skew_flags_a_capped_hlc_even_when_the_clock_is_right_now() -> None:
    hlc = Hlc(SERVER_MS + 10 * 60_000, 0, DEVICE)
    check = cap_and_skew(SERVER_NOW, SERVER_NOW, hlc)
    assert check.skew_ms == 0
    assert check.hlc.wall_ms == SERVER_MS + 5 * 60_000
    assert check.flagged


def test_cap_and_skew_compares_instants_across_offsets() -> None:
    shanghai = timezone(timedelta(hours=8))
    hlc = Hlc(SERVER_MS, 0, DEVICE)
    check = cap_and_skew(SERVER_NOW.astimezone(shanghai), SERVER_NOW, hlc)
    assert check == (hlc, 0, False)


def test_cap_and_skew_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="offset"):
        cap_and_skew(SERVER_NOW.replace(tzinfo=None), SERVER_NOW, Hlc(SERVER_MS, 0, DEVICE))


def test_rule_18_a_transition_from_the_current_version_is_applied():
    assert judge_transition(legal=True, base_version=4, current_version=4) == "applied"


def test_rule_19_a_stale_transition_that_is_still_legal_is_applied_as_parallel():
    assert judge_transition(legal=True, base_version=2, current_version=4) == "parallel"


def test_rule_20_an_illegal_transition_is_a_conflict_whatever_its_base():
    for base in (2, 4):
        assert judge_transition(legal=False, base_version=base, current_version=4) == "conflict"
    # A base the server never issued cannot come from a correct device.
    assert judge_transition(legal=True, base_version=5, current_version=4) == "conflict"


def test_rule_21_last_writer_wins_by_clock_and_every_arrival_order_agrees():
    node_a, node_b = "0192a3b4-0000-7000-8000-00000000000a", "0192a3b4-0000-7000-8000-00000000000b"
    early = str(Hlc(1_800_000_000_000, 0, node_b))
    late = str(Hlc(1_800_000_000_001, 0, node_a))
    same_ms_a = str(Hlc(1_800_000_000_002, 0, node_a))
    same_ms_b = str(Hlc(1_800_000_000_002, 0, node_b))
    assert last_writer_wins(None, early)
    assert last_writer_wins(early, late) and not last_writer_wins(late, early)
    assert last_writer_wins(same_ms_a, same_ms_b) and not last_writer_wins(same_ms_b, same_ms_a)
    assert not last_writer_wins(late, late)
    writes = [early, same_ms_b, late, same_ms_a]
    for order in itertools.permutations(writes):
        winner = None
        for hlc in order:
            if last_writer_wins(winner, hlc):
                winner = hlc
        assert winner == same_ms_b
