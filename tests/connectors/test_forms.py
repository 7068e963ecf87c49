"""Form payloads (generic, HubSpot form, HubSpot workflow) become records; forms pass the kit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadsync.connectors.forms import FormsConnector, FormsSettings, payload_to_record
from leadsync.connectors.testing import Harness, SourceContract
from leadsync.errors import ConfigError, FatalError, RejectedRecordError

RECEIVED = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

PAYLOADS: list[tuple[str, dict[str, Any], str, dict[str, Any], datetime]] = [
    (
        "generic-nested",
        {
            "submission_id": "s-1",
            "submitted_at": "2024-04-30T10:00:00Z",
            "fields": {"email": "a@x.io", "first_name": "Ann"},
        },
        "s-1",
        {"email": "a@x.io", "first_name": "Ann"},
        datetime(2024, 4, 30, 10, tzinfo=UTC),
    ),
    (
        "generic-flat",
        {"email": "b@x.io", "company": "B Ltd"},
        "",
        {"email": "b@x.io", "company": "B Ltd"},
        RECEIVED,
    ),
    (
        "hubspot-form",
        {
            "submittedAt": 1714471200000,
            "conversionId": "c-9",
            "formId": "f-1",
            "fields": [{"name": "email", "value": "c@x.io"}, {"name": "lastname", "value": "Cee"}],
            "context": {"pageUri": "https://x.io/demo", "hutk": "abc"},
        },
        "c-9",
        {
            "email": "c@x.io",
            "lastname": "Cee",
            "context.pageUri": "https://x.io/demo",
            "context.hutk": "abc",
            "formId": "f-1",
        },
        datetime(2024, 4, 30, 10, tzinfo=UTC),
    ),
    (
        "hubspot-workflow-legacy",
        {
            "vid": 501,
            "properties": {
                "email": {"value": "d@x.io", "versions": []},
                "firstname": {"value": "Dee"},
            },
        },
        "501",
        {"email": "d@x.io", "firstname": "Dee"},
        RECEIVED,
    ),
    (
        "hubspot-workflow-v4",
        {"objectId": 77, "occurredAt": 1714471200000, "properties": {"email": "e@x.io"}},
        "77",
        {"email": "e@x.io"},
        datetime(2024, 4, 30, 10, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(
    ("payload", "rid", "fields", "at"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS]
)
def test_payload_to_record(
    payload: dict[str, Any], rid: str, fields: dict[str, Any], at: datetime
) -> None:
    record = payload_to_record(payload, received_at=RECEIVED)
    assert dict(record.fields) == fields
    assert record.updated_at == at
    if rid:
        assert record.id == rid
    else:
        assert record.id.startswith("sha256:")


def test_content_hash_id_is_stable_for_redelivery() -> None:
    payload = {"email": "b@x.io"}
    first = payload_to_record(payload, received_at=RECEIVED)
    again = payload_to_record(dict(payload), received_at=RECEIVED + timedelta(hours=1))
    other = payload_to_record({"email": "c@x.io"}, received_at=RECEIVED)
    assert first.id == again.id
    assert first.id != other.id


@pytest.mark.parametrize(
    "payload", [{}, {"fields": []}, {"context": {"hutk": "x"}}], ids=["empty", "no-fields", "ctx"]
)
def test_empty_payload_rejected(payload: dict[str, Any]) -> None:
    with pytest.raises(RejectedRecordError):
        payload_to_record(payload, received_at=RECEIVED)


def test_buffer_limit_and_acknowledge() -> None:
    conn = FormsConnector(FormsSettings(max_buffered=2))
    conn.ingest({"id": "1", "email": "a@x.io"}, received_at=RECEIVED)
    conn.ingest({"id": "2", "email": "b@x.io"}, received_at=RECEIVED)
    conn.ingest({"id": "2", "email": "b2@x.io"}, received_at=RECEIVED)  # redelivery replaces
    with pytest.raises(FatalError):
        conn.ingest({"id": "3", "email": "c@x.io"}, received_at=RECEIVED)
    conn.acknowledge(["1"])
    conn.ingest({"id": "3", "email": "c@x.io"}, received_at=RECEIVED)
    assert [r.id for r in conn.read("submissions")] == ["2", "3"]
    assert {f.name for f in conn.describe("submissions").fields} == {"email"}
    with pytest.raises(ConfigError):
        list(conn.read("leads"))


class FormsHarness(Harness):
    object = "submissions"

    def __init__(self, conn: FormsConnector) -> None:
        self.conn = conn
        self.n = 0

    def seed(self, count: int, *, start: datetime, step: timedelta) -> list[str]:
        ids = []
        for i in range(count):
            self.n += 1
            at = (start + i * step).isoformat()
            rec = self.conn.ingest({"id": f"f{self.n}", "submitted_at": at, "email": "x@y.io"})
            ids.append(rec.id)
        return ids

    def get(self, record_id: str) -> Mapping[str, Any] | None:
        return None


class TestFormsConformance(SourceContract):
    @pytest.fixture
    def connector(self) -> FormsConnector:
        return FormsConnector(FormsSettings())

    @pytest.fixture
    def harness(self, connector: FormsConnector) -> FormsHarness:
        return FormsHarness(connector)


@pytest.mark.parametrize("stamp", [1e300, float("inf"), 10**30], ids=["huge", "inf", "int"])
def test_out_of_range_submission_time_falls_back_to_receive_time(stamp: float) -> None:
    received = datetime(2026, 1, 2, tzinfo=UTC)
    record = payload_to_record({"submittedAt": stamp, "email": "a@b.example"}, received_at=received)
    assert record.updated_at == received
