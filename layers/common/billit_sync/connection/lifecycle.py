"""Registering a tenant, reading its connection, picking another company, disconnecting."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from billit_sync import messages
from billit_sync.billit import BillitClient, BillitCredentials, BillitOAuth
from billit_sync.connection.connect_flow import BillitClientFactory
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.connection.webhook_subscriptions import WebhookSubscriptions
from billit_sync.errors import (
    BadInputError,
    CompanyConnectedElsewhereError,
    ConnectionRequiredError,
    IntegrationError,
)
from billit_sync.observability import logger
from billit_sync.store import (
    Connection,
    ConnectionStatus,
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    Tenant,
    TenantSecret,
    TenantStore,
)
from billit_sync.store.connect_confirmations import BillitCompanyOwners

CredentialsFactory = Callable[[str, int], BillitCredentials]
"""(tenant id, party id) → the tenant's token provider."""


OUTSMART_WEBHOOK_SECRET_BYTES = 32
"""256 bits of randomness in each tenant's OutSmart webhook secret."""


def new_outsmart_webhook_secret() -> SecretStr:
    """A fresh secret for ``POST /webhooks/outsmart/{tenant}`` (URL-safe text, 43 chars)."""
    return SecretStr(secrets.token_urlsafe(OUTSMART_WEBHOOK_SECRET_BYTES))


@dataclass(frozen=True)
class TenantRegistration:
    tenant: Tenant
    new_outsmart_webhook_secret: SecretStr | None = None
    """Set only by the registration that generated it: shown to the admin once, never again
    (it lives only in the tenant's secret)."""


@dataclass
class ConnectionLifecycle:
    tenants: TenantStore
    secret_lock: TenantSecretLock
    sync_log: SyncLogStore
    oauth: BillitOAuth
    billit: BillitClientFactory
    credentials: CredentialsFactory
    webhooks: WebhookSubscriptions
    owners: BillitCompanyOwners | None = None  # the party → tenant index (connect_flow)

    def register_tenant(
        self, tenant_id: str, outsmart_token: SecretStr, language: Literal["en", "nl"]
    ) -> Tenant:
        """Store the tenant's OutSmart API token (in its own secret) and its language."""
        return self.register(tenant_id, outsmart_token, language).tenant

    def register(
        self,
        tenant_id: str,
        outsmart_token: SecretStr,
        language: Literal["en", "nl"],
        *,
        rotate_outsmart_webhook_secret: bool = False,
    ) -> TenantRegistration:
        """``register_tenant``, and the tenant's OutSmart webhook secret: generated (under the
        secret lock, in the same write as the token) when the tenant has none yet or when
        ``rotate_outsmart_webhook_secret``; returned only then. Repeating a registration
        keeps the existing secret and does not reveal it."""
        generated: SecretStr | None = None

        def store_token(secret: TenantSecret) -> TenantSecret:
            nonlocal generated
            update: dict[str, object] = {"outsmart_token": outsmart_token}
            if secret.outsmart_webhook_secret is None or rotate_outsmart_webhook_secret:
                generated = new_outsmart_webhook_secret()
                update["outsmart_webhook_secret"] = generated
            return secret.model_copy(update=update)

        self.secret_lock.update(tenant_id, store_token)
        tenant = self.tenants.register(tenant_id, language)
        logger.info(
            "tenant registered",
            extra={
                "tenant_id": tenant_id,
                "language": language,
                "outsmart_webhook_secret_generated": generated is not None,
            },
        )
        return TenantRegistration(tenant=tenant, new_outsmart_webhook_secret=generated)

    def status(self, tenant_id: str) -> Connection:
        return self.tenants.registered_connection(tenant_id)

    def select_company(self, tenant_id: str, party_id: int) -> Connection:
        """Invoices go to another company of the same Billit account from now on."""
        connection = self.status(tenant_id)
        if connection.status is not ConnectionStatus.CONNECTED or connection.party_id is None:
            raise ConnectionRequiredError("connect to Billit first")
        if connection.party_id == str(party_id):
            return connection
        if str(party_id) not in {company.party_id for company in connection.companies}:
            raise BadInputError("party_id is not a company of the connected Billit account")
        environment = connection.environment
        if (
            self.owners is not None
            and environment
            and not self.owners.claim(environment, str(party_id), tenant_id, replacing=None)
        ):
            raise CompanyConnectedElsewhereError(
                "this Billit company is connected to another OutSmart account"
            )
        self._best_effort_remove_webhooks(tenant_id, int(connection.party_id))
        updated = self.tenants.select_company(tenant_id, str(party_id))
        if self.owners is not None and environment:
            self.owners.release(environment, connection.party_id, tenant_id)
        self.webhooks.replace(self._client(tenant_id, party_id), tenant_id)
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.CONNECTION,
            level=SyncLogLevel.INFO,
            message_key=messages.COMPANY_SELECTED,
            params={"company": updated.company_name or str(party_id)},
        )
        return updated

    def disconnect(self, tenant_id: str) -> Connection:
        """The power icon: webhooks deleted and token revoked (best effort), tokens removed,
        connection marked disconnected. Repeating it is harmless."""
        connection = self.status(tenant_id)
        active = (ConnectionStatus.CONNECTED, ConnectionStatus.AUTH_EXPIRED)
        if connection.status not in active:
            return connection
        if connection.status is ConnectionStatus.CONNECTED and connection.party_id:
            self._best_effort_remove_webhooks(tenant_id, int(connection.party_id))
        tokens = self.secret_lock.secrets.read(tenant_id).billit
        if tokens is not None:
            try:
                self.oauth.revoke(tokens.access_token)
            except IntegrationError as failure:
                logger.warning(
                    "revoking the Billit token failed; removing it anyway",
                    extra={"tenant_id": tenant_id, "error": type(failure).__name__},
                )

        def forget_billit(secret: TenantSecret) -> TenantSecret:
            return secret.model_copy(update={"billit": None, "webhook_secrets": {}})

        self.secret_lock.update(tenant_id, forget_billit)
        self.tenants.mark_disconnected(tenant_id)
        if self.owners is not None and connection.party_id and connection.environment:
            self.owners.release(connection.environment, connection.party_id, tenant_id)
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.CONNECTION,
            level=SyncLogLevel.INFO,
            message_key=messages.DISCONNECTED,
            params={"company": connection.company_name or ""},
        )
        logger.info("disconnected from Billit", extra={"tenant_id": tenant_id})
        return self.tenants.get_connection(tenant_id)

    def _client(self, tenant_id: str, party_id: int) -> BillitClient:
        return self.billit(self.credentials(tenant_id, party_id))

    def _best_effort_remove_webhooks(self, tenant_id: str, party_id: int) -> None:
        try:
            self.webhooks.remove(self._client(tenant_id, party_id), tenant_id)
        except IntegrationError as failure:
            logger.warning(
                "could not delete the Billit webhooks",
                extra={"tenant_id": tenant_id, "error": type(failure).__name__},
            )
