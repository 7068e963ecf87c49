"""The conformance kit fails a broken connector, check by check, and passes where it is sound."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from broken_connector import BrokenConnector, BrokenSettings, BrokenStore

from leadsync.connectors.testing import DestinationContract, Fault, Harness, SourceContract
from leadsync.errors import LeadsyncError


class BrokenHarness(Harness):
    object = "contacts"
    key_field = "email"
    secrets = ("broken-secret",)

    def __init__(self) -> None:
        self.store = BrokenStore("broken-secret")

    def seed(self, count: int, *, start: datetime, step: timedelta) -> list[str]:
        ids = [f"s{len(self.store.rows) + i}" for i in range(count)]
        for i, rid in enumerate(ids):
            self.store.rows[rid] = {"email": f"{rid}@example.com"}
            self.store.stamps[rid] = start + i * step
        return ids

    def delete(self, record_id: str) -> bool:
        self.store.deleted.add(record_id)
        return True

    def inject(self, fault: Fault, times: int = 1) -> bool:
        self.store.faults += [str(fault)] * times
        return True

    def break_auth(self) -> bool:
        self.store.token = "rotated"
        return True

    def calls(self) -> int:
        return self.store.calls

    def new_fields(self, i: int) -> dict[str, Any]:
        return {"email": f"n{i}@example.com"}

    def bad_fields(self, i: int) -> dict[str, Any]:
        return {"email": "nope"}

    def get(self, record_id: str) -> Mapping[str, Any] | None:
        return self.store.rows.get(record_id)

    def count(self, field: str, value: Any) -> int:
        return sum(1 for r in self.store.rows.values() if r.get(field) == value)

    def add_owner(self, email: str) -> bool:
        return True


class _Kit(SourceContract, DestinationContract):
    pass


# (contract method, extra kwargs) the broken connector must FAIL.
MUST_FAIL = [
    ("test_reads_every_page_once", {}),
    ("test_since_is_inclusive", {}),
    ("test_oldest_first", {}),
    ("test_deletes_are_yielded", {}),
    ("test_read_retries_transient_faults", {"fault": Fault.UNAVAILABLE}),
    ("test_read_with_revoked_credentials_is_config_error", {}),
    ("test_upsert_is_idempotent", {}),
    ("test_per_record_failure_is_reported_not_raised", {}),
    ("test_batch_limits_respected", {}),
    ("test_write_retries_transient_faults", {"fault": Fault.RATE_LIMIT}),
    ("test_write_with_revoked_credentials_is_config_error", {}),
    ("test_owner_lookup", {}),
]


def _run(method: str, kwargs: dict[str, Any]) -> None:
    harness = BrokenHarness()
    connector = BrokenConnector(BrokenSettings(token="broken-secret"), harness.store)
    check = getattr(_Kit(), method)
    wanted = inspect.signature(check).parameters
    given = {"connector": connector, "harness": harness, **kwargs}
    check(**{k: v for k, v in given.items() if k in wanted})


@pytest.mark.parametrize(("method", "kwargs"), MUST_FAIL, ids=[m for m, _ in MUST_FAIL])
def test_kit_fails_the_broken_connector(method: str, kwargs: dict[str, Any]) -> None:
    # A failed check is an assertion, pytest.raises' "did not raise", or the connector's own
    # error escaping where the contract says it must not.
    with pytest.raises((AssertionError, pytest.fail.Exception, LeadsyncError)):
        _run(method, kwargs)


def test_kit_catches_leaked_secret(caplog: pytest.LogCaptureFixture) -> None:
    harness = BrokenHarness()
    connector = BrokenConnector(BrokenSettings(token="broken-secret"), harness.store)
    with pytest.raises(AssertionError, match="secret leaked into repr"):
        _Kit().test_secrets_hidden(connector=connector, harness=harness, caplog=caplog)


@pytest.mark.parametrize("method", ["test_check_passes", "test_describe_names_the_object"])
def test_kit_passes_what_the_broken_connector_does_right(method: str) -> None:
    _run(method, {})
