"""ID documents: the GB 11643 check character on published and computed numbers, every
fault of every kind, folding, masks that show no more than they keep, and the keyed hash."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.gate.documents import (
    ID_BIRTH_DATE,
    ID_CHECK_DIGIT,
    ID_FORMAT,
    ID_OLD_FORM,
    ID_REGION,
    KEEP_4_4,
    KEEP_6_4,
    NO_DOCUMENT_REASON,
    DocumentKind,
    check_character,
    check_document,
    id_key,
    mask_id,
    normalise_number,
)

TODAY = dt.date(2026, 12, 7)
SECRET = b"a-deployment-secret-of-32-bytes!"
STANDARD_SAMPLE = "11010519491231002X"
"""The example number of GB 11643-1999 (Beijing Chaoyang, born 31 December 1949)."""

FAST = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def with_check(body: str) -> str:
    return body + check_character(body)


def codes(kind: DocumentKind, number: str, today: dt.date = TODAY) -> tuple[str, ...]:
    return check_document(kind, number, today=today).codes


# --- the check character -------------------------------------------------------------------


def test_the_standards_sample_is_valid_and_its_check_character_is_x() -> None:
    assert check_character(STANDARD_SAMPLE[:17]) == "X"
    checked = check_document("resident_id", STANDARD_SAMPLE, today=TODAY)
    assert checked.ok and checked.value == STANDARD_SAMPLE


def test_a_published_number_with_a_good_check_but_born_in_1880_is_refused_for_its_date() -> None:
    # The example number of the Chinese Wikipedia's article on the ID number.
    assert check_character("44052418800101001") == "4"
    assert codes("resident_id", "440524188001010014") == (ID_BIRTH_DATE,)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("00000000000000000", "1"),  # sum 0
        ("10000000000000000", "5"),  # 7
        ("01000000000000000", "3"),  # 9
        ("00100000000000000", "2"),  # 10
        ("00000001000000000", "0"),  # weight 1: sum 1
        ("00000000000000001", "X"),  # weight 2: sum 2
        ("32010619900307051", "4"),  # sum 217, 217 mod 11 = 8
    ],
)
def test_the_check_character_follows_the_weights_and_the_table(body: str, expected: str) -> None:
    assert check_character(body) == expected


@pytest.mark.parametrize("body", ["", "1234567890123456", "1234567890123456X", "１" * 17])
def test_the_check_character_needs_17_ascii_digits(body: str) -> None:
    with pytest.raises(ValueError, match="17 digits"):
        check_character(body)


# --- resident ID ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        "110105 19491231 002X",
        "110105-19491231-002X",
        "１１０１０５１９４９１２３１００２ｘ",
        " 110105\u300019491231002X\t",
    ],
)
def test_a_number_is_folded_before_it_is_checked(typed: str) -> None:
    checked = check_document("resident_id", typed, today=TODAY)
    assert checked.ok and checked.value == STANDARD_SAMPLE


@pytest.mark.parametrize(
    "number",
    ["", "1101051949123100", "11010519491231002XX", "110105194912310X2X", "11010519491231002Y"],
)
def test_a_resident_id_of_the_wrong_shape(number: str) -> None:
    assert codes("resident_id", number) == (ID_FORMAT,)


def test_the_first_generation_15_digit_number_is_refused_with_its_own_code() -> None:
    checked = check_document("resident_id", "110105491231002", today=TODAY)
    assert checked.codes == (ID_OLD_FORM,) and checked.value is None
    assert "2013" in checked.faults[0].reason


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "39", "47", "55", "60", "71", "99"])
def test_a_resident_id_whose_first_two_digits_are_no_province(province: str) -> None:
    assert codes("resident_id", with_check(f"{province}010519491231002")) == (ID_REGION,)


@pytest.mark.parametrize("prefix", ["81", "82", "83"])
def test_a_residence_permit_number_typed_as_a_resident_id_says_which_document(
    prefix: str,
) -> None:
    checked = check_document("resident_id", with_check(f"{prefix}000019900101123"), today=TODAY)
    assert checked.codes == (ID_REGION,)
    assert "residence permits" in checked.faults[0].reason


@pytest.mark.parametrize(
    ("birth", "why"),
    [
        ("19490230", "no date"),
        ("19491301", "no date"),
        ("19490000", "no date"),
        ("18991231", "before 1900"),
        ("20261208", "in the future"),
    ],
)
def test_a_birth_date_that_cannot_be(birth: str, why: str) -> None:
    checked = check_document("resident_id", with_check(f"110105{birth}002"), today=TODAY)
    assert checked.codes == (ID_BIRTH_DATE,) and why in checked.faults[0].reason


def test_born_today_and_on_the_first_day_of_1900_are_plausible() -> None:
    assert codes("resident_id", with_check("11010520261207002")) == ()
    assert codes("resident_id", with_check("11010519000101002")) == ()


def test_a_wrong_check_character_names_no_right_one() -> None:
    checked = check_document("resident_id", "110105194912310021", today=TODAY)
    assert checked.codes == (ID_CHECK_DIGIT,) and checked.value is None
    assert "X" not in checked.faults[0].reason


def test_every_fault_of_a_number_is_named_at_once() -> None:
    assert codes("resident_id", "990105194902300021") == (ID_REGION, ID_BIRTH_DATE, ID_CHECK_DIGIT)


# --- the other documents -------------------------------------------------------------------


def test_a_residence_permit_of_hong_kong_macao_and_taiwan() -> None:
    for prefix in ("81", "82", "83"):
        assert codes("residence_permit", with_check(f"{prefix}000019900101123")) == ()
    assert codes("residence_permit", with_check("11010519900101123")) == (ID_REGION,)
    assert codes("residence_permit", with_check("81000019901301123")) == (ID_BIRTH_DATE,)
    assert codes("residence_permit", "810000199001011231") == (ID_CHECK_DIGIT,)
    assert codes("residence_permit", "H12345678") == (ID_FORMAT,)


def test_a_foreigners_permanent_residence_id_new_and_old() -> None:
    new = with_check("91115619800101001")  # 9, Beijing, nationality 156-style code, 1980
    assert codes("permanent_residence_id", new) == ()
    assert codes("permanent_residence_id", new[:17] + ("0" if new[17] != "0" else "1")) == (
        ID_CHECK_DIGIT,
    )
    assert codes("permanent_residence_id", with_check("91115619801301001")) == (ID_BIRTH_DATE,)
    assert codes("permanent_residence_id", "usa 110080 010112") == ()  # 2004/2017 cards
    assert codes("permanent_residence_id", STANDARD_SAMPLE) == (ID_FORMAT,)
    assert codes("permanent_residence_id", "US1100800101121") == (ID_FORMAT,)


@pytest.mark.parametrize(
    ("kind", "number", "value"),
    [
        ("passport", "E12345678", "E12345678"),
        ("passport", "ea 1234567", "EA1234567"),
        ("passport", "123456789", "123456789"),
        ("passport", "X1234", "X1234"),
        ("hk_macao_travel_permit", "h12345678", "H12345678"),
        ("hk_macao_travel_permit", "M1234567801", "M1234567801"),
        ("taiwan_travel_permit", "12345678", "12345678"),
        ("taiwan_travel_permit", "12345678(B)", "12345678B"),
        ("taiwan_travel_permit", "1234567890", "1234567890"),
        ("other", "军字第 123456 号", "军字第123456号"),
        ("other", "AB", "AB"),
    ],
)
def test_documents_checked_by_format_only(kind: DocumentKind, number: str, value: str) -> None:
    checked = check_document(kind, number, today=TODAY)
    assert checked.ok and checked.value == value


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        ("passport", "ZHANGSAN"),  # a name in the number's field
        ("passport", "E123"),
        ("passport", "E" * 20 + "1"),
        ("passport", "E1234567#"),
        ("hk_macao_travel_permit", "X12345678"),
        ("hk_macao_travel_permit", "H1234567"),
        ("hk_macao_travel_permit", "H123456789"),
        ("taiwan_travel_permit", "1234567"),
        ("taiwan_travel_permit", "12345678ABC"),
        ("taiwan_travel_permit", "A2345678"),
        ("other", "1"),
        ("other", "1" * 41),
        ("other", "#$%"),
    ],
)
def test_documents_of_the_wrong_shape(kind: DocumentKind, number: str) -> None:
    checked = check_document(kind, number, today=TODAY)
    assert checked.codes == (ID_FORMAT,) and checked.value is None


def test_no_document_needs_a_reason_and_keeps_no_number() -> None:
    given_reason = check_document(
        "none", STANDARD_SAMPLE, today=TODAY, reason="a delivery driver without his card"
    )
    assert given_reason.ok and given_reason.value is None
    for reason in ("", "   "):
        checked = check_document("none", "", today=TODAY, reason=reason)
        assert checked.codes == (NO_DOCUMENT_REASON,) and checked.value is None


def test_no_document_has_no_number_to_normalise() -> None:
    with pytest.raises(ValueError, match="no number"):
        normalise_number("none", "123")


# --- masks ---------------------------------------------------------------------------------


def test_the_two_masks_a_site_chooses_between() -> None:
    assert mask_id(STANDARD_SAMPLE) == "110105********002X"
    assert mask_id(STANDARD_SAMPLE, KEEP_6_4) == "110105********002X"
    assert mask_id(STANDARD_SAMPLE, KEEP_4_4) == "1101**********002X"
    assert mask_id("１１０１０５ １９４９１２３１ ００２ｘ") == "110105********002X"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("E12345678", "E1*****78"),
        ("12345678", "12****78"),
        ("H1234567801", "H1******801"),
        ("USA110080010112", "USA********0112"),
        ("AB", "*B"),
        ("", ""),
    ],
)
def test_a_short_number_hides_half_of_itself_whatever_the_mask(number: str, masked: str) -> None:
    assert mask_id(number) == masked


# --- the keyed hash ------------------------------------------------------------------------


def test_the_key_is_hmac_sha256_of_the_kind_and_the_normalised_number() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET, f"resident_id:{STANDARD_SAMPLE}".encode(), hashlib.sha256)
    assert id_key("resident_id", STANDARD_SAMPLE, SECRET) == expected.hexdigest()
    assert id_key("resident_id", "110105 19491231 002x", SECRET) == expected.hexdigest()


def test_the_same_digits_under_two_kinds_have_two_keys() -> None:
    assert id_key("passport", "12345678", SECRET) != id_key(
        "taiwan_travel_permit", "12345678", SECRET
    )


def test_a_short_secret_or_no_number_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        id_key("resident_id", STANDARD_SAMPLE, b"short")
    with pytest.raises(ValueError, match="no number"):
        id_key("none", "", SECRET)


# --- properties ----------------------------------------------------------------------------

PROVINCES = [f"{c}" for c in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 37, 41, 46, 50, 54, 65)]


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(PROVINCES))
    county = draw(st.integers(0, 9999))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(0, 999))
    return with_check(f"{province}{county:04d}{born:%Y%m%d}{sequence:03d}")


@FAST
@given(number=resident_ids())
def test_every_well_made_number_passes(number: str) -> None:
    checked = check_document("resident_id", number, today=TODAY)
    assert checked.ok and checked.value == number


@FAST
@given(number=resident_ids(), data=st.data())
def test_any_valid_id_with_one_character_changed_fails_the_check(
    number: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, 17))
    alphabet = "0123456789X" if at == 17 else "0123456789"
    other = data.draw(st.sampled_from([c for c in alphabet if c != number[at]]))
    changed = number[:at] + other + number[at + 1 :]
    assert ID_CHECK_DIGIT in codes("resident_id", changed)


@FAST
@given(number=resident_ids(), at=st.integers(0, 15))
def test_any_valid_id_with_two_neighbouring_digits_swapped_fails_the_check(
    number: str, at: int
) -> None:
    swapped = number[:at] + number[at + 1] + number[at] + number[at + 2 :]
    if swapped != number:
        assert ID_CHECK_DIGIT in codes("resident_id", swapped)


@FAST
@given(
    number=st.text(alphabet="0123456789ABCDEFGHX", max_size=30),
    keep=st.sampled_from([KEEP_6_4, KEEP_4_4, (0, 0), (3, 4), (10, 10)]),
)
def test_a_mask_never_shows_more_than_its_kept_ends(number: str, keep: tuple[int, int]) -> None:
    masked = mask_id(number, keep)
    assert len(masked) == len(number)
    shown_head = _shown_head(masked)
    shown_tail = _shown_tail(masked)
    hidden = len(number) - shown_head - shown_tail
    assert shown_head <= keep[0] and shown_tail <= keep[1]
    assert hidden >= min(8, (len(number) + 1) // 2)
    assert masked[:shown_head] == number[:shown_head]
    assert masked[len(masked) - shown_tail :] == number[len(number) - shown_tail :]
    assert set(masked[shown_head : len(masked) - shown_tail]) <= {"*"}


def _shown_head(masked: str) -> int:
    return masked.index("*") if "*" in masked else len(masked)


def _shown_tail(masked: str) -> int:
    return len(masked) - 1 - masked.rindex("*") if "*" in masked else 0


@FAST
@given(
    number=resident_ids(),
    one=st.binary(min_size=16, max_size=64),
    other=st.binary(min_size=16, max_size=64),
)
def test_the_keyed_hash_differs_with_the_secret(number: str, one: bytes, other: bytes) -> None:
    assert id_key("resident_id", number, one) == id_key("resident_id", number, one)
    if one != other:
        assert id_key("resident_id", number, one) != id_key("resident_id", number, other)
