import datetime as dt
from typing import Any

import pytest

from checklists.consistency import check_template
from checklists.evaluation import evaluate
from checklists.library import library_files, library_template, load_library
from checklists.problems import UnknownTemplate
from checklists.templates import ChoiceItem, NumberItem, Weekly
from checklists.validation import validate
from tests.checklists.factories import SHA_A

TODAY = dt.date(2025, 9, 1)

REQUIRED = {
    "fire_extinguisher_monthly",
    "fire_hydrant_box_monthly",
    "fire_alarm_panel_monthly",
    "emergency_lighting_monthly",
    "electrical_panel_weekly",
    "classroom_electrical_monthly",
    "dormitory_electrical_weekly",
    "playground_equipment_weekly",
    "sports_equipment_weekly",
    "kitchen_hygiene_daily",
    "kitchen_gas_weekly",
    "food_sample_entry",
    "tableware_disinfection_record",
    "water_dispenser_weekly",
    "building_structure_monthly",
    "gate_post_daily",
    "fire_patrol_daily",
}


@pytest.mark.parametrize("name", library_files())
def test_every_library_file_is_a_sound_template_named_after_its_key(name: str) -> None:
    template = load_library()[name.removesuffix(".yaml")]
    assert check_template(template) == []
    assert template.version >= 1
    for entry in [template.title, *(i.label for i in template.items)]:
        assert entry.zh_cn.strip() and entry.en.strip()
        assert entry.zh_cn != entry.en


def test_the_library_has_every_checklist_the_domain_asks_for() -> None:
    assert set(load_library()) >= REQUIRED
    assert len(library_files()) == len(load_library())


def test_an_unknown_library_key() -> None:
    with pytest.raises(UnknownTemplate):
        library_template("no_such_checklist")


def test_playground_equipment_is_due_on_mondays() -> None:
    assert library_template("playground_equipment_weekly").frequency == Weekly(weekday=1)


EXTINGUISHER_OK: dict[str, Any] = {
    "gauge_zone": "green",
    "seal_and_pin": "pass",
    "hose": "pass",
    "body": "pass",
    "service_life_end": "2030-06-30",
    "cabinet_opens": "na",
    "signage_and_access": "pass",
    "photo": [SHA_A],
}


def test_a_sound_extinguisher_passes() -> None:
    evaluation = evaluate(
        library_template("fire_extinguisher_monthly"), EXTINGUISHER_OK, today=TODAY
    )
    assert (evaluation.result, evaluation.score, evaluation.failed_items) == ("pass", 100.0, [])


@pytest.mark.parametrize("zone", ["red", "yellow"])
def test_a_gauge_out_of_the_green_fails_the_extinguisher_as_critical(zone: str) -> None:
    answers = {**EXTINGUISHER_OK, "gauge_zone": zone}
    evaluation = evaluate(library_template("fire_extinguisher_monthly"), answers, today=TODAY)
    assert (evaluation.result, evaluation.critical_failure) == ("fail", True)
    assert evaluation.failed_items == ["gauge_zone"]


def test_an_extinguisher_past_its_service_life_fails() -> None:
    answers = {**EXTINGUISHER_OK, "service_life_end": "2025-08-31"}
    evaluation = evaluate(library_template("fire_extinguisher_monthly"), answers, today=TODAY)
    assert evaluation.failed_items == ["service_life_end"]
    assert evaluation.critical_failure is False


def _food_sample(weight: int) -> dict[str, Any]:
    return {
        "dish": "西红柿炒鸡蛋",
        "meal": "lunch",
        "weight": weight,
        "sampled_at": "11:20",
        "labelled": "pass",
        "refrigerated": "pass",
        "sampler": "王师傅",
        "photo": [SHA_A],
    }


@pytest.mark.parametrize(("weight", "result"), [(120, "fail"), (124, "fail"), (125, "pass")])
def test_a_food_sample_under_125_g_fails(weight: int, result: str) -> None:
    evaluation = evaluate(library_template("food_sample_entry"), _food_sample(weight), today=TODAY)
    assert evaluation.result == result
    assert evaluation.critical_failure is (result == "fail")


def _disinfection(method: str, **readings: Any) -> dict[str, Any]:
    return {
        "meal": "lunch",
        "method": method,
        "washed_and_rinsed": "pass",
        "kept_in_clean_cabinet": "pass",
        "operator": "李阿姨",
        **readings,
    }


@pytest.mark.parametrize(
    ("answers", "failed"),
    [
        (
            _disinfection("infrared", infrared_temperature=110, heat_minutes=10),
            ["infrared_temperature"],
        ),
        (_disinfection("infrared", infrared_temperature=120, heat_minutes=10), []),
        (_disinfection("infrared", infrared_temperature=125, heat_minutes=9), ["heat_minutes"]),
        (_disinfection("boiling", heat_temperature=100, heat_minutes=10), []),
        (_disinfection("steam", heat_temperature=98, heat_minutes=15), ["heat_temperature"]),
        (_disinfection("dishwasher", rinse_temperature=85, rinse_seconds=40), []),
        (
            _disinfection("dishwasher", rinse_temperature=84, rinse_seconds=40),
            ["rinse_temperature"],
        ),
        (
            _disinfection(
                "chemical", chlorine_concentration=250, immersion_minutes=5, fully_immersed="pass"
            ),
            [],
        ),
        (
            _disinfection(
                "chemical", chlorine_concentration=100, immersion_minutes=5, fully_immersed="pass"
            ),
            ["chlorine_concentration"],
        ),
    ],
)
def test_tableware_disinfection_thresholds_per_method(
    answers: dict[str, Any], failed: list[str]
) -> None:
    template = library_template("tableware_disinfection_record")
    evaluation = evaluate(template, answers, today=TODAY)
    assert evaluation.failed_items == failed
    assert evaluation.critical_failure is bool(failed)


def test_tableware_readings_for_another_method_are_refused() -> None:
    template = library_template("tableware_disinfection_record")
    answers = _disinfection("infrared", infrared_temperature=120, heat_minutes=10, rinse_seconds=40)
    assert [(p.path, p.code) for p in validate(template, answers)] == [
        ("answers.rinse_seconds", "answers.hidden_item")
    ]


def test_kitchen_storage_temperatures() -> None:
    template = library_template("kitchen_hygiene_daily")
    fridge = next(i for i in template.items if i.key == "fridge_temperature")
    freezer = next(i for i in template.items if i.key == "freezer_temperature")
    assert isinstance(fridge, NumberItem) and (fridge.min, fridge.max) == (0, 8)
    assert isinstance(freezer, NumberItem) and (freezer.min, freezer.max) == (None, -18)


def test_the_fire_patrol_asks_for_details_and_what_was_done_only_when_something_is_wrong() -> None:
    template = library_template("fire_patrol_daily")
    answers: dict[str, Any] = {
        key: "pass"
        for key in (
            "no_illegal_fire_or_electricity",
            "exits_clear",
            "exit_signs_and_emergency_lights",
            "fire_equipment_in_place",
            "fire_doors_closed",
            "fire_shutters_clear",
            "staff_on_duty",
            "other",
        )
    }
    answers |= {"patroller_signature": SHA_A, "supervisor_signature": "b" * 64}
    assert validate(template, answers) == []
    problems = validate(template, {**answers, "other": "fail"})
    assert [(p.path, p.code) for p in problems] == [
        ("answers.other_details", "answers.missing"),
        ("answers.actions_taken", "answers.missing"),
    ]


def test_meal_options_match_between_food_samples_and_disinfection() -> None:
    def meals(key: str) -> list[str]:
        meal = next(i for i in library_template(key).items if i.key == "meal")
        assert isinstance(meal, ChoiceItem)
        return [option.value for option in meal.options]

    assert meals("food_sample_entry") == meals("tableware_disinfection_record")
    assert meals("food_sample_entry") == ["breakfast", "lunch", "dinner", "snack"]
