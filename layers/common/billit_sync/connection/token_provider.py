"""The one token provider every Billit call of a tenant goes through.

Billit access tokens live 3600 s; a refresh token works once and every refresh rotates the
pair (reference §2). Several workers (Lambda containers) may need a fresh token for the same
tenant at the same moment, and if two of them sent the same refresh token, the second would be
refused and the tenant would lose its connection. So:

- the token pair lives only in the tenant's secret; a provider caches it for its own lifetime
  (one job or invocation), and the workers' secret store keeps a copy for the container
  (``TenantSecretStore(cache_for=...)``), but nothing decides about refreshing from a copy:
  every read that leads to a refresh, a write or an expiry is ``read_fresh``;
- a refresh (less than ``refresh_margin`` left, or ``force_refresh`` after Billit answered
  ``AccessTokenExpired``) happens under the tenant's secret lease (``TenantSecretLock``), after
  re-reading the secret: when another worker already refreshed, its pair is used and Billit is
  not called;
- the new pair is written to the secret (the rest of the secret kept as it was) before the
  access token is handed out;
- when Billit refuses the refresh, or a call says the token is revoked, the connection becomes
  auth expired (``AuthExpiry``: one log-panel entry, one metric) and an ``AuthExpiredError`` is
  raised; from then on nothing sends the dead refresh token again until the tenant reconnects.

Nothing here logs or raises with a token value in it.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from billit_sync.billit import BillitAuthRevokedError, BillitGrantRefusedError, BillitOAuth
from billit_sync.connection.auth_expiry import AuthExpiry
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.errors import AuthExpiredError, OutcomeUnknownError
from billit_sync.observability import logger
from billit_sync.store import (
    AwsTransientError,
    BillitTokenRecord,
    Connection,
    ConnectionStatus,
    TenantSecret,
    TenantStore,
)
from billit_sync.store.clock import Clock, as_utc

DEFAULT_REFRESH_MARGIN = timedelta(minutes=5)
# Writing the new pair is retried a few times: the old refresh token is spent by then, so
# losing the new pair costs the tenant its connection.
_WRITE_ATTEMPTS = 3
_WRITE_RETRY_SECONDS = 0.2


class NotConnectedError(AuthExpiredError):
    """The tenant has no usable Billit connection (never connected, disconnected, or its
    authorisation expired): nothing is sent to Billit until the tenant connects again."""

    def __init__(self, message: str, *, status: ConnectionStatus | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationExpiredError(NotConnectedError):
    """Billit refused the tenant's refresh token (or said the token was revoked): the
    connection is auth expired and the user has to reconnect the integration."""


class TokenRefreshOutcomeUnknownError(OutcomeUnknownError):
    """The refresh was sent but no answer came back: Billit may have rotated the pair.

    Transient: the next attempt re-reads the secret and tries again with the stored refresh
    token. If Billit did rotate, that token is spent and will be refused, and the connection
    then goes to auth expired (the new pair Billit issued was never received, so it cannot be
    recovered; the user reconnects).
    """


class TenantTokenProvider:
    """``BillitCredentials`` for one tenant, backed by the tenant secret and its lease.

    Build one per job or invocation, each with its own ``TenantSecretLock`` (the lease is
    re-entrant for its owner, so two workers sharing one lock object would not exclude each
    other). Threads sharing one provider are serialised by the provider itself.

    The lock's ``lease_seconds`` should outlast one refresh call (the token call's timeout
    plus its 429 waits): if the lease runs out while Billit is still answering, another worker
    may send the same refresh token. A refusal is therefore double-checked against the secret
    (a pair stored meanwhile wins), but a long-enough lease is what really prevents it.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        party_id: int | None,
        lock: TenantSecretLock,
        oauth: BillitOAuth,
        auth_expiry: AuthExpiry,
        clock: Clock,
        refresh_margin: timedelta = DEFAULT_REFRESH_MARGIN,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if refresh_margin < timedelta(0):
            raise ValueError("refresh_margin must not be negative")
        self._tenant_id = tenant_id
        self._party_id = party_id
        self._lock = lock
        self._oauth = oauth
        self._auth_expiry = auth_expiry
        self._clock = clock
        self._margin = refresh_margin
        self._sleep = sleep
        self._tokens: BillitTokenRecord | None = None
        self._expired = False
        # A refresh that got no answer may have spent the refresh token: no other thread of
        # this job (the import reads two Billit lists at once) may try it again (issue 16).
        self._refresh_unanswered: TokenRefreshOutcomeUnknownError | None = None
        self._mutex = threading.Lock()

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    @property
    def party_id(self) -> int | None:
        return self._party_id

    def access_token(self, *, force_refresh: bool = False) -> str:
        """A usable access token; refreshes (under the lease) when less than the margin is
        left or when ``force_refresh`` (Billit answered ``AccessTokenExpired``).

        Raises ``NotConnectedError`` (no tokens stored), ``AuthenticationExpiredError``
        (Billit refused the refresh; the connection is now auth expired),
        ``TokenRefreshOutcomeUnknownError`` (transient: the refresh got no answer), or the
        transient errors of the lease, the secret store and the token endpoint.
        """
        with self._mutex:
            if self._expired:
                raise self._expired_error()
            if self._refresh_unanswered is not None:
                raise TokenRefreshOutcomeUnknownError(str(self._refresh_unanswered))
            tokens = self._tokens if self._tokens is not None else self._read()
            if force_refresh or self._expiring(tokens):
                tokens = self._refresh(known=tokens, force=force_refresh)
            self._tokens = tokens
            return tokens.access_token.get_secret_value()

    def report_revoked(self) -> bool:
        """Call when a Billit call raised ``BillitAuthRevokedError``: the connection becomes
        auth expired (True if this call flipped it; only that one writes the log entry).

        When the secret meanwhile holds another token than the one this provider used (the
        tenant reconnected, or another worker refreshed), the revocation concerned an old
        token: nothing is expired, the cache is dropped and False is returned.
        """
        with self._mutex:
            used = self._tokens
            self._tokens = None
            if used is not None:
                stored = self._lock.secrets.read_fresh(self._tenant_id).billit
                if stored is not None and not _same_access_token(stored, used):
                    logger.info(
                        "Billit revoked a token that is no longer the stored one; not expiring",
                        extra={"tenant_id": self._tenant_id},
                    )
                    return False
            self._expired = True
            return self._auth_expiry.expire(self._tenant_id)

    @contextmanager
    def expiring_on_revocation(self) -> Iterator[None]:
        """``with provider.expiring_on_revocation(): client...`` — a ``BillitAuthRevokedError``
        inside marks the connection auth expired (``report_revoked``) and is re-raised."""
        try:
            yield
        except BillitAuthRevokedError:
            self.report_revoked()
            raise

    # ------------------------------------------------------------------------ internals
    def _read(self) -> BillitTokenRecord:
        tokens = self._lock.secrets.read(self._tenant_id).billit
        if tokens is None:
            raise self._not_connected()
        return tokens

    def _expiring(self, tokens: BillitTokenRecord) -> bool:
        return as_utc(tokens.expires_at) - self._clock() < self._margin

    def _refresh(self, *, known: BillitTokenRecord, force: bool) -> BillitTokenRecord:
        """Under the lease: re-read, reuse another worker's refresh, or refresh and store."""
        with self._lock.held(self._tenant_id):
            secret = self._lock.secrets.read_fresh(self._tenant_id)
            stored = secret.billit
            if stored is None:
                self._tokens = None
                raise self._not_connected()
            if not _same_access_token(stored, known) and not self._expiring(stored):
                # Another worker refreshed (or the tenant reconnected) since we read.
                logger.info(
                    "Billit token already refreshed by another worker",
                    extra={"tenant_id": self._tenant_id},
                )
                return stored
            if not force and not self._expiring(stored):
                return stored  # cannot happen with a sane clock; never refresh needlessly
            self._refuse_if_auth_expired()
            return self._refresh_stored(secret, stored)

    def _refresh_stored(self, secret: TenantSecret, stored: BillitTokenRecord) -> BillitTokenRecord:
        try:
            tokens = self._oauth.refresh(stored.refresh_token)
        except BillitGrantRefusedError:
            rotated = self._rotated_meanwhile(stored)
            if rotated is not None:
                return rotated
            self._tokens = None
            self._expired = True
            self._auth_expiry.expire(self._tenant_id)
            raise self._expired_error() from None
        except OutcomeUnknownError as error:
            self._tokens = None
            logger.warning(
                "Billit token refresh got no answer; Billit may have rotated the tokens",
                extra={"tenant_id": self._tenant_id, "error": type(error).__name__},
            )
            self._refresh_unanswered = TokenRefreshOutcomeUnknownError(
                f"tenant {self._tenant_id}: the Billit token refresh got no answer; "
                "try again later (if Billit did rotate the tokens, the connection will "
                "need to be reconnected)"
            )
            raise self._refresh_unanswered from error
        refreshed = BillitTokenRecord(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
        )
        self._store(secret.model_copy(update={"billit": refreshed}))
        logger.info(
            "Billit token refreshed",
            extra={"tenant_id": self._tenant_id, "expires_at": refreshed.expires_at.isoformat()},
        )
        return refreshed

    def _store(self, secret: TenantSecret) -> None:
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                self._lock.secrets.write(self._tenant_id, secret)
                return
            except AwsTransientError:
                if attempt == _WRITE_ATTEMPTS:
                    # The old refresh token is spent and the new pair is lost: the next
                    # refresh will be refused and the tenant will have to reconnect.
                    logger.error(
                        "could not store the refreshed Billit tokens",
                        extra={"tenant_id": self._tenant_id},
                    )
                    self._tokens = None
                    raise
                self._sleep(_WRITE_RETRY_SECONDS * attempt)

    def _rotated_meanwhile(self, used: BillitTokenRecord) -> BillitTokenRecord | None:
        """After a refusal: did someone store a new pair meanwhile (our lease ran out while we
        waited for Billit, and another worker refreshed)? Then the refusal is not the user's."""
        stored = self._lock.secrets.read_fresh(self._tenant_id).billit
        if stored is None or stored.refresh_token == used.refresh_token:
            return None
        logger.warning(
            "Billit refused a refresh token another worker had already rotated",
            extra={"tenant_id": self._tenant_id},
        )
        return stored

    def _refuse_if_auth_expired(self) -> None:
        """Never send a refresh token Billit already refused: once the connection is auth
        expired, only a reconnect (new tokens in the secret) makes it usable again."""
        connection = self._auth_expiry.tenants.get_connection(self._tenant_id)
        if connection.status is ConnectionStatus.AUTH_EXPIRED:
            self._tokens = None
            self._expired = True
            raise self._expired_error()

    def _not_connected(self) -> NotConnectedError:
        return NotConnectedError(f"tenant {self._tenant_id}: not connected to Billit")

    def _expired_error(self) -> AuthenticationExpiredError:
        return AuthenticationExpiredError(
            f"tenant {self._tenant_id}: Billit authentication expired; "
            "reconnect the integration to sync data",
            status=ConnectionStatus.AUTH_EXPIRED,
        )

    def __repr__(self) -> str:
        return f"TenantTokenProvider(tenant_id={self._tenant_id!r}, party_id={self._party_id})"


def _same_access_token(a: BillitTokenRecord, b: BillitTokenRecord) -> bool:
    return a.access_token == b.access_token


def ensure_connected(tenants: TenantStore, tenant_id: str) -> Connection:
    """The tenant's connection if it is connected; call first in every job that talks to
    Billit, so a tenant that is auth expired (or disconnected) never reaches Billit.

    Raises ``AuthenticationExpiredError`` for auth expired and ``NotConnectedError`` (its
    base) for never connected or disconnected.
    """
    return require_connected(tenants.get_connection(tenant_id))


def require_connected(connection: Connection) -> Connection:
    """``ensure_connected`` for a connection already read (e.g. with the settings)."""
    if connection.is_connected:
        return connection
    tenant_id = connection.tenant_id
    if connection.status is ConnectionStatus.AUTH_EXPIRED:
        raise AuthenticationExpiredError(
            f"tenant {tenant_id}: Billit authentication expired; "
            "reconnect the integration to sync data",
            status=connection.status,
        )
    raise NotConnectedError(
        f"tenant {tenant_id}: not connected to Billit ({connection.status.value})",
        status=connection.status,
    )
