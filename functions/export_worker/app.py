"""SQS export worker: one message = one completed work order → one Billit invoice → Handled.

Thin handler: parse the job, run the export service per record (Powertools partial batch
responses), let transient errors fail only their own record so SQS retries it.
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
from billit_sync.sqs_batch import LoggedBatchProcessor, receive_count
from billit_sync.sync.exports.jobs import ExportJob
from billit_sync.wiring import Services

# Each failed record is logged at ERROR with its tenant and correlation id.
processor = LoggedBatchProcessor(worker="export")


@cache
def services() -> Services:
    return Services(RuntimeConfig.from_environ(os.environ))


def record_handler(record: SQSRecord) -> None:
    try:
        job = ExportJob.model_validate_json(record.body)
    except ValidationError:
        # A malformed message would fail forever: log it (not its body) and drop it.
        logger.error("dropping malformed export job", extra={"message_id": record.message_id})
        return
    # Every line about this record carries the tenant, the work order and the SQS message id
    # (also as ``correlation_id``, the one name the saved queries use in every function).
    logger.append_keys(
        tenant_id=job.tenant_id,
        row_id=job.row_id,
        workorder_no=job.workorder_no,
        message_id=record.message_id,
        correlation_id=record.message_id,
    )
    try:
        received = receive_count(record)
        outcome = services().export_service.export(
            job,
            owner=record.message_id,
            redelivered=received > 1,
            last_delivery=received >= processor.max_receive_count,
        )
        logger.info("export job handled", extra={"outcome": outcome.value})
    finally:  # the next record of the batch must not log under this one's ids
        logger.remove_keys(["tenant_id", "row_id", "workorder_no", "message_id", "correlation_id"])


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
