"""OData query options for Billit (``$filter``, ``$orderby``, ``$top``, ``$skip``), built safely.

Values become literals through ``literal`` (strings quoted with ``''`` doubling, dates as
``DateTime'…'``); property names must look like names. User data is never pasted into a
filter as raw text.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from billit_sync.billit.wire import decimal_text

# Billit's page size is 120 rows by default and at most (reference §4).
MAX_PAGE_SIZE = 120

_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# ⚠ A time part inside DateTime'…' is undocumented (reference §4). Safe assumption: send the
# documented date-only form; the watermark query uses ``ge`` and callers dedupe, so the
# rest of the day is merely fetched again.
DATETIME_LITERAL_INCLUDES_TIME = False


def datetime_literal(value: datetime | date) -> str:
    """``DateTime'2024-05-01'``; an aware datetime is first converted to UTC."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        if DATETIME_LITERAL_INCLUDES_TIME:
            return f"DateTime'{moment.strftime('%Y-%m-%dT%H:%M:%S')}'"
        value = moment.date()
    return f"DateTime'{value.isoformat()}'"


def string_literal(value: str) -> str:
    """``'O''Brien'``: single quotes doubled; control characters refused."""
    if _CONTROL.search(value):
        raise ValueError("OData string values may not contain control characters")
    return "'" + value.replace("'", "''") + "'"


Value = str | int | Decimal | bool | date | datetime | Enum


def literal(value: Value) -> str:
    """The OData literal of a Python value."""
    if isinstance(value, Enum):
        return literal(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return datetime_literal(value)
    if isinstance(value, str):
        return string_literal(value)
    raise TypeError(f"no OData literal for {type(value).__name__}")


def _property(name: str) -> str:
    if not _PROPERTY.match(name):
        raise ValueError(f"not an OData property name: {name!r}")
    return name


@dataclass(frozen=True)
class ODataFilter:
    """A ``$filter`` expression; combine with ``&`` (``and``)."""

    expression: str

    def __and__(self, other: "ODataFilter") -> "ODataFilter":
        return and_(self, other)

    def __str__(self) -> str:
        return self.expression


def _compare(name: str, operator: str, value: Value) -> ODataFilter:
    return ODataFilter(f"{_property(name)} {operator} {literal(value)}")


def eq(name: str, value: Value) -> ODataFilter:
    return _compare(name, "eq", value)


def ge(name: str, value: Value) -> ODataFilter:
    return _compare(name, "ge", value)


def le(name: str, value: Value) -> ODataFilter:
    return _compare(name, "le", value)


def and_(*filters: ODataFilter) -> ODataFilter:
    """Terms joined with ``and``; compound terms get parentheses."""
    if not filters:
        raise ValueError("and_ needs at least one filter")
    parts = [
        f"({item.expression})"
        if " and " in item.expression and len(filters) > 1
        else item.expression
        for item in filters
    ]
    return ODataFilter(" and ".join(parts))


@dataclass(frozen=True)
class ODataQuery:
    """Query options of a list call, rendered as request parameters."""

    filter: ODataFilter | None = None
    orderby: tuple[tuple[str, str], ...] = ()
    top: int | None = None
    skip: int | None = None

    def params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.filter is not None:
            params["$filter"] = self.filter.expression
        if self.orderby:
            clauses = []
            for name, direction in self.orderby:
                if direction not in {"asc", "desc"}:
                    raise ValueError("order direction is 'asc' or 'desc'")
                clauses.append(f"{_property(name)} {direction}")
            params["$orderby"] = ",".join(clauses)
        if self.top is not None:
            if not 1 <= self.top <= MAX_PAGE_SIZE:
                raise ValueError(f"$top must be between 1 and {MAX_PAGE_SIZE}")
            params["$top"] = str(self.top)
        if self.skip is not None:
            if self.skip < 0:
                raise ValueError("$skip cannot be negative")
            params["$skip"] = str(self.skip)
        return params
