"""Contact and company associations (CRM associations v4), kept symmetric.

HubSpot-defined association type ids (associations v4 guide, "association type id values"):
contact→company 279 (unlabeled) and 1 (Primary); company→contact 280 and 2 (Primary).
Every association is stored in both directions so either side lists it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from leadsync.sandbox.hubspot.errors import HubSpotError


@dataclass(frozen=True)
class AssociationType:
    """One HubSpot-defined association type."""

    type_id: int
    reverse_id: int
    label: str | None
    category: str = "HUBSPOT_DEFINED"


# (from, to) object type -> unlabeled ("default") type, primary type.
_PAIRS: dict[tuple[str, str], tuple[AssociationType, AssociationType]] = {
    ("contacts", "companies"): (AssociationType(279, 280, None), AssociationType(1, 2, "Primary")),
    ("companies", "contacts"): (AssociationType(280, 279, None), AssociationType(2, 1, "Primary")),
}

Key = tuple[str, int]


def pair_types(from_type: str, to_type: str) -> tuple[AssociationType, AssociationType]:
    """Return the (default, primary) association types between two object types.

    Raises:
        HubSpotError: 400 when the pair is not emulated.
    """
    try:
        return _PAIRS[(from_type, to_type)]
    except KeyError:
        raise HubSpotError(
            400, "VALIDATION_ERROR", f"Associations from {from_type} to {to_type} are not supported"
        ) from None


def type_by_id(from_type: str, to_type: str, type_id: int) -> AssociationType:
    """Return the association type with ``type_id`` for the pair.

    Raises:
        HubSpotError: 400 for an id that does not belong to the pair.
    """
    for kind in pair_types(from_type, to_type):
        if kind.type_id == type_id:
            return kind
    raise HubSpotError(
        400,
        "VALIDATION_ERROR",
        f"{type_id} is not a valid association type id from {from_type} to {to_type}",
    )


class AssociationStore:
    """Association type ids between records, indexed from both ends."""

    def __init__(self) -> None:
        self._links: dict[Key, dict[Key, set[int]]] = defaultdict(dict)

    def add(self, a: Key, b: Key, kind: AssociationType) -> None:
        """Associate ``a`` to ``b`` with ``kind`` (and ``b`` to ``a`` with its reverse)."""
        self._links[a].setdefault(b, set()).add(kind.type_id)
        self._links[b].setdefault(a, set()).add(kind.reverse_id)

    def remove(self, a: Key, b: Key) -> None:
        """Remove every association between ``a`` and ``b``."""
        self._links[a].pop(b, None)
        self._links[b].pop(a, None)

    def targets(self, a: Key, to_type: str) -> dict[int, set[int]]:
        """Map of associated ``to_type`` record id to association type ids, by id."""
        found = {k[1]: set(v) for k, v in self._links.get(a, {}).items() if k[0] == to_type}
        return dict(sorted(found.items()))

    def move(self, old: Key, new: Key) -> None:
        """Re-point every association of ``old`` to ``new`` (record merge)."""
        for other, ids in list(self._links.pop(old, {}).items()):
            reverse = self._links[other].pop(old, set())
            if other == new:
                continue
            self._links[new].setdefault(other, set()).update(ids)
            self._links[other].setdefault(new, set()).update(reverse)

    def clear(self) -> None:
        """Forget every association."""
        self._links.clear()
