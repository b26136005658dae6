"""Fault injection at every external call site, through the real handlers on the in-process
stack (``tests.support.stack``): the Billit and OutSmart fakes (HTTP faults of
``tests.fakes.faults`` and OutSmart's HTTP-200 envelope errors), and DynamoDB / Secrets Manager
(a botocore ``before-call`` hook that answers with an AWS error instead of calling moto).

Nothing really sleeps: every ``RetryingSender`` gets a sleep that records the delay, so the
tests can also show that each logical call stayed within its ``RetryPolicy`` (attempts and
total wait) without timing anything.
"""

import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from botocore.exceptions import EndpointConnectionError

from billit_sync.http.retry import RetryingSender, RetryPolicy
from tests.fakes.faults import Fault, FaultKind, FaultPlan
from tests.fakes.outsmart import OutSmartFake
from tests.support.stack import Stack
from tests.support.template import resources_of_type

DEFAULT_POLICY = RetryPolicy()


def max_receive_count(queue_logical_id: str) -> int:
    """How often SQS delivers a message of the queue before parking it in its DLQ."""
    properties = resources_of_type("AWS::SQS::Queue")[queue_logical_id]["Properties"]
    return int(properties["RedrivePolicy"]["maxReceiveCount"])


# ----------------------------------------------------------------------- call sites
@dataclass(frozen=True)
class Site:
    """One external call site: which fake, method, URL path and (optionally) query values.

    A query value of ``None`` means "present, any value" (e.g. ``$skip``: a later page).
    """

    name: str
    side: str  # "billit" or "outsmart"
    method: str
    path: str  # regular expression searched in the URL path
    query: Mapping[str, str | None] = field(default_factory=dict)

    def matches(self, request: httpx.Request) -> bool:
        if request.method.upper() != self.method.upper():
            return False
        if not re.search(self.path, request.url.path):
            return False
        params = request.url.params
        return all(
            key in params and (value is None or params.get(key) == value)
            for key, value in self.query.items()
        )

    def __str__(self) -> str:
        return self.name


@dataclass
class SiteFault(Fault):
    """A ``Fault`` that fires only on one ``Site`` (method, path and query values)."""

    site: Site | None = None

    def matches(self, request: httpx.Request) -> bool:
        return self.site is None or self.site.matches(request)


def inject(stack: Stack, site: Site, kind: FaultKind, *, times: int) -> SiteFault:
    """``times`` faults of ``kind`` at ``site`` (Retry-After 1 s for a 429)."""
    plan: FaultPlan = stack.billit.faults if site.side == "billit" else stack.outsmart.faults
    fault = SiteFault(kind, method=site.method, times=times, retry_after="1", site=site)
    plan.faults.append(fault)
    return fault


@dataclass
class EnvelopeFault:
    """OutSmart's HTTP-200 failure (envelope ``code``, e.g. 1007) at one site; the request is
    not processed."""

    site: Site
    code: int
    times: int


class EnvelopeFaults:
    """Envelope errors by ``Site`` (so ``GetWorkorder`` reads and ``GetWorkorder`` with
    ``update_status=true`` can be told apart, which ``OutSmartFake.inject_error`` cannot)."""

    def __init__(self, fake: OutSmartFake) -> None:
        self.faults: list[EnvelopeFault] = []
        self._lock = threading.Lock()
        real = fake._process

        def process(request: httpx.Request, call: Any) -> httpx.Response:
            fault = self._take(request)
            if fault is None:
                return real(request, call)
            call.code = fault.code
            body = {"code": fault.code, "messages": ["Uncaught server error"], "response": None}
            return httpx.Response(200, json=body)

        fake._process = process  # type: ignore[method-assign]

    def add(self, site: Site, code: int = 1007, *, times: int) -> EnvelopeFault:
        fault = EnvelopeFault(site, code, times)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take(self, request: httpx.Request) -> EnvelopeFault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times != 0 and fault.site.matches(request):
                    fault.times -= 1 if fault.times > 0 else 0
                    return fault
        return None


def attempts_at(stack: Stack, site: Site) -> int:
    """Requests the fake received at ``site`` (faulted ones included)."""
    calls: list[Any] = stack.billit.calls if site.side == "billit" else stack.outsmart.calls
    probe = [
        httpx.Request(call.method, httpx.URL("https://x.test" + call.path, params=call.query))
        for call in calls
    ]
    return sum(1 for request in probe if site.matches(request))


# -------------------------------------------------------------------- AWS faults
@dataclass
class AwsFault:
    operation: str  # e.g. "UpdateItem", "GetSecretValue"
    code: str  # an AWS error code, or "EndpointConnectionError" (no connection at all)
    times: int
    when: Callable[[dict[str, Any]], bool] = lambda _request: True
    skip: int = 0  # let this many matching calls through first
    fired: int = 0


class _Http:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}
        self.content = b""
        self.text = ""


class AwsFaults:
    """AWS errors for chosen calls of one boto3 client (a ``before-call`` hook: the call never
    reaches moto, exactly as if AWS had answered with the error after botocore's own retries).

    ``calls`` records every call the client made: (operation, request body as a dict).
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.faults: list[AwsFault] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.recording = False
        self._lock = threading.Lock()
        client.meta.events.register("before-call", self._before_call)

    def close(self) -> None:
        self.client.meta.events.unregister("before-call", self._before_call)

    def add(
        self,
        operation: str,
        code: str,
        *,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
        skip: int = 0,
    ) -> AwsFault:
        fault = AwsFault(operation, code, times, when or (lambda _request: True), skip)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.calls.clear()

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        raw = params.get("body") or b"{}"
        try:
            request = json.loads(raw) if isinstance(raw, bytes | str) else {}
        except ValueError:
            request = {}
        with self._lock:
            if self.recording:
                self.calls.append((model.name, request))
            fault = self._take(model.name, request)
        if fault is None:
            return None
        if fault.code == "EndpointConnectionError":
            raise EndpointConnectionError(endpoint_url="https://aws.test")
        error = {"Error": {"Code": fault.code, "Message": "injected"}, "ResponseMetadata": {}}
        return _Http(400 if fault.code != "InternalServerError" else 500), error

    def _take(self, operation: str, request: dict[str, Any]) -> AwsFault | None:
        for fault in self.faults:
            if fault.operation != operation or fault.times == 0 or not fault.when(request):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                continue
            fault.times -= 1
            fault.fired += 1
            return fault
        return None


# ------------------------------------------------------------ no sleeping, bounded
@dataclass
class LogicalCall:
    """One ``RetryingSender.send``: how many attempts it made and how long it waited."""

    attempts: int = 1
    waited: float = 0.0
    policy: RetryPolicy = DEFAULT_POLICY


@dataclass
class RetryLog:
    calls: list[LogicalCall] = field(default_factory=list)

    def assert_bounded(self) -> None:
        """Every logical call kept to its policy: attempts and total wait."""
        assert self.calls, "no HTTP call was made"
        for call in self.calls:
            assert call.attempts <= call.policy.max_attempts, call
            assert call.waited <= call.policy.max_total_delay, call


@contextmanager
def recorded_retries(mp: pytest.MonkeyPatch) -> Iterator[RetryLog]:
    """Patch every ``RetryingSender`` to record its waits instead of sleeping."""
    log = RetryLog()
    real_send = RetryingSender.send

    def send(
        self: RetryingSender, build: Callable[[], httpx.Request], *, unsafe: bool = False
    ) -> httpx.Response:
        call = LogicalCall(policy=self.policy)
        log.calls.append(call)

        def sleep(seconds: float) -> None:
            call.attempts += 1  # every retry waits exactly once before its attempt
            call.waited += seconds

        self.sleep = sleep
        return real_send(self, build, unsafe=unsafe)

    mp.setattr(RetryingSender, "send", send)
    yield log


# ------------------------------------------------------------------- the fixture
@dataclass
class Faults:
    """Everything a fault test touches: the stack, the knobs, and what the retries did."""

    stack: Stack
    retries: RetryLog
    envelopes: EnvelopeFaults
    dynamodb: AwsFaults
    secrets: AwsFaults

    def inject(self, site: Site, kind: FaultKind | int, *, times: int) -> Any:
        """An HTTP fault, or (an ``int``) an OutSmart envelope error code, at ``site``."""
        if isinstance(kind, FaultKind):
            return inject(self.stack, site, kind, times=times)
        return self.envelopes.add(site, kind, times=times)

    def reset(self) -> None:
        self.stack.billit.faults.clear()
        self.stack.outsmart.faults.clear()
        self.envelopes.clear()
        self.dynamodb.clear()
        self.secrets.clear()
        self.dynamodb.recording = self.secrets.recording = False
        self.retries.calls.clear()
        self.stack.billit.calls.clear()
        self.stack.outsmart.calls.clear()


@contextmanager
def fault_knobs(stack: Stack, mp: pytest.MonkeyPatch) -> Iterator[Faults]:
    with recorded_retries(mp) as retries:
        dynamodb = AwsFaults(stack.services.dynamodb.meta.client)
        secrets = AwsFaults(stack.services.secretsmanager)
        try:
            yield Faults(
                stack=stack,
                retries=retries,
                envelopes=EnvelopeFaults(stack.outsmart),
                dynamodb=dynamodb,
                secrets=secrets,
            )
        finally:
            dynamodb.close()
            secrets.close()
