"""Salesforce connector against the Salesforce sandbox: the kit plus vendor specifics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from sf_connector_harness import SalesforceHarness, sf_connector, sf_settings

from leadsync.connectors.base import WriteOp
from leadsync.connectors.deps import ConnectorDeps
from leadsync.connectors.salesforce import (
    JwtAuth,
    RefreshTokenAuth,
    SalesforceConnector,
    SalesforceSettings,
    SessionAuth,
    soql,
)
from leadsync.connectors.testing import DestinationContract, SourceContract, fast_retry
from leadsync.errors import BudgetExhaustedError, ConfigError
from leadsync.sandbox.runtime import FaultKind, RunningServer
from leadsync.sandbox.salesforce import SalesforceSandbox


class TestSalesforceConformance(SourceContract, DestinationContract):
    @pytest.fixture
    def harness(self, sf_sandbox: SalesforceSandbox) -> SalesforceHarness:
        return SalesforceHarness(sf_sandbox)

    @pytest.fixture
    def connector(
        self, sf_server: RunningServer, sf_sandbox: SalesforceSandbox, sf_session: requests.Session
    ) -> SalesforceConnector:
        return sf_connector(sf_server, sf_sandbox, sf_session)


@pytest.fixture
def conn(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox, sf_session: requests.Session
) -> SalesforceConnector:
    return sf_connector(sf_server, sf_sandbox, sf_session)


def lead(i: int, **extra: Any) -> dict[str, Any]:
    return {"LastName": f"L{i}", "Company": "Acme", "Email": f"l{i}@x.io", **extra}


def test_expired_session_reauthenticates_once(
    conn: SalesforceConnector, sf_sandbox: SalesforceSandbox
) -> None:
    conn.check()
    sf_sandbox.faults.fail_next(1, FaultKind.SESSION_EXPIRED)
    conn.check()
    assert sf_sandbox.calls.calls("oauth.password") == 2


def test_fixed_session_that_expires_is_config_error(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox, sf_session: requests.Session
) -> None:
    auth = SessionAuth(session_id=sf_sandbox.session_id, instance_url=sf_server.base_url)
    deps = ConnectorDeps(requests_session=sf_session, retry=fast_retry())
    conn = SalesforceConnector(SalesforceSettings(auth=auth), deps=deps)
    conn.check()
    sf_sandbox.expire_token()
    with pytest.raises(ConfigError, match="INVALID_SESSION_ID"):
        conn.check()


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


def test_refresh_token_and_jwt_flows(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox, sf_session: requests.Session
) -> None:
    refresh = sf_sandbox.issue_token(sf_sandbox.admin_user_id)[1]
    flows = [
        RefreshTokenAuth(client_id="cid", client_secret="s", refresh_token=refresh),
        JwtAuth(username=sf_sandbox.username, client_id="cid", private_key=_rsa_pem()),
    ]
    for auth in flows:
        settings = SalesforceSettings(auth=auth, login_url=sf_server.base_url)
        deps = ConnectorDeps(requests_session=sf_session, retry=fast_retry())
        SalesforceConnector(settings, deps=deps).check()
        assert refresh not in repr(settings)
    assert sf_sandbox.calls.calls("oauth.refresh_token") == 1
    assert sf_sandbox.calls.calls("oauth.jwt-bearer") == 1


def test_wrong_password_is_config_error(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox, sf_session: requests.Session
) -> None:
    settings = sf_settings(sf_server, sf_sandbox)
    bad = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"password": SecretStr("no")})}
    )
    conn = SalesforceConnector(bad, deps=ConnectorDeps(requests_session=sf_session))
    with pytest.raises(ConfigError, match="authentication failure"):
        conn.check()


def test_budget_stops_before_the_share_is_spent(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox, sf_session: requests.Session
) -> None:
    sf_sandbox.daily_limit = 10
    conn = sf_connector(sf_server, sf_sandbox, sf_session, budget_share=0.5)
    for _ in range(5):
        conn.check()
    with pytest.raises(BudgetExhaustedError):
        conn.check()
    assert sf_sandbox.api_usage == 5, "no call is sent once the budget is reached"


def test_locked_rows_are_retried_alone(
    conn: SalesforceConnector, sf_sandbox: SalesforceSandbox
) -> None:
    sf_sandbox.lock_rows(lambda r: r.get("LastName") == "L1", times=2)
    ops = [WriteOp("create", lead(i), f"r{i}") for i in range(3)]
    conn.check()  # log in first so only the writes are counted below
    sf_sandbox.calls.reset()
    results = conn.write("Lead", ops)
    assert [r.status for r in results] == ["created"] * 3
    # 3 rows in the first call, then only the locked row, twice more.
    assert sf_sandbox.calls.snapshot() == {"composite.create": (3, 5)}
    assert sf_sandbox.count("Lead") == 3


def test_duplicates_reported_per_record_and_opt_in_allow_save(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox, sf_session: requests.Session
) -> None:
    sf_sandbox.duplicate_rule = True
    sf_sandbox.create("Lead", lead(1))
    conn = sf_connector(sf_server, sf_sandbox, sf_session)
    results = conn.write(
        "Lead", [WriteOp("create", lead(1), "dup"), WriteOp("create", lead(2), "ok")]
    )
    assert results[0].error_code == "DUPLICATES_DETECTED"
    assert results[1].status == "created"
    allowing = sf_connector(sf_server, sf_sandbox, sf_session, allow_duplicates=True)
    assert allowing.write("Lead", [WriteOp("create", lead(1), "dup")])[0].status == "created"


@pytest.mark.parametrize("kind", ["create", "upsert"], ids=str)
def test_bulk_path_reports_every_row(
    sf_server: RunningServer, sf_sandbox: SalesforceSandbox, sf_session: requests.Session, kind: str
) -> None:
    conn = sf_connector(sf_server, sf_sandbox, sf_session, bulk_threshold=5)
    key = "Leadsync_Id__c" if kind == "upsert" else None
    ops = [WriteOp(kind, lead(i, Leadsync_Id__c=f"k{i}"), f"r{i}", key_field=key)  # type: ignore[arg-type]
           for i in range(6)]  # fmt: skip
    ops.append(
        WriteOp(kind, {"Company": "NoName", "Leadsync_Id__c": "k-bad"}, "bad", key_field=key)
    )  # type: ignore[arg-type]
    results = conn.write("Lead", ops)
    assert [r.ref for r in results] == [op.ref for op in ops]
    assert [r.status for r in results[:6]] == ["created"] * 6
    assert results[6].status == "failed"
    assert results[6].error_code == "REQUIRED_FIELD_MISSING"
    assert any(k.startswith("bulk") or "ingest" in k for k in sf_sandbox.calls.snapshot())
    again = conn.write("Lead", ops[:6]) if kind == "upsert" else []
    assert all(r.status == "updated" for r in again)


def test_deleted_and_invalid_ops(conn: SalesforceConnector, sf_sandbox: SalesforceSandbox) -> None:
    rid = sf_sandbox.create("Lead", lead(1))["Id"]
    results = conn.write("Lead", [WriteOp("delete", {}, "d", id=rid), WriteOp("update", {}, "u")])
    assert results[0].status == "deleted"
    assert results[1].error_code == "INVALID_OP"
    assert sf_sandbox.get("Lead", rid) is None


def test_describe_maps_field_metadata(conn: SalesforceConnector) -> None:
    schema = conn.describe("Lead")
    ext, status, last = schema.get("leadsync_id__c"), schema.get("Status"), schema.get("LastName")
    assert ext is not None
    assert ext.external_id
    assert status is not None
    assert status.restricted_picklist
    assert status.picklist
    assert last is not None
    assert last.required
    assert conn.describe("Lead") is schema, "describe is cached"


def test_reread_without_changes_costs_one_call(
    conn: SalesforceConnector, sf_sandbox: SalesforceSandbox
) -> None:
    for i in range(3):
        sf_sandbox.create("Lead", lead(i))
    records = list(conn.read("Lead"))
    since = max(r.updated_at for r in records)
    before = sf_sandbox.calls.calls()
    again = list(conn.read("Lead", since))
    assert sf_sandbox.calls.calls() - before == 1
    assert records[-1].id in {r.id for r in again}, "the cursor is inclusive"
    # format_soql sends whole seconds: the window may only widen, never narrow.
    assert all(r.updated_at >= since.replace(microsecond=0) for r in again)


@pytest.mark.parametrize(
    "name",
    ["Lead; DELETE", "Lead WHERE", "1Lead", "Le'ad"],
    ids=["semicolon", "space", "digit", "quote"],
)
def test_identifiers_are_checked(name: str) -> None:
    with pytest.raises(ConfigError):
        soql.identifier(name)


def test_values_are_quoted() -> None:
    query = soql.by_values("Lead", "Email", ["o'brien@x.io", "a\\b"])
    assert "'o\\'brien@x.io'" in query
    since = soql.incremental("Lead", ["Email"], datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert "SystemModstamp >= 2024-01-02T03:04:05+00:00" in since
    assert since.endswith("ORDER BY SystemModstamp ASC, Id ASC")


@pytest.mark.parametrize("kind", [FaultKind.DROP, FaultKind.UNAVAILABLE], ids=str)
def test_dropped_connection_is_retried(
    conn: SalesforceConnector, sf_sandbox: SalesforceSandbox, kind: FaultKind
) -> None:
    conn.check()
    sf_sandbox.faults.fail_next(2, kind)
    conn.check()
    assert sf_sandbox.faults.pending() == 0
