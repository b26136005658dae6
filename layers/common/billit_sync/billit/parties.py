"""Billit parties (customers): streamed, incremental on ``LastModified``, and looked up.

There are no party webhooks, so imports poll ``LastModified ge …`` (reference §4-5).
"""

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from billit_sync.billit.http import BillitHttp
from billit_sync.billit.model import BillitModel, BillitTimestamp, parse_model
from billit_sync.billit.odata import ODataFilter, ODataQuery, and_, eq, ge
from billit_sync.billit.pagination import DEFAULT_MAX_PAGES, iter_rows

PARTIES_PATH = "/v1/parties"


class PartyAddress(BillitModel):
    address_type: str | None = Field(default=None, alias="AddressType")
    name: str | None = Field(default=None, alias="Name")
    street: str | None = Field(default=None, alias="Street")
    street_number: str | None = Field(default=None, alias="StreetNumber")
    box: str | None = Field(default=None, alias="Box")
    zipcode: str | None = Field(default=None, alias="Zipcode")
    city: str | None = Field(default=None, alias="City")
    country_code: str | None = Field(default=None, alias="CountryCode")


class PartyIdentifier(BillitModel):
    identifier_type: str | None = Field(default=None, alias="IdentifierType")
    identifier: str | None = Field(default=None, alias="Identifier")


class Party(BillitModel):
    """A Billit party; list rows are summaries, ``get_party`` gives the full record."""

    party_id: int = Field(alias="PartyID")
    nr: str | None = Field(default=None, alias="Nr")
    name: str | None = Field(default=None, alias="Name")
    commercial_name: str | None = Field(default=None, alias="CommercialName")
    display_name: str | None = Field(default=None, alias="DisplayName")
    street: str | None = Field(default=None, alias="Street")
    street_number: str | None = Field(default=None, alias="StreetNumber")
    box: str | None = Field(default=None, alias="Box")
    zipcode: str | None = Field(default=None, alias="Zipcode")
    city: str | None = Field(default=None, alias="City")
    country_code: str | None = Field(default=None, alias="CountryCode")
    email: str | None = Field(default=None, alias="Email")
    phone: str | None = Field(default=None, alias="Phone")
    mobile: str | None = Field(default=None, alias="Mobile")
    fax: str | None = Field(default=None, alias="Fax")
    website: str | None = Field(default=None, alias="Website")
    contact: str | None = Field(default=None, alias="Contact")
    contact_first_name: str | None = Field(default=None, alias="ContactFirstName")
    contact_last_name: str | None = Field(default=None, alias="ContactLastName")
    vat_number: str | None = Field(default=None, alias="VATNumber")
    peppol_identifier: str | None = Field(default=None, alias="PeppolIdentifier")
    party_type: str | None = Field(default=None, alias="PartyType")
    vat_liable: bool | None = Field(default=None, alias="VATLiable")
    vat_deductable: bool | None = Field(default=None, alias="VATDeductable")
    language: str | None = Field(default=None, alias="Language")
    ventilation_code: str | None = Field(default=None, alias="VentilationCode")
    iban: str | None = Field(default=None, alias="IBAN")
    bic: str | None = Field(default=None, alias="BIC")
    external_provider_id: str | None = Field(default=None, alias="ExternalProviderID")
    default_expiry_offset: int | None = Field(default=None, alias="DefaultExpiryOffset")
    default_reduction_percentage: Decimal | None = Field(
        default=None, alias="DefaultReductionPercentage"
    )
    addresses: list[PartyAddress] | None = Field(default=None, alias="Addresses")
    identifiers: list[PartyIdentifier] | None = Field(default=None, alias="Identifiers")
    last_modified: BillitTimestamp | None = Field(default=None, alias="LastModified")
    created: BillitTimestamp | None = Field(default=None, alias="Created")


def _parse(data: object, path: str) -> Party:
    return parse_model(Party, data, method="GET", path=path)


class PartiesApi:
    def __init__(self, http: BillitHttp) -> None:
        self._http = http

    def iter_parties(
        self,
        party_type: str = "Customer",
        modified_since: datetime | None = None,
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[Party]:
        """Parties of one type, oldest change first; ``modified_since`` is inclusive (``ge``)."""
        condition = eq("PartyType", party_type)
        if modified_since is not None:
            condition = and_(condition, ge("LastModified", modified_since))
        yield from self._iter(condition, max_pages=max_pages)

    def find_customers(
        self,
        *,
        nr: str | None = None,
        vat_number: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> list[Party]:
        """Customers with this customer number and/or VAT number (exact match)."""
        terms = [eq("PartyType", "Customer")]
        if nr is not None:
            terms.append(eq("Nr", nr))
        if vat_number is not None:
            terms.append(eq("VATNumber", vat_number))
        if len(terms) == 1:
            raise ValueError("give nr or vat_number")
        return list(self._iter(and_(*terms), max_pages=max_pages, ordered=False))

    def get_party(self, party_id: int) -> Party:
        path = f"{PARTIES_PATH}/{int(party_id)}"
        return _parse(self._http.get_json(path), path)

    def _iter(
        self, condition: ODataFilter, *, max_pages: int, ordered: bool = True
    ) -> Iterator[Party]:
        query = ODataQuery(filter=condition, orderby=(("LastModified", "asc"),) if ordered else ())
        for row in iter_rows(self._http, PARTIES_PATH, params=query.params(), max_pages=max_pages):
            yield _parse(row, PARTIES_PATH)
