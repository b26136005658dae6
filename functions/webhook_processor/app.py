"""SQS webhook processor: applies Billit invoice events to the ledger and the sync log.

Thin handler: SQS partial-batch processing; the work happens in billit_sync.
"""

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from billit_sync.observability import logger, metrics, tracer

# A batch whose every record failed is reported like any partial failure (no exception):
# SQS retries exactly the failed records either way.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    # Not built yet (issue 6): failing the record keeps the message (redrive from the DLQ later).
    raise NotImplementedError("webhook processing is not implemented yet")


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
