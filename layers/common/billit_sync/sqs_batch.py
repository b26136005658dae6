"""The one batch processor of every SQS worker: a failed record is an ERROR log line.

Powertools' ``BatchProcessor`` records a failed record at DEBUG only (it has no logger of its
own), so an export that failed for the fifth time and went to the dead-letter queue left
nothing an operator's alarm or saved query could find. ``LoggedBatchProcessor`` logs each failed
record once at ERROR with the tenant, the correlation id, the SQS message id, the receive
count and the error's type (never its text: a chained HTTP error may carry a URL with a
token in it), then lets Powertools report the record as failed as before.

The record handlers remove their per-record log keys before the processor sees the failure,
so the tenant and correlation id are read again from the message body here (best effort: a
body that is not a JSON object just logs without them).
"""

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from billit_sync.errors import IntegrationError
from billit_sync.observability import logger

FailureResponse = tuple[str, str, Any]

MAX_RECEIVE_COUNT = 5
"""Every queue's ``RedrivePolicy.maxReceiveCount`` in template.yaml (a test keeps them equal):
the delivery after which SQS parks a message in the queue's dead-letter queue."""


def _body_fields(record: SQSRecord) -> dict[str, Any]:
    try:
        body = json.loads(record.body)
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def receive_count(record: SQSRecord) -> int:
    """How often SQS delivered this message (1 on the first delivery)."""
    raw = record.attributes.approximate_receive_count or "1"
    return int(raw) if raw.isdigit() else 1


class LoggedBatchProcessor(BatchProcessor):
    """``BatchProcessor`` for SQS that logs every failed record at ERROR.

    ``correlation_field``: the body field that correlates this record with the lines of the
    function that queued it (the webhook processor's ``delivery_id``); without it, or when
    the body lacks it, the SQS message id (what the workers use as ``correlation_id``).
    ``max_receive_count``: the queue's ``maxReceiveCount`` (template.yaml), so the line says
    when this was the last delivery before the dead-letter queue.
    """

    def __init__(
        self,
        *,
        worker: str,
        correlation_field: str | None = None,
        max_receive_count: int = MAX_RECEIVE_COUNT,
    ) -> None:
        # A batch whose every record failed is reported like any partial failure (no
        # exception): SQS retries exactly the failed records either way.
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.worker = worker
        self.correlation_field = correlation_field
        self.max_receive_count = max_receive_count

    def failure_handler(self, record: Any, exception: Any) -> FailureResponse:
        error = exception[1] if exception else None
        extra: dict[str, Any] = {
            "worker": self.worker,
            "error": type(error).__name__ if error is not None else "unknown",
        }
        if isinstance(error, IntegrationError):
            extra["error_kind"] = error.kind.value
        if isinstance(record, SQSRecord):
            fields = _body_fields(record)
            received = receive_count(record)
            correlation = _text(fields.get(self.correlation_field or "")) or record.message_id
            extra |= {
                "tenant_id": _text(fields.get("tenant_id")),
                "correlation_id": correlation,
                "message_id": record.message_id,
                "receive_count": received,
            }
            for name in ("row_id", "workorder_no"):
                if _text(fields.get(name)):
                    extra[name] = fields[name]
            extra["last_delivery"] = received >= self.max_receive_count
        logger.error(
            "SQS record failed: delivered again, or parked in the dead-letter queue after the "
            "last delivery",
            extra=extra,
        )
        response: FailureResponse = super().failure_handler(record, exception)
        return response
