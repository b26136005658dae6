"""Billit orders (invoices and credit notes): create, look up, find by reference, send.

Creating and sending are unsafe: they carry a caller-supplied idempotency key, and a lost
answer raises ``OutcomeUnknownError`` so the caller first looks the order up by its
``ExternalProviderID``. Money and quantities go on the wire as JSON numbers with their exact
decimal text; nothing passes through ``float``.
"""

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from billit_sync.billit import wire
from billit_sync.billit.errors import BillitUnreadableResultError
from billit_sync.billit.http import BillitHttp, read_json
from billit_sync.billit.model import (
    BillitDate,
    BillitModel,
    BillitRequestModel,
    BillitTimestamp,
    WireDecimal,
    parse_model,
)
from billit_sync.billit.odata import ODataQuery, eq, ge
from billit_sync.billit.pagination import iter_rows

ORDERS_PATH = "/v1/orders"
SEND_PATH = "/v1/orders/commands/send"
# ⚠ Header name: "Idempotency-Key" (idempotent-tokens page + confac in production) vs
# "Idempotent-Key" (header-values page). Send both with the same value on create and send
# (billit-api.md §6): whichever one Billit reads, the key counts.
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_HEADER_ALTERNATIVE = "Idempotent-Key"
IDEMPOTENCY_HEADERS: tuple[str, ...] = (IDEMPOTENCY_HEADER, IDEMPOTENCY_HEADER_ALTERNATIVE)
STRICT_TRANSPORT_HEADER = "StrictTransportType"
# ⚠ Send body casing: docs "Transporttype", Swagger "OrderIds", confac (production)
# "TransportType"/"OrderIDs". We use confac's (reference §3).
SEND_TRANSPORT_TYPE_KEY = "TransportType"
SEND_ORDER_IDS_KEY = "OrderIDs"
# Billit says "alphanumeric"; the length cap is ours (a SHA-256 hex digest is 64).
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9]{1,100}$")
# Finding an order by its external reference should hit one page; a few are allowed.
_FIND_MAX_PAGES = 10
DESCRIPTION_MAX_LENGTH = 512
# Where a line's text beyond Description + DescriptionExtended goes (reference §3).
LINE_NOTE_FIELD = "InvoiceLine.Note"


def validate_idempotency_key(key: str) -> str:
    """The key unchanged, or ``ValueError``: Billit accepts alphanumeric keys only."""
    if not isinstance(key, str) or not _IDEMPOTENCY_KEY.match(key):
        raise ValueError("idempotency key must be 1-100 letters or digits")
    return key


def idempotency_headers(key: str) -> dict[str, str]:
    """Both documented header names carrying the same (validated) key (reference §6)."""
    valid = validate_idempotency_key(key)
    return dict.fromkeys(IDEMPOTENCY_HEADERS, valid)


def make_idempotency_key(*parts: str) -> str:
    """A deterministic alphanumeric key from parts, e.g. ("create", tenant, work order, "1").

    Hashing keeps it alphanumeric and collision-free (``"a-b","c"`` ≠ ``"a","b-c"``).
    """
    if not parts:
        raise ValueError("give at least one part")
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class OrderType(StrEnum):
    INVOICE = "Invoice"
    CREDIT_NOTE = "CreditNote"


class OrderDirection(StrEnum):
    INCOME = "Income"
    COST = "Cost"


class TransportType(StrEnum):
    """One transport type per send call (reference §3)."""

    SMTP = "SMTP"
    LETTER = "Letter"
    PEPPOL = "Peppol"
    SDI = "SDI"
    KSEF = "KSeF"
    OSA = "OSA"
    ANAF = "ANAF"
    SAT = "SAT"
    MYINVOIS = "MyInvois"
    CHORUS = "Chorus"
    PDP = "PDP"


class Address(BillitRequestModel):
    address_type: str | None = Field(default=None, alias="AddressType")  # InvoiceAddress, …
    name: str | None = Field(default=None, alias="Name")
    street: str | None = Field(default=None, alias="Street")
    street_number: str | None = Field(default=None, alias="StreetNumber")
    box: str | None = Field(default=None, alias="Box")
    zipcode: str | None = Field(default=None, alias="Zipcode")
    city: str | None = Field(default=None, alias="City")
    country_code: str | None = Field(default=None, alias="CountryCode")


class Identifier(BillitRequestModel):
    identifier_type: str = Field(alias="IdentifierType")
    identifier: str = Field(alias="Identifier")


class OrderCustomer(BillitRequestModel):
    """``PartyID`` links an existing party; otherwise Billit matches or creates one."""

    party_id: int | None = Field(default=None, alias="PartyID")
    nr: str | None = Field(default=None, alias="Nr")
    name: str | None = Field(default=None, alias="Name")
    commercial_name: str | None = Field(default=None, alias="CommercialName")
    vat_number: str | None = Field(default=None, alias="VATNumber")
    party_type: str = Field(default="Customer", alias="PartyType")
    email: str | None = Field(default=None, alias="Email")
    phone: str | None = Field(default=None, alias="Phone")
    mobile: str | None = Field(default=None, alias="Mobile")
    language: str | None = Field(default=None, alias="Language")
    street: str | None = Field(default=None, alias="Street")
    street_number: str | None = Field(default=None, alias="StreetNumber")
    box: str | None = Field(default=None, alias="Box")
    zipcode: str | None = Field(default=None, alias="Zipcode")
    city: str | None = Field(default=None, alias="City")
    country_code: str | None = Field(default=None, alias="CountryCode")
    peppol_identifier: str | None = Field(default=None, alias="PeppolIdentifier")
    addresses: list[Address] | None = Field(default=None, alias="Addresses")
    identifiers: list[Identifier] | None = Field(default=None, alias="Identifiers")


class NewOrderLine(BillitRequestModel):
    """One invoice line; Billit computes totals. Amounts: Decimal/int/str, never float."""

    quantity: WireDecimal = Field(alias="Quantity")
    unit_price_excl: WireDecimal | None = Field(default=None, alias="UnitPriceExcl")
    unit_price_incl: WireDecimal | None = Field(default=None, alias="UnitPriceIncl")
    incl_leading: bool | None = Field(default=None, alias="InclLeading")
    description: Annotated[
        str, StringConstraints(min_length=1, max_length=DESCRIPTION_MAX_LENGTH)
    ] = Field(alias="Description")
    description_extended: str | None = Field(default=None, alias="DescriptionExtended")
    reference: str | None = Field(default=None, alias="Reference")
    vat_percentage: WireDecimal | None = Field(default=None, alias="VATPercentage")
    custom_fields: dict[str, str] | None = Field(default=None, alias="CustomFields")
    ventilation_code: str | None = Field(default=None, alias="VentilationCode")
    unit: str | None = Field(default=None, alias="Unit")  # omit unless mapped (NAR/PCE)
    product_id: int | None = Field(default=None, alias="ProductID")
    reduction_percentage: WireDecimal | None = Field(default=None, alias="ReductionPercentage")

    @model_validator(mode="before")
    @classmethod
    def _keep_long_text_visible(cls, data: Any) -> Any:
        """``DescriptionExtended`` holds at most 512 characters (reference §3); the rest goes
        to the line's ``CustomFields."InvoiceLine.Note"`` (Peppol line note), never cut off."""
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        text_key = next(
            (k for k in ("description_extended", "DescriptionExtended") if k in values), None
        )
        extended = values.get(text_key) if text_key else None
        if not isinstance(extended, str) or len(extended) <= DESCRIPTION_MAX_LENGTH:
            return data
        fields_key = next(
            (k for k in ("custom_fields", "CustomFields") if k in values), "custom_fields"
        )
        fields = dict(values.get(fields_key) or {})
        rest = extended[DESCRIPTION_MAX_LENGTH:]
        earlier = fields.get(LINE_NOTE_FIELD)
        fields[LINE_NOTE_FIELD] = f"{rest}\n{earlier}" if earlier else rest
        values[str(text_key)] = extended[:DESCRIPTION_MAX_LENGTH]
        values[fields_key] = fields
        return values


class Attachment(BillitRequestModel):
    """A file sent with the order (e.g. the signed work order PDF), base64 encoded."""

    file_name: str = Field(alias="FileName", min_length=1)
    mime_type: str = Field(alias="MimeType", min_length=1)
    file_content: str = Field(alias="FileContent")

    @field_validator("file_content")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("FileContent must be base64") from None
        return value

    @classmethod
    def from_bytes(cls, file_name: str, mime_type: str, content: bytes) -> "Attachment":
        return cls(
            file_name=file_name,
            mime_type=mime_type,
            file_content=base64.b64encode(content).decode("ascii"),
        )


class NewOrder(BillitRequestModel):
    """The body of ``POST /v1/orders``.

    No ``OrderNumber``: Billit assigns consecutive numbers; find the order again by
    ``ExternalProviderID``.
    """

    order_type: OrderType = Field(default=OrderType.INVOICE, alias="OrderType")
    order_direction: OrderDirection = Field(default=OrderDirection.INCOME, alias="OrderDirection")
    order_date: date = Field(alias="OrderDate")
    expiry_date: date | None = Field(default=None, alias="ExpiryDate")
    delivery_date: date | None = Field(default=None, alias="DeliveryDate")
    reference: str | None = Field(default=None, alias="Reference")
    order_title: str | None = Field(default=None, alias="OrderTitle")
    payment_reference: str | None = Field(default=None, alias="PaymentReference")
    currency: str | None = Field(default=None, alias="Currency")
    comments: str | None = Field(default=None, alias="Comments")
    internal_info: str | None = Field(default=None, alias="InternalInfo")
    ventilation_code: str | None = Field(default=None, alias="VentilationCode")
    external_provider_id: str | None = Field(default=None, alias="ExternalProviderID")
    about_invoice_number: str | None = Field(default=None, alias="AboutInvoiceNumber")
    customer: OrderCustomer = Field(alias="Customer")
    order_lines: list[NewOrderLine] = Field(alias="OrderLines", min_length=1)
    attachments: list[Attachment] | None = Field(default=None, alias="Attachments")

    def to_json(self) -> bytes:
        """The exact wire bytes (PascalCase, exact decimals, ``None`` omitted)."""
        return wire.dumps(self.to_wire())


class OrderParty(BillitModel):
    party_id: int | None = Field(default=None, alias="PartyID")
    nr: str | None = Field(default=None, alias="Nr")
    name: str | None = Field(default=None, alias="Name")
    vat_number: str | None = Field(default=None, alias="VATNumber")
    email: str | None = Field(default=None, alias="Email")
    party_type: str | None = Field(default=None, alias="PartyType")


class OrderLine(BillitModel):
    quantity: Decimal | None = Field(default=None, alias="Quantity")
    unit_price_excl: Decimal | None = Field(default=None, alias="UnitPriceExcl")
    unit_price_incl: Decimal | None = Field(default=None, alias="UnitPriceIncl")
    description: str | None = Field(default=None, alias="Description")
    reference: str | None = Field(default=None, alias="Reference")
    vat_percentage: Decimal | None = Field(default=None, alias="VATPercentage")
    ventilation_code: str | None = Field(default=None, alias="VentilationCode")
    product_id: int | None = Field(default=None, alias="ProductID")
    unit: str | None = Field(default=None, alias="Unit")
    total_excl: Decimal | None = Field(default=None, alias="TotalExcl")
    total_vat: Decimal | None = Field(default=None, alias="TotalVAT")
    total_incl: Decimal | None = Field(default=None, alias="TotalIncl")


class Order(BillitModel):
    """An order as Billit returns it; list rows are summaries, ``get_order`` is complete."""

    order_id: int = Field(alias="OrderID")
    order_number: str | None = Field(default=None, alias="OrderNumber")
    order_type: str | None = Field(default=None, alias="OrderType")
    order_direction: str | None = Field(default=None, alias="OrderDirection")
    order_date: BillitDate | None = Field(default=None, alias="OrderDate")
    expiry_date: BillitDate | None = Field(default=None, alias="ExpiryDate")
    order_status: str | None = Field(default=None, alias="OrderStatus")
    is_sent: bool | None = Field(default=None, alias="IsSent")
    paid: bool | None = Field(default=None, alias="Paid")
    paid_date: BillitDate | None = Field(default=None, alias="PaidDate")
    total_excl: Decimal | None = Field(default=None, alias="TotalExcl")
    total_vat: Decimal | None = Field(default=None, alias="TotalVAT")
    total_incl: Decimal | None = Field(default=None, alias="TotalIncl")
    to_pay: Decimal | None = Field(default=None, alias="ToPay")
    currency: str | None = Field(default=None, alias="Currency")
    external_provider_id: str | None = Field(default=None, alias="ExternalProviderID")
    reference: str | None = Field(default=None, alias="Reference")
    order_title: str | None = Field(default=None, alias="OrderTitle")
    payment_reference: str | None = Field(default=None, alias="PaymentReference")
    customer: OrderParty | None = Field(default=None, alias="Customer")
    counter_party: OrderParty | None = Field(default=None, alias="CounterParty")
    order_lines: list[OrderLine] | None = Field(default=None, alias="OrderLines")
    current_document_delivery_details: dict[str, Any] | None = Field(
        default=None, alias="CurrentDocumentDeliveryDetails"
    )
    messages: list[dict[str, Any]] | None = Field(default=None, alias="Messages")
    last_modified: BillitTimestamp | None = Field(default=None, alias="LastModified")
    created: BillitTimestamp | None = Field(default=None, alias="Created")


def _order_id_of(data: Any) -> int | None:
    """The 200 body is a bare integer; tolerate ``"2731904"`` and ``{"OrderID": …}``."""
    if isinstance(data, bool):
        return None
    if isinstance(data, int):
        return data
    if isinstance(data, str) and data.strip().isdigit():
        return int(data.strip())
    if isinstance(data, Mapping):
        for key, value in data.items():
            if str(key).lower() == "orderid":
                return _order_id_of(value)
    return None


class OrdersApi:
    def __init__(self, http: BillitHttp) -> None:
        self._http = http

    def create_order(self, order: NewOrder, idempotency_key: str) -> int:
        """Create the order; returns its OrderID.

        Unsafe: a lost answer raises ``OutcomeUnknownError``, and a 409 whose
        ``is_idempotency_replay`` is true means an earlier call with this key succeeded. In
        both cases look the order up with ``find_orders_by_external_reference``.
        """
        response = self._http.request(
            "POST",
            ORDERS_PATH,
            json=order.to_wire(),
            headers=idempotency_headers(idempotency_key),
            unsafe=True,
        )
        order_id = _order_id_of(read_json(response, unsafe=True))
        if order_id is None:
            raise BillitUnreadableResultError(
                f"Billit POST {ORDERS_PATH}: answer is not an OrderID",
                status_code=response.status_code,
                method="POST",
                path=ORDERS_PATH,
            )
        return order_id

    def get_order(self, order_id: int) -> Order:
        path = f"{ORDERS_PATH}/{int(order_id)}"
        return parse_model(Order, self._http.get_json(path), method="GET", path=path)

    def find_orders_by_external_reference(self, external_reference: str) -> list[Order]:
        """Orders whose ``ExternalProviderID`` equals the reference (normally 0 or 1)."""
        if not external_reference:
            raise ValueError("external reference is empty")
        query = ODataQuery(filter=eq("ExternalProviderID", external_reference))
        rows = iter_rows(self._http, ORDERS_PATH, params=query.params(), max_pages=_FIND_MAX_PAGES)
        return [parse_model(Order, row, method="GET", path=ORDERS_PATH) for row in rows]

    def iter_orders_modified_since(self, since: datetime) -> Iterator[Order]:
        """Order summaries whose ``LastModified`` is on or after ``since`` (its date: ⚠ a time
        part is undocumented, reference §4), oldest first; the reconcile GETs each in full."""
        query = ODataQuery(filter=ge("LastModified", since), orderby=(("LastModified", "asc"),))
        for row in iter_rows(self._http, ORDERS_PATH, params=query.params()):
            yield parse_model(Order, row, method="GET", path=ORDERS_PATH)

    def send_orders(
        self,
        order_ids: Iterable[int],
        transport_type: TransportType,
        idempotency_key: str | None = None,
        *,
        strict_transport: bool = False,
    ) -> None:
        """Send orders of the current company by one transport (e.g. Peppol).

        Unsafe: a lost answer raises ``OutcomeUnknownError``; re-GET the orders (``IsSent``)
        before sending again. ``strict_transport`` forbids Billit's fallback transport.
        """
        ids = [int(order_id) for order_id in order_ids]
        if not ids:
            raise ValueError("no order ids to send")
        headers: dict[str, str] = {}
        if idempotency_key is not None:
            headers.update(idempotency_headers(idempotency_key))
        if strict_transport:
            headers[STRICT_TRANSPORT_HEADER] = "true"
        body = {
            SEND_TRANSPORT_TYPE_KEY: TransportType(transport_type).value,
            SEND_ORDER_IDS_KEY: ids,
        }
        self._http.request("POST", SEND_PATH, json=body, headers=headers, unsafe=True)

    def mark_paid(self, order_id: int, paid_date: date) -> None:
        """``PATCH /v1/orders/{id}`` with ``Paid`` and ``PaidDate`` (two of the patchable
        properties, reference §3): the customer paid on site. Repeating it changes nothing,
        so it is retried like a read."""
        path = f"{ORDERS_PATH}/{int(order_id)}"
        self._http.request("PATCH", path, json={"Paid": True, "PaidDate": paid_date.isoformat()})
