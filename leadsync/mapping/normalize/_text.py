"""Text helpers shared by the normalisers: whitespace clean-up and accent-blind folding."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"\s+")
# Control and format characters (zero-width spaces, BOMs) sneak in from spreadsheets.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_text(raw: str | None) -> str | None:
    """Strip, drop invisible characters and collapse runs of whitespace to one space.

    Args:
        raw: Any text, or None.

    Returns:
        The cleaned text, or None when nothing visible is left.
    """
    if not isinstance(raw, str):
        return None
    if raw.isprintable():
        # The only printable whitespace is the plain space: without a run of two there is
        # nothing to collapse, and most values need no regex pass.
        text = raw if "  " not in raw else _SPACE.sub(" ", raw)
    else:
        text = "".join(
            " " if ch.isspace() else ch
            for ch in raw
            if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        )
        text = _SPACE.sub(" ", text)
    text = text.strip()
    return text or None


@lru_cache(maxsize=65536)
def fold(raw: str) -> str:
    """Return an accent-blind, case-blind form of ``raw`` for comparisons and keys.

    Args:
        raw: Any text.

    Returns:
        NFKD-decomposed text without combining marks, case-folded, whitespace collapsed.
    """
    decomposed = unicodedata.normalize("NFKD", raw)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.casefold()).strip()
