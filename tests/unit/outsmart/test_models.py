"""The work-order and master-data models against the reference's examples and quirks."""

import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from billit_sync.outsmart.models import (
    CategoryRecord,
    ContactPersonRecord,
    HourTypeRecord,
    MaterialCategoryRecord,
    MaterialRecord,
    RelationRecord,
    WorkOrder,
    WorkStatus,
)

# The composed example of shared/reference/outsmart-api.md §4.1 (only line breaks moved).
COMPOSED_EXAMPLE = (
    '{"code":200,"messages":[],"response":[{"id":"1919","WorkorderNo":"WB-1042",'
    '"OrderNr":"7F3A21","status":"Compleet","WorkFinished":"1",'
    '"WorkDate":"13-05-2024","CustomerDebtorNr":"C-1001","CustomerDebtorNrInvoice":"C-1001",'
    '"CustomerNameInvoice":"Peeters BV",'
    '"Workperiods":[{"WorkDate":"13-05-2024","BeginTime":"08:00","EndTime":"10:30",'
    '"TotalTime":"02:30","HourType":"HT-001","EmployeeNr":"12"}],'
    '"Materials":[{"MaterialCode":"MAT-00001","MaterialName":"Koppelstuk 15 mm","MaterialNr":"3",'
    '"MaterialPrice":"4,55","MaterialTotalPrice":"13,65","MaterialUnit":"st"}]}]}'
)


def blueprint_example() -> dict[str, Any]:
    """The Blueprint's GetWorkorders example, repaired into valid JSON (it is not, as printed)."""
    return {
        "id": "1919",
        "WorkorderNo": "AB756X",
        "OrderNr": "3BCE7228843",
        "WorkDate": "11-06-2013",
        "WorkTime": "10:30",
        "WorkEndDate": "",
        "WorkEndTime": "",
        "ProjectNr": "001",
        "CustomerName": "Yoran van Arragon",
        "CustomerDebtorNr": "A985785",
        "CustomerNameInvoice": "John Doe",
        "CustomerDebtorNrInvoice": "B985785",
        "CustomerStreetInvoice": "De Dompelaar",
        "CustomerStreetNoInvoice": "1-D",
        "CustomerZIPInvoice": "3454WJ",
        "CustomerCityInvoice": "Amsterdam",
        "WorkDescription": "Verschillende werkzaamheden",
        "CreationDate": "2013-06-11 02:51",
        "EmployeeNr": "",
        "PdfUrl": "http://www.werkbonapp.nl/mailpdf.php?action=display&sheet_id=6201",
        "status": "Klaargezet",
        "WorkFinished": "1",
        "InternalWorkDescription": "",
        "WorkStatus": "",
        "Photos": [{"image": "http://www.werkbonapp.nl/werkbonimages/url.png", "title": "Foto"}],
        "Workperiods": [
            {
                "BeginTime": "08:30",
                "TotalTime": "03:45",
                "WorkRemark": "",
                "WorkDate": "26-09-2013",
                "EndTime": "12:15",
                "Travel": "1",
                "EmployeeNr": "",
                "HourType": "",
            }
        ],
        "Materials": [
            {
                "MaterialCode": "A786878",
                "MaterialTotalPrice": "0,00",
                "MaterialNr": "1",
                "MaterialPrice": "0,00",
                "MaterialName": "Kleinmateriaal",
                "MaterialUnit": "M2",
                "MaterialType": None,
                "MaterialFreeField1": None,
            }
        ],
        # Malformed in the Blueprint (an object of bare strings); whatever comes is kept.
        "Documents": {"0": "http://www.werkbonapp.nl/uploads/documents/1389703238_test.pdf"},
        "Forms": [],
        "WorkObjects": [],
    }


def test_composed_example_parses() -> None:
    envelope = json.loads(COMPOSED_EXAMPLE)
    order = WorkOrder.model_validate(envelope["response"][0])

    assert order.id == "1919"
    assert order.workorder_no == "WB-1042"
    assert order.order_nr == "7F3A21"
    assert order.status == "Compleet"
    assert order.is_complete and order.is_finished and not order.is_handled
    assert order.work_date == date(2024, 5, 13)
    assert order.invoice_debtor_number == "C-1001"
    assert order.invoice_customer_name == "Peeters BV"

    (period,) = order.workperiods
    assert period.work_date == date(2024, 5, 13)
    assert period.begin_time == time(8, 0)
    assert period.end_time == time(10, 30)
    assert period.hours == Decimal("2.5")
    assert period.hour_type == "HT-001"
    assert period.employee_nr == "12"
    assert order.total_hours == Decimal("2.5")

    (material,) = order.materials
    assert material.code == "MAT-00001"
    assert material.name == "Koppelstuk 15 mm"
    assert material.quantity == Decimal(3)
    assert material.price == Decimal("4.55")
    assert material.total_price == Decimal("13.65")
    assert material.unit == "st"
    for amount in (material.quantity, material.price, material.total_price):
        assert type(amount) is Decimal


def test_blueprint_example_parses() -> None:
    order = WorkOrder.model_validate(blueprint_example())

    assert order.work_time == time(10, 30)
    assert order.work_end_date is None
    assert order.work_end_time is None
    assert order.creation_date == datetime.combine(date(2013, 6, 11), time(2, 51))
    assert order.invoice_debtor_number == "B985785"  # the invoice customer wins
    assert order.invoice_customer_name == "John Doe"
    assert order.has_invoice_customer
    assert order.customer_zip_invoice == "3454WJ"
    assert order.pdf_url.startswith("http://www.werkbonapp.nl/mailpdf.php")
    assert order.photos[0].title == "Foto"
    assert order.workperiods[0].hours == Decimal("3.75")
    assert order.workperiods[0].travel == "1"
    assert order.materials[0].price == Decimal("0.00")
    assert order.materials[0].type == ""  # null → ""
    assert order.documents == {
        "0": "http://www.werkbonapp.nl/uploads/documents/1389703238_test.pdf"
    }


def test_invoice_customer_falls_back_to_work_customer() -> None:
    order = WorkOrder.model_validate(
        {
            "id": "7",
            "CustomerDebtorNr": "C-2",
            "CustomerName": "Jansen",
            "CustomerDebtorNrInvoice": "",
        }
    )
    assert order.invoice_debtor_number == "C-2"
    assert order.invoice_customer_name == "Jansen"
    assert not order.has_invoice_customer


def test_prose_spellings_and_numbers_are_tolerated() -> None:
    order = WorkOrder.model_validate(
        {
            "Id": 2084647,
            "Order Nr": "X1",
            "Status": "Afgehandeld",
            "WorkFinished": 1,
            "Workperiods": None,
            "Materials": [{"MaterialNr": "1,5", "MaterialPrice": 12, "MaterialTotalPrice": 18.0}],
            "SomethingNew": {"added": "2025"},
        }
    )
    assert order.id == "2084647"
    assert order.order_nr == "X1"
    assert order.is_handled
    assert order.is_finished
    assert order.workperiods == []
    assert order.materials[0].quantity == Decimal("1.5")
    assert order.materials[0].price == Decimal(12)
    assert order.materials[0].total_price == Decimal("18.0")
    assert order.model_extra == {"SomethingNew": {"added": "2025"}}


def test_break_and_empty_total_time() -> None:
    order = WorkOrder.model_validate(
        {"id": "1", "Workperiods": [{"Break": "15", "TotalTime": ""}, {"Break": "00:30"}]}
    )
    assert order.workperiods[0].break_minutes == 15
    assert order.workperiods[0].hours is None
    assert order.workperiods[1].break_minutes == 30
    assert order.total_hours == Decimal(0)


def test_invalid_value_names_the_field_and_value_only() -> None:
    record = blueprint_example() | {"WorkDate": "31-02-2024"}
    with pytest.raises(ValidationError) as caught:
        WorkOrder.model_validate(record)
    message = str(caught.value)
    assert "WorkDate" in message
    assert "d-m-Y date" in message
    assert "31-02-2024" in message
    assert "Yoran van Arragon" not in message  # not the whole record


def test_invalid_material_quantity_is_reported() -> None:
    with pytest.raises(ValidationError, match="decimal number"):
        WorkOrder.model_validate({"id": "1", "Materials": [{"MaterialNr": "drie"}]})


def test_id_is_required() -> None:
    with pytest.raises(ValidationError):
        WorkOrder.model_validate({"WorkorderNo": "X"})


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


def test_relation_record_sends_only_what_is_set() -> None:
    record = RelationRecord(
        name="Peeters BV",
        debtor_number="C-1001",
        contact="Jan Peeters",
        email="ap@peeters.example",
        street="Kerkstraat",
        house_number="12",
        postal_code="2000",
        city="Antwerpen",
        vat_number="BE0123456789",
    )
    assert record.to_api() == {
        "name": "Peeters BV",
        "debtor_number": "C-1001",
        "contact": "Jan Peeters",
        "email": "ap@peeters.example",
        "street": "Kerkstraat",
        "house_number": "12",
        "postal_code": "2000",
        "city": "Antwerpen",
        "vat_number": "BE0123456789",
    }


def test_relation_from_spec_get_example() -> None:
    row = {
        "name": "Naam B.V.",
        "debtor_number": "14233Aaa",
        "street": "Beatrixlaan",
        "postal_code": "1234AB",
        "city": "Utrecht",
        "latitude": None,
        "longitude": None,
        "active": 1,
        "lead_phase": "New",
    }
    record = RelationRecord.model_validate(row)
    assert record.debtor_number == "14233Aaa"
    assert record.latitude is None
    assert record.active is True
    assert record.model_extra == {"lead_phase": "New"}  # unknown fields are kept as read …
    assert "lead_phase" not in record.to_api()  # … and never sent back
    assert record.to_api()["active"] == 1  # spec.json types it "integer", example 1


@pytest.mark.parametrize("price", ["4,55", "4.55", 4.55, Decimal("4.55")])
def test_material_price_is_decimal_and_sent_with_a_comma(price: object) -> None:
    record = MaterialRecord.model_validate(
        {"code": "00001", "description": "Omschrijving 1", "price": price, "unit": "M2"}
    )
    assert record.price == Decimal("4.55")
    assert type(record.price) is Decimal
    assert record.to_api() == {
        "code": "00001",
        "description": "Omschrijving 1",
        "price": "4,55",
        "unit": "M2",
    }


def test_material_optional_fields() -> None:
    record = MaterialRecord(
        code="1", description="x", price=Decimal("2.5"), unit="st", vat_code="21", eancode=""
    )
    assert record.to_api() == {
        "code": "1",
        "description": "x",
        "price": "2,50",
        "unit": "st",
        "eancode": "",
        "vat_code": "21",
    }


def test_hour_type_prices_use_dots_and_flags_are_digits() -> None:
    record = HourTypeRecord.model_validate(
        {
            "code": "001",
            "name": "Normale uren",
            "cost_booking": "0",
            "sale_booking": "1",
            "sale_price": "50.00",
            "cost_price": "25.00",
            "active": "1",
        }
    )
    assert record.sale_price == Decimal("50.00")
    assert record.cost_booking is False
    assert record.sale_booking is True
    assert record.to_api() == {
        "code": "001",
        "name": "Normale uren",
        "cost_booking": "0",
        "sale_booking": "1",
        "sale_price": "50.00",
        "cost_price": "25.00",
        "active": "1",
    }
    minimal = HourTypeRecord(code="ZK", name="Ziekte", sale_price=Decimal(0))
    assert minimal.to_api() == {
        "code": "ZK",
        "name": "Ziekte",
        "cost_booking": "0",
        "sale_booking": "0",
        "sale_price": "0.00",
    }


def test_bad_flag_is_rejected() -> None:
    with pytest.raises(ValidationError, match="flag"):
        HourTypeRecord.model_validate(
            {"code": "1", "name": "x", "sale_price": "1", "cost_booking": "ja"}
        )


def test_category_contact_link_and_status_records() -> None:
    category = CategoryRecord(
        cat_code="001-002", cat_name="Schroefjes", cat_display=False, cat_cat_code="001"
    )
    assert category.to_api() == {
        "cat_code": "001-002",
        "cat_name": "Schroefjes",
        "cat_display": "0",
        "cat_cat_code": "001",
    }
    assert CategoryRecord.model_validate(
        {"cat_code": "1", "cat_name": "A", "cat_display": "1"}
    ).cat_display

    contact = ContactPersonRecord(cpn_debtor_nr="82", cpn_code="1", cpn_name="Hans")
    assert contact.to_api() == {"cpn_debtor_nr": "82", "cpn_code": "1", "cpn_name": "Hans"}

    link = MaterialCategoryRecord.model_validate({"mct_mat_code": "001", "mct_cat_code": 7})
    assert link.to_api() == {"mct_mat_code": "001", "mct_cat_code": "7"}

    status = WorkStatus.model_validate({"sta_code": "002", "sta_name": "In progress"})
    assert status.to_api() == {"sta_code": "002", "sta_name": "In progress"}
