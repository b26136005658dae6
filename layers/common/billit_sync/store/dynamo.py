"""Small DynamoDB helpers shared by the stores: wire-format decoding, paginated queries and
batch reads/writes that retry unprocessed items with backoff (large imports get throttled)."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.config import Config

from billit_sync.observability import logger
from billit_sync.store.aws_errors import AwsTransientError, translate_aws_errors
from billit_sync.store.throughput import PartitionThroughput, write_units

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

Item = dict[str, Any]
Key = dict[str, str]
Sleep = Callable[[float], None]

BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
MAX_BATCH_ATTEMPTS = 8
BASE_DELAY_SECONDS = 0.05
MAX_DELAY_SECONDS = 2.0

CLIENT_CONFIG = Config(parameter_validation=False)
"""How the service's DynamoDB resource is built. botocore checks every request against the API's
shapes before sending it; DynamoDB checks it again on arrival and answers ``ValidationException``
(a ``ClientError``, translated like any other). For an import's tens of thousands of mappings the
first check is a quarter of the client's CPU (issue 16, ``bench/imports.py``), on a Lambda that
has 0.6 of a vCPU, so it is skipped."""

_deserializer = TypeDeserializer()
_rng = random.SystemRandom()


def decode_wire_item(raw: Mapping[str, Any]) -> Item:
    """Turn ``{"pk": {"S": "..."}}`` (as in error responses) into plain Python values."""
    return {name: _deserializer.deserialize(value) for name, value in raw.items()}


def backoff_delay(attempt: int) -> float:
    """Exponential backoff with full jitter."""
    return _rng.uniform(0, min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt))


def _log_retry(operation: str, attempt: int, unprocessed: int) -> None:
    """Operators see throttling of large imports before it becomes a failure."""
    logger.info(
        "DynamoDB batch left items unprocessed; retrying",
        extra={"operation": operation, "attempt": attempt, "unprocessed": unprocessed},
    )


def chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def query_all(table: Table, operation: str, **query: Any) -> Iterator[Item]:
    """Every item a query matches, following ``LastEvaluatedKey``."""
    while True:
        with translate_aws_errors(operation):
            response = table.query(**query)
        yield from response.get("Items", [])
        last_key = response.get("LastEvaluatedKey")
        if not last_key:
            return
        query["ExclusiveStartKey"] = last_key


def batch_write(
    table: Table,
    operation: str,
    puts: Iterable[Item] = (),
    deletes: Iterable[Key] = (),
    *,
    sleep: Sleep = time.sleep,
    throughput: PartitionThroughput | None = None,
) -> None:
    """BatchWriteItem, 25 requests at a time, retrying unprocessed items with backoff; each
    request (and each retry) first waits for room in its partitions when ``throughput`` paces.

    The caller must not put and delete the same key in one call (DynamoDB refuses duplicates).
    """
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in puts]
    requests += [{"DeleteRequest": {"Key": key}} for key in deletes]
    client = table.meta.client
    for chunk in chunks(requests, BATCH_WRITE_LIMIT):
        pending: list[Any] = list(chunk)
        for attempt in range(MAX_BATCH_ATTEMPTS):
            if attempt:
                _log_retry(operation, attempt, len(pending))
                sleep(backoff_delay(attempt - 1))
            if throughput is not None:
                throughput.wait_to_write(_write_units_by_partition(pending))
            with translate_aws_errors(operation):
                response = client.batch_write_item(RequestItems={table.name: pending})
            pending = list(response.get("UnprocessedItems", {}).get(table.name, []))
            if not pending:
                break
        else:
            raise AwsTransientError(operation, "UnprocessedItems")


def batch_get(
    table: Table,
    operation: str,
    keys: Sequence[Key],
    sleep: Sleep = time.sleep,
    throughput: PartitionThroughput | None = None,
) -> list[Item]:
    """BatchGetItem, 100 keys at a time (strongly consistent), retrying unprocessed keys; paced
    like ``batch_write`` (a strongly consistent read of an item up to 4 KB is one read unit)."""
    found: list[Item] = []
    client = table.meta.client
    unique = list({(key["pk"], key["sk"]): key for key in keys}.values())
    for chunk in chunks(unique, BATCH_GET_LIMIT):
        pending: list[Any] = list(chunk)
        for attempt in range(MAX_BATCH_ATTEMPTS):
            if attempt:
                _log_retry(operation, attempt, len(pending))
                sleep(backoff_delay(attempt - 1))
            if throughput is not None:
                throughput.wait_to_read(Counter(str(key["pk"]) for key in pending))
            with translate_aws_errors(operation):
                response = client.batch_get_item(
                    RequestItems={table.name: {"Keys": pending, "ConsistentRead": True}}
                )
            found += response.get("Responses", {}).get(table.name, [])
            unprocessed = response.get("UnprocessedKeys", {}).get(table.name)
            pending = list(unprocessed["Keys"]) if unprocessed else []
            if not pending:
                break
        else:
            raise AwsTransientError(operation, "UnprocessedKeys")
    return found


def _write_units_by_partition(requests: Sequence[Any]) -> dict[str, int]:
    """Write units per partition key of BatchWriteItem requests (a delete costs one)."""
    units: dict[str, int] = {}
    for request in requests:
        if "PutRequest" in request:
            item = request["PutRequest"]["Item"]
            partition, cost = str(item["pk"]), write_units(item)
        else:
            partition, cost = str(request["DeleteRequest"]["Key"]["pk"]), 1
        units[partition] = units.get(partition, 0) + cost
    return units
