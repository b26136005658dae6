"""Issue 11 items 1, 2, 4 and 6: invoices per customer VAT regime, at Billit's precision, with
Billit's arithmetic, and held back when implausible.

Every expected line and total below is worked out by hand from the rules (billit-api.md §8:
ventilation codes, "What a regime invoice must carry", "Decimals", "Calculation"), written in
a table a reader can check with a pencil, never taken from the builder. Each invoice is also
posted to the Billit fake, which must accept it and compute the same totals.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from billit_sync import messages
from billit_sync.billit import wire
from billit_sync.billit.orders import NewOrder, NewOrderLine
from billit_sync.billit.parties import Party
from billit_sync.outsmart.models import WorkOrder
from billit_sync.sync.exports.invoice_builder import (
    ExpectedTotals,
    HourTypeInfo,
    PlannedInvoice,
    ProductInfo,
    build_invoice,
    expected_totals,
    parse_workorder,
)
from billit_sync.sync.exports.plausibility import breach_params, breaches
from billit_sync.sync.exports.problems import ExportProblem, invoice_held_message
from billit_sync.sync.exports.vat_regime import STANDARD, CustomerVat, VatRegime, customer_vat
from billit_sync.tenant_settings import ExportSettings
from tests.fakes.billit import BillitFake

API = "https://api.billit.test"
REDIRECT = "https://connector.example/oauth/callback"
USER = "an@claes.example"

HOUR_TYPES = {
    "HT-001": HourTypeInfo(name="Arbeid monteur", sale_price=Decimal("55.00"), vat_rate=None),
    "HT-002": HourTypeInfo("Arbeid leerling", Decimal("38.50"), Decimal("6")),
    "HT-060": HourTypeInfo("Arbeid technicus", Decimal("60.00"), Decimal("21")),
}
PRODUCTS = {
    "MAT-00001": ProductInfo(billit_product_id=None, vat_rate=Decimal("21"), unit=None),
    "MAT-00002": ProductInfo(billit_product_id=None, vat_rate=Decimal("6"), unit=None),
}


def workorder(periods: list[tuple[str, str]], materials: list[tuple[str, str, str]]) -> WorkOrder:
    """Periods as (TotalTime, HourType), materials as (code, MaterialNr, MaterialPrice)."""
    return parse_workorder(
        {
            "id": "1919",
            "WorkorderNo": "WB-1042",
            "status": "Compleet",
            "WorkDate": "13-05-2024",
            "WorkDescription": "Lek hersteld",
            # A dated period without time (no line) says when the work was done, also for an
            # order with materials only.
            "Workperiods": [
                {"WorkDate": "13-05-2024", "TotalTime": total, "HourType": hour_type}
                for total, hour_type in [*periods, ("00:00", "HT-001")]
            ],
            "Materials": [
                {"MaterialCode": code, "MaterialName": code, "MaterialNr": nr, "MaterialPrice": p}
                for code, nr, p in materials
            ],
        }
    )


def build(wo: WorkOrder, customer: CustomerVat = STANDARD, **settings: Any) -> PlannedInvoice:
    return build_invoice(
        wo,
        tenant_id="t-claes",
        customer_party_id=884211,
        settings=ExportSettings.model_validate(settings),
        products=PRODUCTS,
        hour_types=HOUR_TYPES,
        customer=customer,
    )


def wire_body(planned: PlannedInvoice) -> dict[str, Any]:
    data: dict[str, Any] = wire.loads(planned.order.to_json())
    return data


def party(**fields: Any) -> Party:
    return Party.model_validate({"PartyID": 884211, "Name": "Klant BV", **fields})


# == the Billit fake ============================================================================


@dataclass
class Billit:
    fake: BillitFake
    http: httpx.Client
    company: int
    headers: dict[str, str]

    def post(self, order: NewOrder, **party_fields: Any) -> dict[str, Any]:
        """Create the order for a fresh party with these fields; Billit's stored order."""
        created = self.fake.add_party(self.company, Name="Klant BV", **party_fields)
        customer = order.customer.model_copy(update={"party_id": created["PartyID"]})
        response = self.http.post(
            f"{API}/v1/orders",
            headers={**self.headers, "Content-Type": "application/json"},
            content=order.model_copy(update={"customer": customer}).to_json(),
        )
        assert response.status_code == 200, response.text
        return self.fake.order(self.company, int(response.text))


@pytest.fixture(scope="module")
def billit() -> Iterator[Billit]:
    fake = BillitFake()
    fake.add_user(USER)
    company = fake.add_company(USER, "Claes BV", "BE0765432198")
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
        yield Billit(fake, http, company, headers)


def stored_totals(order: dict[str, Any]) -> ExpectedTotals:
    return ExpectedTotals(order["TotalExcl"], order["TotalVAT"], order["TotalIncl"])


# == 1. the customer's regime from its Billit party ============================================

BE_CO = "BE0403170701"  # valid Belgian numbers (mod 97)
BE_OTHER = "BE0411905847"
REGIME_TABLE: list[tuple[str, dict[str, Any], VatRegime, str | None, str]] = [
    # (case, party fields, regime, header code, language)
    ("business, no code", {"VATLiable": True, "VATNumber": BE_OTHER}, VatRegime.STANDARD, None,
     "nl"),
    ("VAT liability unknown", {"VATNumber": BE_OTHER}, VatRegime.STANDARD, None, "nl"),
    ("standard-rate code 4", {"VentilationCode": "4", "VATNumber": BE_OTHER},
     VatRegime.STANDARD, None, "nl"),
    ("private person", {"VATLiable": False, "Language": "FR"}, VatRegime.PRIVATE_PERSON, None,
     "fr"),
    ("BE co-contractor", {"VentilationCode": "21", "VATNumber": BE_CO, "CountryCode": "BE",
                          "VATLiable": True, "Language": "NL"}, VatRegime.CO_CONTRACTOR, "21",
     "nl"),
    ("code as a number", {"VentilationCode": 21, "VATNumber": "be 0403.170.701"},
     VatRegime.CO_CONTRACTOR, "21", "nl"),
    ("NL co-contractor (btw verlegd)", {"VentilationCode": "21", "VATNumber": "NL853746829B01",
                                        "CountryCode": "NL"}, VatRegime.CO_CONTRACTOR, "21", "nl"),
    ("EU goods", {"VentilationCode": "51", "VATNumber": "DE123456789", "CountryCode": "DE",
                  "Language": "DE"}, VatRegime.INTRA_EU_GOODS, "51", "de"),
    ("EU services, country from VAT", {"VentilationCode": "55", "VATNumber": "FR12345678901"},
     VatRegime.INTRA_EU_SERVICES, "55", "en"),
    ("EU goods, Greece is EL", {"VentilationCode": "51", "VATNumber": "EL123456789",
                                "CountryCode": "GR"}, VatRegime.INTRA_EU_GOODS, "51", "en"),
    ("export", {"VentilationCode": "70", "CountryCode": "CH", "Language": "FR"},
     VatRegime.EXPORT, "70", "fr"),
    ("outside scope", {"VentilationCode": "22"}, VatRegime.OUTSIDE_SCOPE, "22", "nl"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "regime", "code", "language"),
    [row[1:] for row in REGIME_TABLE],
    ids=[row[0] for row in REGIME_TABLE],
)
def test_the_regime_is_read_from_the_party(
    fields: dict[str, Any], regime: VatRegime, code: str | None, language: str
) -> None:
    decided = customer_vat(party(**fields), "WB-1042")
    assert (decided.regime, decided.ventilation_code, decided.language) == (
        regime,
        code,
        language,
    )


def test_only_a_well_formed_vat_number_goes_on_a_normal_invoice() -> None:
    assert customer_vat(party(VATNumber="be 0411.905.847"), "WB-1").vat_number == BE_OTHER
    assert customer_vat(party(VATNumber="BE0411905840"), "WB-1").vat_number is None
    assert customer_vat(party(), "WB-1").vat_number is None


UNDECIDABLE: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, party fields, message key, a fragment the English text must contain)
    ("reverse charge without VAT number", {"VentilationCode": "21", "CountryCode": "BE"},
     messages.EXPORT_VAT_REGIME_NO_VAT_NUMBER, "Add the customer's VAT number in Billit"),
    ("EU services without VAT number", {"VentilationCode": "55", "CountryCode": "DE"},
     messages.EXPORT_VAT_REGIME_NO_VAT_NUMBER, "has no VAT number"),
    ("invalid VAT number", {"VentilationCode": "21", "VATNumber": "BE0403170700"},
     messages.EXPORT_VAT_REGIME_INVALID_VAT_NUMBER, "'BE0403170700' is not valid"),
    ("reverse charge for a private person", {"VentilationCode": "21", "VATNumber": BE_CO,
                                             "VATLiable": False},
     messages.EXPORT_VAT_REGIME_NOT_VAT_LIABLE, "not liable for VAT"),
    ("co-contractor in Germany", {"VentilationCode": "21", "VATNumber": "DE123456789"},
     messages.EXPORT_VAT_REGIME_WRONG_COUNTRY, "country 'DE'"),
    ("intra-EU to a Belgian", {"VentilationCode": "51", "VATNumber": BE_CO},
     messages.EXPORT_VAT_REGIME_WRONG_COUNTRY, "country 'BE'"),
    ("export inside the EU", {"VentilationCode": "70", "CountryCode": "FR"},
     messages.EXPORT_VAT_REGIME_WRONG_COUNTRY, "country 'FR'"),
    ("export without a country", {"VentilationCode": "70"},
     messages.EXPORT_VAT_REGIME_WRONG_COUNTRY, "country '-'"),
    ("0 % code 1", {"VentilationCode": "1"}, messages.EXPORT_VAT_REGIME_UNKNOWN_CODE,
     "ventilation code 1 in Billit"),
    ("margin scheme 24", {"VentilationCode": "24"}, messages.EXPORT_VAT_REGIME_UNKNOWN_CODE,
     "cannot be invoiced automatically"),
    ("OSS 104", {"VentilationCode": "104"}, messages.EXPORT_VAT_REGIME_UNKNOWN_CODE, "104"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "key", "fragment"),
    [row[1:] for row in UNDECIDABLE],
    ids=[row[0] for row in UNDECIDABLE],
)
def test_an_undecidable_regime_is_a_user_fixable_problem(
    fields: dict[str, Any], key: str, fragment: str
) -> None:
    with pytest.raises(ExportProblem) as caught:
        customer_vat(party(**fields), "WB-1042")
    problem = caught.value
    assert problem.message_key == key
    assert fragment in str(problem)
    assert "Billit" in problem.render("nl")
    assert problem.params["workorder_no"] == "WB-1042"
    assert problem.params["customer_name"] == "Klant BV"


# == 1 + 6. one invoice per regime, worked by hand =============================================

# The work order: 2:30 of HT-001 (55.00, no VAT on the hour type: default 21 %), 1:00 of
# HT-002 (38.50 at 6 %), 3 x MAT-00001 at 4.55 (21 %), 2 x MAT-00002 at 10.00 (6 %), and the
# work description as a text line.
REGIME_WORKORDER = (
    [("02:30", "HT-001"), ("01:00", "HT-002")],
    [("MAT-00001", "3", "4,55"), ("MAT-00002", "2", "10,00")],
)
# Lines (quantity, unit price, net): 2.5 x 55.00 = 137.50; 1 x 38.50 = 38.50;
# 3 x 4.55 = 13.65; 2 x 10.00 = 20.00; text line 0. Net 209.65.
# Normal VAT, per rate on the sums: 21 % of 137.50 + 13.65 = 151.15 → 31.7415 → 31.74;
# 6 % of 38.50 + 20.00 = 58.50 → 3.51. VAT 35.25, total 244.90.
# 0 % regimes: every line at 0 %, VAT 0.00, total 209.65.
NORMAL_RATES = [21, 6, 21, 6, 21]  # the text line takes the first priced line's rate
ZERO = [0, 0, 0, 0, 0]
NORMAL_TOTALS = ("209.65", "35.25", "244.90")
ZERO_TOTALS = ("209.65", "0.00", "209.65")

MENTION_21_NL = "Verlegging van heffing: btw te voldoen door de medecontractant, art. 20 KB nr. 1."
MENTION_51_EN = "Exempt intra-Community supply of goods, art. 39bis Belgian VAT Code."
MENTION_55_DE = "Steuerschuldnerschaft des Leistungsempfängers, Art. 21 § 2 belg. MwStGB."
MENTION_70_FR = "Exonération de TVA : exportation, art. 39 Code TVA."
MENTION_22_NL = "Buiten het toepassingsgebied van de Belgische btw."

INVOICE_TABLE: list[tuple[str, dict[str, Any], list[int], str | None, str, tuple[str, ...]]] = [
    # (case, party fields, VAT % per line, header code, Comments, totals excl/VAT/incl)
    ("business customer", {"VATLiable": True, "VATNumber": BE_OTHER, "CountryCode": "BE"},
     NORMAL_RATES, None, "Werkbon WB-1042", NORMAL_TOTALS),
    ("private person", {"VATLiable": False, "CountryCode": "BE"},
     NORMAL_RATES, None, "Werkbon WB-1042", NORMAL_TOTALS),
    ("BE co-contractor", {"VentilationCode": "21", "VATNumber": BE_CO, "CountryCode": "BE",
                          "VATLiable": True, "Language": "NL"},
     ZERO, "21", f"Werkbon WB-1042\n{MENTION_21_NL}", ZERO_TOTALS),
    ("EU goods, English", {"VentilationCode": "51", "VATNumber": "LU12345678",
                           "CountryCode": "LU", "Language": "EN"},
     ZERO, "51", f"Work order WB-1042\n{MENTION_51_EN}", ZERO_TOTALS),
    ("EU services, German", {"VentilationCode": "55", "VATNumber": "DE123456789",
                             "CountryCode": "DE", "Language": "DE"},
     ZERO, "55", f"Arbeitsauftrag WB-1042\n{MENTION_55_DE}", ZERO_TOTALS),
    ("export, French", {"VentilationCode": "70", "CountryCode": "CH", "Language": "FR"},
     ZERO, "70", f"Bon de travail WB-1042\n{MENTION_70_FR}", ZERO_TOTALS),
    ("outside scope", {"VentilationCode": "22", "CountryCode": "BE"},
     ZERO, "22", f"Werkbon WB-1042\n{MENTION_22_NL}", ZERO_TOTALS),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "rates", "code", "comments", "totals"),
    [row[1:] for row in INVOICE_TABLE],
    ids=[row[0] for row in INVOICE_TABLE],
)
def test_one_invoice_per_regime(
    billit: Billit,
    *,
    fields: dict[str, Any],
    rates: list[int],
    code: str | None,
    comments: str,
    totals: tuple[str, str, str],
) -> None:
    regime = customer_vat(party(**fields), "WB-1042")
    planned = build(workorder(*REGIME_WORKORDER), regime)
    sent = wire_body(planned)

    assert [line["VATPercentage"] for line in sent["OrderLines"]] == rates
    assert [line.get("VentilationCode") for line in sent["OrderLines"]] == [None] * 5
    assert [(line["Quantity"], line["UnitPriceExcl"]) for line in sent["OrderLines"]] == [
        (Decimal("2.5"), Decimal("55.00")),
        (1, Decimal("38.50")),
        (3, Decimal("4.55")),
        (2, Decimal("10.00")),
        (0, 0),
    ]
    assert sent.get("VentilationCode") == code
    assert isinstance(sent.get("VentilationCode", ""), str)  # a string on the wire (§8)
    assert b'"VentilationCode":' + (f'"{code}"'.encode()) in planned.order.to_json() or not code
    assert sent["Comments"] == comments
    assert "Reference" not in sent and "OrderTitle" not in sent
    assert sent["Customer"].get("VATNumber") == regime.vat_number
    expected = ExpectedTotals(*(Decimal(value) for value in totals))
    assert planned.expected == expected

    stored = billit.post(planned.order, **fields)
    assert stored_totals(stored) == expected
    if code is not None:  # Billit gives every 0 % line the header's code
        assert {line["VentilationCode"] for line in stored["OrderLines"]} == {code}


def test_a_reverse_charge_invoice_carries_the_customers_vat_number(billit: Billit) -> None:
    fields = {"VentilationCode": "21", "VATNumber": "be 0403.170.701", "CountryCode": "BE"}
    planned = build(workorder(*REGIME_WORKORDER), customer_vat(party(**fields), "WB-1042"))
    assert wire_body(planned)["Customer"] == {
        "PartyID": 884211,
        "Name": "Klant BV",
        "VATNumber": BE_CO,
        "PartyType": "Customer",
    }


def test_the_text_line_takes_the_invoices_rate_not_21() -> None:
    # Only 6 % lines: a 21 % text line would add an empty 21 % VAT category.
    wo = workorder([("01:00", "HT-002")], [])
    sent = wire_body(build(wo))
    assert [line["VATPercentage"] for line in sent["OrderLines"]] == [6, 6]
    regime = customer_vat(party(VentilationCode="22"), "WB-1042")
    sent = wire_body(build(wo, regime))
    assert [line["VATPercentage"] for line in sent["OrderLines"]] == [0, 0]


# == 2. Billit's precision: one rule, worked by hand ===========================================

PRECISION_TABLE: list[tuple[str, list[tuple[str, str]], list[tuple[str, str, str]], int,
                            tuple[str, str, str, str]]] = [
    # (case, periods, materials, decimals, (Quantity, UnitPriceExcl, Description, net))
    ("20 min at 60.00/h, 2 decimals", [("00:20", "HT-060")], [], 2,
     ("1", "20.00", "Arbeid technicus (0:20 h x 60.00)", "20.00")),
    ("20 min at 55.00/h: 18.333", [("00:20", "HT-001")], [], 2,
     ("1", "18.33", "Arbeid monteur (0:20 h x 55.00)", "18.33")),
    ("20 min do not fit 5 decimals either", [("00:20", "HT-001")], [], 5,
     ("1", "18.33", "Arbeid monteur (0:20 h x 55.00)", "18.33")),
    ("1 h 10 min", [("01:10", "HT-060")], [], 2,
     ("1", "70.00", "Arbeid technicus (1:10 h x 60.00)", "70.00")),
    ("1 min", [("00:01", "HT-060")], [], 2,
     ("1", "1.00", "Arbeid technicus (0:01 h x 60.00)", "1.00")),
    ("7 min at 3 decimals: 0.11666…", [("00:07", "HT-060")], [], 3,
     ("1", "7.00", "Arbeid technicus (0:07 h x 60.00)", "7.00")),
    ("45 min fit: 0.75", [("00:45", "HT-001")], [], 2, ("0.75", "55.00", "Arbeid monteur",
                                                         "41.25")),
    ("6 min fit: 0.1", [("00:06", "HT-060")], [], 2, ("0.1", "60.00", "Arbeid technicus",
                                                      "6.00")),
    ("9 min fit 3 decimals: 0.15", [("00:09", "HT-060")], [], 3,
     ("0.15", "60.00", "Arbeid technicus", "9.00")),
    ("quantity 1.333 at 2 decimals", [], [("MAT-00001", "1,333", "4,55")], 2,
     ("1", "6.07", "MAT-00001 (1.333 x 4.55)", "6.07")),  # 6.06515 → 6.07
    ("quantity 1.333 at 3 decimals", [], [("MAT-00001", "1,333", "4,55")], 3,
     ("1.333", "4.55", "MAT-00001", "6.07")),
    ("price 0.125 at 2 decimals", [], [("MAT-00001", "10", "0,125")], 2,
     ("1", "1.25", "MAT-00001 (10 x 0.125)", "1.25")),
    ("price 0.125 at 3 decimals", [], [("MAT-00001", "10", "0,125")], 3,
     ("10", "0.125", "MAT-00001", "1.25")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("periods", "materials", "decimals", "expected"),
    [row[1:] for row in PRECISION_TABLE],
    ids=[row[0] for row in PRECISION_TABLE],
)
def test_lines_fit_billits_decimals_and_keep_the_exact_amount(
    billit: Billit,
    periods: list[tuple[str, str]],
    materials: list[tuple[str, str, str]],
    decimals: int,
    expected: tuple[str, str, str, str],
) -> None:
    planned = build(workorder(periods, materials), billit_decimals=decimals)
    (line, *_text) = wire_body(planned)["OrderLines"]
    quantity, price, description, net = expected
    assert (line["Quantity"], line["UnitPriceExcl"], line["Description"]) == (
        Decimal(quantity),
        Decimal(price),
        description,
    )
    assert planned.expected.excl == Decimal(net)

    billit.fake.set_decimals(billit.company, decimals)  # the fake refuses more than that
    try:
        assert billit.post(planned.order)["TotalExcl"] == Decimal(net)
    finally:
        billit.fake.set_decimals(billit.company, 2)


# == 2. VAT per rate on the summed amounts (billit-api.md §8 "Calculation") ====================


def order_line(quantity: str, price: str, vat: int) -> NewOrderLine:
    return NewOrderLine(
        quantity=Decimal(quantity),
        unit_price_excl=Decimal(price),
        description="x",
        vat_percentage=Decimal(vat),
    )


CALCULATION_TABLE = [
    # the note's example: 3 lines of 0.35 at 21 %: 1.05 x 21 % = 0.2205 → 0.22 (per line 0.21)
    ([("1", "0.35", 21)] * 3, ("1.05", "0.22", "1.27")),
    # the Billit doc's example: 24.95 + 59.99 = 84.94; x 21 % = 17.8374 → 17.84; 102.78
    ([("1", "24.95", 21), ("1", "59.99", 21)], ("84.94", "17.84", "102.78")),
    # two rates: 21 % of 10.05 + 0.05 = 10.10 → 2.121 → 2.12; 6 % of 0.25 + 0.25 → 0.03
    (
        [("1", "10.05", 21), ("1", "0.05", 21), ("1", "0.25", 6), ("1", "0.25", 6)],
        ("10.60", "2.15", "12.75"),
    ),
    # a credit line: 21 % of 10.00 - 4.55 = 5.45 → 1.1445 → 1.14
    ([("1", "10.00", 21), ("-1", "4.55", 21)], ("5.45", "1.14", "6.59")),
]


@pytest.mark.parametrize(("rows", "totals"), CALCULATION_TABLE)
def test_expected_totals_compute_vat_per_rate_on_the_sums(
    rows: list[tuple[str, str, int]], totals: tuple[str, str, str]
) -> None:
    assert expected_totals([order_line(*row) for row in rows]) == ExpectedTotals(
        *(Decimal(value) for value in totals)
    )


# == 4. plausibility limits, worked by hand =====================================================

LIMIT_TABLE: list[tuple[str, list[tuple[str, str]], list[tuple[str, str, str]], dict[str, Any],
                        dict[str, str]]] = [
    # (case, periods, materials, limits, breaches {kind: value/limit})
    ("plausible", [("02:30", "HT-001")], [("MAT-00001", "3", "4,55")], {}, {}),
    # the typo of the issue: 1.2 x 10^18 pieces at 1.00 → 1.2e18 + 21 % = 1.452e18
    ("typo: 1.2 x 10^18", [], [("MAT-00001", "1200000000000000000", "1,00")], {},
     {"quantity_per_line": "1200000000000000000/1000",
      "invoice_total": "1452000000000000000.00/25000"}),
    ("a typo in a folded line", [], [("MAT-00001", "1200000000000000000", "0,125")], {},
     {"quantity_per_line": "1200000000000000000/1000",
      "invoice_total": "181500000000000000.00/25000"}),
    ("hours", [("150:00", "HT-001"), ("100:00", "HT-002")], [],
     {"max_invoice_total": "100000"}, {"hours_per_workorder": "250.00/200"}),
    # 21 x 1000 pieces of 4.55 = 4550 + 955.50 VAT = 5505.50 > 5000
    ("total", [], [("MAT-00001", "1000", "4,55")], {"max_invoice_total": "5000"},
     {"invoice_total": "5505.50/5000"}),
    ("lower quantity limit", [], [("MAT-00001", "51", "1")], {"max_quantity_per_line": "50"},
     {"quantity_per_line": "51/50"}),
    ("negative line allowed by default", [("01:00", "HT-001")], [("MAT-00001", "-1", "4,55")],
     {}, {}),
    ("negative line refused", [("01:00", "HT-001")], [("MAT-00001", "-1", "4,55")],
     {"allow_negative_lines": False}, {"negative_line": "-4.55"}),
    # -5 x 4.55 = -22.75; VAT -4.7775 → -4.78; total -27.53
    ("negative total", [], [("MAT-00001", "-5", "4,55")], {},
     {"negative_total": "-27.53"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("periods", "materials", "limits", "expected"),
    [row[1:] for row in LIMIT_TABLE],
    ids=[row[0] for row in LIMIT_TABLE],
)
def test_plausibility_limits(
    periods: list[tuple[str, str]],
    materials: list[tuple[str, str, str]],
    limits: dict[str, Any],
    expected: dict[str, str],
) -> None:
    planned = build(workorder(periods, materials), limits=limits, work_description_line=False)
    found = breaches(planned, ExportSettings.model_validate({"limits": limits}).limits)
    assert breach_params(found) == expected


def test_the_held_warning_names_each_value_and_limit_in_both_languages() -> None:
    key, params = invoice_held_message(
        "WB-1042",
        "2026-0007",
        2731904,
        {"quantity_per_line": "1200000000000000000/1000", "invoice_total": "5505.50/5000"},
    )
    assert key == messages.EXPORT_INVOICE_HELD
    assert messages.render(key, params, "en") == (
        "Work order WB-1042 exported to Billit as invoice 2026-0007, but kept as a draft and "
        "NOT sent: a line has quantity 1200000000000000000, above the limit of 1000; the total "
        "is EUR 5505.50, above the limit of EUR 5000. Check the invoice in Billit and send it "
        "yourself, or delete it and correct the work order in OutSmart. The limits are in the "
        "export settings."
    )
    dutch = messages.render(key, params, "nl")
    assert "NIET verstuurd" in dutch
    assert "het totaal is EUR 5505,50, boven de grens van EUR 5000" in dutch
    assert "aantal 1200000000000000000, boven de grens van 1000" in dutch
