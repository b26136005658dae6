"""What Billit does with a posted invoice: validate it, compute its totals, find its customer.

All amounts are ``Decimal``. Each line's ``TotalExcl = round_half_up(Quantity x UnitPriceExcl
x (1 - reduction), 2)`` (UBL line amounts have 2 decimals, billit-api.md §8). VAT is computed
**per rate on the summed amounts**, rounded once: "aggregates items by VAT rate before
calculating and applies rounding at the final step" (billit-api.md §8 "Calculation"); a line's
own ``TotalVAT`` is only indicative, the order's ``TotalVAT`` is the sum of its VAT groups'.

Quantities and unit prices keep the company's decimals: 2 by default, 3-5 when the company
is extended (billit-api.md §8 "Decimals"). What Billit does with more is unknown ⚠ (round?
truncate? refuse?), so the fake plays each (``ExcessDecimals``, chosen per test).
"""

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from tests.fakes.billit.errors import ApiError, generic

# billit-api.md §8 "Rates": BE 0, 6, 12, 21 %; any other → InvalidVAtPercentageForTaxCountry_0_
VAT_RATES = frozenset({Decimal(0), Decimal(6), Decimal(12), Decimal(21)})
# billit-api.md §8 ventilation codes: 1 = 0 % (Z), 2/3/4 = 6/12/21 % (S); a 0 % line takes its
# own code, else the header's, else Z ("How a 0 % line gets its Peppol category").
DEFAULT_VENTILATION = {Decimal(0): "1", Decimal(6): "2", Decimal(12): "3", Decimal(21): "4"}
CENT = Decimal("0.01")
DEFAULT_DECIMALS = 2  # billit-api.md §8 "Decimals": 2 by default, 3-5 by company setting
ALLOWED_DECIMALS = (2, 3, 4, 5)
# billit-api.md §8 "What a regime invoice must carry": EN 16931 requires the buyer's VAT
# identifier for category AE (code 21); the same for K (51/55) is assumed there ⚠.
CODES_NEEDING_BUYER_VAT = frozenset({"21", "51", "55"})


class ExcessDecimals(StrEnum):
    """What Billit does with more decimals than the company keeps: unknown ⚠ (§8)."""

    REFUSE = "refuse"
    ROUND = "round"
    TRUNCATE = "truncate"


MAX_DESCRIPTION = 512
DEFAULT_EXPIRY_DAYS = 30

PARTY_FIELDS = frozenset(
    [
        "PartyID",
        "BookYearStart",
        "Nr",
        "Name",
        "CommercialName",
        "Street",
        "StreetNumber",
        "Box",
        "Zipcode",
        "City",
        "CountryCode",
        "IBAN",
        "BIC",
        "Mobile",
        "Phone",
        "Fax",
        "Email",
        "Website",
        "Contact",
        "ContactFirstName",
        "ContactLastName",
        "VATNumber",
        "PeppolIdentifier",
        "RPR",
        "LastModified",
        "Created",
        "PartyType",
        "VATLiable",
        "AccountantCode",
        "GLAccountCode",
        "Language",
        "VentilationCode",
        "ExternalProviderID",
        "ExternalProviderTC",
        "CustomFields",
        "BankAccounts",
        "DefaultPaymentMethodTC",
        "DefaultPaid",
        "DisplayName",
        "DefaultTransportTypeTC",
        "FinancialReductionPercentageDefault",
        "FinancialReductionDaysDefault",
        "DefaultExpiryOffset",
        "GLDefaultExpiryOffset",
        "Role",
        "InternalInfo",
        "VATDeductable",
        "DefaultReductionPercentage",
        "Addresses",
        "Identifiers",
    ]
)
PRODUCT_FIELDS = frozenset(
    [
        "ProductID",
        "Reference",
        "Description",
        "AmountExcl",
        "VAT",
        "Unit",
        "GroupID",
        "GroupName",
        "AmountIncl",
        "StockQuantity",
        "MinimumBilledQuantity",
        "BuyExcl",
        "InternalInformation",
        "Created",
        "LastModified",
    ]
)
LINE_FIELDS = frozenset(
    [
        "Quantity",
        "UnitPriceExcl",
        "AccountCode",
        "Reference",
        "Description",
        "DescriptionExtended",
        "TotalExcl",
        "TotalVAT",
        "VATPercentage",
        "VentilationCode",
        "ProductID",
        "Unit",
        "CustomFields",
        "ExternalProviderReferences",
        "InclLeading",
        "UnitPriceIncl",
        "TotalIncl",
        "AnalyticCostBearer",
        "AnalyticCostCenter",
        "ReductionPercentage",
    ]
)
# Header fields a client may post; Billit sets the rest (numbers, totals, status…).
ORDER_INPUT_FIELDS = frozenset(
    [
        "OrderType",
        "OrderDirection",
        "OrderNumber",
        "OrderDate",
        "ExpiryDate",
        "DeliveryDate",
        "Reference",
        "OrderTitle",
        "PaymentReference",
        "Currency",
        "Comments",
        "InternalInfo",
        "VentilationCode",
        "ExternalProviderID",
        "ExternalProvider",
        "ExternalProviderReferences",
        "AboutInvoiceNumber",
        "Attachments",
        "Tags",
        "DepartmentID",
        "Journal",
        "PeriodFrom",
        "PeriodTill",
        "AccountCode",
        "CustomFields",
        "PaymentMethod",
        "PaymentDiscountPercentage",
        "AnalyticCostBearer",
        "AnalyticCostCenter",
        "TemplateID",
        "AccountantVerificationNeeded",
    ]
)
DATE_FIELDS = ("OrderDate", "ExpiryDate", "DeliveryDate", "PeriodFrom", "PeriodTill")
ORDER_TYPES = ("Invoice", "CreditNote")
ORDER_DIRECTIONS = ("Income", "Cost")
ADDRESS_FIELDS = ("Street", "StreetNumber", "Box", "Zipcode", "City", "CountryCode")


def round_half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(
    line: Mapping[str, Any], name: str, index: int, decimals: int, excess: ExcessDecimals
) -> Decimal:
    value = line.get(name)
    if value is None:
        raise generic(f"OrderLines[{index}].{name} is required.")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise generic(f"OrderLines[{index}].{name} must be a number.")
    number = Decimal(value)
    scale = Decimal(1).scaleb(-decimals)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -decimals:
        if excess is ExcessDecimals.REFUSE:
            raise generic(f"OrderLines[{index}].{name} has more than {decimals} decimals.")
        rounding = ROUND_HALF_UP if excess is ExcessDecimals.ROUND else ROUND_DOWN
        number = number.quantize(scale, rounding=rounding)
    return number.quantize(scale)


def _vat_percentage(line: Mapping[str, Any], index: int) -> Decimal:
    value = line.get("VATPercentage")
    if value is None:
        raise generic(f"OrderLines[{index}].VATPercentage is required.")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise generic(f"OrderLines[{index}].VATPercentage must be a number.")
    if Decimal(value) not in VAT_RATES:
        raise ApiError(
            400,
            "InvalidVAtPercentageForTaxCountry_0_",
            f"VAT percentage {value} is not valid for tax country BE.",
        )
    return Decimal(value).quantize(CENT)


def _description(line: Mapping[str, Any], index: int) -> str:
    value = line.get("Description")
    if not isinstance(value, str) or not value.strip():
        raise generic(f"OrderLines[{index}].Description is required.")
    if len(value) > MAX_DESCRIPTION:
        raise generic(f"OrderLines[{index}].Description is longer than {MAX_DESCRIPTION}.")
    return value


def build_line(
    line: Any,
    index: int,
    header_ventilation: str | None,
    products: Mapping[int, Any],
    *,
    decimals: int = DEFAULT_DECIMALS,
    excess: ExcessDecimals = ExcessDecimals.REFUSE,
) -> dict[str, Any]:
    """One validated order line with Billit's computed totals."""
    if not isinstance(line, dict):
        raise generic(f"OrderLines[{index}] must be an object.")
    quantity = _number(line, "Quantity", index, decimals, excess)
    price = _number(line, "UnitPriceExcl", index, decimals, excess)
    description = _description(line, index)
    extended = line.get("DescriptionExtended")
    if isinstance(extended, str) and len(extended) > MAX_DESCRIPTION:
        # billit-api.md §3: DescriptionExtended max 512; above that Billit's behaviour is
        # unknown (⚠), so the fake refuses: a client that does not cut is caught.
        raise generic(f"OrderLines[{index}].DescriptionExtended is longer than {MAX_DESCRIPTION}.")
    vat = _vat_percentage(line, index)
    product_id = line.get("ProductID")
    if product_id is not None and (
        isinstance(product_id, bool)
        or not isinstance(product_id, int)
        or product_id not in products
    ):
        raise generic(f"OrderLines[{index}].ProductID {product_id} does not exist.")
    reduction = line.get("ReductionPercentage") or Decimal(0)
    if isinstance(reduction, bool) or not isinstance(reduction, int | Decimal):
        raise generic(f"OrderLines[{index}].ReductionPercentage must be a number.")
    total_excl = round_half_up(quantity * price * (100 - Decimal(reduction)) / 100)
    total_vat = round_half_up(total_excl * vat / 100)
    ventilation = line.get("VentilationCode") or (
        header_ventilation if vat == 0 and header_ventilation else DEFAULT_VENTILATION[vat]
    )
    stored = {key: value for key, value in line.items() if key in LINE_FIELDS}
    stored.update(
        Quantity=quantity,
        UnitPriceExcl=price,
        Description=description,
        VATPercentage=vat,
        VentilationCode=str(ventilation),
        TotalExcl=total_excl,
        TotalVAT=total_vat,
        TotalIncl=total_excl + total_vat,
        InclLeading=False,
    )
    return stored


def build_lines(
    lines: Any,
    header_ventilation: str | None,
    products: Mapping[int, Any],
    *,
    decimals: int = DEFAULT_DECIMALS,
    excess: ExcessDecimals = ExcessDecimals.REFUSE,
) -> list[dict[str, Any]]:
    if not isinstance(lines, list) or not lines:
        raise generic("OrderLines are required.")
    return [
        build_line(line, index, header_ventilation, products, decimals=decimals, excess=excess)
        for index, line in enumerate(lines)
    ]


def check_buyer_vat_number(lines: Iterable[Mapping[str, Any]], buyer_vat: Any) -> None:
    """A reverse-charge (AE) or intra-EU (K) line needs the buyer's VAT number (§8)."""
    codes = {line["VentilationCode"] for line in lines if line["VATPercentage"] == 0}
    needing = sorted(codes & CODES_NEEDING_BUYER_VAT)
    if needing and not normalize_vat(buyer_vat):
        raise generic(
            f"[BR-AE-02] An invoice with VAT category code {needing[0]} MUST contain the "
            "Buyer VAT identifier."
        )


def vat_groups(lines: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, Decimal], dict[str, Any]] = {}
    for line in lines:
        key = (line["VentilationCode"], line["VATPercentage"])
        group = groups.setdefault(
            key,
            {
                "VentilationCode": key[0],
                "VATPercentage": key[1],
                "TotalExcl": Decimal("0.00"),
                "TotalVAT": Decimal("0.00"),
                "TotalIncl": Decimal("0.00"),
                "Mtvh": Decimal("0.00"),
                "FinancialReductionAmount": Decimal("0.00"),
            },
        )
        group["TotalExcl"] += line["TotalExcl"]
    for (_, rate), group in groups.items():
        # Per rate on the summed amounts, rounded once (§8 "Calculation").
        group["TotalVAT"] = round_half_up(group["TotalExcl"] * rate / 100)
        group["TotalIncl"] = group["TotalExcl"] + group["TotalVAT"]
        group["Mtvh"] = group["TotalExcl"]
    return list(groups.values())


def totals(lines: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """The order's totals: the sums of its VAT groups (VAT per rate, not per line)."""
    groups = vat_groups(lines)
    result = {
        "TotalExcl": sum((g["TotalExcl"] for g in groups), Decimal("0.00")),
        "TotalVAT": sum((g["TotalVAT"] for g in groups), Decimal("0.00")),
    }
    result["TotalIncl"] = result["TotalExcl"] + result["TotalVAT"]
    return result


def structured_reference(order_id: int) -> str:
    """A Belgian structured communication (+++ddd/dddd/ddddd+++) with its mod-97 check."""
    base = order_id % 10**10
    check = base % 97 or 97
    digits = f"{base:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def format_timestamp(moment: datetime) -> str:
    """Billit's zone-less timestamps: ``2026-05-19T08:24:28.297``; no fraction when zero."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    millis = moment.microsecond // 1000
    return f"{text}.{millis:03d}".rstrip("0") if millis else text


def parse_date(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise generic(f"{name} must be a date (yyyy-MM-dd).")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise generic(f"{name} '{value}' is not a valid date.") from None
    return parsed.replace(tzinfo=None)


def normalize_dates(order: dict[str, Any], today: datetime) -> None:
    """Dates come back as ``2026-05-19T00:00:00``; OrderDate defaults to today, due in 30 days."""
    for name in DATE_FIELDS:
        if order.get(name) is not None:
            order[name] = format_timestamp(parse_date(order[name], name))
    if order.get("OrderDate") is None:
        order["OrderDate"] = format_timestamp(
            today.replace(hour=0, minute=0, second=0, microsecond=0)
        )
    if order.get("ExpiryDate") is None:
        issued = datetime.fromisoformat(order["OrderDate"])
        order["ExpiryDate"] = format_timestamp(issued + timedelta(days=DEFAULT_EXPIRY_DAYS))


def normalize_vat(value: Any) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper() if isinstance(value, str) else ""


def match_customer(
    parties: Iterable[dict[str, Any]], customer: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Billit's matching for a posted customer without PartyID: VAT number, then e-mail, then Nr."""
    customers = [party for party in parties if party.get("PartyType") == "Customer"]
    vat = normalize_vat(customer.get("VATNumber"))
    email = str(customer.get("Email") or "").strip().lower()
    number = str(customer.get("Nr") or "").strip()
    for wanted, key in ((vat, "vat"), (email, "email"), (number, "nr")):
        if not wanted:
            continue
        for party in customers:
            if key == "vat" and normalize_vat(party.get("VATNumber")) == wanted:
                return party
            if key == "email" and str(party.get("Email") or "").strip().lower() == wanted:
                return party
            if key == "nr" and str(party.get("Nr") or "").strip() == wanted:
                return party
    return None


def new_customer_fields(customer: Mapping[str, Any]) -> dict[str, Any]:
    """The Party fields of a posted customer, invoice address copied to the top level."""
    if not isinstance(customer.get("Name"), str) or not customer["Name"].strip():
        raise generic("Customer.Name is required when the customer has no PartyID.")
    fields = {key: value for key, value in customer.items() if key in PARTY_FIELDS}
    fields.pop("PartyID", None)
    fields["PartyType"] = "Customer"
    for address in customer.get("Addresses") or []:
        if isinstance(address, dict) and address.get("AddressType") == "InvoiceAddress":
            for name in ADDRESS_FIELDS:
                if fields.get(name) is None and address.get(name) is not None:
                    fields[name] = address[name]
    return fields
