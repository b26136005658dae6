"""``LoggedBatchProcessor``: the one processor of the four SQS workers logs each failed record
at ERROR with its tenant and correlation id (Powertools' own logs it at DEBUG only)."""

import json
import logging
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from billit_sync.errors import TransientError
from billit_sync.sqs_batch import MAX_RECEIVE_COUNT, LoggedBatchProcessor
from functions.discovery_worker import app as discovery_worker
from functions.export_worker import app as export_worker
from functions.import_worker import app as import_worker
from functions.webhook_processor import app as webhook_processor
from tests.support.log_capture import captured_service_logs
from tests.support.stack import sqs_event
from tests.support.template import resources_of_type


def failing(record: SQSRecord) -> None:
    raise TransientError("https://example.invalid/?token=secret-value")


def run(processor: LoggedBatchProcessor, *bodies: str, receive_count: int = 1) -> list[Any]:
    event = sqs_event(*bodies, receive_count=receive_count)
    with captured_service_logs(logging.INFO) as logs:
        process_partial_response(event=event, record_handler=failing, processor=processor)
    return [json.loads(line) for line in logs.getvalue().splitlines() if line.strip()]


def test_the_webhook_delivery_is_the_correlation_id_and_the_error_text_stays_out() -> None:
    processor = LoggedBatchProcessor(worker="webhook", correlation_field="delivery_id")
    body = json.dumps({"tenant_id": "acme", "delivery_id": "dlv-7"})

    (line,) = run(processor, body, receive_count=MAX_RECEIVE_COUNT)

    assert line["level"] == "ERROR"
    assert (line["tenant_id"], line["correlation_id"]) == ("acme", "dlv-7")
    assert (line["error"], line["error_kind"], line["last_delivery"]) == (
        "TransientError",
        "transient",
        True,
    )
    assert "secret-value" not in json.dumps(line)


def test_a_body_that_is_not_json_still_logs_with_the_message_id() -> None:
    (line,) = run(LoggedBatchProcessor(worker="import"), "{not json")
    assert line["level"] == "ERROR"
    assert "tenant_id" not in line  # unknown, not guessed
    assert line["correlation_id"].startswith("msg-")
    assert line["last_delivery"] is False


@pytest.mark.parametrize(
    "worker", [export_worker, import_worker, discovery_worker, webhook_processor], ids=str
)
def test_every_sqs_worker_uses_it(worker: Any) -> None:
    assert isinstance(worker.processor, LoggedBatchProcessor)


def test_every_queue_parks_messages_after_the_receive_count_the_workers_assume() -> None:
    counts = {
        name: int(queue["Properties"]["RedrivePolicy"]["maxReceiveCount"])
        for name, queue in resources_of_type("AWS::SQS::Queue").items()
        if "RedrivePolicy" in queue.get("Properties", {})
    }
    assert len(counts) == 4
    assert set(counts.values()) == {MAX_RECEIVE_COUNT}
