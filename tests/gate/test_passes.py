"""Early-leave passes: the teacher's pass, the parent's confirmation, what stops a pupil at
the gate, exits that stand and what is flagged on them, in any order of the facts."""

import datetime as dt
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.gate.passes import (
    ALREADY_EXITED,
    CANCELLED,
    EXITED_AFTER_CANCEL,
    EXITED_OUTSIDE_WINDOW,
    EXITED_UNCONFIRMED,
    NOT_CONFIRMED,
    OTHER_COLLECTOR,
    OUTSIDE_WINDOW,
    UNKNOWN,
    USED_TWICE,
    LeavePass,
    PassCancelled,
    PassConfirmed,
    PassCreated,
    PassExited,
    PassFact,
    exit_blockers,
    judge_pass,
)

MINUTE = dt.timedelta(minutes=1)
T0 = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)  # 13:00 in Shanghai

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def at(minutes: float) -> dt.datetime:
    return T0 + minutes * MINUTE


def base(kind: str, minutes: float, changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{kind}-{minutes}",
        "pass_id": "p1",
        "device_id": "phone-teacher",
        "person": "teacher-zhao",
        "occurred_at": at(minutes),
    } | changes


def created(minutes: float = 0, **changes: Any) -> PassCreated:
    fields = {
        "pupil": "pupil-42",
        "reason": "dentist",
        "leave_from": at(60),
        "leave_until": at(120),
        "collector": "Li Ming",
    }
    return PassCreated(**base("created", minutes, fields | changes))


def confirmed(minutes: float = 10, **changes: Any) -> PassConfirmed:
    fields = {"parent": "Li Ming", "parent_phone": "13812345678", "channel": "teacher"}
    return PassConfirmed(**base("confirmed", minutes, fields | changes))


def cancelled(minutes: float = 30, **changes: Any) -> PassCancelled:
    return PassCancelled(**base("cancelled", minutes, {"reason": "feels better"} | changes))


def exited(minutes: float = 70, **changes: Any) -> PassExited:
    fields = {"device_id": "gate-1", "person": "gatekeeper", "collected_by": "li ming"}
    return PassExited(**base("exited", minutes, fields | changes))


def judged(*facts: PassFact) -> LeavePass:
    return judge_pass(facts)


def blockers(leave_pass: LeavePass, minutes: float) -> tuple[str, ...]:
    return tuple(fault.code for fault in exit_blockers(leave_pass, at(minutes)))


def test_a_pass_waits_for_the_parent_then_lets_the_pupil_out_in_its_window() -> None:
    waiting = judged(created())
    assert waiting.state == "awaiting_parent"
    assert blockers(waiting, 70) == (NOT_CONFIRMED,)
    ready = judged(created(), confirmed(10, channel="link", person="link-7f3a"))
    assert ready.state == "confirmed" and ready.confirmed is not None
    assert blockers(ready, 70) == ()
    out = judged(created(), confirmed(), exited(70))
    assert (out.state, out.flags) == ("exited", ())
    assert out.exit is not None and out.exit.occurred_at == at(70)


def test_the_window_is_inclusive_at_both_ends() -> None:
    ready = judged(created(), confirmed())
    assert blockers(ready, 60) == () and blockers(ready, 120) == ()
    early, late = exit_blockers(ready, at(59)), exit_blockers(ready, at(121))
    assert [f.code for f in (*early, *late)] == [OUTSIDE_WINDOW, OUTSIDE_WINDOW]
    assert "valid from" in early[0].reason and "expired" in late[0].reason


def test_every_blocker_is_named_at_once() -> None:
    assert blockers(judged(created()), 130) == (NOT_CONFIRMED, OUTSIDE_WINDOW)


def test_a_confirmation_made_after_the_moment_asked_about_does_not_count_yet() -> None:
    assert blockers(judged(created(), confirmed(80)), 70) == (NOT_CONFIRMED,)


def test_a_pass_used_or_cancelled_or_not_yet_here_stops_the_pupil() -> None:
    used = judged(created(), confirmed(), exited(70))
    assert blockers(used, 75) == (ALREADY_EXITED,)
    called_off = judged(created(), confirmed(), cancelled(30))
    assert called_off.state == "cancelled" and blockers(called_off, 70) == (CANCELLED,)
    unknown = judged(confirmed())
    assert unknown.state == "unknown" and blockers(unknown, 70) == (UNKNOWN,)


def test_a_pass_used_twice_keeps_the_first_exit_and_flags_the_second() -> None:
    twice = judged(created(), confirmed(), exited(90, device_id="gate-2"), exited(70))
    assert twice.exit is not None and twice.exit.occurred_at == at(70)
    assert twice.flags == (USED_TWICE,) and twice.set_aside == ("exited-90",)


def test_an_exit_recorded_offline_stands_and_what_was_wrong_is_flagged() -> None:
    unconfirmed = judged(created(), exited(70))
    assert unconfirmed.state == "exited" and unconfirmed.flags == (EXITED_UNCONFIRMED,)
    confirmed_late = judged(created(), exited(70), confirmed(75))
    assert confirmed_late.flags == (EXITED_UNCONFIRMED,)
    too_late = judged(created(), confirmed(), exited(130))
    assert too_late.flags == (EXITED_OUTSIDE_WINDOW,)
    after_cancel = judged(created(), confirmed(), cancelled(30), exited(70))
    assert after_cancel.state == "exited" and after_cancel.flags == (EXITED_AFTER_CANCEL,)
    cancelled_after = judged(created(), confirmed(), exited(70), cancelled(80))
    assert cancelled_after.state == "exited" and cancelled_after.flags == ()


def test_someone_other_than_the_named_collector() -> None:
    assert judged(created(), confirmed(), exited(collected_by="Zhang San")).flags == (
        OTHER_COLLECTOR,
    )
    assert judged(created(), confirmed(), exited(collected_by=" LI  MING ")).flags == ()
    assert judged(created(), confirmed(), exited(collected_by=None)).flags == ()
    alone = judged(created(collector=None), confirmed(), exited(collected_by="Zhang San"))
    assert alone.flags == ()


def test_an_exit_before_the_pass_arrives_is_kept() -> None:
    early = judged(exited(70))
    assert early.state == "exited" and early.flags == (EXITED_UNCONFIRMED,)


def test_a_window_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="ends after it starts"):
        created(leave_until=at(60))


def test_facts_of_two_passes_or_none_are_refused_and_times_carry_zones() -> None:
    with pytest.raises(ValueError, match="at least one fact"):
        judge_pass([])
    with pytest.raises(ValueError, match="more than one pass"):
        judge_pass([created(), confirmed(pass_id="p2")])
    with pytest.raises(ValueError, match="timezone"):
        exit_blockers(judged(created()), at(70).replace(tzinfo=None))


ONE_PASS: list[PassFact] = [
    created(),
    confirmed(10),
    confirmed(12, channel="link", person="link-1", id="again"),
    cancelled(200),
    exited(70),
    exited(72, device_id="gate-2", collected_by="Zhang San"),
]


@FAST
@given(facts=st.lists(st.sampled_from(ONE_PASS), min_size=1, max_size=12).flatmap(st.permutations))
def test_the_pass_is_the_same_in_any_order_and_with_repeats(facts: list[PassFact]) -> None:
    unique = sorted({fact.id: fact for fact in facts}.values(), key=lambda fact: fact.id)
    expected = judge_pass(unique)
    assert judge_pass(facts) == expected
    assert judge_pass(facts + facts[:2]) == expected
    assert exit_blockers(judge_pass(facts), at(70)) == exit_blockers(expected, at(70))


def test_the_same_id_with_other_content_is_settled_the_same_whichever_came_first() -> None:
    one = exited(70)
    other = msgspec.structs.replace(one, collected_by="Zhang San")
    assert judge_pass([created(), one, other]) == judge_pass([other, created(), one])
