# ruff: noqa: D102  # the contract checks are named for what they assert
"""The connector conformance kit: pytest contract classes any connector's tests subclass.

A connector's test module provides two fixtures and subclasses the contracts it claims::

    class TestMyCrm(SourceContract, DestinationContract):
        @pytest.fixture
        def harness(self) -> Harness: ...          # seeds data, injects faults, inspects
        @pytest.fixture
        def connector(self, harness) -> Connector: ...  # built with fast_retry()

Fixtures should be function-scoped (a fresh target per test). A harness answers ``False``
from :meth:`Harness.inject`, :meth:`Harness.break_auth`, :meth:`Harness.delete` or
:meth:`Harness.add_owner` when its system cannot do that; the check is then skipped.
This module imports pytest: import it from tests only.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadsync.connectors.base import Destination, Record, Source, WriteOp
from leadsync.connectors.retry import RetryPolicy
from leadsync.errors import ConfigError

T0 = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=1)


class Fault(enum.StrEnum):
    """Faults a harness may inject into the next API call(s)."""

    RATE_LIMIT = "rate_limit"
    UNAVAILABLE = "unavailable"


class Harness:
    """Drives and inspects the system behind a connector. Override what your system can do.

    Attributes:
        object: The object the checks use.
        page_size: Records per page the connector reads (0: no paging).
        secrets: Secret values that must never show in repr, str or logs.
    """

    object: str = ""
    page_size: int = 0
    secrets: tuple[str, ...] = ()

    def seed(self, count: int, *, start: datetime, step: timedelta) -> list[str]:
        """Create ``count`` records changed at ``start + i*step``; return ids in that order."""
        raise NotImplementedError

    def delete(self, record_id: str) -> bool:
        """Delete or archive a record in the source; False if unsupported."""
        return False

    def inject(self, fault: Fault, times: int = 1) -> bool:
        """Make the next ``times`` API calls fail with ``fault``; False if unsupported."""
        return False

    def break_auth(self) -> bool:
        """Revoke the connector's credentials so re-authentication fails too."""
        return False

    def calls(self) -> int | None:
        """API calls served so far, if the system counts them."""
        return None

    def new_fields(self, i: int) -> dict[str, Any]:
        """Fields of a valid new record, unique by ``key_field`` for each ``i``."""
        raise NotImplementedError

    def bad_fields(self, i: int) -> dict[str, Any]:
        """Fields the target rejects for this one record (others in the batch still pass)."""
        raise NotImplementedError

    key_field: str = ""

    def get(self, record_id: str) -> Mapping[str, Any] | None:
        """The stored fields of a record in the target, or None."""
        raise NotImplementedError

    def count(self, field: str, value: Any) -> int:
        """How many records in the target have ``field == value``."""
        raise NotImplementedError

    def add_owner(self, email: str) -> bool:
        """Add an active user who can own records; False if unsupported."""
        return False


def fast_retry(max_attempts: int = 4) -> RetryPolicy:
    """A retry policy that never really sleeps (for connector fixtures in tests)."""
    return RetryPolicy(max_attempts=max_attempts, sleep=lambda _s: None, base=0.0, cap=0.0)


def _read(connector: Source, harness: Harness, since: datetime | None) -> list[Record]:
    return list(connector.read(harness.object, since))


class SourceContract:
    """Checks every :class:`Source` must pass."""

    def test_check_passes(self, connector: Source) -> None:
        connector.check()

    def test_describe_names_the_object(self, connector: Source, harness: Harness) -> None:
        schema = connector.describe(harness.object)
        assert schema.object == harness.object

    def test_reads_every_page_once(self, connector: Source, harness: Harness) -> None:
        ids = harness.seed(max(2 * harness.page_size + 1, 5), start=T0, step=STEP)
        got = [r.id for r in _read(connector, harness, T0) if r.id in set(ids)]
        assert sorted(got) == sorted(ids), "every seeded record, each exactly once"

    def test_since_is_inclusive(self, connector: Source, harness: Harness) -> None:
        ids = harness.seed(5, start=T0, step=STEP)
        got = {r.id for r in _read(connector, harness, T0 + 2 * STEP)}
        assert set(ids[2:]) <= got, "records changed exactly at `since` must be read"
        assert not set(ids[:2]) & got, "records changed before `since` must not be read"

    def test_oldest_first(self, connector: Source, harness: Harness) -> None:
        harness.seed(2 * harness.page_size + 3 if harness.page_size else 7, start=T0, step=STEP)
        stamps = [r.updated_at for r in _read(connector, harness, None)]
        assert stamps == sorted(stamps), "records must come oldest first"
        assert all(s.tzinfo is not None for s in stamps), "updated_at must be timezone-aware"

    def test_deletes_are_yielded(self, connector: Source, harness: Harness) -> None:
        if not connector.capabilities.deletes:
            pytest.skip("connector does not report deletes")
        ids = harness.seed(2, start=T0, step=STEP)
        if not harness.delete(ids[0]):
            pytest.skip("harness cannot delete")
        records = {r.id: r for r in _read(connector, harness, T0)}
        assert ids[0] in records, "a deleted record must still be yielded"
        assert records[ids[0]].deleted
        assert not records[ids[1]].deleted

    @pytest.mark.parametrize("fault", [Fault.RATE_LIMIT, Fault.UNAVAILABLE], ids=str)
    def test_read_retries_transient_faults(
        self, connector: Source, harness: Harness, fault: Fault
    ) -> None:
        ids = harness.seed(2, start=T0, step=STEP)
        if not harness.inject(fault, times=2):
            pytest.skip(f"harness cannot inject {fault}")
        assert set(ids) <= {r.id for r in _read(connector, harness, T0)}

    def test_read_with_revoked_credentials_is_config_error(
        self, connector: Source, harness: Harness
    ) -> None:
        harness.seed(1, start=T0, step=STEP)
        if not harness.break_auth():
            pytest.skip("harness cannot revoke credentials")
        with pytest.raises(ConfigError):
            _read(connector, harness, T0)

    def test_secrets_hidden(
        self, connector: Source, harness: Harness, caplog: pytest.LogCaptureFixture
    ) -> None:
        if not harness.secrets:
            pytest.skip("connector holds no secrets")
        settings = getattr(connector, "settings", None)
        for shown in (repr(connector), str(connector), repr(settings), str(settings)):
            for secret in harness.secrets:
                assert secret not in shown, "a secret leaked into repr or str"
        harness.seed(1, start=T0, step=STEP)
        with caplog.at_level(logging.DEBUG):
            harness.inject(Fault.UNAVAILABLE)  # a retry is logged too
            _read(connector, harness, None)
        for secret in harness.secrets:
            assert secret not in caplog.text, "a secret leaked into the logs"


class DestinationContract:
    """Checks every :class:`Destination` must pass."""

    def _ops(self, harness: Harness, kind: str, start: int, n: int) -> list[WriteOp]:
        key = harness.key_field if kind == "upsert" else None
        return [
            WriteOp(kind, harness.new_fields(i), f"r{i}", key_field=key)  # type: ignore[arg-type]
            for i in range(start, start + n)
        ]

    def test_create_returns_results_in_order(
        self, connector: Destination, harness: Harness
    ) -> None:
        ops = self._ops(harness, "create", 0, 3)
        results = connector.write(harness.object, ops)
        assert [r.ref for r in results] == [op.ref for op in ops]
        assert all(r.status == "created" and r.id for r in results)
        assert len({r.id for r in results}) == 3
        for op, result in zip(ops, results, strict=True):
            stored = harness.get(str(result.id))
            assert stored is not None
            assert stored.get(harness.key_field) == op.fields[harness.key_field]

    def test_upsert_is_idempotent(self, connector: Destination, harness: Harness) -> None:
        op = self._ops(harness, "upsert", 10, 1)[0]
        first = connector.write(harness.object, [op])[0]
        second = connector.write(harness.object, [op])[0]
        assert first.status == "created", first
        assert second.status == "updated", second
        assert first.id == second.id
        assert harness.count(harness.key_field, op.fields[harness.key_field]) == 1

    def test_update_changes_the_record(self, connector: Destination, harness: Harness) -> None:
        created = connector.write(harness.object, self._ops(harness, "create", 20, 1))[0]
        fields = harness.new_fields(21)
        op = WriteOp("update", fields, "u", id=created.id)
        assert connector.write(harness.object, [op])[0].status == "updated"
        stored = harness.get(str(created.id))
        assert stored is not None
        assert stored.get(harness.key_field) == fields[harness.key_field]

    def test_per_record_failure_is_reported_not_raised(
        self, connector: Destination, harness: Harness
    ) -> None:
        ops = self._ops(harness, "create", 30, 3)
        ops[1] = WriteOp("create", harness.bad_fields(31), "bad")
        results = connector.write(harness.object, ops)
        assert [r.ref for r in results] == ["r30", "bad", "r32"]
        assert results[1].status == "failed"
        assert results[1].error_message
        assert results[0].ok
        assert results[2].ok

    def test_batch_limits_respected(self, connector: Destination, harness: Harness) -> None:
        limit = connector.capabilities.max_batch_size
        n = 2 * limit + 1
        before = harness.calls()
        results = connector.write(harness.object, self._ops(harness, "create", 100, n))
        assert len(results) == n
        assert all(r.ok for r in results)
        after = harness.calls()
        if before is None or after is None:
            pytest.skip("harness does not count calls")
        ideal = math.ceil(n / limit)
        assert ideal <= after - before <= ideal + 2, f"{after - before} calls for {n} records"

    @pytest.mark.parametrize("fault", [Fault.RATE_LIMIT, Fault.UNAVAILABLE], ids=str)
    def test_write_retries_transient_faults(
        self, connector: Destination, harness: Harness, fault: Fault
    ) -> None:
        if not harness.inject(fault, times=2):
            pytest.skip(f"harness cannot inject {fault}")
        results = connector.write(harness.object, self._ops(harness, "create", 40, 2))
        assert all(r.ok for r in results)
        assert harness.count(harness.key_field, harness.new_fields(40)[harness.key_field]) == 1

    def test_write_with_revoked_credentials_is_config_error(
        self, connector: Destination, harness: Harness
    ) -> None:
        if not harness.break_auth():
            pytest.skip("harness cannot revoke credentials")
        with pytest.raises(ConfigError):
            connector.write(harness.object, self._ops(harness, "create", 50, 1))

    def test_owner_lookup(self, connector: Destination, harness: Harness) -> None:
        if not harness.add_owner("kit.owner@example.com"):
            pytest.skip("harness cannot add owners")
        owners = {o.email.lower(): o for o in connector.owners()}
        assert "kit.owner@example.com" in owners
        assert owners["kit.owner@example.com"].id
