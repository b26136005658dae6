"""OutSmart's values arrive as text: every parser gives a value or ``OutSmartValueError``, and
the ``WorkOrder`` model parses or raises ``ValidationError`` / ``OutSmartDataError``, on any
input."""

from datetime import date, time
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from billit_sync.outsmart.errors import OutSmartDataError
from billit_sync.outsmart.models import WorkOrder, WorkOrderMaterial, WorkPeriod
from billit_sync.outsmart.values import (
    OutSmartValueError,
    parse_date,
    parse_decimal,
    parse_duration_hours,
    parse_time,
)

NUMBERISH = "0123456789.,-+ :\u00a0"
# Digits of other scripts (Arabic-Indic, fullwidth, superscripts: isdigit but not decimal).
ODD_DIGITS = "\u0660\u0669\uff10\uff19\u00b2\u00b3\u2070\u0f20\U0001d7ce"


def _long_digits(n: int) -> str:
    return "1" * n


texts = st.one_of(
    st.text(),
    st.text(alphabet=NUMBERISH, max_size=30),
    st.text(alphabet=NUMBERISH + ODD_DIGITS, max_size=30),
    st.from_regex(r"[+-]?\d{1,7}([.,]\d{3})*([.,]\d{1,6})?", fullmatch=True),
    st.from_regex(r"\d{1,3}-\d{1,3}-\d{1,5}", fullmatch=True),
    st.from_regex(r"\d{1,3}:\d{1,3}(:\d{1,3})?", fullmatch=True),
    # Longer than Python's int() accepts (4300 digits), with and without a separator.
    st.integers(4290, 4400).map(_long_digits),
    st.integers(4290, 4400).map(lambda n: _long_digits(n) + ":30"),
    st.integers(4290, 4400).map(lambda n: _long_digits(n) + ",5"),
)


def _parses_or_refuses(parser: Any, text: str, kind: type | tuple[type, ...]) -> None:
    try:
        value = parser(text)
    except OutSmartValueError as refused:
        message = str(refused)
    else:
        assert value is None or isinstance(value, kind)
        return
    assert len(message) < 200  # names the shape and a short excerpt, never more


@given(texts)
def test_parse_decimal(text: str) -> None:
    _parses_or_refuses(parse_decimal, text, Decimal)
    try:
        value = parse_decimal(text)
    except OutSmartValueError:
        return
    assert value is None or value.is_finite()


@given(texts)
def test_parse_date(text: str) -> None:
    _parses_or_refuses(parse_date, text, date)


@given(texts)
def test_parse_time(text: str) -> None:
    _parses_or_refuses(parse_time, text, time)


@given(texts)
def test_parse_duration_hours(text: str) -> None:
    _parses_or_refuses(parse_duration_hours, text, Decimal)
    try:
        hours = parse_duration_hours(text)
    except OutSmartValueError:
        return
    assert hours >= 0


@given(hours=st.integers(0, 10_000), minutes=st.integers(0, 59))
def test_durations_round_trip(hours: int, minutes: int) -> None:
    parsed = parse_duration_hours(f"{hours:02d}:{minutes:02d}")
    assert abs(parsed - (hours + Decimal(minutes) / 60)) < Decimal("0.000001")


# ------------------------------------------------------------------------- WorkOrder model
def _aliases(model: type[Any]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def _record(model: type[Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(_aliases(model)) | st.text(max_size=12)
    return st.dictionaries(keys, st.one_of(texts, json_scalars), max_size=8)


workorders = st.dictionaries(
    st.sampled_from([*_aliases(WorkOrder), "Id", "ID", "row_id", "Order Nr", "Status"])
    | st.text(max_size=12),
    st.one_of(
        texts,
        json_scalars,
        st.lists(_record(WorkPeriod), max_size=3),
        st.lists(_record(WorkOrderMaterial), max_size=3),
        json_values,
    ),
    max_size=12,
)


@given(st.one_of(workorders, json_values))
def test_workorder_model_parses_or_refuses(data: Any) -> None:
    try:
        order = WorkOrder.model_validate(data)
    except (ValidationError, OutSmartDataError):
        return
    # What the export reads from a parsed work order must not fail either.
    assert isinstance(order.total_hours, Decimal)
    assert isinstance(order.invoice_debtor_number, str)
    order.model_dump(mode="json")
