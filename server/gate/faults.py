"""What a gate check answers: the value as it is kept, or faults with stable codes.

The gate's checks never raise on bad input: a gatekeeper with a queue needs every fault
of a form at once, and the caller (a service, an op handler) decides which of them refuse
the record and how each becomes a problem (`{code, detail, field}`). Codes, once shipped,
are never renamed or reused: gate tablets keep old builds for years.
"""

import msgspec


class Fault(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    reason: str


class Checked(msgspec.Struct, frozen=True, kw_only=True):
    """`value` is the normalised form to store, hash and compare (None when nothing may be
    kept: a refused number is not stored anywhere, PIPL Art. 19)."""

    value: str | None
    faults: tuple[Fault, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(fault.code for fault in self.faults)
