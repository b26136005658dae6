"""OData filters are built from literals, never by pasting user text."""

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from billit_sync.billit.odata import (
    ODataQuery,
    and_,
    datetime_literal,
    eq,
    ge,
    le,
    literal,
    string_literal,
)


def test_string_literal_doubles_single_quotes() -> None:
    assert string_literal("O'Brien") == "'O''Brien'"
    assert eq("Name", "x' or 1 eq 1 or Name eq 'y").expression == (
        "Name eq 'x'' or 1 eq 1 or Name eq ''y'"
    )


def test_control_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="control"):
        string_literal("a\nb")


def test_datetime_literal_is_date_only_and_utc() -> None:
    assert datetime_literal(date(2024, 5, 1)) == "DateTime'2024-05-01'"
    brussels = timezone(timedelta(hours=2))
    # 00:30 in Brussels is still 30 April in UTC.
    assert datetime_literal(datetime(2024, 5, 1, 0, 30, tzinfo=brussels)) == (
        "DateTime'2024-04-30'"
    )
    assert datetime_literal(datetime(2024, 5, 1, 23, 59, tzinfo=UTC)) == "DateTime'2024-05-01'"


def test_literals_of_other_types() -> None:
    assert literal(True) == "true"
    assert literal(42) == "42"
    assert literal(Decimal("4.50")) == "4.50"
    with pytest.raises(TypeError):
        literal(1.5)  # type: ignore[arg-type]


def test_and_combines_and_parenthesises_compound_terms() -> None:
    combined = eq("PartyType", "Customer") & ge("LastModified", date(2024, 5, 1))
    assert combined.expression == "PartyType eq 'Customer' and LastModified ge DateTime'2024-05-01'"
    nested = and_(combined, le("TotalIncl", Decimal("10")))
    assert nested.expression == f"({combined.expression}) and TotalIncl le 10"


@pytest.mark.parametrize("name", ["Name eq 'x' or Nr", "1abc", "", "a//b", "Name)"])
def test_property_names_are_checked(name: str) -> None:
    with pytest.raises(ValueError, match="property"):
        eq(name, "x")


def test_sub_property_paths_are_allowed() -> None:
    assert eq("CounterParty/PartyID", 5).expression == "CounterParty/PartyID eq 5"


def test_query_params() -> None:
    query = ODataQuery(
        filter=eq("PartyType", "Customer"), orderby=(("LastModified", "asc"),), top=50, skip=120
    )
    assert query.params() == {
        "$filter": "PartyType eq 'Customer'",
        "$orderby": "LastModified asc",
        "$top": "50",
        "$skip": "120",
    }
    with pytest.raises(ValueError, match="top"):
        ODataQuery(top=121).params()
    with pytest.raises(ValueError, match="direction"):
        ODataQuery(orderby=(("Name", "sideways"),)).params()
