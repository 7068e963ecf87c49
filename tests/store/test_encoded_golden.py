"""Golden data encoded ahead (by a read-ahead process) is stored as it is, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from leadsync import jsoncodec
from leadsync.store import golden
from leadsync.store.engine import session_factory, transaction
from leadsync.store.models import GoldenLead

NOW = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
DATA = {
    "email": "ana@example.com",
    "custom": {"score": 12, "vip": True, "note": "naïve café"},
    "provenance": {"email": {"system": "hubspot", "observed_at": "2026-03-02T09:15:00Z"}},
}


def test_encoded_data_is_stored_as_the_data_it_encodes(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        ids = golden.GoldenIds(session, 2)
        encoded = golden.NewGolden(
            ids.take(), jsoncodec.Encoded(jsoncodec.dump_bytes(DATA)), None, NOW
        )
        plain = golden.NewGolden(ids.take(), DATA, None, NOW)
        golden.insert_new(session, [encoded, plain])
    with transaction(factory) as session:
        stored = {i: data for i, data in session.execute(select(GoldenLead.id, GoldenLead.data))}
    assert stored == {encoded.id: DATA, plain.id: DATA}


def test_a_reader_of_encoded_data_gets_it_decoded_and_may_replace_it(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        row = golden.NewGolden(
            golden.GoldenIds(session, 1).take(),
            jsoncodec.Encoded(jsoncodec.dump_bytes(DATA)),
            None,
            NOW,
        )
        assert row.data == DATA
        row.data = {**DATA, "email": "ana.new@example.com"}
        golden.insert_new(session, [row])
    with transaction(factory) as session:
        assert session.get(GoldenLead, row.id).data["email"] == "ana.new@example.com"


def test_dumps_passes_encoded_text_through_and_encodes_the_rest() -> None:
    assert jsoncodec.dumps(jsoncodec.Encoded(b'{"a":1}')) == '{"a":1}'
    assert jsoncodec.dumps({"a": 1}) == '{"a":1}'
    assert jsoncodec.Encoded(b'{"a":[1,2]}').value == {"a": [1, 2]}
