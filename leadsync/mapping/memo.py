"""A bounded memo for the pure per-value functions the mapping layer calls on every record."""

from __future__ import annotations

from typing import Any

MISSING = object()  # a memo's (or a value map's) answer for "not there"
MEMO_SIZE = 4096


class Memo(dict[Any, Any]):
    """Remembered results of a pure function, emptied when full.

    Emptying bounds memory without the bookkeeping an LRU does on every hit and miss,
    which cost more than the lookups themselves when most values are new (a first sync).
    Look up with ``get(key, MISSING)``.
    """

    __slots__ = ()

    def put(self, key: Any, value: Any) -> Any:
        """Remember ``value`` under ``key`` and return it."""
        if len(self) >= MEMO_SIZE:
            self.clear()
        self[key] = value
        return value
