"""SQS webhook processor: applies Billit invoice events to the ledger and the sync log, and
runs the per-tenant reconcile that reads open invoices back from Billit (the backstop).

Thin handler: parse the queued ``WebhookEvent`` or ``ReconcileJob``, run it per record (Powertools
partial batch responses); transient errors fail only their own record so SQS retries it, a
malformed message is dropped (it would fail forever).
"""

import os
from functools import cache

from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from billit_sync.config import RuntimeConfig
from billit_sync.observability import logger, metrics
from billit_sync.sqs_batch import LoggedBatchProcessor
from billit_sync.webhooks import WebhookEvent
from billit_sync.webhooks.jobs import ReconcileJob
from billit_sync.webhooks.secret_capture import WebhookConfirmationJob
from billit_sync.wiring import Services

# Each failed record is logged at ERROR with its tenant and correlation id.
processor = LoggedBatchProcessor(worker="webhook", correlation_field="delivery_id")

_RECORD_KEYS = ["tenant_id", "delivery_id", "message_id", "correlation_id"]


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


def _reconcile(record: SQSRecord) -> bool:
    """A ``ReconcileJob`` (the schedule, a reconnect) rides the same queue; True if it was one."""
    if '"reconcile"' not in record.body:
        return False
    try:
        job = ReconcileJob.model_validate_json(record.body)
    except ValidationError:
        return False
    logger.append_keys(
        tenant_id=job.tenant_id, message_id=record.message_id, correlation_id=record.message_id
    )
    try:
        report = services().reconciler.reconcile(job.tenant_id)
        logger.info(
            "reconcile job handled", extra={"trigger": job.trigger, "applied": report.applied}
        )
    finally:
        logger.remove_keys(_RECORD_KEYS)
    return True


def _confirmation(record: SQSRecord) -> bool:
    """A webhook's confirmation delivery (its secret) handed over by ingestion."""
    if '"webhook_confirmation"' not in record.body:
        return False
    try:
        job = WebhookConfirmationJob.model_validate_json(record.body)
    except ValidationError:
        return False
    stored = services().webhook_secret_capture.store(job)
    logger.info(
        "webhook confirmation handled",
        extra={"tenant_id": job.tenant_id, "message_id": record.message_id, "stored": stored},
    )
    return True


def record_handler(record: SQSRecord) -> None:
    if _reconcile(record) or _confirmation(record):
        return
    try:
        event = WebhookEvent.model_validate_json(record.body)
    except ValidationError:
        # A malformed message would fail forever: log it (not its body) and drop it.
        logger.error("dropping malformed webhook event", extra={"message_id": record.message_id})
        return
    # The webhook delivery is the correlation id: ingestion logged the same delivery_id.
    logger.append_keys(
        tenant_id=event.tenant_id,
        delivery_id=event.delivery_id,
        message_id=record.message_id,
        correlation_id=event.delivery_id,
    )
    try:
        outcome = services().webhook_processor.process(event)
        logger.info("webhook event handled", extra={"outcome": outcome.value})
    finally:  # the next record of the batch must not log under this one's ids
        logger.remove_keys(_RECORD_KEYS)


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
