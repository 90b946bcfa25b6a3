"""Pick-up cards (接送卡) as the school keeps them, and the gate's checks of them.

A card is reference data: the site's managers make it, change it (whole, at the version
they read: 409 `pickup_card.version_conflict` over another's change) and withdraw it; each
change goes to gate devices (entity `pickup_card`, audience GATE), which check a card
offline with the same rules (server/gate/pickup_cards.py). Collectors' phones are kept
whole for the gate to call and sent masked.

A check at collection is a fact, `card.checked` (the op, or POST .../checks), stored once
in `card_check` with the server's judgement of the card at the check's time. The card is
taken as it is now, but for its withdrawal: a card withdrawn after the check did not
refuse it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec

from server import clock
from server.accounts.access import GATE_STAFF, MANAGERS, Caller
from server.db import json_bytes, transaction
from server.errors import DomainError, not_found
from server.facts import FUTURE_TOLERANCE, Candidate, FactHandler, Plan, Stored
from server.feeds import Audience, Feed
from server.gate.contacts import check_phone, mask_phone
from server.gate.pass_wire import (
    CardCheck,
    CardCheckIn,
    CardCheckOut,
    CollectorIn,
    CollectorOut,
    FaultOut,
    PickupCardIn,
    PickupCardOut,
    PickupCardUpdate,
)
from server.gate.pickup_cards import Collector, PickupCard, may_collect
from server.gate.tables import CardCheckRow, PickupCardRow
from sync.bulk import insert_rows

READERS = GATE_STAFF | MANAGERS


class _Stored(msgspec.Struct, frozen=True, kw_only=True):
    """A collector as the card keeps it (the phone whole)."""

    key: str
    name: str
    relation: str = ""
    phone: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


_COLLECTORS = msgspec.json.Decoder(list[_Stored])


def _refuse(code: str, detail: str, field: str | None, site: uuid.UUID | None = None) -> None:
    error = DomainError(code, detail, field=field)
    error.site_id = site
    raise error


def checked_collectors(data: PickupCardIn) -> list[_Stored]:
    """The card's collectors as they are kept, or the first thing wrong with the card, with
    its field (`collectors[1].valid_until`)."""
    if data.valid_until <= data.valid_from:
        _refuse("pickup_card.window_invalid", "the card must end after it starts", "valid_until")
    kept: list[_Stored] = []
    seen: set[str] = set()
    for index, collector in enumerate(data.collectors):
        where = f"collectors[{index}]"
        if collector.key in seen:
            _refuse("pickup_card.key_twice", "two collectors share a key", f"{where}.key")
        seen.add(collector.key)
        if (
            collector.valid_from
            and collector.valid_until
            and collector.valid_until <= collector.valid_from
        ):
            _refuse(
                "pickup_card.window_invalid",
                "a collector's validity must end after it starts",
                f"{where}.valid_until",
            )
        kept.append(_kept(collector, f"{where}.phone"))
    return kept


def _kept(collector: CollectorIn, field: str) -> _Stored:
    phone = None
    if collector.phone is not None and collector.phone.strip():
        checked = check_phone(collector.phone, landline=True)
        if checked.value is None:
            _refuse("pickup_card.phone_format", checked.faults[0].reason, field)
        phone = checked.value
    return _Stored(
        key=collector.key,
        name=collector.name,
        relation=collector.relation,
        phone=phone,
        valid_from=collector.valid_from,
        valid_until=collector.valid_until,
    )


def card_out(row: dict[str, Any]) -> PickupCardOut:
    return PickupCardOut(
        id=row["id"],
        site_id=row["site"],
        child=row["child"],
        class_name=row["class_name"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        revoked_at=row["revoked_at"],
        collectors=[
            CollectorOut(
                key=c.key,
                name=c.name,
                relation=c.relation,
                phone_masked=mask_phone(c.phone) if c.phone else None,
                valid_from=c.valid_from,
                valid_until=c.valid_until,
            )
            for c in _COLLECTORS.decode(json_bytes(row["collectors"]))
        ],
        version=row["version"],
    )


def pure_card(row: dict[str, Any], at: datetime) -> PickupCard:
    """The card as the pure check takes it, withdrawn only if it was by `at`."""
    return PickupCard(
        child=row["child"],
        collectors=tuple(
            Collector(
                key=c.key,
                name=c.name,
                relation=c.relation,
                valid_from=c.valid_from,
                valid_until=c.valid_until,
            )
            for c in _COLLECTORS.decode(json_bytes(row["collectors"]))
        ),
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        revoked=row["revoked_at"] is not None and row["revoked_at"] <= at,
    )


async def _card_row(card_id: uuid.UUID) -> dict[str, Any] | None:
    rows = await PickupCardRow.select().where(PickupCardRow.id == card_id)
    return rows[0] if rows else None


async def card_site(caller: Caller, card_id: uuid.UUID) -> dict[str, Any]:
    """A card of a site the caller is at; another site's card is not found."""
    row = await _card_row(card_id)
    if row is None or row["site"] not in caller.roles:
        raise not_found("pick-up card")
    return row


def _record(row: dict[str, Any]) -> PickupCardOut:
    out = card_out(row)
    PICKUP_CARD_FEED.record(row["site"], row["id"], version=row["version"], data=out)
    return out


async def list_cards(caller: Caller, site_id: uuid.UUID) -> list[PickupCardOut]:
    caller.require(site_id, READERS)
    rows = await PickupCardRow.select().where(PickupCardRow.site == site_id)
    return sorted((card_out(r) for r in rows), key=lambda c: (c.class_name, c.child, str(c.id)))


async def get_card(caller: Caller, card_id: uuid.UUID) -> PickupCardOut:
    row = await card_site(caller, card_id)
    caller.require(row["site"], READERS, "pick-up card")
    return card_out(row)


def _fields(data: PickupCardIn, collectors: list[_Stored]) -> dict[str, Any]:
    return {
        "child": data.child,
        "class_name": data.class_name,
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
        "collectors": msgspec.json.encode(collectors).decode(),
    }


def _same(row: dict[str, Any], fields: dict[str, Any]) -> bool:
    stored = {
        **row,
        "collectors": msgspec.json.encode(
            _COLLECTORS.decode(json_bytes(row["collectors"]))
        ).decode(),
    }
    return all(stored[k] == v for k, v in fields.items())


async def create_card(caller: Caller, site_id: uuid.UUID, data: PickupCardIn) -> PickupCardOut:
    """A new card (managers). The same card sent twice under its id is answered as it
    stands; another card under a used id is 409 `pickup_card.id_taken`."""
    caller.require(site_id, MANAGERS)
    fields = _fields(data, checked_collectors(data))
    async with transaction():
        existing = await _card_row(data.id)
        if existing is not None:
            if existing["site"] == site_id and _same(existing, fields):
                return card_out(existing)
            raise DomainError(
                "pickup_card.id_taken", "another pick-up card has this id", field="id"
            )
        row = {
            "id": data.id,
            "site": site_id,
            **fields,
            "revoked_at": None,
            "version": 1,
            "updated_by": caller.user_id,
            "updated_at": clock.utcnow(),
        }
        await insert_rows(PickupCardRow, [row])
        stored = await _card_row(data.id)
        assert stored is not None
        return _record(stored)


async def update_card(caller: Caller, card_id: uuid.UUID, data: PickupCardUpdate) -> PickupCardOut:
    """The card changed whole, at the version the manager read."""
    row = await card_site(caller, card_id)
    caller.require(row["site"], MANAGERS, "pick-up card")
    if data.id != card_id:
        raise DomainError("request.invalid", "the body's id is not the card's", field="id")
    # The console shows a phone masked and cannot send it back: a collector whose phone is
    # left empty keeps the one stored under the same key.
    stored = {c.key: c.phone for c in _COLLECTORS.decode(json_bytes(row["collectors"]))}
    collectors = [
        c if c.phone is not None else msgspec.structs.replace(c, phone=stored.get(c.key))
        for c in checked_collectors(data)
    ]
    fields = _fields(data, collectors)
    async with transaction():
        changed = (
            await PickupCardRow.update(
                {
                    **{getattr(PickupCardRow, k): v for k, v in fields.items()},
                    PickupCardRow.version: data.version + 1,
                    PickupCardRow.updated_by: caller.user_id,
                    PickupCardRow.updated_at: clock.utcnow(),
                }
            )
            .where((PickupCardRow.id == card_id) & (PickupCardRow.version == data.version))
            .returning(PickupCardRow.id)
        )
        current = await _card_row(card_id)
        assert current is not None
        if not changed:
            raise DomainError(
                "pickup_card.version_conflict",
                f"the card was changed since version {data.version}: read it again",
                field="version",
                current=msgspec.to_builtins(card_out(current)),
            )
        return _record(current)


async def revoke_card(caller: Caller, card_id: uuid.UUID) -> PickupCardOut:
    """The card withdrawn: every collector refused from now. Withdrawn twice, it stays as
    the first withdrawal left it."""
    row = await card_site(caller, card_id)
    caller.require(row["site"], MANAGERS, "pick-up card")
    async with transaction():
        changed = (
            await PickupCardRow.update(
                {
                    PickupCardRow.revoked_at: clock.utcnow(),
                    PickupCardRow.version: PickupCardRow.version + 1,
                    PickupCardRow.updated_by: caller.user_id,
                    PickupCardRow.updated_at: clock.utcnow(),
                }
            )
            .where((PickupCardRow.id == card_id) & PickupCardRow.revoked_at.is_null())
            .returning(PickupCardRow.id)
        )
        current = await _card_row(card_id)
        assert current is not None
        return _record(current) if changed else card_out(current)


async def snapshot_cards(
    site_id: uuid.UUID, after: str | None, limit: int
) -> list[tuple[str, int, PickupCardOut]]:
    """The site's cards in force or ended in the last two days (a card that ended is still
    sent a while, so the gate says "expired" rather than "not a card")."""
    since = clock.utcnow() - timedelta(days=2)
    query = PickupCardRow.select().where(
        (PickupCardRow.site == site_id)
        & (PickupCardRow.valid_until >= since)
        & PickupCardRow.revoked_at.is_null()
    )
    if after is not None:
        query = query.where(PickupCardRow.id > uuid.UUID(after))
    rows = await query.order_by(PickupCardRow.id).limit(limit)
    return [(str(r["id"]), r["version"], card_out(r)) for r in rows]


PICKUP_CARD_FEED = Feed("pickup_card", Audience.GATE, snapshot_cards)


# --- the gate's check ---------------------------------------------------------------


class CardChecked(FactHandler[CardCheck]):
    """`card.checked`: recorded once per id; its answer is the judgement stored with it."""

    type = "card.checked"
    body = CardCheck
    noun = "card check"
    id_code = "card.id_not_uuid7"
    conflict_code = "card.conflict"
    table = CardCheckRow
    utc_fields = ("checked_at",)

    async def admit(
        self, caller: Caller, candidates: list[Candidate[CardCheck]], *, now: datetime
    ) -> list[Plan[CardCheck] | DomainError]:
        ids = sorted({c.body.card_id for c in candidates})
        cards = {
            r["id"]: r for r in await PickupCardRow.select().where(PickupCardRow.id.is_in(ids))
        }
        received = clock.utcnow()
        results: list[Plan[CardCheck] | DomainError] = []
        for candidate in candidates:
            body = candidate.body
            try:
                site = body.site_id
                caller.require(site, READERS, "site")
                card = cards.get(body.card_id)
                if card is None or card["site"] != site:
                    raise DomainError("not_found", "pick-up card not found", field="card_id")
                if body.checked_at > now + FUTURE_TOLERANCE:
                    raise DomainError(
                        "card.recorded_in_future",
                        "checked_at is in the future beyond the tolerated clock drift",
                        field="checked_at",
                    )
            except DomainError as exc:
                if body.site_id in caller.roles:
                    exc.site_id = body.site_id
                results.append(exc)
                continue
            verdict = may_collect(
                pure_card(card, body.checked_at), body.collector_key, body.checked_at
            )
            answer = CardCheckOut(
                id=body.id,
                card_id=body.card_id,
                allowed=verdict.allowed,
                faults=[FaultOut(code=f.code, reason=f.reason) for f in verdict.faults],
                collector=verdict.collector.name if verdict.collector else None,
            )
            row = {
                "id": body.id,
                "site": site,
                "card": body.card_id,
                "collector_key": body.collector_key,
                "allowed": verdict.allowed,
                "faults": msgspec.json.encode(answer.faults).decode(),
                "person": caller.user_id,
                "device_id": caller.device_id,
                "occurred_at": body.checked_at,
                "received_at": received,
                "content_sha256": candidate.digest,
            }
            results.append(candidate.accept(site, row, extra=answer))
        return results

    async def store(self, caller: Caller, plans: list[Plan[CardCheck]]) -> None:
        await insert_rows(CardCheckRow, [p.row for p in plans])

    async def stored(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Stored]:
        rows = await CardCheckRow.select().where(CardCheckRow.id.is_in(ids))
        cards = {
            r["id"]: r
            for r in await PickupCardRow.select().where(
                PickupCardRow.id.is_in(sorted({r["card"] for r in rows}) or [uuid.UUID(int=0)])
            )
        }
        found = {}
        for row in rows:
            card = cards.get(row["card"])
            names = (
                {c.key: c.name for c in _COLLECTORS.decode(json_bytes(card["collectors"]))}
                if card
                else {}
            )
            row["collector"] = names.get(row["collector_key"])
            found[row["id"]] = Stored(row["site"], row["content_sha256"], row)
        return found

    def answer(self, plan: Plan[CardCheck]) -> Any:
        if plan.outcome == "new":
            return msgspec.to_builtins(plan.extra)
        row = plan.row
        return msgspec.to_builtins(
            CardCheckOut(
                id=row["id"],
                card_id=row["card"],
                allowed=row["allowed"],
                faults=msgspec.json.decode(json_bytes(row["faults"]), type=list[FaultOut]),
                collector=row.get("collector"),
            )
        )


CARD_CHECKED = CardChecked()


async def check_card(caller: Caller, card_id: uuid.UUID, data: CardCheckIn) -> CardCheckOut:
    row = await card_site(caller, card_id)
    body = CardCheck(**msgspec.structs.asdict(data), card_id=card_id, site_id=row["site"])
    plan = await CARD_CHECKED.accept(caller, body)
    return msgspec.convert(CARD_CHECKED.answer(plan), CardCheckOut)
