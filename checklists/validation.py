"""Validation of submitted answers against a template version.

Answers arrive as decoded JSON from phones that may run an old build, so `validate` reports
every problem at once and never raises, whatever it is given. An answer of `null` counts as
no answer, and so do a blank text and an empty list: clients send all three for "skipped".
"""

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from checklists.answers import (
    decimal_places,
    evidence_keys,
    is_answered,
    judge_answer,
    parse_date,
    shown_items,
)
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
# What a failing item's note may hold: as much as a text item's default.
NOTE_LENGTH = 2000


def validate(template: Template, answers: Any, *, today: dt.date | None = None) -> list[Problem]:
    """Every problem with the answers: items in template order, each followed by what its
    failure asks for, then unknown keys sorted.

    What is required only when something fails (`required_when`, an item's `evidence`)
    follows the judged answers, and a date is judged against `today`: without it, no date
    counts as failing here.
    """
    if not isinstance(answers, Mapping):
        return [Problem(path="answers", code="answers.not_object", reason="must be an object")]
    shown = shown_items(template, answers)
    own: dict[str, list[Problem]] = {}
    failed: set[str] = set()
    for item in template.items:
        value = answers.get(item.key)
        if item.key in shown and is_answered(value):
            own[item.key] = _check_answer(item, value, f"answers.{item.key}")
            if not own[item.key] and _fails(item, value, today):
                failed.add(item.key)
    problems: list[Problem] = []
    for item in template.items:
        path = f"answers.{item.key}"
        value = answers.get(item.key)
        if item.key not in shown:
            for key in (item.key, *evidence_keys(item)):
                if is_answered(answers.get(key)):
                    problems.append(
                        Problem(
                            path=f"answers.{key}",
                            code="answers.hidden_item",
                            reason="this item is hidden by its show_if condition and takes "
                            "no answer",
                        )
                    )
            continue
        if is_answered(value):
            problems.extend(own[item.key])
        elif item.required if item.required_when is None else bool(failed):
            problems.append(Problem(path=path, code="answers.missing", reason="is required"))
        problems.extend(_check_evidence(item, answers, failing=item.key in failed))
    known = {item.key for item in template.items}
    known.update(key for item in template.items for key in evidence_keys(item))
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


def _fails(item: Item, value: Any, today: dt.date | None) -> bool:
    if isinstance(item, DateItem) and today is None:
        return False
    return judge_answer(item, value, today=today or dt.date.min) == "fail"


def _check_evidence(item: Item, answers: Mapping[Any, Any], *, failing: bool) -> list[Problem]:
    """A failing item's own photos and note: checked when given (the phone sends them only
    for a failure), missing when its failure needs them."""
    problems: list[Problem] = []
    for key, kind in evidence_keys(item).items():
        path = f"answers.{key}"
        value = answers.get(key)
        assert item.evidence is not None
        need = item.evidence.photo if kind == "photos" else item.evidence.note
        if not is_answered(value):
            if failing and need == "required":
                problems.append(
                    Problem(path=path, code="answers.missing", reason="is required on a failure")
                )
        elif kind == "photos":
            problems.extend(_check_digests(value, path, min_count=1))
        elif not isinstance(value, str):
            problems.append(Problem(path=path, code="answers.wrong_type", reason="must be text"))
        elif len(value) > NOTE_LENGTH:
            problems.append(
                Problem(
                    path=path, code="answers.too_long", reason=f"at most {NOTE_LENGTH} characters"
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
    return _check_digests(value, path, min_count=item.min_count)


def _check_digests(value: Any, path: str, *, min_count: int) -> list[Problem]:
    if not isinstance(value, list):
        return [
            Problem(path=path, code="answers.wrong_type", reason="must be a list of sha256 digests")
        ]
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
    if len(value) < min_count:
        problems.append(
            Problem(
                path=path,
                code="answers.too_few_photos",
                reason=f"at least {min_count} photo(s), got {len(value)}",
            )
        )
    return problems
