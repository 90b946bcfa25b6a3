"""What the template language asks for only when something fails (`required_when`, an item's
`evidence`), answers prefilled from the asset's record, All OK, and the `all_ok` promise."""

import datetime as dt
from typing import Any

import pytest

from checklists import evaluate, library_template, validate
from checklists.answers import all_ok_answers, item_evidence, prefilled_answers
from checklists.decoding import parse_template
from checklists.problems import InvalidTemplate
from tests.checklists.factories import SHA_A, SHA_B, item, label, make_template, template_data

TODAY = dt.date(2026, 11, 20)


def _template() -> Any:
    return make_template(
        item("check", "hose", evidence={"photo": "required", "note": "optional"}),
        item("date", "expiry", must_not_be_past=True, prefill={"attribute": "expiry_date"}),
        item("text", "serial", prefill={"field": "serial_number"}, max_length=8),
        item("photo", "photo", required_when="failure"),
        item("text", "done", required=False, required_when="failure"),
    )


def _paths(problems: Any) -> list[tuple[str, str]]:
    return [(p.path, p.code) for p in problems]


GOOD = {"hose": "pass", "expiry": "2031-06-30", "serial": "MFZ-1"}


def test_nothing_failing_asks_for_nothing_more() -> None:
    assert validate(_template(), GOOD, today=TODAY) == []


def test_a_failure_asks_for_the_photo_and_the_notes_required_when_something_fails() -> None:
    problems = validate(_template(), {**GOOD, "hose": "fail"}, today=TODAY)
    assert _paths(problems) == [
        ("answers.hose.photos", "answers.missing"),
        ("answers.photo", "answers.missing"),
        ("answers.done", "answers.missing"),
    ]
    answers = {**GOOD, "hose": "fail", "hose.photos": [SHA_A], "photo": [SHA_B], "done": "换新"}
    assert validate(_template(), answers, today=TODAY) == []
    assert evaluate(_template(), answers, today=TODAY).failed_items == ["hose"]


def test_an_expired_date_is_a_failure_only_judged_with_today() -> None:
    answers = {**GOOD, "expiry": "2020-01-31"}
    assert _paths(validate(_template(), answers, today=TODAY)) == [
        ("answers.photo", "answers.missing"),
        ("answers.done", "answers.missing"),
    ]
    # Without a day to judge by, no date fails.
    assert validate(_template(), answers) == []


def test_evidence_is_checked_when_given_and_refused_for_a_hidden_item() -> None:
    answers = {**GOOD, "hose.photos": [SHA_A, SHA_A], "hose.note": 3}
    assert _paths(validate(_template(), answers, today=TODAY)) == [
        ("answers.hose.photos[1]", "answers.duplicate"),
        ("answers.hose.note", "answers.wrong_type"),
    ]
    hidden = make_template(
        item("check", "q1"),
        item(
            "check", "q2", show_if={"item": "q1", "equals": "fail"}, evidence={"note": "optional"}
        ),
    )
    assert _paths(validate(hidden, {"q1": "pass", "q2.note": "x"})) == [
        ("answers.q2.note", "answers.hidden_item")
    ]
    # An item that asks for no note takes none.
    assert _paths(validate(_template(), {**GOOD, "serial.note": "x"})) == [
        ("answers.serial.note", "answers.unknown_item")
    ]


def test_a_failing_items_evidence_is_read_back() -> None:
    answers = {"hose": "fail", "hose.photos": [SHA_A], "hose.note": " 龟裂 "}
    assert item_evidence("hose", answers) == ([SHA_A], "龟裂")
    assert item_evidence("body", answers) == ([], "")


def test_prefilled_answers_come_from_the_assets_attributes_and_fields() -> None:
    asset = {"attributes": {"expiry_date": "2031-06-30"}, "serial_number": "MFZ-1"}
    assert prefilled_answers(_template(), asset) == {"expiry": "2031-06-30", "serial": "MFZ-1"}
    # What would not be a valid answer is left for the person; a location has nothing.
    wrong = {"attributes": {"expiry_date": "2031-02-30"}, "serial_number": "far too long"}
    assert prefilled_answers(_template(), wrong) == {}
    assert prefilled_answers(_template(), None) == {}


def test_a_prefilled_date_already_past_fails_like_a_typed_one() -> None:
    template = library_template("fire_extinguisher_monthly")
    answers = all_ok_answers(
        template, prefilled_answers(template, {"attributes": {"expiry_date": "2026-11-19"}})
    )
    evaluation = evaluate(template, {**answers, "photo": [SHA_A]}, today=TODAY)
    assert evaluation.failed_items == ["service_life_end"]


def test_all_ok_answers_checks_and_a_choice_with_one_passing_option_and_changes_nothing() -> None:
    template = make_template(
        item("check", "q1"),
        item("check", "q2", show_if={"item": "q1", "equals": "pass"}),
        item(
            "choice",
            "zone",
            options=[{"value": v, "label": label(v)} for v in ("green", "red", "yellow")],
            fail_options=["red", "yellow"],
        ),
        item(
            "choice",
            "meal",
            options=[{"value": v, "label": label(v)} for v in ("lunch", "dinner")],
        ),
    )
    assert all_ok_answers(template, {}) == {"q1": "pass", "q2": "pass", "zone": "green"}
    assert all_ok_answers(template, {"q1": "fail", "zone": "red"}) == {"q1": "fail", "zone": "red"}


def test_the_extinguisher_is_open_all_ok_submit_with_its_service_life_from_the_asset() -> None:
    template = library_template("fire_extinguisher_monthly")
    assert template.all_ok and template.version == 2
    asset = {"attributes": {"expiry_date": "2031-06-30"}}
    answers = all_ok_answers(template, prefilled_answers(template, asset))
    assert answers["service_life_end"] == "2031-06-30" and answers["gauge_zone"] == "green"
    assert validate(template, answers, today=TODAY) == []
    assert evaluate(template, answers, today=TODAY).result == "pass"


def _problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(InvalidTemplate) as caught:
        parse_template(data)
    return _paths(caught.value.problems)


def test_prefill_required_when_and_evidence_only_where_they_make_sense() -> None:
    assert _problems(
        template_data(
            item("check", "q1", prefill={"attribute": "x"}, required_when="failure"),
            item("date", "d", prefill={"attribute": "x", "field": "serial_number"}),
            item("text", "t", prefill={}),
            item("photo", "p", evidence={"photo": "optional"}),
            item("check", "q2", evidence={}),
        )
    ) == [
        ("items[0].prefill", "template.bad_prefill"),
        ("items[0].required_when", "template.bad_required_when"),
        ("items[1].prefill", "template.bad_prefill"),
        ("items[2].prefill", "template.bad_prefill"),
        ("items[3].evidence", "template.bad_evidence"),
        ("items[4].evidence", "template.bad_evidence"),
    ]
    [(path, _)] = _problems(template_data(item("check", "q1", evidence={"photo": "always"})))
    assert path == "items[0].evidence.photo"


def test_all_ok_is_a_promise_the_template_check_holds_it_to() -> None:
    assert _problems(
        template_data(
            item("check", "q1"),
            item("number", "n"),
            item("date", "d", prefill={"attribute": "expiry_date"}),
            item("photo", "p", required_when="failure"),
            item("text", "t", required=False),
            item("check", "q2", show_if={"item": "q1", "equals": "fail"}),
            item("text", "why", show_if={"item": "q1", "equals": "fail"}),
            all_ok=True,
        )
    ) == [("items[1]", "template.not_all_ok")]
