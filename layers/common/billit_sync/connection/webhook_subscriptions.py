"""The Billit webhooks the service registers for a connected company, and their clean-up.

Billit signs each delivery with that webhook's own secret (reference §5). Where the secret
comes from is unknown: the registration answer, or a "Message confirmation" delivery right
after it. Secrets found in the answer are kept at once (in the tenant's secret, by webhook
id); the ids still without one are recorded on the connection, and ingestion takes their
secret from the confirmation delivery (``webhooks.secret_capture``). Until every secret is
there the subscription is not "working": the connection says statuses arrive by polling, the
log panel says so, and operators see ``BillitWebhookSecretMissing``. Nothing is lost
meanwhile: the scheduled reconcile reads every open invoice back from Billit.

Billit allows 4 webhooks per company (reference §5), possibly shared with other
integrations. Only webhooks under this tenant's URL are ever deleted; when the others leave
too few free, nothing is registered and the log panel says why.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from aws_lambda_powertools.metrics import MetricUnit

from billit_sync import messages
from billit_sync.billit.webhooks import RegisteredWebhook, WebhookEntityType, WebhookUpdateType
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.errors import ErrorKind, IntegrationError
from billit_sync.observability import logger, metrics
from billit_sync.store import (
    SyncLogCategory,
    SyncLogLevel,
    SyncLogStore,
    TenantSecret,
    TenantStore,
    WebhooksState,
)
from billit_sync.store.clock import Clock

if TYPE_CHECKING:  # the client loads when one is built (cold start of /connect, issue 16)
    from billit_sync.billit import BillitClient

# Receiver feedback (delivered, refused) arrives as NEW Incoming messages (Message/I), the
# Peppol send's progress as Message/U, payments as Order/U (reference §5 "Rules").
SUBSCRIPTIONS: Final = (
    (WebhookEntityType.MESSAGE, WebhookUpdateType.INSERT),
    (WebhookEntityType.MESSAGE, WebhookUpdateType.UPDATE),
    (WebhookEntityType.ORDER, WebhookUpdateType.UPDATE),
)
WEBHOOKS_PER_COMPANY: Final = 4
"""Billit's quota: "4 webhooks for one PartyID" (reference §5)."""
RECONCILE_MINUTES: Final = 60
"""How often the reconcile reads open invoices (the template's ReconcileSchedule)."""


def billit_webhook_url(public_base_url: str, tenant_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/webhooks/billit/{tenant_id}"


def _is_ours(webhook: RegisteredWebhook, url: str) -> bool:
    """Registered by this service for this tenant: the URL starts with the tenant's URL."""
    return webhook.url is not None and webhook.url.rstrip("/").startswith(url.rstrip("/"))


@dataclass
class WebhookSubscriptions:
    public_base_url: str
    secret_lock: TenantSecretLock
    sync_log: SyncLogStore
    tenants: TenantStore
    clock: Clock

    def url_for(self, tenant_id: str) -> str:
        return billit_webhook_url(self.public_base_url, tenant_id)

    def remove(self, billit: "BillitClient", tenant_id: str) -> int:
        """Delete this tenant's webhooks from the company (others' are left alone)."""
        url = self.url_for(tenant_id)
        removed = 0
        for webhook in billit.webhooks.list_webhooks():
            if _is_ours(webhook, url):
                billit.webhooks.delete_webhook(webhook.webhook_id)
                removed += 1
        return removed

    def replace(self, billit: "BillitClient", tenant_id: str) -> bool:
        """Swap the tenant's webhooks on the company for fresh ones and keep their secrets.

        True when every webhook is registered (its secret may still be on its way). A
        failure does not undo the connection: the log panel says why, statuses arrive by
        the reconcile, and the method returns False.
        """
        url = self.url_for(tenant_id)
        try:
            existing = billit.webhooks.list_webhooks()
            others = [w for w in existing if not _is_ours(w, url)]
            free = WEBHOOKS_PER_COMPANY - len(others)
            if free < len(SUBSCRIPTIONS):
                self._quota_full(tenant_id, billit, existing, url, used=len(others))
                return False
            for webhook in existing:
                if _is_ours(webhook, url):  # a stale one of an earlier connection
                    billit.webhooks.delete_webhook(webhook.webhook_id)
            registered = [
                billit.webhooks.register_webhook(entity, update, url)
                for entity, update in SUBSCRIPTIONS
            ]
        except IntegrationError as failure:
            self._not_registered(tenant_id, failure)
            return False
        webhook_secrets = {str(w.webhook_id): w.secret for w in registered if w.secret}
        awaiting = sorted(str(w.webhook_id) for w in registered if not w.secret)

        def keep_secrets(secret: TenantSecret) -> TenantSecret:
            return secret.model_copy(update={"webhook_secrets": webhook_secrets})

        self.secret_lock.update(tenant_id, keep_secrets)
        state = WebhooksState.AWAITING_SECRET if awaiting else WebhooksState.ACTIVE
        self.tenants.record_webhooks(tenant_id, state, awaiting, self.clock())
        logger.info(
            "registered Billit webhooks",
            extra={
                "tenant_id": tenant_id,
                "webhook_ids": sorted(str(w.webhook_id) for w in registered),
                "awaiting_secret": awaiting,
            },
        )
        if awaiting:
            metrics.add_metric(name="BillitWebhookSecretMissing", unit=MetricUnit.Count, value=1)
            self.sync_log.record(
                tenant_id,
                category=SyncLogCategory.CONNECTION,
                level=SyncLogLevel.WARNING,
                message_key=messages.WEBHOOKS_AWAITING_SECRET,
                params={"minutes": str(RECONCILE_MINUTES)},
            )
        return True

    def _quota_full(
        self,
        tenant_id: str,
        billit: "BillitClient",
        existing: list[RegisteredWebhook],
        url: str,
        *,
        used: int,
    ) -> None:
        """Too few free places: keep nothing half-registered, and say so in the log panel."""
        for webhook in existing:
            if _is_ours(webhook, url):
                billit.webhooks.delete_webhook(webhook.webhook_id)
        self.tenants.record_webhooks(tenant_id, WebhooksState.QUOTA_FULL, [], self.clock())
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.CONNECTION,
            level=SyncLogLevel.ERROR,
            message_key=messages.WEBHOOKS_QUOTA_FULL,
            params={
                "limit": str(WEBHOOKS_PER_COMPANY),
                "used": str(used),
                "needed": str(len(SUBSCRIPTIONS)),
                "minutes": str(RECONCILE_MINUTES),
            },
            retryable=True,
        )
        metrics.add_metric(name="BillitWebhookQuotaFull", unit=MetricUnit.Count, value=1)
        logger.warning(
            "Billit webhook quota full; statuses by polling only",
            extra={"tenant_id": tenant_id, "used_by_others": used},
        )

    def _not_registered(self, tenant_id: str, failure: IntegrationError) -> None:
        reason = (
            "Billit did not answer"
            if failure.kind is ErrorKind.TRANSIENT
            else "Billit refused the request"
        )
        self.tenants.record_webhooks(tenant_id, WebhooksState.NOT_REGISTERED, [], self.clock())
        self.sync_log.record(
            tenant_id,
            category=SyncLogCategory.CONNECTION,
            level=SyncLogLevel.WARNING,
            message_key=messages.WEBHOOKS_NOT_REGISTERED,
            params={"reason": reason},
            retryable=True,
        )
        logger.warning(
            "registering Billit webhooks failed",
            extra={"tenant_id": tenant_id, "error": type(failure).__name__},
        )
