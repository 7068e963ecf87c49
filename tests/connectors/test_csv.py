"""CSV source: encodings, delimiters, headers, bad rows with line numbers, streaming, the kit."""

from __future__ import annotations

import csv
import os
import tracemalloc
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadsync.connectors.csv import CsvConnector, CsvSettings, RowError, normalise_headers, sniff
from leadsync.connectors.testing import Harness, SourceContract
from leadsync.errors import ConfigError, FatalError

ROWS = [["Email", "First Name"], ["a@x.io", "Zoë"], ["b@x.io", "Łukasz"]]


def write(
    path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


ENCODINGS = [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", None)]


@pytest.mark.parametrize(("encoding", "expected"), ENCODINGS, ids=[e for e, _ in ENCODINGS])
def test_encoding_detected_and_text_decoded(
    tmp_path: Path, encoding: str, expected: str | None
) -> None:
    rows = [ROWS[0]] + [["zoë@x.io", "Zoë Müller, François Señor à la façade"]] * 30
    path = write(tmp_path / "f.csv", rows, encoding=encoding)
    if expected:
        assert sniff(path).encoding == expected
    records = list(CsvConnector(CsvSettings(path=path)).read("rows"))
    assert records[0].fields == {
        "email": "zoë@x.io",
        "first_name": "Zoë Müller, François Señor à la façade",
    }


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"], ids=["comma", "semi", "tab", "pipe"])
def test_delimiter_detected(tmp_path: Path, delimiter: str) -> None:
    path = write(tmp_path / "f.csv", ROWS, delimiter=delimiter)
    assert sniff(path).delimiter == delimiter
    assert [r.fields["email"] for r in CsvConnector(CsvSettings(path=path)).read("rows")] == [
        "a@x.io",
        "b@x.io",
    ]


def test_single_column_file_falls_back_to_comma(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("email\na@x.io\nb@x.io\n")
    assert sniff(path).delimiter == ","
    assert len(list(CsvConnector(CsvSettings(path=path)).read("rows"))) == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([" E-Mail Address ", "First  Name"], ["e_mail_address", "first_name"]),
        (["\ufeffEmail", "email", "EMAIL"], ["email", "email_2", "email_3"]),
        (["", "Phone #", "  "], ["column_1", "phone", "column_3"]),
    ],
    ids=["punctuation", "bom-and-duplicates", "blank"],
)
def test_normalise_headers(raw: list[str], expected: list[str]) -> None:
    assert normalise_headers(raw) == expected


def test_bad_rows_reported_with_line_numbers_and_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(
        b"email,name\n"  # line 1
        b"a@x.io,Ann\n"  # line 2
        b"short\n"  # line 3: too few fields
        b'"multi\nline@x.io",Bo\n'  # lines 4-5: one good row over two lines
        b"c@x.io,Cy,extra\n"  # line 6: too many fields
        b"d@x.io,D\xff\n"  # line 7: byte invalid in UTF-8
        b"\n"  # line 8: blank, skipped
        b"e@x.io,Eve\n"  # line 9
    )
    conn = CsvConnector(CsvSettings(path=path, encoding="utf-8"))
    records = list(conn.read("rows"))
    assert [r.id for r in records] == ["2", "4", "9"]
    assert records[1].fields["email"] == "multi\nline@x.io"
    assert [(e.line, e.message.split()[0]) for e in conn.errors] == [
        (3, "expected"),
        (6, "expected"),
        (7, "bytes"),
    ]
    both = list(conn.rows())
    assert [x.line if isinstance(x, RowError) else x.id for x in both] == ["2", 3, "4", 6, 7, "9"]


def test_too_many_bad_rows_is_fatal(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", [["a", "b"]] + [["only"]] * 5)
    with pytest.raises(FatalError):
        list(CsvConnector(CsvSettings(path=path, max_errors=3)).read("rows"))


def test_id_and_updated_at_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "f.csv",
        [
            ["ID", "Email", "Modified"],
            ["k1", "a@x.io", "2024-01-02T03:04:05"],
            ["", "b@x.io", "2024-01-03"],
            ["k3", "c@x.io", "yesterday"],
        ],
    )
    conn = CsvConnector(CsvSettings(path=path, id_column="id", updated_at_column="modified"))
    conn.check()
    records = list(conn.read("rows"))
    assert [(r.id, r.updated_at) for r in records] == [
        ("k1", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    ]
    assert [e.line for e in conn.errors] == [3, 4]


def test_updated_at_defaults_to_file_mtime(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", ROWS)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    conn = CsvConnector(CsvSettings(path=path))
    assert {r.updated_at for r in conn.read("rows")} == {datetime.fromtimestamp(1_700_000_000, UTC)}
    assert list(conn.read("rows", since=datetime(2024, 1, 1, tzinfo=UTC))) == []


@pytest.mark.parametrize(
    "settings",
    [{"path": "missing.csv"}, {"path": "f.csv", "id_column": "nope"}],
    ids=["missing-file", "missing-column"],
)
def test_check_reports_config_errors(tmp_path: Path, settings: dict[str, Any]) -> None:
    write(tmp_path / "f.csv", ROWS)
    conn = CsvConnector(CsvSettings(**{**settings, "path": tmp_path / settings["path"]}))
    with pytest.raises(ConfigError):
        conn.check()


def test_streaming_uses_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "email", "first_name", "last_name", "company", "notes"])
        for i in range(20_000):
            out.writerow([i, f"user{i}@example.com", "First", "Last", f"Company {i}", "x" * 800])
    assert path.stat().st_size > 15_000_000
    conn = CsvConnector(CsvSettings(path=path, id_column="id"))
    tracemalloc.start()
    try:
        count = sum(1 for _ in conn.read("rows"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 2_000_000, f"peak {peak} bytes while reading a {path.stat().st_size} byte file"


class CsvHarness(Harness):
    object = "rows"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[list[str]] = []
        write(path, [["id", "email", "updated"]])

    def seed(self, count: int, *, start: datetime, step: timedelta) -> list[str]:
        base = len(self.rows)
        new = [
            [f"c{base + i}", f"c{base + i}@x.io", (start + i * step).isoformat()]
            for i in range(count)
        ]
        # The file is kept sorted by its change time, as the connector documents.
        self.rows = sorted(self.rows + new, key=lambda r: r[2])
        write(self.path, [["id", "email", "updated"], *self.rows])
        return [r[0] for r in new]

    def get(self, record_id: str) -> Mapping[str, Any] | None:
        return None


class TestCsvConformance(SourceContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> CsvHarness:
        return CsvHarness(tmp_path / "kit.csv")

    @pytest.fixture
    def connector(self, harness: CsvHarness) -> CsvConnector:
        return CsvConnector(
            CsvSettings(path=harness.path, id_column="id", updated_at_column="updated")
        )
