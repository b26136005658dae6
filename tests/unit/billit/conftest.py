"""A connected Billit client wired to the in-memory Billit fake through respx.

Nothing sleeps for real (waits are recorded), nothing leaves the process, and the fake's
clock is a number the test moves.
"""

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from pydantic import SecretStr

from billit_sync.billit import (
    BillitClient,
    BillitEndpoints,
    BillitHttp,
    BillitOAuth,
    TokenSet,
)
from billit_sync.http.retry import RetryPolicy
from billit_sync.observability import SERVICE_NAME
from tests.fakes.billit import BillitFake, RecordedCall
from tests.fakes.faults import FaultPlan

API_URL = "https://api.sandbox.billit.be"
LOGIN_URL = "https://my.sandbox.billit.be/Account/Logon"
CLIENT_ID = "outsmart-connector-test"
CLIENT_SECRET = "cs-Zq8vT3pLw0Xn"
REDIRECT_URI = "https://conn.example/oauth/callback"
EMAIL = "an@claes.example"
START = 1_716_000_000.0
# Small, fast policy: 4 attempts, and enough budget for the Retry-After of the fault knobs.
POLICY = RetryPolicy(max_attempts=4, base_delay=0.25, max_delay=2.0, max_total_delay=10.0)


class Clock:
    """The fake's clock (unix seconds), moved by tests."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


class OAuthCredentials:
    """Test credentials: a TokenSet refreshed through BillitOAuth when forced or expired."""

    def __init__(self, oauth: BillitOAuth, tokens: TokenSet, party_id: int | None, clock: Clock):
        self._oauth = oauth
        self.tokens = tokens
        self._party_id = party_id
        self._clock = clock
        self.forced_refreshes = 0
        self.proactive = True  # refresh an expired token before using it

    def access_token(self, *, force_refresh: bool = False) -> str:
        expired = self.proactive and self.tokens.expires_within(0, now=self._clock.utc())
        if force_refresh or expired:
            self.forced_refreshes += int(force_refresh)
            self.tokens = self._oauth.refresh(self.tokens.refresh_token)
        return self.tokens.access_token.get_secret_value()

    @property
    def party_id(self) -> int | None:
        return self._party_id

    @party_id.setter
    def party_id(self, value: int | None) -> None:
        self._party_id = value


@dataclass
class Harness:
    fake: BillitFake
    faults: FaultPlan
    clock: Clock
    router: respx.MockRouter
    http_client: httpx.Client
    endpoints: BillitEndpoints
    company_id: int
    waits: list[float] = field(default_factory=list)
    credentials: OAuthCredentials | None = None
    oauth: BillitOAuth = field(init=False)

    def __post_init__(self) -> None:
        self.oauth = self.make_oauth()

    @property
    def creds(self) -> OAuthCredentials:
        assert self.credentials is not None
        return self.credentials

    def connect(self, state: str = "st4te") -> TokenSet:
        location = self.fake.authorize(EMAIL, REDIRECT_URI, state)
        code = parse_qs(urlsplit(location).query)["code"][0]
        return self.oauth.exchange_code(code)

    def make_oauth(self, policy: RetryPolicy = POLICY) -> BillitOAuth:
        return BillitOAuth(
            self.http_client,
            self.endpoints,
            CLIENT_ID,
            SecretStr(CLIENT_SECRET),
            REDIRECT_URI,
            retry=policy,
            sleep=self.waits.append,
            rng=random.Random(7),
            clock=self.clock.utc,
        )

    def make_client(self, policy: RetryPolicy = POLICY) -> BillitClient:
        http = BillitHttp(
            self.http_client,
            self.endpoints,
            self.creds,
            retry=policy,
            sleep=self.waits.append,
            rng=random.Random(7),
        )
        return BillitClient(http)

    def calls(self, method: str, path: str) -> list[RecordedCall]:
        return [c for c in self.fake.calls if c.method == method and c.path == path]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan(sleep=lambda _seconds: None)


@pytest.fixture
def fake(clock: Clock, faults: FaultPlan) -> BillitFake:
    return BillitFake(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=(REDIRECT_URI,),
        clock=clock,
        faults=faults,
        page_size=120,
    )


@pytest.fixture
def router(fake: BillitFake) -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        mock.route(host=urlsplit(API_URL).hostname).mock(side_effect=fake.handle)
        mock.route(host=urlsplit(LOGIN_URL).hostname).mock(side_effect=fake.handle)
        yield mock


@pytest.fixture
def harness(
    fake: BillitFake, faults: FaultPlan, clock: Clock, router: respx.MockRouter
) -> Iterator[Harness]:
    fake.add_user(EMAIL)
    company_id = fake.add_company(EMAIL, "Claes BV", "BE0765432198")
    endpoints = BillitEndpoints(api_url=API_URL, login_url=LOGIN_URL)
    with httpx.Client() as http_client:
        h = Harness(
            fake=fake,
            faults=faults,
            clock=clock,
            router=router,
            http_client=http_client,
            endpoints=endpoints,
            company_id=company_id,
        )
        h.credentials = OAuthCredentials(h.oauth, h.connect(), company_id, clock)
        yield h


@pytest.fixture
def client(harness: Harness) -> BillitClient:
    return harness.make_client()


class CapturingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in self.records)


@pytest.fixture
def captured_logs() -> Iterator[CapturingHandler]:
    """Every record of the service's Powertools logger, at DEBUG."""
    handler = CapturingHandler()
    service_logger = logging.getLogger(SERVICE_NAME)
    previous = service_logger.level
    service_logger.addHandler(handler)
    service_logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        service_logger.removeHandler(handler)
        service_logger.setLevel(previous)
