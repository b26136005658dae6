"""The fakes' shared machinery: fault knobs and the real HTTP server on 127.0.0.1."""

import httpx
import pytest

from tests.fakes.faults import MALFORMED, FaultKind, FaultPlan, apply_faults
from tests.fakes.server import serve

processed: list[str] = []


def echo(request: httpx.Request) -> httpx.Response:
    processed.append(request.url.path)
    return httpx.Response(200, json={"path": request.url.path, "body": request.content.decode()})


@pytest.fixture(autouse=True)
def _reset() -> None:
    processed.clear()


def run(plan: FaultPlan, method: str = "GET", path: str = "/v1/x") -> httpx.Response:
    return apply_faults(plan, httpx.Request(method, f"https://fake.test{path}"), echo)


def test_faults_match_method_and_path_and_count_down() -> None:
    plan = FaultPlan()
    plan.add(FaultKind.RATE_LIMIT, method="POST", path="^/v1/orders$", times=2, retry_after="7")
    assert run(plan, "GET", "/v1/orders").status_code == 200
    first = run(plan, "POST", "/v1/orders")
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert run(plan, "POST", "/v1/orders").status_code == 429
    assert run(plan, "POST", "/v1/orders").status_code == 200
    assert processed == ["/v1/orders", "/v1/orders"]
    assert [kind for kind, _, _ in plan.fired] == [FaultKind.RATE_LIMIT] * 2


def test_timeout_after_send_processes_the_request_first() -> None:
    plan = FaultPlan()
    plan.add(FaultKind.TIMEOUT_AFTER_SEND)
    with pytest.raises(httpx.ReadTimeout):
        run(plan)
    assert processed == ["/v1/x"]


def test_timeout_before_send_and_connect_errors_process_nothing() -> None:
    plan = FaultPlan()
    plan.add(FaultKind.TIMEOUT_BEFORE_SEND)
    plan.add(FaultKind.CONNECT_ERROR)
    with pytest.raises(httpx.ConnectTimeout):
        run(plan)
    with pytest.raises(httpx.ConnectError):
        run(plan)
    assert processed == []


def test_server_errors_before_and_after_processing() -> None:
    plan = FaultPlan()
    plan.add(FaultKind.SERVER_ERROR)
    plan.add(FaultKind.SERVER_ERROR_AFTER)
    assert run(plan).status_code == 500
    assert processed == []
    assert run(plan).status_code == 500
    assert processed == ["/v1/x"]


def test_malformed_body_and_latency() -> None:
    slept: list[float] = []
    plan = FaultPlan(latency=0.02, sleep=slept.append)
    plan.add(FaultKind.MALFORMED_BODY, times=-1)
    for _ in range(3):
        assert run(plan).content == MALFORMED
    assert slept == [0.02] * 3


def test_served_over_real_http_on_loopback() -> None:
    with serve(echo) as server:
        assert server.url.startswith("http://127.0.0.1:")
        response = httpx.post(f"{server.url}/v1/things?x=1", content=b"hello", timeout=5)
    assert response.json() == {"path": "/v1/things", "body": "hello"}


def test_served_faults_become_dropped_or_hung_connections() -> None:
    plan = FaultPlan()

    def handle(request: httpx.Request) -> httpx.Response:
        return apply_faults(plan, request, echo)

    with serve(handle, hang_seconds=1.0) as server, httpx.Client(timeout=0.2) as client:
        plan.add(FaultKind.TIMEOUT_AFTER_SEND)
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{server.url}/slow")
        plan.add(FaultKind.CONNECT_ERROR)
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(f"{server.url}/dropped")
    assert processed == ["/slow"]
