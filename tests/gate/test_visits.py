"""A visit's state from its facts: every state, consent from the host or a manager, check-ins
and check-outs twice or out of order, the day's anomalies, and the same visit whatever
order or repetition its facts arrive in."""

import datetime as dt
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.gate.visits import (
    APPROVED_AFTER_REFUSAL,
    CHECKED_IN_TWICE,
    CHECKED_OUT_TWICE,
    CHECKED_OUT_UNSIGNED,
    NEVER_APPROVED,
    NOT_CHECKED_IN,
    NOT_CHECKED_OUT,
    NOT_HOST,
    OUT_BEFORE_IN,
    OVERSTAY,
    REFUSED_AFTER_APPROVAL,
    REQUIRED_FIELD_MISSING,
    VEHICLE_NOT_ALLOWED,
    WATCHLIST_MATCH,
    Fact,
    Visit,
    VisitApproved,
    VisitCheckedIn,
    VisitCheckedOut,
    VisitFact,
    VisitRefused,
    VisitSigned,
    VisitWatchDecided,
    anomalies,
    judge_visit,
    judge_visits,
    still_inside,
)

UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
T0 = dt.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
CLOSING = dt.datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def at(minutes: float) -> dt.datetime:
    return T0 + minutes * MINUTE


def checked_in(minutes: float = 0, **changes: Any) -> VisitCheckedIn:
    fields: dict[str, Any] = {
        "id": f"in-{minutes}",
        "visit_id": "v1",
        "device_id": "gate-1",
        "person": "gatekeeper",
        "occurred_at": at(minutes),
        "visitor": "王先生",
        "host": "teacher-li",
        "party_size": 2,
        "purpose": "parent meeting",
        "badge": "V-07",
        "expected_stay_minutes": 60,
    }
    return VisitCheckedIn(**(fields | changes))


def approved(minutes: float = 2, *, by: str = "teacher-li", **changes: Any) -> VisitApproved:
    fields: dict[str, Any] = {
        "id": f"ok-{minutes}-{by}",
        "visit_id": "v1",
        "device_id": "phone-li",
        "person": by,
        "occurred_at": at(minutes),
        "by": by,
        "channel": "app",
    }
    return VisitApproved(**(fields | changes))


def by_phone(minutes: float = 2, *, by: str = "teacher-li") -> VisitApproved:
    return approved(minutes, by=by, person="gatekeeper", device_id="gate-1", channel="phone")


def refused(minutes: float = 3, *, by: str = "teacher-li", **changes: Any) -> VisitRefused:
    fields: dict[str, Any] = {
        "id": f"no-{minutes}-{by}",
        "visit_id": "v1",
        "device_id": "phone-li",
        "person": by,
        "occurred_at": at(minutes),
        "by": by,
        "channel": "app",
        "reason": "not expecting anyone",
    }
    return VisitRefused(**(fields | changes))


def checked_out(minutes: float = 45, **changes: Any) -> VisitCheckedOut:
    fields: dict[str, Any] = {
        "id": f"out-{minutes}",
        "visit_id": "v1",
        "device_id": "gate-1",
        "person": "gatekeeper",
        "occurred_at": at(minutes),
        "method": "slip",
    }
    return VisitCheckedOut(**(fields | changes))


def judged(*facts: VisitFact, managers: frozenset[str] = frozenset()) -> Visit:
    return judge_visit(facts, managers=managers)


# --- states --------------------------------------------------------------------------------


def test_a_visitor_waits_for_the_host_then_goes_in_then_leaves() -> None:
    waiting = judged(checked_in())
    assert (waiting.state, waiting.consent, waiting.entered_at) == ("pending", "pending", None)
    inside = judged(checked_in(), approved(2))
    assert (inside.state, inside.consent, inside.decided_by) == ("inside", "approved", "teacher-li")
    assert inside.entered_at == at(2) and inside.expected_until == at(62)
    left = judged(checked_in(), approved(2), checked_out(45))
    assert (left.state, left.checked_out_at, left.flags) == ("left", at(45), ())


def test_the_host_refuses_and_the_refusal_is_kept() -> None:
    visit = judged(checked_in(), refused(3))
    assert (visit.state, visit.consent, visit.refused_at) == ("refused", "refused", at(3))
    left = judged(checked_in(), refused(3), checked_out(5))
    assert (left.state, left.consent, left.refused_at) == ("left", "refused", at(3))


def test_an_approval_by_phone_is_recorded_by_the_gatekeeper_in_the_hosts_name() -> None:
    visit = judged(checked_in(), by_phone(4))
    assert visit.state == "inside" and visit.decided_by == "teacher-li"
    assert visit.approved_at == at(4)


def test_a_decision_in_the_app_is_made_by_whoever_records_it() -> None:
    with pytest.raises(ValueError, match="recorded by the one who made it"):
        approved(2, person="gatekeeper")
    encoded = msgspec.json.encode(approved(2)).replace(b'"person":"teacher-li"', b'"person":"x"')
    with pytest.raises(msgspec.ValidationError, match="recorded by the one who made it"):
        msgspec.json.decode(encoded, type=Fact)


def test_an_approval_before_the_check_in_is_an_expected_visitor() -> None:
    expected = judged(approved(-30))
    assert (expected.state, expected.check_in, expected.entered_at) == ("approved", None, None)
    arrived = judged(approved(-30), checked_in(0))
    assert arrived.state == "inside" and arrived.entered_at == at(0)
    assert arrived.expected_until == at(60)
    assert judged(refused(-30)).state == "refused"


def test_the_stay_runs_from_the_later_of_check_in_and_approval() -> None:
    assert judged(checked_in(0), approved(20)).expected_until == at(80)
    no_stay = judged(checked_in(0, expected_stay_minutes=None), approved(20))
    assert no_stay.entered_at == at(20) and no_stay.expected_until is None


# --- who may decide ------------------------------------------------------------------------


def test_a_decision_by_someone_other_than_the_host_or_a_manager_is_set_aside() -> None:
    visit = judged(checked_in(), approved(2, by="teacher-wang"))
    assert (visit.state, visit.consent) == ("pending", "pending")
    assert visit.flags == (NOT_HOST,) and visit.set_aside == ("ok-2-teacher-wang",)
    refusal = judged(checked_in(), refused(2, by="teacher-wang"), approved(3))
    assert refusal.state == "inside" and refusal.flags == (NOT_HOST,)


def test_a_manager_may_decide_for_any_host() -> None:
    visit = judged(checked_in(), by_phone(2, by="director"), managers=frozenset({"director"}))
    assert visit.state == "inside" and visit.decided_by == "director" and visit.flags == ()


def test_decisions_count_until_the_check_in_naming_the_host_arrives() -> None:
    early = judged(approved(2, by="teacher-wang"))
    assert early.state == "approved"
    later = judged(approved(2, by="teacher-wang"), checked_in())
    assert later.state == "pending" and later.flags == (NOT_HOST,)


# --- refusal and approval together ---------------------------------------------------------


def test_a_refusal_is_final_and_a_later_approval_is_set_aside() -> None:
    visit = judged(checked_in(), refused(3), approved(10))
    assert (visit.state, visit.consent, visit.approved_at) == ("refused", "refused", None)
    assert visit.flags == (APPROVED_AFTER_REFUSAL,) and visit.set_aside == ("ok-10-teacher-li",)


def test_a_refusal_after_an_approval_keeps_the_visitor_on_the_inside_list() -> None:
    visit = judged(checked_in(), approved(2), refused(10))
    assert (visit.state, visit.consent) == ("inside", "refused")
    assert visit.approved_at == at(2) and visit.refused_at == at(10)
    assert visit.flags == (REFUSED_AFTER_APPROVAL,) and visit.decided_by == "teacher-li"
    assert still_inside([visit]) == [visit]


def test_a_refusal_and_an_approval_at_the_same_instant_are_settled_by_their_ids() -> None:
    same = judged(checked_in(), approved(5, id="a"), refused(5, id="b"))
    assert same.state == "inside" and same.flags == (REFUSED_AFTER_APPROVAL,)
    other = judged(checked_in(), approved(5, id="b"), refused(5, id="a"))
    assert other.state == "refused" and other.flags == (APPROVED_AFTER_REFUSAL,)


# --- out of order and twice ----------------------------------------------------------------


def test_a_check_out_that_arrives_before_its_check_in_is_kept_and_resolved() -> None:
    alone = judged(checked_out(45))
    assert (alone.state, alone.checked_out_at, alone.flags) == ("left", at(45), (NOT_CHECKED_IN,))
    resolved = judged(checked_out(45), checked_in(), approved(2))
    assert (resolved.state, resolved.flags) == ("left", ())
    assert resolved.check_in == checked_in()


def test_two_check_outs_keep_the_earliest_and_flag_the_other() -> None:
    visit = judged(checked_in(), approved(2), checked_out(50, device_id="gate-2"), checked_out(45))
    assert visit.checked_out_at == at(45)
    assert visit.flags == (CHECKED_OUT_TWICE,) and visit.set_aside == ("out-50",)


def test_two_check_ins_keep_the_earliest_and_flag_the_other() -> None:
    visit = judged(checked_in(1, device_id="gate-2", badge="V-09"), checked_in(0), approved(2))
    assert visit.check_in is not None and visit.check_in.badge == "V-07"
    assert visit.flags == (CHECKED_IN_TWICE,) and visit.set_aside == ("in-1",)


def test_a_check_out_before_the_check_in_by_device_time_is_flagged() -> None:
    visit = judged(checked_in(10), approved(11), checked_out(5))
    assert visit.state == "left" and visit.flags == (OUT_BEFORE_IN,)


def test_facts_of_two_visits_or_none_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one fact"):
        judge_visit([])
    with pytest.raises(ValueError, match="more than one visit"):
        judge_visit([checked_in(), approved(2, visit_id="v2")])


def test_the_same_id_with_other_content_is_settled_the_same_whichever_came_first() -> None:
    one = checked_in()
    other = msgspec.structs.replace(one, host="teacher-wang")
    assert judge_visit([one, other]) == judge_visit([other, one])


# --- many visits ---------------------------------------------------------------------------


def of(visit_id: str, *facts: VisitFact) -> list[VisitFact]:
    return [
        msgspec.structs.replace(fact, id=f"{visit_id}-{fact.id}", visit_id=visit_id)
        for fact in facts
    ]


A_DAY = [
    *of("a-inside", checked_in(0), approved(2)),
    *of("b-left", checked_in(5), approved(6), checked_out(30)),
    *of("c-pending", checked_in(10)),
    *of("d-refused", checked_in(15), refused(16)),
    *of("e-overstay", checked_in(20, expected_stay_minutes=30), by_phone(21)),
    *of("f-left-late", checked_in(25, expected_stay_minutes=30), approved(26), checked_out(90)),
    *of("g-out-only", checked_out(100)),
    *of("h-after-closing", checked_in(600), approved(601)),
    *of("i-left-after-closing", checked_in(1), approved(3), checked_out(560)),
    *of("j-gave-up", checked_in(40), checked_out(70)),
    *of("k-early", checked_in(0), approved(1)),
]


def test_visits_are_judged_one_by_one_in_order_of_their_ids() -> None:
    visits = judge_visits(A_DAY)
    assert list(visits) == sorted({fact.visit_id for fact in A_DAY})
    assert visits["c-pending"].state == "pending" and visits["b-left"].state == "left"


def test_still_inside_is_the_approved_not_checked_out_longest_there_first() -> None:
    inside = still_inside(judge_visits(A_DAY).values())
    assert [visit.visit_id for visit in inside] == [
        "k-early",
        "a-inside",
        "e-overstay",
        "h-after-closing",
    ]


def test_the_days_anomalies_at_closing_time() -> None:
    found = anomalies(judge_visits(A_DAY).values(), CLOSING)
    assert [(a.visit_id, a.code, a.at) for a in found] == [
        ("c-pending", NEVER_APPROVED, at(10)),
        ("j-gave-up", NEVER_APPROVED, at(40)),
        ("e-overstay", OVERSTAY, at(51)),
        ("f-left-late", OVERSTAY, at(56)),
        ("k-early", OVERSTAY, at(61)),
        ("a-inside", OVERSTAY, at(62)),
        ("i-left-after-closing", OVERSTAY, at(63)),  # out only after closing time
        ("g-out-only", NOT_CHECKED_IN, at(100)),
        ("a-inside", NOT_CHECKED_OUT, CLOSING),
        ("c-pending", NOT_CHECKED_OUT, CLOSING),
        ("e-overstay", NOT_CHECKED_OUT, CLOSING),
        ("i-left-after-closing", NOT_CHECKED_OUT, CLOSING),
        ("k-early", NOT_CHECKED_OUT, CLOSING),
    ]
    overstay = found[2]
    assert (overstay.visitor, overstay.host) == ("王先生", "teacher-li")
    assert found[7].visitor is None and found[7].host is None


def test_a_stay_without_an_agreed_length_never_overstays() -> None:
    visit = judged(checked_in(expected_stay_minutes=None), approved(2))
    assert [a.code for a in anomalies([visit], CLOSING)] == [NOT_CHECKED_OUT]


def test_an_approval_after_closing_time_is_not_yet_made_at_closing_time() -> None:
    visit = judged(checked_in(0), approved(541))
    assert [a.code for a in anomalies([visit], CLOSING)] == [NEVER_APPROVED, NOT_CHECKED_OUT]


def test_a_refusal_after_approval_still_needs_a_check_out() -> None:
    visit = judged(checked_in(0, expected_stay_minutes=None), approved(2), refused(5))
    assert [a.code for a in anomalies([visit], CLOSING)] == [
        REFUSED_AFTER_APPROVAL,
        NOT_CHECKED_OUT,
    ]


def test_the_closing_time_must_carry_its_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        anomalies([], CLOSING.replace(tzinfo=None))


# --- the visit does not depend on arrival --------------------------------------------------

ONE_VISIT: list[VisitFact] = [
    checked_in(0),
    checked_in(1, device_id="gate-2"),
    approved(-5, by="teacher-wang"),
    by_phone(2),
    refused(8),
    approved(9),
    checked_out(40, device_id="gate-2"),
    checked_out(30),
]


@FAST
@given(facts=st.lists(st.sampled_from(ONE_VISIT), min_size=1, max_size=16).flatmap(st.permutations))
def test_the_visit_is_the_same_in_any_order_and_with_repeats(facts: list[VisitFact]) -> None:
    unique = sorted({fact.id: fact for fact in facts}.values(), key=lambda fact: fact.id)
    expected = judge_visit(unique)
    assert judge_visit(facts) == expected
    assert judge_visit(facts + facts[:3]) == expected
    assert anomalies([judge_visit(facts)], CLOSING) == anomalies([expected], CLOSING)


@FAST
@given(order=st.permutations(A_DAY))
def test_every_order_of_a_day_gives_one_register(order: list[VisitFact]) -> None:
    assert judge_visits(order) == judge_visits(A_DAY)
    visits = judge_visits(order).values()
    assert anomalies(visits, CLOSING) == anomalies(judge_visits(A_DAY).values(), CLOSING)


# --- the watchlist, the settings noted on the facts, the host's signature -------------------


def watch(minutes: float = 5, decision: str = "admit", **changes: Any) -> VisitWatchDecided:
    fields: dict[str, Any] = {
        "id": f"watch-{minutes}-{decision}",
        "visit_id": "v1",
        "device_id": "gate-1",
        "person": "gatekeeper",
        "occurred_at": at(minutes),
        "by": "manager-zhao",
        "channel": "phone",
        "decision": decision,
    }
    return VisitWatchDecided(**(fields | changes))


def signed(minutes: float = 20, **changes: Any) -> VisitSigned:
    fields: dict[str, Any] = {
        "id": f"sig-{minutes}",
        "visit_id": "v1",
        "device_id": "phone-li",
        "person": "teacher-li",
        "occurred_at": at(minutes),
    }
    return VisitSigned(**(fields | changes))


def test_a_watchlist_match_waits_for_a_manager_whatever_the_host_says() -> None:
    waiting = judged(checked_in(watch_match=True), approved(2))
    assert (waiting.state, waiting.consent, waiting.watch) == ("pending", "approved", "match")
    assert waiting.flags == (WATCHLIST_MATCH,) and waiting.entered_at is None
    assert still_inside([waiting]) == []
    admitted = judged(checked_in(watch_match=True), approved(2), watch(5))
    assert (admitted.state, admitted.watch, admitted.flags) == ("inside", "admitted", ())
    assert admitted.watch_decided_by == "manager-zhao"
    assert admitted.entered_at == at(5) and admitted.expected_until == at(65)
    host_first = judged(checked_in(watch_match=True), watch(1), approved(4))
    assert (host_first.state, host_first.entered_at) == ("inside", at(4))


def test_a_denial_is_final_and_refuses_the_visit() -> None:
    denied = judged(checked_in(watch_match=True), approved(2), watch(5, "admit"), watch(6, "deny"))
    assert (denied.state, denied.watch, denied.watch_decided_by) == (
        "refused",
        "denied",
        "manager-zhao",
    )
    assert denied.set_aside == ("watch-5-admit",) and denied.entered_at is None
    assert [a.code for a in anomalies([denied], CLOSING)] == []
    left = judged(checked_in(watch_match=True), watch(6, "deny"), checked_out(10))
    assert (left.state, left.watch) == ("left", "denied")


def test_watch_decisions_on_a_visit_that_matched_nothing_are_set_aside() -> None:
    visit = judged(checked_in(), approved(2), watch(5, "deny"))
    assert (visit.state, visit.watch, visit.set_aside) == ("inside", "none", ("watch-5-deny",))
    early = judged(watch(5, "deny"))
    assert (early.state, early.watch, early.set_aside) == ("pending", "none", ())


def test_what_the_settings_asked_is_flagged_never_refused() -> None:
    lacking = judged(
        checked_in(missing_fields=("phone",), plate="京A12345", vehicles_allowed=False)
    )
    assert lacking.state == "pending"
    assert lacking.flags == (REQUIRED_FIELD_MISSING, VEHICLE_NOT_ALLOWED)
    allowed = judged(checked_in(plate="京A12345"))
    assert allowed.flags == ()
    no_car = judged(checked_in(vehicles_allowed=False))
    assert no_car.flags == ()


def test_a_check_out_before_any_signature_is_flagged_where_one_was_wanted() -> None:
    unsigned = judged(checked_in(), approved(2), checked_out(45, sign_required=True))
    assert (unsigned.state, unsigned.flags) == ("left", (CHECKED_OUT_UNSIGNED,))
    signed_first = judged(
        checked_in(), approved(2), signed(20), checked_out(45, sign_required=True)
    )
    assert (signed_first.flags, signed_first.signed_at) == ((), at(20))
    signed_late = judged(checked_in(), approved(2), checked_out(45, sign_required=True), signed(50))
    assert signed_late.flags == (CHECKED_OUT_UNSIGNED,)
    not_wanted = judged(checked_in(), approved(2), checked_out(45))
    assert not_wanted.flags == () and not_wanted.signed_at is None


WATCHED_VISIT: list[VisitFact] = [
    checked_in(0, watch_match=True, missing_fields=("badge",)),
    checked_in(1, device_id="gate-2"),
    approved(2),
    watch(3, "admit"),
    watch(6, "deny"),
    signed(20),
    signed(50),
    checked_out(45, sign_required=True),
    checked_out(30, device_id="gate-2"),
]


@FAST
@given(
    facts=st.lists(st.sampled_from(WATCHED_VISIT), min_size=1, max_size=18).flatmap(st.permutations)
)
def test_a_watched_visit_is_the_same_in_any_order_and_with_repeats(facts: list[VisitFact]) -> None:
    unique = sorted({fact.id: fact for fact in facts}.values(), key=lambda fact: fact.id)
    expected = judge_visit(unique)
    assert judge_visit(facts) == expected
    assert judge_visit(facts + facts[:3]) == expected
    assert anomalies([judge_visit(facts)], CLOSING) == anomalies([expected], CLOSING)
