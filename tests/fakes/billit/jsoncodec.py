"""JSON in and out with exact decimals: numbers are read as ``Decimal`` and written digit for digit.

The standard encoder cannot write ``Decimal`` and would turn ``137.50`` into a float; Billit's
.NET backend writes decimals with their scale (``1.05000``, ``137.50``), so the fake does too.
"""

import json
from decimal import Decimal
from typing import Any


def loads(raw: bytes | str) -> Any:
    """Parse JSON reading every non-integer number as an exact ``Decimal``."""
    return json.loads(raw, parse_float=Decimal)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (no spaces), decimals written with exactly their digits."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts).encode()


def _write(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, bool | str):
        out.append(json.dumps(value, ensure_ascii=False))
        return
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("JSON has no representation for a non-finite decimal")
        out.append(format(value, "f"))
        return
    if isinstance(value, int | float):
        out.append(json.dumps(value))
        return
    if isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
        return
    if isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
        return
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
