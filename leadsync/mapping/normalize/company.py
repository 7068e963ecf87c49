"""Company names: display clean-up and a legal-suffix-blind key for matching."""

from __future__ import annotations

import re
from functools import lru_cache

from leadsync.mapping.normalize._text import clean_text, fold

# Values people put in a required company field when they have none.
_PLACEHOLDERS = frozenset(
    {
        "n/a",
        "na",
        "none",
        "null",
        "-",
        "--",
        "?",
        "unknown",
        "tbd",
        "[not provided]",
        "not provided",
    }
)
_SUFFIX_TEXT = """
inc incorporated corp corporation co company ltd limited llc llp lp plc gmbh mbh ag kg kgaa
ohg ug sa sas sarl srl spa bv nv oy oyj ab asa as aps pty pte kk sl slu se cv
pty-ltd s-a b-v n-v and-co co-kg gmbh-co-kg gmbh-and-co-kg ag-co-kg ag-and-co-kg and-co-kg
s-r-l s-p-a sp-zoo sp-z-o-o sp-z-oo
"""
# Legal forms as token sequences; "s-a" stands for the tokens ("s", "a") left by "S. A.".
_LEGAL_SUFFIXES: frozenset[tuple[str, ...]] = frozenset(
    tuple(s.split("-")) for s in _SUFFIX_TEXT.split()
)
_MAX_SUFFIX_LEN = max(len(s) for s in _LEGAL_SUFFIXES)
_DROP = re.compile(r"[.'\u2019`]")
_NON_WORD = re.compile(r"[\W_]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")


@lru_cache(maxsize=65536)
def normalize_company(raw: str | None) -> str | None:
    """Clean a company name for display: whitespace, stray quotes and punctuation.

    Casing is kept (``"IBM"``, ``"eBay"``); placeholders such as ``"n/a"`` give None.

    Args:
        raw: The company name as typed.

    Returns:
        The cleaned name, or None when empty or a placeholder.
    """
    text = clean_text(raw)
    if text is None:
        return None
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text).strip(' ,;:"')
    if not text or text.casefold() in _PLACEHOLDERS:
        return None
    return text


def _strip_suffixes(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for size in range(min(_MAX_SUFFIX_LEN, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in _LEGAL_SUFFIXES:
                del tokens[-size:]
                changed = True
                break
    return tokens


@lru_cache(maxsize=65536)
def company_key(name: str | None) -> str | None:
    """Return a key under which spellings of one company compare equal (matching only).

    Folds case and accents, turns ``&`` into ``and``, drops punctuation, a leading
    ``the`` and trailing legal forms (Inc, LLC, Ltd, GmbH, S.A., B.V., Corp, Co., plc, AG...).

    Args:
        name: A company name.

    Returns:
        Space-separated key words, or None when nothing is left.
    """
    text = clean_text(name)
    if text is None:
        return None
    folded = _DROP.sub("", fold(text).replace("&", " and "))
    tokens = _NON_WORD.sub(" ", folded).split()
    while len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    tokens = _strip_suffixes(tokens)
    return " ".join(tokens) or None
