import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.wire import (
    ABSENT,
    OP_STATUSES,
    PROTOCOL_VERSION,
    Change,
    InvalidCursor,
    Op,
    OpResult,
    OpStatus,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    ScopePage,
    decode_cursor,
    encode_cursor,
)

DEVICE = uuid.UUID("0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b")
KEY = b"the server's cursor key"
OP_ID = uuid.UUID("0192a3b4-c5d6-7e8f-9a0b-000000000001")
NOW = datetime(2025, 3, 15, 8, 30, tzinfo=UTC)
HLC = f"1742027400000-0000-{DEVICE}"


def _op(**overrides: Any) -> dict[str, Any]:
    op = {
        "type": "thing.done",
        "op_id": str(OP_ID),
        "device_seq": 1,
        "hlc": HLC,
        "occurred_at": "2025-03-15T16:30:00+08:00",
        "body": {"answers": {"gauge": "green"}},
    }
    op.update(overrides)
    return op


def _push(*ops: dict[str, Any], **overrides: Any) -> bytes:
    request = {
        "protocol": PROTOCOL_VERSION,
        "app_version": "1.4.0",
        "device_id": str(DEVICE),
        "device_now": "2025-03-15T08:30:00Z",
        "ops": list(ops),
    }
    request.update(overrides)
    return msgspec.json.encode(request)


def test_push_request_decodes_with_the_body_left_raw() -> None:
    request = msgspec.json.decode(_push(_op()), type=PushRequest)
    op = request.ops[0]
    assert op.v == 1
    assert op.op_id == OP_ID
    assert op.occurred_at == NOW
    assert msgspec.json.decode(op.body) == {"answers": {"gauge": "green"}}


def test_push_request_round_trips() -> None:
    request = PushRequest(
        protocol=1,
        app_version="1.4.0",
        device_id=DEVICE,
        device_now=NOW,
        ops=[
            Op(
                type="thing.done",
                v=2,
                op_id=OP_ID,
                device_seq=7,
                hlc=HLC,
                occurred_at=NOW,
                body=msgspec.Raw(b'{"a":1}'),
            )
        ],
    )
    assert msgspec.json.decode(msgspec.json.encode(request), type=PushRequest) == request


def test_a_body_of_the_wrong_shape_does_not_fail_the_request() -> None:
    bodies = [[1, 2], "text", None, 3.5, {"answers": "not a map", "extra": {"deep": [None]}}]
    request = msgspec.json.decode(
        _push(*(_op(device_seq=i + 1, body=b) for i, b in enumerate(bodies))), type=PushRequest
    )
    assert [msgspec.json.decode(op.body) for op in request.ops] == bodies


def test_unknown_fields_are_refused_in_a_push_and_in_its_ops() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field `extra`"):
        msgspec.json.decode(_push(_op(), extra=1), type=PushRequest)
    with pytest.raises(msgspec.ValidationError, match=r"unknown field `extra` - at `\$.ops\[0\]`"):
        msgspec.json.decode(_push(_op(extra=1)), type=PushRequest)


def test_unknown_fields_are_refused_in_a_pull() -> None:
    message = {"protocol": 1, "app_version": "1", "device_id": str(DEVICE), "cursors": {}}
    with pytest.raises(msgspec.ValidationError, match="unknown field `since`"):
        msgspec.json.decode(msgspec.json.encode({**message, "since": 0}), type=PullRequest)


@pytest.mark.parametrize(
    "message",
    [
        _push(_op(occurred_at="2025-03-15T16:30:00")),
        _push(_op(), device_now="2025-03-15T08:30:00"),
    ],
)
def test_datetimes_without_an_offset_are_refused(message: bytes) -> None:
    with pytest.raises(msgspec.ValidationError, match="timezone"):
        msgspec.json.decode(message, type=PushRequest)


@pytest.mark.parametrize("seq", [0, -1, 2**63])
def test_device_seq_starts_at_one_and_fits_a_bigint(seq: int) -> None:
    with pytest.raises(msgspec.ValidationError, match="device_seq"):
        msgspec.json.decode(_push(_op(device_seq=seq)), type=PushRequest)


def test_a_missing_body_is_an_envelope_error() -> None:
    op = _op()
    del op["body"]
    with pytest.raises(msgspec.ValidationError, match="body"):
        msgspec.json.decode(_push(op), type=PushRequest)


def test_responses_tolerate_fields_a_newer_server_adds() -> None:
    message = (
        b'{"results":[],"last_applied_seq":0,"missing_blobs":[],'
        b'"server_now":"2025-03-15T08:30:00Z","server_hlc":"x","skew_ms":0,"new":1}'
    )
    assert msgspec.json.decode(message, type=PushResponse).last_applied_seq == 0


def test_op_result_omits_what_it_does_not_say() -> None:
    result = OpResult(op_id=OP_ID, device_seq=3, status="applied")
    assert msgspec.json.decode(msgspec.json.encode(result)) == {
        "op_id": str(OP_ID),
        "device_seq": 3,
        "status": "applied",
    }
    decoded = msgspec.json.decode(msgspec.json.encode(result), type=OpResult)
    assert decoded == result
    assert not decoded.current
    assert not decoded.result
    assert decoded.current == ABSENT


def test_a_conflict_carries_the_current_state_raw() -> None:
    result = OpResult(
        op_id=OP_ID,
        device_seq=3,
        status="conflict",
        code="thing.already_closed",
        detail="closed by someone else",
        field="body.status",
        current=msgspec.Raw(b'{"status":"closed","version":4}'),
        parallel=False,
    )
    decoded = msgspec.json.decode(msgspec.json.encode(result), type=OpResult)
    assert decoded == result
    assert msgspec.json.decode(decoded.current) == {"status": "closed", "version": 4}


def test_push_response_round_trips() -> None:
    response = PushResponse(
        results=[
            OpResult(op_id=OP_ID, device_seq=1, status="applied", result=msgspec.Raw(b"[1]")),
            OpResult(op_id=OP_ID, device_seq=2, status="applied", parallel=True),
        ],
        last_applied_seq=2,
        missing_blobs=["ab" * 32],
        server_now=NOW,
        server_hlc="1742027400000-0000-server",
        skew_ms=-1500,
    )
    assert msgspec.json.decode(msgspec.json.encode(response), type=PushResponse) == response


def test_pull_round_trips_and_a_delete_has_no_data() -> None:
    response = PullResponse(
        scopes=[
            ScopePage(
                scope="site-1",
                status="ok",
                changes=[
                    Change(entity="asset", id="a1", op="put", version=3, data=msgspec.Raw(b"{}")),
                    Change(entity="asset", id="a2", op="del", version=4),
                ],
                cursor=encode_cursor(10, "e1", KEY),
                has_more=False,
            ),
            ScopePage(scope="site-2", status="removed", changes=[], cursor=None, has_more=False),
        ],
        last_applied_seq=0,
        server_now=NOW,
        server_hlc="1742027400000-0000-server",
    )
    encoded = msgspec.json.encode(response)
    assert b'"op":"del","version":4}' in encoded
    assert msgspec.json.decode(encoded, type=PullResponse) == response


def test_pull_request_defaults_and_bounds_its_limit() -> None:
    base = {"protocol": 1, "app_version": "1.4.0", "device_id": str(DEVICE)}
    request = msgspec.json.decode(
        msgspec.json.encode({**base, "cursors": {"site-1": None, "site-2": "abc"}}),
        type=PullRequest,
    )
    assert request.limit == 500
    assert request.cursors == {"site-1": None, "site-2": "abc"}
    for limit in (0, 5001):
        with pytest.raises(msgspec.ValidationError, match="limit"):
            msgspec.json.decode(
                msgspec.json.encode({**base, "cursors": {}, "limit": limit}), type=PullRequest
            )


def test_status_constants_are_the_wire_literals() -> None:
    assert set(OP_STATUSES) == set(get_args(OpStatus))


def test_an_aware_datetime_in_any_offset_is_kept() -> None:
    shanghai = timezone(timedelta(hours=8))
    request = msgspec.json.decode(
        _push(_op(occurred_at=NOW.astimezone(shanghai).isoformat())), type=PushRequest
    )
    assert request.ops[0].occurred_at == NOW


# Cursors


@given(st.integers(0, 2**63 - 1), st.from_regex(r"[0-9A-Za-z._-]{1,64}", fullmatch=True))
def test_cursor_round_trips(position: int, epoch: str) -> None:
    cursor = encode_cursor(position, epoch, KEY)
    assert decode_cursor(cursor, KEY) == (position, epoch)
    assert all(c.isalnum() or c in "-_" for c in cursor)


def test_cursor_is_opaque() -> None:
    cursor = encode_cursor(12345, "epoch1", KEY)
    assert "12345" not in cursor
    assert "epoch1" not in cursor


@given(st.integers(0, 2**40), st.data())
def test_any_changed_character_is_detected(position: int, data: st.DataObject) -> None:
    cursor = encode_cursor(position, "e1", KEY)
    index = data.draw(st.integers(0, len(cursor) - 1))
    replacement = data.draw(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    )
    tampered = cursor[:index] + replacement + cursor[index + 1 :]
    if tampered == cursor:
        return
    try:
        decoded = decode_cursor(tampered, KEY)
    except InvalidCursor:
        return
    # Only the unused low bits of the last base64 character may change without effect.
    assert decoded == (position, "e1")
    assert index == len(cursor) - 1


@pytest.mark.parametrize(
    "text",
    ["", "!!!!", "a", "AAAA", "x" * 161, "MTplMToxMg", "bm90IGEgY3Vyc29y", "é" * 8],
)
def test_garbage_is_not_a_cursor(text: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(text, KEY)
    assert raised.value.code == "sync.invalid_cursor"


def test_a_cursor_with_a_valid_signature_but_a_forged_shape_is_refused() -> None:
    for payload in [b"3:e1:5", b"2:e1:05", b"2:e1:-5", b"2:e 1:5", b"2:e1", b"2:e1:5:6"]:
        raw = payload + hmac.new(KEY, payload, hashlib.sha256).digest()[:16]
        text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        with pytest.raises(InvalidCursor):
            decode_cursor(text, KEY)


@pytest.mark.parametrize(("position", "epoch"), [(-1, "e"), (2**63, "e"), (1, ""), (1, "a:b")])
def test_a_cursor_cannot_be_made_from_bad_parts(position: int, epoch: str) -> None:
    with pytest.raises(ValueError):
        encode_cursor(position, epoch, KEY)


@given(st.integers(0, 2**40), st.from_regex(r"[0-9A-Za-z._-]{1,64}", fullmatch=True))
def test_a_cursor_signed_with_another_key_is_refused(position: int, state: str) -> None:
    """A forged cursor (any position, feed or entity id the server never sent) cannot be
    made without the server's key."""
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor(position, state, b"another key"), KEY)


def test_a_cursor_cannot_be_made_or_read_without_a_key() -> None:
    with pytest.raises(ValueError):
        encode_cursor(1, "e1", b"")
    with pytest.raises(ValueError):
        decode_cursor(encode_cursor(1, "e1", KEY), b"")
