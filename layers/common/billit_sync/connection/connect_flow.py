"""Connecting a tenant to Billit after the login: ``/oauth/callback`` turns Billit's answer into
a confirmation page, and ``/oauth/confirm`` (the user's "Connect") stores the connection.
``/connect``, which sends the browser to Billit's login, is ``connection.login_start``.

Bound to the browser and to the user's intent (RFC 9700 §2.1, §4.7; issue 14):

- the OAuth ``state`` (256 random bits) is stored with the tenant, the return URL and the hash
  of a random nonce that ``/connect`` sets as a ``__Host-`` cookie in the browser that started
  the login; it is consumed once, and only by a callback from that browser. A phished login
  link opened in another browser, a leaked state with an injected code, and a replayed
  callback all stop at the first line, before any code is exchanged.
- the code is exchanged and the companies read, but nothing is connected yet: the token pair
  is parked in the tenant's secret (``pending_billit``) and the browser gets a page "Connect
  <tenant> to <company, VAT number>?" in the tenant's language, with a POST form whose
  one-time confirmation id is itself bound to the cookie (so a cross-site form cannot confirm:
  the cookie is ``SameSite=Lax`` and the id unguessable).
- one Billit company is connected to one tenant at a time (``BillitCompanyOwners``): a
  company another tenant is still connected to is refused with a clear page.

Billit's reference (§2) documents no PKCE (no ``code_challenge``), so none is sent.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from billit_sync import messages
from billit_sync.billit import (
    BillitCredentials,
    BillitGrantRefusedError,
    BillitOAuth,
    StaticCredentials,
)
from billit_sync.billit.oauth import TokenSet
from billit_sync.connection.connect_outcomes import (
    BrowserNotBoundError,
    CompanyChoice,
    CompanyTakenError,
    ConfirmationExpiredError,
    ConfirmationNeeded,
    InvalidStateError,
    Redirect,
)
from billit_sync.connection.login_start import STATE_BYTES
from billit_sync.connection.return_urls import with_result
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.connection.webhook_subscriptions import WebhookSubscriptions
from billit_sync.errors import IntegrationError
from billit_sync.jobs_queue import JobQueue
from billit_sync.messages import Language
from billit_sync.observability import logger
from billit_sync.store import (
    BillitCompany,
    BillitTokenRecord,
    ConnectionStatus,
    OAuthStateStore,
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantSecret,
    TenantStore,
)
from billit_sync.store.clock import Clock
from billit_sync.store.connect_confirmations import (
    BillitCompanyOwners,
    ConnectConfirmationStore,
    PendingConfirmation,
    expiry,
)
from billit_sync.store.keys import sha256_hex
from billit_sync.store.secrets import PendingBillitGrant
from billit_sync.webhooks.jobs import ReconcileJob

if TYPE_CHECKING:  # the client loads when one is built (cold start of /connect, issue 16)
    from billit_sync.billit import BillitClient

CONFIRMATION_TTL = timedelta(minutes=10)

BillitClientFactory = Callable[[BillitCredentials], "BillitClient"]


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
    confirmations: ConnectConfirmationStore
    owners: BillitCompanyOwners
    # Queues the tenant's reconcile right after (re)connecting: what happened to its invoices
    # while it was disconnected or expired is read back at once (issue 13).
    reconcile_jobs: Callable[[], JobQueue[ReconcileJob]] | None = None

    def complete(
        self,
        *,
        state: str | None,
        code: str | None,
        error: str | None,
        browser_nonce: str | None,
    ) -> Redirect | ConfirmationNeeded:
        """Billit's answer. Only a valid, unused state from the same browser gets past the
        first lines; a login that worked ends in a confirmation page, not a connection."""
        state, code, error = _text(state), _text(code), _text(error)
        browser_nonce = _text(browser_nonce)
        if not browser_nonce:
            logger.info("OAuth callback refused: no browser cookie")
            raise BrowserNotBoundError(
                "This Billit login was not started in this browser (or the browser blocks "
                "cookies), so it cannot be used here. Nothing was changed."
            )
        pending = self.states.consume(state or "", browser_nonce)
        if pending is None:
            raise InvalidStateError(
                "This Billit login link is unknown, has expired, was already used or was "
                "started in another browser. Nothing was changed."
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
            return self._ask(tenant_id, tokens, return_url, browser_nonce)
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

    def _ask(
        self, tenant_id: str, tokens: TokenSet, return_url: str, browser_nonce: str
    ) -> Redirect | ConfirmationNeeded:
        """Read the companies, park the tokens, and ask the user."""
        access_token = tokens.access_token.get_secret_value()
        # A reconnect knows its company: the PartyID header if Billit asks for it (§2).
        known_text = self.tenants.get_connection(tenant_id).party_id or ""
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
            return Redirect(with_result(return_url, "not_connected", "no_company"))
        confirmation_id = secrets.token_urlsafe(STATE_BYTES)
        expires_at = expiry(self.clock, int(CONFIRMATION_TTL.total_seconds()))
        grant = PendingBillitGrant(
            tokens=BillitTokenRecord(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                expires_at=tokens.expires_at,
            ),
            confirmation_hash=sha256_hex(confirmation_id),
            expires_at=expires_at,
        )

        def park(secret: TenantSecret) -> TenantSecret:
            return secret.model_copy(update={"pending_billit": grant})

        self.secret_lock.update(tenant_id, park)
        self.confirmations.put(
            confirmation_id,
            PendingConfirmation(
                tenant_id=tenant_id,
                return_url=return_url,
                companies=companies,
                expires_at=expires_at,
            ),
            browser_nonce=browser_nonce,
        )
        tenant = self.tenants.get(tenant_id)
        previous = self.tenants.get_connection(tenant_id).party_id
        choices = [
            CompanyChoice(company, self._owned_by_another(company.party_id, tenant_id) is not None)
            for company in companies
        ]
        logger.info(
            "Billit login waits for the user's confirmation", extra={"tenant_id": tenant_id}
        )
        return ConfirmationNeeded(
            tenant_id=tenant_id,
            language=tenant.language if tenant else "en",
            confirmation_id=confirmation_id,
            choices=choices,
            preselected=previous if previous in {c.party_id for c in companies} else None,
        )

    def confirm(
        self,
        *,
        confirmation_id: str | None,
        browser_nonce: str | None,
        party_id: str | None,
        accept: bool,
    ) -> Redirect:
        """The user's answer on the confirmation page (a same-site POST from this browser)."""
        confirmation_id, browser_nonce = _text(confirmation_id), _text(browser_nonce)
        pending = self.confirmations.consume(confirmation_id or "", browser_nonce or "")
        if pending is None or confirmation_id is None:
            raise ConfirmationExpiredError(
                "This confirmation is unknown, has expired, was already used or was opened in "
                "another browser."
            )
        tenant_id, return_url = pending.tenant_id, pending.return_url
        grant = self.secret_lock.secrets.read(tenant_id).pending_billit
        if (
            grant is None
            or grant.confirmation_hash != sha256_hex(confirmation_id)
            or grant.expires_at <= self.clock()
        ):
            raise ConfirmationExpiredError("This confirmation was replaced or has expired.")
        if not accept:
            self._drop_pending(tenant_id)
            logger.info("Billit connection declined by the user", extra={"tenant_id": tenant_id})
            return Redirect(with_result(return_url, "not_connected", "cancelled"))
        if party_id is None and len(pending.companies) == 1:
            party_id = pending.companies[0].party_id
        chosen = next((c for c in pending.companies if c.party_id == party_id), None)
        if chosen is None:
            self._drop_pending(tenant_id)
            raise ConfirmationExpiredError("No Billit company was chosen.")
        tenant = self.tenants.get(tenant_id)
        language: Language = tenant.language if tenant else "en"
        owner = self._owned_by_another(chosen.party_id, tenant_id)
        claimed = owner is None and self.owners.claim(
            self.environment,
            chosen.party_id,
            tenant_id,
            replacing=self.owners.owner(self.environment, chosen.party_id),
        )
        if not claimed:
            self._drop_pending(tenant_id)
            logger.warning(
                "Billit company already connected to another tenant",
                extra={"tenant_id": tenant_id, "party_id": chosen.party_id},
            )
            raise CompanyTakenError(chosen.name, language)
        return Redirect(self._connect(tenant_id, grant.tokens, chosen, pending, return_url))

    def _owned_by_another(self, party_id: str, tenant_id: str) -> str | None:
        """The other tenant still connected to this company, if any (an owner that has since
        disconnected or moved to another company does not count)."""
        owner = self.owners.owner(self.environment, party_id)
        if owner is None or owner == tenant_id:
            return None
        theirs = self.tenants.get_connection(owner)
        active = theirs.status in (ConnectionStatus.CONNECTED, ConnectionStatus.AUTH_EXPIRED)
        same = theirs.party_id == party_id and theirs.environment == self.environment
        return owner if active and same else None

    def _drop_pending(self, tenant_id: str) -> None:
        def drop(secret: TenantSecret) -> TenantSecret:
            return secret.model_copy(update={"pending_billit": None})

        self.secret_lock.update(tenant_id, drop)

    def _connect(
        self,
        tenant_id: str,
        record: BillitTokenRecord,
        chosen: BillitCompany,
        pending: PendingConfirmation,
        return_url: str,
    ) -> str:
        access_token = record.access_token.get_secret_value()
        previous = self.tenants.get_connection(tenant_id)

        def store_tokens(secret: TenantSecret) -> TenantSecret:
            return secret.model_copy(
                update={"billit": record, "pending_billit": None, "webhook_secrets": {}}
            )

        self.secret_lock.update(tenant_id, store_tokens)
        self.tenants.save_connected(
            tenant_id,
            party_id=chosen.party_id,
            company_name=chosen.name,
            companies=pending.companies,
            environment=self.environment,
        )
        if previous.party_id and previous.party_id != chosen.party_id:
            self.owners.release(
                previous.environment or self.environment, previous.party_id, tenant_id
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
