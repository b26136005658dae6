"""The tenant token provider against moto (secret, leases, connection, log panel) and the
Billit fake (rotating, single-use refresh tokens).

Every test also checks, on teardown, that no token, code or secret shows up in any record of
the service's logger; tests that expect an error check its text (and its causes) too.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from billit_sync import messages
from billit_sync.billit import AccountInformation, BillitAuthRevokedError, BillitGrantRefusedError
from billit_sync.connection.secret_lock import SECRET_LEASE_NAME, SecretBusyError
from billit_sync.connection.token_provider import (
    AuthenticationExpiredError,
    NotConnectedError,
    TokenRefreshOutcomeUnknownError,
    ensure_connected,
)
from billit_sync.errors import AuthExpiredError, OutcomeUnknownError, TransientError
from billit_sync.store import BillitTokenRecord, ConnectionStatus, SyncLogEntry
from tests.fakes.faults import FaultKind, FaultPlan
from tests.integration.connection.conftest import (
    CLIENT_SECRET,
    OUTSMART_TOKEN,
    OUTSMART_WEBHOOK_SECRET,
    TENANT,
    WEBHOOK_SECRET,
    ConnectionHarness,
)
from tests.unit.billit.conftest import CapturingHandler

LIFETIME = 3600
NEARLY_EXPIRED = LIFETIME - 4 * 60  # into the last five minutes of the access token's life
OTHER_TENANT = "globex"


# ------------------------------------------------------------------------------- helpers
def secret_values(harness: ConnectionHarness) -> set[str]:
    """Every token and code the fake ever issued, and the secrets stored next to the pair."""
    oauth = harness.fake._oauth
    issued = set(oauth._access) | set(oauth._refresh) | set(oauth._codes)
    return issued | {CLIENT_SECRET, OUTSMART_TOKEN, WEBHOOK_SECRET, OUTSMART_WEBHOOK_SECRET}


def error_text(error: BaseException) -> str:
    """The error and everything chained to it, as a log line or a traceback shows them."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < 30:
        parts += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def assert_no_secrets(harness: ConnectionHarness, text: str) -> None:
    leaked = sorted(value for value in secret_values(harness) if value in text)
    assert not leaked, f"{len(leaked)} secret value(s) leaked"


@pytest.fixture(autouse=True)
def no_secrets_in_logs(
    harness: ConnectionHarness, captured_logs: CapturingHandler
) -> Iterator[None]:
    yield
    assert_no_secrets(harness, captured_logs.text())


def auth_expired_entries(harness: ConnectionHarness) -> list[SyncLogEntry]:
    entries = harness.sync_log.page(TENANT, limit=100).entries
    return [entry for entry in entries if entry.message_key == messages.AUTH_EXPIRED]


def bearer_must_be_stored(harness: ConnectionHarness) -> Callable[[httpx.Request], None]:
    """A hook that fails any API call whose bearer token is not yet in Secrets Manager."""

    def check(request: httpx.Request) -> None:
        if request.url.path.startswith("/v1/"):
            _, _, token = request.headers.get("Authorization", "").partition(" ")
            stored = harness.stored_tokens().access_token.get_secret_value()
            assert token == stored, "an access token was used before it was stored"

    return check


def refresh_token_is_refused(harness: ConnectionHarness, refresh_token: SecretStr) -> bool:
    try:
        harness.oauth.refresh(refresh_token)
    except BillitGrantRefusedError:
        return True
    return False


# ---------------------------------------------------------------------------- refreshing
def test_fresh_token_is_used_without_refresh(harness: ConnectionHarness) -> None:
    tokens = harness.connect()
    harness.clock.advance(LIFETIME - 10 * 60)
    provider = harness.provider()

    assert provider.access_token() == tokens.access_token.get_secret_value()
    assert provider.party_id == harness.company_id
    info = harness.client(provider).account.get_account_information()

    assert info.email is not None
    assert harness.fake.refresh_count() == 0
    assert harness.leases.holder(TENANT, SECRET_LEASE_NAME) is None


def test_expiring_token_is_refreshed_once_and_stored_before_use(
    harness: ConnectionHarness, captured_logs: CapturingHandler
) -> None:
    tokens = harness.connect()
    before = harness.stored()
    harness.clock.advance(NEARLY_EXPIRED)
    harness.wire.before.append(bearer_must_be_stored(harness))
    provider = harness.provider()

    token = provider.access_token()
    harness.client(provider).account.get_account_information()
    assert provider.access_token() == token  # fresh now: no second refresh

    assert harness.fake.refresh_count() == 1
    assert token != tokens.access_token.get_secret_value()
    after = harness.stored()
    assert after.billit is not None
    assert after.billit.access_token.get_secret_value() == token
    assert after.billit.refresh_token != tokens.refresh_token  # rotated
    assert after.billit.expires_at == harness.clock() + timedelta(seconds=LIFETIME)
    # Everything else in the secret is as it was.
    assert after.model_copy(update={"billit": None}) == before.model_copy(update={"billit": None})
    assert after.outsmart_token == SecretStr(OUTSMART_TOKEN)
    assert after.webhook_secrets == {"17": SecretStr(WEBHOOK_SECRET)}
    assert after.outsmart_webhook_secret == SecretStr(OUTSMART_WEBHOOK_SECRET)
    assert harness.leases.holder(TENANT, SECRET_LEASE_NAME) is None

    refreshed = [r for r in captured_logs.records if r.getMessage() == "Billit token refreshed"]
    assert len(refreshed) == 1
    assert refreshed[0].levelno == logging.INFO
    assert refreshed[0].__dict__["tenant_id"] == TENANT


def test_an_hour_later_the_refresh_rotates_again(harness: ConnectionHarness) -> None:
    harness.connect()
    harness.clock.advance(NEARLY_EXPIRED)
    harness.provider().access_token()
    first = harness.stored_tokens()

    harness.clock.advance(LIFETIME)  # an hour later: the first refreshed token has expired
    provider = harness.provider()  # another invocation
    info = harness.client(provider).account.get_account_information()

    assert info.email is not None
    assert harness.fake.refresh_count() == 2
    second = harness.stored_tokens()
    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    assert provider.access_token() == second.access_token.get_secret_value()
    # Rotation: the refresh token spent an hour ago is dead at Billit.
    assert refresh_token_is_refused(harness, first.refresh_token)


def test_force_refresh_after_another_worker_rotated_does_not_refresh_again(
    harness: ConnectionHarness,
) -> None:
    harness.connect()
    harness.clock.advance(LIFETIME - 30 * 60)
    slow, quick = harness.provider(), harness.provider()
    old = slow.access_token()
    assert quick.access_token() == old

    new = quick.access_token(force_refresh=True)  # e.g. Billit said AccessTokenExpired
    assert harness.fake.refresh_count() == 1
    assert slow.access_token(force_refresh=True) == new  # the stored pair, not a refresh

    assert harness.fake.refresh_count() == 1
    assert harness.stored_tokens().access_token.get_secret_value() == new


def test_access_token_expired_answer_forces_one_refresh(harness: ConnectionHarness) -> None:
    """Billit says ``AccessTokenExpired`` while our clock thinks the token is fresh."""
    tokens = harness.connect()
    skewed = harness.stored().model_copy(
        update={
            "billit": BillitTokenRecord(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                expires_at=tokens.expires_at + timedelta(hours=2),
            )
        }
    )
    harness.secrets.write(TENANT, skewed)
    harness.clock.advance(LIFETIME + 60)
    provider = harness.provider()

    info = harness.client(provider).account.get_account_information()

    assert info.email is not None
    assert harness.fake.refresh_count() == 1
    assert provider.access_token() == harness.stored_tokens().access_token.get_secret_value()


class Serialized:
    """Runs every method call on the wrapped boto3 object under one shared lock.

    Real DynamoDB and Secrets Manager apply each request atomically (a conditional put either
    wins or fails as a whole); moto's in-process backends are plain Python objects that threads
    can interleave inside. Serialising whole requests models the real services' per-request
    atomicity, and nothing more: the workers still race for the lease request by request.
    """

    def __init__(self, target: object, mutex: threading.RLock) -> None:
        self._target = target
        self._mutex = mutex

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._mutex:
                return attribute(*args, **kwargs)

        return call


def serialized(harness: ConnectionHarness) -> ConnectionHarness:
    """The same world with DynamoDB and Secrets Manager requests atomic, as in AWS."""
    mutex = threading.RLock()
    return harness.with_aws(
        Serialized(harness.table, mutex),
        Serialized(harness.sync_log_table, mutex),
        Serialized(harness.secrets_client, mutex),
    )


def test_ten_workers_needing_a_refresh_at_once_refresh_once(harness: ConnectionHarness) -> None:
    """Ten Lambda containers (each its own provider and lease owner) over one lease table."""
    old = harness.connect().access_token.get_secret_value()
    shared = serialized(harness)
    # Waiting for the lease really waits here, so the holder can finish meanwhile.
    providers = [
        shared.provider(lock=shared.lock(sleep=time.sleep, poll_seconds=0.01, wait_seconds=60))
        for _ in range(10)
    ]
    assert {provider.access_token() for provider in providers} == {old}  # all hold the old one
    harness.clock.advance(NEARLY_EXPIRED)  # ... and now all of them need a refresh
    start = threading.Barrier(len(providers))

    def worker(provider: Any) -> tuple[str, AccountInformation]:
        start.wait()
        token: str = provider.access_token()
        return token, shared.client(provider).account.get_account_information()

    with ThreadPoolExecutor(max_workers=len(providers)) as pool:
        results = list(pool.map(worker, providers))

    assert harness.fake.refresh_count() == 1
    tokens = {token for token, _ in results}
    assert len(tokens) == 1
    assert tokens != {old}
    assert tokens == {harness.stored_tokens().access_token.get_secret_value()}
    for _, info in results:
        assert [company.party_id for company in info.companies] == [harness.company_id]
    assert harness.leases.holder(TENANT, SECRET_LEASE_NAME) is None
    assert harness.tenants.get_connection(TENANT).status is ConnectionStatus.CONNECTED


def test_threads_sharing_one_provider_refresh_once(harness: ConnectionHarness) -> None:
    """One provider (one lease owner, and the lease is re-entrant) used by several threads."""
    harness.connect()
    shared = serialized(harness)
    provider = shared.provider()
    provider.access_token()
    harness.clock.advance(NEARLY_EXPIRED)
    start = threading.Barrier(5)

    def worker(_: int) -> str:
        start.wait()
        return provider.access_token()

    with ThreadPoolExecutor(max_workers=5) as pool:
        tokens = set(pool.map(worker, range(5)))

    assert harness.fake.refresh_count() == 1
    assert tokens == {harness.stored_tokens().access_token.get_secret_value()}


def test_lease_held_elsewhere_means_busy_and_no_refresh(harness: ConnectionHarness) -> None:
    harness.connect()
    harness.clock.advance(NEARLY_EXPIRED)
    assert harness.leases.acquire(TENANT, SECRET_LEASE_NAME, "stuck-worker", 30)

    with pytest.raises(SecretBusyError) as caught:
        harness.provider().access_token()

    assert isinstance(caught.value, TransientError)
    assert harness.fake.refresh_count() == 0
    assert_no_secrets(harness, error_text(caught.value))


# -------------------------------------------------------------------- refusal and expiry
def spend_refresh_token_elsewhere(harness: ConnectionHarness) -> None:
    """A copy of the refresh token was used outside the secret: Billit rotated it away."""
    harness.oauth.refresh(harness.stored_tokens().refresh_token)


def revoke_at_billit(harness: ConnectionHarness) -> None:
    """The user disconnected the application in Billit."""
    harness.fake.revoke_user_tokens("an@claes.example")


@pytest.mark.parametrize("refuse", [revoke_at_billit, spend_refresh_token_elsewhere])
def test_refused_refresh_expires_the_connection_once(
    harness: ConnectionHarness, refuse: Callable[[ConnectionHarness], None]
) -> None:
    harness.connect()
    providers = [harness.provider() for _ in range(3)]
    for provider in providers:
        provider.access_token()
    refuse(harness)
    refreshes = len(harness.token_calls())
    harness.clock.advance(NEARLY_EXPIRED)

    errors: list[AuthExpiredError] = []
    for provider in providers:
        with pytest.raises(AuthenticationExpiredError) as caught:
            provider.access_token()
        errors.append(caught.value)

    # One refresh reached Billit; the others saw the auth-expired connection under the lease.
    assert len(harness.token_calls()) == refreshes + 1
    connection = harness.tenants.get_connection(TENANT)
    assert connection.status is ConnectionStatus.AUTH_EXPIRED
    entries = auth_expired_entries(harness)
    assert len(entries) == 1
    assert messages.render(entries[0].message_key, entries[0].params, "en") == (
        "Authentication expired. Reconnect the integration to sync data."
    )
    assert harness.leases.holder(TENANT, SECRET_LEASE_NAME) is None

    # From now on nothing reaches Billit: not the same providers, not a new one, not a job.
    calls = len(harness.fake.calls)
    for provider in [*providers, harness.provider()]:
        with pytest.raises(AuthenticationExpiredError) as caught:
            provider.access_token(force_refresh=True)
        errors.append(caught.value)
    with pytest.raises(NotConnectedError) as not_connected:
        ensure_connected(harness.tenants, TENANT)
    errors.append(not_connected.value)
    assert isinstance(not_connected.value, AuthenticationExpiredError)
    assert not_connected.value.status is ConnectionStatus.AUTH_EXPIRED
    assert len(harness.fake.calls) == calls
    assert len(auth_expired_entries(harness)) == 1
    for error in errors:
        assert isinstance(error, AuthExpiredError)
        assert_no_secrets(harness, error_text(error))


def test_revoked_token_reported_by_three_workers_expires_once(
    harness: ConnectionHarness,
) -> None:
    harness.connect()
    providers = [harness.provider() for _ in range(3)]
    revoke_at_billit(harness)

    for provider in providers:
        with pytest.raises(BillitAuthRevokedError) as caught, provider.expiring_on_revocation():
            harness.client(provider).account.get_account_information()
        assert_no_secrets(harness, error_text(caught.value))
    flipped = [provider.report_revoked() for provider in providers]

    assert flipped == [False, False, False]  # already flipped by the context manager
    assert harness.tenants.get_connection(TENANT).status is ConnectionStatus.AUTH_EXPIRED
    assert len(auth_expired_entries(harness)) == 1
    assert harness.fake.refresh_count() == 0
    calls = len(harness.fake.calls)
    with pytest.raises(AuthenticationExpiredError):
        providers[0].access_token()
    assert len(harness.fake.calls) == calls


def test_report_revoked_flips_once(harness: ConnectionHarness) -> None:
    harness.connect()
    providers = [harness.provider() for _ in range(3)]
    for provider in providers:
        provider.access_token()
    assert [provider.report_revoked() for provider in providers] == [True, False, False]
    assert len(auth_expired_entries(harness)) == 1


def test_revocation_of_a_replaced_token_does_not_expire_the_new_connection(
    harness: ConnectionHarness,
) -> None:
    """A job still holding the token of before a reconnect must not expire the new one."""
    harness.connect()
    provider = harness.provider()
    provider.access_token()
    harness.connect()  # the tenant reconnected meanwhile: new tokens in the secret

    assert provider.report_revoked() is False

    assert harness.tenants.get_connection(TENANT).status is ConnectionStatus.CONNECTED
    assert auth_expired_entries(harness) == []
    assert provider.access_token() == harness.stored_tokens().access_token.get_secret_value()


# ------------------------------------------------------------------------- not connected
def test_never_connected_tenant_never_reaches_billit(harness: ConnectionHarness) -> None:
    with pytest.raises(NotConnectedError) as caught:
        harness.provider(OTHER_TENANT).access_token()
    assert not isinstance(caught.value, AuthenticationExpiredError)
    with pytest.raises(NotConnectedError) as by_status:
        ensure_connected(harness.tenants, OTHER_TENANT)

    assert by_status.value.status is ConnectionStatus.NEVER_CONNECTED
    assert harness.fake.calls == []
    assert isinstance(caught.value, AuthExpiredError)
    assert_no_secrets(harness, error_text(caught.value) + error_text(by_status.value))


def test_disconnected_tenant_never_reaches_billit(harness: ConnectionHarness) -> None:
    harness.connect()
    provider = harness.provider()
    provider.access_token()
    # What disconnect leaves: no Billit tokens (the OutSmart token stays), status disconnected.
    harness.secrets.write(TENANT, harness.stored().model_copy(update={"billit": None}))
    assert harness.tenants.mark_disconnected(TENANT)
    calls = len(harness.fake.calls)
    harness.clock.advance(NEARLY_EXPIRED)

    with pytest.raises(NotConnectedError):
        provider.access_token()  # its cached token needs a refresh: the re-read finds none
    with pytest.raises(NotConnectedError):
        harness.provider().access_token()
    with pytest.raises(NotConnectedError) as by_status:
        ensure_connected(harness.tenants, TENANT)

    assert by_status.value.status is ConnectionStatus.DISCONNECTED
    assert len(harness.fake.calls) == calls
    assert harness.leases.holder(TENANT, SECRET_LEASE_NAME) is None


def test_ensure_connected_returns_the_connection(harness: ConnectionHarness) -> None:
    harness.connect()
    connection = ensure_connected(harness.tenants, TENANT)
    assert connection.is_connected
    assert connection.party_id == str(harness.company_id)


# ------------------------------------------------------------------- outcome unknown
def test_refresh_without_answer_is_transient_and_not_repeated(
    harness: ConnectionHarness, faults: FaultPlan
) -> None:
    harness.connect()
    harness.clock.advance(NEARLY_EXPIRED)
    before = harness.stored().to_secret_string()
    refreshes = len(harness.token_calls())
    faults.add(FaultKind.TIMEOUT_AFTER_SEND, method="POST", path="/OAuth2/token")
    provider = harness.provider()

    with pytest.raises(TokenRefreshOutcomeUnknownError) as caught:
        provider.access_token()

    assert isinstance(caught.value, OutcomeUnknownError)
    assert isinstance(caught.value, TransientError)
    assert len(harness.token_calls()) == refreshes + 1  # not repeated in that call
    assert harness.stored().to_secret_string() == before  # nothing stored
    assert harness.tenants.get_connection(TENANT).status is ConnectionStatus.CONNECTED
    assert auth_expired_entries(harness) == []
    assert harness.leases.holder(TENANT, SECRET_LEASE_NAME) is None
    assert_no_secrets(harness, error_text(caught.value))

    # Another thread of the same job (the import reads two Billit lists at once) must not
    # spend the refresh token again: it gets the same transient error, without a call.
    with pytest.raises(TokenRefreshOutcomeUnknownError):
        provider.access_token()
    assert len(harness.token_calls()) == refreshes + 1
    assert harness.tenants.get_connection(TENANT).status is ConnectionStatus.CONNECTED

    # The fake did rotate (the answer was lost), so the stored refresh token is spent: the
    # next job's attempt is refused and the connection goes to auth expired. This is the
    # honest cost of an unknown outcome with single-use refresh tokens.
    assert harness.fake.refresh_count() == 1
    with pytest.raises(AuthenticationExpiredError):
        harness.provider().access_token()
    assert harness.tenants.get_connection(TENANT).status is ConnectionStatus.AUTH_EXPIRED
    assert len(auth_expired_entries(harness)) == 1


def test_refresh_lost_before_sending_is_retried_and_succeeds(
    harness: ConnectionHarness, faults: FaultPlan
) -> None:
    harness.connect()
    harness.clock.advance(NEARLY_EXPIRED)
    faults.add(FaultKind.CONNECT_ERROR, method="POST", path="/OAuth2/token")

    token = harness.provider().access_token()

    assert harness.fake.refresh_count() == 1
    assert token == harness.stored_tokens().access_token.get_secret_value()


# -------------------------------------------------------------------------- secrecy
def test_provider_repr_and_state_hold_no_token(harness: ConnectionHarness) -> None:
    harness.connect()
    provider = harness.provider()
    provider.access_token()
    assert_no_secrets(harness, repr(provider) + str(vars(provider)) + repr(harness.stored()))
