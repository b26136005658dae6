"""The job sender: ten per call, refused entries retried unless they are the sender's fault,
whole-call failures retried unless permanent, and what still fails reported, not lost."""

import json
import random
from collections.abc import Callable
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from mypy_boto3_sqs import SQSClient

from billit_sync.jobs_queue import JobQueue, JobQueueError
from billit_sync.sync.imports.jobs import ImportJob
from tests.support.clock import RecordingSleep

URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/outsmart-billit-test-import-jobs"

Outcome = Callable[[dict[str, Any]], str | None]
"""entry → None (accepted), "retry:<code>" or "fault:<code>" (refused)."""


class StubSqs:
    """``send_message_batch`` only; each call is recorded, each entry judged by ``outcome``."""

    def __init__(self, outcome: Outcome = lambda entry: None) -> None:
        self.outcome = outcome
        self.calls: list[list[dict[str, Any]]] = []
        self.raise_next: list[Exception] = []

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]) -> Any:
        assert QueueUrl == URL
        assert len(Entries) <= 10
        self.calls.append(Entries)
        if self.raise_next:
            raise self.raise_next.pop(0)
        successful, failed = [], []
        for entry in Entries:
            verdict = self.outcome(entry)
            if verdict is None:
                successful.append({"Id": entry["Id"], "MessageId": "m", "MD5OfMessageBody": "x"})
            else:
                kind, code = verdict.split(":")
                failed.append({"Id": entry["Id"], "SenderFault": kind == "fault", "Code": code})
        return {"Successful": successful, "Failed": failed}


def queue(stub: StubSqs, sleep: RecordingSleep, attempts: int = 3) -> JobQueue[ImportJob]:
    return JobQueue(
        cast(SQSClient, stub), URL, max_attempts=attempts, sleep=sleep, rng=random.Random(7)
    )


def jobs(count: int) -> list[ImportJob]:
    return [ImportJob(tenant_id=f"tenant-{i:03d}") for i in range(count)]


def tenant_of(entry: dict[str, Any]) -> str:
    return str(json.loads(entry["MessageBody"])["tenant_id"])


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "no"}}, "SendMessageBatch")


def test_sends_in_batches_of_ten_with_the_job_as_json_body() -> None:
    stub, sleep = StubSqs(), RecordingSleep()
    result = queue(stub, sleep).send_all(jobs(25))

    assert [len(call) for call in stub.calls] == [10, 10, 5]
    assert len(result.sent) == 25 and result.failed == []
    first = ImportJob.model_validate_json(stub.calls[0][0]["MessageBody"])
    assert first == ImportJob(tenant_id="tenant-000", full=False, trigger="schedule")
    assert sleep.delays == []


def test_refused_entries_are_retried_alone_until_accepted() -> None:
    refusals = {"tenant-003": 2, "tenant-007": 1}

    def outcome(entry: dict[str, Any]) -> str | None:
        tenant = tenant_of(entry)
        if refusals.get(tenant, 0) > 0:
            refusals[tenant] -= 1
            return "retry:InternalError"
        return None

    stub, sleep = StubSqs(outcome), RecordingSleep()
    result = queue(stub, sleep).send_all(jobs(10))

    assert {job.tenant_id for job in result.sent} == {f"tenant-{i:03d}" for i in range(10)}
    assert result.failed == []
    assert [sorted(tenant_of(e) for e in call) for call in stub.calls] == [
        [f"tenant-{i:03d}" for i in range(10)],
        ["tenant-003", "tenant-007"],
        ["tenant-003"],
    ]
    assert len(sleep.delays) == 2 and all(d >= 0 for d in sleep.delays)


def test_sender_faults_are_not_retried_and_persistent_failures_are_reported() -> None:
    def outcome(entry: dict[str, Any]) -> str | None:
        return {
            "tenant-001": "fault:InvalidMessageContents",
            "tenant-002": "retry:ServiceUnavailable",
        }.get(tenant_of(entry))

    stub, sleep = StubSqs(outcome), RecordingSleep()
    result = queue(stub, sleep, attempts=3).send_all(jobs(4))

    assert sorted(job.tenant_id for job in result.sent) == ["tenant-000", "tenant-003"]
    assert {(f.job.tenant_id, f.reason) for f in result.failed} == {
        ("tenant-001", "InvalidMessageContents"),
        ("tenant-002", "ServiceUnavailable"),
    }
    assert [len(call) for call in stub.calls] == [4, 1, 1]  # only tenant-002 again


def test_a_whole_call_failing_for_a_passing_reason_is_retried() -> None:
    stub, sleep = StubSqs(), RecordingSleep()
    stub.raise_next = [
        client_error("ThrottlingException"),
        EndpointConnectionError(endpoint_url=URL),
    ]
    result = queue(stub, sleep).send_all(jobs(3))

    assert len(result.sent) == 3
    assert len(stub.calls) == 3


def test_a_permanent_call_failure_stops_at_once() -> None:
    stub, sleep = StubSqs(), RecordingSleep()
    stub.raise_next = [client_error("AWS.SimpleQueueService.NonExistentQueue")]
    result = queue(stub, sleep).send_all(jobs(3))

    assert result.sent == []
    assert {f.reason for f in result.failed} == {"AWS.SimpleQueueService.NonExistentQueue"}
    assert len(stub.calls) == 1 and sleep.delays == []


def test_send_raises_when_the_job_could_not_be_queued() -> None:
    stub, sleep = StubSqs(lambda entry: "retry:InternalError"), RecordingSleep()
    with pytest.raises(JobQueueError, match="InternalError"):
        queue(stub, sleep, attempts=2).send(ImportJob(tenant_id="acme"))
    assert len(stub.calls) == 2
