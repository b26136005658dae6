"""The shared retry engine: what is retried, how long it waits, and when it stops."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from billit_sync.errors import OutcomeUnknownError
from billit_sync.http.retry import (
    RequestFailedError,
    RetryingSender,
    RetryPolicy,
    parse_retry_after,
)


class ScriptedTransport(httpx.BaseTransport):
    """Answers with a script of responses or exceptions, one per attempt."""

    def __init__(self, *script: httpx.Response | Exception) -> None:
        self.script = list(script)
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def make_sender(
    transport: ScriptedTransport, policy: RetryPolicy | None = None
) -> tuple[RetryingSender, list[float]]:
    waits: list[float] = []
    sender = RetryingSender(
        client=httpx.Client(transport=transport),
        policy=policy or RetryPolicy(),
        sleep=waits.append,
        rng=random.Random(7),
    )
    return sender, waits


def build() -> httpx.Request:
    return httpx.Request("GET", "https://api.example/v1/things?token=SECRET-TOKEN")


def build_post() -> httpx.Request:
    return httpx.Request("POST", "https://api.example/v1/orders", json={"a": 1})


def request_error(kind: type[httpx.TransportError]) -> httpx.TransportError:
    return kind("boom", request=build())


def test_success_is_returned_without_waiting() -> None:
    sender, waits = make_sender(ScriptedTransport(httpx.Response(200, json={"ok": True})))
    assert sender.send(build).json() == {"ok": True}
    assert waits == []


def test_429_waits_at_least_retry_after_then_succeeds() -> None:
    transport = ScriptedTransport(
        httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, text="1")
    )
    sender, waits = make_sender(transport)
    assert sender.send(build).status_code == 200
    assert len(waits) == 1 and waits[0] >= 3


def test_unsafe_requests_are_retried_after_429_because_nothing_happened() -> None:
    transport = ScriptedTransport(httpx.Response(429), httpx.Response(200, text="42"))
    sender, _ = make_sender(transport)
    assert sender.send(build_post, unsafe=True).text == "42"
    assert transport.attempts == 2


def test_5xx_on_a_safe_request_is_retried() -> None:
    transport = ScriptedTransport(httpx.Response(500), httpx.Response(503), httpx.Response(200))
    sender, waits = make_sender(transport)
    assert sender.send(build).status_code == 200
    assert transport.attempts == 3 and len(waits) == 2


def test_5xx_on_an_unsafe_request_comes_back_unretried() -> None:
    transport = ScriptedTransport(httpx.Response(500), httpx.Response(200))
    sender, waits = make_sender(transport)
    assert sender.send(build_post, unsafe=True).status_code == 500
    assert transport.attempts == 1 and waits == []


def test_timeout_after_sending_an_unsafe_request_is_outcome_unknown() -> None:
    transport = ScriptedTransport(request_error(httpx.ReadTimeout), httpx.Response(200))
    sender, _ = make_sender(transport)
    with pytest.raises(OutcomeUnknownError) as caught:
        sender.send(build_post, unsafe=True)
    assert transport.attempts == 1
    assert "POST https://api.example/v1/orders" in str(caught.value)


def test_connection_that_never_opened_is_retried_even_for_unsafe_requests() -> None:
    transport = ScriptedTransport(
        request_error(httpx.ConnectError), request_error(httpx.ConnectTimeout), httpx.Response(200)
    )
    sender, _ = make_sender(transport)
    assert sender.send(build_post, unsafe=True).status_code == 200
    assert transport.attempts == 3


def test_read_timeouts_on_safe_requests_are_retried_then_reported_without_the_query() -> None:
    transport = ScriptedTransport(*[request_error(httpx.ReadTimeout) for _ in range(3)])
    sender, waits = make_sender(transport, RetryPolicy(max_attempts=3))
    with pytest.raises(RequestFailedError) as caught:
        sender.send(build)
    assert transport.attempts == 3 and len(waits) == 2
    assert "SECRET-TOKEN" not in str(caught.value)
    assert "https://api.example/v1/things" in str(caught.value)


def test_attempts_are_bounded_and_the_last_response_is_returned() -> None:
    transport = ScriptedTransport(*[httpx.Response(503) for _ in range(4)])
    sender, waits = make_sender(transport, RetryPolicy(max_attempts=4))
    assert sender.send(build).status_code == 503
    assert transport.attempts == 4 and len(waits) == 3


def test_a_retry_after_beyond_the_budget_is_not_waited_for() -> None:
    transport = ScriptedTransport(httpx.Response(429, headers={"Retry-After": "120"}))
    sender, waits = make_sender(transport, RetryPolicy(max_total_delay=30))
    assert sender.send(build).status_code == 429
    assert waits == [] and transport.attempts == 1


def test_total_waiting_stays_within_the_budget() -> None:
    transport = ScriptedTransport(*[httpx.Response(429, headers={"Retry-After": "4"})] * 10)
    policy = RetryPolicy(max_attempts=10, max_total_delay=10)
    sender, waits = make_sender(transport, policy)
    assert sender.send(build).status_code == 429
    assert sum(waits) <= 10
    assert len(waits) == 2


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    for retry_number in range(8):
        cap = min(4.0, 0.5 * 2**retry_number)
        samples = [policy.backoff(retry_number, rng) for _ in range(200)]
        assert all(0 <= s <= cap for s in samples)
        assert max(samples) > cap * 0.8  # it really spreads over the whole range


def test_custom_retryable_responses() -> None:
    def envelope_error(response: httpx.Response) -> bool:
        return response.status_code != 200 or response.json().get("code") == 1007

    transport = ScriptedTransport(
        httpx.Response(200, json={"code": 1007}), httpx.Response(200, json={"code": 200})
    )
    sender, _ = make_sender(transport, RetryPolicy(retryable_response=envelope_error))
    assert sender.send(build).json() == {"code": 200}


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("5", 5.0), (" 2.5 ", 2.5), ("-3", 0.0), ("soon", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(30)
