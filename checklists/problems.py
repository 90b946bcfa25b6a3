"""Problems found in a template or in a set of answers, and the errors that carry them.

A problem names where it is (`items[3].show_if.item`, `answers.gauge_zone`), a stable code
a client can branch on, and a reason a person can read. Codes, once shipped, are never
renamed or reused: phones keep old builds for years.
"""

from typing import ClassVar

import msgspec


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    code: str
    reason: str


class InvalidTemplate(ValueError):
    code: ClassVar[str] = "checklist.invalid_template"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.reason}" for p in problems))
        self.problems = problems


class InvalidAnswers(ValueError):
    code: ClassVar[str] = "checklist.invalid_answers"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.reason}" for p in problems))
        self.problems = problems


class UnknownTemplate(LookupError):
    code: ClassVar[str] = "checklist.unknown_template"

    def __init__(self, key: str) -> None:
        super().__init__(f"no built-in checklist {key!r}")
        self.key = key
