"""A visitor's phone number and vehicle plate, as typed at the gate.

Phones: a mainland mobile number is 11 digits beginning 13 to 19; it is kept as those 11
digits whatever was typed around it (+86, 0086, a bare 86 before 11 digits, spaces,
hyphens, brackets). A landline is accepted only where the site allows one (`landline=True`;
a host calls a mobile back, a landline reaches a switchboard): an area code (010, 02x,
or 0 and three digits) and 7 or 8 digits, kept as `021-87654321`; the area code may be
left out for a local number. Extensions are not taken: the register wants a number that
reaches the visitor.

Plates (GA 36-2018): a province's character, the issuing office's letter, and a serial of
five letters or digits without I or O (they read as 1 and 0); new-energy plates have six
(small: D/F, or since 2022 A B C E / G H J K, then a letter or digit and four digits;
large: five digits then D or F); special plates end in 警 学 挂 领 港 澳 试 超 after four,
and embassy plates are 使 and six digits. Military and armed-police plates are not taken
(no outside vehicles is the default, and those come with their own paperwork).
"""

import re

from server.gate.faults import Checked, Fault
from server.gate.text import fold_text, mask_middle

PHONE_FORMAT = "visit.phone_format"
PHONE_LANDLINE = "visit.phone_landline"
PLATE_FORMAT = "visit.plate_format"

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"(0(?:10|2[0-9]|[3-9][0-9]{2}))?([2-9][0-9]{6,7})")
_COUNTRY_PREFIXES = ("+86", "0086")

_OFFICE = "[A-HJ-Z]"  # I is never an office letter; O is (government and police).
_SERIAL = "[A-HJ-NP-Z0-9]"
_PLATES = re.compile(
    "|".join(
        (
            f"[{PROVINCES}]{_OFFICE}{_SERIAL}{{5}}",
            f"[{PROVINCES}]{_OFFICE}[A-HJK]{_SERIAL}[0-9]{{4}}",
            f"[{PROVINCES}]{_OFFICE}[0-9]{{5}}[DF]",
            f"[{PROVINCES}]{_OFFICE}{_SERIAL}{{4}}[警学挂领港澳试超]",
            "使[0-9]{6}",
        )
    )
)


def check_phone(text: str, *, landline: bool = False) -> Checked:
    """The number as it is kept (11 digits for a mobile), or why it is not one."""
    digits, international = _strip_country(fold_text(text))
    if _MOBILE.fullmatch(digits):
        return Checked(value=digits)
    fixed = _landline(digits, international)
    if fixed is None:
        return Checked(
            value=None,
            faults=(
                Fault(
                    code=PHONE_FORMAT,
                    reason="a mobile number is 11 digits beginning with 13 to 19"
                    + ("; a landline is an area code and 7 or 8 digits" if landline else ""),
                ),
            ),
        )
    if not landline:
        return Checked(
            value=None,
            faults=(Fault(code=PHONE_LANDLINE, reason="a landline: this site asks for a mobile"),),
        )
    return Checked(value=fixed)


def mask_phone(number: str) -> str:
    """`138****5678` for a mobile; a landline keeps its area code and shows at most the last
    four of the rest (`021-****4321`); anything else shows at most 3+4 with at least half
    hidden, so a mistyped number is masked as well as a good one."""
    digits, international = _strip_country(fold_text(number))
    if _MOBILE.fullmatch(digits):
        return mask_middle(digits, 3, 4, at_least=4)
    fixed = _landline(digits, international)
    if fixed is not None:
        area, _, local = fixed.rpartition("-")
        masked = mask_middle(local, 0, 4, at_least=4)
        return f"{area}-{masked}" if area else masked
    return mask_middle(digits, 3, 4, at_least=max(4, (len(digits) + 1) // 2))


def check_plate(text: str) -> Checked:
    """The plate as it is kept (`京A12345`: capitals, no dot or space), or why not."""
    plate = fold_text(text)
    if _PLATES.fullmatch(plate):
        return Checked(value=plate)
    if plate[:1] not in PROVINCES and not plate.startswith("使"):
        reason = "a plate begins with a province's character (京, 沪, 粤, ...)"
    else:
        reason = (
            "a province, an office letter and 5 letters or digits (no I or O); 6 on a "
            "new-energy plate"
        )
    return Checked(value=None, faults=(Fault(code=PLATE_FORMAT, reason=reason),))


def _strip_country(folded: str) -> tuple[str, bool]:
    """The national number and whether it was written with the country code (then a
    landline's area code has lost its leading 0)."""
    for prefix in _COUNTRY_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :], True
    if len(folded) == 13 and folded.startswith("86") and _MOBILE.fullmatch(folded[2:]):
        return folded[2:], True
    return folded, False


def _landline(digits: str, international: bool) -> str | None:
    if international and not digits.startswith("0"):
        digits = "0" + digits
    found = _LANDLINE.fullmatch(digits)
    if found is None or (international and found.group(1) is None):
        return None
    area, local = found.groups()
    return f"{area}-{local}" if area else local
