import math
import random
from typing import Any

import pytest

from checklists.problems import Problem
from checklists.validation import validate
from tests.checklists.factories import SHA_A, SHA_B, item, label, make_template

ZONES = [{"value": v, "label": label(v)} for v in ("green", "red", "yellow")]
EVERY_TYPE = make_template(
    item("check", "seal", allow_na=False),
    item("number", "temp", unit="°C", min=0, max=8, decimals=1),
    item("choice", "zone", options=ZONES, fail_options=["red", "yellow"]),
    item("choice", "faults", options=ZONES, multiple=True, required=False),
    item("text", "notes", max_length=10, required=False),
    item("date", "expires", must_not_be_past=True),
    item("photo", "photos", min_count=2),
    item("signature", "signed"),
    item("text", "why", show_if={"item": "seal", "equals": "fail"}),
)
GOOD: dict[str, Any] = {
    "seal": "pass",
    "temp": 4.5,
    "zone": "green",
    "expires": "2030-01-31",
    "photos": [SHA_A, SHA_B],
    "signed": SHA_A,
}


def _codes(answers: dict[Any, Any]) -> list[tuple[str, str]]:
    return [(p.path, p.code) for p in validate(EVERY_TYPE, answers)]


def test_good_answers_have_no_problems() -> None:
    assert validate(EVERY_TYPE, GOOD) == []


def test_all_problems_are_reported_at_once_in_template_order() -> None:
    assert _codes({}) == [
        ("answers.seal", "answers.missing"),
        ("answers.temp", "answers.missing"),
        ("answers.zone", "answers.missing"),
        ("answers.expires", "answers.missing"),
        ("answers.photos", "answers.missing"),
        ("answers.signed", "answers.missing"),
    ]


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("seal", "na", "answers.not_allowed"),
        ("seal", "ok", "answers.not_allowed"),
        ("seal", True, "answers.wrong_type"),
        ("temp", "4.5", "answers.wrong_type"),
        ("temp", True, "answers.wrong_type"),
        ("temp", 4.55, "answers.too_many_decimals"),
        ("temp", float("nan"), "answers.not_finite"),
        ("temp", float("inf"), "answers.not_finite"),
        ("zone", "blue", "answers.not_allowed"),
        ("zone", ["green"], "answers.wrong_type"),
        ("faults", "red", "answers.wrong_type"),
        ("notes", "x" * 11, "answers.too_long"),
        ("notes", 5, "answers.wrong_type"),
        ("expires", "2030-02-30", "answers.wrong_type"),
        ("expires", "20300131", "answers.wrong_type"),
        ("photos", SHA_A, "answers.wrong_type"),
        ("signed", SHA_A.upper(), "answers.malformed_hash"),
        ("signed", SHA_A + "\n", "answers.malformed_hash"),
    ],
)
def test_wrong_answers(key: str, value: Any, code: str) -> None:
    assert _codes({**GOOD, key: value}) == [(f"answers.{key}", code)]


def test_a_whole_float_is_a_number_with_no_decimals() -> None:
    assert validate(EVERY_TYPE, {**GOOD, "temp": 5.0}) == []
    assert validate(EVERY_TYPE, {**GOOD, "temp": 5}) == []
    assert validate(EVERY_TYPE, {**GOOD, "temp": 10**5000}) == []


def test_multiple_choice_checks_each_value() -> None:
    assert validate(EVERY_TYPE, {**GOOD, "faults": ["red", "yellow"]}) == []
    assert _codes({**GOOD, "faults": ["red", "blue", "red"]}) == [
        ("answers.faults[1]", "answers.not_allowed"),
        ("answers.faults[2]", "answers.duplicate"),
    ]


def test_photos_must_be_enough_distinct_digests() -> None:
    assert _codes({**GOOD, "photos": [SHA_A]}) == [("answers.photos", "answers.too_few_photos")]
    assert _codes({**GOOD, "photos": [SHA_A, "not-a-hash", SHA_A]}) == [
        ("answers.photos[1]", "answers.malformed_hash"),
        ("answers.photos[2]", "answers.duplicate"),
    ]


def test_null_blank_and_empty_count_as_no_answer() -> None:
    assert validate(EVERY_TYPE, {**GOOD, "notes": None, "faults": [], "why": "  "}) == []
    assert _codes({**GOOD, "signed": None}) == [("answers.signed", "answers.missing")]


def test_unknown_items_are_reported_after_the_items_sorted() -> None:
    assert _codes({**GOOD, "zz": 1, "aa": 2}) == [
        ("answers.aa", "answers.unknown_item"),
        ("answers.zz", "answers.unknown_item"),
    ]
    assert _codes({**GOOD, 7: "x"}) == [("answers.7", "answers.unknown_item")]


def test_a_key_too_long_to_print_is_still_reported_not_raised() -> None:
    # Python refuses to write out an int of more than 4300 digits.
    assert _codes({**GOOD, 10**5000: "x", (10**5000,): "y"}) == [
        ("answers.<int>", "answers.unknown_item"),
        ("answers.<tuple>", "answers.unknown_item"),
    ]


def test_a_hidden_item_takes_no_answer_and_a_shown_one_is_required() -> None:
    assert _codes({**GOOD, "why": "broken"}) == [("answers.why", "answers.hidden_item")]
    assert _codes({**GOOD, "seal": "fail"}) == [("answers.why", "answers.missing")]
    assert validate(EVERY_TYPE, {**GOOD, "seal": "fail", "why": "broken"}) == []


def test_conditions_chain_through_hidden_items() -> None:
    template = make_template(
        item("check", "a"),
        item("check", "b", show_if={"item": "a", "equals": "fail"}),
        item("text", "c", show_if={"item": "b", "in": ["fail", "na"]}),
    )
    # b is hidden, so its stale answer cannot reveal c.
    codes = [(p.path, p.code) for p in validate(template, {"a": "pass", "b": "fail", "c": "x"})]
    assert codes == [
        ("answers.b", "answers.hidden_item"),
        ("answers.c", "answers.hidden_item"),
    ]
    assert validate(template, {"a": "fail", "b": "na", "c": "x"}) == []


def test_answers_that_are_not_an_object() -> None:
    for answers in (None, [], "x", 3):
        assert validate(EVERY_TYPE, answers) == [
            Problem(path="answers", code="answers.not_object", reason="must be an object")
        ]


def _junk(rng: random.Random, depth: int = 0) -> Any:
    simple = [
        None,
        True,
        0,
        -1,
        10**400,
        -(10**30),
        1e308,
        5e-324,
        math.nan,
        math.inf,
        -math.inf,
        "",
        " ",
        "pass",
        "na",
        "green",
        "2024-02-29",
        "9999-99-99",
        SHA_A,
        "\x00",
        "长" * 3000,
        b"bytes",
        1.5,
        0.1,
    ]
    if depth > 2 or rng.random() < 0.6:
        return rng.choice(simple)
    if rng.random() < 0.5:
        return [_junk(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["seal", "x", "", "zone"]): _junk(rng, depth + 1) for _ in range(3)}


def test_validation_never_raises_on_junk() -> None:
    rng = random.Random(20240901)
    keys = [*GOOD, "faults", "notes", "why", "unknown", ""]
    for _ in range(3000):
        answers = {key: _junk(rng) for key in rng.sample(keys, rng.randint(0, len(keys)))}
        problems = validate(EVERY_TYPE, answers)
        assert all(isinstance(p, Problem) and p.path.startswith("answers") for p in problems)
        # Replacing one good answer with junk never makes the junk pass unnoticed as NaN.
        for key, value in answers.items():
            if isinstance(value, float) and not math.isfinite(value) and key == "temp":
                assert any(p.path == "answers.temp" for p in problems)
