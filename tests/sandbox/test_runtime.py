from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from leadsync.sandbox.clients import sandbox_session
from leadsync.sandbox.runtime import (
    CallLog,
    Fault,
    FaultKind,
    FaultMiddleware,
    FaultPlan,
    RunningServer,
    serve,
)


def test_fail_next_queues_faults_in_order_then_passes() -> None:
    plan = FaultPlan()
    plan.fail_next(2, FaultKind.RATE_LIMIT, retry_after=3.0)
    plan.fail_next(1, FaultKind.DROP)
    drawn = [plan.draw() for _ in range(4)]
    assert drawn == [
        Fault(FaultKind.RATE_LIMIT, 3.0),
        Fault(FaultKind.RATE_LIMIT, 3.0),
        Fault(FaultKind.DROP, 1.0),
        None,
    ]


def test_random_faults_are_reproducible_by_seed_and_near_rate() -> None:
    def run(seed: int) -> list[Fault | None]:
        plan = FaultPlan()
        plan.set_random(0.3, seed=seed, kinds=[FaultKind.UNAVAILABLE, FaultKind.TIMEOUT])
        return [plan.draw() for _ in range(1000)]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other
    hits = [f for f in first if f is not None]
    assert 230 < len(hits) < 370
    assert {f.kind for f in hits} == {FaultKind.UNAVAILABLE, FaultKind.TIMEOUT}


@pytest.mark.parametrize(
    ("rate", "kinds"), [(1.5, [FaultKind.DROP]), (-0.1, [FaultKind.DROP]), (0.5, [])],
    ids=["above-one", "negative", "no-kinds"],
)  # fmt: skip
def test_set_random_rejects_bad_arguments(rate: float, kinds: list[FaultKind]) -> None:
    with pytest.raises(ValueError, match="rate|kinds"):
        FaultPlan().set_random(rate, seed=1, kinds=kinds)


def test_clear_removes_queue_random_latency_and_rejections() -> None:
    plan = FaultPlan()
    plan.fail_next(3, FaultKind.UNAVAILABLE)
    plan.set_random(1.0, seed=1, kinds=[FaultKind.DROP])
    plan.set_latency(0.5)
    plan.reject_records(lambda r: "no")
    plan.clear()
    assert plan.draw() is None
    assert plan.latency == 0.0
    assert plan.record_rejection({"a": 1}) is None


def test_record_rejection_returns_first_matching_message() -> None:
    plan = FaultPlan()
    plan.reject_records(lambda r: "bad email" if "@" not in str(r.get("Email")) else None)
    plan.reject_records(lambda r: "always")
    assert plan.record_rejection({"Email": "x"}) == "bad email"
    assert plan.record_rejection({"Email": "a@b.c"}) == "always"


def test_fault_plan_is_thread_safe_under_concurrent_draws() -> None:
    plan = FaultPlan()
    plan.fail_next(1000, FaultKind.UNAVAILABLE)
    got: list[int] = []

    def worker() -> None:
        got.append(sum(1 for _ in range(300) if plan.draw() is not None))

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(got) == 1000


def test_call_log_counts_calls_and_records_per_endpoint() -> None:
    log = CallLog()
    log.record("create", 200)
    log.record("create", 10)
    log.record("query")
    assert log.calls("create") == 2
    assert log.records("create") == 210
    assert log.calls() == 3
    assert log.records() == 210
    assert log.calls("missing") == 0
    assert log.snapshot() == {"create": (2, 210), "query": (1, 0)}
    log.reset()
    assert log.snapshot() == {}


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"path": request.url.path})


@pytest.fixture(scope="module")
def plan() -> FaultPlan:
    return FaultPlan()


@pytest.fixture(scope="module")
def echo_server(plan: FaultPlan) -> Iterator[RunningServer]:
    app = FaultMiddleware(
        Starlette(routes=[Route("/echo", _echo), Route("/__sandbox__/x", _echo)]),
        plan=plan,
        respond=lambda f, s: JSONResponse({"fault": str(f.kind)}, status_code=503),
    )
    with serve(app, tls=True) as server:
        yield server


@pytest.fixture
def http(echo_server: RunningServer, plan: FaultPlan) -> requests.Session:
    plan.clear()
    return sandbox_session(echo_server)


def test_serve_tls_answers_over_https_with_the_throwaway_ca(
    echo_server: RunningServer, http: requests.Session
) -> None:
    assert echo_server.base_url.startswith("https://127.0.0.1:")
    assert echo_server.ca_path is not None
    assert http.get(f"{echo_server.base_url}/echo", timeout=5).json() == {"path": "/echo"}
    plain = requests.Session()
    plain.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        plain.get(f"{echo_server.base_url}/echo", timeout=5)


def test_vendor_fault_is_answered_by_responder_and_control_paths_are_exempt(
    echo_server: RunningServer, http: requests.Session, plan: FaultPlan
) -> None:
    plan.fail_next(1, FaultKind.UNAVAILABLE)
    assert http.get(f"{echo_server.base_url}/__sandbox__/x", timeout=5).status_code == 200
    resp = http.get(f"{echo_server.base_url}/echo", timeout=5)
    assert (resp.status_code, resp.json()) == (503, {"fault": "unavailable"})
    assert http.get(f"{echo_server.base_url}/echo", timeout=5).status_code == 200


def test_drop_closes_the_connection_without_an_answer(
    echo_server: RunningServer, http: requests.Session, plan: FaultPlan
) -> None:
    plan.fail_next(1, FaultKind.DROP)
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(f"{echo_server.base_url}/echo", timeout=5)
    assert http.get(f"{echo_server.base_url}/echo", timeout=5).status_code == 200


def test_timeout_holds_the_request_past_the_client_timeout(
    echo_server: RunningServer, http: requests.Session, plan: FaultPlan
) -> None:
    plan.fail_next(1, FaultKind.TIMEOUT, retry_after=0.6)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{echo_server.base_url}/echo", timeout=0.2)
    time.sleep(0.5)
    assert http.get(f"{echo_server.base_url}/echo", timeout=5).status_code == 200


def test_latency_delays_every_request(
    echo_server: RunningServer, http: requests.Session, plan: FaultPlan
) -> None:
    plan.set_latency(0.15)
    started = time.perf_counter()
    http.get(f"{echo_server.base_url}/echo", timeout=5)
    assert time.perf_counter() - started >= 0.15


def test_plain_http_server_stops_and_frees_its_port() -> None:
    server = serve(Starlette(routes=[Route("/echo", _echo)]), tls=False)
    http = requests.Session()
    http.trust_env = False
    assert server.base_url.startswith("http://")
    assert server.ca_path is None
    assert http.get(f"{server.base_url}/echo", timeout=5).status_code == 200
    http.close()
    server.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        sandbox_session(server).get(f"{server.base_url}/echo", timeout=2)
