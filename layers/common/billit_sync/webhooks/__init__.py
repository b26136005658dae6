"""Billit webhooks: ingestion (verify, de-duplicate, queue) and the processor that applies the
events to the export ledger, the log panel and OutSmart. Registering the webhooks is part of
the connection (``billit_sync.connection.webhook_subscriptions``)."""

from typing import TYPE_CHECKING, Any

from billit_sync.webhooks.events import BillitWebhookPayload, WebhookEvent
from billit_sync.webhooks.ingestion import (
    BillitWebhookBadRequestError,
    BillitWebhookIngestion,
    BillitWebhookUnauthorizedError,
    IngestionOutcome,
    IngestionResult,
)

if TYPE_CHECKING:
    from billit_sync.webhooks.processor import InvoiceStatus, ProcessOutcome, WebhookProcessor

# The processor (Billit and OutSmart clients) loads on first use: the ingestion function, which
# answers Billit within its timeout, never needs it (cold start, issue 16; PEP 562).
_PROCESSOR_NAMES = frozenset({"InvoiceStatus", "ProcessOutcome", "WebhookProcessor"})


def __getattr__(name: str) -> Any:
    if name in _PROCESSOR_NAMES:
        from billit_sync.webhooks import processor  # noqa: PLC0415

        return getattr(processor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
