"""Tag codes: short, random, and safe to read aloud or type from a worn label.

A code is 7 random Crockford base32 characters followed by a check character: a weighted
sum over GF(32) with distinct non-zero weights per position. Every single-character
substitution and every transposition of two different characters (adjacent or not)
changes the sum, so a misread label is answered "invalid", never another tag. (Luhn
mod 32 misses the swap 0Z <-> Z0; no check computed mod 32 catches every swap.)
"""

import secrets
from collections.abc import Callable
from typing import ClassVar

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAYLOAD_LENGTH = 7
CODE_LENGTH = PAYLOAD_LENGTH + 1

_VALUES = {char: value for value, char in enumerate(ALPHABET)}
# Crockford decoding: letters that look like digits are read as those digits.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " \t\n\r-")


class InvalidTagCode(ValueError):
    code: ClassVar[str] = "tag.invalid_code"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _gf32_multiply(a: int, b: int) -> int:
    """Multiplication in GF(2^5) modulo the primitive polynomial x^5 + x^2 + 1."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 32:
            a ^= 0b100101
    return product


def _weights(length: int) -> list[int]:
    """Distinct non-zero weights: powers of the generator x, the last position weighing 1."""
    weights, w = [], 1
    for _ in range(length):
        weights.append(w)
        w = _gf32_multiply(w, 2)
    return weights[::-1]


_WEIGHTS = _weights(CODE_LENGTH)


def _weighted_sum(values: list[int]) -> int:
    total = 0
    # A payload takes the first weights; the check character's weight is 1.
    for weight, value in zip(_WEIGHTS, values, strict=False):
        total ^= _gf32_multiply(weight, value)
    return total


def check_character(payload: str) -> str:
    """The character that makes the weighted sum of the whole code zero."""
    if len(payload) != PAYLOAD_LENGTH:
        raise InvalidTagCode(f"a payload has {PAYLOAD_LENGTH} characters, got {len(payload)}")
    return ALPHABET[_weighted_sum([_VALUES[char] for char in payload])]


def new_code(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    bits = int.from_bytes(random_bytes(5), "big")  # 40 bits; 35 are used, 5 per character
    payload = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(PAYLOAD_LENGTH))
    return payload + check_character(payload)


def _clean(text: str) -> str:
    candidate = text.translate(_SEPARATORS).upper().translate(_LOOKALIKES)
    for char in candidate:
        if char not in _VALUES:
            raise InvalidTagCode(f"character {char!r} is not allowed")
    if len(candidate) != CODE_LENGTH:
        raise InvalidTagCode(
            f"wrong length: expected {CODE_LENGTH} characters, got {len(candidate)}"
        )
    return candidate


def normalize_code(text: str) -> str:
    """Canonical form of a typed or scanned code; raises InvalidTagCode saying what is wrong."""
    candidate = _clean(text)
    if _weighted_sum([_VALUES[char] for char in candidate]) != 0:
        raise InvalidTagCode("check character does not match (a character was mistyped)")
    return candidate


def is_valid_code(text: str) -> bool:
    try:
        normalize_code(text)
    except InvalidTagCode:
        return False
    return True


def format_code(code: str) -> str:
    """The printed form, in two groups of four: K7QM-X3P9. Presentation only: the check
    character is not verified (normalize_code does that where codes come in)."""
    canonical = _clean(code)
    return f"{canonical[:4]}-{canonical[4:]}"
