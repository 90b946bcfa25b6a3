"""Properties of validation and evaluation over the library and generated templates.

Phones running any build send answers, so these hunt for input that makes validation
raise, makes evaluation disagree with validation, or judges the same answers two ways.
"""

import datetime as dt
import hashlib
import math
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from checklists import (
    Evaluation,
    InvalidAnswers,
    Problem,
    Template,
    evaluate,
    load_library,
    parse_template,
    validate,
)
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
from tests.checklists.factories import item, label, make_template

LIBRARY = list(load_library().values())
LIBRARY_WITH_NUMBERS = [t for t in LIBRARY if any(isinstance(i, NumberItem) for i in t.items)]
KINDS = ("check", "number", "choice", "text", "date", "photo", "signature")
OPTION_VALUES = ("ok", "worn", "broken", "missing", "green", "red", "yellow")
BLANKS = (None, "", "  ", "\u3000\n", [])

# No example database: a run leaves nothing in the working tree.
FAST = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _reading(value: Decimal, *, as_float: bool) -> int | float:
    """A number as a phone sends it: a whole reading may come as 5 or as 5.0."""
    if value == value.to_integral_value() and not as_float:
        return int(value)
    return float(value)


def _typed(number: int | float) -> Decimal:
    return Decimal(number) if isinstance(number, int) else Decimal(repr(number))


@st.composite
def number_fields(draw: st.DrawFn, *, bounded: bool) -> dict[str, Any]:
    """Bounds written with no more decimals than the item allows, as a school would."""
    decimals = draw(st.integers(0, 3))
    step = Decimal(1).scaleb(-decimals)
    low, high = sorted(draw(st.lists(st.integers(-20_000, 20_000), min_size=2, max_size=2)))
    which = draw(st.sampled_from(["min", "max", "both"] + ([] if bounded else ["neither"])))
    fields: dict[str, Any] = {"decimals": decimals}
    if which in ("min", "both"):
        fields["min"] = _reading(low * step, as_float=draw(st.booleans()))
    if which in ("max", "both"):
        fields["max"] = _reading(high * step, as_float=draw(st.booleans()))
    return fields


@st.composite
def generated_templates(draw: st.DrawFn, *, with_number: bool = False) -> Template:
    """Every item type, with conditions on earlier check and choice items (chains too)."""
    items: list[dict[str, Any]] = []
    # Items a later item may be shown by, with the answers each can take.
    conditions: list[tuple[str, list[str]]] = []
    if with_number:
        items.append(item("number", "reading", **draw(number_fields(bounded=True))))
    for index in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(KINDS))
        key = f"{kind}_{index}"
        fields: dict[str, Any] = {"required": draw(st.booleans()), "critical": draw(st.booleans())}
        if conditions and draw(st.booleans()):
            target, possible = draw(st.sampled_from(conditions))
            accepted = draw(st.lists(st.sampled_from(possible), min_size=1, unique=True))
            if len(accepted) == 1 and draw(st.booleans()):
                fields["show_if"] = {"item": target, "equals": accepted[0]}
            else:
                fields["show_if"] = {"item": target, "in": accepted}
        if kind == "check":
            fields["allow_na"] = draw(st.booleans())
            conditions.append(
                (key, ["pass", "fail", "na"] if fields["allow_na"] else ["pass", "fail"])
            )
        elif kind == "number":
            fields.update(draw(number_fields(bounded=False)))
        elif kind == "choice":
            values = draw(
                st.lists(st.sampled_from(OPTION_VALUES), min_size=1, max_size=4, unique=True)
            )
            fields["options"] = [{"value": v, "label": label(v)} for v in values]
            fields["fail_options"] = draw(st.lists(st.sampled_from(values), unique=True))
            fields["multiple"] = draw(st.booleans())
            conditions.append((key, values))
        elif kind == "text":
            fields["max_length"] = draw(st.integers(1, 40))
        elif kind == "date":
            fields["must_not_be_past"] = draw(st.booleans())
        elif kind == "photo":
            fields["min_count"] = draw(st.integers(1, 3))
        items.append(item(kind, key, **fields))
    return make_template(*items)


TEMPLATES = st.one_of(st.sampled_from(LIBRARY), generated_templates())
TODAYS = st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31))
SHA256 = st.binary(max_size=16).map(lambda data: hashlib.sha256(data).hexdigest())


def _selects(answer: Any, accepted: list[str]) -> bool:
    if isinstance(answer, str):
        return answer in accepted
    return isinstance(answer, list) and any(a in accepted for a in answer if isinstance(a, str))


def _number_answer(number: NumberItem) -> st.SearchStrategy[int | float]:
    step = Decimal(1).scaleb(-number.decimals)
    # Quantized, in case a bound is written with more decimals than its readings take.
    near = [
        (_typed(bound) + k * step).quantize(step)
        for bound in (number.min, number.max)
        if bound is not None
        for k in range(-3, 4)
    ]
    values = st.integers(-30_000, 30_000).map(lambda n: n * step)
    if near:
        values = st.one_of(values, st.sampled_from(near))
    return st.builds(lambda v, as_float: _reading(v, as_float=as_float), values, st.booleans())


def answer_for(entry: Item, today: dt.date) -> st.SearchStrategy[Any]:
    """A valid, non-empty answer of the shape each item type takes."""
    if isinstance(entry, CheckItem):
        return st.sampled_from(["pass", "fail", "na"] if entry.allow_na else ["pass", "fail"])
    if isinstance(entry, NumberItem):
        return _number_answer(entry)
    if isinstance(entry, ChoiceItem):
        values = [option.value for option in entry.options]
        if entry.multiple:
            return st.lists(st.sampled_from(values), min_size=1, unique=True)
        return st.sampled_from(values)
    if isinstance(entry, TextItem):
        cjk = st.sampled_from(["灭火器压力正常", "走廊 东侧 第三个", "  已报修 "])
        text = st.one_of(st.text(min_size=1, max_size=entry.max_length), cjk)
        return text.filter(lambda t: t.strip() and len(t) <= entry.max_length)
    if isinstance(entry, DateItem):
        return st.integers(-800, 800).map(lambda days: (today + dt.timedelta(days)).isoformat())
    if isinstance(entry, PhotoItem):
        return st.lists(SHA256, min_size=entry.min_count, max_size=entry.min_count + 2, unique=True)
    assert isinstance(entry, SignatureItem)
    return SHA256


@st.composite
def valid_answers(
    draw: st.DrawFn, template: Template, today: dt.date
) -> tuple[dict[str, Any], set[str]]:
    """Answers that validation must accept, and the keys of the items they leave hidden."""
    answers: dict[str, Any] = {}
    hidden: set[str] = set()
    for entry in template.items:
        condition = entry.show_if
        if condition is not None and (
            condition.item in hidden
            or not _selects(answers.get(condition.item), condition.accepted())
        ):
            hidden.add(entry.key)
            if draw(st.booleans()):
                answers[entry.key] = draw(st.sampled_from(BLANKS))
        elif not entry.required and draw(st.integers(0, 3)) == 0:
            if draw(st.booleans()):
                answers[entry.key] = draw(st.sampled_from(BLANKS))
        else:
            answers[entry.key] = draw(answer_for(entry, today))
    order = draw(st.permutations(list(answers)))
    return {key: answers[key] for key in order}, hidden


@st.composite
def filled(draw: st.DrawFn, templates: st.SearchStrategy[Template] = TEMPLATES) -> Any:
    template = draw(templates)
    today = draw(TODAYS)
    answers, hidden = draw(valid_answers(template, today))
    note(f"template {template.key}, today {today}")
    return template, today, answers, hidden


# Python refuses to write out an int of more than 4300 digits, so these are made, not listed.
HUGE_INTS = st.builds(
    lambda digits, sign: sign * 10**digits, st.sampled_from([4301, 5000]), st.sampled_from([1, -1])
)
ODD_NUMBERS = st.one_of(
    HUGE_INTS,
    st.sampled_from([2**64, -(2**63) - 1, 1e308, 5e-324, -0.0, math.nan, math.inf, -math.inf]),
)
ODD_TEXT = st.sampled_from(
    [
        *("", " ", "\t\n", "\u3000", "\x00", "灭火器", "红区", "长" * 3000),
        *("pass", "fail", "na", "PASS", "1.5", "NaN"),
        *("2024-02-29", "2025-02-29", "9999-99-99", "0000-01-01", "2025-1-1"),
        *("a" * 64, "A" * 64, "a" * 63),
    ]
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), ODD_NUMBERS, st.floats(), st.text(), ODD_TEXT
)
ODD_KEYS = st.one_of(
    st.integers(),
    HUGE_INTS,
    st.floats(),
    st.none(),
    st.booleans(),
    st.binary(max_size=4),
    st.tuples(st.integers(), st.text(max_size=3)),
)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=4), ODD_KEYS), inner, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def any_answers(draw: st.DrawFn) -> tuple[Template, dt.date, Any]:
    """Anything at all keyed by real item keys, junk keys and non-string keys.

    Starting, half the time, from valid answers lets junk reach one item at a time, and
    right-shaped answers for the wrong item make the type checks earn their keep.
    """
    template = draw(TEMPLATES)
    today = draw(TODAYS)
    answers: dict[Any, Any] = draw(valid_answers(template, today))[0] if draw(st.booleans()) else {}
    options = [o.value for i in template.items if isinstance(i, ChoiceItem) for o in i.options]
    values = st.one_of(
        JSON_LIKE,
        st.sampled_from(template.items).flatmap(lambda entry: answer_for(entry, today)),
        st.sampled_from(options or ["green"]),
    )
    keys = st.one_of(
        st.sampled_from([i.key for i in template.items]), st.text(max_size=6), ODD_KEYS
    )
    answers.update(draw(st.dictionaries(keys, values, max_size=8)))
    return template, today, answers


NOT_OBJECTS = st.one_of(
    st.lists(JSON_LIKE, max_size=4), st.text(), st.none(), st.integers(), st.floats()
)


def _encoded(evaluation: Evaluation) -> bytes:
    return msgspec.json.encode(evaluation)


@FAST
@given(any_answers())
def test_validation_never_raises_and_returns_problems(case: Any) -> None:
    template, _, answers = case
    problems = validate(template, answers)
    assert isinstance(problems, list)
    assert all(isinstance(p, Problem) and p.path.startswith("answers.") for p in problems)


@FAST
@given(TEMPLATES, NOT_OBJECTS)
def test_answers_that_are_not_an_object_are_one_problem(template: Template, answers: Any) -> None:
    assert validate(template, answers) == [
        Problem(path="answers", code="answers.not_object", reason="must be an object")
    ]


@FAST
@given(st.one_of(any_answers(), st.tuples(TEMPLATES, TODAYS, NOT_OBJECTS)))
def test_evaluation_raises_only_invalid_answers_with_the_problems_of_validation(
    case: Any,
) -> None:
    template, today, answers = case
    problems = validate(template, answers)
    try:
        evaluation = evaluate(template, answers, today=today)
    except InvalidAnswers as invalid:
        assert problems
        assert invalid.problems == problems
    else:
        assert problems == []
        assert isinstance(evaluation, Evaluation)


@FAST
@given(filled())
def test_generated_valid_answers_are_accepted(case: Any) -> None:
    template, _, answers, _ = case
    assert validate(template, answers) == []


@FAST
@given(filled())
def test_the_same_answers_evaluate_byte_for_byte_the_same_after_a_json_round_trip(
    case: Any,
) -> None:
    template, today, answers, _ = case
    first = _encoded(evaluate(template, answers, today=today))
    assert _encoded(evaluate(template, answers, today=today)) == first
    # As a phone sends them, and as the server reads a stored template version back.
    sent = msgspec.json.decode(msgspec.json.encode(answers))
    stored = parse_template(msgspec.json.encode(template), format="json")
    assert stored == template
    assert _encoded(evaluate(stored, sent, today=today)) == first
    reordered = dict(reversed(list(sent.items())))
    assert _encoded(evaluate(stored, reordered, today=today)) == first


@FAST
@given(filled())
def test_evaluation_invariants(case: Any) -> None:
    template, today, answers, hidden = case
    evaluation = evaluate(template, answers, today=today)
    assert [r.key for r in evaluation.items] == [i.key for i in template.items]
    failed = [r for r in evaluation.items if r.result == "fail"]
    assert evaluation.failed_items == [r.key for r in failed]
    assert (evaluation.result == "fail") == bool(evaluation.failed_items)
    assert evaluation.critical_failure == any(r.critical for r in failed)
    assert 0.0 <= evaluation.score <= 100.0
    for result in evaluation.items:
        left_blank = result.key not in answers or answers[result.key] in BLANKS
        if result.key in hidden:
            assert result.result == "na"
        else:
            assert (result.result == "unanswered") == left_blank
    critical = {i.key for i in template.items if i.critical}
    assert all(r.critical == (r.key in critical) for r in evaluation.items)
    assert (evaluation.template_key, evaluation.template_version) == (
        template.key,
        template.version,
    )


NUMBER_TEMPLATES = st.one_of(
    st.sampled_from(LIBRARY_WITH_NUMBERS), generated_templates(with_number=True)
)


@FAST
@given(filled(NUMBER_TEMPLATES), st.booleans())
def test_a_reading_at_a_bound_passes_and_one_step_outside_fails(case: Any, as_float: bool) -> None:
    template, today, answers, hidden = case
    for number in template.items:
        if not isinstance(number, NumberItem) or number.key in hidden:
            continue
        step = Decimal(1).scaleb(-number.decimals)
        readings: list[tuple[Decimal, str]] = []
        if number.min is not None:
            readings += [(_typed(number.min), "pass"), (_typed(number.min) - step, "fail")]
        if number.max is not None:
            readings += [(_typed(number.max), "pass"), (_typed(number.max) + step, "fail")]
        for reading, outcome in readings:
            value = _reading(reading, as_float=as_float)
            note(f"{number.key} = {value!r}")
            evaluation = evaluate(template, {**answers, number.key: value}, today=today)
            assert {r.key: r.result for r in evaluation.items}[number.key] == outcome
