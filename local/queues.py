"""The SQS event source mappings of the template, run locally.

Each function's ``SQS`` event names a queue and a batch size. ``pump_once`` receives one batch
per queue (a short visibility timeout, so failed records come back quickly), invokes the
function with the event Lambda would build, and deletes the records that did not fail
(``batchItemFailures``); a handler that raises fails the whole batch. ``drain`` repeats until
every source queue is empty, within a time limit. A record that keeps failing goes to the
queue's dead-letter queue after ``maxReceiveCount`` receives, as in AWS.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mypy_boto3_sqs import SQSClient
from mypy_boto3_sqs.type_defs import MessageTypeDef

from local.aws import REGION
from local.functions import LocalFunction

LOCAL_VISIBILITY_TIMEOUT = 2  # seconds a failed record stays hidden before it is retried


@dataclass(frozen=True)
class EventSourceMapping:
    function: LocalFunction
    queue: str  # logical id
    url: str
    arn: str
    batch_size: int


@dataclass
class PumpReport:
    """What the mappings did: records handled and failed per function."""

    handled: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)

    def add(self, other: "PumpReport") -> None:
        self.handled.update(other.handled)
        self.failed.update(other.failed)


def sqs_record(message: MessageTypeDef, arn: str) -> dict[str, Any]:
    """One record of the SQS event Lambda builds from a received message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": dict(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": REGION,
    }


class QueueWorkers:
    def __init__(
        self,
        sqs: SQSClient,
        functions: dict[str, LocalFunction],
        queue_urls: dict[str, str],
        queue_arns: dict[str, str],
    ) -> None:
        self.sqs = sqs
        self.mappings = [
            EventSourceMapping(
                function=function,
                queue=trigger.queue,
                url=queue_urls[trigger.queue],
                arn=queue_arns[trigger.queue],
                batch_size=trigger.batch_size,
            )
            for function in functions.values()
            for trigger in function.sqs_triggers
        ]
        self.report = PumpReport()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _poll(self, mapping: EventSourceMapping) -> PumpReport:
        report = PumpReport()
        messages = self.sqs.receive_message(
            QueueUrl=mapping.url,
            MaxNumberOfMessages=mapping.batch_size,
            VisibilityTimeout=LOCAL_VISIBILITY_TIMEOUT,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return report
        event = {"Records": [sqs_record(message, mapping.arn) for message in messages]}
        try:
            result = mapping.function.invoke(event)
        except Exception:
            failed = {message["MessageId"] for message in messages}
        else:
            failures = (
                (result or {}).get("batchItemFailures", []) if isinstance(result, dict) else []
            )
            failed = {str(failure["itemIdentifier"]) for failure in failures}
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=mapping.url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
                    for n, message in enumerate(done[start : start + 10])
                ],
            )
        name = mapping.function.logical_id
        report.handled[name] += len(done)
        report.failed[name] += len(failed)
        return report

    def _selected(self, queues: set[str] | None) -> list[EventSourceMapping]:
        return [m for m in self.mappings if queues is None or m.queue in queues]

    def pump_once(self, queues: set[str] | None = None) -> PumpReport:
        """One receive (and invocation) per mapping (of ``queues``, logical ids, or all)."""
        report = PumpReport()
        for mapping in self._selected(queues):
            report.add(self._poll(mapping))
        self.report.add(report)
        return report

    def waiting(self, queue: str) -> int:
        """Messages visible in one source queue (by logical id)."""
        (mapping,) = self._selected({queue})
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=mapping.url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def in_flight(self, queues: set[str] | None = None) -> int:
        """Messages visible or being retried in the source queues (not the dead-letter queues)."""
        total = 0
        for mapping in self._selected(queues):
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=mapping.url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            total += sum(int(value) for value in attributes.values())
        return total

    def drain(self, queues: set[str] | None = None, timeout_seconds: float = 120.0) -> PumpReport:
        """Run the mappings (of ``queues``, or all) until their queues are empty; a record
        that keeps failing ends in the dead-letter queue. Past the time limit: ``TimeoutError``."""
        deadline = time.monotonic() + timeout_seconds
        report = PumpReport()
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("the queues did not drain in time")
            round_report = self.pump_once(queues)
            report.add(round_report)
            if not round_report.handled and not round_report.failed:
                if self.in_flight(queues) == 0:
                    return report
                time.sleep(0.2)

    def dead_letters(self, queue_urls: dict[str, str]) -> dict[str, int]:
        """Messages now in each dead-letter queue (by logical id)."""
        counts: dict[str, int] = {}
        for logical_id, url in queue_urls.items():
            if "DeadLetter" not in logical_id:
                continue
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            counts[logical_id] = int(attributes["ApproximateNumberOfMessages"])
        return counts

    # ----------------------------------------------------- in the background (make dev)
    def start(self, interval_seconds: float = 0.5) -> None:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    busy = self.pump_once()
                except Exception:
                    busy = PumpReport()
                if not busy.handled and not busy.failed:
                    self._stop.wait(interval_seconds)

        self._thread = threading.Thread(target=run, name="local-event-sources", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
