"""Client-side pacing to DynamoDB's per-partition throughput.

A DynamoDB partition serves at most 3,000 read units and 1,000 write units per second, whatever
the table's capacity mode (AWS, "Best practices for designing and using partition keys
effectively"); above that it throttles (``UnprocessedItems`` / ``UnprocessedKeys``, or
``ProvisionedThroughputExceededException``). An import writes thousands of id mappings into one
partition per kind (``keys.mapping_pk``), from several threads: unpaced, it would hit that limit,
be throttled and back off, and a throttled batch that runs out of retries fails the import.
So every batch read and write asks here first, and waits until its partition has room.

Sliding one-second window per partition key: the units granted in any window of one second
never exceed the rate, which is what "per second" means to DynamoDB (a token bucket would let a
full bucket plus a second's refill through in one second). Adaptive capacity may give a hot
partition more, later; pacing to the documented floor is the safe side.
"""

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

PARTITION_WRITE_UNITS_PER_SECOND: Final = 900
PARTITION_READ_UNITS_PER_SECOND: Final = 2_700
WRITE_UNIT_BYTES: Final = 1_024  # one write unit: an item of up to 1 KB
WINDOW_SECONDS: Final = 1.0


def write_units(item: Mapping[str, Any]) -> int:
    """Write units one put of ``item`` costs: one per started KB (names and values counted;
    the JSON text is a slight over-estimate, which errs on the side of pacing)."""
    size = len(json.dumps(item, default=str, separators=(",", ":")).encode())
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


class _Window:
    """Units granted in the last second for one partition."""

    def __init__(self) -> None:
        self.grants: deque[tuple[float, int]] = deque()
        self.total = 0

    def forget_before(self, moment: float) -> None:
        while self.grants and self.grants[0][0] <= moment:
            self.total -= self.grants.popleft()[1]


class PartitionThroughput:
    """Waits until a partition can take ``units`` more this second; thread-safe.

    One instance per process (per Lambda container) is enough: a tenant's import runs in one
    invocation at a time (its lease), and other tenants' items are in other partitions.
    """

    def __init__(
        self,
        *,
        write_units_per_second: int = PARTITION_WRITE_UNITS_PER_SECOND,
        read_units_per_second: int = PARTITION_READ_UNITS_PER_SECOND,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if write_units_per_second < 1 or read_units_per_second < 1:
            raise ValueError("rates must be at least one unit per second")
        self._rates = {"write": write_units_per_second, "read": read_units_per_second}
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def wait_to_write(self, units_by_partition: Mapping[str, int]) -> None:
        self._wait("write", units_by_partition)

    def wait_to_read(self, units_by_partition: Mapping[str, int]) -> None:
        self._wait("read", units_by_partition)

    def _wait(self, kind: str, units_by_partition: Mapping[str, int]) -> None:
        rate = self._rates[kind]
        for partition, units in units_by_partition.items():
            # A request larger than a second's rate (impossible for DynamoDB's batch sizes
            # with these rates) is granted alone in an empty window rather than never.
            wanted = min(units, rate)
            while True:
                with self._lock:
                    now = self._monotonic()
                    window = self._windows.setdefault((kind, partition), _Window())
                    window.forget_before(now - WINDOW_SECONDS)
                    if window.total + wanted <= rate:
                        window.grants.append((now, units))
                        window.total += units
                        break
                    # Room appears when enough of the oldest grants leave the window.
                    freed, wait_until = 0, now
                    for granted_at, granted in window.grants:
                        freed += granted
                        wait_until = granted_at + WINDOW_SECONDS
                        if window.total - freed + wanted <= rate:
                            break
                self._sleep(max(wait_until - now, 0.0) + 1e-4)
