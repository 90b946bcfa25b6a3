"""Checklist evaluation and template decoding speed, in one process.

Every submitted inspection is validated and evaluated, and the server decodes the stored
template version it was given for (msgspec JSON), so these are the two costs per
submission that do not touch the database.

    python bench/bench_evaluation.py [--iterations 20000] [--runs 5]

Figures are the best of the runs, each of `--iterations` calls.
"""

import argparse
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import msgspec

from checklists import Template, evaluate, library_template, load_library, parse_template, validate
from checklists.answers import shown_items
from checklists.templates import (
    CheckItem,
    ChoiceItem,
    DateItem,
    Item,
    NumberItem,
    PhotoItem,
    SignatureItem,
    TextItem,
)

TODAY = dt.date(2025, 9, 1)
PHOTO = "3f4a" * 16
SIGNATURE = "9c1e" * 16

EXTINGUISHER_ANSWERS: dict[str, Any] = {
    "gauge_zone": "green",
    "seal_and_pin": "pass",
    "hose": "pass",
    "body": "fail",
    "service_life_end": "2031-06-30",
    "cabinet_opens": "na",
    "signage_and_access": "pass",
    "photo": [PHOTO],
    "notes": "瓶体底部轻微锈蚀，已报修 / slight rust at the base, reported",
}


def realistic_answers(template: Template) -> dict[str, Any]:
    """Answers as a phone sends them: every item of the form, hidden ones as null."""
    if template.key == "fire_extinguisher_monthly":
        return EXTINGUISHER_ANSWERS
    if template.key == "tableware_disinfection_record":
        # Chemical disinfection shows the most items of this record.
        return {
            **dict.fromkeys(item.key for item in template.items),
            "meal": "lunch",
            "method": "chemical",
            "washed_and_rinsed": "pass",
            "chlorine_concentration": 250,
            "immersion_minutes": 5,
            "fully_immersed": "pass",
            "kept_in_clean_cabinet": "pass",
            "operator": "王师傅",
        }
    answers = {item.key: _passing_answer(item) for item in template.items}
    shown = shown_items(template, answers)
    return {key: value if key in shown else None for key, value in answers.items()}


def _passing_answer(item: Item) -> Any:
    if isinstance(item, NumberItem):
        return item.min if item.min is not None else item.max if item.max is not None else 1
    if isinstance(item, ChoiceItem):
        return [item.options[0].value] if item.multiple else item.options[0].value
    if isinstance(item, PhotoItem):
        return [f"{n:064x}" for n in range(item.min_count)]
    return {
        CheckItem: "pass",
        TextItem: "正常 / normal",
        DateItem: "2030-01-01",
        SignatureItem: SIGNATURE,
    }[type(item)]


def best_rate(action: Callable[[], object], iterations: int, runs: int) -> float:
    """Calls a second, from the fastest of `runs` timed loops."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(iterations):
            action()
        best = min(best, time.perf_counter() - start)
    return iterations / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    largest = max(load_library().values(), key=lambda t: len(t.items))
    templates = [library_template("fire_extinguisher_monthly"), largest]
    print(
        f"one process, best of {args.runs} runs of {args.iterations} calls; "
        f"validate + evaluate with today={TODAY}"
    )
    print(
        f"{'template':<32}{'items':>6}{'answers':>8}{'evaluate/s':>12}{'decode/s':>11}{'parse/s':>10}"
    )
    for template in templates:
        answers = realistic_answers(template)
        assert validate(template, answers) == [], template.key

        def judge(template: Template = template, answers: dict[str, Any] = answers) -> None:
            validate(template, answers)
            evaluate(template, answers, today=TODAY)

        body = msgspec.json.encode(template)
        evaluations = best_rate(judge, args.iterations, args.runs)
        # What the server does with a stored version, and what a publish does with a body.
        decodes = best_rate(
            lambda body=body: msgspec.json.decode(body, type=Template), args.iterations, args.runs
        )
        parses = best_rate(
            lambda body=body: parse_template(body, format="json"), args.iterations, args.runs
        )
        given = sum(1 for value in answers.values() if value is not None)
        print(
            f"{template.key:<32}{len(template.items):>6}{given:>8}"
            f"{evaluations:>12,.0f}{decodes:>11,.0f}{parses:>10,.0f}"
        )
    print("evaluate: validate + evaluate; decode: msgspec JSON to Template; parse: decode + checks")


if __name__ == "__main__":
    main()
