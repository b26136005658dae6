"""Fixtures for the connection tests: moto (the store fixtures) plus the Billit fake via respx.

One clock drives everything: the stores, ``BillitOAuth`` (token expiry) and the fake (which
reads the same instant as unix seconds), so ``clock.advance(3600)`` is "an hour later" for
the service and for Billit alike. Nothing sleeps for real unless a test asks for it.
"""

import dataclasses
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from mypy_boto3_dynamodb.service_resource import Table
from mypy_boto3_secretsmanager import SecretsManagerClient
from pydantic import SecretStr

from billit_sync.billit import BillitClient, BillitEndpoints, BillitHttp, BillitOAuth, TokenSet
from billit_sync.connection.auth_expiry import AuthExpiry
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.connection.token_provider import TenantTokenProvider
from billit_sync.http.retry import RetryPolicy
from billit_sync.store import (
    BillitCompany,
    BillitTokenRecord,
    LeaseStore,
    SyncLogStore,
    TenantSecret,
    TenantSecretStore,
    TenantStore,
)
from tests.fakes.billit import BillitFake, RecordedCall
from tests.fakes.faults import FaultPlan
from tests.integration.store import conftest as store_fixtures
from tests.integration.store.conftest import FakeClock
from tests.unit.billit import conftest as billit_fixtures

# Shared, not copied: moto and the movable clock from the store tests, the log capture from
# the Billit client tests.
aws = store_fixtures.aws
tables = store_fixtures.tables
table = store_fixtures.table
sync_log_table = store_fixtures.sync_log_table
secrets_client = store_fixtures.secrets_client
clock = store_fixtures.clock
captured_logs = billit_fixtures.captured_logs

API_URL = "https://api.sandbox.billit.be"
LOGIN_URL = "https://my.sandbox.billit.be/Account/Logon"
CLIENT_ID = "outsmart-connector-test"
CLIENT_SECRET = "cs-Wv7pR2kLq9Tz"
REDIRECT_URI = "https://conn.example/oauth/callback"
SECRET_PREFIX = "outsmart-billit/test/tenants/"
EMAIL = "an@claes.example"
TENANT = "acme"
TOKEN_PATH = "/OAuth2/token"
# OutSmart token and webhook secrets stored next to the Billit pair (must survive refreshes).
OUTSMART_TOKEN = "os-token-5kX2"
WEBHOOK_SECRET = "whsec-Pq81"
OUTSMART_WEBHOOK_SECRET = "os-hook-Yt40"
POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_total_delay=1.0)


@dataclass
class BillitWire:
    """The respx route to the fake; ``before`` hooks see every request before the fake."""

    fake: BillitFake
    before: list[Callable[[httpx.Request], None]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        for hook in self.before:
            hook(request)
        return self.fake.handle(request)


@dataclass
class ConnectionHarness:
    """A tenant's world: stores over moto, the Billit fake, and providers built like the
    handlers build them. ``dataclasses.replace`` with other AWS objects rebuilds the stores."""

    table: Table
    sync_log_table: Table
    secrets_client: SecretsManagerClient
    clock: FakeClock
    fake: BillitFake
    wire: BillitWire
    company_id: int
    http_client: httpx.Client
    waits: list[float] = field(default_factory=list)
    tenants: TenantStore = field(init=False)
    sync_log: SyncLogStore = field(init=False)
    leases: LeaseStore = field(init=False)
    secrets: TenantSecretStore = field(init=False)
    auth_expiry: AuthExpiry = field(init=False)
    oauth: BillitOAuth = field(init=False)
    endpoints: BillitEndpoints = field(init=False)

    def __post_init__(self) -> None:
        self.tenants = TenantStore(self.table, self.clock)
        self.sync_log = SyncLogStore(self.sync_log_table, self.clock)
        self.leases = LeaseStore(self.table, self.clock)
        self.secrets = TenantSecretStore(self.secrets_client, SECRET_PREFIX)
        self.auth_expiry = AuthExpiry(self.tenants, self.sync_log)
        self.endpoints = BillitEndpoints(api_url=API_URL, login_url=LOGIN_URL)
        self.oauth = BillitOAuth(
            self.http_client,
            self.endpoints,
            CLIENT_ID,
            SecretStr(CLIENT_SECRET),
            REDIRECT_URI,
            retry=POLICY,
            sleep=self.waits.append,
            rng=random.Random(7),
            clock=self.clock,
        )

    def with_aws(self, table: Any, sync_log_table: Any, secrets_client: Any) -> "ConnectionHarness":
        """The same world over other AWS objects (e.g. proxies), sharing fake and clock."""
        return dataclasses.replace(
            self, table=table, sync_log_table=sync_log_table, secrets_client=secrets_client
        )

    def connect(self, tenant_id: str = TENANT) -> TokenSet:
        """What the OAuth callback leaves behind: tokens (next to the tenant's other secrets)
        in the tenant secret and a connected connection."""
        location = self.fake.authorize(EMAIL, REDIRECT_URI, "st4te")
        code = parse_qs(urlsplit(location).query)["code"][0]
        tokens = self.oauth.exchange_code(code)
        self.secrets.write(
            tenant_id,
            TenantSecret(
                outsmart_token=SecretStr(OUTSMART_TOKEN),
                billit=BillitTokenRecord(
                    access_token=tokens.access_token,
                    refresh_token=tokens.refresh_token,
                    expires_at=tokens.expires_at,
                ),
                webhook_secrets={"17": SecretStr(WEBHOOK_SECRET)},
                outsmart_webhook_secret=SecretStr(OUTSMART_WEBHOOK_SECRET),
            ),
        )
        self.tenants.register(tenant_id, "en")
        self.tenants.save_connected(
            tenant_id,
            party_id=str(self.company_id),
            company_name="Claes BV",
            companies=[BillitCompany(party_id=str(self.company_id), name="Claes BV")],
            environment="sandbox",
        )
        return tokens

    def lock(
        self,
        *,
        sleep: Callable[[float], None] | None = None,
        poll_seconds: float = 0.2,
        wait_seconds: float = 25.0,
    ) -> TenantSecretLock:
        """A worker's lock (its own lease owner) over the shared lease table."""
        return TenantSecretLock(
            self.leases,
            self.secrets,
            self.clock,
            sleep=sleep if sleep is not None else self.waits.append,
            poll_seconds=poll_seconds,
            wait_seconds=wait_seconds,
        )

    def provider(
        self, tenant_id: str = TENANT, *, lock: TenantSecretLock | None = None
    ) -> TenantTokenProvider:
        """A provider as one Lambda invocation builds it."""
        return TenantTokenProvider(
            tenant_id=tenant_id,
            party_id=self.company_id,
            lock=lock if lock is not None else self.lock(),
            oauth=self.oauth,
            auth_expiry=self.auth_expiry,
            clock=self.clock,
            sleep=self.waits.append,
        )

    def client(self, provider: TenantTokenProvider) -> BillitClient:
        http = BillitHttp(
            self.http_client,
            self.endpoints,
            provider,
            retry=POLICY,
            sleep=self.waits.append,
            rng=random.Random(7),
        )
        return BillitClient(http)

    def stored(self, tenant_id: str = TENANT) -> TenantSecret:
        return self.secrets.read(tenant_id)

    def stored_tokens(self, tenant_id: str = TENANT) -> BillitTokenRecord:
        tokens = self.stored(tenant_id).billit
        assert tokens is not None
        return tokens

    def token_calls(self) -> list[RecordedCall]:
        return [c for c in self.fake.calls if c.method == "POST" and c.path == TOKEN_PATH]


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan(sleep=lambda _seconds: None)


@pytest.fixture
def fake(clock: FakeClock, faults: FaultPlan) -> BillitFake:
    """The Billit fake on the tests' clock (the same instant, as unix seconds)."""
    fake = BillitFake(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=(REDIRECT_URI,),
        clock=lambda: clock().timestamp(),
        faults=faults,
    )
    fake.add_user(EMAIL)
    return fake


@pytest.fixture
def billit_wire(fake: BillitFake) -> Iterator[BillitWire]:
    """Every request to the Billit hosts goes to the fake; nothing else may be called."""
    wire = BillitWire(fake)
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        for url in (API_URL, LOGIN_URL):
            mock.route(host=urlsplit(url).hostname).mock(side_effect=wire.handle)
        yield wire


@pytest.fixture
def harness(
    table: Table,
    sync_log_table: Table,
    secrets_client: SecretsManagerClient,
    clock: FakeClock,
    billit_wire: BillitWire,
) -> Iterator[ConnectionHarness]:
    fake = billit_wire.fake
    company_id = fake.add_company(EMAIL, "Claes BV", "BE0765432198")
    with httpx.Client() as http_client:
        yield ConnectionHarness(
            table=table,
            sync_log_table=sync_log_table,
            secrets_client=secrets_client,
            clock=clock,
            fake=fake,
            wire=billit_wire,
            company_id=company_id,
            http_client=http_client,
        )
