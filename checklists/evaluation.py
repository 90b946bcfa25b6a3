"""Judging a valid set of answers: per item, overall, and a score.

The same answers to the same template version must give the same evaluation on a phone in
a basement and on the server a week later, so nothing here reads the clock (`today` is
given), numbers are compared as the decimals people typed, and the score is rounded in
decimal arithmetic.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import msgspec

from checklists.answers import ItemOutcome, is_answered, judge_answer, shown_items
from checklists.problems import InvalidAnswers
from checklists.templates import JUDGED_ITEMS, Template
from checklists.validation import validate


class ItemResult(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    result: ItemOutcome
    critical: bool


class Evaluation(msgspec.Struct, frozen=True, kw_only=True):
    template_key: str
    template_version: int
    result: Literal["pass", "fail"]
    critical_failure: bool
    # Percentage of judged items (check, number, choice, date) that passed; items answered
    # "na" or left unanswered are not judged. 100.0 when nothing was judged.
    score: float
    failed_items: list[str]
    items: list[ItemResult]


def evaluate(template: Template, answers: dict[str, Any], *, today: dt.date) -> Evaluation:
    """Raises `InvalidAnswers` unless `validate` finds nothing wrong with the answers."""
    problems = validate(template, answers, today=today)
    if problems:
        raise InvalidAnswers(problems)
    shown = shown_items(template, answers)
    results: list[ItemResult] = []
    for item in template.items:
        if item.key not in shown:
            outcome: ItemOutcome = "na"
        elif not is_answered(answers.get(item.key)):
            outcome = "unanswered"
        else:
            outcome = judge_answer(item, answers[item.key], today=today)
        results.append(ItemResult(key=item.key, result=outcome, critical=item.critical))

    judged_types = {item.key for item in template.items if isinstance(item, JUDGED_ITEMS)}
    judged = [r for r in results if r.key in judged_types and r.result in ("pass", "fail")]
    passed = sum(1 for r in judged if r.result == "pass")
    failed = [r for r in results if r.result == "fail"]
    return Evaluation(
        template_key=template.key,
        template_version=template.version,
        result="fail" if failed else "pass",
        critical_failure=any(r.critical for r in failed),
        score=score(passed, len(judged)),
        failed_items=[r.key for r in failed],
        items=results,
    )


def score(passed: int, judged: int) -> float:
    if judged == 0:
        return 100.0
    percent = Decimal(passed * 100) / Decimal(judged)
    return float(percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
