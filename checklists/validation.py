"""Validation of submitted answers against a template version.

Answers arrive as decoded JSON from phones that may run an old build, so `validate` reports
every problem at once and never raises, whatever it is given. An answer of `null` counts as
no answer, and so do a blank text and an empty list: clients send all three for "skipped".
"""

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from checklists.problems import Problem
from checklists.templates import (
    CHECK_ANSWERS,
    CheckItem,
    ChoiceItem,
    DateItem,
    Item,
    NumberItem,
    PhotoItem,
    SignatureItem,
    Template,
    TextItem,
)

_SHA256 = re.compile(r"[0-9a-f]{64}")
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


def validate(template: Template, answers: Any) -> list[Problem]:
    """Every problem with the answers: items in template order, then unknown keys sorted."""
    if not isinstance(answers, Mapping):
        return [Problem(path="answers", code="answers.not_object", reason="must be an object")]
    problems: list[Problem] = []
    shown = shown_items(template, answers)
    for item in template.items:
        path = f"answers.{item.key}"
        value = answers.get(item.key)
        if item.key not in shown:
            if is_answered(value):
                problems.append(
                    Problem(
                        path=path,
                        code="answers.hidden_item",
                        reason="this item is hidden by its show_if condition and takes no answer",
                    )
                )
        elif not is_answered(value):
            if item.required:
                problems.append(Problem(path=path, code="answers.missing", reason="is required"))
        else:
            problems.extend(_check_answer(item, value, path))
    known = {item.key for item in template.items}
    unknown = [key for key in answers if key not in known]
    for key in sorted(unknown, key=lambda key: _key_text(key, repr)):
        problems.append(
            Problem(
                path=f"answers.{_key_text(key, str)}",
                code="answers.unknown_item",
                reason=f"the template {template.key} v{template.version} has no such item",
            )
        )
    return problems


def _key_text(key: Any, show: Callable[[Any], str]) -> str:
    # JSON keys are strings, but a careless client's are not always, and str() of an int
    # of more than 4300 digits raises.
    try:
        return show(key)
    except Exception:
        return f"<{type(key).__name__}>"


def _wrong_type(path: str, item: Item) -> Problem:
    expected = {
        CheckItem: "one of pass, fail, na",
        NumberItem: "a number",
        ChoiceItem: "a list of option values" if getattr(item, "multiple", False) else "an option",
        TextItem: "text",
        DateItem: "a date written YYYY-MM-DD",
        PhotoItem: "a list of sha256 hex digests",
        SignatureItem: "a sha256 hex digest",
    }[type(item)]
    return Problem(path=path, code="answers.wrong_type", reason=f"must be {expected}")


def _check_answer(item: Item, value: Any, path: str) -> list[Problem]:
    if isinstance(item, CheckItem):
        return _check_check(item, value, path)
    if isinstance(item, NumberItem):
        return _check_number(item, value, path)
    if isinstance(item, ChoiceItem):
        return _check_choice(item, value, path)
    if isinstance(item, TextItem):
        if not isinstance(value, str):
            return [_wrong_type(path, item)]
        if len(value) > item.max_length:
            return [
                Problem(
                    path=path,
                    code="answers.too_long",
                    reason=f"at most {item.max_length} characters",
                )
            ]
        return []
    if isinstance(item, DateItem):
        if not isinstance(value, str) or parse_date(value) is None:
            return [_wrong_type(path, item)]
        return []
    if isinstance(item, PhotoItem):
        return _check_photos(item, value, path)
    if not isinstance(value, str):
        return [_wrong_type(path, item)]
    if not _SHA256.fullmatch(value):
        return [_malformed_hash(path)]
    return []


def _malformed_hash(path: str) -> Problem:
    return Problem(
        path=path,
        code="answers.malformed_hash",
        reason="must be a sha256 digest: 64 lower-case hex characters",
    )


def _check_check(item: CheckItem, value: Any, path: str) -> list[Problem]:
    if not isinstance(value, str):
        return [_wrong_type(path, item)]
    if value not in CHECK_ANSWERS or (value == "na" and not item.allow_na):
        allowed = "pass, fail, na" if item.allow_na else "pass, fail"
        return [Problem(path=path, code="answers.not_allowed", reason=f"must be one of {allowed}")]
    return []


def _check_number(item: NumberItem, value: Any, path: str) -> list[Problem]:
    # bool is an int to Python but never a reading; "36.5" as a string is a client bug.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return [_wrong_type(path, item)]
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(path=path, code="answers.not_finite", reason="must be a finite number")]
    if decimal_places(value) > item.decimals:
        return [
            Problem(
                path=path,
                code="answers.too_many_decimals",
                reason=f"at most {item.decimals} decimal places",
            )
        ]
    return []


def _check_choice(item: ChoiceItem, value: Any, path: str) -> list[Problem]:
    options = [option.value for option in item.options]
    if not item.multiple:
        if not isinstance(value, str):
            return [_wrong_type(path, item)]
        if value not in options:
            return [
                Problem(
                    path=path,
                    code="answers.not_allowed",
                    reason=f"must be one of {', '.join(options)}",
                )
            ]
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [_wrong_type(path, item)]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, selected in enumerate(value):
        if selected not in options:
            problems.append(
                Problem(
                    path=f"{path}[{index}]",
                    code="answers.not_allowed",
                    reason=f"must be one of {', '.join(options)}",
                )
            )
        elif selected in seen:
            problems.append(
                Problem(path=f"{path}[{index}]", code="answers.duplicate", reason="chosen twice")
            )
        seen.add(selected)
    return problems


def _check_photos(item: PhotoItem, value: Any, path: str) -> list[Problem]:
    if not isinstance(value, list):
        return [_wrong_type(path, item)]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, digest in enumerate(value):
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            problems.append(_malformed_hash(f"{path}[{index}]"))
        elif digest in seen:
            problems.append(
                Problem(path=f"{path}[{index}]", code="answers.duplicate", reason="given twice")
            )
        else:
            seen.add(digest)
    if len(value) < item.min_count:
        problems.append(
            Problem(
                path=path,
                code="answers.too_few_photos",
                reason=f"at least {item.min_count} photo(s), got {len(value)}",
            )
        )
    return problems
