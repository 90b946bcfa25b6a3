"""Early-leave passes and pick-up cards for the tests: bodies for the API and ops for a
device, on the gate school of tests/gate/gating.py (its `host` is the class teacher)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.gate.gating import Gate, ago, new_id
from tests.syncing.device import Device

PARENT_PHONE = "13987654321"
COLLECTOR_PHONE = "13711112222"
GRANDPA_PHONE = "13633334444"


def later(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def pass_body(pass_id: str | None = None, **over: Any) -> dict[str, Any]:
    """A pass made half an hour ago for a window from an hour ago to two hours ahead."""
    return {
        "id": new_id(),
        "pass_id": pass_id or new_id(),
        "pupil": "王小明",
        "class_name": "三年级二班",
        "reason": "发烧，家长接回就医",
        "leave_from": ago(60),
        "leave_until": later(120),
        "collector": "王芳",
        "collector_phone": COLLECTOR_PHONE,
        "created_at": ago(30),
    } | over


def confirmation(**over: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "parent_name": "王芳",
        "parent_phone": PARENT_PHONE,
        "confirmed_at": ago(20),
    } | over


def exit_body(at: str | None = None, **over: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "exited_at": at or ago(5),
        "collected_by": "王芳",
        "method": "scan",
    } | over


def op_create(g: Gate, device: Device, pass_id: str, **over: Any) -> dict:
    return device.op(pass_body(pass_id) | {"site_id": g.site} | over, "pass.created")


def op_confirm(g: Gate, device: Device, pass_id: str, **over: Any) -> dict:
    body = confirmation() | {"pass_id": pass_id, "site_id": g.site}
    return device.op(body | over, "pass.confirmed")


def op_cancel(g: Gate, device: Device, pass_id: str, at: str, **over: Any) -> dict:
    body = {"id": new_id(), "pass_id": pass_id, "site_id": g.site, "cancelled_at": at}
    return device.op(body | over, "pass.cancelled")


def op_exit(g: Gate, device: Device, pass_id: str, at: str, **over: Any) -> dict:
    body = exit_body(at) | {"pass_id": pass_id, "site_id": g.site}
    return device.op(body | over, "pass.exited")


def card_body(card_id: str | None = None, **over: Any) -> dict[str, Any]:
    """A card for the school year, the mother permanent and the grandfather for a week."""
    return {
        "id": card_id or new_id(),
        "child": "刘小雨",
        "class_name": "一年级一班",
        "valid_from": ago(60 * 24 * 30),
        "valid_until": later(60 * 24 * 200),
        "collectors": [
            {"key": "card-001", "name": "刘芳", "relation": "母亲", "phone": PARENT_PHONE},
            {
                "key": "card-002",
                "name": "刘建国",
                "relation": "祖父",
                "phone": GRANDPA_PHONE,
                "valid_from": ago(60 * 24 * 3),
                "valid_until": later(60 * 24 * 4),
            },
        ],
    } | over


def op_check(g: Gate, device: Device, card_id: str, key: str, **over: Any) -> dict:
    body = {
        "id": new_id(),
        "card_id": card_id,
        "site_id": g.site,
        "collector_key": key,
        "checked_at": ago(1),
    }
    return device.op(body | over, "card.checked")
