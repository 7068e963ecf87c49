"""CsvConnector: a streaming Source over one CSV file, bad rows reported with line numbers."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel, ConfigDict, Field

from leadsync.connectors.base import Capabilities, FieldInfo, ObjectSchema, Record, Source
from leadsync.connectors.csv.sniff import Dialect, normalise_headers, sniff
from leadsync.connectors.deps import ConnectorDeps
from leadsync.errors import ConfigError, FatalError

log = logging.getLogger(__name__)


class CsvSettings(BaseModel):
    """Settings of a CSV source.

    Attributes:
        path: The file to read.
        object: Object name records carry.
        encoding: Force an encoding instead of detecting one.
        delimiter: Force a delimiter instead of detecting one.
        id_column: Normalised header whose value is the record id (default: line number).
        updated_at_column: Normalised header holding an ISO-8601 change time (default: mtime).
        max_errors: Bad rows tolerated in one read before the file is judged wrong.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    object: str = "rows"
    encoding: str | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    id_column: str | None = None
    updated_at_column: str | None = None
    max_errors: int = Field(default=1000, ge=0)


@dataclass(frozen=True)
class RowError:
    """A row that could not become a record.

    Attributes:
        line: 1-based physical line where the row starts.
        message: Why it was rejected.
    """

    line: int
    message: str


class CsvConnector(Source):
    """Streams a CSV file in constant memory.

    :meth:`read` yields good rows as records and keeps bad rows in :attr:`errors` (also logged
    with their line number); :meth:`rows` yields both in file order for callers that want one
    stream. Records come in file order: a file with ``updated_at_column`` should be sorted by
    it (re-sorting would cost memory proportional to the file).
    """

    name = "csv"
    settings_model = CsvSettings
    capabilities = Capabilities(objects=("rows",), incremental_cursor="file mtime or column")

    def __init__(self, settings: CsvSettings, *, deps: ConnectorDeps | None = None) -> None:
        self.settings = settings
        self.deps = deps or ConnectorDeps()
        self.errors: list[RowError] = []

    def __repr__(self) -> str:
        return f"CsvConnector(settings={self.settings!r})"

    def check(self) -> None:
        """Verify the file exists, is readable and has the configured columns.

        Raises:
            ConfigError: The file is missing or a configured column is absent.
        """
        headers = self._headers(self._dialect())
        for column in (self.settings.id_column, self.settings.updated_at_column):
            if column is not None and column not in headers:
                raise ConfigError(f"column {column!r} not in {self.settings.path.name}: {headers}")

    def describe(self, object: str) -> ObjectSchema:  # noqa: A002
        """The normalised headers, all typed ``string``."""
        self._check_object(object)
        headers = self._headers(self._dialect())
        return ObjectSchema(object, tuple(FieldInfo(h, "string") for h in headers))

    def read(self, object: str, since: datetime | None = None) -> Iterator[Record]:  # noqa: A002
        """Yield rows changed at or after ``since`` in file order; bad rows go to :attr:`errors`.

        Raises:
            FatalError: More than ``max_errors`` bad rows (the file is probably not this CSV).
        """
        self._check_object(object)
        self.errors = []
        for item in self.rows(since):
            if isinstance(item, Record):
                yield item
                continue
            log.warning("%s line %d: %s", self.settings.path.name, item.line, item.message)
            self.errors.append(item)
            if len(self.errors) > self.settings.max_errors:
                raise FatalError(
                    f"{len(self.errors)} bad rows in {self.settings.path.name}", code="BAD_FILE"
                )

    def rows(self, since: datetime | None = None) -> Iterator[Record | RowError]:
        """Yield a record or a :class:`RowError` for every non-blank data row, in file order."""
        dialect = self._dialect()
        mtime = datetime.fromtimestamp(self.settings.path.stat().st_mtime, UTC)
        with self._open(dialect) as fh:
            reader = csv.reader(
                fh, delimiter=dialect.delimiter, quotechar=dialect.quotechar, strict=True
            )
            headers = normalise_headers(next(reader, []))
            previous_end = reader.line_num
            while True:
                start = previous_end + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    previous_end = reader.line_num
                    yield RowError(start, f"malformed CSV: {exc}")
                    continue
                previous_end = reader.line_num
                if not row or row == [""]:
                    continue
                item = self._to_record(headers, row, start, mtime)
                if isinstance(item, RowError) or since is None or item.updated_at >= since:
                    yield item

    def _to_record(
        self, headers: list[str], row: list[str], line: int, mtime: datetime
    ) -> Record | RowError:
        if len(row) != len(headers):
            return RowError(line, f"expected {len(headers)} fields, found {len(row)}")
        if any(_undecodable(value) for value in row):
            return RowError(line, "bytes not valid in the file's encoding")
        fields = dict(zip(headers, row, strict=True))
        record_id = str(line)
        if self.settings.id_column:
            record_id = fields.get(self.settings.id_column, "").strip()
            if not record_id:
                return RowError(line, f"empty id column {self.settings.id_column!r}")
        updated_at = mtime
        if self.settings.updated_at_column:
            parsed = _parse_time(fields.get(self.settings.updated_at_column, ""))
            if parsed is None:
                return RowError(line, f"unreadable time in {self.settings.updated_at_column!r}")
            updated_at = parsed
        return Record(self.settings.object, record_id, fields, updated_at)

    def _dialect(self) -> Dialect:
        if not self.settings.path.is_file():
            raise ConfigError(f"CSV file not found: {self.settings.path}")
        return sniff(
            self.settings.path, encoding=self.settings.encoding, delimiter=self.settings.delimiter
        )

    def _open(self, dialect: Dialect) -> TextIO:
        # surrogateescape keeps undecodable bytes visible per row instead of failing the file.
        return self.settings.path.open(
            encoding=dialect.encoding, errors="surrogateescape", newline=""
        )

    def _headers(self, dialect: Dialect) -> list[str]:
        with self._open(dialect) as fh:
            reader = csv.reader(fh, delimiter=dialect.delimiter, quotechar=dialect.quotechar)
            return normalise_headers(next(reader, []))

    def _check_object(self, object: str) -> None:  # noqa: A002
        if object != self.settings.object:
            raise ConfigError(f"CSV source holds {self.settings.object!r}, not {object!r}")


def _undecodable(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _parse_time(value: str) -> datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
