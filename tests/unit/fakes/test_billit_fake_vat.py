"""The Billit fake's VAT and precision, each behaviour from a line of billit-api.md §8/§7:
VAT per rate on summed amounts, 2 decimals by default (3-5 by company setting, the unknown
handling of more played every way), customer-level VAT fields kept but never applied, the
header ventilation code of 0 % lines, and what Billit refuses."""

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.billit import BillitFake
from tests.fakes.billit.invoicing import ExcessDecimals

API = "https://api.billit.test"
REDIRECT = "https://connector.example/oauth/callback"
USER = "an@claes.example"


@pytest.fixture
def fake() -> BillitFake:
    billit = BillitFake()
    billit.add_user(USER)
    return billit


@pytest.fixture
def company(fake: BillitFake) -> int:
    return fake.add_company(USER, "Claes BV", "BE0765432198", party_id=512340)


@pytest.fixture
def http(fake: BillitFake) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(fake.handle)) as client:
        yield client


@pytest.fixture
def headers(fake: BillitFake, http: httpx.Client, company: int) -> dict[str, str]:
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
    return {"Authorization": f"Bearer {tokens['access_token']}", "PartyID": str(company)}


@pytest.fixture
def customer(fake: BillitFake, company: int) -> int:
    party = fake.add_party(company, Name="Peeters BV", VATNumber="BE0411905847")
    return int(party["PartyID"])


def line(quantity: str, price: str, vat: int = 21, code: str | None = None) -> str:
    extra = f',"VentilationCode":"{code}"' if code is not None else ""
    return (
        f'{{"Quantity":{quantity},"UnitPriceExcl":{price},"Description":"Arbeid",'
        f'"VATPercentage":{vat}{extra}}}'
    )


def post(
    http: httpx.Client, headers: dict[str, str], party_id: int, *lines: str, header: str = ""
) -> httpx.Response:
    """Raw JSON, so the numbers are exactly the decimals a client would send."""
    body = (
        '{"OrderType":"Invoice","OrderDirection":"Income","OrderDate":"2026-05-14",'
        f'"Customer":{{"PartyID":{party_id}}},{header}"OrderLines":[{",".join(lines)}]}}'
    ).encode()
    return http.post(
        f"{API}/v1/orders", headers={**headers, "Content-Type": "application/json"}, content=body
    )


def stored(fake: BillitFake, company: int, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return fake.order(company, int(response.text))


def totals(order: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    return order["TotalExcl"], order["TotalVAT"], order["TotalIncl"]


# == VAT per rate on the summed amounts (billit-api.md §8 "Calculation") ========================

# Worked by hand from §8: nets per line (2 decimals), summed per rate, VAT rounded once per rate.
PER_RATE_CASES = [
    # the note's own example: three lines of 0.35 at 21 %: 1.05 x 0.21 = 0.2205 -> 0.22
    # (per line it would be 3 x 0.07 = 0.21)
    ([("1", "0.35", 21)] * 3, ("1.05", "0.22", "1.27")),
    # the Billit doc's example: 24.95 + 59.99 at 21 % -> 84.94 x 1.21 = 102.7774 -> 102.78
    ([("1", "24.95", 21), ("1", "59.99", 21)], ("84.94", "17.84", "102.78")),
    # two rates: 21 % on 10.05 + 0.05 = 10.10 -> 2.121 -> 2.12; 6 % on 0.25 + 0.25 = 0.50
    # -> 0.03 (per line 0.015 -> 0.02 twice = 0.04)
    (
        [("1", "10.05", 21), ("1", "0.05", 21), ("1", "0.25", 6), ("1", "0.25", 6)],
        ("10.60", "2.15", "12.75"),
    ),
]


@pytest.mark.parametrize(("rows", "expected"), PER_RATE_CASES)
def test_vat_is_computed_per_rate_on_the_summed_nets(
    fake: BillitFake,
    *,
    http: httpx.Client,
    headers: dict[str, str],
    company: int,
    customer: int,
    rows: list[tuple[str, str, int]],
    expected: tuple[str, str, str],
) -> None:
    order = stored(fake, company, post(http, headers, customer, *(line(*r) for r in rows)))
    assert totals(order) == tuple(Decimal(value) for value in expected)
    assert sum(g["TotalVAT"] for g in order["VatGroups"]) == Decimal(expected[1])


# == decimals (billit-api.md §8 "Decimals") =====================================================


def test_a_company_keeps_two_decimals_by_default(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    order = stored(fake, company, post(http, headers, customer, line("1.5", "55")))
    (first,) = order["OrderLines"]
    assert (first["Quantity"], first["UnitPriceExcl"]) == (Decimal("1.50"), Decimal("55.00"))

    refused = post(http, headers, customer, line("0.333", "55"))
    assert refused.status_code == 400
    assert "more than 2 decimals" in refused.json()["errors"][0]["Description"]
    assert len(fake.orders(company)) == 1  # nothing stored


@pytest.mark.parametrize(
    ("excess", "quantity", "excl"),
    [
        (ExcessDecimals.ROUND, "0.34", "18.70"),  # 0.33666 -> 0.34 x 55
        (ExcessDecimals.TRUNCATE, "0.33", "18.15"),  # 0.33666 -> 0.33 x 55
    ],
)
def test_more_decimals_than_the_company_keeps_every_way_billit_might_take_them(
    fake: BillitFake,
    *,
    http: httpx.Client,
    headers: dict[str, str],
    company: int,
    customer: int,
    excess: ExcessDecimals,
    quantity: str,
    excl: str,
) -> None:
    fake.set_decimals(company, 2, excess)
    order = stored(fake, company, post(http, headers, customer, line("0.33666", "55")))
    (first,) = order["OrderLines"]
    assert first["Quantity"] == Decimal(quantity)
    assert order["TotalExcl"] == Decimal(excl)


@pytest.mark.parametrize("decimals", [3, 4, 5])
def test_an_extended_company_keeps_up_to_five_decimals(
    fake: BillitFake,
    *,
    http: httpx.Client,
    headers: dict[str, str],
    company: int,
    customer: int,
    decimals: int,
) -> None:
    fake.set_decimals(company, decimals)
    quantity = "0." + "3" * decimals
    order = stored(fake, company, post(http, headers, customer, line(quantity, "60")))
    assert order["OrderLines"][0]["Quantity"] == Decimal(quantity)
    too_many = post(http, headers, customer, line(quantity + "3", "60"))
    assert too_many.status_code == 400
    with pytest.raises(ValueError, match="decimals"):
        fake.set_decimals(company, 6)


# == customer-level VAT (billit-api.md §8 "Customer- vs product-level VAT") ====================


@pytest.mark.parametrize("code", ["21", 21])  # a string or a number: the form is unknown
def test_parties_keep_their_vat_fields_and_orders_do_not_apply_them(
    fake: BillitFake,
    http: httpx.Client,
    headers: dict[str, str],
    company: int,
    code: str | int,
) -> None:
    party = fake.add_party(
        company,
        Name="Bouwbedrijf Medecontractant NV",
        VATNumber="BE0403170701",
        CountryCode="BE",
        VATLiable=True,
        VATDeductable=True,
        VentilationCode=code,
    )
    got = http.get(f"{API}/v1/parties/{party['PartyID']}", headers=headers).json()
    assert (got["VATLiable"], got["VentilationCode"]) == (True, code)

    # "No source says Billit applies Party.VentilationCode ... to an order": the lines keep
    # the rate they were sent with.
    order = stored(fake, company, post(http, headers, int(party["PartyID"]), line("1", "100")))
    assert order["OrderLines"][0]["VATPercentage"] == Decimal(21)
    assert order["OrderLines"][0]["VentilationCode"] == "4"
    assert order["TotalVAT"] == Decimal("21.00")


def test_zero_percent_lines_take_the_header_code(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, customer: int
) -> None:
    # billit-api.md §8: "A 0 % line takes its line VentilationCode, else the header one, else Z"
    response = post(
        http,
        headers,
        customer,
        line("2", "55", vat=0),
        line("1", "10", vat=0, code="1"),
        line("1", "10", vat=21),
        header='"VentilationCode":"21",',
    )
    order = stored(fake, company, response)
    assert [(x["VentilationCode"], x["VATPercentage"]) for x in order["OrderLines"]] == [
        ("21", Decimal(0)),
        ("1", Decimal(0)),
        ("4", Decimal(21)),
    ]
    groups = {(g["VentilationCode"], g["VATPercentage"]): g["TotalVAT"] for g in order["VatGroups"]}
    assert groups == {
        ("21", Decimal(0)): Decimal(0),
        ("1", Decimal(0)): Decimal(0),
        ("4", Decimal(21)): Decimal("2.10"),
    }


@pytest.mark.parametrize("code", ["21", "51", "55"])
def test_reverse_charge_without_the_buyers_vat_number_is_refused(
    fake: BillitFake, http: httpx.Client, headers: dict[str, str], company: int, code: str
) -> None:
    # §8: EN 16931 requires the buyer VAT identifier for AE (21); assumed for K (51/55) ⚠
    private = fake.add_party(company, Name="Jan Peeters", VATLiable=False)
    refused = post(
        http,
        headers,
        int(private["PartyID"]),
        line("1", "100", vat=0),
        header=f'"VentilationCode":"{code}",',
    )
    assert refused.status_code == 400
    (error,) = refused.json()["errors"]
    assert error["Code"] == "GenericError"
    assert "Buyer VAT identifier" in error["Description"]
    assert fake.orders(company) == []


@pytest.mark.parametrize("rate", ["20", "5.5", "7", "-21"])
def test_a_rate_not_valid_in_belgium_is_refused(
    fake: BillitFake,
    *,
    http: httpx.Client,
    headers: dict[str, str],
    company: int,
    customer: int,
    rate: str,
) -> None:
    # billit-api.md §8 "Rates": BE 0, 6, 12, 21 %; else InvalidVAtPercentageForTaxCountry_0_
    body = line("1", "100").replace('"VATPercentage":21', f'"VATPercentage":{rate}')
    refused = post(http, headers, customer, body)
    assert refused.status_code == 400
    assert json.loads(refused.text)["errors"][0]["Code"] == "InvalidVAtPercentageForTaxCountry_0_"
    assert fake.orders(company) == []
