import random

import pytest

from qr.codes import (
    ALPHABET,
    InvalidTagCode,
    check_character,
    format_code,
    is_valid_code,
    new_code,
    normalize_code,
)


def _codes(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [new_code(rng.randbytes) for _ in range(count)]


def test_new_codes_are_eight_alphabet_characters_and_valid() -> None:
    for code in _codes(500):
        assert len(code) == 8
        assert set(code) <= set(ALPHABET)
        assert normalize_code(code) == code


def test_new_code_uses_the_given_randomness() -> None:
    assert new_code(lambda n: bytes(n)) == "00000000"
    assert new_code(lambda n: b"\xff" * n) == "ZZZZZZZ" + check_character("ZZZZZZZ")
    assert len({new_code() for _ in range(200)}) == 200


def test_printed_form_has_two_groups_of_four() -> None:
    assert format_code("K7QMX3P9") == "K7QM-X3P9"
    assert format_code("k7qm x3p9") == "K7QM-X3P9"


def test_normalization_accepts_lower_case_hyphens_spaces_and_lookalike_letters() -> None:
    code = "10K0Q1M" + check_character("10K0Q1M")
    typed = f"lo-k o{code[4:].lower()}".replace("1", "i")
    assert normalize_code(typed) == code
    assert normalize_code(f" {code[:4]}-{code[4:]} ") == code
    assert normalize_code(format_code(code).lower()) == code
    assert is_valid_code(typed)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("K7QMX", "wrong length: expected 8 characters, got 5"),
        ("", "wrong length: expected 8 characters, got 0"),
        ("K7QMX3P9A", "wrong length: expected 8 characters, got 9"),
        ("K7QMU3P9", "character 'U' is not allowed"),
        ("k7qmu3p9", "character 'U' is not allowed"),
        ("K7QM_3P9", "character '_' is not allowed"),
        ("K7QMX3P9", "check character does not match (a character was mistyped)"),
    ],
)
def test_invalid_codes_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidTagCode) as raised:
        normalize_code(text)
    assert raised.value.reason == reason
    assert str(raised.value) == reason
    assert isinstance(raised.value, ValueError)
    assert not is_valid_code(text)


def test_every_single_substitution_is_detected() -> None:
    for code in _codes(150):
        for position, original in enumerate(code):
            for replacement in ALPHABET:
                if replacement != original:
                    typo = code[:position] + replacement + code[position + 1 :]
                    assert not is_valid_code(typo), (code, typo)


def _undetected_transpositions(code: str) -> set[frozenset[str]]:
    """Pairs of different characters, at any two positions, whose swap still validates."""
    missed = set()
    for i in range(len(code)):
        for j in range(i + 1, len(code)):
            a, b = code[i], code[j]
            swapped = code[:i] + b + code[i + 1 : j] + a + code[j + 1 :]
            if a != b and is_valid_code(swapped):
                missed.add(frozenset((a, b)))
    return missed


def test_every_transposition_is_detected() -> None:
    """Exhaustive over every pair of characters in every pair of adjacent payload positions
    and against the check character, plus any-distance swaps on a sample."""
    missed: set[frozenset[str]] = set()
    base = "3K7QMX3"
    for position in range(6):
        for a in ALPHABET:
            for b in ALPHABET:
                payload = base[:position] + a + b + base[position + 2 :]
                missed |= _undetected_transpositions(payload + check_character(payload))
    for a in ALPHABET:
        for first in ALPHABET:
            payload = first + base[1:6] + a
            missed |= _undetected_transpositions(payload + check_character(payload))
    for code in _codes(200):
        missed |= _undetected_transpositions(code)
    assert missed == set()
