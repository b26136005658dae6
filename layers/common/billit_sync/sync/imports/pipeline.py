"""The two helpers that let an import overlap its three kinds of waiting (issue 16).

An import waits on Billit (pages, a chain: each page names the next), on OutSmart (one request
at a time per tenant, outsmart-api.md §8) and on DynamoDB (id mappings, paced per partition).
Done one after the other, the run takes the sum of the three; overlapped, about the largest.

- ``BackgroundReader`` reads (and prepares) the next batches of a Billit list in its own thread
  while the caller's thread writes the current one to OutSmart.
- ``OrderedCommits`` stores each batch's id mappings in the background and runs the batch's
  commit (advancing the watermark) on the caller's thread, strictly in submission order and only
  once the batch and every batch before it is stored. So a crash, a timeout or a failed write
  never moves the watermark past a batch whose mappings are not stored (they are redone by the
  next run: OutSmart's upserts and the mapping writes are idempotent), and a failure is raised
  to the caller, never dropped in a thread.
"""

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Final, Self

from billit_sync.observability import logger

_POLL_SECONDS: Final = 0.1


class BackgroundReader[ItemT]:
    """Iterates ``produce()`` in a thread, at most ``depth`` items ahead of the consumer.

    The consumer iterates this object in its own thread; an exception of the producer is raised
    there, at the position it happened. ``close`` (or leaving the ``with`` block) stops the
    producer at its next item: nothing more is read than ``depth`` items ahead of what was used.
    """

    def __init__(self, produce: Callable[[], Iterator[ItemT]], *, depth: int, name: str) -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self._produce = produce
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            self._discard_queued()
            self._thread.join(_POLL_SECONDS)
        self._discard_queued()

    def __iter__(self) -> Iterator[ItemT]:
        while True:
            kind, value = self._queue.get()
            if kind == "item":
                yield value  # type: ignore[misc]  # put as ItemT by _run
            elif isinstance(value, BaseException):
                raise value
            else:
                return

    def _run(self) -> None:
        try:
            items = self._produce()
            try:
                for item in items:
                    if not self._put("item", item):
                        return
            finally:
                close = getattr(items, "close", None)  # a generator: let it clean up now
                if close is not None:
                    close()
            self._put("end", None)
        except BaseException as error:  # handed to the consumer, raised there
            self._put("error", error)

    def _put(self, kind: str, value: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put((kind, value), timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def _discard_queued(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return


class OrderedCommits:
    """Background writes whose commits run in order, on the thread that submitted them.

    At most ``max_pending`` writes wait at a time (memory, and the time a checkpoint needs to
    drain them), on ``workers`` threads. Leaving the ``with`` block waits for every write and
    commits, in order, each one up to the first that failed; if the block itself raised, a
    failed write is logged and the block's exception goes on.
    """

    def __init__(self, *, workers: int, max_pending: int) -> None:
        if workers < 1 or max_pending < 1:
            raise ValueError("workers and max_pending must be at least 1")
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import-store")
        self._max_pending = max_pending
        self._pending: deque[tuple[Future[None], Callable[[], None]]] = deque()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                self.drain()
            else:
                try:
                    self.drain()
                except Exception:  # the block's own error is the one to raise
                    logger.exception("an import write failed while the import was stopping")
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, write: Callable[[], None], commit: Callable[[], None]) -> None:
        """Run ``write`` in the background; ``commit`` once it and all earlier ones are done."""
        self._raise_failed()
        self._pending.append((self._executor.submit(write), commit))
        self._commit_done()
        while len(self._pending) > self._max_pending:
            self._commit_head()

    def then(self, commit: Callable[[], None]) -> None:
        """Run ``commit`` once every write submitted so far is done (and committed)."""
        done: Future[None] = Future()
        done.set_result(None)
        self._pending.append((done, commit))
        self._commit_done()

    def drain(self) -> None:
        """Wait for every write and commit each, in order."""
        while self._pending:
            self._commit_head()

    def _commit_done(self) -> None:
        while self._pending and self._pending[0][0].done():
            self._commit_head()

    def _commit_head(self) -> None:
        future, commit = self._pending[0]
        future.result()  # a failed write raises here and is never committed
        self._pending.popleft()
        commit()

    def _raise_failed(self) -> None:
        """Stop at once when any write failed, not only when its turn to commit comes."""
        for future, _ in self._pending:
            if future.done() and future.exception() is not None:
                self.drain()  # commits what is before it, then raises its error
