"""Static checks of a template: what the type system cannot say.

`parse_template` runs these after decoding, but a template built in code skips the decoder,
so the checks do not trust the field types either: a `Text` made in Python may be blank.
"""

import math
import re

from checklists.answers import all_ok_answers, shown_items
from checklists.problems import Problem
from checklists.templates import (
    CHECK_ANSWERS,
    JUDGED_ITEMS,
    AppliesTo,
    CheckItem,
    ChoiceItem,
    Condition,
    DateItem,
    Item,
    NumberItem,
    PerTerm,
    PhotoItem,
    Template,
    Text,
    TextItem,
    Weekly,
)

_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}")


def check_template(template: Template) -> list[Problem]:
    """Every problem of the template, in template order; an empty list means usable."""
    problems: list[Problem] = []
    _check_slug(template.key, "key", problems)
    if not isinstance(template.version, int) or template.version < 1:
        problems.append(Problem(path="version", code="template.bad_version", reason="must be ≥ 1"))
    _check_text(template.title, "title", problems)
    if template.guidance is not None:
        _check_text(template.guidance, "guidance", problems)
    _check_slug(template.category, "category", problems)
    _check_applies_to(template.applies_to, problems)
    _check_frequency(template, problems)
    if not template.items:
        problems.append(Problem(path="items", code="template.no_items", reason="has no items"))
    earlier: dict[str, Item] = {}
    for index, item in enumerate(template.items):
        path = f"items[{index}]"
        _check_item(item, path, problems)
        if item.show_if is not None:
            _check_condition(item.show_if, f"{path}.show_if", earlier, template, problems)
        if item.key in earlier:
            problems.append(
                Problem(
                    path=f"{path}.key",
                    code="template.duplicate_item_key",
                    reason=f"item key {item.key!r} is used by an earlier item",
                )
            )
        else:
            earlier[item.key] = item
    if template.all_ok:
        _check_all_ok(template, problems)
    return problems


def _check_all_ok(template: Template, problems: list[Problem]) -> None:
    """`all_ok` is a promise that a check where everything is fine takes All OK and Submit:
    every item then shown and required is answered by All OK or prefilled."""
    answers = all_ok_answers(template, {})
    shown = shown_items(template, answers)
    for index, item in enumerate(template.items):
        required = item.required and item.required_when is None
        if item.key in shown and required and item.key not in answers and item.prefill is None:
            problems.append(
                Problem(
                    path=f"items[{index}]",
                    code="template.not_all_ok",
                    reason=f"the template is marked all_ok, but All OK does not answer "
                    f"{item.key!r} and it is not prefilled; make it optional, required_when "
                    "failure, or prefilled",
                )
            )


def _check_slug(value: object, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        problems.append(
            Problem(
                path=path,
                code="template.bad_key",
                reason="must be lower-case letters, digits and _, starting with a letter",
            )
        )


def _check_text(text: Text, path: str, problems: list[Problem]) -> None:
    for field, value in (("zh-CN", text.zh_cn), ("en", text.en)):
        if not isinstance(value, str) or not value.strip():
            problems.append(
                Problem(
                    path=f"{path}.{field}",
                    code="template.blank_text",
                    reason=f"the {field} text is missing or blank",
                )
            )


def _check_applies_to(applies_to: AppliesTo, problems: list[Problem]) -> None:
    if not applies_to.asset_categories and not applies_to.location_kinds:
        problems.append(
            Problem(
                path="applies_to",
                code="template.applies_to_nothing",
                reason="name at least one asset category or location kind",
            )
        )
    for field, values in (
        ("asset_categories", applies_to.asset_categories),
        ("location_kinds", applies_to.location_kinds),
    ):
        seen: set[str] = set()
        for index, value in enumerate(values):
            if value in seen:
                problems.append(
                    Problem(
                        path=f"applies_to.{field}[{index}]",
                        code="template.duplicate_value",
                        reason=f"{value!r} is listed twice",
                    )
                )
            seen.add(value)


def _check_frequency(template: Template, problems: list[Problem]) -> None:
    frequency = template.frequency
    weekday = frequency.weekday if isinstance(frequency, Weekly) else None
    if weekday is not None and not 1 <= weekday <= 7:
        problems.append(
            Problem(
                path="frequency.weekday",
                code="template.bad_frequency",
                reason="weekday is 1 (Monday) to 7 (Sunday)",
            )
        )
    if isinstance(frequency, PerTerm) and frequency.times < 1:
        problems.append(
            Problem(path="frequency.times", code="template.bad_frequency", reason="must be ≥ 1")
        )


def _check_item(item: Item, path: str, problems: list[Problem]) -> None:
    _check_slug(item.key, f"{path}.key", problems)
    _check_text(item.label, f"{path}.label", problems)
    if item.help is not None:
        _check_text(item.help, f"{path}.help", problems)
    if isinstance(item, NumberItem):
        _check_bounds(item, path, problems)
    elif isinstance(item, ChoiceItem):
        _check_options(item, path, problems)
    _check_extras(item, path, problems)


def _check_extras(item: Item, path: str, problems: list[Problem]) -> None:
    """Prefill, required_when and evidence, each on the item types it makes sense for."""
    prefill = item.prefill
    if prefill is not None:
        if not isinstance(item, DateItem | TextItem | NumberItem):
            problems.append(
                Problem(
                    path=f"{path}.prefill",
                    code="template.bad_prefill",
                    reason="only date, text and number items are prefilled; a person judges "
                    "the others",
                )
            )
        elif (prefill.attribute is None) == (prefill.field is None):
            problems.append(
                Problem(
                    path=f"{path}.prefill",
                    code="template.bad_prefill",
                    reason="give exactly one of attribute and field",
                )
            )
    if item.required_when is not None and not isinstance(item, PhotoItem | TextItem):
        problems.append(
            Problem(
                path=f"{path}.required_when",
                code="template.bad_required_when",
                reason="only photo and text items are required when something fails",
            )
        )
    evidence = item.evidence
    if evidence is not None:
        if not isinstance(item, JUDGED_ITEMS):
            problems.append(
                Problem(
                    path=f"{path}.evidence",
                    code="template.bad_evidence",
                    reason="only judged items (check, number, choice, date) can fail and ask "
                    "for evidence",
                )
            )
        elif evidence.photo is None and evidence.note is None:
            problems.append(
                Problem(
                    path=f"{path}.evidence",
                    code="template.bad_evidence",
                    reason="ask for a photo, a note or both",
                )
            )


def _check_bounds(item: NumberItem, path: str, problems: list[Problem]) -> None:
    for name, bound in (("min", item.min), ("max", item.max)):
        if bound is None:
            continue
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            problems.append(
                Problem(path=f"{path}.{name}", code="template.bad_bound", reason="not a number")
            )
        elif isinstance(bound, float) and not math.isfinite(bound):
            problems.append(
                Problem(path=f"{path}.{name}", code="template.bad_bound", reason="not finite")
            )
    low, high = item.min, item.max
    if (
        isinstance(low, int | float)
        and isinstance(high, int | float)
        and math.isfinite(low)
        and math.isfinite(high)
        and low > high
    ):
        problems.append(
            Problem(
                path=f"{path}.min",
                code="template.min_above_max",
                reason=f"min {low} is above max {high}",
            )
        )


def _check_options(item: ChoiceItem, path: str, problems: list[Problem]) -> None:
    if not item.options:
        problems.append(
            Problem(path=f"{path}.options", code="template.no_options", reason="has no options")
        )
    values: set[str] = set()
    for index, option in enumerate(item.options):
        _check_slug(option.value, f"{path}.options[{index}].value", problems)
        _check_text(option.label, f"{path}.options[{index}].label", problems)
        if option.value in values:
            problems.append(
                Problem(
                    path=f"{path}.options[{index}].value",
                    code="template.duplicate_value",
                    reason=f"option {option.value!r} is listed twice",
                )
            )
        values.add(option.value)
    failing: set[str] = set()
    for index, value in enumerate(item.fail_options):
        if value not in values:
            problems.append(
                Problem(
                    path=f"{path}.fail_options[{index}]",
                    code="template.unknown_option",
                    reason=f"{value!r} is not one of the options",
                )
            )
        elif value in failing:
            problems.append(
                Problem(
                    path=f"{path}.fail_options[{index}]",
                    code="template.duplicate_value",
                    reason=f"{value!r} is listed twice",
                )
            )
        failing.add(value)


def _check_condition(
    condition: Condition,
    path: str,
    earlier: dict[str, Item],
    template: Template,
    problems: list[Problem],
) -> None:
    if (condition.equals is None) == (condition.in_ is None):
        problems.append(
            Problem(
                path=path,
                code="template.bad_condition",
                reason="give exactly one of equals and in",
            )
        )
        return
    if condition.in_ is not None and not condition.in_:
        problems.append(
            Problem(path=f"{path}.in", code="template.bad_condition", reason="in is empty")
        )
    target = earlier.get(condition.item)
    if target is None:
        later = any(item.key == condition.item for item in template.items)
        problems.append(
            Problem(
                path=f"{path}.item",
                code="template.condition_not_earlier" if later else "template.unknown_item",
                reason=(
                    f"{condition.item!r} is not an earlier item; only earlier items can be used"
                    if later
                    else f"there is no item {condition.item!r}"
                ),
            )
        )
        return
    if isinstance(target, CheckItem):
        possible = [a for a in CHECK_ANSWERS if a != "na" or target.allow_na]
    elif isinstance(target, ChoiceItem):
        possible = [option.value for option in target.options]
    else:
        problems.append(
            Problem(
                path=f"{path}.item",
                code="template.condition_item_type",
                reason=f"{condition.item!r} is a {type(target).__name__}; "
                "only check and choice items can be conditions",
            )
        )
        return
    field = "in" if condition.in_ is not None else "equals"
    for index, value in enumerate(condition.accepted()):
        if value not in possible:
            problems.append(
                Problem(
                    path=f"{path}.{field}[{index}]" if field == "in" else f"{path}.equals",
                    code="template.condition_value",
                    reason=f"{condition.item!r} cannot be answered {value!r}; "
                    f"it takes {', '.join(possible)}",
                )
            )
