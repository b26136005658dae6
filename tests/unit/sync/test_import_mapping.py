"""Billit parties/products → OutSmart upsert records (issue 4 items 3 and 5)."""

import hashlib
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billit_sync.billit.parties import Party
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
from billit_sync.sync.imports.mapping import (
    CustomerRecords,
    ProductRecords,
    Skipped,
    category_code_for,
    contact_code_for,
    content_hash,
    debtor_number_for,
    map_customer,
    map_product,
    material_code_for,
)
from tests.fakes.outsmart import DEFAULT_SOFTWARE_TOKEN, OutSmartFake

# ---------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------

GOOD_PARTY: dict[str, Any] = {
    "PartyID": 884211,
    "Nr": "C-1001",
    "PartyType": "Customer",
    "Name": "Peeters BV",
    "Street": "Kerkstraat",
    "StreetNumber": "12",
    "Box": "3",
    "Zipcode": "2000",
    "City": "Antwerpen",
    "CountryCode": "BE",
    "Email": "ap@peeters.example",
    "Phone": "+32 3 123 45 67",
    "Mobile": "+32 470 12 34 56",
    "ContactFirstName": "Jan",
    "ContactLastName": "Peeters",
    "VATNumber": "BE 0411.905.847",
    "Language": "NL",
}

GOOD_PRODUCT: dict[str, Any] = {
    "ProductID": 5501,
    "Reference": "MAT-00001",
    "Description": "Koppelstuk 15 mm",
    "AmountExcl": "4.55",
    "AmountIncl": "5.51",
    "VAT": 21,
    "Unit": "PCE",
    "GroupID": 3,
    "GroupName": "Fittings",
}


def party(**changes: Any) -> Party:
    """``GOOD_PARTY`` with PascalCase changes; a value of ``...`` removes the field."""
    data = {**GOOD_PARTY, **changes}
    return Party.model_validate({k: v for k, v in data.items() if v is not ...})


def product(**changes: Any) -> Product:
    data = {**GOOD_PRODUCT, **changes}
    return Product.model_validate({k: v for k, v in data.items() if v is not ...})


def customer(p: Party) -> CustomerRecords:
    result = map_customer(p)
    assert isinstance(result, CustomerRecords), result
    return result


def products(p: Product) -> ProductRecords:
    result = map_product(p)
    assert isinstance(result, ProductRecords), result
    return result


NO_OWN_ADDRESS = {"Street": ..., "StreetNumber": ..., "Box": ..., "Zipcode": ..., "City": ...}

# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


def test_good_customer_becomes_relation_and_contact_person() -> None:
    result = customer(party())

    assert result.billit_id == "884211"
    assert result.relation.to_api() == {
        "name": "Peeters BV",
        "debtor_number": "C-1001",
        "contact": "Jan Peeters",
        "phone_number": "+32 3 123 45 67",
        "mobile": "+32 470 12 34 56",
        "email": "ap@peeters.example",
        "street": "Kerkstraat",
        "house_number": "12 bus 3",
        "postal_code": "2000",
        "city": "Antwerpen",
        "country": "België",  # a name, as spec.json's example ("Nederland")
        "vat_number": "BE0411905847",
        "language": "nl",
        "active": 1,  # spec.json: integer, example 1
    }
    assert "external_id" not in result.relation.to_api()  # the link lives in the mapping store
    assert result.contact == ContactPersonRecord(
        cpn_debtor_nr="C-1001",
        cpn_code="BILLIT-884211",
        cpn_name="Jan Peeters",
        cpn_phone="+32 3 123 45 67",
        cpn_email="ap@peeters.example",
    )


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        # name: Name, else CommercialName, else DisplayName (trimmed)
        ({"Name": " ", "CommercialName": "Peeters Bouw"}, "name", "Peeters Bouw"),
        ({"Name": ..., "DisplayName": "Peeters (Antwerpen)"}, "name", "Peeters (Antwerpen)"),
        ({"Name": "  Peeters BV  "}, "name", "Peeters BV"),
        # debtor number: Nr, else the PartyID
        ({"Nr": ...}, "debtor_number", "884211"),
        ({"Nr": "  "}, "debtor_number", "884211"),
        ({"Nr": 1042}, "debtor_number", "1042"),
        # house number and box
        ({"Box": ...}, "house_number", "12"),
        ({"StreetNumber": ..., "Box": "A"}, "house_number", "bus A"),
        ({"StreetNumber": ..., "Box": ...}, "house_number", None),
        # phone: Phone, else Mobile
        ({"Phone": ...}, "phone_number", "+32 470 12 34 56"),
        ({"Mobile": ...}, "mobile", None),
        ({"Email": " "}, "email", None),
        # country as its Dutch name (outsmart-api.md §4.2), left out when unknown; VAT
        # optional; language lower-cased when known, else kept
        ({"CountryCode": "nl"}, "country", "Nederland"),
        ({"CountryCode": "FR"}, "country", "Frankrijk"),
        ({"CountryCode": "LU"}, "country", "Luxemburg"),
        ({"CountryCode": "DE"}, "country", "Duitsland"),
        ({"CountryCode": "XX"}, "country", None),
        ({"CountryCode": ...}, "country", None),
        ({"VATNumber": ...}, "vat_number", None),
        ({"VATNumber": ""}, "vat_number", None),
        ({"VATNumber": "nl123456789b01"}, "vat_number", "NL123456789B01"),
        ({"Language": "FR"}, "language", "fr"),
        ({"Language": "en"}, "language", "en"),
        ({"Language": "nl-BE"}, "language", "nl-BE"),
        ({"Language": ...}, "language", None),
        # contact: Contact wins over first + last name; either name alone is enough
        ({"Contact": "Mevr. Peeters"}, "contact", "Mevr. Peeters"),
        ({"ContactFirstName": ...}, "contact", "Peeters"),
        ({"ContactFirstName": ..., "ContactLastName": ...}, "contact", None),
        # PartyType may be missing (a summary row); case does not matter
        ({"PartyType": ...}, "name", "Peeters BV"),
        ({"PartyType": "customer"}, "name", "Peeters BV"),
    ],
)
def test_relation_fields(changes: dict[str, Any], field: str, expected: str | None) -> None:
    relation = customer(party(**changes)).relation
    assert getattr(relation, field) == expected


def test_no_contact_name_means_no_contact_person() -> None:
    result = customer(party(ContactFirstName=..., ContactLastName=...))
    assert result.contact is None
    assert "contact" not in result.relation.to_api()


def test_contact_person_uses_mobile_without_phone_and_debtor_number_without_nr() -> None:
    result = customer(party(Phone=..., Nr=..., Contact="Jan"))
    assert result.contact is not None
    assert (result.contact.cpn_debtor_nr, result.contact.cpn_phone, result.contact.cpn_name) == (
        "884211",
        "+32 470 12 34 56",
        "Jan",
    )


def test_address_from_addresses_prefers_the_invoice_address() -> None:
    result = customer(
        party(
            **NO_OWN_ADDRESS,
            CountryCode=...,
            Addresses=[
                {
                    "AddressType": "DeliveryAddress",
                    "Street": "Werfstraat",
                    "StreetNumber": "1",
                    "Zipcode": "9000",
                    "City": "Gent",
                    "CountryCode": "BE",
                },
                {
                    "AddressType": "InvoiceAddress",
                    "Street": "Rue Haute",
                    "StreetNumber": "5",
                    "Box": "b",
                    "Zipcode": "1000",
                    "City": "Bruxelles",
                    "CountryCode": "be",
                },
            ],
        )
    )
    relation = result.relation
    assert (
        relation.street,
        relation.house_number,
        relation.postal_code,
        relation.city,
        relation.country,
    ) == ("Rue Haute", "5 bus b", "1000", "Bruxelles", "België")


def test_address_from_addresses_falls_back_to_a_delivery_address_and_the_party_country() -> None:
    result = customer(
        party(
            **NO_OWN_ADDRESS,
            Addresses=[
                {"AddressType": "InvoiceAddress", "City": "Gent"},  # incomplete
                {
                    "AddressType": "DeliveryAddress",
                    "Street": "Dorp",
                    "Zipcode": "9000",
                    "City": "Gent",
                },
            ],
        )
    )
    assert (result.relation.street, result.relation.country) == ("Dorp", "België")


def test_complete_own_address_wins_over_addresses() -> None:
    result = customer(
        party(
            Addresses=[
                {"AddressType": "InvoiceAddress", "Street": "X", "Zipcode": "1", "City": "Y"}
            ]
        )
    )
    assert result.relation.street == "Kerkstraat"


@pytest.mark.parametrize(
    ("changes", "label", "reason"),
    [
        ({"Name": ..., "CommercialName": " ", "DisplayName": ""}, "#884211", "no name"),
        ({"VATNumber": "BE0411905848"}, "Peeters BV", "invalid VAT number BE0411905848"),
        ({"VATNumber": "BE0123"}, "Peeters BV", "invalid VAT number BE0123"),
        ({"VATNumber": "be 0411.905.848"}, "Peeters BV", "invalid VAT number be 0411.905.848"),
        ({"VATNumber": "BE" + "9" * 60}, "Peeters BV", "invalid VAT number BE" + "9" * 37 + "…"),
        (NO_OWN_ADDRESS, "Peeters BV", "no address"),
        ({"City": ...}, "Peeters BV", "incomplete address (no city)"),
        (
            {"Street": " ", "Zipcode": ...},
            "Peeters BV",
            "incomplete address (no street, postal code)",
        ),
        ({"PartyType": "Supplier"}, "Peeters BV", "not a customer (Supplier)"),
    ],
)
def test_bad_customers_are_skipped_with_a_reason(
    changes: dict[str, Any], label: str, reason: str
) -> None:
    assert map_customer(party(**changes)) == Skipped(billit_id="884211", label=label, reason=reason)


def test_incomplete_addresses_everywhere_name_the_first_non_empty_one() -> None:
    result = map_customer(party(**NO_OWN_ADDRESS, Addresses=[{"Zipcode": "2000"}]))
    assert isinstance(result, Skipped)
    assert result.reason == "incomplete address (no street, city)"


def test_debtor_and_contact_codes() -> None:
    assert debtor_number_for(party()) == "C-1001"
    assert debtor_number_for(party(Nr=...)) == "884211"
    assert contact_code_for(party()) == "BILLIT-884211"


# Arbitrary text, including blanks, odd Unicode and control characters, for every text field.
_TEXT = st.none() | st.text(max_size=30) | st.sampled_from(["", " ", "BE0411905847", "HUR"])
_PARTY_TEXT_FIELDS = [
    name
    for name, info in Party.model_fields.items()
    if info.annotation == (str | None) and info.alias is not None
]
_ADDRESS_KEYS = ("AddressType", "Name", "Street", "StreetNumber", "Box", "Zipcode", "City")
_ADDRESS = st.fixed_dictionaries({}, optional=dict.fromkeys((*_ADDRESS_KEYS, "CountryCode"), _TEXT))


@settings(max_examples=300, deadline=None)
@given(
    party_id=st.integers(min_value=0, max_value=2**53),
    texts=st.fixed_dictionaries(
        {},
        optional={str(Party.model_fields[name].alias): _TEXT for name in _PARTY_TEXT_FIELDS},
    ),
    addresses=st.none() | st.lists(_ADDRESS, max_size=3),
)
def test_map_customer_never_raises(
    party_id: int, texts: dict[str, str | None], addresses: list[dict[str, Any]] | None
) -> None:
    party_model = Party.model_validate({"PartyID": party_id, **texts, "Addresses": addresses})
    result = map_customer(party_model)
    assert isinstance(result, CustomerRecords | Skipped)
    if isinstance(result, CustomerRecords):
        body = result.relation.to_api()
        assert all(
            body[key].strip() for key in ("name", "debtor_number", "street", "postal_code", "city")
        )
        assert "external_id" not in body
        assert body["active"] == 1
        assert body.get("country") is None or len(body["country"]) > 2  # a name, never "BE"
    else:
        assert result.billit_id == str(party_id) and result.label and result.reason


# ---------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------


def test_good_product_becomes_material_category_and_link() -> None:
    result = products(product())
    assert result == ProductRecords(
        billit_id="5501",
        material=MaterialRecord(
            code="MAT-00001", description="Koppelstuk 15 mm", price=Decimal("4.55"), unit="st"
        ),
        hour_type=None,
        category=CategoryRecord(cat_code="BILLIT-3", cat_name="Fittings", cat_display=True),
        link=MaterialCategoryRecord(mct_mat_code="MAT-00001", mct_cat_code="BILLIT-3"),
        vat_rate=Decimal(21),
    )
    assert result.material is not None
    assert result.material.to_api() == {
        "code": "MAT-00001",
        "description": "Koppelstuk 15 mm",
        "price": "4,55",
        "unit": "st",
    }
    assert result.category is not None and result.link is not None
    assert result.category.to_api() == {
        "cat_code": "BILLIT-3",
        "cat_name": "Fittings",
        "cat_display": "1",
    }
    assert result.link.to_api() == {"mct_mat_code": "MAT-00001", "mct_cat_code": "BILLIT-3"}


@pytest.mark.parametrize(
    ("changes", "expected_unit"),
    [
        ({"Unit": ...}, "st"),
        ({"Unit": ""}, "st"),
        ({"Unit": "KGM"}, "kg"),
        ({"Unit": "m"}, "m"),
        ({"Unit": "MTK"}, "m2"),
        ({"Unit": "DAY"}, "dag"),
    ],
)
def test_material_units(changes: dict[str, Any], expected_unit: str) -> None:
    material = products(product(**changes)).material
    assert material is not None and material.unit == expected_unit


@pytest.mark.parametrize(
    ("changes", "code"),
    [({}, "MAT-00001"), ({"Reference": ...}, "5501"), ({"Reference": "  "}, "5501")],
)
def test_material_code(changes: dict[str, Any], code: str) -> None:
    p = product(**changes)
    assert material_code_for(p) == code
    material = products(p).material
    assert material is not None and material.code == code


@pytest.mark.parametrize("unit", ["HUR", "uur", "Hour", "h", "hr"])
def test_hour_product_becomes_hour_type_and_no_material(unit: str) -> None:
    result = products(
        product(
            Reference="HT-001",
            Description="Arbeid monteur",
            AmountExcl="55",
            BuyExcl="32.5",
            Unit=unit,
            GroupID=9,
            GroupName="Arbeid",
        )
    )
    assert result.material is None
    assert result.link is None
    assert result.hour_type == HourTypeRecord(
        code="HT-001",
        name="Arbeid monteur",
        sale_booking=False,
        cost_booking=False,
        sale_price=Decimal(55),
        cost_price=Decimal("32.5"),
        active=True,
    )
    # As the example's ordinary labour "Normale uren" (desc:1045): strings, a decimal dot.
    assert result.hour_type.to_api() == {
        "code": "HT-001",
        "name": "Arbeid monteur",
        "cost_booking": "0",
        "sale_booking": "0",
        "sale_price": "55.00",
        "cost_price": "32.50",
        "active": "1",
    }
    assert result.category == CategoryRecord(cat_code="BILLIT-9", cat_name="Arbeid")
    assert result.vat_rate == Decimal(21)


@pytest.mark.parametrize("buy", [..., "0", "-3"])
def test_hour_type_cost_price_is_left_out_when_unknown(buy: object) -> None:
    """``cost_price`` is optional and "Decimal (> 0)" (desc:1031): never sent as 0."""
    hour_type = products(product(Unit="HUR", BuyExcl=buy)).hour_type
    assert hour_type is not None and hour_type.cost_price is None
    assert "cost_price" not in hour_type.to_api()


def test_product_without_group_has_no_category_or_link() -> None:
    result = products(product(GroupID=..., GroupName=...))
    assert (result.category, result.link) == (None, None)


def test_group_without_name_gets_a_recognisable_one() -> None:
    result = products(product(GroupName=" "))
    assert result.category == CategoryRecord(cat_code="BILLIT-3", cat_name="Billit group 3")


def test_category_code() -> None:
    assert category_code_for(3) == "BILLIT-3"
    assert category_code_for(" 17 ") == "BILLIT-17"


@pytest.mark.parametrize(
    ("changes", "price"),
    [
        ({"AmountExcl": "12.34567"}, Decimal("12.34567")),  # Billit allows 5 decimals: kept
        ({"AmountExcl": "0"}, Decimal(0)),
        ({"AmountExcl": ..., "AmountIncl": "121", "VAT": 21}, Decimal("100.00")),
        ({"AmountExcl": ..., "AmountIncl": "5.51", "VAT": 21}, Decimal("4.55")),  # 4.5537… down
        ({"AmountExcl": ..., "AmountIncl": "10.60", "VAT": 6}, Decimal("10.00")),
        ({"AmountExcl": ..., "AmountIncl": "1.00", "VAT": 12}, Decimal("0.89")),  # 0.89285…
        ({"AmountExcl": ..., "AmountIncl": "0.03", "VAT": 21}, Decimal("0.02")),  # 0.02479…
        ({"AmountExcl": ..., "AmountIncl": "1.815", "VAT": 21}, Decimal("1.50")),
        ({"AmountExcl": ..., "AmountIncl": "0.0605", "VAT": 21}, Decimal("0.05")),  # .05 exactly
        ({"AmountExcl": ..., "AmountIncl": "0.1815", "VAT": 21}, Decimal("0.15")),
        ({"AmountExcl": ..., "AmountIncl": "7", "VAT": 0}, Decimal("7.00")),
        ({"AmountExcl": "-5", "Unit": "PCE"}, Decimal(-5)),  # a discount material is allowed
    ],
)
def test_price_excl_vat(changes: dict[str, Any], price: Decimal) -> None:
    material = products(product(**changes)).material
    assert material is not None
    assert material.price == price
    assert material.price.as_tuple() == price.as_tuple()


def test_incl_to_excl_rounds_half_up() -> None:
    # 1.26445 / 1.21 = 1.045 exactly: half-up gives 1.05 (banker's rounding would give 1.04).
    material = products(product(AmountExcl=..., AmountIncl="1.26445", VAT=21)).material
    assert material is not None and material.price == Decimal("1.05")


@pytest.mark.parametrize(
    ("changes", "label", "reason"),
    [
        ({"Description": " "}, "MAT-00001", "no description"),
        ({"Description": ..., "Reference": ...}, "#5501", "no description"),
        ({"Unit": "XYZ"}, "MAT-00001", "unknown unit 'XYZ'"),
        ({"Unit": "ANN"}, "MAT-00001", "unknown unit 'ANN'"),
        ({"AmountExcl": ..., "AmountIncl": ...}, "MAT-00001", "no price"),
        ({"AmountExcl": ..., "VAT": ...}, "MAT-00001", "no price"),
        ({"VAT": 7}, "MAT-00001", "VAT rate 7% is not a Belgian rate"),
        ({"VAT": "5.50"}, "MAT-00001", "VAT rate 5.5% is not a Belgian rate"),
        ({"VAT": "-21"}, "MAT-00001", "VAT rate -21% is not a Belgian rate"),
        # sale_price "Decimal (> 0)" (desc:1030): skipped and named, never posted
        (
            {"Unit": "HUR", "AmountExcl": "-1"},
            "MAT-00001",
            "an hour type needs a sale price above 0",
        ),
        (
            {"Unit": "HUR", "AmountExcl": "0"},
            "MAT-00001",
            "an hour type needs a sale price above 0",
        ),
        ({"Reference": ..., "Unit": "kilo's"}, "Koppelstuk 15 mm", "unknown unit 'kilo's'"),
    ],
)
def test_bad_products_are_skipped_with_a_reason(
    changes: dict[str, Any], label: str, reason: str
) -> None:
    assert map_product(product(**changes)) == Skipped(billit_id="5501", label=label, reason=reason)


@pytest.mark.parametrize("vat", ["0", "6", "12", "21", "21.00", "6.0"])
def test_belgian_vat_rates_are_kept(vat: str) -> None:
    assert products(product(VAT=vat)).vat_rate == Decimal(vat)


def test_missing_vat_is_fine() -> None:
    assert products(product(VAT=...)).vat_rate is None


# ---------------------------------------------------------------------------------------------
# content_hash
# ---------------------------------------------------------------------------------------------


def test_content_hash_is_stable_across_field_order() -> None:
    a = RelationRecord(name="Peeters BV", debtor_number="C-1001", city="Antwerpen", email="a@b")
    b = RelationRecord.model_validate(
        {"email": "a@b", "city": "Antwerpen", "debtor_number": "C-1001", "name": "Peeters BV"}
    )
    assert content_hash(a, None) == content_hash(b, None)
    assert len(content_hash(a)) == 64 and int(content_hash(a), 16) >= 0


def test_content_hash_ignores_dict_order_of_extras() -> None:
    a = MaterialRecord.model_validate(
        {"code": "1", "description": "x", "price": "1", "x": 1, "y": 2}
    )
    b = MaterialRecord.model_validate(
        {"y": 2, "x": 1, "price": "1,00", "description": "x", "code": "1"}
    )
    assert content_hash(a) == content_hash(b)


def test_content_hash_is_a_known_value() -> None:
    """Guards against an accidental change of the serialisation (it would re-send everything)."""
    record = CategoryRecord(cat_code="BILLIT-3", cat_name="Fittings")
    expected_text = json.dumps(
        [{"cat_code": "BILLIT-3", "cat_display": "1", "cat_name": "Fittings"}, None],
        separators=(",", ":"),
    )
    assert content_hash(record, None) == hashlib.sha256(expected_text.encode()).hexdigest()


def test_content_hash_changes_with_any_field_and_with_none_records() -> None:
    records = customer(party())
    base = content_hash(records.relation, records.contact)
    changed = customer(party(City="Berchem"))
    assert content_hash(changed.relation, changed.contact) != base
    no_contact = customer(party(ContactFirstName=..., ContactLastName=...))
    assert content_hash(no_contact.relation, no_contact.contact) != content_hash(
        no_contact.relation
    )
    assert content_hash(records.relation, records.contact) == base  # deterministic
    assert content_hash(records.relation, None) != content_hash(None, records.relation)
    price_change = products(product(AmountExcl="4.56"))
    assert content_hash(price_change.material) != content_hash(products(product()).material)


# ---------------------------------------------------------------------------------------------
# The records are what the OutSmart fake (required fields, value checks) accepts
# ---------------------------------------------------------------------------------------------


def _post(fake: OutSmartFake, entity: str, records: list[UpsertRecord]) -> Any:
    request = httpx.Request(
        "POST",
        f"https://www.out-smart.com/openapi/8/{entity}/",
        params={"token": "t", "software_token": DEFAULT_SOFTWARE_TOKEN},
        json=[record.to_api() for record in records],
    )
    return fake.handle(request).json()


def test_mapped_records_are_accepted_by_the_strict_fake_without_external_id() -> None:
    fake = OutSmartFake()
    tenant = fake.add_tenant("t")
    cust = customer(party())
    mat = products(product())
    hour = products(product(ProductID=7, Reference="HT-1", Unit="HUR"))
    assert cust.contact and mat.material and mat.category and mat.link and hour.hour_type
    batches: list[tuple[str, list[UpsertRecord]]] = [
        ("relations", [cust.relation]),
        ("contactpersons", [cust.contact]),
        ("materials", [mat.material]),
        ("categories", [mat.category]),
        ("material_categories", [mat.link]),
        ("hourtypes", [hour.hour_type]),
    ]
    for entity, records in batches:
        answer = _post(fake, entity, records)
        assert answer["code"] == 200, (entity, answer)
    assert "external_id" not in tenant.relations["C-1001"]
    assert tenant.relations["C-1001"]["country"] == "België"
    assert tenant.relations["C-1001"]["active"] == "1"
    assert tenant.contact_persons["BILLIT-884211"]["cpn_debtor_nr"] == "C-1001"
    assert tenant.materials["MAT-00001"]["price"] == "4,55"
    assert ("MAT-00001", "BILLIT-3") in tenant.material_categories
    assert tenant.hour_types["HT-1"]["sale_price"] == "4.55"
    assert "cost_price" not in tenant.hour_types["HT-1"]


_AMOUNT = st.none() | st.decimals(
    min_value=-1000, max_value=100000, places=2, allow_nan=False, allow_infinity=False
)


@settings(max_examples=150, deadline=None)
@given(
    party_texts=st.fixed_dictionaries(
        {}, optional={str(Party.model_fields[n].alias): _TEXT for n in _PARTY_TEXT_FIELDS}
    ),
    country=st.none() | st.sampled_from(["BE", "be", "NL", "FR", "DE", "LU", "XX", "", "Belgium"]),
    unit=st.sampled_from(["HUR", "C62", "KGM", "MTK", "DAY", "uur", "zak", None]),
    amount=_AMOUNT,
    buy=_AMOUNT,
    group=st.none() | st.integers(min_value=1, max_value=99),
)
def test_whatever_the_mapping_produces_the_strict_fake_accepts(  # noqa: PLR0917 - hypothesis
    party_texts: dict[str, str | None],
    country: str | None,
    unit: str | None,
    amount: Decimal | None,
    buy: Decimal | None,
    group: int | None,
) -> None:
    """Per field and per entity: a body the mapping builds is one the spec defines (no unknown
    field, required fields filled, names not codes, prices as the examples write them)."""
    fake = OutSmartFake()
    fake.add_tenant("t")
    mapped = map_customer(
        Party.model_validate(
            {"PartyID": 1, **party_texts, "CountryCode": country, "Street": "S", "Zipcode": "1"}
            | {"City": "C", "Name": "N"}
        )
    )
    batches: list[tuple[str, list[UpsertRecord]]] = []
    if isinstance(mapped, CustomerRecords):
        batches.append(("relations", [mapped.relation]))
        if mapped.contact is not None:
            batches.append(("contactpersons", [mapped.contact]))
    result = map_product(
        Product.model_validate(
            {"ProductID": 5, "Reference": "R-1", "Description": "d", "Unit": unit}
            | {"AmountExcl": amount, "BuyExcl": buy, "VAT": 21, "GroupID": group}
        )
    )
    if isinstance(result, ProductRecords):
        for entity, record in (
            ("materials", result.material),
            ("categories", result.category),
            ("material_categories", result.link),
            ("hourtypes", result.hour_type),
        ):
            if record is not None:
                batches.append((entity, [record]))
    else:
        assert result.reason  # skipped and named, not posted
    for entity, records in batches:
        assert all(not record.missing_required() for record in records)
        answer = _post(fake, entity, records)
        assert answer["code"] == 200, (entity, answer, [r.to_api() for r in records])


def test_a_vat_number_without_prefix_takes_the_country_of_the_customer() -> None:
    party = Party.model_validate(
        {
            "PartyID": 9,
            "Name": "Zonder Prefix BV",
            "PartyType": "Customer",
            "VATNumber": "0411.905.847",
            "CountryCode": "BE",
            "Street": "Markt",
            "StreetNumber": "1",
            "Zipcode": "1000",
            "City": "Brussel",
        }
    )
    mapped = map_customer(party)
    assert isinstance(mapped, CustomerRecords)
    assert mapped.relation.vat_number == "BE0411905847"
