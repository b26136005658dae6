"""OutSmart's value formats: every value arrives as a string.

- numbers: ``"4,55"`` (materials, decimal comma), ``"50.00"`` (hour types, decimal dot), and
  possibly with thousands separators (``"1.234,56"``, ``"1,234.56"``); money is ``Decimal``;
- dates ``d-m-Y`` (``"13-05-2024"``), times ``H:i`` (``"08:00"``), durations ``HH:MM``
  (``"02:30"``), creation timestamps ``Y-m-d H:i`` (``"2024-05-13 08:00"``).

Empty strings mean "no value" and parse to ``None``. Invalid text raises ``OutSmartValueError``
(a ``ValueError``) that names the expected shape and the offending value only, never the record.
"""

import re
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from billit_sync.outsmart.assumptions import EMPTY_DATES, NON_TERMINATING_HOURS_PLACES

_MAX_SHOWN = 40


class OutSmartValueError(ValueError):
    """A value that does not have the shape OutSmart documents for it."""

    def __init__(self, shape: str, value: object) -> None:
        shown = repr(value)
        if len(shown) > _MAX_SHOWN:
            shown = shown[: _MAX_SHOWN - 3] + "..."
        super().__init__(f"invalid {shape}: {shown}")
        self.shape = shape
        self.value = value


def _text(value: str | None) -> str | None:
    """Stripped text, or ``None`` for ``None`` and blank strings."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


# ---------------------------------------------------------------------------------------------
# Decimals
# ---------------------------------------------------------------------------------------------

_PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?|\.\d+")


def _grouped(integer_part: str, sep: str) -> str | None:
    """``"1.234.567"`` with ``sep="."`` → ``"1234567"``; ``None`` when not grouped by threes."""
    pattern = re.compile(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3})+")
    if pattern.fullmatch(integer_part):
        return integer_part.replace(sep, "")
    return None


def parse_decimal(text: str | None) -> Decimal | None:
    """A number in either notation as an exact ``Decimal``; blank → ``None``. Never a float.

    When both ``,`` and ``.`` appear, the last one is the decimal separator and the other groups
    thousands. A single separator is the decimal one (``"4,55"``, ``"50.00"``); the same
    separator repeated can only be grouping (``"1.234.567"``).
    """
    stripped = _text(text)
    if stripped is None:
        return None
    body = stripped.replace(" ", "").replace("\u00a0", "")
    sign = ""
    if body[:1] in "+-":
        sign, body = body[0], body[1:]
    shape = "decimal number (e.g. '4,55' or '50.00')"
    if not body:
        raise OutSmartValueError(shape, text)
    commas, dots = body.count(","), body.count(".")
    if commas and dots:
        decimal_sep = "," if body.rfind(",") > body.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        integer_part, _, fraction = body.rpartition(decimal_sep)
        if group_sep in fraction or body.count(decimal_sep) != 1:
            raise OutSmartValueError(shape, text)
        integer = _grouped(integer_part, group_sep)
        if integer is None:
            raise OutSmartValueError(shape, text)
        normalized = f"{integer}.{fraction}"
    elif commas > 1 or dots > 1:
        integer = _grouped(body, "," if commas else ".")
        if integer is None:
            raise OutSmartValueError(shape, text)
        normalized = integer
    else:
        normalized = body.replace(",", ".")
    if not _PLAIN_NUMBER.fullmatch(normalized):
        raise OutSmartValueError(shape, text)
    try:
        return Decimal(sign + normalized)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid numbers
        raise OutSmartValueError(shape, text) from None


def _fixed(value: Decimal, places: int) -> str:
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN or Infinity
        raise OutSmartValueError("finite decimal", value)
    if exponent > -places:
        value = value.quantize(Decimal(1).scaleb(-places))
    return format(value, "f")


def format_decimal_comma(value: Decimal, places: int = 2) -> str:
    """``Decimal("4.55")`` → ``"4,55"``: OutSmart's notation for material prices.

    At least ``places`` decimals; more are kept (never rounds money away). No grouping.
    """
    return _fixed(value, places).replace(".", ",")


def format_decimal_dot(value: Decimal, places: int = 2) -> str:
    """``Decimal("50")`` → ``"50.00"``: OutSmart's notation for hour type prices."""
    return _fixed(value, places)


# ---------------------------------------------------------------------------------------------
# Dates and times
# ---------------------------------------------------------------------------------------------

_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
# At most 6 digits of hours (114 years): longer text would overflow int() and Decimal's precision.
_DURATION = re.compile(r"(\d{1,6}):([0-5]\d)")
_DATETIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


def parse_date(text: str | None) -> date | None:
    """``"13-05-2024"`` (``d-m-Y``) → ``date(2024, 5, 13)``; blank → ``None``."""
    stripped = _text(text)
    if stripped is None or stripped in EMPTY_DATES:
        return None
    shape = "d-m-Y date (e.g. '13-05-2024')"
    match = _DATE.fullmatch(stripped)
    if not match:
        raise OutSmartValueError(shape, text)
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise OutSmartValueError(shape, text) from None


def parse_time(text: str | None) -> time | None:
    """``"08:00"`` (``H:i``, seconds tolerated) → ``time(8, 0)``; blank → ``None``."""
    stripped = _text(text)
    if stripped is None:
        return None
    shape = "H:i time (e.g. '08:00')"
    match = _TIME.fullmatch(stripped)
    if not match:
        raise OutSmartValueError(shape, text)
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        raise OutSmartValueError(shape, text) from None


def parse_duration_minutes(text: str) -> int:
    """``"02:30"`` (``HH:MM``, hours may exceed 23) → ``150`` minutes, exactly."""
    stripped = text.strip() if isinstance(text, str) else ""
    match = _DURATION.fullmatch(stripped)
    if not match:
        raise OutSmartValueError("HH:MM duration (e.g. '02:30')", text)
    return int(match[1]) * 60 + int(match[2])


def parse_duration_hours(text: str) -> Decimal:
    """``"02:30"`` → ``Decimal("2.5")``: decimal hours, computed without floats.

    Exact whenever minutes/60 terminates (any multiple of 3 minutes); otherwise rounded half-up
    to ``NON_TERMINATING_HOURS_PLACES`` places (``"00:20"`` → ``0.333333``). Use
    ``parse_duration_minutes`` when an exact integer is needed.
    """
    hours, rest = divmod(parse_duration_minutes(text), 60)
    if rest % 3 == 0:  # rest/60 = (rest/3)/20 terminates within 4 places
        fraction = Decimal(rest * 10_000 // 60).scaleb(-4)
    else:
        fraction = (Decimal(rest) / Decimal(60)).quantize(
            Decimal(1).scaleb(-NON_TERMINATING_HOURS_PLACES), rounding=ROUND_HALF_UP
        )
    total = Decimal(hours) + fraction
    # Drop trailing zeros ("2.5000" → "2.5") without turning 10 into 1E+1.
    return total.quantize(Decimal(1)) if total == total.to_integral_value() else total.normalize()


def parse_datetime(text: str | None) -> datetime | None:
    """``"2024-05-13 08:00"`` (``Y-m-d H:i``) → a naive ``datetime``; blank → ``None``.

    Naive on purpose: OutSmart gives its local wall-clock time without a zone (see
    ``assumptions.OUTSMART_TIME_ZONE_NAME``).
    """
    stripped = _text(text)
    if stripped is None:
        return None
    shape = "Y-m-d H:i timestamp (e.g. '2024-05-13 08:00')"
    match = _DATETIME.fullmatch(stripped)
    if not match:
        raise OutSmartValueError(shape, text)
    year, month, day, hour, minute = (int(part) for part in match.groups()[:5])
    second = int(match[6] or 0)
    try:
        return datetime.combine(date(year, month, day), time(hour, minute, second))
    except ValueError:
        raise OutSmartValueError(shape, text) from None


def format_date(value: date) -> str:
    """``date(2024, 5, 13)`` → ``"13-05-2024"`` (``d-m-Y``), as UpdateWorkorder expects."""
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


def format_time(value: time) -> str:
    """``time(8, 0)`` → ``"08:00"`` (``H:i``)."""
    return f"{value.hour:02d}:{value.minute:02d}"
