"""Time as the stores see it: an injected clock, UTC-aware datetimes, fixed-width ISO strings.

Stores never call ``datetime.now`` themselves so tests can move time (leases, TTL, expiry).
Datetimes are stored as fixed-width UTC ISO strings, which sort lexicographically in time
order; TTL and lease deadlines are stored as integer epoch seconds (DynamoDB TTL needs that).
"""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

Clock = Callable[[], datetime]
"""Returns the current time, UTC-aware."""


def system_clock() -> datetime:
    """The production clock."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Refuse naive datetimes: a naive time in a key or a TTL silently shifts by hours."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


def to_iso(value: datetime) -> str:
    """Fixed-width ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``: sortable as a string."""
    return as_utc(value).isoformat(timespec="microseconds")


def from_iso(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value))


def to_epoch(value: datetime) -> int:
    """Whole epoch seconds, the format of DynamoDB's TTL attribute (rounded down)."""
    return int(as_utc(value).timestamp())


def from_epoch(value: int | Decimal) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)
