"""HubSpot connector against the HubSpot sandbox: the kit plus vendor specifics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hs_connector_harness import HubSpotHarness, hs_connector

from leadsync.connectors.base import WriteOp
from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.hubspot import HubSpotConnector, reads
from leadsync.connectors.ratelimit import TokenBucket
from leadsync.connectors.testing import DestinationContract, SourceContract, fast_retry
from leadsync.errors import ConfigError
from leadsync.sandbox.hubspot import HubSpotSandbox
from leadsync.sandbox.runtime import RunningServer


class TestHubSpotConformance(SourceContract, DestinationContract):
    @pytest.fixture
    def harness(self, hs_sandbox: HubSpotSandbox) -> HubSpotHarness:
        return HubSpotHarness(hs_sandbox)

    @pytest.fixture
    def connector(self, hs_server: RunningServer, hs_sandbox: HubSpotSandbox) -> HubSpotConnector:
        return hs_connector(hs_server)


@pytest.fixture
def conn(hs_server: RunningServer, hs_sandbox: HubSpotSandbox) -> HubSpotConnector:
    return hs_connector(hs_server)


T0 = datetime(2024, 3, 1, tzinfo=UTC)


def test_reads_past_the_search_cap(
    monkeypatch: pytest.MonkeyPatch, conn: HubSpotConnector, hs_sandbox: HubSpotSandbox
) -> None:
    # Shrink the cap so the window split is exercised on 23 records (several windows of <= 6).
    monkeypatch.setattr(reads, "SEARCH_CAP", 6)
    monkeypatch.setattr(reads, "SEARCH_LIMIT", 2)
    harness = HubSpotHarness(hs_sandbox)
    ids = harness.seed(20, start=T0, step=timedelta(seconds=1))
    # Three more at 9 s: four records share the instant a window ends on.
    ids += harness.seed(3, start=T0 + timedelta(seconds=9), step=timedelta(0))
    got = [r.id for r in conn.read("contacts", T0)]
    assert sorted(got) == sorted(ids)
    assert len(got) == len(set(got)), "no record twice"


def test_search_sends_properties_in_the_body(
    conn: HubSpotConnector, hs_sandbox: HubSpotSandbox
) -> None:
    HubSpotHarness(hs_sandbox).seed(3, start=T0, step=timedelta(seconds=1))
    props = [f.name for f in conn.describe("contacts").fields]
    assert len(props) > 20
    records = list(conn.read("contacts"))
    assert all("firstname" in r.fields and "lastmodifieddate" in r.fields for r in records)


def test_merged_ids_are_reported_as_deleted(
    conn: HubSpotConnector, hs_sandbox: HubSpotSandbox
) -> None:
    a, b = HubSpotHarness(hs_sandbox).seed(2, start=T0, step=timedelta(seconds=1))
    with hs_sandbox.state.lock:
        hs_sandbox.state.merge("contacts", a, b)
    records = {r.id: r for r in conn.read("contacts", T0)}
    assert records[b].deleted
    assert records[b].merged_into == a
    assert not records[a].deleted


def test_upsert_by_email_and_bad_record_isolated(
    conn: HubSpotConnector, hs_sandbox: HubSpotSandbox
) -> None:
    ops = [WriteOp("upsert", {"email": f"u{i}@x.io", "firstname": "U"}, f"r{i}", key_field="email")
           for i in range(5)]  # fmt: skip
    ops[3] = WriteOp("upsert", {"email": "bad@x.io", "nope_prop": "x"}, "bad", key_field="email")
    results = conn.write("contacts", ops)
    assert [r.status for r in results] == ["created"] * 3 + ["failed", "created"]
    assert results[3].error_code == "VALIDATION_ERROR"
    again = conn.write("contacts", [ops[0]])
    assert again[0].status == "updated"
    assert again[0].id == results[0].id


def test_upsert_needs_the_unique_key(conn: HubSpotConnector) -> None:
    op = WriteOp("upsert", {"firstname": "X"}, "r", key_field="firstname")
    assert conn.write("contacts", [op])[0].error_code == "INVALID_OP"


def test_update_of_missing_id_fails_alone(
    conn: HubSpotConnector, hs_sandbox: HubSpotSandbox
) -> None:
    (rid,) = HubSpotHarness(hs_sandbox).seed(1, start=T0, step=timedelta(0))
    ops = [WriteOp("update", {"firstname": "Z"}, "ok", id=rid),
           WriteOp("update", {"firstname": "Z"}, "gone", id="999999")]  # fmt: skip
    results = conn.write("contacts", ops)
    assert results[0].status == "updated"
    assert results[1].error_code == "OBJECT_NOT_FOUND"


def test_associations_roundtrip(conn: HubSpotConnector, hs_sandbox: HubSpotSandbox) -> None:
    contact = conn.write("contacts", [WriteOp("create", {"email": "c@x.io"}, "c")])[0].id
    company = conn.write(
        "companies", [WriteOp("create", {"name": "Acme", "domain": "acme.io"}, "co")]
    )[0].id
    assert contact
    assert company
    conn.associate([(contact, company)])
    assert conn.companies_of([contact]) == {contact: [company]}


def test_unknown_object_is_config_error(conn: HubSpotConnector) -> None:
    with pytest.raises(ConfigError):
        list(conn.read("deals"))


def test_rate_budget_keeps_under_the_portal_limit(
    hs_server: RunningServer, hs_sandbox: HubSpotSandbox
) -> None:
    hs_sandbox.settings.rate_limit_enabled = True
    hs_sandbox.settings.window_max = 10
    hs_sandbox.settings.window_ms = 1000
    conn = hs_connector(
        hs_server,
        deps=ConnectorDeps(ca_path=hs_server.ca_path, retry=fast_retry(max_attempts=1)),
        rate_limit=8,
        rate_window=1.0,
    )
    for _ in range(20):  # 20 calls at most 8/s: never a 429 (max_attempts=1 would raise)
        conn.check()
    assert conn.api.bucket.waited > 1.0


def test_token_bucket_with_fake_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(100, 10.0, clock=lambda: now[0], sleep=sleep)
    stamps = []
    for _ in range(300):
        bucket.acquire()
        stamps.append(now[0])
    # Any rolling 10-second window holds at most 100 requests...
    assert max(sum(1 for t in stamps if s <= t < s + 10.0) for s in stamps) <= 100
    # ...and the budget is not wasted: 300 requests take under 35 s.
    assert stamps[-1] < 35.0
    assert stamps[:10] == [0.0] * 10, "a small burst goes out at once"
    now[0] += 1000
    assert bucket.acquire() == 0.0


def test_reread_without_changes_costs_two_calls(
    conn: HubSpotConnector, hs_sandbox: HubSpotSandbox
) -> None:
    HubSpotHarness(hs_sandbox).seed(5, start=T0, step=timedelta(seconds=1))
    records = list(conn.read("contacts"))
    since = max(r.updated_at for r in records)
    before = hs_sandbox.calls.calls()
    again = list(conn.read("contacts", since))
    assert hs_sandbox.calls.calls() - before == 2, "one search and one archived page"
    assert [r.id for r in again] == [records[-1].id]


def test_dropped_connection_is_retried(conn: HubSpotConnector, hs_sandbox: HubSpotSandbox) -> None:
    from leadsync.sandbox.runtime import FaultKind

    hs_sandbox.faults.fail_next(2, FaultKind.DROP)
    conn.check()
    assert hs_sandbox.faults.pending() == 0


def test_daily_limit_pauses_the_job(conn: HubSpotConnector, hs_sandbox: HubSpotSandbox) -> None:
    from leadsync.errors import BudgetExhaustedError

    hs_sandbox.settings.rate_limit_enabled = True
    hs_sandbox.settings.daily_max = 1
    conn.check()
    with pytest.raises(BudgetExhaustedError):
        conn.check()


def test_hundreds_of_properties_travel_in_the_body(
    hs_server: RunningServer, hs_sandbox: HubSpotSandbox
) -> None:
    many = ["email", "firstname", *[f"custom_prop_{i:03d}" for i in range(400)]]
    conn = hs_connector(hs_server, properties={"contacts": many})
    ids = HubSpotHarness(hs_sandbox).seed(150, start=T0, step=timedelta(seconds=1))
    assert [r.id for r in conn.read("contacts")] == ids
    hs_sandbox.calls.reset()
    fetched = conn.read_ids("contacts", [*ids, "999999"])
    assert [r.id for r in fetched] == ids
    assert all(r.fields.get("email") for r in fetched)
    assert hs_sandbox.calls.calls() == 2, "150 ids in two batch reads"


def test_requests_reuse_one_connection(conn: HubSpotConnector, hs_sandbox: HubSpotSandbox) -> None:
    # The SDK builds a new API client (and connection pool) each time an API is named; every
    # page then paid a new TCP and TLS handshake. Pages of one read share a connection now.
    HubSpotHarness(hs_sandbox).seed(30, start=T0, step=timedelta(seconds=1))
    sdk = conn.api.sdk()
    assert sdk.crm.objects.search_api is sdk.crm.objects.search_api
    hs_sandbox.calls.reset()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reads, "SEARCH_LIMIT", 5)  # six pages
        assert len(list(conn.read("contacts", T0))) == 30
    assert sum(calls for calls, _ in hs_sandbox.calls.snapshot().values()) >= 6
    pools = sdk.crm.objects.search_api.api_client.rest_client.pool_manager.pools
    # noqa below: the urllib3 container refuses iteration, its keys() does not.
    assert [pools[key].num_connections for key in pools.keys()] == [1]  # noqa: SIM118
