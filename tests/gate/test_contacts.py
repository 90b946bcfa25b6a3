"""Phones and plates as typed at the gate: what folds to one number, what is refused with
which code, and masks that show a mobile's 3+4 and never more."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.gate.contacts import (
    PHONE_FORMAT,
    PHONE_LANDLINE,
    PLATE_FORMAT,
    PROVINCES,
    check_phone,
    check_plate,
    mask_phone,
)

FAST = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- phones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "0086 13812345678",
        "8613812345678",
        "(+86) 138-1234-5678",
        "１３８１２３４５６７８",
        "＋８６\u3000１３８－１２３４－５６７８",
    ],
)
def test_a_mobile_number_folds_to_its_11_digits(typed: str) -> None:
    checked = check_phone(typed)
    assert checked.ok and checked.value == "13812345678"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_every_mobile_prefix_from_13_to_19(prefix: str) -> None:
    assert check_phone(f"{prefix}012345678").ok


@pytest.mark.parametrize(
    "typed",
    ["", "12812345678", "10812345678", "1381234567", "138123456789", "1381234567a", "+1 212 555"],
)
def test_not_a_phone_number(typed: str) -> None:
    checked = check_phone(typed, landline=True)
    assert checked.codes == (PHONE_FORMAT,) and checked.value is None


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("010-62345678", "010-62345678"),
        ("(021) 8765 4321", "021-87654321"),
        ("0755-2345678", "0755-2345678"),
        ("0571 87654321", "0571-87654321"),
        ("+86 10 62345678", "010-62345678"),
        ("0086 21 87654321", "021-87654321"),
        ("+86 010 62345678", "010-62345678"),
        ("87654321", "87654321"),
        ("2345678", "2345678"),
    ],
)
def test_a_landline_where_the_site_allows_one(typed: str, value: str) -> None:
    assert check_phone(typed, landline=True).value == value
    refused = check_phone(typed)
    assert refused.codes == (PHONE_LANDLINE,) and refused.value is None


@pytest.mark.parametrize(
    "typed",
    [
        "010-12345678",  # a local number never begins with 0 or 1
        "010-123456",  # too short
        "010-623456789",  # too long
        "+86 62345678",  # a landline abroad needs its area code
    ],
)
def test_not_a_landline(typed: str) -> None:
    assert check_phone(typed, landline=True).codes == (PHONE_FORMAT,)


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("010-62345678", "010-****5678"),
        ("0755-2345678", "0755-****678"),
        ("87654321", "****4321"),
        ("12345", "****5"),
        ("1234567890123", "123*******123"),  # not a number: half hidden,
    ],
)
def test_a_phone_is_masked(typed: str, masked: str) -> None:
    assert mask_phone(typed) == masked


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    return f"1{draw(st.integers(3, 9))}{draw(st.integers(0, 999_999_999)):09d}"


@st.composite
def typed_forms(draw: st.DrawFn, number: str) -> str:
    prefix = draw(st.sampled_from(["", "+86", "0086", "86", "+86 ", "＋８６"]))
    separator = draw(st.sampled_from(["", " ", "-", "\u3000"]))
    body = separator.join((number[:3], number[3:7], number[7:]))
    if draw(st.booleans()):
        body = body.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    return prefix + body


@FAST
@given(data=st.data(), number=mobiles())
def test_any_typed_form_of_a_mobile_folds_to_it_and_masks_to_3_plus_4(
    data: st.DataObject, number: str
) -> None:
    typed = data.draw(typed_forms(number))
    assert check_phone(typed).value == number
    masked = mask_phone(typed)
    assert masked == number[:3] + "****" + number[7:]


@FAST
@given(text=st.text(alphabet="0123456789+- ", max_size=24))
def test_a_masked_phone_hides_four_digits_and_a_third_of_them_at_least(text: str) -> None:
    masked = mask_phone(text)
    shown, hidden = sum(c.isdigit() for c in masked), masked.count("*")
    assert hidden >= min(4, shown + hidden)
    assert 3 * hidden >= shown + hidden  # a landline shows its area code and last four


# --- plates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("京A12345", "京A12345"),
        ("京A·12345", "京A12345"),
        ("沪 B-ab123", "沪BAB123"),
        ("粤ｂ１２３４５", "粤B12345"),
        ("京O12345", "京O12345"),  # O is an office letter (government)
        ("京AD12345", "京AD12345"),  # small new-energy, pure electric
        ("苏EF1A234", None),  # the last four of a small new-energy plate are digits
        ("浙AF12345", "浙AF12345"),
        ("浙AK12345", "浙AK12345"),  # letters added for new-energy plates in 2022
        ("粤B12345D", "粤B12345D"),  # large new-energy
        ("粤B12345F", "粤B12345F"),
        ("粤B1234AD", None),
        ("京A1234警", "京A1234警"),
        ("川A1234学", "川A1234学"),
        ("鲁B1234挂", "鲁B1234挂"),
        ("沪A1234领", "沪A1234领"),
        ("粤Z1234港", "粤Z1234港"),
        ("粤Z1234澳", "粤Z1234澳"),
        ("使123456", "使123456"),
        ("使12345", None),
        ("京I12345", None),  # I is no office letter
        ("京A1I345", None),  # nor a serial character
        ("京A1O345", None),
        ("京A1234", None),
        ("京A123456", None),
        ("京AL12345", None),  # L is no new-energy letter
        ("", None),
    ],
)
def test_plates(typed: str, value: str | None) -> None:
    checked = check_plate(typed)
    assert checked.value == value
    assert checked.codes == (() if value else (PLATE_FORMAT,))


def test_a_plate_without_a_province_says_so() -> None:
    checked = check_plate("AB12345")
    assert checked.codes == (PLATE_FORMAT,) and "province" in checked.faults[0].reason


MAINLAND = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
"""The 31 provincial-level abbreviations of the mainland, written out here on their own."""


@pytest.mark.parametrize("province", list(MAINLAND))
def test_every_mainland_province_is_taken_on_a_plate(province: str) -> None:
    assert check_plate(f"{province}A12345").codes == ()


@pytest.mark.parametrize("first", ["台", "港", "澳", "中", "A"])
def test_a_plate_from_no_mainland_province_is_refused(first: str) -> None:
    assert check_plate(f"{first}A12345").codes == (PLATE_FORMAT,)


SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


@st.composite
def ordinary_plates(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(PROVINCES))
    office = draw(st.sampled_from("ABCDEFGHJKLMNOPQRSTUVWXYZ"))
    serial = draw(st.text(alphabet=SERIAL, min_size=5, max_size=5))
    return province + office + serial


@FAST
@given(plate=ordinary_plates(), separator=st.sampled_from(["", "·", " ", "-", "•"]))
def test_any_ordinary_plate_in_any_case_and_spacing_is_taken(plate: str, separator: str) -> None:
    typed = (plate[:2] + separator + plate[2:]).lower()
    assert check_plate(typed).value == plate
