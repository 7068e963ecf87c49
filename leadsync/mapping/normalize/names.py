"""Person names: split a full name, join parts, sensible casing and a match key."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from leadsync.mapping.normalize._text import clean_text, fold

# Lower-case surname particles ("van der Berg", "de la Cruz", "bin Laden").
_PARTICLES = frozenset(
    {
        "van",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "das",
        "du",
        "la",
        "le",
        "von",
        "zu",
        "ten",
        "ter",
        "bin",
        "binti",
        "al",
        "el",
        "y",
        "st",
    }
)
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "herr", "frau"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})
# "Mac" names that are not Gaelic patronymics and so keep one capital.
_MAC_EXCEPTIONS = frozenset({"klin", "kintosh", "kinnon"})
_PIECES = re.compile(r"([-'\u2019])")


class NameParts(NamedTuple):
    """A person's name split into given name and family name (either may be missing)."""

    first: str | None
    last: str | None


def _bare(token: str) -> str:
    return token.rstrip(".,").casefold()


@lru_cache(maxsize=16384)
def split_name(full: str | None) -> NameParts:
    """Split a full name into first and last name.

    Handles ``"Last, First"``, drops honorifics (``Dr.``), keeps generational suffixes with
    the surname and keeps particles with it (``"Ludwig van Beethoven"`` gives
    ``("Ludwig", "van Beethoven")``). A single word is taken as the last name, which CRMs
    require.

    Args:
        full: The full name as typed.

    Returns:
        The parts; both None when there is no name.
    """
    text = clean_text(full)
    if text is None:
        return NameParts(None, None)
    if "," in text:
        head, _, tail = text.partition(",")
        tail_tokens = tail.split()
        if tail_tokens and not all(_bare(t) in _SUFFIXES for t in tail_tokens):
            return NameParts(clean_text(tail.strip(", ")), clean_text(head.strip(", ")))
        text = text.replace(",", " ")
    tokens = text.split()
    if not tokens:
        return NameParts(None, None)
    while len(tokens) > 1 and _bare(tokens[0]) in _HONORIFICS:
        tokens = tokens[1:]
    suffix: list[str] = []
    while len(tokens) > 2 and _bare(tokens[-1]) in _SUFFIXES:
        suffix.insert(0, tokens.pop())
    if len(tokens) == 1:
        return NameParts(None, " ".join(tokens + suffix))
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].casefold() in _PARTICLES:
        start -= 1
    return NameParts(" ".join(tokens[:start]), " ".join(tokens[start:] + suffix))


def join_name(first: str | None, last: str | None) -> str | None:
    """Join first and last name into a display name.

    Args:
        first: Given name.
        last: Family name.

    Returns:
        ``"First Last"``, one of them alone, or None.
    """
    return clean_text(" ".join(p for p in (first, last) if p))


def _case_piece(piece: str) -> str:
    lowered = piece.lower()
    if lowered.startswith("mc") and len(lowered) > 3:
        return "Mc" + lowered[2:].capitalize()
    rest = lowered[3:]
    if (
        lowered.startswith("mac")
        and len(rest) >= 4
        and rest[0] != "h"
        and rest[-1] not in "aio"
        and rest not in _MAC_EXCEPTIONS
    ):
        return "Mac" + rest.capitalize()
    return piece.capitalize()


def _case_word(word: str, *, particle_ok: bool) -> str:
    if particle_ok and word.lower() in _PARTICLES:
        return word.lower()
    return "".join(_case_piece(p) if i % 2 == 0 else p for i, p in enumerate(_PIECES.split(word)))


@lru_cache(maxsize=65536)
def normalize_person_name(raw: str | None) -> str | None:
    """Tidy a first or last name and fix its casing when it was typed in one case.

    Names already in mixed case are trusted (only whitespace is cleaned). Names in all
    upper or all lower case get ``McDonald``, ``O'Neil``, ``MacArthur``, ``Smith-Jones``
    and lower-case particles before the final word (``van der Berg``).

    Args:
        raw: A name part as typed.

    Returns:
        The tidy name, or None when empty.
    """
    text = clean_text(raw)
    if text is None:
        return None
    if any(c.isupper() for c in text) and any(c.islower() for c in text):
        return text
    words = text.split(" ")
    last = len(words) - 1
    return " ".join(_case_word(w, particle_ok=i < last) for i, w in enumerate(words))


_NON_WORD = re.compile(r"[\W_]+")


def name_key(first: str | None, last: str | None) -> str | None:
    """Return an accent- and case-blind key of a person's name, for matching only.

    Args:
        first: Given name.
        last: Family name.

    Returns:
        ``"first|last"`` with punctuation and spaces removed, or None when both are empty.
    """
    parts = [_NON_WORD.sub("", fold(p)) if isinstance(p, str) else "" for p in (first, last)]
    if not any(parts):
        return None
    return "|".join(parts)
