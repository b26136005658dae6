"""Billit webhooks: ingestion (verify, de-duplicate, queue) and the processor that applies the
events to the export ledger, the log panel and OutSmart. Registering the webhooks is part of
the connection (``billit_sync.connection.webhook_subscriptions``)."""

from typing import TYPE_CHECKING

from billit_sync.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from billit_sync.webhooks.events import BillitWebhookPayload, WebhookEvent
    from billit_sync.webhooks.ingestion import (
        BillitWebhookBadRequestError,
        BillitWebhookIngestion,
        BillitWebhookUnauthorizedError,
        IngestionOutcome,
        IngestionResult,
    )
    from billit_sync.webhooks.processor import InvoiceStatus, ProcessOutcome, WebhookProcessor

# Every name loads its module on first use (PEP 562): the ingestion function, which answers
# Billit within its timeout, never needs the processor (Billit and OutSmart clients), and the
# scheduler and the connect flow, which only send a ``webhooks.jobs.ReconcileJob``, need
# neither (cold start, issue 16).
_MODULE_OF: dict[str, str] = {
    "BillitWebhookBadRequestError": "billit_sync.webhooks.ingestion",
    "BillitWebhookIngestion": "billit_sync.webhooks.ingestion",
    "BillitWebhookPayload": "billit_sync.webhooks.events",
    "BillitWebhookUnauthorizedError": "billit_sync.webhooks.ingestion",
    "IngestionOutcome": "billit_sync.webhooks.ingestion",
    "IngestionResult": "billit_sync.webhooks.ingestion",
    "InvoiceStatus": "billit_sync.webhooks.processor",
    "ProcessOutcome": "billit_sync.webhooks.processor",
    "WebhookEvent": "billit_sync.webhooks.events",
    "WebhookProcessor": "billit_sync.webhooks.processor",
}


__getattr__ = lazy_exports(__name__, _MODULE_OF, globals())


__all__ = [
    "BillitWebhookBadRequestError",
    "BillitWebhookIngestion",
    "BillitWebhookPayload",
    "BillitWebhookUnauthorizedError",
    "IngestionOutcome",
    "IngestionResult",
    "InvoiceStatus",
    "ProcessOutcome",
    "WebhookEvent",
    "WebhookProcessor",
]
