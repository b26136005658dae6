"""DynamoDB's per-partition throughput and latency, for the partitions an import fills.

moto answers DynamoDB correctly but without limits or latency, and spends 1 to 7 ms of CPU per item
(its response serializer), which a benchmark would measure instead of the import. This model
serves the id-mapping partitions (``…#MAP#…``) itself, from memory, and leaves every other item
to moto. It plays what AWS documents and nothing more:

- a partition serves at most 1,000 write units and 3,000 read units per second ("Best practices
  for designing and using partition keys effectively"); an item of up to 1 KB written is one
  write unit, a strongly consistent read of up to 4 KB one read unit;
- a batch that meets a full partition gets the items it could not serve back in
  ``UnprocessedItems`` / ``UnprocessedKeys`` (BatchWriteItem / BatchGetItem API reference). When
  nothing at all could be served DynamoDB raises ProvisionedThroughputExceededException, which
  botocore retries by itself; the model answers with everything unprocessed instead, which the
  caller retries the same way (this model sits in front of botocore's retries);
- every request takes ``latency`` seconds (one round trip in the region; a parameter).

The window is a sliding second per partition key. It counts what was served and measures the
most units any partition served in any one second, so a test or the benchmark can show the
client kept to the rate (``throttled`` = 0) without hiding it behind the throttling.
"""

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

WireItem = dict[str, Any]  # {"pk": {"S": "..."}, ...} as on the wire
MAPPING_PARTITION = "#MAP#"


def _key(item: WireItem) -> tuple[str, str]:
    return str(item["pk"]["S"]), str(item["sk"]["S"])


@dataclass
class _Window:
    served: deque[tuple[float, int]] = field(default_factory=deque)
    total: int = 0


@dataclass
class PartitionStats:
    requests: dict[str, int] = field(default_factory=dict)  # operation → requests served
    write_units: dict[str, int] = field(default_factory=dict)  # partition → units written
    read_units: dict[str, int] = field(default_factory=dict)
    throttled_writes: int = 0  # items sent back unprocessed
    throttled_reads: int = 0
    max_write_units_in_a_second: dict[str, int] = field(default_factory=dict)
    max_read_units_in_a_second: dict[str, int] = field(default_factory=dict)


class DynamoDBPartitions:
    """Install on a client with ``install(table.meta.client)``; thread-safe."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        write_units_per_second: int = 1_000,
        read_units_per_second: int = 3_000,
        serves: Callable[[str], bool] = lambda pk: MAPPING_PARTITION in pk,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.latency = latency
        self.rates = {"write": write_units_per_second, "read": read_units_per_second}
        self.serves = serves
        # Stored as JSON text: botocore's after-call transformation rewrites answers in place.
        self.items: dict[tuple[str, str], str] = {}
        self.stats = PartitionStats()
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def install(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb", self._before_call)

    # ------------------------------------------------------------------ dispatch
    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        body = json.loads(params.get("body") or b"{}")
        handler = getattr(self, f"_{model.name}", None)
        partitions = self._partitions(model.name, body)
        if not partitions or not any(self.serves(pk) for pk in partitions):
            return None  # not a mapping partition: moto answers
        if handler is None or not all(self.serves(pk) for pk in partitions):
            raise NotImplementedError(f"the partition model does not serve {model.name} here")
        if self.latency:
            self._sleep(self.latency)
        parsed = handler(body)
        with self._lock:
            self.stats.requests[model.name] = self.stats.requests.get(model.name, 0) + 1
        return AWSResponse("https://dynamodb.model", 200, HTTPHeaders(), None), parsed

    @staticmethod
    def _partitions(operation: str, body: dict[str, Any]) -> set[str]:
        if operation == "BatchWriteItem":
            return {
                str((r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"])["pk"]["S"])
                for requests in body["RequestItems"].values()
                for r in requests
            }
        if operation == "BatchGetItem":
            return {
                str(key["pk"]["S"])
                for table in body["RequestItems"].values()
                for key in table["Keys"]
            }
        if operation == "Query":
            value = body.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S")
            return {str(value)} if value else set()
        if "Key" in body:
            return {str(body["Key"]["pk"]["S"])}
        if "Item" in body:
            return {str(body["Item"]["pk"]["S"])}
        return set()

    # ---------------------------------------------------------------- capacity
    def _take(self, kind: str, partition: str, units: int) -> bool:
        """Serve ``units`` on ``partition`` now if its last second leaves room (lock held)."""
        now = self._monotonic()
        window = self._windows.setdefault((kind, partition), _Window())
        while window.served and window.served[0][0] <= now - 1.0:
            window.total -= window.served.popleft()[1]
        if window.total + units > self.rates[kind]:
            return False
        window.served.append((now, units))
        window.total += units
        peak = (
            self.stats.max_write_units_in_a_second
            if kind == "write"
            else self.stats.max_read_units_in_a_second
        )
        peak[partition] = max(peak.get(partition, 0), window.total)
        totals = self.stats.write_units if kind == "write" else self.stats.read_units
        totals[partition] = totals.get(partition, 0) + units
        return True

    # -------------------------------------------------------------- operations
    def _BatchWriteItem(self, body: dict[str, Any]) -> dict[str, Any]:
        unprocessed: dict[str, list[Any]] = {}
        with self._lock:
            for table, requests in body["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        units = max(1, math.ceil(len(json.dumps(item)) / 1024))
                        if self._take("write", _key(item)[0], units):
                            self.items[_key(item)] = json.dumps(item)
                            continue
                    else:
                        key = request["DeleteRequest"]["Key"]
                        if self._take("write", _key(key)[0], 1):
                            self.items.pop(_key(key), None)
                            continue
                    self.stats.throttled_writes += 1
                    unprocessed.setdefault(table, []).append(request)
        return {"UnprocessedItems": unprocessed}

    def _BatchGetItem(self, body: dict[str, Any]) -> dict[str, Any]:
        responses: dict[str, list[WireItem]] = {}
        unprocessed: dict[str, Any] = {}
        with self._lock:
            for table, wanted in body["RequestItems"].items():
                found = responses.setdefault(table, [])
                for key in wanted["Keys"]:
                    if not self._take("read", _key(key)[0], 1):
                        self.stats.throttled_reads += 1
                        rest = unprocessed.setdefault(table, {**wanted, "Keys": []})
                        rest["Keys"].append(key)
                        continue
                    item = self.items.get(_key(key))
                    if item is not None:
                        found.append(json.loads(item))
        return {"Responses": responses, "UnprocessedKeys": unprocessed}

    def _GetItem(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            item = self.items.get(_key(body["Key"]))
        return {"Item": json.loads(item)} if item is not None else {}

    def _Query(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("KeyConditionExpression") != "pk = :pk AND begins_with(sk, :prefix)":
            raise NotImplementedError(body.get("KeyConditionExpression"))
        values = body["ExpressionAttributeValues"]
        pk, prefix = values[":pk"]["S"], values[":prefix"]["S"]
        with self._lock:
            items = [
                json.loads(item)
                for (item_pk, sk), item in sorted(self.items.items())
                if item_pk == pk and sk.startswith(prefix)
            ]
        return {"Items": items, "Count": len(items), "ScannedCount": len(items)}
