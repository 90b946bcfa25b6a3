import json

import msgspec
import pytest

from checklists.consistency import check_template
from checklists.decoding import parse_template
from checklists.problems import InvalidTemplate, Problem
from checklists.templates import CheckItem, ChoiceItem, Condition, NumberItem, Text, Weekly
from tests.checklists.factories import item, label, make_template, template_data

FAIL_VALUE = {"item": "q1", "equals": "fail"}


def _problems(data: dict) -> list[Problem]:
    with pytest.raises(InvalidTemplate) as caught:
        parse_template(data)
    return caught.value.problems


def test_a_good_template_parses_from_json_yaml_and_dict() -> None:
    data = template_data(item("check", "q1"), item("number", "n", unit="°C", min=0, max=8))
    from_dict = parse_template(data)
    assert parse_template(json.dumps(data).encode(), format="json") == from_dict
    yaml_text = msgspec.json.encode(data).decode()  # JSON is YAML
    assert parse_template(yaml_text.encode(), format="yaml") == from_dict
    assert from_dict.items[0] == CheckItem(key="q1", label=Text(zh_cn="q1（中文）", en="q1"))


def test_decode_errors_carry_the_path_without_the_dollar() -> None:
    data = template_data(item("check", "q1"))
    data["items"][0]["label"] = {"zh-CN": "只有中文"}
    [problem] = _problems(data)
    assert problem.path == "items[0].label"
    assert problem.code == "template.invalid"
    assert "en" in problem.reason


def test_an_unknown_field_is_an_error_not_ignored() -> None:
    [problem] = _problems(template_data(item("check", "q1", requried=False)))
    assert problem.path == "items[0]"
    assert "requried" in problem.reason


def test_an_unknown_item_type_is_an_error() -> None:
    [problem] = _problems(template_data(item("slider", "q1")))
    assert problem.path == "items[0].type"


def test_malformed_documents_are_problems_not_exceptions() -> None:
    for raw, fmt in ((b"{bad", "json"), (b"key: [", "yaml"), (b"\xff\xfe", "json"), (b"", "yaml")):
        with pytest.raises(InvalidTemplate) as caught:
            parse_template(raw, format=fmt)
        assert caught.value.problems


def test_empty_text_and_weekday_out_of_range_are_refused_by_the_decoder() -> None:
    data = template_data(item("check", "q1"), frequency={"every": "weekly", "weekday": 8})
    [problem] = _problems(data)
    assert problem.path == "frequency.weekday"
    data = template_data(item("check", "q1"), title={"zh-CN": "", "en": "x"})
    assert _problems(data)[0].path == "title.zh-CN"


def test_duplicate_item_keys() -> None:
    [problem] = _problems(template_data(item("check", "q1"), item("text", "q1")))
    assert (problem.path, problem.code) == ("items[1].key", "template.duplicate_item_key")


def test_show_if_must_refer_to_an_earlier_item() -> None:
    data = template_data(item("text", "t", show_if=FAIL_VALUE), item("check", "q1"))
    [problem] = _problems(data)
    assert (problem.path, problem.code) == (
        "items[0].show_if.item",
        "template.condition_not_earlier",
    )
    [problem] = _problems(template_data(item("text", "t", show_if=FAIL_VALUE)))
    assert problem.code == "template.unknown_item"


def test_show_if_value_must_be_one_the_item_can_take() -> None:
    data = template_data(
        item("check", "q1", allow_na=False), item("text", "t", show_if={"item": "q1", "in": ["na"]})
    )
    [problem] = _problems(data)
    assert (problem.path, problem.code) == ("items[1].show_if.in[0]", "template.condition_value")
    options = [{"value": "a", "label": label("a")}]
    data = template_data(
        item("choice", "c", options=options),
        item("text", "t", show_if={"item": "c", "equals": "b"}),
    )
    assert _problems(data)[0].path == "items[1].show_if.equals"


def test_show_if_needs_exactly_one_of_equals_and_in() -> None:
    data = template_data(item("check", "q1"), item("text", "t", show_if={"item": "q1"}))
    assert _problems(data)[0].code == "template.bad_condition"


def test_show_if_cannot_refer_to_a_number() -> None:
    data = template_data(
        item("number", "n"), item("text", "t", show_if={"item": "n", "equals": "1"})
    )
    assert _problems(data)[0].code == "template.condition_item_type"


def test_fail_options_must_be_options() -> None:
    options = [{"value": "green", "label": label("green")}]
    data = template_data(item("choice", "zone", options=options, fail_options=["red"]))
    [problem] = _problems(data)
    assert (problem.path, problem.code) == ("items[0].fail_options[0]", "template.unknown_option")


def test_min_above_max() -> None:
    [problem] = _problems(template_data(item("number", "n", min=9, max=8)))
    assert (problem.path, problem.code) == ("items[0].min", "template.min_above_max")


def test_applies_to_something() -> None:
    data = template_data(item("check", "q1"), applies_to={})
    assert _problems(data)[0].code == "template.applies_to_nothing"


def test_check_template_reports_what_code_built_templates_get_wrong() -> None:
    good = make_template(item("check", "q1"))
    bad = msgspec.structs.replace(
        good,
        title=Text(zh_cn="  ", en="Title"),
        frequency=Weekly(weekday=0),
        items=[
            CheckItem(key="q1", label=Text(zh_cn="一", en="one")),
            NumberItem(key="n", label=Text(zh_cn="二", en="two"), min=float("nan")),
            ChoiceItem(
                key="c",
                label=Text(zh_cn="三", en="three"),
                options=[],
                show_if=Condition(item="q1", equals="maybe"),
            ),
        ],
    )
    paths = [problem.path for problem in check_template(bad)]
    assert paths == [
        "title.zh-CN",
        "frequency.weekday",
        "items[1].min",
        "items[2].options",
        "items[2].show_if.equals",
    ]
    assert check_template(good) == []
