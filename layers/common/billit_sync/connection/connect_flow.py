"""Connecting a tenant to Billit: ``/connect`` sends the browser to Billit's login, and
``/oauth/callback`` turns Billit's answer into a stored connection.

The OAuth ``state`` (256 random bits) is stored with the tenant and the return URL for ten
minutes and consumed exactly once, so a forged, expired or replayed callback never exchanges
a code or stores anything.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from billit_sync import messages
from billit_sync.billit import (
    BillitClient,
    BillitCredentials,
    BillitGrantRefusedError,
    BillitOAuth,
    StaticCredentials,
)
from billit_sync.billit.oauth import TokenSet
from billit_sync.connection.return_urls import check_return_url, with_result
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.connection.webhook_subscriptions import WebhookSubscriptions
from billit_sync.errors import BadInputError, IntegrationError
from billit_sync.jobs_queue import JobQueue
from billit_sync.observability import logger
from billit_sync.store import (
    BillitCompany,
    BillitTokenRecord,
    OAuthStateStore,
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantSecret,
    TenantStore,
)
from billit_sync.store.clock import Clock
from billit_sync.webhooks.reconcile import ReconcileJob

STATE_BYTES = 32  # 256 bits
STATE_TTL = timedelta(minutes=10)

BillitClientFactory = Callable[[BillitCredentials], BillitClient]


class UnknownTenantError(BadInputError):
    """The tenant has not been registered (answered with 404)."""


class InvalidStateError(BadInputError):
    """Unknown, expired or already used OAuth state (answered with a 400 page)."""


def _text(value: str | None) -> str | None:
    """A query value, or None when it is not text at all (a lone surrogate from a bad
    percent-escape): no genuine state, code or error looks like that."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass
class ConnectFlow:
    tenants: TenantStore
    states: OAuthStateStore
    oauth: BillitOAuth
    billit: BillitClientFactory
    secret_lock: TenantSecretLock
    sync_log: SyncLogStore
    webhooks: WebhookSubscriptions
    environment: str
    return_url_allow_list: tuple[str, ...]
    clock: Clock
    # Queues the tenant's reconcile right after (re)connecting: what happened to its invoices
    # while it was disconnected or expired is read back at once (issue 13).
    reconcile_jobs: Callable[[], JobQueue[ReconcileJob]] | None = None

    def start(self, tenant_id: str, return_url: str | None) -> Redirect:
        """Where to send the browser: Billit's login with a fresh, stored state."""
        checked_return_url = check_return_url(return_url, self.return_url_allow_list)
        if self.tenants.get(tenant_id) is None:
            raise UnknownTenantError("this tenant is not registered with the integration")
        state = secrets.token_urlsafe(STATE_BYTES)
        self.states.put(
            state, tenant_id, checked_return_url, ttl_seconds=int(STATE_TTL.total_seconds())
        )
        logger.info("sending browser to the Billit login", extra={"tenant_id": tenant_id})
        return Redirect(self.oauth.authorize_url(state))

    def complete(self, *, state: str | None, code: str | None, error: str | None) -> Redirect:
        """Finish the login. Only a valid, unused state gets past the first line."""
        state, code, error = _text(state), _text(code), _text(error)
        pending = self.states.consume(state or "")
        if pending is None:
            raise InvalidStateError(
                "This Billit login link is unknown, has expired or was already used."
            )
        tenant_id, return_url = pending.tenant_id, pending.return_url
        if error or not code:
            reason = "access_denied" if error == "access_denied" else "billit_error"
            logger.info(
                "Billit login not completed", extra={"tenant_id": tenant_id, "reason": reason}
            )
            return Redirect(with_result(return_url, "not_connected", reason))
        try:
            tokens = self.oauth.exchange_code(code)
            return Redirect(self._connect(tenant_id, tokens, return_url))
        except BillitGrantRefusedError:
            logger.warning("Billit refused the login code", extra={"tenant_id": tenant_id})
            return Redirect(with_result(return_url, "not_connected", "login_expired"))
        except IntegrationError as failure:
            logger.warning(
                "connecting to Billit failed",
                extra={"tenant_id": tenant_id, "error": type(failure).__name__},
            )
            return Redirect(with_result(return_url, "error", "billit_unavailable"))

    def _queue_reconcile(self, tenant_id: str) -> None:
        """Best effort: the hourly schedule catches up anyway."""
        if self.reconcile_jobs is None:
            return
        try:
            self.reconcile_jobs().send(ReconcileJob(tenant_id=tenant_id, trigger="reconnect"))
        except IntegrationError as failure:
            logger.warning(
                "reconcile after connecting not queued; the schedule runs it",
                extra={"tenant_id": tenant_id, "error": type(failure).__name__},
            )

    def _connect(self, tenant_id: str, tokens: TokenSet, return_url: str) -> str:
        access_token = tokens.access_token.get_secret_value()
        previous = self.tenants.get_connection(tenant_id)
        # A reconnect knows its company: the PartyID header if Billit asks for it (§2).
        known_text = previous.party_id or ""
        known = int(known_text) if known_text.isdigit() else None
        account = self.billit(
            StaticCredentials(access_token, known)
        ).account.get_account_information()
        companies = [
            BillitCompany(
                party_id=str(company.party_id),
                name=company.name or company.commercial_name or str(company.party_id),
                vat_number=company.vat_number,
            )
            for company in account.companies
        ]
        if not companies:
            return with_result(return_url, "not_connected", "no_company")
        chosen = next((c for c in companies if c.party_id == previous.party_id), companies[0])

        record = BillitTokenRecord(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
        )

        def store_tokens(secret: TenantSecret) -> TenantSecret:
            return secret.model_copy(update={"billit": record, "webhook_secrets": {}})

        self.secret_lock.update(tenant_id, store_tokens)
        self.tenants.save_connected(
            tenant_id,
            party_id=chosen.party_id,
            company_name=chosen.name,
            companies=companies,
            environment=self.environment,
        )
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.CONNECTION,
            level=SyncLogLevel.INFO,
            message_key=messages.CONNECTED,
            params={"company": chosen.name},
        )
        # After "connected": what the status notifications achieved reads as the newer line.
        self.webhooks.replace(
            self.billit(StaticCredentials(access_token, int(chosen.party_id))), tenant_id
        )
        self._queue_reconcile(tenant_id)
        logger.info(
            "connected to Billit", extra={"tenant_id": tenant_id, "party_id": chosen.party_id}
        )
        return with_result(return_url, "connected")
