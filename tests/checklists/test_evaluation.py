import datetime as dt
from typing import Any

import msgspec
import pytest

from checklists.evaluation import evaluate, score
from checklists.problems import InvalidAnswers
from tests.checklists.factories import SHA_A, item, label, make_template

TODAY = dt.date(2025, 3, 15)


def _result(template: Any, answers: dict[str, Any], today: dt.date = TODAY) -> dict[str, str]:
    evaluation = evaluate(template, answers, today=today)
    return {r.key: r.result for r in evaluation.items}


@pytest.mark.parametrize(
    ("reading", "outcome"),
    [(-0.1, "fail"), (0, "pass"), (0.0, "pass"), (4.5, "pass"), (8, "pass"), (8.1, "fail")],
)
def test_number_bounds_are_inclusive(reading: float, outcome: str) -> None:
    template = make_template(item("number", "t", unit="°C", min=0, max=8, decimals=1))
    assert _result(template, {"t": reading}) == {"t": outcome}


@pytest.mark.parametrize(("reading", "outcome"), [(-18, "pass"), (-17.9, "fail"), (-25, "pass")])
def test_number_with_only_a_max(reading: float, outcome: str) -> None:
    template = make_template(item("number", "t", max=-18, decimals=1))
    assert _result(template, {"t": reading}) == {"t": outcome}


def test_decimal_bounds_compare_as_typed_not_as_binary_floats() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in binary; a bound of 0.3 must still admit 0.3.
    template = make_template(item("number", "c", min=0.3, max=0.7, decimals=2))
    assert _result(template, {"c": 0.3}) == {"c": "pass"}
    assert _result(template, {"c": 0.29}) == {"c": "fail"}
    assert _result(template, {"c": 0.71}) == {"c": "fail"}


def test_too_many_decimals_is_invalid_not_a_failure() -> None:
    template = make_template(item("number", "w", min=125))
    with pytest.raises(InvalidAnswers) as caught:
        evaluate(template, {"w": 125.5}, today=TODAY)
    assert [p.code for p in caught.value.problems] == ["answers.too_many_decimals"]


def test_choice_fail_options_single_and_multiple() -> None:
    options = [{"value": v, "label": label(v)} for v in ("ok", "worn", "broken")]
    template = make_template(
        item("choice", "one", options=options, fail_options=["broken"]),
        item("choice", "many", options=options, fail_options=["broken"], multiple=True),
    )
    assert _result(template, {"one": "worn", "many": ["ok", "worn"]}) == {
        "one": "pass",
        "many": "pass",
    }
    assert _result(template, {"one": "broken", "many": ["worn", "broken"]}) == {
        "one": "fail",
        "many": "fail",
    }


@pytest.mark.parametrize(
    ("answer", "outcome"), [("2025-03-14", "fail"), ("2025-03-15", "pass"), ("2030-01-01", "pass")]
)
def test_a_date_that_must_not_be_past_is_judged_against_the_given_today(
    answer: str, outcome: str
) -> None:
    template = make_template(item("date", "end", must_not_be_past=True))
    assert _result(template, {"end": answer}) == {"end": outcome}
    assert _result(template, {"end": answer}, today=dt.date(2000, 1, 1)) == {"end": "pass"}


def test_a_past_date_is_fine_when_it_may_be_past() -> None:
    template = make_template(item("date", "serviced"))
    assert _result(template, {"serviced": "2020-01-01"}) == {"serviced": "pass"}


def test_hidden_items_are_na_and_optional_items_unanswered() -> None:
    template = make_template(
        item("check", "a"),
        item("number", "b", min=1, show_if={"item": "a", "equals": "fail"}),
        item("text", "c", required=False),
    )
    evaluation = evaluate(template, {"a": "pass"}, today=TODAY)
    assert [(r.key, r.result) for r in evaluation.items] == [
        ("a", "pass"),
        ("b", "na"),
        ("c", "unanswered"),
    ]
    assert (evaluation.result, evaluation.score) == ("pass", 100.0)


def test_a_critical_failure_is_flagged_and_an_ordinary_one_is_not() -> None:
    template = make_template(item("check", "minor"), item("check", "major", critical=True))
    ordinary = evaluate(template, {"minor": "fail", "major": "pass"}, today=TODAY)
    assert (ordinary.result, ordinary.critical_failure) == ("fail", False)
    critical = evaluate(template, {"minor": "pass", "major": "fail"}, today=TODAY)
    assert (critical.result, critical.critical_failure) == ("fail", True)
    assert critical.failed_items == ["major"]


def test_score_counts_judged_items_only_and_lists_failures_in_template_order() -> None:
    template = make_template(
        item("check", "a"),
        item("check", "b"),
        item("check", "c"),
        item("check", "d"),
        item("text", "t"),
        item("signature", "s"),
        item("photo", "p"),
    )
    answers = {"a": "fail", "b": "pass", "c": "na", "d": "fail", "t": "x", "s": SHA_A}
    answers["p"] = [SHA_A]
    evaluation = evaluate(template, answers, today=TODAY)
    assert evaluation.score == 33.3
    assert evaluation.failed_items == ["a", "d"]


def test_score_rounds_half_up_to_one_decimal() -> None:
    assert score(2, 3) == 66.7
    assert score(1, 8) == 12.5
    assert score(1, 16) == 6.3  # 6.25, half up
    assert score(0, 0) == 100.0
    assert score(0, 5) == 0.0


def test_the_same_answers_give_byte_identical_evaluations() -> None:
    options = [{"value": v, "label": label(v)} for v in ("x", "y")]
    template = make_template(
        item("choice", "c", options=options, fail_options=["y"], multiple=True),
        item("number", "n", min=0.1, max=0.3, decimals=2),
        item("check", "k", critical=True),
        item("date", "d", must_not_be_past=True),
    )
    answers = {"c": ["y", "x"], "n": 0.3, "k": "na", "d": "2025-03-14"}
    reordered = dict(reversed(list(answers.items())))
    first = msgspec.json.encode(evaluate(template, answers, today=TODAY))
    again = msgspec.json.encode(evaluate(template, reordered, today=TODAY))
    assert first == again
    assert msgspec.json.decode(first)["failed_items"] == ["c", "d"]


def test_invalid_answers_are_not_evaluated() -> None:
    template = make_template(item("check", "a"))
    with pytest.raises(InvalidAnswers) as caught:
        evaluate(template, {"a": "yes"}, today=TODAY)
    assert caught.value.problems[0].path == "answers.a"
