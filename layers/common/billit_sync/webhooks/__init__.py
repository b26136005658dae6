"""Billit webhooks: ingestion (verify, de-duplicate, queue) and the processor that applies the
events to the export ledger, the log panel and OutSmart. Registering the webhooks is part of
the connection (``billit_sync.connection.webhook_subscriptions``)."""

from billit_sync.webhooks.events import BillitWebhookPayload, WebhookEvent
from billit_sync.webhooks.ingestion import (
    BillitWebhookBadRequestError,
    BillitWebhookIngestion,
    BillitWebhookUnauthorizedError,
    IngestionOutcome,
    IngestionResult,
)
from billit_sync.webhooks.processor import InvoiceStatus, ProcessOutcome, WebhookProcessor

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
