"""Billit master data → OutSmart upsert records: pure functions, no I/O.

One Billit party becomes a relation (plus a contact person when it names one); one product
becomes a material, or an hour type when its unit is an hour, plus its group as a category and
the material↔category link. A record OutSmart would refuse, or that would be imported wrongly,
is returned as ``Skipped`` with a short reason for the sync-log warning, so one bad record never
stops the rest (issue 4, items 3 and 5). ``content_hash`` lets the importer skip unchanged rows.
"""

import hashlib
import json
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from pydantic import ValidationError

from billit_sync.billit.parties import Party, PartyAddress
from billit_sync.billit.products import Product
from billit_sync.outsmart.models import (
    CategoryRecord,
    ContactPersonRecord,
    HourTypeRecord,
    MaterialCategoryRecord,
    MaterialRecord,
    RelationRecord,
    UpsertRecord,
)
from billit_sync.sync.imports.countries import dutch_country_name
from billit_sync.sync.imports.units import HOUR_UNIT, to_outsmart_unit
from billit_sync.sync.vat_numbers import is_valid_vat_number, normalise_vat_number

# Codes the connector owns in OutSmart carry this prefix, so they never collide with codes the
# user typed there (and show where a row came from).
CODE_PREFIX: Final = "BILLIT-"
BELGIAN_VAT_RATES: Final = frozenset({Decimal(0), Decimal(6), Decimal(12), Decimal(21)})
# Billit's language codes → OutSmart's (lower case, as in spec.json's example); others are kept.
LANGUAGES: Final = {"NL": "nl", "FR": "fr", "EN": "en", "DE": "de"}
CUSTOMER_PARTY_TYPE: Final = "Customer"
INVOICE_ADDRESS_TYPE: Final = "InvoiceAddress"
_CENT: Final = Decimal("0.01")
_MAX_SHOWN: Final = 40  # longest user text quoted in a skip reason


@dataclass(frozen=True)
class Skipped:
    """One bad record, for the single sync-log warning that names each of them."""

    billit_id: str  # PartyID / ProductID as text
    label: str  # what the user recognises: the name / reference (or "#<id>" if none)
    reason: str  # short, user-facing English


@dataclass(frozen=True)
class CustomerRecords:
    """What one Billit customer becomes in OutSmart."""

    billit_id: str
    relation: RelationRecord
    contact: ContactPersonRecord | None  # None when the party names no contact


@dataclass(frozen=True)
class ProductRecords:
    """What one Billit product becomes in OutSmart."""

    billit_id: str
    material: MaterialRecord | None  # None for hour products (they become hour types only)
    hour_type: HourTypeRecord | None  # set only for products whose unit is an hour
    category: CategoryRecord | None  # from GroupID/GroupName when present
    link: MaterialCategoryRecord | None  # material ↔ its category (None for hour types / no group)
    vat_rate: Decimal | None  # Product.VAT (%), kept in the id mapping for the export


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _text(value: str | None) -> str | None:
    """Stripped text, or ``None`` for ``None`` and blanks: Billit sends both for "no value"."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _first(*values: str | None) -> str | None:
    for value in values:
        text = _text(value)
        if text is not None:
            return text
    return None


def _shown(text: str) -> str:
    """User text quoted in a reason, cut short so one odd value cannot flood the sync log."""
    text = " ".join(text.split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _plain(value: Decimal) -> str:
    """``Decimal("7.00")`` → ``"7"``, ``Decimal("5.5")`` → ``"5.5"``; never exponent notation."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


def debtor_number_for(party: Party) -> str:
    """OutSmart's ``debtor_number`` (the relation's upsert key): the Billit customer number
    the user knows, or the PartyID when the customer has none."""
    return _text(party.nr) or str(party.party_id)


def contact_code_for(party: Party) -> str:
    """The contact person's ``cpn_code`` (OutSmart's unique key): one contact per party."""
    return f"{CODE_PREFIX}{party.party_id}"


def _customer_label(party: Party) -> str:
    return _first(party.name, party.commercial_name, party.display_name) or f"#{party.party_id}"


@dataclass(frozen=True)
class _Address:
    street: str | None
    house_number: str | None
    postal_code: str | None
    city: str | None
    country: str | None

    @property
    def missing(self) -> tuple[str, ...]:
        """The parts OutSmart requires (``street*``, ``postal_code*``, ``city*``) that are empty."""
        parts = (("street", self.street), ("postal code", self.postal_code), ("city", self.city))
        return tuple(name for name, value in parts if value is None)

    @property
    def is_empty(self) -> bool:
        return len(self.missing) == 3 and self.house_number is None


def _address(
    *,
    street: str | None,
    number: str | None,
    box: str | None,
    zipcode: str | None,
    city: str | None,
    country: str | None,
) -> _Address:
    """``StreetNumber`` 12 with ``Box`` 3 is ``"12 bus 3"``, the Belgian way of writing it."""
    number, box = _text(number), _text(box)
    if box is None:
        house_number = number
    else:
        house_number = f"bus {box}" if number is None else f"{number} bus {box}"
    return _Address(_text(street), house_number, _text(zipcode), _text(city), _text(country))


def _from_party_address(address: PartyAddress) -> _Address:
    return _address(
        street=address.street,
        number=address.street_number,
        box=address.box,
        zipcode=address.zipcode,
        city=address.city,
        country=address.country_code,
    )


def _choose_address(party: Party) -> _Address:
    """The party's own fields when complete, else the first complete entry of ``Addresses[]``
    (invoice addresses first); failing all, the first non-empty one (for the skip reason)."""
    own = _address(
        street=party.street,
        number=party.street_number,
        box=party.box,
        zipcode=party.zipcode,
        city=party.city,
        country=party.country_code,
    )
    invoice_type = INVOICE_ADDRESS_TYPE.lower()
    listed = sorted(
        party.addresses or [],
        key=lambda a: (a.address_type or "").strip().lower() != invoice_type,  # stable sort
    )
    candidates = [own, *(_from_party_address(a) for a in listed)]
    chosen = next((c for c in candidates if not c.missing), None)
    if chosen is None:
        chosen = next((c for c in candidates if not c.is_empty), own)
    if chosen.country is None:
        chosen = replace(chosen, country=_text(party.country_code))
    return chosen


def _address_reason(address: _Address) -> str:
    if len(address.missing) == 3:
        return "no address"
    return "incomplete address (no " + ", ".join(address.missing) + ")"


def _contact_name(party: Party) -> str | None:
    joined = " ".join(
        part for part in (_text(party.contact_first_name), _text(party.contact_last_name)) if part
    )
    return _first(party.contact, joined)


def _language(code: str | None) -> str | None:
    text = _text(code)
    if text is None:
        return None
    return LANGUAGES.get(text.upper(), text)


def map_customer(party: Party) -> CustomerRecords | Skipped:
    """A Billit customer as an OutSmart relation (+ contact person), or why it is skipped."""
    billit_id = str(party.party_id)
    label = _customer_label(party)

    def skip(reason: str) -> Skipped:
        return Skipped(billit_id=billit_id, label=label, reason=reason)

    party_type = _text(party.party_type)
    if party_type is not None and party_type.lower() != CUSTOMER_PARTY_TYPE.lower():
        return skip(f"not a customer ({_shown(party_type)})")
    name = _first(party.name, party.commercial_name, party.display_name)
    if name is None:
        return skip("no name")
    raw_vat = _text(party.vat_number)
    vat_number = None if raw_vat is None else normalise_vat_number(raw_vat)
    country = _text(party.country_code)
    if vat_number and vat_number[:1].isdigit() and country:
        # Entered without its country prefix ("0411905847" for a Belgian customer).
        vat_number = country.upper() + vat_number
    if raw_vat is not None and not is_valid_vat_number(vat_number or ""):
        return skip(f"invalid VAT number {_shown(raw_vat)}")
    address = _choose_address(party)
    street, postal_code, city = address.street, address.postal_code, address.city
    if street is None or postal_code is None or city is None:  # OutSmart requires all three
        return skip(_address_reason(address))

    debtor_number = debtor_number_for(party)
    contact_name = _contact_name(party)
    email = _text(party.email)
    phone, mobile = _text(party.phone), _text(party.mobile)
    try:
        relation = RelationRecord(
            name=name,
            debtor_number=debtor_number,
            contact=contact_name,
            phone_number=phone or mobile,
            mobile=mobile,
            email=email,
            street=street,
            house_number=address.house_number,
            postal_code=postal_code,
            city=city,
            country=dutch_country_name(address.country),
            vat_number=vat_number,
            language=_language(party.language),
            active=True,  # spec.json's example sends 1; a customer back in Billit is reactivated
        )
        contact = (
            None
            if contact_name is None
            else ContactPersonRecord(
                cpn_debtor_nr=debtor_number,
                cpn_code=contact_code_for(party),
                cpn_name=contact_name,
                cpn_phone=phone or mobile,
                cpn_email=email,
            )
        )
    except ValidationError:  # pragma: no cover - every value above is plain text
        return skip("invalid data")
    return CustomerRecords(billit_id=billit_id, relation=relation, contact=contact)


# ---------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------


def material_code_for(product: Product) -> str:
    """The material / hour type ``code`` (upsert key): the Billit reference (article number) the
    technician knows, or the ProductID when the product has none. The export maps it back."""
    return _text(product.reference) or str(product.product_id)


def category_code_for(group_id: int | str) -> str:
    """The category's ``cat_code``: stable per Billit group, distinct from the user's codes."""
    return f"{CODE_PREFIX}{str(group_id).strip()}"


def _product_label(product: Product) -> str:
    return _first(product.reference, product.description) or f"#{product.product_id}"


def _price_excl(product: Product) -> Decimal | None:
    """``AmountExcl``; else ``AmountIncl`` without VAT, rounded half-up to the cent (§8)."""
    if product.amount_excl is not None:
        return product.amount_excl
    if product.amount_incl is None or product.vat is None:
        return None
    divisor = Decimal(1) + product.vat / Decimal(100)
    return (product.amount_incl / divisor).quantize(_CENT, rounding=ROUND_HALF_UP)


def _product_problem(product: Product, unit: str | None, price: Decimal | None) -> str | None:
    """Why OutSmart cannot take this product as it is, or ``None``."""
    if _text(product.description) is None:
        return "no description"
    if product.vat is not None and product.vat not in BELGIAN_VAT_RATES:
        return f"VAT rate {_plain(product.vat)}% is not a Belgian rate"
    if unit is None:
        return f"unknown unit '{_shown(product.unit or '')}'"
    if price is None:
        return "no price"
    # An hour type's sale_price is "Decimal (> 0)" (desc:1030); a material may be a discount.
    if unit == HOUR_UNIT and price <= 0:
        return "an hour type needs a sale price above 0"
    return None


def _cost_price(product: Product) -> Decimal | None:
    """``cost_price`` is optional and "Decimal (> 0)" (desc:1031): Billit's ``BuyExcl`` when it
    is above 0, else left out (unknown) rather than sent as 0."""
    if product.buy_excl is None or product.buy_excl <= 0:
        return None
    return product.buy_excl


def _category(product: Product) -> CategoryRecord | None:
    if product.group_id is None:
        return None
    return CategoryRecord(
        cat_code=category_code_for(product.group_id),
        cat_name=_text(product.group_name) or f"Billit group {product.group_id}",
        cat_display=True,
    )


def map_product(product: Product) -> ProductRecords | Skipped:
    """A Billit product as an OutSmart material or hour type (+ category), or why it is skipped."""
    billit_id = str(product.product_id)
    unit = to_outsmart_unit(product.unit)
    price = _price_excl(product)
    problem = _product_problem(product, unit, price)
    if problem is not None or unit is None or price is None:
        return Skipped(billit_id, _product_label(product), problem or "invalid data")
    code = material_code_for(product)
    description = _text(product.description) or ""
    category = _category(product)
    try:
        if unit == HOUR_UNIT:
            hour_type = HourTypeRecord(
                code=code,
                name=description,
                # Meaning undocumented: as the example's ordinary labour, "Normale uren"
                # (desc:1045), never inferred from billability (outsmart-api.md §4.2).
                cost_booking=False,
                sale_booking=False,
                sale_price=price,
                cost_price=_cost_price(product),
                active=True,  # "Integer (1 or 0)" (desc:1032); 0 once gone from Billit
            )
            return ProductRecords(
                billit_id=billit_id,
                material=None,
                hour_type=hour_type,
                category=category,
                link=None,
                vat_rate=product.vat,
            )
        material = MaterialRecord(code=code, description=description, price=price, unit=unit)
    except ValidationError:  # pragma: no cover - every value above is checked
        return Skipped(billit_id, _product_label(product), "invalid data")
    link = (
        None
        if category is None
        else MaterialCategoryRecord(mct_mat_code=code, mct_cat_code=category.cat_code)
    )
    return ProductRecords(
        billit_id=billit_id,
        material=material,
        hour_type=None,
        category=category,
        link=link,
        vat_rate=product.vat,
    )


# ---------------------------------------------------------------------------------------------
# Change detection
# ---------------------------------------------------------------------------------------------


def content_hash(*records: UpsertRecord | None) -> str:
    """A stable sha256 of what would be sent (``to_api()`` JSON, sorted keys), position by
    position; ``None`` counts, so a contact that disappears changes the hash."""
    body = [None if record is None else record.to_api() for record in records]
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
