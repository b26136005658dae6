"""Job messages (small pydantic models as JSON) onto one SQS queue, ten per call.

``send_message_batch`` can accept some entries of a call and refuse others; refused entries
that are not the sender's fault (throttling, an SQS-side error) and calls that failed as a
whole for a passing reason are retried with backoff and jitter. What still fails is returned
(``send_all``) or raised (``send``), so a fan-out can count it and carry on with the rest.
Message bodies are the job's JSON only; nothing secret goes into a job.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import batched
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from billit_sync.errors import TransientError
from billit_sync.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH_SIZE = 10
"""SQS's limit of entries per ``send_message_batch``."""

_PERMANENT_CALL_ERRORS = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "InvalidParameterValue",
        "InvalidAddress",
        "InvalidSecurity",
    }
)


class JobQueueError(TransientError):
    """A job could not be queued, even after retries (the caller may answer 503)."""


@dataclass(frozen=True)
class FailedJob[JobT: BaseModel]:
    job: JobT
    reason: str
    """The SQS error code (never the message body)."""


@dataclass
class SendResult[JobT: BaseModel]:
    sent: list[JobT] = field(default_factory=list)
    failed: list[FailedJob[JobT]] = field(default_factory=list)

    def extend(self, other: SendResult[JobT]) -> None:
        self.sent.extend(other.sent)
        self.failed.extend(other.failed)


class JobQueue[JobT: BaseModel]:
    """Sends jobs of one kind to one queue."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        *,
        max_attempts: int = 3,
        base_delay: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._sqs = sqs
        self.queue_url = queue_url
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def send(self, job: JobT) -> None:
        """Queue one job or raise ``JobQueueError``."""
        result = self.send_all([job])
        if result.failed:
            raise JobQueueError(f"the job could not be queued ({result.failed[0].reason})")

    def send_all(self, jobs: Iterable[JobT]) -> SendResult[JobT]:
        """Queue every job, ten per call; the result says which were sent and which not."""
        result: SendResult[JobT] = SendResult()
        for chunk in batched(jobs, MAX_BATCH_SIZE):
            result.extend(self._send_chunk(chunk))
        return result

    def _send_chunk(self, chunk: tuple[JobT, ...]) -> SendResult[JobT]:
        result: SendResult[JobT] = SendResult()
        pending = {str(index): job for index, job in enumerate(chunk)}
        reasons: dict[str, str] = {}
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1:
                self._sleep(self._backoff(attempt - 1))
            retry = self._attempt(pending, result, reasons)
            pending = {entry_id: pending[entry_id] for entry_id in retry}
            if not pending:
                break
        for entry_id, job in pending.items():
            result.failed.append(FailedJob(job, reasons.get(entry_id, "unknown")))
        if result.failed:
            logger.warning(
                "jobs could not be queued",
                extra={
                    "queue": self.queue_url.rsplit("/", 1)[-1],
                    "failed": len(result.failed),
                    "reasons": sorted({failure.reason for failure in result.failed}),
                },
            )
        return result

    def _attempt(
        self, pending: dict[str, JobT], result: SendResult[JobT], reasons: dict[str, str]
    ) -> list[str]:
        """One call; records what was sent or refused for good; returns the ids to retry."""
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": entry_id, "MessageBody": job.model_dump_json()}
            for entry_id, job in pending.items()
        ]
        try:
            response = self._sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "ClientError"))
            reasons.update(dict.fromkeys(pending, code))
            if code in _PERMANENT_CALL_ERRORS:
                result.failed.extend(FailedJob(job, code) for job in pending.values())
                return []
            return list(pending)
        except BotoCoreError as error:  # network; a job delivered twice is harmless
            reasons.update(dict.fromkeys(pending, type(error).__name__))
            return list(pending)
        result.sent.extend(pending[entry["Id"]] for entry in response.get("Successful", []))
        retry: list[str] = []
        for failure in response.get("Failed", []):
            entry_id = failure["Id"]
            reasons[entry_id] = failure.get("Code", "unknown")
            if failure.get("SenderFault", False):
                result.failed.append(FailedJob(pending[entry_id], reasons[entry_id]))
            else:
                retry.append(entry_id)
        return retry

    def _backoff(self, retry_number: int) -> float:
        """Full jitter: uniform in [0, base * 2**(n-1)]."""
        return self._rng.uniform(0, self._base_delay * (2 ** (retry_number - 1)))
