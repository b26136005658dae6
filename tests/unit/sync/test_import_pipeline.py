"""The import's overlap helpers: a reader ahead of its consumer that never hides an error,
and background writes committed strictly in order, stopping at the first failure."""

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from billit_sync.sync.imports.pipeline import BackgroundReader, OrderedCommits


def test_the_reader_yields_everything_in_order() -> None:
    with BackgroundReader(lambda: iter(range(50)), depth=3, name="test") as reader:
        assert list(reader) == list(range(50))


def test_a_producer_error_is_raised_to_the_consumer_where_it_happened() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("page 3 failed")

    seen: list[int] = []
    with (  # noqa: PT012 — the block is what raises
        BackgroundReader(produce, depth=2, name="test") as reader,
        pytest.raises(RuntimeError, match="page 3 failed"),
    ):
        for item in reader:
            seen.append(item)
    assert seen == [1, 2]


def test_closing_stops_the_producer_a_few_items_ahead() -> None:
    produced: list[int] = []
    closed = threading.Event()

    def produce() -> Iterator[int]:
        try:
            for n in range(1_000):
                produced.append(n)
                yield n
        finally:
            closed.set()

    with BackgroundReader(produce, depth=2, name="test") as reader:
        items = iter(reader)
        assert [next(items), next(items)] == [0, 1]
    assert closed.wait(5)  # the generator was closed, so it could clean up
    assert len(produced) <= 2 + 2 + 1  # used + depth + the one waiting to be queued


def test_commits_run_in_submission_order_even_when_later_writes_finish_first() -> None:
    committed: list[int] = []

    def write_taking(seconds: float) -> Callable[[], None]:
        return lambda: time.sleep(seconds)

    def commit_of(n: int) -> Callable[[], None]:
        return lambda: committed.append(n)

    with OrderedCommits(workers=4, max_pending=10) as commits:
        for n, seconds in enumerate([0.2, 0.0, 0.1, 0.0]):
            commits.submit(write=write_taking(seconds), commit=commit_of(n))
        commits.then(commit_of(99))
    assert committed == [0, 1, 2, 3, 99]


def test_a_failed_write_is_raised_and_nothing_after_it_is_committed() -> None:
    committed: list[int] = []

    def fail() -> None:
        raise OSError("DynamoDB said no")

    with (  # noqa: PT012 — the block is what raises
        pytest.raises(OSError, match="said no"),
        OrderedCommits(workers=1, max_pending=10) as commits,
    ):
        commits.submit(write=lambda: None, commit=lambda: committed.append(0))
        commits.submit(write=fail, commit=lambda: committed.append(1))
        commits.submit(write=lambda: None, commit=lambda: committed.append(2))
    assert committed == [0]


def test_a_failed_write_is_raised_at_a_later_submit_not_only_at_the_end() -> None:
    def fail() -> None:
        raise OSError("DynamoDB said no")

    submits = 0
    with (  # noqa: PT012 — the block is what raises
        pytest.raises(OSError, match="said no"),
        OrderedCommits(workers=2, max_pending=1_000) as commits,
    ):
        commits.submit(write=fail, commit=lambda: None)
        while submits < 500:  # far below max_pending: only the failure can stop this loop
            commits.submit(write=lambda: None, commit=lambda: None)
            submits += 1
            time.sleep(0.01)
    assert submits < 500


def test_at_most_max_pending_writes_wait() -> None:
    waiting: list[int] = []
    with OrderedCommits(workers=8, max_pending=3) as commits:
        for _ in range(10):  # submitted at once; each write takes 50 ms
            commits.submit(write=lambda: time.sleep(0.05), commit=lambda: None)
            waiting.append(len(commits._pending))
    assert max(waiting) == 3


def test_an_error_in_the_block_still_commits_what_was_stored() -> None:
    committed: list[int] = []
    with pytest.raises(KeyError), OrderedCommits(workers=2, max_pending=10) as commits:  # noqa: PT012
        commits.submit(write=lambda: time.sleep(0.05), commit=lambda: committed.append(0))
        raise KeyError("OutSmart failed")
    assert committed == [0]
