"""Money on the wire: exact decimal text, never a float."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from billit_sync.billit import wire
from billit_sync.billit.orders import Attachment, NewOrder, NewOrderLine, OrderCustomer


def test_decimals_keep_their_exact_text() -> None:
    assert wire.dumps({"a": Decimal("4.55"), "b": Decimal("2.50"), "c": 3}) == (
        b'{"a":4.55,"b":2.50,"c":3}'
    )
    assert wire.dumps([Decimal("1E+2"), Decimal("0.1") + Decimal("0.2")]) == b"[100,0.3]"


def test_floats_and_non_finite_numbers_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        wire.dumps({"a": 0.1})
    with pytest.raises(ValueError, match="finite"):
        wire.dumps(Decimal("NaN"))


def test_loads_reads_exact_decimals() -> None:
    assert wire.loads(b'{"a": 4.55, "b": 0.1}') == {"a": Decimal("4.55"), "b": Decimal("0.1")}


def test_strings_dates_and_unicode() -> None:
    assert wire.dumps({"d": date(2024, 5, 14), "s": 'Café "x"', "n": None, "t": True}) == (
        '{"d":"2024-05-14","s":"Café \\"x\\"","n":null,"t":true}'.encode()
    )


def _order() -> NewOrder:
    return NewOrder(
        order_date=date(2024, 5, 14),
        expiry_date=date(2024, 6, 13),
        order_title="Werkbon WB-1042",
        external_provider_id="os-7-1919",
        customer=OrderCustomer(party_id=884211, name="Peeters BV"),
        order_lines=[
            NewOrderLine(
                quantity=Decimal("2.5"),
                unit_price_excl=Decimal("55.00"),
                description="Arbeid monteur",
                reference="HT-001",
                vat_percentage=Decimal(21),
            ),
            NewOrderLine(
                quantity=Decimal(3),
                unit_price_excl=Decimal("4.55"),
                description="Koppelstuk 15 mm",
                reference="MAT-00001",
                vat_percentage=Decimal(21),
            ),
        ],
    )


def test_new_order_wire_format_is_exact_pascal_case() -> None:
    assert _order().to_json() == (
        b'{"OrderType":"Invoice","OrderDirection":"Income","OrderDate":"2024-05-14",'
        b'"ExpiryDate":"2024-06-13","OrderTitle":"Werkbon WB-1042",'
        b'"ExternalProviderID":"os-7-1919",'
        b'"Customer":{"PartyID":884211,"Name":"Peeters BV","PartyType":"Customer"},'
        b'"OrderLines":[{"Quantity":2.5,"UnitPriceExcl":55.00,"Description":"Arbeid monteur",'
        b'"Reference":"HT-001","VATPercentage":21},'
        b'{"Quantity":3,"UnitPriceExcl":4.55,"Description":"Koppelstuk 15 mm",'
        b'"Reference":"MAT-00001","VATPercentage":21}]}'
    )


def test_order_lines_refuse_floats_and_typos() -> None:
    with pytest.raises(ValidationError, match="float"):
        NewOrderLine(quantity=0.1, description="x")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        NewOrderLine.model_validate({"Quantity": 1, "Description": "x", "UnitPrice": 2})
    with pytest.raises(ValidationError):
        NewOrderLine(quantity=Decimal("Infinity"), description="x")
    with pytest.raises(ValidationError):
        NewOrderLine(quantity=Decimal(1), description="x" * 513)


def test_attachment_is_base64() -> None:
    attachment = Attachment.from_bytes("wb.pdf", "application/pdf", b"%PDF-1.7")
    assert attachment.to_wire() == {
        "FileName": "wb.pdf",
        "MimeType": "application/pdf",
        "FileContent": "JVBERi0xLjc=",
    }
    with pytest.raises(ValidationError, match="base64"):
        Attachment(file_name="a", mime_type="b", file_content="not base64!")
