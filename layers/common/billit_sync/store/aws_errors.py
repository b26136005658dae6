"""One translation of AWS failures into the service's error kinds.

Throttling, request limits and AWS-side internal errors become ``TransientError``s (retried
by the caller's machinery: SQS visibility, schedules); everything else stays a ``ClientError``
because it is a bug or a misconfiguration. Conditional-check failures are handled where they
happen, because each store knows what a lost race means there. Messages name the operation
and the AWS error code only, never keys' values or secrets.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from billit_sync.errors import TransientError

TRANSIENT_ERROR_CODES = frozenset(
    {
        # DynamoDB
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
        "LimitExceededException",
        # Secrets Manager
        "InternalServiceError",
        "InternalFailure",
        "Throttling",
        "TooManyRequestsException",
    }
)

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"

_NETWORK_ERRORS = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)


class AwsTransientError(TransientError):
    """An AWS call failed for a reason that goes away by itself (throttling, 5xx, network)."""

    def __init__(self, operation: str, code: str) -> None:
        super().__init__(f"{operation} failed transiently ({code}); retry later")
        self.operation = operation
        self.code = code


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_conditional_check_failed(error: ClientError) -> bool:
    return error_code(error) == CONDITIONAL_CHECK_FAILED


def old_item_of(error: ClientError) -> dict[str, Any] | None:
    """The item returned with ``ReturnValuesOnConditionCheckFailure=ALL_OLD`` (wire format)."""
    item = error.response.get("Item")
    return item if isinstance(item, dict) else None


@contextmanager
def translate_aws_errors(operation: str) -> Iterator[None]:
    """Raise ``AwsTransientError`` for retryable AWS failures inside the block."""
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        if code in TRANSIENT_ERROR_CODES:
            raise AwsTransientError(operation, code) from error
        raise
    except _NETWORK_ERRORS as error:
        raise AwsTransientError(operation, type(error).__name__) from error
