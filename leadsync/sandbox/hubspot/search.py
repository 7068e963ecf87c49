"""Evaluation of CRM search requests (``POST /crm/v3/objects/{type}/search``) against a store.

Semantics follow HubSpot's "Search the CRM" guide: filters within a group are ANDed, groups are
ORed; at most 5 groups, 10 filters per group and 25 filters overall (limits raised on
2024-08-26, see the developer changelog); ``limit`` at most 200; paging past the first 10,000
results answers 400. A filter group that bounds the last-modified date, the record id or the
unique email is answered from the store's indexes instead of a full scan, and paging through
a result does not evaluate the search again for every page (see :func:`run_search`).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from leadsync.sandbox.hubspot.errors import validation
from leadsync.sandbox.hubspot.properties import parse_ms
from leadsync.sandbox.hubspot.store import HubSpotObject, ObjectStore

MAX_RESULTS = 10_000
MAX_LIMIT = 200
_MEMO_SIZE = 8  # ordered results kept per store (each at most 10,200 references)
OPERATORS = frozenset(
    [
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    ]
)
_QUERY_PROPS = {
    "contacts": ("firstname", "lastname", "email", "hs_additional_emails", "phone", "company"),
    "companies": ("name", "domain", "website", "phone"),
}
_TOKEN_SPLIT = re.compile(r"[^\w*]+")

Value = float | int | str
Getter = Callable[[HubSpotObject], Value | None]


def _getter(store: ObjectStore, name: str) -> tuple[Getter, Callable[[str], Value | None]]:
    """How to read property ``name`` from a record and coerce a filter value to compare."""
    spec = store.spec
    if name == "hs_object_id":
        return (lambda o: o.id), _to_int
    if name == spec.modified_property:
        return (lambda o: o.updated_ms), parse_ms
    if name == "createdate":
        return (lambda o: o.created_ms), parse_ms
    prop = spec.catalog.get(name)
    kind = prop.type if prop else "string"
    if kind == "number":
        return (lambda o: _to_float(o.properties.get(name))), _to_float
    if kind in ("date", "datetime"):
        return (lambda o: _ms(o.properties.get(name))), parse_ms
    return (lambda o: _lower(o.properties.get(name))), _lower


def _to_int(value: str | None) -> int | None:
    try:
        return None if value is None else int(float(value))
    except ValueError:
        return None


def _to_float(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def _ms(value: str | None) -> int | None:
    return None if value is None else parse_ms(value)


def _lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _tokens_match(text: str | None, pattern: str) -> bool:
    if text is None:
        return False
    pattern = pattern.lower()
    candidates = [text, *(t for t in _TOKEN_SPLIT.split(text) if t)]
    if "*" in pattern:
        return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)
    return pattern in candidates


def _predicate(store: ObjectStore, flt: Mapping[str, Any]) -> Callable[[HubSpotObject], bool]:
    """Compile one filter into a predicate on records."""
    op = str(flt.get("operator", ""))
    name = str(flt.get("propertyName", ""))
    if op not in OPERATORS:
        raise validation(f"Invalid operator: {op}", context={"operator": [op]})
    get, coerce = _getter(store, name)
    raw = flt.get("value")
    value = coerce(str(raw)) if raw is not None else None
    values = {coerce(str(v)) for v in flt.get("values") or []}
    if op == "HAS_PROPERTY":
        return lambda o: get(o) is not None
    if op == "NOT_HAS_PROPERTY":
        return lambda o: get(o) is None
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        want = op == "CONTAINS_TOKEN"
        text = str(raw or "")
        return lambda o: _tokens_match(_lower(o.properties.get(name)), text) is want
    if op == "NEQ":
        return lambda o: get(o) != value
    if op == "IN":
        return lambda o: get(o) in values
    if op == "NOT_IN":
        return lambda o: get(o) not in values
    high = flt.get("highValue")
    high_value = coerce(str(high)) if high is not None else None
    return _comparison(op, get, value, high_value)


def _comparison(
    op: str, get: Getter, low: Value | None, high: Value | None
) -> Callable[[HubSpotObject], bool]:
    def check(o: HubSpotObject) -> bool:
        v = get(o)
        if v is None or low is None:
            return False
        try:
            if op == "EQ":
                return v == low
            if op == "BETWEEN":
                return high is not None and low <= v <= high  # type: ignore[operator]
            return {
                "LT": v < low,  # type: ignore[operator]
                "LTE": v <= low,  # type: ignore[operator]
                "GT": v > low,  # type: ignore[operator]
                "GTE": v >= low,  # type: ignore[operator]
            }[op]
        except TypeError:
            return False

    return check


_RANGE_OPS = ("GT", "GTE", "LT", "LTE", "BETWEEN", "EQ")
_FAR = 1 << 62


def _ms_bounds(op: str, raw: Any, high_raw: Any) -> tuple[int, int] | None:
    """Inclusive [low, high] epoch-ms bounds of a range filter on a date."""
    bound = parse_ms(str(raw)) if raw is not None else None
    if bound is None:
        return None
    if op == "BETWEEN":
        high = parse_ms(str(high_raw)) if high_raw is not None else None
        return None if high is None else (bound, high)
    return {
        "GT": (bound + 1, _FAR),
        "GTE": (bound, _FAR),
        "LT": (-_FAR, bound - 1),
        "LTE": (-_FAR, bound),
        "EQ": (bound, bound),
    }[op]


def _candidates(store: ObjectStore, filters: list[Mapping[str, Any]]) -> Iterable[HubSpotObject]:
    """Records that may match a group, narrowed by an index when a filter allows it."""
    spec = store.spec
    for flt in filters:
        op, name = flt.get("operator"), flt.get("propertyName")
        raw = flt.get("value")
        if name == spec.modified_property and op in _RANGE_OPS:
            bounds = _ms_bounds(str(op), raw, flt.get("highValue"))
            if bounds is None:
                return []
            return [o for i in store.modified_between(*bounds) if (o := store.find(i))]
        if name == spec.unique_property and op == "EQ" and raw is not None:
            found = store.find_unique(str(raw))
            return [found] if found else []
        if name == "hs_object_id" and op == "EQ" and str(raw).isdigit():
            found = store.find(int(str(raw)))
            return [found] if found and found.id == int(str(raw)) else []
    return store.live()


def _query_filter(store: ObjectStore, query: str) -> Callable[[HubSpotObject], bool]:
    words = [w for w in query.lower().split() if w]
    props = _QUERY_PROPS.get(store.spec.name, ())

    def match(o: HubSpotObject) -> bool:
        tokens = [
            t for p in props for t in _TOKEN_SPLIT.split(o.properties.get(p, "").lower()) if t
        ]
        texts = [o.properties.get(p, "").lower() for p in props]
        return all(any(t.startswith(w) for t in tokens + texts) for w in words)

    return match


def _sort_key(store: ObjectStore, sorts: list[Any]) -> tuple[Getter, bool]:
    if not sorts:
        return (lambda o: o.id), False
    name, descending = _sort_order(sorts)
    return _getter(store, name)[0], descending


def _paging(body: Mapping[str, Any]) -> tuple[int, int]:
    limit = int(body.get("limit") or 10)
    if not 0 < limit <= MAX_LIMIT:
        raise validation(f"limit must be between 1 and {MAX_LIMIT}; got {limit}")
    after_raw = str(body.get("after") or "0")
    if not after_raw.isdigit():
        raise validation(f"Invalid after: {after_raw}")
    after = int(after_raw)
    if after >= MAX_RESULTS:
        raise validation(
            f"Paging is limited to the first {MAX_RESULTS} results; after={after} exceeds it."
        )
    return limit, after


def _groups(body: Mapping[str, Any]) -> list[list[Mapping[str, Any]]]:
    groups = [list(g.get("filters") or []) for g in body.get("filterGroups") or []]
    if len(groups) > 5 or any(len(g) > 10 for g in groups) or sum(map(len, groups)) > 25:
        raise validation("Too many filters: at most 5 filterGroups, 10 filters each, 25 in total")
    return groups


def run_search(
    store: ObjectStore, body: Mapping[str, Any]
) -> tuple[list[HubSpotObject], int, int | None]:
    """Evaluate a search body; a page costs about its own size, not the size of the result.

    Incremental reads (the one shape: a last-modified range, sorted on it) are sliced straight
    from the store's ``(modified, id)`` index. Any other search is evaluated once by
    :func:`search_all` and its ordered result kept in ``store.memo`` for the pages that follow,
    until the next write to the store.

    Args:
        store: The object type's store.
        body: The ``PublicObjectSearchRequest`` JSON.

    Returns:
        ``(page, total, next_after)``: the records of this page, the number of matches and the
        next offset (None on the last page).

    Raises:
        HubSpotError: 400 for a limit above 200, paging at or past 10,000, too many filters or
            an unknown operator.
    """
    limit, after = _paging(body)
    groups = _groups(body)
    window = _modified_window(store, body, groups)
    if window is not None:
        return _window_page(store, window, after, limit)
    key = json.dumps([groups, body.get("query"), body.get("sorts")], sort_keys=True, default=str)
    cached = store.memo.get(key)
    if cached is None or cached[0] != store.version:
        ordered = search_all(store, body)
        # Paging stops before offset 10,000, so no page reaches past this prefix.
        cached = (store.version, ordered[: MAX_RESULTS + MAX_LIMIT], len(ordered))
        store.memo.pop(key, None)
        while len(store.memo) >= _MEMO_SIZE:
            del store.memo[next(iter(store.memo))]  # the least recently computed
        store.memo[key] = cached
    _, ordered, total = cached
    nxt = after + limit if after + limit < total else None
    return ordered[after : after + limit], total, nxt


def search_all(store: ObjectStore, body: Mapping[str, Any]) -> list[HubSpotObject]:
    """Every record matching ``body``, in its sort order (the straightforward evaluation).

    Raises:
        HubSpotError: 400 for too many filters or an unknown operator.
    """
    groups = _groups(body)
    matched: dict[int, HubSpotObject] = {}
    for group in groups or [[]]:
        checks = [_predicate(store, f) for f in group]
        for obj in _candidates(store, group):
            if obj.id not in matched and all(c(obj) for c in checks):
                matched[obj.id] = obj
    hits = list(matched.values())
    if body.get("query"):
        keep = _query_filter(store, str(body["query"]))
        hits = [o for o in hits if keep(o)]
    key, descending = _sort_key(store, list(body.get("sorts") or []))
    present = [o for o in hits if key(o) is not None]
    missing = [o for o in hits if key(o) is None]
    present.sort(key=lambda o: (key(o), o.id), reverse=descending)
    return present + sorted(missing, key=lambda o: o.id)


def _sort_order(sorts: list[Any]) -> tuple[str, bool]:
    """The property the first sort names (default: the id) and whether it descends."""
    if not sorts:
        return "hs_object_id", False
    first = sorts[0]
    if isinstance(first, Mapping):
        name = str(first.get("propertyName", "hs_object_id"))
        return name, str(first.get("direction", "ASCENDING")).upper() == "DESCENDING"
    text = str(first)
    return text.lstrip("-"), text.startswith("-")


def _modified_window(
    store: ObjectStore, body: Mapping[str, Any], groups: list[list[Mapping[str, Any]]]
) -> tuple[int, int, bool] | None:
    """``(low, high, descending)`` when ``body`` is a last-modified range sorted on that date.

    That is one filter group whose filters are all range operators on the modified property,
    no free-text query, and a first sort on the modified property: the matches are then
    exactly one slice of the store's ``(modified, id)`` index, already in the answer's order
    (the scan sorts by ``(modified, id)`` too). Anything else returns None.
    """
    prop = store.spec.modified_property
    name, descending = _sort_order(list(body.get("sorts") or []))
    if len(groups) != 1 or not groups[0] or body.get("query") or name != prop:
        return None
    low, high = -_FAR, _FAR
    for flt in groups[0]:
        op = flt.get("operator")
        if flt.get("propertyName") != prop or op not in _RANGE_OPS:
            return None
        bounds = _ms_bounds(str(op), flt.get("value"), flt.get("highValue"))
        if bounds is None:
            return (1, 0, descending)  # a bound that does not parse matches nothing
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return low, high, descending


def _window_page(
    store: ObjectStore, window: tuple[int, int, bool], after: int, limit: int
) -> tuple[list[HubSpotObject], int, int | None]:
    low, high, descending = window
    start, stop = store.modified_span(low, high)
    total = max(0, stop - start)
    if descending:
        ids = store.modified_ids(max(start, stop - after - limit), stop - after)[::-1]
    else:
        ids = store.modified_ids(start + after, min(stop, start + after + limit))
    nxt = after + limit if after + limit < total else None
    return [o for i in ids if (o := store.find(i))], total, nxt
