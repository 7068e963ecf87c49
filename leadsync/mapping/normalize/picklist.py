"""Picklist value maps: case- and accent-blind lookup, and inversion for writing back."""

from __future__ import annotations

from collections.abc import Mapping

from leadsync.mapping.normalize._text import clean_text, fold


def picklist_key(raw: str) -> str:
    """Return the form under which picklist values are compared (folded, trimmed).

    Args:
        raw: A picklist value.

    Returns:
        The comparison key.
    """
    return fold(raw)


class PicklistMap:
    """An immutable map from source picklist values to canonical values.

    Lookups ignore case, accents and surrounding whitespace. Attributes are read-only
    by convention; build a new map instead of changing one.

    Args:
        pairs: Source value to canonical value.
    """

    __slots__ = ("_by_key", "pairs")

    def __init__(self, pairs: Mapping[str, str | None]) -> None:
        self.pairs: tuple[tuple[str, str | None], ...] = tuple(pairs.items())
        self._by_key = {picklist_key(k): v for k, v in self.pairs}

    def get(self, raw: object, missing: object = None) -> object:
        """Return the mapped value for ``raw`` (may be None), or ``missing`` when unlisted."""
        text = clean_text(raw if isinstance(raw, str) else str(raw))
        return missing if text is None else self._by_key.get(picklist_key(text), missing)

    def targets(self) -> tuple[str, ...]:
        """The distinct mapped values that are not None, in order of first appearance."""
        return tuple(dict.fromkeys(v for _, v in self.pairs if v is not None))

    @property
    def sources(self) -> tuple[str, ...]:
        """The source values, in the order given."""
        return tuple(k for k, _ in self.pairs)

    def inverse(self) -> PicklistMap | None:
        """Return the canonical-to-source map, or None when two sources share a value."""
        listed = [(k, v) for k, v in self.pairs if v is not None]
        inverted: dict[str, str | None] = {v: k for k, v in listed}
        return PicklistMap(inverted) if len(inverted) == len(listed) else None
