"""Reading answers: whether one is given, which items are shown, numbers and dates as
people typed them, and whether a valid answer passes or fails.

Validation and evaluation both stand on these, and `server/web/app/checklist.js` mirrors
them on the phone.
"""

import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from checklists.templates import (
    CheckItem,
    ChoiceItem,
    DateItem,
    Item,
    NumberItem,
    Template,
    TextItem,
)

ItemOutcome = Literal["pass", "fail", "na", "unanswered"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return bool(value)
    return True


def shown_items(template: Template, answers: Mapping[Any, Any]) -> set[str]:
    """Keys of the items a person filling in these answers would see.

    An item whose condition refers to a hidden item is hidden too, so a chain of
    conditions collapses as soon as one link is not met.
    """
    shown: set[str] = set()
    for item in template.items:
        condition = item.show_if
        if condition is None or (
            condition.item in shown and _matches(answers.get(condition.item), condition.accepted())
        ):
            shown.add(item.key)
    return shown


def _matches(answer: Any, accepted: list[str]) -> bool:
    # Selections of a multiple choice match when any selected value is accepted.
    if isinstance(answer, str):
        return answer in accepted
    if isinstance(answer, list):
        return any(isinstance(value, str) and value in accepted for value in answer)
    return False


def evidence_keys(item: Item) -> dict[str, Literal["photos", "note"]]:
    """The answer keys of what a failing item asks for under it: `"<item>.photos"` and
    `"<item>.note"`, which no item key can be (keys are slugs)."""
    evidence = item.evidence
    if evidence is None:
        return {}
    keys: dict[str, Literal["photos", "note"]] = {}
    if evidence.photo is not None:
        keys[f"{item.key}.photos"] = "photos"
    if evidence.note is not None:
        keys[f"{item.key}.note"] = "note"
    return keys


def as_decimal(value: int | float) -> Decimal:
    """The number as typed: 36.6 is 36.6, not 36.600000000000001421085471520199584961."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(value))


def decimal_places(value: int | float) -> int:
    if isinstance(value, int):
        return 0
    exponent = as_decimal(value).normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def parse_date(value: str) -> dt.date | None:
    if not _ISO_DATE.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def judge_answer(item: Item, value: Any, *, today: dt.date) -> ItemOutcome:
    """The outcome of one valid, non-empty answer to a shown item.

    Text, photos and signatures are records, not judgements: answered, they pass.
    """
    if isinstance(item, CheckItem):
        return "pass" if value == "pass" else "fail" if value == "fail" else "na"
    if isinstance(item, NumberItem):
        reading = as_decimal(value)
        if item.min is not None and reading < as_decimal(item.min):
            return "fail"
        if item.max is not None and reading > as_decimal(item.max):
            return "fail"
        return "pass"
    if isinstance(item, ChoiceItem):
        selected = value if isinstance(value, list) else [value]
        return "fail" if any(v in item.fail_options for v in selected) else "pass"
    if isinstance(item, DateItem):
        day = parse_date(value)
        return "fail" if item.must_not_be_past and day is not None and day < today else "pass"
    return "pass"


def item_evidence(item_key: str, answers: Mapping[str, Any]) -> tuple[list[str], str]:
    """The photos and the note given right under a failing item (its `evidence`)."""
    photos = answers.get(f"{item_key}.photos")
    note = answers.get(f"{item_key}.note")
    return (
        [p for p in photos if isinstance(p, str)] if isinstance(photos, list) else [],
        note.strip() if isinstance(note, str) else "",
    )


def all_ok_answers(template: Template, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers after "All OK": every shown check item still unanswered passes, and a
    single choice still unanswered takes its one passing option (the gauge in the green);
    an answer given is never changed. In template order, so an item shown by an earlier
    one's pass is answered too."""
    after = dict(answers)
    for item in template.items:
        if is_answered(after.get(item.key)) or item.key not in shown_items(template, after):
            continue
        if isinstance(item, CheckItem):
            after[item.key] = "pass"
        elif isinstance(item, ChoiceItem) and not item.multiple:
            passing = [o.value for o in item.options if o.value not in item.fail_options]
            if len(passing) == 1:
                after[item.key] = passing[0]
    return after


def prefilled_answers(template: Template, asset: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answers an asset's record gives before anyone types (`prefill`). A value that
    would not be a valid answer (no date, too many decimals) is left for the person."""
    if asset is None:
        return {}
    attributes = asset.get("attributes") or {}
    answers: dict[str, Any] = {}
    for item in template.items:
        source = item.prefill
        if source is None:
            continue
        if source.attribute is not None:
            value = attributes.get(source.attribute)
        elif source.field is not None:
            value = asset.get(source.field)
        else:
            continue
        if _fits(item, value):
            answers[item.key] = value
    return answers


def _fits(item: Item, value: Any) -> bool:
    if isinstance(item, DateItem):
        return isinstance(value, str) and parse_date(value) is not None
    if isinstance(item, NumberItem):
        return (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and decimal_places(value) <= item.decimals
        )
    if isinstance(item, TextItem):
        return isinstance(value, str) and bool(value.strip()) and len(value) <= item.max_length
    return False
