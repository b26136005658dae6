"""OutSmart's own work-order fields on the invoice (issue 11 item 3), against invoices worked
out by hand from the rules in ``outsmart-api.md`` §4.1 (never from the builder's output).

Prices are chosen so every line is a whole number of quarter hours at 60.00 or 40.00 (or a
material total in whole cents at 21 %): the VAT of each line is then exact, so the totals are
the same whether VAT is computed per line or per rate on the summed amounts.

Hour types: ``HT-060`` "Arbeid technieker" 60.00, ``HT-040`` "Arbeid leerling" 40.00, both
without VAT of their own (the default 21 % applies). ``MAT-00001`` is a product at 21 %.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from billit_sync import messages
from billit_sync.billit import wire
from billit_sync.sync.exports.invoice_builder import (
    HourTypeInfo,
    PlannedInvoice,
    ProductInfo,
    build_invoice,
    parse_workorder,
)
from billit_sync.sync.exports.problems import ExportProblem, ExportSkipped
from billit_sync.tenant_settings import ExportSettings

HOUR_TYPES = {
    "HT-060": HourTypeInfo(name="Arbeid technieker", sale_price=Decimal("60.00"), vat_rate=None),
    "HT-040": HourTypeInfo(name="Arbeid leerling", sale_price=Decimal("40.00"), vat_rate=None),
}
PRODUCTS = {"MAT-00001": ProductInfo(billit_product_id=None, vat_rate=Decimal("21"), unit=None)}
ISSUED = date(2024, 5, 31)  # the day the invoice is made
FIRST_SEEN = date(2024, 5, 20)  # the day the connector first saw the order Compleet


def period(total: str, hour_type: str = "HT-060", day: str = "15-05-2024") -> dict[str, str]:
    return {"WorkDate": day, "TotalTime": total, "HourType": hour_type, "EmployeeNr": ""}


def material(**fields: str) -> dict[str, str]:
    return {"MaterialCode": "MAT-00001", "MaterialName": "Koppelstuk", "MaterialNr": "1"} | fields


def build(fields: dict[str, Any], **settings: Any) -> PlannedInvoice:
    data: dict[str, Any] = {
        "id": "1919",
        "WorkorderNo": "WB-1042",
        "status": "Compleet",
        "WorkFinished": "1",
        "WorkDate": "13-05-2024",
        "PaymentMethod": "op rekening",
        "MinimumHours": "0.00",
        "RoundingAmount": "0.00",
        "Workperiods": [],
        "Materials": [],
    } | fields
    return build_invoice(
        parse_workorder(data),
        tenant_id="t-claes",
        customer_party_id=884211,
        settings=ExportSettings.model_validate({"work_description_line": False, **settings}),
        products=PRODUCTS,
        hour_types=HOUR_TYPES,
        issued_on=ISSUED,
        first_seen=FIRST_SEEN,
    )


# (Reference, Quantity, UnitPriceExcl, ReductionPercentage or None)
Line = tuple[str, str, str, str | None]


@dataclass(frozen=True)
class Case:
    fields: dict[str, Any]
    lines: list[Line]
    excl: str
    vat: str
    settings: dict[str, Any] = field(default_factory=dict)
    descriptions: dict[int, str] = field(default_factory=dict)


CASES: dict[str, Case] = {
    # --- hours: MinimumHours / RoundingAmount (desc:1984-1985) and the tenant's step ------------
    "no rule ('0.00'): registered time": Case(
        {"Workperiods": [period("03:45")]},
        [("HT-060", "3.75", "60.00", None)],
        excl="225.00",  # 3.75 h x 60.00
        vat="47.25",  # 225.00 x 21 %
    ),
    "RoundingAmount 30: 45 min billed as 60, the 15 extra on their own line": Case(
        {"RoundingAmount": "30", "Workperiods": [period("00:45")]},
        [("HT-060", "0.75", "60.00", None), ("HT-060", "0.25", "60.00", None)],
        excl="60.00",  # 45.00 + 15.00
        vat="12.60",
        descriptions={1: "Arbeid technieker - afronding werkbon per 30 min"},
    ),
    "MinimumHours 2.00: 30 min billed as 2 h": Case(
        {"MinimumHours": "2.00", "Workperiods": [period("00:30")]},
        [("HT-060", "0.5", "60.00", None), ("HT-060", "1.5", "60.00", None)],
        excl="120.00",  # 30.00 + 90.00
        vat="25.20",
        descriptions={1: "Arbeid technieker - minimumduur werkbon 2:00 u"},
    ),
    "MinimumHours 1,5 with a decimal comma": Case(
        {"MinimumHours": "1,5", "Workperiods": [period("01:00")]},
        [("HT-060", "1", "60.00", None), ("HT-060", "0.5", "60.00", None)],
        excl="90.00",
        vat="18.90",
    ),
    "both: 75 min rounded up to 90 first, then at least 60": Case(
        {"RoundingAmount": "30", "MinimumHours": "1.00", "Workperiods": [period("01:15")]},
        [("HT-060", "1.25", "60.00", None), ("HT-060", "0.25", "60.00", None)],
        excl="90.00",  # 75.00 + 15.00
        vat="18.90",
        descriptions={1: "Arbeid technieker - afronding werkbon per 30 min"},
    ),
    "rule summed over the order, not per period": Case(
        {"RoundingAmount": "30", "Workperiods": [period("00:20"), period("00:25")]},
        [("HT-060", "0.75", "60.00", None), ("HT-060", "0.25", "60.00", None)],
        excl="60.00",  # 45 min → 60 min (per period it would be 2 x 30 = 60 too, but 2 lines)
        vat="12.60",
    ),
    "already a multiple: no extra line": Case(
        {"RoundingAmount": "30", "MinimumHours": "0.50", "Workperiods": [period("01:30")]},
        [("HT-060", "1.5", "60.00", None)],
        excl="90.00",
        vat="18.90",
    ),
    "no rule: the tenant's 15-minute step rounds each hour type up": Case(
        {"Workperiods": [period("00:50")]},
        [("HT-060", "1", "60.00", None)],
        excl="60.00",  # 50 → 60 min
        vat="12.60",
        settings={"hour_rounding": "15"},
    ),
    "an order's own rule replaces the tenant's step (no rounding twice)": Case(
        {"MinimumHours": "1.00", "Workperiods": [period("00:45")]},
        [("HT-060", "0.75", "60.00", None), ("HT-060", "0.25", "60.00", None)],
        excl="60.00",  # not 1 h + 15 min = 75.00
        vat="12.60",
        settings={"hour_rounding": "30"},
    ),
    "several hour types: the extra goes to the longest period's": Case(
        {
            "MinimumHours": "2.00",
            "Workperiods": [period("00:30", "HT-040"), period("01:00", "HT-060")],
        },
        [
            ("HT-040", "0.5", "40.00", None),
            ("HT-060", "1", "60.00", None),
            ("HT-060", "0.5", "60.00", None),
        ],
        excl="110.00",  # 20.00 + 60.00 + 30.00
        vat="23.10",
    ),
    # --- empty HourType (desc:2033, desc:2647) -----------------------------------------------
    "empty HourType: the default hour type setting": Case(
        {"Workperiods": [period("02:00", "")]},
        [("HT-040", "2", "40.00", None)],
        excl="80.00",
        vat="16.80",
        settings={"workorders": {"default_hour_type": "HT-040"}},
    ),
    "a chosen HourType wins over the default": Case(
        {"Workperiods": [period("01:00", ""), period("01:00", "HT-060")]},
        [("HT-040", "1", "40.00", None), ("HT-060", "1", "60.00", None)],
        excl="100.00",
        vat="21.00",
        settings={"workorders": {"default_hour_type": "HT-040"}},
    ),
    # --- material discounts (#/components/schemas/Material) ----------------------------------
    "MaterialDiscountPercentage becomes the reduction": Case(
        {
            "Materials": [
                material(MaterialNr="4", MaterialPrice="25,00", MaterialDiscountPercentage="10")
            ]
        },
        [("MAT-00001", "4", "25.00", "10")],
        excl="90.00",  # 4 x 25.00 - 10 %
        vat="18.90",
    ),
    "original price and discounted price: the original with the reduction": Case(
        {
            "Materials": [
                material(
                    MaterialNr="4",
                    MaterialPrice="22,50",
                    MaterialOriginalPrice="25,00",
                    MaterialDiscountPercentage="10",
                    MaterialTotalPrice="90,00",
                )
            ]
        },
        [("MAT-00001", "4", "25.00", "10")],
        excl="90.00",
        vat="18.90",
    ),
    "original price without a percentage: the difference as the reduction": Case(
        {
            "Materials": [
                material(MaterialNr="2", MaterialPrice="40,00", MaterialOriginalPrice="50,00")
            ]
        },
        [("MAT-00001", "2", "50.00", "20")],
        excl="80.00",  # 2 x 50.00 - 20 %
        vat="16.80",
    ),
    "MaterialTotalPrice within a cent is rounding, not an error": Case(
        {"Materials": [material(MaterialNr="3", MaterialPrice="4,55", MaterialTotalPrice="13,66")]},
        [("MAT-00001", "3", "4.55", None)],
        excl="13.65",
        vat="2.87",  # 13.65 x 21 % = 2.8665
    ),
    "MaterialTotalPrice '0,00' (the examples, desc:2537) is not computed": Case(
        {"Materials": [material(MaterialNr="3", MaterialPrice="4,55", MaterialTotalPrice="0,00")]},
        [("MAT-00001", "3", "4.55", None)],
        excl="13.65",
        vat="2.87",
    ),
}


def _wire_lines(planned: PlannedInvoice) -> list[dict[str, Any]]:
    body: dict[str, Any] = wire.loads(planned.order.to_json())
    lines: list[dict[str, Any]] = body["OrderLines"]
    return lines


@pytest.mark.parametrize("name", list(CASES))
def test_lines_and_totals_worked_out_by_hand(name: str) -> None:
    case = CASES[name]
    planned = build(case.fields, **case.settings)

    got = [
        (
            line["Reference"],
            str(line["Quantity"]),
            str(line["UnitPriceExcl"]),
            None if "ReductionPercentage" not in line else str(line["ReductionPercentage"]),
        )
        for line in _wire_lines(planned)
    ]
    assert [(r, Decimal(q), Decimal(p), d and Decimal(d)) for r, q, p, d in got] == [
        (r, Decimal(q), Decimal(p), d and Decimal(d)) for r, q, p, d in case.lines
    ]
    assert planned.expected.excl == Decimal(case.excl)
    assert planned.expected.vat == Decimal(case.vat)
    assert planned.expected.incl == Decimal(case.excl) + Decimal(case.vat)
    for index, description in case.descriptions.items():
        assert _wire_lines(planned)[index]["Description"] == description


def test_several_hour_types_with_extra_time_are_flagged_for_the_office() -> None:
    planned = build(CASES["several hour types: the extra goes to the longest period's"].fields)
    assert planned.notices == (
        (
            messages.EXPORT_EXTRA_HOURS_SEVERAL_TYPES,
            {
                "workorder_no": "WB-1042",
                "extra": "0:30",
                "hour_type": "HT-060",
                "hour_types": "HT-040, HT-060",
            },
        ),
    )
    assert build(CASES["MinimumHours 2.00: 30 min billed as 2 h"].fields).notices == ()


# --- dates (desc:1965-1968 scheduled; desc:2024-2034 actual) ---------------------------------


def test_the_spec_example_invoice_date_is_the_issue_day_and_the_service_date_the_work_day() -> None:
    # desc:2469-2472: scheduled 11-06-2013 10:30-12:30; desc:2527: worked 26-09-2013.
    planned = build(
        {
            "WorkDate": "11-06-2013",
            "WorkEndDate": "11-06-2013",
            "Workperiods": [period("03:45", day="26-09-2013")],
        },
        payment_term_days=30,
    )
    assert planned.order.order_date == ISSUED
    assert planned.order.delivery_date == date(2013, 9, 26)
    assert planned.order.expiry_date == date(2024, 6, 30)  # 31-05 + 30 days
    assert planned.service_date == date(2013, 9, 26)


def test_several_work_days_the_service_date_is_the_last_one() -> None:
    planned = build(
        {"Workperiods": [period("01:00", day="16-05-2024"), period("01:00", day="14-05-2024")]}
    )
    assert planned.order.delivery_date == date(2024, 5, 16)


def test_without_work_periods_the_service_date_is_the_day_first_seen_complete() -> None:
    planned = build({"WorkEndDate": "01-05-2024", "Materials": [material(MaterialPrice="4,55")]})
    assert planned.order.delivery_date == FIRST_SEEN  # never the scheduled 13-05 or 01-05


# --- problems the office fixes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "key", "params"),
    [
        (
            {
                "Materials": [
                    material(MaterialNr="3", MaterialPrice="4,55", MaterialTotalPrice="15,00")
                ]
            },
            messages.EXPORT_MATERIAL_TOTAL_MISMATCH,
            {
                "workorder_no": "WB-1042",
                "material": "MAT-00001",
                "total_price": "15,00",
                "computed": "13,65",
                "detail": "3 x 4,55",
            },
        ),
        (
            {
                "Materials": [
                    material(
                        MaterialNr="4",
                        MaterialPrice="25,00",
                        MaterialDiscountPercentage="10",
                        MaterialTotalPrice="100,00",  # the discount forgotten
                    )
                ]
            },
            messages.EXPORT_MATERIAL_TOTAL_MISMATCH,
            {
                "workorder_no": "WB-1042",
                "material": "MAT-00001",
                "total_price": "100,00",
                "computed": "90,00",
                "detail": "4 x 25,00 - 10 %",
            },
        ),
        (
            # The request schema's own example: 233,00 is neither 150 nor 150 - 100 %.
            {
                "Materials": [
                    material(
                        MaterialPrice="233,00",
                        MaterialOriginalPrice="150",
                        MaterialDiscountPercentage="100",
                    )
                ]
            },
            messages.EXPORT_MATERIAL_PRICES_CONTRADICT,
            {
                "workorder_no": "WB-1042",
                "material": "MAT-00001",
                "price": "233,00",
                "original_price": "150,00",
                "discount": "100",
            },
        ),
        (
            {"Materials": [material(MaterialPrice="10,00", MaterialDiscountPercentage="150")]},
            messages.EXPORT_IMPLAUSIBLE_VALUE,
            {
                "workorder_no": "WB-1042",
                "field": "Materials[0].MaterialDiscountPercentage",
                "value": "150",
                "expected": "0-100 %",
            },
        ),
        (
            {"MinimumHours": "-1.00", "Workperiods": [period("01:00")]},
            messages.EXPORT_IMPLAUSIBLE_VALUE,
            {
                "workorder_no": "WB-1042",
                "field": "MinimumHours",
                "value": "-1",
                "expected": "0-24 h",
            },
        ),
        (
            {"RoundingAmount": "3000", "Workperiods": [period("01:00")]},
            messages.EXPORT_IMPLAUSIBLE_VALUE,
            {
                "workorder_no": "WB-1042",
                "field": "RoundingAmount",
                "value": "3000",
                "expected": "0-1440 min",
            },
        ),
        (
            {"MinimumHours": "twee", "Workperiods": [period("01:00")]},
            messages.EXPORT_INVALID_WORKORDER,
            {"workorder_no": "WB-1042", "detail": "MinimumHours 'twee'"},
        ),
        (
            {"Workperiods": [period("01:30", "")]},
            messages.EXPORT_MISSING_HOUR_TYPE,
            {"workorder_no": "WB-1042", "hours": "1:30"},
        ),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_the_value(
    fields: dict[str, Any], key: str, params: dict[str, str]
) -> None:
    with pytest.raises(ExportProblem) as excinfo:
        build(fields)
    assert excinfo.value.message_key == key
    assert excinfo.value.params == params
    for language in ("en", "nl"):
        text = excinfo.value.render(language)
        assert all(value in text for value in params.values()), text


def test_the_missing_hour_type_message_names_the_setting() -> None:
    with pytest.raises(ExportProblem) as excinfo:
        build({"Workperiods": [period("01:30", "")]})
    assert "default hour type" in str(excinfo.value)
    assert "standaarduursoort" in excinfo.value.render("nl")


# --- PaymentMethod (desc:1963, 2431; compared trimmed, case-insensitive) ---------------------

PAID = "mark_paid"
INVOICE = "invoice"


@pytest.mark.parametrize(
    ("method", "settings", "expected"),
    [
        ("op rekening", {}, INVOICE),
        ("  Op Rekening ", {}, INVOICE),
        ("niet van toepassing", {}, INVOICE),  # the examples' default
        ("", {}, INVOICE),
        ("contant voldaan", {}, PAID),
        ("contact voldaan", {}, PAID),  # the spec's own spelling (desc:2431)
        ("CONTACT VOLDAAN", {}, PAID),
        ("pin  betaling", {}, PAID),
        ("pin betaling", {"paid_on_site": "invoice"}, INVOICE),
        ("pin betaling", {"paid_on_site": "skip"}, messages.EXPORT_PAID_ON_SITE_SKIPPED),
        ("conform offerte", {}, messages.EXPORT_FIXED_PRICE_QUOTE_SKIPPED),
        ("conform offerte", {"fixed_price_quote": "invoice_lines"}, INVOICE),
        ("niet van toepassing1", {}, messages.EXPORT_UNKNOWN_PAYMENT_METHOD),  # desc:3028-3056
        ("Cash", {}, messages.EXPORT_UNKNOWN_PAYMENT_METHOD),
        ("Cash", {"unknown_payment_method": "invoice"}, INVOICE),
        ("Cash", {"paid_on_site_methods": ["cash", "Pin"]}, PAID),
        ("Pin", {"paid_on_site_methods": ["cash", "Pin"]}, PAID),
    ],
)
def test_payment_methods(method: str, settings: dict[str, Any], expected: str) -> None:
    fields = {"PaymentMethod": method, "Workperiods": [period("01:00")]}
    if expected in (INVOICE, PAID):
        planned = build(fields, workorders=settings)
        shown = " ".join(method.split())
        assert planned.paid_on_site == (shown if expected == PAID else None)
        assert planned.expected.excl == Decimal("60.00")  # hours x rate either way
        return
    with pytest.raises(ExportProblem) as excinfo:
        build(fields, workorders=settings)
    assert excinfo.value.message_key == expected
    assert excinfo.value.params["payment_method"] == " ".join(method.split())
    skipped = expected != messages.EXPORT_UNKNOWN_PAYMENT_METHOD
    assert isinstance(excinfo.value, ExportSkipped) is skipped
