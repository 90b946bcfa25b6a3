"""Round windows across midnight and clock changes, who is on duty, and how a round is judged:
every state and flag, and the same verdict whatever order the facts arrive in."""

import datetime as dt
from itertools import pairwise
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checklists import SchoolCalendar, Term
from server.patrols.judging import (
    CheckpointScanned,
    RoundCancelled,
    RoundCountersigned,
    RoundExplained,
    RoundFact,
    RoundFinished,
    RoundStarted,
    TagState,
    judge,
)
from server.patrols.routes import Checkpoint, Position, RouteVersion, version_started_on
from server.patrols.windows import (
    Days,
    Duty,
    FixedTimes,
    FixedWindow,
    ForPeople,
    ForRole,
    ForRoster,
    OnDuty,
    RepeatingTimes,
    RoundSchedule,
    RoundWindow,
    Substitute,
    round_windows,
    who_is_due,
)

D = dt.date
UTC = dt.UTC
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
SHANGHAI = "Asia/Shanghai"
BERLIN = "Europe/Berlin"

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- windows -------------------------------------------------------------------------------


def fixed(*windows: FixedWindow, days: Days = "every_day") -> RoundSchedule:
    return RoundSchedule(
        key="five-rounds",
        route="main",
        times=FixedTimes(windows=windows),
        who=ForRole(role="guard"),
        days=days,
    )


def night(every: int = 120, start: str = "22:00", end: str = "06:00") -> RoundSchedule:
    return RoundSchedule(
        key="night",
        route="dorms",
        times=RepeatingTimes(every_minutes=every, start=start, end=end, grace_minutes=15),
        who=ForRole(role="guard"),
    )


FIVE_ROUNDS = tuple(
    FixedWindow(start=start, duration_minutes=45, grace_minutes=15)
    for start in ("07:30", "10:00", "12:30", "15:00", "17:30")
)


def test_five_fixed_windows_a_day_in_shanghai() -> None:
    found = round_windows(fixed(*FIVE_ROUNDS), None, D(2026, 11, 23), D(2026, 11, 23), SHANGHAI)
    assert [w.key for w in found] == [
        "2026-11-23T07:30",
        "2026-11-23T10:00",
        "2026-11-23T12:30",
        "2026-11-23T15:00",
        "2026-11-23T17:30",
    ]
    first = found[0]
    assert (first.start, first.end, first.grace_end) == (
        at(2026, 11, 22, 23, 30),
        at(2026, 11, 23, 0, 15),
        at(2026, 11, 23, 0, 30),
    )


def test_night_rounds_cross_midnight_in_shanghai_and_belong_to_the_evening() -> None:
    found = round_windows(night(), None, D(2026, 11, 23), D(2026, 11, 23), SHANGHAI)
    assert [w.key for w in found] == [
        "2026-11-23T22:00",
        "2026-11-23T00:00+1",
        "2026-11-23T02:00+1",
        "2026-11-23T04:00+1",
    ]
    assert {w.local_date for w in found} == {D(2026, 11, 23)}
    assert found[0].start == at(2026, 11, 23, 14) and found[-1].end == at(2026, 11, 23, 22)
    assert all(w.end - w.start == 2 * HOUR for w in found)
    assert all(w.grace_end - w.end == 15 * MINUTE for w in found)


@pytest.mark.parametrize(
    ("evening", "lengths"),
    [
        (D(2026, 3, 28), [2, 2, 1, 2]),  # spring forward: 02:00 is 03:00
        (D(2026, 10, 24), [2, 2, 3, 2]),  # fall back: 02:00-03:00 happens twice
    ],
)
def test_night_rounds_in_berlin_tile_the_night_when_clocks_change(
    evening: dt.date, lengths: list[int]
) -> None:
    found = round_windows(night(), None, evening, evening, BERLIN)
    assert len(found) == 4
    assert [(w.end - w.start) / HOUR for w in found] == lengths
    assert all(earlier.end == later.start for earlier, later in pairwise(found))
    # 22:00 on the evening to 06:00 the next morning on the wall clock.
    zone = ZoneInfo(BERLIN)
    assert found[0].start == dt.datetime.combine(evening, dt.time(22), zone)
    morning = evening + dt.timedelta(days=1)
    assert found[-1].end == dt.datetime.combine(morning, dt.time(6), zone)


def test_a_month_of_berlin_nights_loses_and_doubles_no_round() -> None:
    for first, last in ((D(2026, 3, 1), D(2026, 3, 31)), (D(2026, 10, 1), D(2026, 10, 31))):
        found = round_windows(night(every=60), None, first, last, BERLIN)
        assert len(found) == 31 * 8
        assert len({w.key for w in found}) == len(found)
        assert all(earlier.start <= later.start for earlier, later in pairwise(found))


def test_a_fixed_window_in_the_spring_gap_opens_at_the_jump_for_its_full_duration() -> None:
    schedule = fixed(FixedWindow(start="02:30", duration_minutes=60))
    (window,) = round_windows(schedule, None, D(2026, 3, 29), D(2026, 3, 29), BERLIN)
    assert window.start == at(2026, 3, 29, 1)  # 03:00 CEST, when the clocks jumped
    assert window.end - window.start == HOUR


def test_a_fixed_window_in_the_autumn_fold_is_its_first_pass() -> None:
    schedule = fixed(FixedWindow(start="02:30", duration_minutes=60))
    (window,) = round_windows(schedule, None, D(2026, 10, 25), D(2026, 10, 25), BERLIN)
    assert window.start == at(2026, 10, 25, 0, 30)  # 02:30 CEST
    assert window.end - window.start == HOUR


def test_school_days_and_terms_come_from_the_calendar() -> None:
    calendar = SchoolCalendar(
        terms=(
            Term(key="autumn", name="秋季学期", first_day=D(2026, 9, 1), last_day=D(2027, 1, 15)),
        )
    )
    week = (D(2026, 8, 29), D(2026, 9, 6))  # Saturday before term to the first Sunday in it
    one = (FixedWindow(start="07:30", duration_minutes=30),)
    school = round_windows(fixed(*one, days="school_days"), calendar, *week, SHANGHAI)
    terms = round_windows(fixed(*one, days="in_terms"), calendar, *week, SHANGHAI)
    assert [w.local_date.day for w in school] == [1, 2, 3, 4]  # Tuesday 1st to Friday
    assert [w.local_date.day for w in terms] == [1, 2, 3, 4, 5, 6]


def test_a_night_round_follows_the_day_it_starts_on() -> None:
    # Friday evening is a school day; the night's rounds after midnight fall on Saturday.
    schedule = msgspec.structs.replace(night(), days="school_days")
    found = round_windows(schedule, None, D(2026, 11, 27), D(2026, 11, 28), SHANGHAI)
    assert len(found) == 4 and {w.local_date for w in found} == {D(2026, 11, 27)}


def test_overlapping_fixed_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        FixedTimes(
            windows=(
                FixedWindow(start="07:30", duration_minutes=60),
                FixedWindow(start="08:00", duration_minutes=30),
            )
        )


# --- who is due ----------------------------------------------------------------------------


def test_duty_roster_with_a_substitute() -> None:
    roster = ForRoster(
        duties=(
            Duty(day=D(2026, 11, 23), person="li"),
            Duty(day=D(2026, 11, 24), person="wang"),
        ),
        substitutes=(Substitute(day=D(2026, 11, 24), person="zhao", replaces="wang"),),
    )
    schedule = msgspec.structs.replace(night(), who=roster)
    assert who_is_due(schedule, D(2026, 11, 23)) == OnDuty(people=("li",))
    assert who_is_due(schedule, D(2026, 11, 24)) == OnDuty(people=("zhao",), replaced=("wang",))
    assert who_is_due(schedule, D(2026, 11, 25)) == OnDuty()


def test_a_role_or_named_people() -> None:
    assert who_is_due(night(), D(2026, 11, 23)) == OnDuty(role="guard")
    named = msgspec.structs.replace(night(), who=ForPeople(people=("li", "wang")))
    assert who_is_due(named, D(2026, 11, 23)).people == ("li", "wang")


# --- judging -------------------------------------------------------------------------------

# Three checkpoints 100 m apart along a corridor of the teaching block.
NORTH = 31.2300
EAST = 121.4700
STEP = 100 / 111_195  # 100 m of latitude


def spot(n: int) -> Position:
    return Position(lat=NORTH + n * STEP, lon=EAST)


ROUTE = RouteVersion(
    route="main",
    version=2,
    checkpoints=tuple(
        Checkpoint(tag=f"CP{n}", min_gap_seconds=60, position=spot(n), radius_m=20)
        for n in range(3)
    ),
)
TAGS: dict[str, TagState] = {"CP0": "active", "CP1": "active", "CP2": "active", "OTHER": "active"}
TAGS["OLD"] = "retired"
WINDOW = RoundWindow(
    schedule="five-rounds",
    key="2026-11-23T07:30",
    local_date=D(2026, 11, 23),
    start=at(2026, 11, 22, 23, 30),
    end=at(2026, 11, 23, 0, 15),
    grace_end=at(2026, 11, 23, 0, 30),
)
T0 = WINDOW.start + 5 * MINUTE
LATER = at(2026, 11, 23, 12)


def started(minute: float = 0, **changes: object) -> RoundStarted:
    fields = {
        "id": "start",
        "round_id": "r1",
        "device_id": "phone-1",
        "person": "li",
        "occurred_at": T0 + minute * MINUTE,
        "received_at": T0 + minute * MINUTE,
        "route": "main",
        "route_version": 2,
        "window": WINDOW.key,
    }
    return RoundStarted(**{**fields, **changes})  # type: ignore[arg-type]


def scanned(tag: str, minute: float, **changes: object) -> CheckpointScanned:
    fields = {
        "id": f"scan-{tag}-{minute}",
        "round_id": "r1",
        "device_id": "phone-1",
        "person": "li",
        "occurred_at": T0 + minute * MINUTE,
        "received_at": T0 + minute * MINUTE,
        "tag": tag,
        "method": "qr",
        "position": spot(int(tag[2:])) if tag.startswith("CP") else None,
        "accuracy_m": 10.0,
    }
    return CheckpointScanned(**{**fields, **changes})  # type: ignore[arg-type]


def finished(minute: float) -> RoundFinished:
    when = T0 + minute * MINUTE
    return RoundFinished(
        id="finish",
        round_id="r1",
        device_id="phone-1",
        person="li",
        occurred_at=when,
        received_at=when,
    )


def walked() -> list[RoundFact]:
    return [started(), scanned("CP0", 1), scanned("CP1", 3), scanned("CP2", 5), finished(6)]


def flags_of(facts: list[RoundFact], **options: object) -> dict[str, tuple[str, ...]]:
    verdict = judge(ROUTE, WINDOW, facts, LATER, TAGS, **options)  # type: ignore[arg-type]
    return {scan.fact_id: scan.flags for scan in verdict.scans}


def test_a_round_walked_in_its_window_is_completed_with_no_flag() -> None:
    verdict = judge(ROUTE, WINDOW, walked(), LATER, TAGS)
    assert verdict.state == "completed"
    assert (verdict.covered, verdict.expected, verdict.coverage) == (3, 3, 1.0)
    assert verdict.flags == () and verdict.missing == ()
    assert not (verdict.late_start or verdict.early_start or verdict.late_finish)
    assert not verdict.early_finish and verdict.counts_for_compliance


def test_not_started_before_grace_end_is_upcoming_and_after_it_missed() -> None:
    assert judge(ROUTE, WINDOW, [], WINDOW.end, TAGS).state == "upcoming"
    missed = judge(ROUTE, WINDOW, [], WINDOW.grace_end, TAGS)
    assert missed.state == "missed" and missed.counts_for_compliance


def test_a_missed_round_keeps_its_explanation() -> None:
    why = RoundExplained(
        id="why", round_id="r1", device_id="phone-1", person="li",
        occurred_at=LATER, received_at=LATER, reason="消防演练 / fire drill",
    )  # fmt: skip
    verdict = judge(ROUTE, WINDOW, [why], LATER, TAGS)
    assert verdict.state == "missed" and verdict.explanations == ("消防演练 / fire drill",)


def test_started_not_finished_is_in_progress_until_grace_end_then_incomplete() -> None:
    facts = walked()[:3]
    assert judge(ROUTE, WINDOW, facts, T0 + 10 * MINUTE, TAGS).state == "in_progress"
    verdict = judge(ROUTE, WINDOW, facts, WINDOW.grace_end, TAGS)
    assert verdict.state == "incomplete" and verdict.missing == ("CP2",)


def test_finished_with_a_checkpoint_left_is_incomplete() -> None:
    facts = [started(), scanned("CP0", 1), scanned("CP2", 5), finished(6)]
    verdict = judge(ROUTE, WINDOW, facts, T0 + 7 * MINUTE, TAGS)
    assert verdict.state == "incomplete" and verdict.coverage == pytest.approx(2 / 3)


def test_a_cancelled_round_is_shown_but_not_counted() -> None:
    cancel = RoundCancelled(
        id="cancel", round_id="r1", device_id="desk", person="boss",
        occurred_at=T0, received_at=T0, reason="台风停课 / typhoon closure",
    )  # fmt: skip
    verdict = judge(ROUTE, WINDOW, [cancel], LATER, TAGS)
    assert verdict.state == "cancelled" and not verdict.counts_for_compliance


def test_a_voluntary_round_never_counts_for_compliance_and_is_never_missed() -> None:
    assert judge(ROUTE, None, [], LATER, TAGS).state == "upcoming"
    facts = [started(window=None), *walked()[1:]]
    verdict = judge(ROUTE, None, facts, LATER, TAGS)
    assert verdict.state == "completed" and verdict.voluntary
    assert not verdict.counts_for_compliance and verdict.flags == ()


def test_countersignature_is_recorded() -> None:
    sign = RoundCountersigned(
        id="sign",
        round_id="r1",
        device_id="desk",
        person="boss",
        occurred_at=LATER,
        received_at=LATER,
    )
    assert judge(ROUTE, WINDOW, [*walked(), sign], LATER, TAGS).countersigned_by == ("boss",)


def test_late_start_and_late_finish() -> None:
    late = (WINDOW.end - T0) / MINUTE + 1
    facts = [
        started(late),
        scanned("CP0", late + 1),
        scanned("CP1", late + 3),
        scanned("CP2", late + 30),
        finished(late + 31),
    ]
    verdict = judge(ROUTE, WINDOW, facts, LATER, TAGS)
    assert verdict.late_start and verdict.late_finish and verdict.state == "completed"
    assert verdict.scans[-1].flags == ("scan.outside_window",)


def test_early_start_and_a_finish_faster_than_the_route_can_be_walked() -> None:
    early = -10.0
    facts = [started(early), scanned("CP0", early + 0.5), finished(early + 1)]
    verdict = judge(ROUTE, WINDOW, facts, LATER, TAGS)
    assert verdict.early_start and verdict.early_finish


def test_out_of_sequence_only_on_a_sequence_route() -> None:
    facts = [started(), scanned("CP1", 1), scanned("CP0", 3), scanned("CP2", 5)]
    assert "scan.out_of_sequence" in flags_of(facts)["scan-CP0-3"]
    any_order = msgspec.structs.replace(ROUTE, mode="any_order")
    verdict = judge(any_order, WINDOW, facts, LATER, TAGS)
    assert "scan.out_of_sequence" not in verdict.flags


def test_faster_than_the_minimum_gap() -> None:
    facts = [started(), scanned("CP0", 1), scanned("CP1", 1.5)]
    assert flags_of(facts)["scan-CP1-1.5"] == ("scan.too_fast",)


def test_implausible_speed_between_checkpoints() -> None:
    far = msgspec.structs.replace(
        ROUTE,
        checkpoints=(
            ROUTE.checkpoints[0],
            Checkpoint(tag="CP1", position=Position(lat=NORTH + 0.05, lon=EAST)),
        ),
    )
    facts = [started(), scanned("CP0", 1), scanned("CP1", 3, position=None)]
    verdict = judge(far, WINDOW, facts, LATER, TAGS)
    assert "scan.implausible_speed" in verdict.scans[1].flags  # 5.5 km in two minutes


def test_a_scan_outside_the_window() -> None:
    facts = [*walked(), scanned("CP2", 60 * 3, id="again")]
    assert "scan.outside_window" in flags_of(facts)["again"]


def test_a_scan_by_someone_off_duty() -> None:
    facts = [started(), scanned("CP0", 1, person="stranger")]
    assert flags_of(facts, on_duty=OnDuty(people=("li",)))["scan-CP0-1"] == ("scan.off_duty",)
    assert flags_of(facts, on_duty=OnDuty(role="guard"))["scan-CP0-1"] == ()


def test_the_same_checkpoint_scanned_twice_is_counted_once() -> None:
    facts = [*walked(), scanned("CP1", 4, id="second")]
    verdict = judge(ROUTE, WINDOW, facts, LATER, TAGS)
    assert verdict.covered == 3 and verdict.state == "completed"
    second = next(scan for scan in verdict.scans if scan.fact_id == "second")
    assert not second.counted and second.flags == ("scan.duplicate",)


def test_unknown_retired_and_other_route_tags_are_flagged_and_not_counted() -> None:
    facts = [started(), scanned("NOPE", 1), scanned("OLD", 2), scanned("OTHER", 3)]
    verdict = judge(ROUTE, WINDOW, facts, LATER, TAGS)
    assert [scan.flags for scan in verdict.scans] == [
        ("scan.unknown_tag",),
        ("scan.retired_tag",),
        ("scan.other_route",),
    ]
    assert verdict.covered == 0


def test_a_retired_tag_on_the_route_still_counts() -> None:
    verdict = judge(ROUTE, WINDOW, walked(), LATER, {**TAGS, "CP1": "retired"})
    assert verdict.covered == 3 and verdict.scans[1].flags == ("scan.retired_tag",)


def test_gps_far_and_absent() -> None:
    facts = [
        started(),
        scanned("CP0", 1, position=spot(5)),
        scanned("CP1", 3, position=None, accuracy_m=None),
        scanned("CP2", 5, position=spot(3), accuracy_m=90.0),  # 100 m off, but a poor fix
    ]
    flags = flags_of(facts)
    assert flags["scan-CP0-1"] == ("scan.gps_far",)
    assert flags["scan-CP1-3"] == ("scan.gps_absent",)
    assert flags["scan-CP2-5"] == ()


def test_a_checkpoint_without_a_position_expects_no_gps() -> None:
    plain = msgspec.structs.replace(ROUTE, checkpoints=(Checkpoint(tag="CP0"),))
    verdict = judge(plain, WINDOW, [started(), scanned("CP0", 1, position=None)], LATER, TAGS)
    assert verdict.flags == ()


def test_a_device_clock_ahead_of_the_server() -> None:
    facts = [started(), scanned("CP0", 1, received_at=T0 - HOUR)]
    assert flags_of(facts)["scan-CP0-1"] == ("scan.clock_skew",)
    synced_late = [started(), scanned("CP0", 1, received_at=T0 + 24 * HOUR)]
    assert flags_of(synced_late)["scan-CP0-1"] == ()


def test_another_device_scanning_the_same_round() -> None:
    facts = [started(), scanned("CP0", 1), scanned("CP1", 3, device_id="phone-2")]
    assert flags_of(facts)["scan-CP1-3"] == ("scan.other_device",)


def test_scans_before_the_start_still_belong_to_the_round() -> None:
    facts = [scanned("CP0", -1), started(), scanned("CP1", 3), scanned("CP2", 5), finished(6)]
    verdict = judge(ROUTE, WINDOW, facts, LATER, TAGS)
    assert verdict.state == "completed" and verdict.covered == 3
    assert verdict.started_at == T0


def test_scans_without_a_start_yet_mean_the_round_began() -> None:
    verdict = judge(ROUTE, WINDOW, walked()[1:3], LATER, TAGS)
    assert verdict.state == "incomplete" and verdict.started_at == T0 + MINUTE


def test_a_round_is_judged_by_the_version_it_started_on() -> None:
    newer = msgspec.structs.replace(
        ROUTE, version=3, checkpoints=(*ROUTE.checkpoints, Checkpoint(tag="CP3"))
    )
    version = version_started_on([ROUTE, newer], started().route_version)
    verdict = judge(version, WINDOW, walked(), LATER, TAGS)
    assert verdict.route_version == 2 and verdict.state == "completed"
    assert version_started_on([ROUTE, newer], None) is newer
    with pytest.raises(ValueError, match="started on main v2"):
        judge(newer, WINDOW, walked(), LATER, TAGS)


# --- the verdict does not depend on arrival ------------------------------------------------

A_DAY_OF_FACTS: list[RoundFact] = [
    scanned("CP1", -2, device_id="phone-2"),
    started(),
    scanned("CP0", 1),
    scanned("CP0", 1.2, id="again"),
    scanned("CP2", 1.5, received_at=T0 - HOUR),
    scanned("OLD", 2),
    scanned("NOPE", 2),
    scanned("CP1", 4, position=None),
    finished(8),
    RoundCountersigned(
        id="sign",
        round_id="r1",
        device_id="desk",
        person="boss",
        occurred_at=LATER,
        received_at=LATER,
    ),
]


@FAST
@given(
    facts=st.lists(st.sampled_from(A_DAY_OF_FACTS), max_size=20).flatmap(st.permutations),
    now=st.sampled_from([T0, T0 + 3 * MINUTE, WINDOW.grace_end, LATER]),
)
def test_the_verdict_is_the_same_in_any_order_and_with_repeats(
    facts: list[RoundFact], now: dt.datetime
) -> None:
    unique = list({fact.id: fact for fact in facts}.values())
    expected = judge(ROUTE, WINDOW, sorted(unique, key=lambda fact: fact.id), now, TAGS)
    assert judge(ROUTE, WINDOW, facts, now, TAGS) == expected
    assert judge(ROUTE, WINDOW, facts + facts[:3], now, TAGS) == expected


@FAST
@given(order=st.permutations(A_DAY_OF_FACTS))
def test_every_order_of_the_whole_round_gives_one_verdict(order: list[RoundFact]) -> None:
    assert judge(ROUTE, WINDOW, order, LATER, TAGS) == judge(
        ROUTE, WINDOW, A_DAY_OF_FACTS, LATER, TAGS
    )


def test_the_same_id_with_other_content_is_settled_the_same_whichever_came_first() -> None:
    one = scanned("CP0", 1)
    other = msgspec.structs.replace(one, tag="CP1")
    assert judge(ROUTE, WINDOW, [one, other], LATER, TAGS) == judge(
        ROUTE, WINDOW, [other, one], LATER, TAGS
    )
