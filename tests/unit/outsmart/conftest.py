"""Fixtures for the OutSmart client tests: the fake behind respx, a recording sleep, log capture."""

import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from billit_sync.http.retry import RetryPolicy
from billit_sync.observability import SERVICE_NAME
from billit_sync.outsmart import OutSmartClient
from billit_sync.outsmart.client import outsmart_retryable_response
from tests.fakes.faults import FaultPlan
from tests.fakes.outsmart import OutSmartFake, OutSmartTenant

BASE_URL = "https://www.out-smart.com/openapi/8"
TENANT_TOKEN = "tenant-token-5f1c9a77e2"
SOFTWARE_TOKEN = "software-token-c316c4532f"
BEARER_TOKEN = "bearer-token-9b8a7c6d5e"
SECRETS = (TENANT_TOKEN, SOFTWARE_TOKEN, BEARER_TOKEN)

MAX_ATTEMPTS = 4
TEST_POLICY = RetryPolicy(
    max_attempts=MAX_ATTEMPTS,
    base_delay=0.01,
    max_delay=0.05,
    max_total_delay=60.0,
    retryable_response=outsmart_retryable_response,
)


@dataclass
class RecordingSleep:
    """Stands in for ``time.sleep``: records the delays, never waits."""

    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class CapturedLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        """Every record's message and attributes (the extras included), as one string."""
        return "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in self.records)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def fake_sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def fake(fake_sleeps: RecordingSleep) -> OutSmartFake:
    return OutSmartFake(software_token=SOFTWARE_TOKEN, faults=FaultPlan(sleep=fake_sleeps))


@pytest.fixture
def tenant(fake: OutSmartFake) -> OutSmartTenant:
    tenant = fake.add_tenant(TENANT_TOKEN, name="acme")
    tenant.seed_example_data()
    return tenant


@pytest.fixture
def router(fake: OutSmartFake) -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        mock.route(host="www.out-smart.com").mock(side_effect=fake.handle)
        yield mock


@pytest.fixture
def http(router: respx.MockRouter) -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


MakeClient = Callable[..., OutSmartClient]


@pytest.fixture
def make_client(http: httpx.Client, sleeps: RecordingSleep) -> MakeClient:
    def make(**overrides: Any) -> OutSmartClient:
        options: dict[str, Any] = {
            "http": http,
            "base_url": BASE_URL,
            "token": SecretStr(TENANT_TOKEN),
            "software_token": SecretStr(SOFTWARE_TOKEN),
            "retry": TEST_POLICY,
            "sleep": sleeps,
            "rng": random.Random(7),
        }
        options.update(overrides)
        return OutSmartClient(**options)

    return make


@pytest.fixture
def client(make_client: MakeClient, tenant: OutSmartTenant) -> OutSmartClient:
    return make_client()


@pytest.fixture
def logs() -> Iterator[CapturedLogs]:
    """Every record the service logger emits, DEBUG included."""
    captured = CapturedLogs()
    service_logger = logging.getLogger(SERVICE_NAME)
    previous = service_logger.level
    service_logger.addHandler(captured)
    service_logger.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        service_logger.removeHandler(captured)
        service_logger.setLevel(previous)


@pytest.fixture
def scripted() -> Iterator[respx.MockRouter]:
    """A respx router without the fake, for replies the fake would never give."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def scripted_client(scripted: respx.MockRouter, sleeps: RecordingSleep) -> Iterator[OutSmartClient]:
    with httpx.Client() as http:
        yield OutSmartClient(
            http,
            BASE_URL,
            SecretStr(TENANT_TOKEN),
            SecretStr(SOFTWARE_TOKEN),
            TEST_POLICY,
            sleeps,
            rng=random.Random(7),
        )
