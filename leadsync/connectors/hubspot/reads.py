"""Incremental HubSpot reads: search on the modified date, archived list, merged ids.

Search answers at most 10,000 results for one query. When a window reaches that cap the next
query starts at the last modified time seen (inclusive) and skips the ids already yielded at
that instant, so any number of changes is read, oldest first.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from hubspot.crm.objects import Filter, FilterGroup, PublicObjectSearchRequest

from leadsync.connectors.base import Record
from leadsync.connectors.hubspot.client import HubSpotApi
from leadsync.errors import FatalError

SEARCH_LIMIT = 200
SEARCH_CAP = 10_000
LIST_LIMIT = 100
MERGED = "hs_merged_object_ids"


def modified_property(object: str) -> str:  # noqa: A002
    """The modified-date property of an object type (contacts differ from the rest)."""
    return "lastmodifieddate" if object == "contacts" else "hs_lastmodifieddate"


def read(
    api: HubSpotApi, object: str, props: Sequence[str], since: datetime | None
) -> Iterator[Record]:  # noqa: A002, E501
    """Live, merged-away and archived records changed at or after ``since``, oldest first."""
    live = _live(api, object, props, since)
    archived = sorted(_archived(api, object, since), key=_order)
    return heapq.merge(live, archived, key=_order)


def _order(record: Record) -> tuple[datetime, str]:
    return record.updated_at, record.id


def _live(
    api: HubSpotApi, object: str, props: Sequence[str], since: datetime | None
) -> Iterator[Record]:  # noqa: A002, E501
    prop = modified_property(object)
    names = list(dict.fromkeys([*props, prop, MERGED]))
    low = _ms(since) if since is not None else 0
    seen_at_low: set[str] = set()
    while True:
        last_ms, ids_at_last, capped, fresh = low, set(seen_at_low), False, 0
        for offset, row in _window(api, object, names, prop, low):
            capped = offset >= SEARCH_CAP - 1
            record = _record(object, row, prop)
            ms = _ms(record.updated_at)
            if ms == low and record.id in seen_at_low:
                continue  # yielded by the previous window
            if ms != last_ms:
                last_ms, ids_at_last = ms, set()
            ids_at_last.add(record.id)
            fresh += 1
            yield record
            yield from _merged_away(object, row, record)
        if not capped:
            return
        if not fresh:
            raise FatalError(f"over {SEARCH_CAP} {object} share one modified time", code="CAP")
        low, seen_at_low = last_ms, ids_at_last


def _window(
    api: HubSpotApi, object: str, names: list[str], prop: str, low: int
) -> Iterator[tuple[int, dict[str, Any]]]:  # noqa: A002, E501
    after: str | None = None
    offset = 0
    while True:
        since_filter = Filter(property_name=prop, operator="GTE", value=str(low))
        request = PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=[since_filter])],
            sorts=[{"propertyName": prop, "direction": "ASCENDING"}],
            properties=names,  # in the body: hundreds of properties never hit a URL limit
            limit=SEARCH_LIMIT,
            after=after,
        )
        page = api.call(partial(_search, object=object, request=request))
        for row in page.get("results", []):
            yield offset, row
            offset += 1
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after or int(after) >= SEARCH_CAP:
            return


def _archived(api: HubSpotApi, object: str, since: datetime | None) -> Iterator[Record]:  # noqa: A002
    after: str | None = None
    while True:
        kwargs: dict[str, Any] = {"limit": LIST_LIMIT, "archived": True, "_preload_content": False}
        if after:
            kwargs["after"] = after
        page = api.call(partial(_list, object=object, kwargs=kwargs))
        for row in page.get("results", []):
            at = parse_time(row.get("archivedAt") or row.get("updatedAt"))
            if since is None or at >= since:
                props = row.get("properties") or {}
                yield Record(object, str(row["id"]), props, at, deleted=True)
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return


def _search(sdk: Any, *, object: str, request: PublicObjectSearchRequest) -> Any:  # noqa: A002
    return sdk.crm.objects.search_api.do_search(object, request, _preload_content=False)


def _list(sdk: Any, *, object: str, kwargs: dict[str, Any]) -> Any:  # noqa: A002
    return sdk.crm.objects.basic_api.get_page(object, **kwargs)


def live_record(object: str, row: dict[str, Any]) -> Record:  # noqa: A002
    """A search / batch-read result row as a :class:`Record`."""
    return _record(object, row, modified_property(object))


def _record(object: str, row: dict[str, Any], prop: str) -> Record:  # noqa: A002
    props = dict(row.get("properties") or {})
    stamp = props.get(prop) or row.get("updatedAt")
    return Record(object, str(row["id"]), props, parse_time(stamp))


def _merged_away(object: str, row: dict[str, Any], survivor: Record) -> Iterator[Record]:  # noqa: A002
    for merged in str((row.get("properties") or {}).get(MERGED) or "").split(";"):
        if merged.strip():
            yield Record(object, merged.strip(), {}, survivor.updated_at, deleted=True,
                         merged_into=survivor.id)  # fmt: skip


def parse_time(value: Any) -> datetime:
    """HubSpot's ISO-8601 (``...Z``) or epoch-millisecond time to aware UTC."""
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)
