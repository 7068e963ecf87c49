"""Dates and times in the formats CRMs and spreadsheets use, to aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from email.utils import parsedate_to_datetime

from leadsync.mapping.normalize._text import clean_text

# Slashes are read the US way, dots the European way: the common spreadsheet conventions.
_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_MIN_EPOCH_DIGITS = 9  # shorter digit strings are more likely years or ids than timestamps


def _from_epoch(value: float) -> datetime | None:
    # Millisecond timestamps (HubSpot, JavaScript) are recognised by their size.
    seconds = value / 1000 if abs(value) >= 1e11 else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_text(text: str) -> datetime | None:
    if text.isdigit() and len(text) >= _MIN_EPOCH_DIGITS:
        return _from_epoch(int(text[:16]))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def parse_datetime(
    raw: str | datetime | date | float | None, default_tz: tzinfo = UTC
) -> datetime | None:
    """Return ``raw`` as an aware datetime in UTC, or None when it cannot be read.

    Accepts ISO 8601 (``2024-01-15T10:30:00.000+0000``, ``...Z``, dates alone), epoch
    seconds or milliseconds, RFC 2822, ``MM/DD/YYYY`` and ``DD.MM.YYYY``, and datetime
    objects. Values without a zone are taken to be in ``default_tz``.

    Args:
        raw: The value as received.
        default_tz: Zone for naive values.

    Returns:
        An aware UTC datetime, or None.
    """
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, datetime):
        parsed: datetime | None = raw
    elif isinstance(raw, date):
        parsed = datetime.combine(raw, time())
    elif isinstance(raw, int | float):
        parsed = _from_epoch(raw) if raw == raw else None  # NaN is not a time
    else:
        text = clean_text(raw)
        parsed = _from_text(text) if text is not None and len(text) <= 64 else None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
