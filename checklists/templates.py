"""The checklist template language: what a school fills in when it scans a tag.

Everything here is parsed from files and requests, so every struct is frozen and refuses
unknown fields: a misspelt `requried: false` must be an error, not a silently required item.
A template is identified by `key` and `version`; answers are always judged against the
version they were given for, so a submitted inspection never changes meaning later.
"""

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Slug = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Words = Annotated[str, Meta(min_length=1, max_length=4000)]
Number = int | float

LocationKind = Literal[
    "campus",
    "building",
    "floor",
    "room",
    "corridor",
    "stairwell",
    "area",
    "outdoor",
    "gate",
    "kitchen",
    "dormitory",
    "playground",
    "other",
]

CHECK_ANSWERS = ("pass", "fail", "na")


class _Parsed(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Subclasses say `frozen=True` again: msgspec inherits it, type checkers do not (PEP 681)."""


class Text(_Parsed, frozen=True):
    """Both languages are required: staff read Chinese, outside auditors often English."""

    zh_cn: Words = msgspec.field(name="zh-CN")
    en: Words


class Condition(_Parsed, frozen=True):
    """Show an item only when an earlier check or choice item has one of the given answers.

    Exactly one of `equals` and `in` is given. Only check and choice items can be
    referenced: equality on a measured number is rarely what anyone means.
    """

    item: Slug
    equals: str | None = None
    in_: list[str] | None = msgspec.field(default=None, name="in")

    def accepted(self) -> list[str]:
        if self.in_ is not None:
            return self.in_
        return [] if self.equals is None else [self.equals]


class Option(_Parsed, frozen=True):
    value: Slug
    label: Text


class AppliesTo(_Parsed, frozen=True):
    """Asset categories are open (a school has many kinds of things); location kinds are not."""

    asset_categories: list[Slug] = []
    location_kinds: list[LocationKind] = []


class _Frequency(_Parsed, tag_field="every", frozen=True):
    pass


class Daily(_Frequency, tag="daily", frozen=True):
    pass


class Weekly(_Frequency, tag="weekly", frozen=True):
    """`weekday` is ISO: 1 is Monday (playground equipment is checked every Monday)."""

    weekday: Annotated[int, Meta(ge=1, le=7)] | None = None


class Monthly(_Frequency, tag="monthly", frozen=True):
    pass


class PerTerm(_Frequency, tag="per_term", kw_only=True, frozen=True):
    times: Annotated[int, Meta(ge=1, le=20)]


class Yearly(_Frequency, tag="yearly", frozen=True):
    pass


class OnDemand(_Frequency, tag="on_demand", frozen=True):
    pass


Frequency = Daily | Weekly | Monthly | PerTerm | Yearly | OnDemand


class Prefill(_Parsed, frozen=True):
    """Where an item's first answer comes from: what the asset's record already holds, such
    as the service-life date on an extinguisher's label, so it is not typed every month.

    Exactly one of `attribute` (an asset attribute, `expiry_date`) and `field` is given. The
    prefilled answer is shown as such, can be changed, and is judged like a typed one (an
    expired date still fails). A location has no attributes: nothing is prefilled there.
    """

    attribute: Slug | None = None
    field: Literal["serial_number", "asset_number"] | None = None


EvidenceNeed = Literal["required", "optional"]


class Evidence(_Parsed, frozen=True):
    """What a judged item asks for, right under it, when it fails: a photo and a note that go
    with its finding. Answered as `"<item>.photos"` (sha256 digests) and `"<item>.note"`."""

    photo: EvidenceNeed | None = None
    note: EvidenceNeed | None = None


class _Item(_Parsed, tag_field="type", frozen=True):
    key: Slug
    label: Text
    help: Text | None = None
    required: bool = True
    # "failure": required only when some shown item fails (a photo of what is wrong);
    # otherwise optional. Photo and text items only.
    required_when: Literal["failure"] | None = None
    # A critical failure fails the whole checklist, whatever else passed.
    critical: bool = False
    show_if: Condition | None = None
    # Date, text and number items only.
    prefill: Prefill | None = None
    # Judged items only (check, number, choice, date).
    evidence: Evidence | None = None


class CheckItem(_Item, tag="check", frozen=True):
    allow_na: bool = True


class NumberItem(_Item, tag="number", frozen=True):
    """Bounds are inclusive; a reading outside them is a failure, not an invalid answer."""

    unit: Annotated[str, Meta(max_length=32)] | None = None
    min: Number | None = None
    max: Number | None = None
    decimals: Annotated[int, Meta(ge=0, le=6)] = 0


class ChoiceItem(_Item, tag="choice", kw_only=True, frozen=True):
    options: Annotated[list[Option], Meta(min_length=1, max_length=100)]
    fail_options: list[Slug] = []
    multiple: bool = False


class TextItem(_Item, tag="text", frozen=True):
    max_length: Annotated[int, Meta(ge=1, le=100_000)] = 2000


class DateItem(_Item, tag="date", frozen=True):
    """`must_not_be_past` is for end dates such as an extinguisher's service life."""

    must_not_be_past: bool = False


class PhotoItem(_Item, tag="photo", frozen=True):
    """Answered with the sha256 of each photo; the files travel separately."""

    min_count: Annotated[int, Meta(ge=1, le=50)] = 1


class SignatureItem(_Item, tag="signature", frozen=True):
    pass


Item = CheckItem | NumberItem | ChoiceItem | TextItem | DateItem | PhotoItem | SignatureItem

# Items whose answer is judged pass or fail, and so count towards the score.
JUDGED_ITEMS = (CheckItem, NumberItem, ChoiceItem, DateItem)


class Template(_Parsed, kw_only=True, frozen=True):
    key: Slug
    version: Annotated[int, Meta(ge=1)]
    title: Text
    guidance: Text | None = None
    category: Slug
    applies_to: AppliesTo
    frequency: Frequency
    items: Annotated[list[Item], Meta(min_length=1, max_length=300)]
    # A check where everything is fine is: open, All OK, Submit. `check_template` holds the
    # template to it: every required item is answered by All OK or prefilled.
    all_ok: bool = False
