"""OutSmart value formats: decimal commas and dots, d-m-Y dates, H:i times, HH:MM durations."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billit_sync.outsmart.values import (
    OutSmartValueError,
    format_date,
    format_decimal_comma,
    format_decimal_dot,
    format_time,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_duration_hours,
    parse_duration_minutes,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4,55", "4.55"),
        ("0,00", "0.00"),
        ("50.00", "50.00"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        (" 3 ", "3"),
        ("3", "3"),
        ("-4,55", "-4.55"),
        ("+2.5", "2.5"),
        (".5", "0.5"),
        ("1 234,56", "1234.56"),
        ("13,65", "13.65"),
        ("0.333333", "0.333333"),
    ],
)
def test_parse_decimal_reads_both_notations(text: str, expected: str) -> None:
    value = parse_decimal(text)
    assert isinstance(value, Decimal)
    assert value == Decimal(expected)
    assert str(value) == expected  # exact digits, no float detour


@pytest.mark.parametrize("text", ["", "   ", None])
def test_parse_decimal_blank_is_none(text: str | None) -> None:
    assert parse_decimal(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "4,5,6",
        "1.2.3",
        "1,23,456.00",
        "12.34,56.78",
        "4,55.1.2",
        "--1",
        "-",
        "1e5",
        "NaN",
        "Infinity",
        "4,",
        ",",
        "€ 4,55",
        "4,55 EUR",
        "1.234,5.6",
    ],
)
def test_parse_decimal_rejects_junk(text: str) -> None:
    with pytest.raises(OutSmartValueError) as caught:
        parse_decimal(text)
    assert isinstance(caught.value, ValueError)
    assert "decimal number" in str(caught.value)
    assert repr(text) in str(caught.value)


def test_error_message_truncates_long_values() -> None:
    with pytest.raises(OutSmartValueError) as caught:
        parse_decimal("x" * 500)
    assert len(str(caught.value)) < 120


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13-05-2024", date(2024, 5, 13)),
        ("01-01-2000", date(2000, 1, 1)),
        ("1-2-2024", date(2024, 2, 1)),
        ("29-02-2024", date(2024, 2, 29)),
        (" 31-12-2023 ", date(2023, 12, 31)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "  ", None, "00-00-0000"])
def test_parse_date_blank_is_none(text: str | None) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    "text", ["31-02-2024", "29-02-2023", "2024-05-13", "13/05/2024", "13-05-24", "today"]
)
def test_parse_date_rejects_other_shapes(text: str) -> None:
    with pytest.raises(OutSmartValueError, match="d-m-Y date"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8, 0)),
        ("8:05", time(8, 5)),
        ("23:59", time(23, 59)),
        ("08:00:30", time(8, 0, 30)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "08:60", "0800", "8h", "08.00"])
def test_parse_time_rejects_other_shapes(text: str) -> None:
    with pytest.raises(OutSmartValueError, match="H:i time"):
        parse_time(text)


def test_parse_time_blank_is_none() -> None:
    assert parse_time("") is None
    assert parse_time(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02:30", "2.5"),
        ("03:45", "3.75"),
        ("00:00", "0"),
        ("10:00", "10"),
        ("00:06", "0.1"),
        ("01:01", "1.016667"),
        ("00:20", "0.333333"),
        ("26:15", "26.25"),
        ("100:45", "100.75"),
    ],
)
def test_parse_duration_hours(text: str, expected: str) -> None:
    hours = parse_duration_hours(text)
    assert hours == Decimal(expected)
    assert str(hours) == expected


def test_parse_duration_minutes_is_exact() -> None:
    assert parse_duration_minutes("00:20") == 20
    assert parse_duration_minutes("26:15") == 26 * 60 + 15


@pytest.mark.parametrize("text", ["", "2,5", "02:75", "-01:00", "2h30", "02:3"])
def test_parse_duration_rejects_other_shapes(text: str) -> None:
    with pytest.raises(OutSmartValueError, match="HH:MM duration"):
        parse_duration_hours(text)


def test_parse_datetime() -> None:
    assert parse_datetime("2024-05-13 08:00") == datetime.combine(date(2024, 5, 13), time(8, 0))
    assert parse_datetime("2013-06-11 02:51:09") == datetime.combine(
        date(2013, 6, 11), time(2, 51, 9)
    )
    assert parse_datetime("") is None
    for junk in ("13-05-2024 08:00", "2024-02-30 08:00", "2024-05-13"):
        with pytest.raises(OutSmartValueError, match="Y-m-d H:i"):
            parse_datetime(junk)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("4.55"), "4,55"),
        (Decimal("4.5"), "4,50"),
        (Decimal(4), "4,00"),
        (Decimal("-1.2"), "-1,20"),
        (Decimal("4.5575"), "4,5575"),
        (Decimal("1234567.5"), "1234567,50"),
        (Decimal("1E+3"), "1000,00"),
        (Decimal("0.00"), "0,00"),
    ],
)
def test_format_decimal_comma(value: Decimal, expected: str) -> None:
    assert format_decimal_comma(value) == expected


def test_format_decimal_dot() -> None:
    assert format_decimal_dot(Decimal(50)) == "50.00"
    assert format_decimal_dot(Decimal("37.5")) == "37.50"


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity")])
def test_format_rejects_non_finite(value: Decimal) -> None:
    with pytest.raises(OutSmartValueError):
        format_decimal_comma(value)


def test_format_date_and_time() -> None:
    assert format_date(date(2024, 5, 3)) == "03-05-2024"
    assert format_time(time(8, 5)) == "08:05"
    assert parse_date(format_date(date(2024, 5, 3))) == date(2024, 5, 3)


money = st.decimals(
    min_value=Decimal("-1000000000"),
    max_value=Decimal("1000000000"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(money)
def test_decimal_comma_round_trips(value: Decimal) -> None:
    assert parse_decimal(format_decimal_comma(value)) == value


@given(money)
def test_decimal_dot_round_trips(value: Decimal) -> None:
    assert parse_decimal(format_decimal_dot(value)) == value


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=59))
def test_duration_hours_times_sixty_is_the_minutes(hours: int, minutes: int) -> None:
    text = f"{hours:02d}:{minutes:02d}"
    decimal_hours = parse_duration_hours(text)
    assert abs(decimal_hours * 60 - parse_duration_minutes(text)) < Decimal("0.0001")
    if minutes % 3 == 0:
        assert decimal_hours * 60 == hours * 60 + minutes
