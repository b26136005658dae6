"""An importer wired to the Billit and OutSmart fakes (respx) and moto stores."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import httpx
import respx
from moto import mock_aws
from pydantic import SecretStr

from billit_sync.billit import BillitClient, BillitEndpoints, BillitHttp, StaticCredentials
from billit_sync.outsmart import OutSmartClient
from billit_sync.store import MappingStore, WatermarkStore
from billit_sync.store.dynamo import CLIENT_CONFIG
from billit_sync.sync.imports.importer import Importer
from billit_sync.tenant_settings import ImportSettings
from tests.fakes.billit import BillitFake
from tests.fakes.outsmart import OutSmartFake, OutSmartTenant
from tests.support.aws import create_tables_from_template
from tests.support.clock import FakeClock

TENANT = "acme"
USER = "an@claes.example"
COMPANY = 512340
OUTSMART_TOKEN = "os-tenant-token"
SOFTWARE_TOKEN = "os-software-token"


@dataclass
class ImportHarness:
    billit: BillitFake
    outsmart: OutSmartFake
    billit_client: BillitClient
    outsmart_client: OutSmartClient
    mappings: MappingStore
    watermarks: WatermarkStore
    clock: FakeClock

    @property
    def office(self) -> OutSmartTenant:
        return self.outsmart.tenant(OUTSMART_TOKEN)

    def importer(
        self,
        settings: ImportSettings | None = None,
        *,
        time_left: float = 900.0,
        batch_size: int = 200,
        **kwargs: Any,
    ) -> Importer:
        return Importer(
            tenant_id=TENANT,
            party_id=str(COMPANY),
            settings=settings or ImportSettings(),
            billit=self.billit_client,
            outsmart=self.outsmart_client,
            mappings=self.mappings,
            watermarks=self.watermarks,
            time_left=lambda: time_left,
            batch_size=batch_size,
            **({"clock": self.clock} | kwargs),
        )

    def outsmart_posts(self) -> int:
        return sum(1 for call in self.outsmart.calls if call.method == "POST")

    def customer(self, name: str, **fields: Any) -> dict[str, Any]:
        defaults = {
            "PartyType": "Customer",
            "Street": "Kerkstraat",
            "StreetNumber": "12",
            "Zipcode": "2000",
            "City": "Antwerpen",
            "CountryCode": "BE",
        }
        return self.billit.add_party(COMPANY, Name=name, **(defaults | fields))

    def product(self, reference: str, **fields: Any) -> dict[str, Any]:
        defaults = {
            "Description": f"Product {reference}",
            "AmountExcl": 10,
            "VAT": 21,
            "Unit": "C62",
        }
        return self.billit.add_product(COMPANY, Reference=reference, **(defaults | fields))

    def fill_large_account(
        self, customers: int, products: int, *, groups: int, contacts: bool
    ) -> None:
        """A big account of uniform records: ``K00000``… customers in Brussels (each with a
        contact when ``contacts``), ``P00000``… products at 1,50 spread over ``groups``."""
        for n in range(customers):
            contact = {"ContactFirstName": "Contact", "ContactLastName": str(n)}
            self.billit.add_party(
                COMPANY,
                Name=f"Klant {n}",
                Nr=f"K{n:05d}",
                PartyType="Customer",
                Street="Markt",
                StreetNumber="1",
                Zipcode="1000",
                City="Brussel",
                **(contact if contacts else {}),
            )
        for n in range(products):
            self.billit.add_product(
                COMPANY,
                Reference=f"P{n:05d}",
                Description=f"Product {n}",
                AmountExcl=Decimal("1.50"),
                VAT=21,
                Unit="C62",
                GroupID=n % groups,
                GroupName=f"Groep {n % groups}",
            )


@contextmanager
def import_harness(latency: float = 0.0) -> Iterator[ImportHarness]:
    clock = FakeClock()
    with mock_aws(), respx.mock(assert_all_called=False) as router:
        session = boto3.session.Session(region_name="eu-west-1")
        # Built as the service builds it (``store.dynamo.CLIENT_CONFIG``): `make bench` measures
        # the import's CPU with it.
        tables = create_tables_from_template(session.resource("dynamodb", config=CLIENT_CONFIG))
        billit = BillitFake(clock=clock.epoch)
        billit.add_user(USER)
        billit.add_company(USER, "Claes BV", "BE0765432198", party_id=COMPANY)
        token = billit.authorize(USER, "https://connector.example/oauth/callback", "s")
        code = httpx.URL(token).params["code"]
        outsmart = OutSmartFake(software_token=SOFTWARE_TOKEN)
        outsmart.add_tenant(OUTSMART_TOKEN)
        outsmart.faults.latency = latency
        billit.faults.latency = latency
        router.route(host="api.billit.test").mock(side_effect=billit.handle)
        router.route(host="outsmart.test").mock(side_effect=outsmart.handle)
        http = httpx.Client()
        exchanged = http.post(
            "https://api.billit.test/OAuth2/token",
            json={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": "outsmart-client",
                "client_secret": "outsmart-client-secret",
                "redirect_uri": "https://connector.example/oauth/callback",
            },
        ).json()
        endpoints = BillitEndpoints(
            api_url="https://api.billit.test", login_url="https://my.billit.test/Account/Logon"
        )
        billit_client = BillitClient(
            BillitHttp(http, endpoints, StaticCredentials(exchanged["access_token"], COMPANY))
        )
        outsmart_client = OutSmartClient(
            http,
            "https://outsmart.test/openapi/8",
            SecretStr(OUTSMART_TOKEN),
            SecretStr(SOFTWARE_TOKEN),
        )
        yield ImportHarness(
            billit=billit,
            outsmart=outsmart,
            billit_client=billit_client,
            outsmart_client=outsmart_client,
            mappings=MappingStore(tables["IntegrationTable"], clock),
            watermarks=WatermarkStore(tables["IntegrationTable"], clock),
            clock=clock,
        )
