"""Time that moves only when a test says so, shared by the stores and the fakes."""

from datetime import UTC, datetime, timedelta

START = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)


class FakeClock:
    """``clock()`` is an aware datetime for the stores; ``clock.epoch()`` unix seconds for
    the fakes, so both sides of a test agree on what time it is."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class RecordingSleep:
    """Stands in for ``time.sleep``: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
