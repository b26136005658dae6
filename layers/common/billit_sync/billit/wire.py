"""JSON in and out with exact decimals: money never passes through ``float``.

``loads`` parses every JSON number with a fraction as ``Decimal``; ``dumps`` writes a
``Decimal`` as a JSON number with its exact text (``Decimal("4.55")`` → ``4.55``), which the
standard ``json`` module cannot do without a float round trip.
"""

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def loads(content: bytes | str) -> Any:
    """Parse JSON; numbers with a fraction or exponent become ``Decimal``."""
    return json.loads(content, parse_float=Decimal)


def decimal_text(value: Decimal) -> str:
    """The JSON number text of a finite Decimal, without exponent (``1E+2`` → ``100``)."""
    if not value.is_finite():
        raise ValueError("amounts must be finite numbers")
    text = format(value, "f")
    return "0" if text in {"-0", "-0.0"} else text


def _scalar(value: Any) -> str | None:
    """The JSON text of a scalar, or None when ``value`` is a container."""
    if isinstance(value, Enum):
        value = value.value
    text: str | None = None
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, Decimal):
        text = decimal_text(value)
    elif isinstance(value, float):
        raise TypeError("floats are not sent to Billit; use Decimal")
    elif isinstance(value, datetime | date):
        text = json.dumps(value.isoformat())
    return text


def _encode(value: Any, out: list[str]) -> None:
    scalar = _scalar(value)
    if scalar is not None:
        out.append(scalar)
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot send a {type(value).__name__} to Billit as JSON")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON with exact decimal numbers."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")
