"""Salesforce record ids: key prefixes, 15-to-18 character checksum, generation and timestamps."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

KEY_PREFIXES: dict[str, str] = {"Lead": "00Q", "Contact": "003", "Account": "001", "User": "005"}
JOB_PREFIX = "750"
QUERY_LOCATOR_PREFIX = "01g"

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def _base62(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        n, rem = divmod(n, 62)
        digits.append(_BASE62[rem])
    return "".join(reversed(digits))


def _upper_bits(chunk: str, offset: int = 0) -> int:
    """Bit ``offset + i`` set when ``chunk[i]`` is an upper-case letter."""
    bits = 0
    for pos, char in enumerate(chunk):
        if "A" <= char <= "Z":
            bits |= 1 << (pos + offset)
    return bits


# Ids are minted on every write, so the last three base-62 digits (and their checksum bits at
# positions 2..4 of the last chunk) come from tables. Tuples, not lists: holding only strings
# and ints, the garbage collector stops tracking them instead of visiting 476k items on every
# full collection.
_LOW3 = tuple(a + b + c for a in _BASE62 for b in _BASE62 for c in _BASE62)
_LOW3_BITS = tuple(_upper_bits(digits, 2) for digits in _LOW3)


def checksum(id15: str) -> str:
    """The 3-character case-safe suffix of a 15-character id (one char per 5-char chunk)."""
    return "".join(_CHECKSUM[_upper_bits(id15[start : start + 5])] for start in (0, 5, 10))


def to18(record_id: str) -> str:
    """Return the 18-character form of a 15- or 18-character id (others unchanged)."""
    if len(record_id) == 15:
        return record_id + checksum(record_id)
    return record_id


def is_valid_id(record_id: str) -> bool:
    """True when ``record_id`` is 15 chars, or 18 chars with a correct checksum."""
    if len(record_id) == 15:
        return record_id.isalnum()
    return len(record_id) == 18 and record_id[15:] == checksum(record_id[:15])


class IdFactory:
    """Thread-safe generator of unique ids per key prefix."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._heads: dict[tuple[str, int], tuple[str, str, int]] = {}

    def _head(self, prefix: str, high: int) -> tuple[str, str, int]:
        """First 12 chars, their 2 checksum chars and the upper bits of chars 11-12."""
        key = (prefix, high)
        head = self._heads.get(key)
        if head is None:
            text = prefix + "Dn0" + _base62(high, 6)
            head = (text, checksum(text + "000")[:2], _upper_bits(text[10:12]))
            self._heads = {key: head}
        return head

    def new(self, prefix: str) -> str:
        """A fresh 18-character id with ``prefix``."""
        with self._lock:
            high, low = divmod(next(self._counter), 62**3)
            text, check12, tail_bits = self._heads.get((prefix, high)) or self._head(prefix, high)
        return f"{text}{_LOW3[low]}{check12}{_CHECKSUM[tail_bits | _LOW3_BITS[low]]}"


class MonotonicClock:
    """UTC clock whose readings strictly increase by at least one millisecond."""

    def __init__(self, now: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._fixed = now
        self._last = datetime(2000, 1, 1, tzinfo=UTC)
        self._last_ms = (self._last - _EPOCH) // _ONE_MS

    def now(self) -> datetime:
        """The next timestamp (millisecond precision)."""
        with self._lock:
            if self._fixed is not None:
                current = self._fixed.replace(microsecond=self._fixed.microsecond // 1000 * 1000)
                if current <= self._last:
                    current = self._last + _ONE_MS
                self._last = self._fixed = current
                return current
            # Integer milliseconds first: in a burst of writes the wall clock has usually not
            # passed the last reading, and the answer is then one addition.
            ms = time.time_ns() // 1_000_000
            if ms <= self._last_ms:
                ms = self._last_ms + 1
                current = self._last + _ONE_MS
            else:
                current = _EPOCH + timedelta(milliseconds=ms)
            self._last, self._last_ms = current, ms
            return current


def format_datetime(value: datetime) -> str:
    """Salesforce wire format: ``2024-01-01T00:00:00.000+0000``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse ISO-8601 date-times (``Z``, ``+00:00`` or ``+0000`` offsets) to aware UTC.

    Raises:
        ValueError: If ``text`` is not a date-time.
    """
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
