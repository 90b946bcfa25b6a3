"""The protocol's invariants under an unreliable network, as property tests: four phones
(the real client, each its own person, store and clock; two people on both sites) push and
pull through a network that drops requests, drops answers after the server committed,
duplicates requests and replays old pushes late, while an admin changes what they see.
Hypothesis chooses the steps and the faults; at the end the network heals and everyone
syncs. On SQLite and on PostgreSQL, against the real server (ARCHITECTURE.md, "Invariants
the tests must check")."""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from server.facts import FUTURE_TOLERANCE
from server.syncing.pull import cursor_key
from sync.faults import Fault
from sync.hlc import MAX_AHEAD_MS, parse_hlc
from sync.tables import SyncDevice, SyncOp
from tests.syncing.fleet import FINAL, Fleet, fresh_device, make_fleet, records

ADMIN_ACTIONS = (
    "create_asset",
    "rename_asset",
    "retire_asset",
    "issue_tag",
    "retire_tag",
    "end_membership",
    "publish_template",
    "set_checklist",
    "clear_checklist",
)

PICK = st.integers(min_value=0, max_value=9)
FAULTS = st.lists(st.sampled_from(list(Fault)), max_size=8)
# Ending a membership is drawn as often as all the other actions together: it is what
# makes records the phones made offline come back refused.
ACTION = st.tuples(st.one_of(st.just("end_membership"), st.sampled_from(ADMIN_ACTIONS)), PICK)
ROUND = st.fixed_dictionaries(
    {
        # Per phone, the inspections made offline (True: one failing item).
        "offline": st.lists(st.lists(st.booleans(), max_size=5), min_size=4, max_size=4),
        "pick": PICK,
        "admin": st.lists(ACTION, max_size=2),
        # Which phones come online, and whether at once or one after the other.
        "online": st.lists(st.booleans(), min_size=4, max_size=4),
        "together": st.booleans(),
        "faults": st.lists(FAULTS, min_size=4, max_size=4),
    }
)
PLANS = st.lists(ROUND, min_size=2, max_size=5)
SKEWS = st.sampled_from([-6, -2, 1, 3, 9]).map(lambda days: timedelta(days=days))


async def run(fleet: Fleet, plan: dict[str, Any]) -> None:
    """One round: phones work offline, the admin changes things, some phones sync."""
    for phone, failing in zip(fleet.phones, plan["offline"], strict=True):
        for k, fails in enumerate(failing):
            phone.inspect(plan["pick"] + k, fails)
    for action, pick in plan["admin"]:
        await fleet.act(action, pick)
    online = [n for n, on in enumerate(plan["online"]) if on]
    if plan["together"]:

        async def sync(n: int) -> bool:
            await fleet.phones[n].push(plan["faults"][n])
            return await fleet.phones[n].pull()

        pulled = await asyncio.gather(*(sync(n) for n in online))
        for n, done in zip(online, pulled, strict=True):
            if done:
                fleet.check_gone(fleet.phones[n])
        return
    for n in online:
        phone = fleet.phones[n]
        await phone.push(plan["faults"][n])
        before = await fleet.counter()
        if await phone.pull():
            fleet.check_gone(phone)
            # A push replayed late may have written meanwhile; if not, the pull missed nothing.
            if await fleet.counter() == before:
                await fleet.check_up_to_date(phone)


async def settle(fleet: Fleet) -> None:
    """The network heals; every phone sends what it has, then everyone pulls."""
    for phone in fleet.phones:
        phone.network.heal()
    for phone in fleet.phones:
        report = await phone.client.push()
        assert report.remaining == 0
    for phone in fleet.phones:
        await phone.client.pull()


async def check_exactly_once(fleet: Fleet) -> dict[str, Any]:
    """Every op has a final answer; the server holds each accepted inspection once and
    nothing else; a refusal is only ever for a site the person lost, or, from a phone whose
    clock runs days ahead, for a business time after the server's (R47). Returns the
    accepted inspections by id, with the phone that made them."""
    accepted: dict[str, Any] = {}
    for phone in fleet.phones:
        assert phone.store.outbox.count() == 0, phone.name
        results = {str(r.op_id): r for r in phone.store.outbox.results()}
        assert set(results) == set(phone.made), phone.name
        state = phone.store.state()
        assert state["last_applied_seq"] == len(phone.made) == state["next_seq"] - 1
        for op_id, made in phone.made.items():
            result = results[op_id]
            assert result.status in FINAL
            if result.status == "applied":
                accepted[made.inspection_id] = (phone, made)
            elif phone.offset > FUTURE_TOLERANCE:
                assert (result.status, result.code) == (
                    "rejected",
                    "inspection.completed_in_future",
                ), result
            else:
                assert (result.status, result.code) == ("rejected", "not_found"), result
                assert (phone.person.user_id, made.site_id) in fleet.lost, result
        device = await SyncDevice.select().where(SyncDevice.id == state["device_id"]).first()
        if phone.made:
            assert device["last_applied_seq"] == len(phone.made)
        ledger = await SyncOp.count().where(SyncOp.device_id == state["device_id"])
        assert ledger == len(phone.made), phone.name

    held = await fleet.inspections()
    assert len(held) == len({inspection for inspection, _ in held}), "an inspection twice"
    assert {inspection for inspection, _ in held} == set(accepted)
    for inspection, device in held:
        assert device == str(accepted[inspection][0].store.state()["device_id"])
    # Each failing inspection opened its one finding, however often its op was sent.
    failing = {i: 1 for i, (_, made) in accepted.items() if made.failing}
    assert Counter(await fleet.findings()) == failing
    return accepted


async def check_converged(fleet: Fleet, accepted: dict[str, Any], stores: Path) -> None:
    fresh = await fresh_device(fleet, stores)
    try:
        snapshots = {scope: records(fresh, scope) for scope in fleet.sites}
        for scope, held in snapshots.items():
            assert held == await fleet.expected(scope)
        for phone in fleet.phones:
            visible = fleet.visible[phone.person.user_id]
            assert set(phone.store.cache.cursors()) == visible, phone.name
            for scope in sorted(visible):
                assert phone.records(scope) == snapshots[scope], (phone.name, scope)
            fleet.check_gone(phone)
            await fleet.check_cursors(phone)
            # Its own failing inspections came back as findings, each once.
            echoed = Counter(f.data["inspection_id"] for f in phone.store.cache.all("finding"))
            for inspection, (owner, made) in accepted.items():
                if owner is phone and made.failing and made.site_id in visible:
                    assert echoed[inspection] == 1, (phone.name, inspection)
    finally:
        fresh.close()


async def check_clock(fleet: Fleet) -> None:
    """The phone whose clock is off by days was never blocked (checked above: every op has
    its answer, its cursors are positions); behind, every op of it was applied; ahead, its
    records dated after the server's time were refused, each on its own (R47); the server
    saw the skew and capped its clocks."""
    phone = fleet.phones[3]
    if not phone.made:
        return
    expected = "rejected" if phone.offset > FUTURE_TOLERANCE else "applied"
    assert all(r.status == expected for r in phone.store.outbox.results())
    device_id = phone.store.state()["device_id"]
    device = await SyncDevice.select().where(SyncDevice.id == device_id).first()
    assert device["skew_flagged"] is True
    offset_ms = phone.offset // timedelta(milliseconds=1)
    assert abs(device["last_skew_ms"] - offset_ms) < 60_000
    for op in await SyncOp.select(SyncOp.hlc, SyncOp.received_at).where(
        SyncOp.device_id == device_id
    ):
        received_ms = int(op["received_at"].timestamp() * 1000)
        assert parse_hlc(op["hlc"]).wall_ms <= received_ms + MAX_AHEAD_MS


def tell_what_happened(fleet: Fleet) -> None:
    """For `pytest --hypothesis-show-statistics`: which faults hit which requests, and whether
    records were refused, so a run shows the faults did happen."""
    for path, fault in sorted({(p, f) for phone in fleet.phones for p, f in phone.network.done}):
        event(f"{fault.value} on {path}")
    statuses = {r.status for phone in fleet.phones for r in phone.store.outbox.results()}
    event(f"final statuses: {', '.join(sorted(statuses)) or 'none'}")
    event(f"memberships ended: {len(fleet.lost)}")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=PLANS, skew=SKEWS)
async def test_phones_on_a_faulty_network_end_exactly_once_and_converged(clean, api, plan, skew):
    with tempfile.TemporaryDirectory() as tmp:
        stores = Path(tmp)
        fleet = await make_fleet(
            api, clean.url, stores, skew, cursor_key(clean.settings.secret_key)
        )
        try:
            for turn in plan:
                await run(fleet, turn)
                fleet.check_answers_never_go_back()
            await settle(fleet)
            fleet.check_answers_never_go_back()
            accepted = await check_exactly_once(fleet)
            tell_what_happened(fleet)
            await check_converged(fleet, accepted, stores)
            await check_clock(fleet)
        finally:
            await fleet.close()
