import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.hlc import (
    MAX_COUNTER,
    MAX_WALL_MS,
    Hlc,
    InvalidHlc,
    cap,
    now_ms,
    parse_hlc,
    receive,
    tick,
)

DEVICE = "0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b"
OTHER = "0192a3b4-c5d6-7e8f-9a0b-ffffffffffff"
T = 1_741_996_800_000  # 2025-03-15 00:00 UTC

NODE_ALPHABET = string.ascii_letters + string.digits + "._-"
nodes = st.sampled_from(["server", DEVICE, OTHER]) | st.text(NODE_ALPHABET, min_size=1, max_size=64)
hlcs = st.builds(
    Hlc,
    wall_ms=st.integers(0, MAX_WALL_MS),
    counter=st.integers(0, MAX_COUNTER),
    node=nodes,
)


def test_string_form_is_fixed_width_wall_hex_counter_and_node() -> None:
    assert str(Hlc(T, 42, DEVICE)) == f"1741996800000-002a-{DEVICE}"
    assert str(Hlc(5, 0, "server")) == "0000000000005-0000-server"


@given(hlcs)
def test_string_form_parses_back_to_the_same_value(hlc: Hlc) -> None:
    assert parse_hlc(str(hlc)) == hlc


@given(hlcs, hlcs)
def test_string_order_is_value_order(a: Hlc, b: Hlc) -> None:
    assert (str(a) < str(b)) == (a < b)
    assert (str(a) == str(b)) == (a == b)
    # Byte order too, which is what a database column with "C" collation compares.
    assert (str(a).encode() < str(b).encode()) == (a < b)


def test_values_order_by_wall_then_counter_then_node() -> None:
    assert Hlc(T, 9, "b") < Hlc(T + 1, 0, "a")
    assert Hlc(T, 9, "b") < Hlc(T, 10, "a")
    assert Hlc(T, 9, "a") < Hlc(T, 9, "b")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1741996800000-002a",
        "1741996800000-002a-",
        "174199680000-002a-server",  # 12 digits
        "01741996800000-002a-server",  # 14 digits
        "1741996800000-002A-server",  # uppercase hex would make a second spelling
        "1741996800000-02a-server",
        "1741996800000_002a_server",
        "1741996800000-002a-ser ver",
        "1741996800000-002a-server\n",
        "١٧٤١٩٩٦٨٠٠٠٠٠-002a-server",  # non-ASCII digits
        "1741996800000-002a-" + "n" * 65,
        "-741996800000-002a-server",
    ],
)
def test_malformed_text_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(InvalidHlc) as raised:
        parse_hlc(text)
    assert raised.value.reason
    assert raised.value.code == "sync.invalid_hlc"


def test_a_value_out_of_range_cannot_be_built() -> None:
    for wall, counter, node in [
        (-1, 0, "n"),
        (MAX_WALL_MS + 1, 0, "n"),
        (0, -1, "n"),
        (0, MAX_COUNTER + 1, "n"),
        (0, 0, ""),
        (True, 0, "n"),
    ]:
        with pytest.raises(InvalidHlc):
            Hlc(wall, counter, node)


def test_tick_starts_at_the_wall_clock() -> None:
    assert tick(None, T, DEVICE) == Hlc(T, 0, DEVICE)


def test_tick_in_the_same_millisecond_counts_up() -> None:
    first = tick(None, T, DEVICE)
    assert tick(first, T, DEVICE) == Hlc(T, 1, DEVICE)


def test_tick_after_the_wall_clock_went_back_stays_ahead() -> None:
    last = Hlc(T, 3, DEVICE)
    assert tick(last, T - 60_000, DEVICE) == Hlc(T, 4, DEVICE)


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=200))
def test_tick_is_strictly_increasing_whatever_the_wall_clock_does(offsets: list[int]) -> None:
    clock = None
    for offset in offsets:
        following = tick(clock, T + offset, DEVICE)
        assert clock is None or following > clock
        assert following.wall_ms >= T + offset
        clock = following


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    full = Hlc(T, MAX_COUNTER, DEVICE)
    assert tick(full, T, DEVICE) == Hlc(T + 1, 0, DEVICE)
    assert receive(full, Hlc(T, MAX_COUNTER, OTHER), T, DEVICE) == Hlc(T + 1, 0, DEVICE)


def test_receive_from_a_future_remote_adopts_its_time() -> None:
    local = Hlc(T, 5, DEVICE)
    remote = Hlc(T + 60_000, 7, "server")
    assert receive(local, remote, T, DEVICE) == Hlc(T + 60_000, 8, DEVICE)


def test_receive_from_a_past_remote_keeps_the_local_time() -> None:
    local = Hlc(T, 5, DEVICE)
    assert receive(local, Hlc(T - 1, 90, "server"), T - 10, DEVICE) == Hlc(T, 6, DEVICE)


def test_receive_with_the_same_wall_takes_the_larger_counter() -> None:
    local = Hlc(T, 5, DEVICE)
    assert receive(local, Hlc(T, 9, "server"), T, DEVICE) == Hlc(T, 10, DEVICE)
    assert receive(local, Hlc(T, 2, "server"), T, DEVICE) == Hlc(T, 6, DEVICE)


def test_receive_when_the_wall_clock_is_ahead_of_both_restarts_the_counter() -> None:
    assert receive(Hlc(T, 5, DEVICE), Hlc(T, 9, "server"), T + 1, DEVICE) == Hlc(T + 1, 0, DEVICE)


def test_receive_without_a_local_clock() -> None:
    assert receive(None, Hlc(T, 9, "server"), T - 5, DEVICE) == Hlc(T, 10, DEVICE)
    assert receive(None, Hlc(T, 9, "server"), T + 5, DEVICE) == Hlc(T + 5, 0, DEVICE)


@given(st.none() | hlcs, hlcs, st.integers(0, MAX_WALL_MS - 1))
def test_receive_is_later_than_both_clocks(local: Hlc | None, remote: Hlc, now: int) -> None:
    if (local is not None and local.wall_ms == MAX_WALL_MS) or remote.wall_ms == MAX_WALL_MS:
        return  # the last millisecond of the year 2286 has no successor
    merged = receive(local, remote, now, DEVICE)
    assert (merged.wall_ms, merged.counter) > (remote.wall_ms, remote.counter)
    if local is not None:
        assert (merged.wall_ms, merged.counter) > (local.wall_ms, local.counter)
    assert merged.wall_ms >= now
    assert merged.node == DEVICE


def test_cap_pulls_a_future_clock_back_to_the_limit() -> None:
    far = Hlc(T + 3 * 86_400_000, 4, DEVICE)
    assert cap(far, T + 300_000) == Hlc(T + 300_000, 4, DEVICE)


def test_cap_leaves_a_clock_within_the_limit_alone() -> None:
    near = Hlc(T + 299_999, 4, DEVICE)
    assert cap(near, T + 300_000) is near
    assert cap(Hlc(T + 300_000, 4, DEVICE), T + 300_000) == Hlc(T + 300_000, 4, DEVICE)


def test_a_capped_device_clock_does_not_drag_the_server_forward() -> None:
    server = Hlc(T, 0, "server")
    device = Hlc(T + 3 * 86_400_000, 0, DEVICE)
    merged = receive(server, cap(device, T + 300_000), T, "server")
    assert merged.wall_ms == T + 300_000


def test_now_ms_reads_the_clock_in_milliseconds() -> None:
    assert 1_700_000_000_000 < now_ms() < MAX_WALL_MS
