"""SQS import worker: one message = one tenant's import (batch size 1).

Thin handler: parse the job, run the import service, let transient errors fail the record so
SQS retries it (and finally parks it in the DLQ).
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
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.wiring import Services

# Each failed record is logged at ERROR with its tenant and correlation id.
processor = LoggedBatchProcessor(worker="import")


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    """Powertools passes ``lambda_context`` so the import can checkpoint before the timeout."""
    try:
        job = ImportJob.model_validate_json(record.body)
    except ValidationError:
        # A malformed message would fail forever: log it (not its body) and drop it.
        logger.error("dropping malformed import job", extra={"message_id": record.message_id})
        return
    logger.append_keys(
        tenant_id=job.tenant_id, message_id=record.message_id, correlation_id=record.message_id
    )

    def time_left() -> float:
        return lambda_context.get_remaining_time_in_millis() / 1000 if lambda_context else 900.0

    try:
        outcome = services().import_service(time_left).run(job)
        logger.info("import job handled", extra={"outcome": outcome.value})
    finally:
        logger.remove_keys(["tenant_id", "message_id", "correlation_id"])


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
