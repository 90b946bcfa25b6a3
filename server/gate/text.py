"""Typed text folded to one form, and masks that show only the ends of a number.

A number typed on a Chinese keyboard arrives with full-width digits (`１１０１`), an
ideographic space or a full-width hyphen; one copied from a form has spaces, hyphens, a
middle dot (`京A·12345`) or brackets (`12345678(B)`). All of them must fold to one
string, or a repeat visitor is not found by the keyed hash of their number.
"""

import unicodedata

_SEPARATORS = frozenset("-‐‑‒–—―−﹣·•・.()[]/")
"""After NFKC, which has already turned the full-width forms into these."""


def fold_text(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII, the ideographic space to a space),
    without whitespace or separators, in upper case (a typed `x` is the check character
    `X`; plates are written in capitals). Chinese characters pass unchanged."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if not c.isspace() and c not in _SEPARATORS).upper()


def mask_middle(text: str, head: int, tail: int, *, at_least: int) -> str:
    """`text` with all but `head` leading and `tail` trailing characters replaced by `*`,
    hiding at least `at_least` characters whatever `head` and `tail` ask for: a 6+4 mask
    on a 9-character passport number would otherwise show all but one character. When
    the ends must give characters up, what is left is shared between them, the tail
    taking the odd one (the tail is what a person reads back to confirm a number)."""
    if head < 0 or tail < 0 or at_least < 0:
        raise ValueError("a mask keeps and hides a non-negative number of characters")
    hidden = max(len(text) - head - tail, min(at_least, len(text)))
    shown = len(text) - hidden
    keep_tail = min(tail, shown - min(head, shown // 2))
    keep_head = min(head, shown - keep_tail)
    return (
        text[:keep_head] + "*" * (len(text) - keep_head - keep_tail) + text[len(text) - keep_tail :]
    )
