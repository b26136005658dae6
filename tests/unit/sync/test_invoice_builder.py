"""One completed work order → one Billit invoice request (issue 5 item 2), totals exact.

The hand-computed tables per VAT regime, precision and limit are in ``test_invoice_regimes``.

Every invoice that the builder's totals are checked for is also posted to the Billit fake, whose
computed ``TotalExcl``/``TotalVAT``/``TotalIncl`` must equal ``PlannedInvoice.expected``.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billit_sync.billit import wire
from billit_sync.billit.orders import Attachment, NewOrder
from billit_sync.outsmart.models import WorkOrder
from billit_sync.sync.exports.invoice_builder import (
    ExpectedTotals,
    HourTypeInfo,
    PlannedInvoice,
    ProductInfo,
    build_invoice,
    completion_date,
    parse_workorder,
    workorder_number,
)
from billit_sync.sync.exports.jobs import external_reference
from billit_sync.sync.exports.problems import ExportProblem
from billit_sync.tenant_settings import ExportSettings
from tests.fakes.billit import BillitFake

API = "https://api.billit.test"
REDIRECT = "https://connector.example/oauth/callback"
USER = "an@claes.example"
TENANT = "t-claes"
PARTY_ID = 884211
# The day the connector first saw the order Compleet (the service date without work periods).
FIRST_SEEN = date(2024, 5, 20)

# == builders ===================================================================================

HOUR_TYPES: dict[str, HourTypeInfo] = {
    "HT-001": HourTypeInfo(name="Arbeid monteur", sale_price=Decimal("55.00"), vat_rate=None),
    "HT-002": HourTypeInfo(
        name="Arbeid leerling", sale_price=Decimal("38.50"), vat_rate=Decimal("6")
    ),
}
PRODUCTS: dict[str, ProductInfo] = {
    "MAT-00001": ProductInfo(billit_product_id=None, vat_rate=Decimal("21"), unit=None),
    "MAT-00002": ProductInfo(billit_product_id=None, vat_rate=Decimal("6"), unit=None),
    "MAT-00003": ProductInfo(billit_product_id=None, vat_rate=None, unit=None),
}


def period(total: str | None = "02:30", hour_type: str = "HT-001", **extra: str) -> dict[str, str]:
    row = {"WorkDate": "13-05-2024", "HourType": hour_type, "EmployeeNr": "12", **extra}
    if total is not None:
        row["TotalTime"] = total
    return row


def material(
    code: str = "MAT-00001", nr: str = "3", price: str = "4,55", name: str = "Koppelstuk 15 mm"
) -> dict[str, str]:
    return {
        "MaterialCode": code,
        "MaterialName": name,
        "MaterialNr": nr,
        "MaterialPrice": price,
        "MaterialUnit": "st",
    }


def workorder(**fields: Any) -> WorkOrder:
    """The reference's composed example (2:30 of HT-001, 3 x MAT-00001 at 4,55), overridable."""
    data: dict[str, Any] = {
        "id": "1919",
        "WorkorderNo": "WB-1042",
        "OrderNr": "7F3A21",
        "status": "Compleet",
        "WorkFinished": "1",
        "WorkDate": "13-05-2024",
        "CustomerDebtorNr": "C-1001",
        "CustomerNameInvoice": "Peeters BV",
        "Workperiods": [period()],
        "Materials": [material()],
    }
    data.update(fields)
    return parse_workorder(data)


def export_settings(**overrides: Any) -> ExportSettings:
    values: dict[str, Any] = {"work_description_line": False, **overrides}
    return ExportSettings.model_validate(values)


def build(
    wo: WorkOrder | None = None,
    *,
    products: dict[str, ProductInfo] | None = None,
    hour_types: dict[str, HourTypeInfo] | None = None,
    attachment: Attachment | None = None,
    tenant_id: str = TENANT,
    issued_on: date | None = None,
    first_seen: date | None = FIRST_SEEN,
    **overrides: Any,
) -> PlannedInvoice:
    return build_invoice(
        wo if wo is not None else workorder(),
        tenant_id=tenant_id,
        customer_party_id=PARTY_ID,
        settings=export_settings(**overrides),
        products=PRODUCTS if products is None else products,
        hour_types=HOUR_TYPES if hour_types is None else hour_types,
        attachment=attachment,
        issued_on=issued_on,
        first_seen=first_seen,
    )


def body(planned: PlannedInvoice) -> dict[str, Any]:
    """The wire JSON with exact decimals."""
    data: dict[str, Any] = wire.loads(planned.order.to_json())
    return data


def lines(planned: PlannedInvoice) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = body(planned)["OrderLines"]
    return result


def problem_of(excinfo: pytest.ExceptionInfo[ExportProblem]) -> ExportProblem:
    return excinfo.value


# == the Billit fake ============================================================================


@dataclass
class Billit:
    fake: BillitFake
    http: httpx.Client
    company: int
    headers: dict[str, str]
    party: int

    def post(self, order: NewOrder) -> dict[str, Any]:
        """Create the order in the fake; return the order as Billit stored it."""
        response = self.http.post(
            f"{API}/v1/orders",
            headers={**self.headers, "Content-Type": "application/json"},
            content=order.to_json(),
        )
        assert response.status_code == 200, response.text
        return self.fake.order(self.company, int(response.text))

    def totals(self, order: NewOrder) -> ExpectedTotals:
        stored = self.post(order)
        return ExpectedTotals(
            excl=stored["TotalExcl"], vat=stored["TotalVAT"], incl=stored["TotalIncl"]
        )

    def product(self, reference: str, vat: str) -> int:
        row = self.fake.add_product(
            self.company, Reference=reference, Description=reference, VAT=Decimal(vat)
        )
        return int(row["ProductID"])


@pytest.fixture(scope="module")
def billit() -> Iterator[Billit]:
    fake = BillitFake()
    fake.add_user(USER)
    company = fake.add_company(USER, "Claes BV", "BE0765432198")
    party = fake.add_party(company, Name="Peeters BV", VATNumber="BE0411905847")
    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as http:
        code = parse_qs(urlsplit(fake.authorize(USER, REDIRECT, "s")).query)["code"][0]
        tokens = http.post(
            f"{API}/OAuth2/token",
            json={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": "outsmart-client",
                "client_secret": "outsmart-client-secret",
                "redirect_uri": REDIRECT,
            },
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}", "PartyID": str(company)}
        yield Billit(fake, http, company, headers, int(party["PartyID"]))


def for_fake(planned: PlannedInvoice, billit: Billit) -> NewOrder:
    """The same order, addressed to the fake's customer."""
    customer = planned.order.customer.model_copy(update={"party_id": billit.party})
    return planned.order.model_copy(update={"customer": customer})


def assert_fake_agrees(planned: PlannedInvoice, billit: Billit) -> None:
    assert billit.totals(for_fake(planned, billit)) == planned.expected


# == the reference example ======================================================================


def test_reference_example_has_exact_totals_that_billit_computes_too(billit: Billit) -> None:
    planned = build()

    # 2.5 h x 55.00 = 137.50; 3 x 4.55 = 13.65; VAT per rate on the sum (billit-api.md §8):
    # 151.15 x 21 % = 31.7415 → 31.74 (per line 28.88 + 2.87 would be 31.75)
    assert planned.expected == ExpectedTotals(
        excl=Decimal("151.15"), vat=Decimal("31.74"), incl=Decimal("182.89")
    )
    stored = billit.post(for_fake(planned, billit))
    assert [line["TotalExcl"] for line in stored["OrderLines"]] == [
        Decimal("137.50"),
        Decimal("13.65"),
    ]
    assert (stored["TotalExcl"], stored["TotalVAT"], stored["TotalIncl"]) == (
        Decimal("151.15"),
        Decimal("31.74"),
        Decimal("182.89"),
    )


def test_reference_example_request_body() -> None:
    planned = build()

    assert body(planned) == {
        "OrderType": "Invoice",
        "OrderDirection": "Income",
        "OrderDate": "2024-05-13",
        "ExpiryDate": "2024-06-12",
        "DeliveryDate": "2024-05-13",
        "Comments": "Werkbon WB-1042",  # the seller's number; Reference is the buyer's PO (§3)
        "ExternalProviderID": external_reference(TENANT, "1919"),
        "Customer": {"PartyID": PARTY_ID, "PartyType": "Customer"},
        "OrderLines": [
            {
                "Quantity": Decimal("2.5"),
                "UnitPriceExcl": Decimal("55.00"),
                "Description": "Arbeid monteur",
                "Reference": "HT-001",
                "VATPercentage": 21,
            },
            {
                "Quantity": 3,
                "UnitPriceExcl": Decimal("4.55"),
                "Description": "Koppelstuk 15 mm",
                "Reference": "MAT-00001",
                "VATPercentage": 21,
            },
        ],
    }
    assert planned.invoice_date == date(2024, 5, 13)
    # Exact decimal text on the wire, never a float.
    assert b'"Quantity":2.5,"UnitPriceExcl":55.00' in planned.order.to_json()
    assert b'"UnitPriceExcl":4.55' in planned.order.to_json()


def test_no_order_number_is_sent_billit_numbers_invoices() -> None:
    raw = build().order.to_json()
    assert b"OrderNumber" not in raw
    assert "OrderNumber" not in json.loads(raw)


def test_external_provider_id_is_deterministic() -> None:
    first = build().order.external_provider_id
    assert first == build().order.external_provider_id == "os-t-claes-1919"
    assert build(tenant_id="t-other").order.external_provider_id != first
    assert build(workorder(id="2000")).order.external_provider_id != first


# == decimal commas =============================================================================


@pytest.mark.parametrize(
    ("nr", "price", "quantity", "unit_price", "excl"),
    [
        ("3", "4,55", "3", "4.55", "13.65"),
        ("1,5", "1.234,50", "1.5", "1234.50", "1851.75"),
        ("2,25", "0,99", "2.25", "0.99", "2.23"),  # 2.2275 → 2.23
        ("10", "1,234.5", "10", "1234.5", "12345.00"),
    ],
)
def test_decimal_commas_are_parsed_exactly(
    billit: Billit, *, nr: str, price: str, quantity: str, unit_price: str, excl: str
) -> None:
    planned = build(workorder(Materials=[material(nr=nr, price=price)]), include_hours=False)

    [line] = lines(planned)
    assert line["Quantity"] == Decimal(quantity)
    assert line["UnitPriceExcl"] == Decimal(unit_price)
    assert planned.expected.excl == Decimal(excl)
    assert_fake_agrees(planned, billit)


def test_unparsable_number_names_the_field() -> None:
    with pytest.raises(ExportProblem) as excinfo:
        workorder(Materials=[material(nr="1,2,3")])
    assert excinfo.value.params == {
        "workorder_no": "WB-1042",
        "detail": "Materials[0].MaterialNr '1,2,3'",
    }
    assert str(excinfo.value) == (
        "Work order WB-1042 contains a value that cannot be read: Materials[0].MaterialNr "
        "'1,2,3'. Correct it in OutSmart and retry."
    )


def test_unparsable_date_names_the_field() -> None:
    with pytest.raises(ExportProblem) as excinfo:
        workorder(WorkorderNo="", WorkEndDate="2024-05-13")
    assert excinfo.value.params["workorder_no"] == "7F3A21"
    assert excinfo.value.params["detail"] == "WorkEndDate '2024-05-13'"


def test_a_work_order_without_row_id_is_invalid() -> None:
    with pytest.raises(ExportProblem) as excinfo:
        parse_workorder({"WorkorderNo": "WB-9", "Materials": []})
    assert excinfo.value.params == {"workorder_no": "WB-9", "detail": "id ''"}


def test_empty_strings_are_no_values() -> None:
    planned = build(
        workorder(
            WorkEndDate="",
            WorkEndTime="",
            CreationDate="",
            Materials=[material(), material(code="", name="", nr="", price="")],
            Workperiods=[period(), period(total="", BeginTime="", EndTime="", Break="")],
        )
    )
    assert planned.expected.excl == Decimal("151.15")


# == hours ======================================================================================


@pytest.mark.parametrize(
    ("rounding", "quantity", "price"),
    [
        ("none", "1.35", "55.00"),  # 1:01 + 0:20 = 1:21
        ("5", "1", "77.92"),  # 1:25 = 1.41666… h: does not fit 2 decimals → 1 x 85/60 x 55
        ("15", "1.5", "55.00"),  # 1:30
        ("30", "1.5", "55.00"),  # 1:30
    ],
)
def test_hours_are_grouped_per_hour_type_and_the_total_rounded_up(
    billit: Billit, rounding: str, quantity: str, price: str
) -> None:
    wo = workorder(
        Workperiods=[period("01:01"), period("02:00", "HT-002"), period("00:20")], Materials=[]
    )
    planned = build(wo, hour_rounding=rounding)

    assert [
        (line["Reference"], line["Quantity"], line["UnitPriceExcl"]) for line in lines(planned)
    ] == [
        ("HT-001", Decimal(quantity), Decimal(price)),
        ("HT-002", 2, Decimal("38.50")),
    ]
    assert_fake_agrees(planned, billit)


def test_rounding_applies_to_the_grouped_total_not_to_each_period() -> None:
    wo = workorder(Workperiods=[period("00:05"), period("00:05")], Materials=[])
    [line] = lines(build(wo, hour_rounding="15"))
    assert line["Quantity"] == Decimal("0.25")  # 0:10 → 0:15 (per period it would be 0:30)


def test_exact_hours_are_not_rounded_up_by_a_matching_step() -> None:
    wo = workorder(Workperiods=[period("01:15")], Materials=[])
    for rounding in ("5", "15"):
        [line] = lines(build(wo, hour_rounding=rounding))
        assert line["Quantity"] == Decimal("1.25")


def test_thirds_of_an_hour_sum_exactly(billit: Billit) -> None:
    wo = workorder(Workperiods=[period("00:20"), period("00:20"), period("00:20")], Materials=[])
    [line] = lines(build(wo))
    assert line["Quantity"] == 1  # 0.333333 x 3 would be 0.999999

    single = build(workorder(Workperiods=[period("00:20")], Materials=[]))
    [line] = lines(single)
    # 20 minutes do not fit 2 decimals: 1 x the exact amount, 20 x 55.00 / 60 = 18.333 → 18.33
    assert (line["Quantity"], line["UnitPriceExcl"]) == (1, Decimal("18.33"))
    assert line["Description"] == "Arbeid monteur (0:20 h x 55.00)"
    assert single.billed_hours.quantize(Decimal("0.001")) == Decimal("0.333")
    assert_fake_agrees(single, billit)


def test_hour_line_prices_and_vat_from_the_hour_type(billit: Billit) -> None:
    product_id = billit.product("HT-002", "6")
    hour_types = {
        **HOUR_TYPES,
        "HT-002": HourTypeInfo("Arbeid leerling", Decimal("38.50"), Decimal("6"), product_id),
    }
    wo = workorder(Workperiods=[period("01:00", "HT-002"), period("01:00")], Materials=[])
    planned = build(wo, hour_types=hour_types, default_vat_rate="12")

    assert [
        (line["Description"], line["UnitPriceExcl"], line["VATPercentage"], line.get("ProductID"))
        for line in lines(planned)
    ] == [
        ("Arbeid leerling", Decimal("38.50"), 6, product_id),
        ("Arbeid monteur", Decimal("55.00"), 12, None),  # no VAT on the hour type: default
    ]
    assert_fake_agrees(planned, billit)


def test_missing_total_time_is_end_minus_begin_minus_break() -> None:
    wo = workorder(
        Workperiods=[
            period(None, BeginTime="08:00", EndTime="10:30", Break="15"),  # 2:15
            period(None, "HT-002", BeginTime="22:00", EndTime="01:00"),  # past midnight: 3:00
        ],
        Materials=[],
    )
    assert [line["Quantity"] for line in lines(build(wo))] == [Decimal("2.25"), 3]


def test_a_break_longer_than_the_period_is_invalid() -> None:
    wo = workorder(
        Workperiods=[period(None, BeginTime="08:00", EndTime="08:10", Break="30")], Materials=[]
    )
    with pytest.raises(ExportProblem) as excinfo:
        build(wo)
    assert excinfo.value.params["detail"] == "Break '30' (08:00-08:10)"


def test_zero_hours_make_no_line() -> None:
    wo = workorder(Workperiods=[period("00:00"), period(None), period("00:00", "HT-404")])
    assert [line["Reference"] for line in lines(build(wo))] == ["MAT-00001"]


def test_unknown_hour_type_is_a_problem_with_a_clear_message() -> None:
    wo = workorder(Workperiods=[period(), period("01:00", "HT-404")])
    with pytest.raises(ExportProblem) as excinfo:
        build(wo)
    assert excinfo.value.message_key == "export.unknown_hour_type"
    assert str(excinfo.value) == (
        "Hour type 'HT-404' on work order WB-1042 has no price. Import hour types from Billit "
        "or give the hour type a sale price in OutSmart."
    )


def test_hours_without_an_hour_type_are_a_problem() -> None:
    wo = workorder(Workperiods=[period("01:30", "")])
    with pytest.raises(ExportProblem) as excinfo:
        build(wo)
    assert str(excinfo.value) == (
        "Work order WB-1042 has 1:30 hours without an hour type (HourType is empty). Choose a "
        "default hour type in the export settings, or an hour type for these periods in "
        "OutSmart, and retry."
    )


def test_unknown_hour_types_do_not_matter_when_hours_are_off() -> None:
    wo = workorder(Workperiods=[period("01:00", "HT-404")])
    assert [line["Reference"] for line in lines(build(wo, include_hours=False))] == ["MAT-00001"]


# == materials ==================================================================================


def test_material_vat_from_the_mapped_product_else_the_default(billit: Billit) -> None:
    wo = workorder(
        Workperiods=[],
        Materials=[
            material("MAT-00001", "1", "10,00"),
            material("MAT-00002", "1", "10,00", name="Isolatie"),
            material("MAT-00003", "1", "10,00", name="Zonder btw"),
        ],
    )
    planned = build(wo, default_vat_rate="12")

    assert [line["VATPercentage"] for line in lines(planned)] == [21, 6, 12]
    assert planned.expected == ExpectedTotals(
        excl=Decimal("30.00"), vat=Decimal("3.90"), incl=Decimal("33.90")
    )
    assert_fake_agrees(planned, billit)


def test_product_id_and_unit_only_when_mapped(billit: Billit) -> None:
    product_id = billit.product("MAT-00009", "6")
    products = {
        **PRODUCTS,
        "MAT-00009": ProductInfo(billit_product_id=product_id, vat_rate=Decimal("6"), unit="PCE"),
    }
    wo = workorder(Workperiods=[], Materials=[material("MAT-00009"), material()])
    planned = build(wo, products=products)

    first, second = lines(planned)
    assert (first["ProductID"], first["Unit"], first["VATPercentage"]) == (product_id, "PCE", 6)
    assert "ProductID" not in second and "Unit" not in second  # OutSmart's "st" is not sent
    assert_fake_agrees(planned, billit)


def test_unknown_material_is_a_problem_with_the_exact_message() -> None:
    wo = workorder(
        WorkorderNo="2024-0042", Materials=[material(), material("K-100", name="Kabel 3x2,5")]
    )
    with pytest.raises(ExportProblem) as excinfo:
        build(wo)
    problem = excinfo.value
    assert problem.message_key == "export.unknown_material"
    assert problem.params["material_code"] == "K-100"
    assert problem.params["material_name"] == "Kabel 3x2,5"
    assert str(problem) == (
        "Material 'K-100' on work order 2024-0042 has no Billit product. "
        "Import products or create it in Billit."
    )


def test_every_unknown_material_is_named_in_one_problem() -> None:
    wo = workorder(
        WorkorderNo="2024-0042",
        Materials=[material("K-100"), material(), material("K-200"), material("K-100")],
    )
    with pytest.raises(ExportProblem) as excinfo:
        build(wo)
    assert excinfo.value.message_key == "export.unknown_materials"
    assert str(excinfo.value) == (
        "Materials 'K-100', 'K-200' on work order 2024-0042 have no Billit product. "
        "Import products or create them in Billit."
    )


def test_unknown_materials_without_quantity_or_switched_off_are_no_problem() -> None:
    wo = workorder(Materials=[material(), material("K-100", nr="0"), material("K-200", nr="")])
    assert len(lines(build(wo))) == 2
    wo = workorder(Materials=[material("K-100")])
    assert len(lines(build(wo, include_materials=False))) == 1


def test_a_material_without_code_is_an_ad_hoc_line_at_the_default_rate() -> None:
    wo = workorder(Workperiods=[], Materials=[material(code="", name="Klein materiaal")])
    [line] = lines(build(wo, default_vat_rate="6"))
    assert line == {
        "Quantity": 3,
        "UnitPriceExcl": Decimal("4.55"),
        "Description": "Klein materiaal",
        "VATPercentage": 6,
    }


def test_a_material_without_a_price_is_invalid() -> None:
    wo = workorder(Materials=[material(price="")])
    with pytest.raises(ExportProblem) as excinfo:
        build(wo)
    assert excinfo.value.message_key == "export.invalid_workorder"
    assert excinfo.value.params["detail"] == "MaterialPrice '' (MAT-00001)"


def test_prices_with_more_decimals_than_billit_keeps_become_one_exact_amount(
    billit: Billit,
) -> None:
    wo = workorder(
        Workperiods=[],
        Materials=[
            material(nr="7", price="0,12345"),
            material(nr="1,333333", price="1,2345678"),
            material(nr="2,5", price="4,55"),
        ],
    )
    planned = build(wo)

    assert [
        (line["Quantity"], line["UnitPriceExcl"], line["Description"]) for line in lines(planned)
    ] == [
        # 7 x 0.12345 = 0.86415 → 0.86
        (1, Decimal("0.86"), "Koppelstuk 15 mm (7 x 0.12345)"),
        # 1.333333 x 1.2345678 = 1.64608… → 1.65
        (1, Decimal("1.65"), "Koppelstuk 15 mm (1.333333 x 1.2345678)"),
        (Decimal("2.5"), Decimal("4.55"), "Koppelstuk 15 mm"),  # fits: unchanged
    ]
    assert planned.expected.excl == Decimal("0.86") + Decimal("1.65") + Decimal("11.38")
    assert_fake_agrees(planned, billit)


def test_negative_quantities_are_credited(billit: Billit) -> None:
    wo = workorder(Materials=[material(), material(nr="-1", name="Retour koppelstuk")])
    planned = build(wo)
    assert planned.expected.excl == Decimal("137.50") + Decimal("13.65") - Decimal("4.55")
    assert_fake_agrees(planned, billit)


# == the work description line ==================================================================


def test_work_description_is_a_text_line_after_the_others(billit: Billit) -> None:
    wo = workorder(WorkDescription="  Lek hersteld onder de gootsteen.  ")
    planned = build(wo, work_description_line=True)

    assert lines(planned)[-1] == {
        "Quantity": 0,
        "UnitPriceExcl": 0,
        "Description": "Lek hersteld onder de gootsteen.",
        "VATPercentage": 21,
    }
    assert planned.expected.excl == Decimal("151.15")
    assert_fake_agrees(planned, billit)


def test_work_description_is_cut_at_512_characters(billit: Billit) -> None:
    text = "x" * 500 + " " + "y" * 100
    planned = build(workorder(WorkDescription=text), work_description_line=True)

    line = lines(planned)[-1]
    assert line["Description"] == text[:512]
    assert len(line["Description"]) == 512
    assert line["DescriptionExtended"] == text[512:]
    assert_fake_agrees(planned, billit)

    exact = build(workorder(WorkDescription="z" * 512), work_description_line=True)
    assert "DescriptionExtended" not in lines(exact)[-1]


def test_a_work_description_beyond_1024_characters_goes_on_in_the_line_note(
    billit: Billit,
) -> None:
    # billit-api.md §3: Description and DescriptionExtended max 512 each; more → the line's
    # CustomFields."InvoiceLine.Note". Nothing of the office's text is lost.
    text = "a" * 512 + "b" * 512 + "c" * 300
    planned = build(workorder(WorkDescription=text), work_description_line=True)

    line = lines(planned)[-1]
    assert line["Description"] == "a" * 512
    assert line["DescriptionExtended"] == "b" * 512
    assert line["CustomFields"] == {"InvoiceLine.Note": "c" * 300}
    assert line["Description"] + line["DescriptionExtended"] + "c" * 300 == text
    stored = billit.post(for_fake(planned, billit))  # the fake refuses DescriptionExtended > 512
    assert stored["OrderLines"][-1]["CustomFields"] == {"InvoiceLine.Note": "c" * 300}


def test_no_text_line_without_description_or_when_switched_off() -> None:
    assert len(lines(build(workorder(WorkDescription="  "), work_description_line=True))) == 2
    assert len(lines(build(workorder(WorkDescription="Werk"), work_description_line=False))) == 2


# == settings switch lines off ==================================================================


@pytest.mark.parametrize(
    ("overrides", "references"),
    [
        ({}, ["HT-001", "MAT-00001", None]),
        ({"include_hours": False}, ["MAT-00001", None]),
        ({"include_materials": False}, ["HT-001", None]),
        ({"work_description_line": False}, ["HT-001", "MAT-00001"]),
    ],
)
def test_each_setting_switches_its_lines_off(
    overrides: dict[str, Any], references: list[str | None]
) -> None:
    settings_values = {"work_description_line": True, **overrides}
    planned = build(workorder(WorkDescription="Lek hersteld"), **settings_values)
    assert [line.get("Reference") for line in lines(planned)] == references


@pytest.mark.parametrize(
    "wo_fields",
    [
        {"Workperiods": [], "Materials": []},
        {"Workperiods": [], "Materials": [], "WorkDescription": "Alleen tekst"},
        {"Workperiods": [period("00:00")], "Materials": [material(nr="0")]},
    ],
)
def test_nothing_to_invoice(wo_fields: dict[str, Any]) -> None:
    with pytest.raises(ExportProblem) as excinfo:
        build(workorder(**wo_fields), work_description_line=True)
    assert excinfo.value.message_key == "export.nothing_to_invoice"
    assert excinfo.value.params == {"workorder_no": "WB-1042"}


def test_everything_switched_off_is_nothing_to_invoice() -> None:
    with pytest.raises(ExportProblem, match="nothing to invoice"):
        build(include_hours=False, include_materials=False, work_description_line=True)


def test_attachment_only_when_given_and_switched_on() -> None:
    pdf = Attachment.from_bytes("WB-1042.pdf", "application/pdf", b"%PDF-1.4 werkbon")
    assert body(build(attachment=pdf, attach_workorder_pdf=True))["Attachments"] == [
        {"FileName": "WB-1042.pdf", "MimeType": "application/pdf", "FileContent": pdf.file_content}
    ]
    assert "Attachments" not in body(build(attachment=pdf, attach_workorder_pdf=False))
    assert "Attachments" not in body(build(attach_workorder_pdf=True))


# == header =====================================================================================


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # desc:1965-1968: WorkDate/WorkEndDate are scheduled; the work periods say when.
        ({"WorkEndDate": "15-05-2024"}, date(2024, 5, 13)),
        (
            {"Workperiods": [period(WorkDate="14-05-2024"), period(WorkDate="12-05-2024")]},
            date(2024, 5, 14),
        ),
        # No period date: the day the connector first saw the order Compleet.
        ({"Workperiods": [period(WorkDate="")]}, FIRST_SEEN),
        (
            {
                "WorkDate": "01-05-2024",
                "CreationDate": "2024-05-10 16:45",
                "Workperiods": [period(WorkDate="")],
            },
            FIRST_SEEN,
        ),
    ],
)
def test_completion_date_fallbacks(fields: dict[str, Any], expected: date) -> None:
    wo = workorder(**fields)
    assert completion_date(wo, FIRST_SEEN) == expected
    planned = build(wo)
    assert planned.service_date == planned.order.delivery_date == expected
    assert planned.invoice_date == planned.order.order_date == expected  # not issued_on given


def test_no_date_at_all_is_invalid() -> None:
    wo = workorder(WorkDate="13-05-2024", Workperiods=[period(WorkDate="")])
    assert completion_date(wo) is None
    with pytest.raises(ExportProblem) as excinfo:
        build(wo, first_seen=None)
    assert excinfo.value.message_key == "export.invalid_workorder"


@pytest.mark.parametrize(
    ("days", "expiry"), [(0, date(2024, 5, 13)), (14, date(2024, 5, 27)), (30, date(2024, 6, 12))]
)
def test_expiry_date_from_the_payment_term(days: int, expiry: date) -> None:
    assert build(payment_term_days=days).order.expiry_date == expiry


@pytest.mark.parametrize(
    ("fields", "number"),
    [
        ({}, "WB-1042"),
        ({"WorkorderNo": ""}, "7F3A21"),
        ({"WorkorderNo": " ", "OrderNr": ""}, "1919"),
    ],
)
def test_the_work_order_number_is_in_the_comments_not_the_buyers_references(
    fields: dict[str, Any], number: str
) -> None:
    wo = workorder(**fields)
    order = build(wo).order
    assert workorder_number(wo) == number
    # billit-api.md §3: Reference = the buyer's PO, OrderTitle = the buyer's reference; the
    # seller's work-order number goes in Comments.
    assert (order.reference, order.order_title) == (None, None)
    assert order.comments == f"Werkbon {number}"


# == property: the builder's totals are Billit's ===============================================

MONEY = st.decimals(
    min_value=Decimal("-999.99"), max_value=Decimal("9999.99"), places=2, allow_nan=False
)
QUANTITY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
CODES = st.sampled_from(["MAT-00001", "MAT-00002", "MAT-00003", ""])  # 21 %, 6 %, default


def comma(value: Decimal) -> str:
    return str(value).replace(".", ",")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(CODES, QUANTITY, MONEY), min_size=1, max_size=6),
    minutes=st.lists(st.integers(min_value=0, max_value=600), max_size=4),
    rounding=st.sampled_from(["none", "5", "15", "30"]),
    default_vat=st.sampled_from(["0", "6", "12", "21"]),
)
def test_expected_totals_always_equal_billits(
    billit: Billit,
    rows: list[tuple[str, Decimal, Decimal]],
    minutes: list[int],
    rounding: str,
    default_vat: str,
) -> None:
    wo = workorder(
        Materials=[
            material(code, comma(quantity), comma(price), name=f"Materiaal {code or 'los'}")
            for code, quantity, price in rows
        ],
        Workperiods=[
            period(f"{m // 60:02d}:{m % 60:02d}", "HT-001" if i % 2 else "HT-002")
            for i, m in enumerate(minutes)
        ],
    )
    planned = build(wo, hour_rounding=rounding, default_vat_rate=default_vat)
    assert planned.expected.incl == planned.expected.excl + planned.expected.vat
    assert_fake_agrees(planned, billit)
