"""The fake's records: users, companies (each with its parties, products, orders, webhooks)."""

import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.billit import odata
from tests.fakes.billit.invoicing import (
    DEFAULT_DECIMALS,
    PARTY_FIELDS,
    PRODUCT_FIELDS,
    ExcessDecimals,
)

TRANSPORT_TYPES = (
    "SMTP",
    "Letter",
    "Peppol",
    "SDI",
    "KSeF",
    "OSA",
    "ANAF",
    "SAT",
    "MyInvois",
    "Chorus",
    "PDP",
)
PATCHABLE = frozenset(
    {
        "Paid",
        "PaidDate",
        "IsSent",
        "ApprovalStatus",
        "AccountCode",
        "InternalInfo",
        "Invoiced",
        "AccountantVerificationNeeded",
    }
)
PATCH_BOOLEANS = frozenset({"Paid", "IsSent", "Invoiced", "AccountantVerificationNeeded"})
DELIVERY_STATES = ("Sent", "Accepted", "Delivered", "Refused")
# Rows of GET /v1/orders are summaries: the heavy parts come only with GET /v1/orders/{id}.
ORDER_DETAIL_ONLY = frozenset(
    {"OrderLines", "Messages", "Attachments", "Customer", "Supplier", "VatGroups", "OrderPDF"}
)
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")

_NOT_SCALAR = {"CustomFields", "BankAccounts", "Addresses", "Identifiers"}
PARTY_SCHEMA = odata.Schema(
    entity="Party",
    properties=frozenset(PARTY_FIELDS - _NOT_SCALAR),
    datetimes=frozenset({"LastModified", "Created"}),
)
PRODUCT_SCHEMA = odata.Schema(
    entity="Product",
    properties=PRODUCT_FIELDS,
    datetimes=frozenset({"LastModified", "Created"}),
)
ORDER_SCHEMA = odata.Schema(
    entity="Order",
    properties=frozenset(
        [
            "OrderID",
            "CounterParty/PartyID",
            "CompanyID",
            "OrderDirection",
            "OrderType",
            "OrderDate",
            "OrderNumber",
            "ExpiryDate",
            "ExportedToConnector",
            "AccountantVerificationNeeded",
            "TotalExcl",
            "TotalVAT",
            "TotalIncl",
            "FXRateToForeign",
            "Paid",
            "OrderStatus",
            "ExternalProviderID",
            "Currency",
            "PaymentReference",
            "LastModified",
            "Created",
            "ApprovalStatus",
            "PaidDate",
            "PaymentMethod",
            "Reference",
            "RemindersSent",
            "ExternalProvider",
            "IsSent",
        ]
    ),
    datetimes=frozenset({"OrderDate", "ExpiryDate", "LastModified", "Created", "PaidDate"}),
)


@dataclass
class User:
    email: str
    password: str = field(repr=False)
    first_name: str
    last_name: str
    companies: list[int] = field(default_factory=list)


@dataclass
class Company:
    party_id: int
    name: str
    vat_number: str
    # MyBillit Settings → General: 2 decimals unless extended to 3-5 (billit-api.md §8)
    decimals: int = DEFAULT_DECIMALS
    excess_decimals: ExcessDecimals = ExcessDecimals.REFUSE
    parties: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    idempotency_keys: set[str] = field(default_factory=set)
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)
    # order id -> (MessageID, the outgoing message dict inside the order's Messages)
    outgoing: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    # order id -> when (the fake's clock) it was last sent: billit-api.md §7 re-send window
    sent_at: dict[int, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "PartyID": self.party_id,
            "Name": self.name,
            "DisplayName": self.name,
            "VATNumber": self.vat_number,
            "CountryCode": self.vat_number[:2].upper() if self.vat_number[:2].isalpha() else "BE",
        }


@dataclass
class RecordedCall:
    """One request the fake received, whether or not a fault kept it from being processed."""

    method: str
    path: str
    query: dict[str, str]
    idempotency_key: str | None
    party_id: str | None = None
    status: int | None = None  # what the fake answered when it processed it; None if it did not


def order_status(order: dict[str, Any]) -> str:
    if order.get("Paid"):
        return "Paid"
    return "ToPay" if order.get("IsSent") else "ToSend"
