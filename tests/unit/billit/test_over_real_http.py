"""The same client over a real socket: the fake served on 127.0.0.1 (no respx)."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from billit_sync.billit import (
    BillitClient,
    BillitEndpoints,
    BillitHttp,
    BillitOAuth,
    NewOrder,
    NewOrderLine,
    OrderCustomer,
    StaticCredentials,
    make_idempotency_key,
)
from tests.fakes.billit import BillitFake
from tests.fakes.server import RunningServer, serve
from tests.unit.billit.conftest import CLIENT_ID, CLIENT_SECRET, EMAIL, REDIRECT_URI


@pytest.fixture
def served() -> Iterator[tuple[BillitFake, RunningServer]]:
    fake = BillitFake(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=(REDIRECT_URI,)
    )
    with serve(fake.handle) as server:
        yield fake, server


def test_connect_list_and_invoice_over_http(served: tuple[BillitFake, RunningServer]) -> None:
    fake, server = served
    fake.add_user(EMAIL)
    company = fake.add_company(EMAIL, "Claes BV", "BE0765432198")
    party = fake.add_party(company, Name="Peeters BV")
    endpoints = BillitEndpoints(api_url=server.url, login_url=f"{server.url}/Account/Logon")
    with httpx.Client() as http_client:
        oauth = BillitOAuth(
            http_client, endpoints, CLIENT_ID, SecretStr(CLIENT_SECRET), REDIRECT_URI
        )
        assert http_client.get(oauth.authorize_url("abc")).status_code == 200
        code = parse_qs(urlsplit(fake.authorize(EMAIL, REDIRECT_URI, "abc")).query)["code"][0]
        tokens = oauth.exchange_code(code)
        credentials = StaticCredentials(tokens.access_token, company)
        client = BillitClient(BillitHttp(http_client, endpoints, credentials))
        assert [c.party_id for c in client.account.get_account_information().companies] == [company]
        assert [p.name for p in client.parties.iter_parties()] == ["Peeters BV"]
        order = NewOrder(
            order_date=date(2024, 5, 14),
            external_provider_id="os-1",
            customer=OrderCustomer(party_id=party["PartyID"]),
            order_lines=[
                NewOrderLine(
                    quantity=Decimal(3),
                    unit_price_excl=Decimal("4.55"),
                    description="Koppelstuk",
                    vat_percentage=Decimal(21),
                )
            ],
        )
        order_id = client.orders.create_order(order, make_idempotency_key("os-1"))
        assert client.orders.get_order(order_id).total_excl == Decimal("13.65")
