"""Pacing to DynamoDB's per-partition rate: never more than the rate in any one second, and no
waiting beyond what that needs. Time is simulated: ``sleep`` moves the clock."""

import threading
import time

import pytest

from billit_sync.store.throughput import PartitionThroughput, write_units


class SimulatedTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def most_in_any_second(grants: list[tuple[float, int]]) -> int:
    """The most units granted within any window of one second (checked at every grant)."""
    return max(
        sum(units for at, units in grants if moment - 1.0 < at <= moment) for moment, _ in grants
    )


def test_a_partition_gets_its_rate_and_no_more_in_any_second() -> None:
    clock = SimulatedTime()
    pace = PartitionThroughput(
        write_units_per_second=900, monotonic=clock.monotonic, sleep=clock.sleep
    )
    grants: list[tuple[float, int]] = []
    for _ in range(100):  # 100 batches of 25 items: 2,500 units
        pace.wait_to_write({"customers": 25})
        grants.append((clock.now, 25))

    assert most_in_any_second(grants) == 900  # full use of the rate ...
    # ... and no more waiting than the rate needs: 900 at 0 s, 900 at 1 s, 700 at 2 s.
    assert clock.now == pytest.approx(2.0, abs=0.01)


def test_partitions_are_paced_apart() -> None:
    clock = SimulatedTime()
    pace = PartitionThroughput(
        write_units_per_second=100, monotonic=clock.monotonic, sleep=clock.sleep
    )
    pace.wait_to_write({"customers": 100})
    pace.wait_to_write({"products": 100})  # another partition: no wait
    assert clock.slept == []
    pace.wait_to_write({"customers": 1})
    assert clock.now == pytest.approx(1.0, abs=0.01)


def test_reads_and_writes_have_their_own_rates() -> None:
    clock = SimulatedTime()
    pace = PartitionThroughput(
        write_units_per_second=10,
        read_units_per_second=30,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )
    pace.wait_to_write({"customers": 10})
    pace.wait_to_read({"customers": 30})
    assert clock.slept == []
    pace.wait_to_read({"customers": 1})
    assert clock.now == pytest.approx(1.0, abs=0.01)


def test_threads_sharing_one_pace_keep_to_the_rate_together() -> None:
    pace = PartitionThroughput(write_units_per_second=1_000)
    grants: list[tuple[float, int]] = []
    lock = threading.Lock()

    def writer() -> None:
        for _ in range(20):
            pace.wait_to_write({"customers": 25})
            with lock:
                grants.append((time.monotonic(), 25))

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(grants) == 80  # 2,000 units: about one second of waiting
    assert most_in_any_second(sorted(grants)) <= 1_000


def test_write_units_count_started_kilobytes() -> None:
    assert write_units({"pk": "a", "sk": "b"}) == 1
    assert write_units({"pk": "a", "blob": "x" * 3_000}) == 3


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one unit"):
        PartitionThroughput(write_units_per_second=0)
