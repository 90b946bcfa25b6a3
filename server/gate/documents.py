"""Visitors' identity documents: which numbers are plausible, how they are masked, and the
keyed hash that finds a repeat visitor or a watchlist entry without keeping the number.

Only the mainland resident ID (居民身份证) and the numbers built like it carry a check
character (GB 11643-1999, ISO 7064 MOD 11-2), so only they are checked beyond their
shape: the residence permits of HK, Macao and Taiwan residents (港澳台居民居住证, address
code 81/82/83) and the 2023 foreigner's permanent residence ID (外国人永久居留身份证,
first digit 9). Passports and travel permits are checked by format only, and loosely: a
fault sends the gatekeeper to "no document", which costs a reason, so a rule too strict
for a real document does more harm than one too loose.

"No document" (`none`) never blocks the gate: it needs a reason and keeps no number, so a
number that failed its check is not kept under another name either.

The old 15-digit resident ID (first generation, no check character) is refused, not
converted: those cards have not been valid since 1 January 2013, and a number converted
from one would be a number nobody was seen to hold.
"""

import datetime as dt
import hashlib
import hmac
import re
import uuid
from typing import Literal

from server.gate.faults import Checked, Fault
from server.gate.text import fold_text, mask_middle

DocumentKind = Literal[
    "resident_id",
    "passport",
    "hk_macao_travel_permit",
    "taiwan_travel_permit",
    "residence_permit",
    "permanent_residence_id",
    "other",
    "none",
]

ID_FORMAT = "visit.id_format"
ID_OLD_FORM = "visit.id_old_form"
ID_REGION = "visit.id_region"
ID_BIRTH_DATE = "visit.id_birth_date"
ID_CHECK_DIGIT = "visit.id_check_digit"
NO_DOCUMENT_REASON = "visit.no_document_reason"

KEEP_6_4 = (6, 4)
KEEP_4_4 = (4, 4)
"""The two display masks a site chooses between: `110105********1234`, `1101**********1234`."""

MIN_SECRET_BYTES = 16

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_PROVINCES = frozenset(
    f"{code}"
    for code in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
    )
)
"""Province codes of GB/T 2260. 71 (Taiwan) is reserved and printed on no resident ID;
81, 82 and 83 are the residence permits' address codes. Only the province is checked:
county codes change every year and an old code stays on a valid card."""
_RESIDENCE_PERMIT_PREFIXES = ("81", "82", "83")
_EARLIEST_BIRTH = dt.date(1900, 1, 1)

_EIGHTEEN = re.compile(r"[0-9]{17}[0-9X]")
_FIRST_GENERATION = re.compile(r"[0-9]{15}")
_OLD_PERMANENT_RESIDENCE = re.compile(r"[A-Z]{3}[0-9]{12}")
_PASSPORT = re.compile(r"(?=[A-Z0-9]*[0-9])[A-Z0-9]{5,20}")
_HK_MACAO_PERMIT = re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?")
_TAIWAN_PERMIT = re.compile(r"[0-9]{8}[0-9A-Z]{0,2}")


def check_character(body: str) -> str:
    """The GB 11643 check character of 17 digits: weight i is 2^(17-i) mod 11, and the sum
    mod 11 picks from `10X98765432` (X stands for 10)."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError("the check character is computed over 17 digits")
    return _CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def normalise_number(kind: DocumentKind, number: str) -> str:
    """The form a number is stored, masked and hashed in. Every kind folds the same way
    today; the kind is asked for so that a kind with rules of its own can have them
    without every caller changing."""
    if kind == "none":
        raise ValueError("'no document' has no number")
    return fold_text(number)


def check_document(kind: DocumentKind, number: str, *, today: dt.date, reason: str = "") -> Checked:
    """The document's number as it will be kept, or why it is not plausible. `today` is the
    site's local date (a birth date may not be after it). `reason` is read only for
    `none`, whose number is dropped whatever was typed."""
    if kind == "none":
        if reason.strip():
            return Checked(value=None)
        return Checked(
            value=None,
            faults=(
                Fault(
                    code=NO_DOCUMENT_REASON,
                    reason="say why the visitor has no document (forgotten, a child, ...)",
                ),
            ),
        )
    value = normalise_number(kind, number)
    faults = _FAULTS[kind](value, today)
    return Checked(value=None if faults else value, faults=tuple(faults))


def mask_id(number: str, keep: tuple[int, int] = KEEP_6_4) -> str:
    """The number for display: `110105********1234` with 6+4. At least eight characters
    (or half of a shorter number) stay hidden whatever `keep` says, so a passport number
    is masked too. With 6+4 the hidden eight of a resident ID are exactly the birth date."""
    folded = fold_text(number)
    return mask_middle(folded, *keep, at_least=min(8, (len(folded) + 1) // 2))


def id_key(kind: DocumentKind, number: str, secret: bytes) -> str:
    """HMAC-SHA256 (hex) of `kind:number`, the number normalised: how a repeat visitor and
    a watchlist entry are matched, on the gate device, without the number.

    Why keyed: an 18-digit ID number is not a secret of 10^18 values. Its address part
    has a few thousand codes, its birth date about 36,500 for living people, its sequence
    1,000 and its check character none, so there are about 10^11 plausible numbers, and
    far fewer for a visitor whose birth year and county are guessed. A laptop computes
    SHA-256 at 10^9 per second or more: an unkeyed hash of an ID number is reversed in
    minutes, which would make a table of hashes a table of numbers; beside its 6+4 mask,
    whose hidden eight digits are the birth date, in well under a second. With the secret
    (per deployment, never on a report or in an export) the hashes are useless without it.

    The kind is part of the message so that numbers of two kinds never share a key: a
    passport and a travel permit may carry the same digits. Passports of two countries
    may too; with no nationality on the register, such a match stops the check-in and a
    manager decides, as for any watchlist match."""
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the ID key's secret must be at least {MIN_SECRET_BYTES} bytes")
    message = f"{kind}:{normalise_number(kind, number)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def site_lookup_key(secret: bytes, site_id: uuid.UUID) -> bytes:
    """The key a site's `id_key`s are made with: HMAC-SHA256 of the site's id under the
    deployment's secret. Gate devices receive it (the gate settings feed) so that they can
    match a visitor against the watchlist and the repeat visitors offline; a device that
    leaks it gives away the numbers of one site's hashes, never another site's, and never
    the deployment's secret."""
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the ID key's secret must be at least {MIN_SECRET_BYTES} bytes")
    return hmac.new(secret, b"site lookup key\0" + site_id.bytes, hashlib.sha256).digest()


def _resident_id(number: str, today: dt.date) -> list[Fault]:
    if _FIRST_GENERATION.fullmatch(number):
        return [
            Fault(
                code=ID_OLD_FORM,
                reason="a 15-digit first-generation ID card, not valid since 1 January 2013: "
                "ask for the current card, or register 'no document' with a reason",
            )
        ]
    if not _EIGHTEEN.fullmatch(number):
        return [_format("18 characters: 17 digits and a check digit or X")]
    faults = []
    if number.startswith(_RESIDENCE_PERMIT_PREFIXES):
        faults.append(
            Fault(
                code=ID_REGION,
                reason="81, 82 and 83 begin the residence permits of HK, Macao and Taiwan "
                "residents: choose that document",
            )
        )
    elif number[:2] not in _PROVINCES:
        faults.append(Fault(code=ID_REGION, reason="the first two digits are no province"))
    faults.extend(_birth_date(number, today))
    faults.extend(_check_character(number))
    return faults


def _residence_permit(number: str, today: dt.date) -> list[Fault]:
    if not _EIGHTEEN.fullmatch(number):
        return [_format("18 characters: 17 digits and a check digit or X")]
    faults = []
    if not number.startswith(_RESIDENCE_PERMIT_PREFIXES):
        faults.append(
            Fault(
                code=ID_REGION,
                reason="a residence permit number begins with 81 (HK), 82 (Macao) or 83 (Taiwan)",
            )
        )
    faults.extend(_birth_date(number, today))
    faults.extend(_check_character(number))
    return faults


def _permanent_residence_id(number: str, today: dt.date) -> list[Fault]:
    """The 2023 card: 9, the issuing province, a 3-digit nationality code, the birth date
    where a resident ID has it, a sequence and the MOD 11-2 check. Cards of 2004 and 2017
    (three letters of nationality and 12 digits, still valid) carry no check character."""
    if _OLD_PERMANENT_RESIDENCE.fullmatch(number):
        return []
    if not _EIGHTEEN.fullmatch(number) or not number.startswith("9"):
        return [
            _format("18 characters beginning with 9, or 3 letters and 12 digits on older cards")
        ]
    return [*_birth_date(number, today), *_check_character(number)]


def _passport(number: str, today: dt.date) -> list[Fault]:
    # ICAO 9303 leaves the number to the issuing state: only letters and digits are common
    # to all, and a name typed in the number's field has no digit.
    if _PASSPORT.fullmatch(number):
        return []
    return [_format("5 to 20 letters and digits, at least one of them a digit")]


def _hk_macao_travel_permit(number: str, today: dt.date) -> list[Fault]:
    if _HK_MACAO_PERMIT.fullmatch(number):
        return []
    return [_format("H (Hong Kong) or M (Macao) and 8 digits; older permits have 10")]


def _taiwan_travel_permit(number: str, today: dt.date) -> list[Fault]:
    # The card since 2015 has 8 digits; older booklets add up to two characters, often a
    # letter in brackets (`12345678(B)`), whose brackets folding has removed.
    if _TAIWAN_PERMIT.fullmatch(number):
        return []
    return [_format("8 digits; older permits add one or two letters or digits")]


def _other(number: str, today: dt.date) -> list[Fault]:
    if 2 <= len(number) <= 40 and number.isalnum():
        return []
    return [_format("2 to 40 letters and digits")]


def _birth_date(number: str, today: dt.date) -> list[Fault]:
    digits = number[6:14]
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return [Fault(code=ID_BIRTH_DATE, reason="digits 7 to 14 are no date (YYYYMMDD)")]
    if born < _EARLIEST_BIRTH:
        return [Fault(code=ID_BIRTH_DATE, reason="a birth date before 1900")]
    if born > today:
        return [Fault(code=ID_BIRTH_DATE, reason="a birth date in the future")]
    return []


def _check_character(number: str) -> list[Fault]:
    # The expected character is not named: a gatekeeper told it would "correct" the last
    # character, when the mistyped digit is almost always another one.
    if check_character(number[:17]) == number[17]:
        return []
    return [
        Fault(
            code=ID_CHECK_DIGIT,
            reason="the check character does not match: a digit is probably mistyped; "
            "compare each digit with the card",
        )
    ]


def _format(expected: str) -> Fault:
    return Fault(code=ID_FORMAT, reason=f"not the shape of this document: {expected}")


_FAULTS = {
    "resident_id": _resident_id,
    "passport": _passport,
    "hk_macao_travel_permit": _hk_macao_travel_permit,
    "taiwan_travel_permit": _taiwan_travel_permit,
    "residence_permit": _residence_permit,
    "permanent_residence_id": _permanent_residence_id,
    "other": _other,
}
