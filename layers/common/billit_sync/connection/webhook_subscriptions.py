"""The Billit webhooks the service registers for a connected company, and their clean-up.

Billit signs each delivery with that webhook's own secret, shown only when it is registered;
the secrets are kept in the tenant's secret by webhook id.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from billit_sync import messages
from billit_sync.billit.webhooks import WebhookEntityType, WebhookUpdateType
from billit_sync.connection.secret_lock import TenantSecretLock
from billit_sync.errors import ErrorKind, IntegrationError
from billit_sync.observability import logger
from billit_sync.store import SyncLogCategory, SyncLogLevel, SyncLogStore, TenantSecret

if TYPE_CHECKING:  # the client loads when one is built (cold start of /connect, issue 16)
    from billit_sync.billit import BillitClient

# Invoice status changes (sent, paid) and e-invoice messages (delivered, refused). Billit
# allows only a few webhooks per company (4 or 20, ⚠ sources differ): two is within both.
SUBSCRIPTIONS: Final = (
    (WebhookEntityType.ORDER, WebhookUpdateType.UPDATE),
    (WebhookEntityType.MESSAGE, WebhookUpdateType.UPDATE),
)


def billit_webhook_url(public_base_url: str, tenant_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/webhooks/billit/{tenant_id}"


@dataclass
class WebhookSubscriptions:
    public_base_url: str
    secret_lock: TenantSecretLock
    sync_log: SyncLogStore

    def url_for(self, tenant_id: str) -> str:
        return billit_webhook_url(self.public_base_url, tenant_id)

    def remove(self, billit: "BillitClient", tenant_id: str) -> int:
        """Delete this tenant's webhooks from the company (others' are left alone)."""
        url = self.url_for(tenant_id)
        removed = 0
        for webhook in billit.webhooks.list_webhooks():
            if webhook.url == url:
                billit.webhooks.delete_webhook(webhook.webhook_id)
                removed += 1
        return removed

    def replace(self, billit: "BillitClient", tenant_id: str) -> bool:
        """Swap the tenant's webhooks on the company for fresh ones and keep their secrets.

        A failure does not undo the connection: the user gets a log-panel warning (invoice
        statuses will not update) and the method returns False.
        """
        try:
            self.remove(billit, tenant_id)
            registered = [
                billit.webhooks.register_webhook(entity, update, self.url_for(tenant_id))
                for entity, update in SUBSCRIPTIONS
            ]
        except IntegrationError as failure:
            reason = (
                "Billit did not answer"
                if failure.kind is ErrorKind.TRANSIENT
                else "Billit refused the request"
            )
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
            return False
        webhook_secrets = {str(w.webhook_id): w.secret for w in registered if w.secret}

        def keep_secrets(secret: TenantSecret) -> TenantSecret:
            return secret.model_copy(update={"webhook_secrets": webhook_secrets})

        self.secret_lock.update(tenant_id, keep_secrets)
        logger.info(
            "registered Billit webhooks",
            extra={"tenant_id": tenant_id, "webhook_ids": sorted(webhook_secrets)},
        )
        return True
