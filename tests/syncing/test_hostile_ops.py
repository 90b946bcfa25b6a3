"""Ops no correct phone would send, through the real HTTP API on both databases: each is
answered on its own, and the device is never blocked (sync/PROTOCOL.md R47, R48).

The classes of input come from an independent probe that found one such op made every push
of its device fail with 500, forever: times and dates at the calendar's edges, numbers
beyond a column, NUL characters (PostgreSQL refuses them), keys longer than the ledger's
columns, a version beyond 32 bits. A property test then throws any JSON value at any field
of every op type, mixed with good ops.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from uuid_utils.compat import uuid7

from server.actions.tables import HazardReport
from server.inspections.tables import Inspection
from server.templates.templates import install_library
from sync.tables import SyncDevice, SyncOp
from tests.factories import make_asset, make_person, make_school
from tests.inspections.helpers import extinguisher_answers, extinguisher_school, submission
from tests.syncing.device import Device, device_of

FINAL = ("applied", "duplicate", "rejected", "conflict")
EDGES = [
    "0001-01-01T00:00:00+08:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-08:00",
    "9999-12-31T23:59:59.999999+00:00",
    "1969-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
]


def hazard(asset: uuid.UUID, **changes: Any) -> dict[str, Any]:
    body = {
        "id": str(uuid7()),
        "kind": "repair",
        "asset_id": str(asset),
        "description": "灭火器压力不足",
        "reported_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    body.update(changes)
    return body


async def push_until_answered(device: Device, ops: list[dict]) -> dict:
    answer = await device.push_ok(ops)
    assert len(answer["results"]) == len(ops)
    assert all(
        r["status"] in ("applied", "duplicate", "rejected", "conflict") for r in answer["results"]
    )
    return answer


async def assert_not_blocked(device: Device, asset: uuid.UUID) -> None:
    """The device's next good op is applied: nothing before it blocks the queue."""
    answer = await device.push_ok([device.op(submission(asset=asset))])
    assert answer["results"][0]["status"] == "applied", answer
    row = await SyncDevice.select().where(SyncDevice.id == device.id).first()
    assert row["last_applied_seq"] == device.seq


@pytest.mark.parametrize("edge", EDGES)
async def test_rule_48_times_at_the_calendars_edges_are_rejected_each_on_its_own(api, edge):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    ops = [
        device.op(submission(asset=asset, completed_at=datetime.now(UTC), started_at=edge)),
        device.op(hazard(asset, reported_at=edge), type="hazard.reported"),
        device.op(
            submission(asset=asset, answers=extinguisher_answers(service_life_end=edge[:10]))
        ),
        device.op(submission(asset=asset), occurred_at=edge),
        device.op(submission(asset=asset)),
    ]
    answer = await push_until_answered(device, ops)
    statuses = [(r["status"], r.get("field")) for r in answer["results"]]
    assert statuses[:2] == [("rejected", "body"), ("rejected", "body")]
    assert statuses[3] == ("rejected", "occurred_at")
    assert statuses[4] == ("applied", None)
    assert "started_at" in answer["results"][0]["detail"]
    assert answer["last_applied_seq"] == 5
    await assert_not_blocked(device, asset)


async def test_rule_48_nul_characters_anywhere_are_rejected_each_on_its_own(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    ops = [
        device.op(submission(asset=asset, note="地下室\x00")),
        device.op(submission(asset=asset, answers=extinguisher_answers(notes="a\x00b"))),
        device.op(submission(asset=asset, answers={**extinguisher_answers(), "k\x00": "x"})),
        device.op(hazard(asset, description="\x00")),
        device.op(submission(asset=asset)),
    ]
    answer = await push_until_answered(device, ops)
    assert [r["status"] for r in answer["results"]] == ["rejected"] * 4 + ["applied"]
    assert "NUL" in answer["results"][1]["detail"]
    assert await HazardReport.count() == 0
    await assert_not_blocked(device, asset)


async def test_rule_48_numbers_and_versions_beyond_the_columns_are_rejected(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    ops = [
        device.op(submission(asset=asset), v=2**31),
        device.op(submission(asset=asset), v=-(2**63)),
        device.op(submission(asset=asset, template_version=2**63)),
        device.op(submission(asset=asset, answers=extinguisher_answers(notes=10**30))),
        device.op(submission(asset=asset), type="x" * 500),
        device.op(submission(asset=asset)),
    ]
    answer = await push_until_answered(device, ops)
    assert [r["status"] for r in answer["results"]] == ["rejected"] * 5 + ["applied"]
    assert [r["code"] for r in answer["results"][:2]] == ["sync.unknown_version"] * 2
    stored = await SyncOp.select(SyncOp.v, SyncOp.type).order_by(SyncOp.device_seq)
    assert [r["v"] for r in stored[:2]] == [0, 0]
    assert stored[4]["type"] == "x" * 64
    await assert_not_blocked(device, asset)


async def test_rule_48_a_long_answer_key_is_rejected_and_its_answer_kept_cut_to_the_ledger(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    long_key = "题" * 5000
    ops = [
        device.op(submission(asset=asset, answers={**extinguisher_answers(), long_key: "x"})),
        device.op(submission(asset=asset)),
    ]
    answer = await push_until_answered(device, ops)
    assert [r["status"] for r in answer["results"]] == ["rejected", "applied"]
    assert answer["results"][0]["code"] == "inspection.invalid_answers"
    stored = await SyncOp.select(SyncOp.field, SyncOp.detail).order_by(SyncOp.device_seq)
    assert len(stored[0]["field"]) <= 200
    # The same answer again, as the ledger kept it.
    again = await device.push_ok(ops[:1])
    assert again["results"][0]["status"] == "rejected"
    await assert_not_blocked(device, asset)


async def test_rule_47_business_time_is_judged_by_the_servers_clock_not_the_devices(api):
    _, _, inspector, asset = await extinguisher_school()
    device = await device_of(api, inspector)
    device.clock_offset = timedelta(days=3)
    ahead = submission(asset=asset, completed_at=device.now() - timedelta(minutes=1))
    on_time = submission(asset=asset, completed_at=datetime.now(UTC) - timedelta(minutes=1))
    report = hazard(asset, reported_at=device.now().isoformat())
    answer = await device.push_ok(
        [device.op(ahead), device.op(report, type="hazard.reported"), device.op(on_time)]
    )
    assert [(r["status"], r.get("code")) for r in answer["results"]] == [
        ("rejected", "inspection.completed_in_future"),
        ("rejected", "report.reported_in_future"),
        ("applied", None),
    ]
    assert answer["last_applied_seq"] == 3
    row = await SyncDevice.select().where(SyncDevice.id == device.id).first()
    assert row["skew_flagged"] is True
    assert await Inspection.count() == 1


async def test_another_organisations_inspection_id_is_not_found_never_a_conflict(api):
    """Authorised first: a stranger learns nothing of a record under an id it guessed."""
    _, _, inspector, asset = await extinguisher_school()
    body = submission(asset=asset, answers=extinguisher_answers(hose="fail"))
    device = await device_of(api, inspector)
    assert (await device.push_ok([device.op(body)]))["results"][0]["status"] == "applied"
    _, _, stranger, their_asset = await extinguisher_school()
    theirs = await device_of(api, stranger)
    guess = {**submission(asset=their_asset), "id": body["id"]}
    answer = (await theirs.push_ok([theirs.op(guess)]))["results"][0]
    assert (answer["status"], answer["code"]) == ("rejected", "not_found")
    assert "current" not in answer and "result" not in answer
    rest = await api.post("/api/inspections", json=guess, headers=stranger.headers)
    assert rest.status_code == 404 and rest.json()["code"] == "not_found"
    same = await api.post("/api/inspections", json=body, headers=stranger.headers)
    assert same.status_code == 404 and "fail" not in same.text


# --- any value in any field --------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["\x00", "0001-01-01T00:00:00+08:00", "9999-12-31", "", "题" * 300]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
TYPES = [
    "inspection.submitted",
    "hazard.reported",
    "action.transitioned",
    "occurrence.excused",
    "excusal.decided",
]
FIELDS = {
    "inspection.submitted": ["id", "template_key", "template_version", "asset_id", "answers",
                             "started_at", "completed_at", "note", "geolocation", "supersedes"],
    "hazard.reported": ["id", "kind", "asset_id", "description", "photos", "size", "reported_at"],
    "action.transitioned": ["id", "action_id", "transition", "base_version", "note", "at"],
    "occurrence.excused": ["id", "schedule_id", "occurrence_key", "asset_id", "reason"],
    "excusal.decided": ["id", "excusal_id", "decision", "note", "decided_at"],
}  # fmt: skip
BAD_OP = st.sampled_from(TYPES).flatmap(
    lambda kind: st.tuples(
        st.just(kind),
        st.dictionaries(st.sampled_from(FIELDS[kind]), JSON, min_size=1, max_size=3),
        st.sampled_from([None, "v", "occurred_at", "hlc", "type"]),
        JSON,
    )
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(st.one_of(st.none(), BAD_OP), min_size=1, max_size=6))
async def test_rule_48_any_value_in_any_field_is_answered_and_never_blocks(api, batch):
    """Good ops (None) mixed with ops whose body fields, or one envelope field, hold any JSON
    value: every op is answered with a final status, every good op is applied, and the
    device goes on."""
    school = await make_school()
    await install_library(school.organization_id)
    admin = await make_person(school, "admin")
    inspector = await make_person(school, "inspector")
    asset = await make_asset(admin, school, asset_number="MHQ-H")
    device = await device_of(api, inspector)
    ops = []
    for item in batch:
        if item is None:
            ops.append(device.op(submission(asset=asset)))
            continue
        kind, changes, envelope, value = item
        base = submission(asset=asset) if kind == "inspection.submitted" else hazard(asset)
        op = device.op({**base, **changes}, type=kind)
        if envelope is not None:
            op[envelope] = value
        ops.append(op)
    response = await device.push(ops)
    # Only a request whose envelope cannot be read is refused whole (R13), with a 4xx.
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        results = response.json()["results"]
        assert len(results) == len(ops)
        assert all(r["status"] in ("applied", "duplicate", "rejected", "conflict") for r in results)
        assert all(
            r["status"] == "applied" for r, item in zip(results, batch, strict=True) if item is None
        )
    else:
        device.seq -= len(ops)
    await assert_not_blocked(device, asset)
