"""SQS discovery worker: one tenant's completed work orders -> export queue.

Thin handler: each record is one tenant's ``DiscoveryJob``; ``DiscoveryService`` does the work.
Records fail on their own (Powertools partial batch response): a transient problem of one
tenant fails its record only (SQS retries it, then the DLQ); a user-fixable one is logged for
the tenant by the service and the record succeeds (no retry loop); a malformed message is
logged without its body and dropped.
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
from billit_sync.sync.exports.jobs import DiscoveryJob
from billit_sync.wiring import Services

# Each failed record is logged at ERROR with its tenant and correlation id.
processor = LoggedBatchProcessor(worker="discovery")


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


def record_handler(record: SQSRecord) -> None:
    try:
        job = DiscoveryJob.model_validate_json(record.body)
    except ValidationError:
        # A malformed message would fail forever: log it (not its body) and drop it.
        logger.error("dropping malformed discovery job", extra={"message_id": record.message_id})
        return
    logger.append_keys(
        tenant_id=job.tenant_id, message_id=record.message_id, correlation_id=record.message_id
    )
    try:
        report = services().discovery_service.discover(job.tenant_id)
        logger.info("discovery job handled", extra={"outcome": report.outcome.value})
    except Exception as error:
        # The type only: a chained HTTP error's text could carry a URL with a token in it.
        logger.warning(
            "discovery failed; the message will be retried",
            extra={"error": type(error).__name__},
        )
        raise
    finally:
        logger.remove_keys(["tenant_id", "message_id", "correlation_id"])


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
