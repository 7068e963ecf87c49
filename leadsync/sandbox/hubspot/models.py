"""State of the emulated HubSpot portal: object stores, owners, associations, properties.

State only (moto's ``models``): the routes translate HTTP to these calls and back. Property
validation lives in :mod:`.properties`, search evaluation in :mod:`.search`, the per-type record
store in :mod:`.store` and associations in :mod:`.associations`.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadsync.sandbox.hubspot.associations import AssociationStore, pair_types, type_by_id
from leadsync.sandbox.hubspot.errors import HubSpotError, invalid_properties, not_found
from leadsync.sandbox.hubspot.properties import (
    COMPANY_PROPERTIES,
    CONTACT_PROPERTIES,
    PropertyDef,
    clean_values,
)
from leadsync.sandbox.hubspot.store import Clock, HubSpotObject, ObjectStore, ObjectTypeSpec

CONTACTS = ObjectTypeSpec(
    name="contacts",
    type_id="0-1",
    modified_property="lastmodifieddate",
    default_properties=(
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    catalog={p.name: p for p in CONTACT_PROPERTIES},
    unique_property="email",
    first_id=101,
)
COMPANIES = ObjectTypeSpec(
    name="companies",
    type_id="0-2",
    modified_property="hs_lastmodifieddate",
    default_properties=("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    catalog={p.name: p for p in COMPANY_PROPERTIES},
    unique_property=None,
    first_id=5_000_001,
)
# HubSpot accepts the plural name, the singular name and the object type id in paths.
_ALIASES = {
    alias: spec.name
    for spec, singular in ((CONTACTS, "contact"), (COMPANIES, "company"))
    for alias in (spec.name, singular, spec.type_id)
}


def canonical_type(object_type: str) -> str:
    """Return ``contacts`` or ``companies`` for any accepted spelling.

    Raises:
        HubSpotError: 400 with HubSpot's wording for any other object type.
    """
    try:
        return _ALIASES[object_type.lower()]
    except KeyError:
        raise HubSpotError(
            400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}"
        ) from None


@dataclass
class Owner:
    """A HubSpot user (or queue) that records can be assigned to."""

    id: int
    email: str
    first_name: str
    last_name: str
    user_id: int
    created_ms: int
    updated_ms: int
    archived: bool = False
    teams: list[dict[str, Any]] = field(default_factory=list)


class HubSpotState:
    """Everything the emulated portal stores.

    Attributes:
        lock: Held by routes around every state change; hold it when mutating from a test
            thread while the server runs.
        clock: The shared strictly increasing millisecond clock.
        stores: ``contacts`` and ``companies`` record stores.
        owners: Owners by id.
        associations: Contact/company associations.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.stores = {s.name: ObjectStore(s, self.clock) for s in (CONTACTS, COMPANIES)}
        self.owners: dict[int, Owner] = {}
        self.associations = AssociationStore()

    def store(self, object_type: str) -> ObjectStore:
        """Return the store for ``object_type`` (any accepted spelling)."""
        return self.stores[canonical_type(object_type)]

    def catalog(self, object_type: str) -> Mapping[str, PropertyDef]:
        """Property definitions of ``object_type``."""
        return self.store(object_type).spec.catalog

    def owner_ids(self) -> set[str]:
        """Ids of active owners (the options of ``hubspot_owner_id``)."""
        return {str(o.id) for o in self.owners.values() if not o.archived}

    def clean(
        self,
        object_type: str,
        values: Mapping[str, Any],
        *,
        index: int | None = None,
        allow_read_only: bool = False,
        owners: set[str] | None = None,
    ) -> dict[str, str | None]:
        """Validate request property values; raise 400 listing every invalid one.

        ``owners`` (from :meth:`owner_ids`) lets a batch compute the owner ids once.
        """
        check = self.cleaner(object_type, owners=owners, allow_read_only=allow_read_only)
        return check(values, index)

    def cleaner(
        self, object_type: str, *, owners: set[str] | None = None, allow_read_only: bool = False
    ) -> Callable[[Mapping[str, Any], int | None], dict[str, str | None]]:
        """:meth:`clean` for many inputs of one type: ``check(values, index)``.

        The catalog and the owner ids are looked up once, not once per batch input.
        """
        catalog = self.catalog(object_type)
        known = self.owner_ids() if owners is None else owners

        def check(values: Mapping[str, Any], index: int | None) -> dict[str, str | None]:
            clean, problems = clean_values(
                catalog, values, owners=known, allow_read_only=allow_read_only
            )
            if problems:
                if index is not None:
                    for problem in problems:
                        problem["index"] = index
                raise invalid_properties(problems)
            return clean

        return check

    def merge(self, object_type: str, primary_id: str, other_id: str) -> HubSpotObject:
        """Merge ``other_id`` into ``primary_id`` (associations move to the primary).

        Raises:
            HubSpotError: 404 if either record is not live; 400 when both are the same.
        """
        store = self.store(object_type)
        primary = store.resolve(primary_id)
        other = store.resolve(other_id)
        other_key = (store.spec.name, other.id)
        store.absorb(primary, other)
        self.associations.move(other_key, (store.spec.name, primary.id))
        return primary

    def associate(self, a_type: str, a_id: str, b_type: str, b_id: str, type_id: int) -> None:
        """Associate two live records with an association type id of the pair.

        Raises:
            HubSpotError: 404 if a record does not exist; 400 for a foreign type id.
        """
        a_name, b_name = canonical_type(a_type), canonical_type(b_type)
        kind = type_by_id(a_name, b_name, type_id)
        a = self.store(a_name).resolve(a_id)
        b = self.store(b_name).resolve(b_id)
        self.associations.add((a_name, a.id), (b_name, b.id), kind)

    def associate_default(self, a_type: str, a_id: str, b_type: str, b_id: str) -> None:
        """Create the unlabeled (default) association between two live records."""
        default, _ = pair_types(canonical_type(a_type), canonical_type(b_type))
        self.associate(a_type, a_id, b_type, b_id, default.type_id)

    def associated(self, a_type: str, a_id: str, b_type: str) -> dict[int, set[int]]:
        """Live ``b_type`` records associated with a record, with their type ids.

        Raises:
            HubSpotError: 404 if the record does not exist.
        """
        a_name, b_name = canonical_type(a_type), canonical_type(b_type)
        pair_types(a_name, b_name)
        a = self.store(a_name).resolve(a_id)
        targets = self.associations.targets((a_name, a.id), b_name)
        live = self.store(b_name)
        return {i: ids for i, ids in targets.items() if live.find(i) is not None}

    def owners_page(
        self, *, after: int, limit: int, email: str | None, archived: bool
    ) -> tuple[list[Owner], int | None]:
        """Owners in id order from ``after``, filtered by email and archived flag."""
        chosen = [
            o
            for o in self.owners.values()
            if o.archived == archived and (email is None or o.email.lower() == email.lower())
        ]
        chosen.sort(key=lambda o: o.id)
        start = bisect.bisect_left([o.id for o in chosen], after)
        rest = chosen[start : start + limit + 1]
        nxt = rest[limit].id if len(rest) > limit else None
        return rest[:limit], nxt

    def owner(self, owner_id: str, *, archived: bool = False) -> Owner:
        """Return one owner.

        Raises:
            HubSpotError: 404 if there is no such owner.
        """
        found = self.owners.get(int(owner_id)) if owner_id.isdigit() else None
        if found is None or found.archived != archived:
            raise not_found(owner_id)
        return found
