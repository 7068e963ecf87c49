"""Record store of one emulated HubSpot object type: ids, unique values, archive, merges.

Lookups by id and by the unique property (contact ``email``) are dictionary hits; a sorted
``(modified_ms, id)`` index answers last-modified ranges (incremental reads) in O(log n), and a
sorted id list gives ``after`` paging. Every write takes a fresh, strictly increasing
millisecond from :class:`Clock`, so "modified since the last cursor" never misses a record.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadsync.sandbox.hubspot.errors import HubSpotError, contact_exists, not_found, validation
from leadsync.sandbox.hubspot.properties import PropertyDef, iso_ms

_MAX_VERSIONS = 45


class Clock:
    """Strictly increasing epoch milliseconds (never repeats, never goes back)."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._last = 0

    def next_ms(self) -> int:
        """Return a millisecond later than every one handed out or observed before."""
        self._last = max(int(self._wall() * 1000), self._last + 1)
        return self._last

    def observe(self, ms: int) -> None:
        """Note a timestamp written directly (seeding) so later ones come after it."""
        self._last = max(self._last, ms)


@dataclass(frozen=True)
class ObjectTypeSpec:
    """What differs between object types."""

    name: str
    type_id: str
    modified_property: str
    default_properties: tuple[str, ...]
    catalog: Mapping[str, PropertyDef]
    unique_property: str | None
    first_id: int


@dataclass
class HubSpotObject:
    """One CRM record; ``properties`` holds only non-empty values, as strings.

    ``history`` keeps, newest first, the ``(value, ms)`` versions of properties changed after
    creation; a property never changed since creation has no entry (its one version is
    ``(value, created_ms)``), which keeps 100k seeded records small.
    """

    id: int
    properties: dict[str, str]
    created_ms: int
    updated_ms: int
    archived_ms: int | None = None
    # A tuple, not a list: nothing to allocate (nor for the garbage collector to track) for
    # the vast majority of records that never absorbed another.
    merged_ids: tuple[int, ...] = ()
    history: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def versions(self, name: str) -> list[tuple[str, int]]:
        """Versions of property ``name``, newest first (empty if it never had a value)."""
        if name in self.history:
            return self.history[name]
        value = self.properties.get(name)
        return [] if value is None else [(value, self.created_ms)]


class ObjectStore:
    """All records of one object type, live and archived.

    Attributes:
        version: Bumped by every write (create, update, archive, merge).
        memo: Results readers derive from the records (search keeps ordered results here),
            each tagged with the ``version`` it was computed at; stale once that changed.
    """

    def __init__(self, spec: ObjectTypeSpec, clock: Clock) -> None:
        self.spec = spec
        self.clock = clock
        self._live: dict[int, HubSpotObject] = {}
        self._archived: dict[int, HubSpotObject] = {}
        self._redirects: dict[int, int] = {}
        self._unique: dict[str, int] = {}
        self._ids: list[int] = []
        self._modified: list[tuple[int, int]] = []
        self._next_id = spec.first_id
        self.version = 0
        self.memo: dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self._live)

    # -- reads -------------------------------------------------------------------------------

    def find(self, object_id: int, *, archived: bool = False) -> HubSpotObject | None:
        """Return the record with ``object_id`` (following merges), or None."""
        if archived:
            return self._archived.get(object_id)
        object_id = self._redirects.get(object_id, object_id)
        return self._live.get(object_id)

    def find_unique(self, value: str) -> HubSpotObject | None:
        """Return the live record whose unique property (or a merged-in one) is ``value``."""
        found = self._unique.get(value.strip().lower())
        return None if found is None else self._live.get(found)

    def resolve(
        self, key: str, *, id_property: str | None = None, archived: bool = False
    ) -> HubSpotObject:
        """Resolve a path/body id (or ``idProperty`` value) to a record.

        Raises:
            HubSpotError: 400 for a non-unique ``idProperty``; 404 when nothing matches.
        """
        if id_property and id_property != "hs_object_id":
            if id_property != self.spec.unique_property:
                message = f"Unable to perform update/upsert by non-unique {self.spec.type_id}"
                raise validation(f"{message} property {id_property}")
            found = None if archived else self.find_unique(key)
        else:
            found = self.find(int(key), archived=archived) if key.strip().isdigit() else None
        if found is None:
            raise not_found(key)
        return found

    def page(self, after: int, limit: int) -> tuple[list[HubSpotObject], int | None]:
        """Live records with id >= ``after`` in id order, and the next cursor."""
        start = bisect.bisect_left(self._ids, after)
        ids = self._ids[start : start + limit + 1]
        nxt = ids[limit] if len(ids) > limit else None
        return [self._live[i] for i in ids[:limit]], nxt

    def archived_page(self, after: int, limit: int) -> tuple[list[HubSpotObject], int | None]:
        """Archived records with id >= ``after`` in id order, and the next cursor."""
        ids = sorted(i for i in self._archived if i >= after)[: limit + 1]
        nxt = ids[limit] if len(ids) > limit else None
        return [self._archived[i] for i in ids[:limit]], nxt

    def modified_between(self, low: int, high: int) -> list[int]:
        """Ids of live records modified within [low, high] ms, oldest first."""
        return self.modified_ids(*self.modified_span(low, high))

    def modified_span(self, low: int, high: int) -> tuple[int, int]:
        """Positions ``[start, stop)`` in the ``(modified, id)`` order of [low, high] ms."""
        start = bisect.bisect_left(self._modified, (low, -1))
        stop = bisect.bisect_right(self._modified, (high, 1 << 62))
        return start, stop

    def modified_ids(self, start: int, stop: int) -> list[int]:
        """Ids at positions ``[start, stop)`` of the ``(modified, id)`` order."""
        return [i for _, i in self._modified[max(0, start) : max(0, stop)]]

    def live(self) -> Iterator[HubSpotObject]:
        """Every live record in id order."""
        return (self._live[i] for i in self._ids)

    # -- writes ------------------------------------------------------------------------------

    def check_unique(self, values: Mapping[str, str | None], *, own_id: int | None = None) -> None:
        """Raise 409 if ``values`` sets the unique property to another record's value."""
        unique = self.spec.unique_property
        value = values.get(unique) if unique else None
        if value:
            existing = self._unique.get(value.lower())
            if existing is not None and existing != own_id:
                raise contact_exists(existing)

    def create(
        self, values: Mapping[str, str | None], *, at_ms: int | None = None
    ) -> HubSpotObject:
        """Create a record from validated ``values``; ``at_ms`` back-dates it (seeding)."""
        self.check_unique(values)
        self.version += 1
        if at_ms is None:
            at_ms = self.clock.next_ms()
        else:
            self.clock.observe(at_ms)
        obj = HubSpotObject(self._next_id, {"createdate": iso_ms(at_ms)}, at_ms, at_ms)
        self._next_id += 1
        self._apply(obj, values)
        self._stamp(obj, at_ms)
        self._live[obj.id] = obj
        self._ids.append(obj.id)
        self._index_unique(obj)
        return obj

    def update(self, obj: HubSpotObject, values: Mapping[str, str | None]) -> HubSpotObject:
        """Apply validated ``values`` to a live record and bump its modified time."""
        self.check_unique(values, own_id=obj.id)
        self.version += 1
        self._unindex_modified(obj)
        self._drop_unique(obj)
        at_ms = self.clock.next_ms()
        self._remember(obj, values, at_ms)
        self._apply(obj, values)
        self._stamp(obj, at_ms)
        self._index_unique(obj)
        return obj

    def archive(self, obj: HubSpotObject) -> None:
        """Move a live record to the archive (frees its unique value)."""
        self.version += 1
        self._unindex_modified(obj)
        self._drop_unique(obj)
        del self._live[obj.id]
        del self._ids[bisect.bisect_left(self._ids, obj.id)]
        obj.archived_ms = self.clock.next_ms()
        self._archived[obj.id] = obj

    def absorb(self, primary: HubSpotObject, other: HubSpotObject) -> HubSpotObject:
        """Merge ``other`` into ``primary``: fill blanks, keep its ids and emails reachable."""
        if primary.id == other.id:
            raise validation("Cannot merge an object with itself")
        values: dict[str, str | None] = {}
        for name, value in other.properties.items():
            prop = self.spec.catalog.get(name)
            if name not in primary.properties and prop is not None and not prop.read_only:
                values[name] = value
        unique = self.spec.unique_property
        other_value = other.properties.get(unique) if unique else None
        self.archive(other)
        del self._archived[other.id]
        if other_value:
            values.pop(unique or "", None)
            extra = primary.properties.get("hs_additional_emails")
            values["hs_additional_emails"] = f"{extra};{other_value}" if extra else other_value
        primary.merged_ids = (*primary.merged_ids, other.id, *other.merged_ids)
        for merged in (other.id, *other.merged_ids):
            self._redirects[merged] = primary.id
        values["hs_merged_object_ids"] = ";".join(str(i) for i in primary.merged_ids)
        self.update(primary, values)
        return primary

    # -- helpers -----------------------------------------------------------------------------

    def _remember(self, obj: HubSpotObject, values: Mapping[str, str | None], at_ms: int) -> None:
        for name, value in values.items():
            if value == obj.properties.get(name):
                continue
            versions = obj.history.setdefault(name, obj.versions(name)[:])
            # HubSpot records a cleared value as an empty string and keeps 45 versions.
            versions.insert(0, (value or "", at_ms))
            del versions[_MAX_VERSIONS:]

    def _apply(self, obj: HubSpotObject, values: Mapping[str, str | None]) -> None:
        properties = obj.properties
        for name, value in values.items():
            if value is None:
                properties.pop(name, None)
            else:
                properties[name] = value

    def _stamp(self, obj: HubSpotObject, at_ms: int) -> None:
        obj.updated_ms = at_ms
        obj.properties["hs_object_id"] = str(obj.id)
        obj.properties[self.spec.modified_property] = iso_ms(at_ms)
        entry, modified = (at_ms, obj.id), self._modified
        if not modified or modified[-1] < entry:
            modified.append(entry)
        else:
            bisect.insort(modified, entry)

    def _unindex_modified(self, obj: HubSpotObject) -> None:
        at = bisect.bisect_left(self._modified, (obj.updated_ms, obj.id))
        if at < len(self._modified) and self._modified[at] == (obj.updated_ms, obj.id):
            del self._modified[at]

    def _index_unique(self, obj: HubSpotObject) -> None:
        for key in self._unique_keys(obj):
            self._unique[key] = obj.id

    def _drop_unique(self, obj: HubSpotObject) -> None:
        stale = [k for k in self._unique_keys(obj) if self._unique.get(k) == obj.id]
        for key in stale:
            del self._unique[key]

    def _unique_keys(self, obj: HubSpotObject) -> list[str]:
        unique = self.spec.unique_property
        if not unique:
            return []
        value = obj.properties.get(unique)
        keys = [value.lower()] if value else []
        extra = obj.properties.get("hs_additional_emails")
        if extra:
            keys += [k.lower() for k in extra.split(";") if k]
        return keys


__all__ = ["Clock", "HubSpotError", "HubSpotObject", "ObjectStore", "ObjectTypeSpec"]
