"""Fault knobs shared by the fakes: latency, 429 with Retry-After, 500, timeouts, bad bodies.

A fault matches requests by method and path pattern and fires a given number of times, so a
test can say "the next 3 POSTs to /v1/orders get a 429" and then watch the client recover.
"""

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import httpx


class FaultKind(StrEnum):
    RATE_LIMIT = "rate_limit"  # 429 with Retry-After; the request is not processed
    SERVER_ERROR = "server_error"  # 500; the request is not processed
    SERVER_ERROR_AFTER = "server_error_after"  # 500, but the request WAS processed
    CONNECT_ERROR = "connect_error"  # the connection never opens
    TIMEOUT_BEFORE_SEND = "timeout_before_send"  # connect timeout: nothing processed
    TIMEOUT_AFTER_SEND = "timeout_after_send"  # processed, then the answer never arrives
    MALFORMED_BODY = "malformed_body"  # processed, answered with a truncated/non-JSON body


@dataclass
class Fault:
    kind: FaultKind
    method: str | None = None
    path: str | None = None  # regular expression searched in the URL path
    times: int = 1  # how many matching requests it hits; -1 = every one
    retry_after: str = "1"  # the Retry-After value of a RATE_LIMIT fault

    def matches(self, request: httpx.Request) -> bool:
        if self.method and request.method.upper() != self.method.upper():
            return False
        return not (self.path and not re.search(self.path, request.url.path))


@dataclass
class FaultPlan:
    """Faults to inject and the latency to add; thread-safe, since servers are threaded."""

    latency: float = 0.0
    sleep: Callable[[float], None] = time.sleep
    faults: list[Fault] = field(default_factory=list)
    fired: list[tuple[FaultKind, str, str]] = field(default_factory=list)
    # Requests being answered right now, and the most at once so far (clients' concurrency).
    in_flight: int = 0
    max_in_flight: int = 0
    # Answer 429 (Retry-After 1) to a request that finds this many already in flight: neither
    # API documents a limit, so a test picks the one the reference notes assume (billit-api.md
    # §9: five per connection; outsmart-api.md §8: one per tenant).
    concurrency_limit: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        retry_after: str = "1",
    ) -> Fault:
        fault = Fault(kind, method=method, path=path, times=times, retry_after=retry_after)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def enter(self) -> bool:
        """Count a request in; False when it is over the concurrency limit (not counted)."""
        with self._lock:
            if self.concurrency_limit is not None and self.in_flight >= self.concurrency_limit:
                return False
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return True

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def take(self, request: httpx.Request) -> Fault | None:
        """The first fault that matches, counted as fired."""
        with self._lock:
            for fault in self.faults:
                if fault.times != 0 and fault.matches(request):
                    if fault.times > 0:
                        fault.times -= 1
                    self.fired.append((fault.kind, request.method, request.url.path))
                    return fault
        return None


MALFORMED = b'{"Items": [{"unterminated'


def apply_faults(
    plan: FaultPlan,
    request: httpx.Request,
    process: Callable[[httpx.Request], httpx.Response],
) -> httpx.Response:
    """Run ``process`` under the plan: latency first, then the first matching fault, if any.

    Timeouts and connection errors are raised as the httpx exceptions a real network would
    give; ``tests.fakes.server`` turns them into a hung or dropped connection.
    """
    if not plan.enter():
        return httpx.Response(
            429,
            headers={"Retry-After": "1"},
            json={"errors": [{"Code": "TooManyRequests", "Description": "Too many at once"}]},
        )
    try:
        return _answer(plan, request, process)
    finally:
        plan.leave()


def _answer(
    plan: FaultPlan,
    request: httpx.Request,
    process: Callable[[httpx.Request], httpx.Response],
) -> httpx.Response:
    if plan.latency:
        plan.sleep(plan.latency)
    fault = plan.take(request)
    if fault is None:
        return process(request)
    match fault.kind:
        case FaultKind.RATE_LIMIT:
            return httpx.Response(
                429,
                headers={"Retry-After": fault.retry_after},
                json={"errors": [{"Code": "TooManyRequests", "Description": "Slow down"}]},
            )
        case FaultKind.SERVER_ERROR:
            return httpx.Response(500, json={"errors": [{"Code": "InternalServerError"}]})
        case FaultKind.SERVER_ERROR_AFTER:
            process(request)
            return httpx.Response(500, json={"errors": [{"Code": "InternalServerError"}]})
        case FaultKind.CONNECT_ERROR:
            raise httpx.ConnectError("connection refused (injected)", request=request)
        case FaultKind.TIMEOUT_BEFORE_SEND:
            raise httpx.ConnectTimeout("connect timed out (injected)", request=request)
        case FaultKind.TIMEOUT_AFTER_SEND:
            process(request)
            raise httpx.ReadTimeout("read timed out (injected)", request=request)
        case FaultKind.MALFORMED_BODY:
            real = process(request)
            return httpx.Response(
                real.status_code,
                content=MALFORMED,
                headers={"Content-Type": "application/json"},
            )
