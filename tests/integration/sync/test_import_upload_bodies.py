"""Every upload body of an import is one OutSmart's spec defines (issue 17, point 1), checked
against the strict OutSmart fake: no unknown field, required fields filled (a record missing
one is skipped and named, not posted), countries by name, prices as the examples write them."""

from collections.abc import Iterator
from decimal import Decimal

import pytest

from billit_sync.outsmart.models import RelationRecord
from billit_sync.sync.imports.report import ImportedEntity, ImportReport
from tests.integration.sync.import_harness import ImportHarness, import_harness


@pytest.fixture
def harness() -> Iterator[ImportHarness]:
    with import_harness() as running:
        yield running


def relation(number: str, **changes: str) -> RelationRecord:
    fields = {"street": "Markt", "postal_code": "1000", "city": "Brussel"} | changes
    return RelationRecord.model_validate(
        {"name": f"Klant {number}", "debtor_number": number} | fields
    )


def test_a_realistic_account_is_posted_without_a_single_refusal(harness: ImportHarness) -> None:
    harness.customer("Peeters BV", Nr="C-1", ContactFirstName="Jan", ContactLastName="Peeters")
    harness.customer("Janssen BV", Nr="C-2", CountryCode="NL", City="Breda", Zipcode="4811 AA")
    harness.customer("Dupont SA", Nr="C-3", CountryCode="FR", City="Lille", Zipcode="59000")
    harness.customer("Nergens BV", Nr="C-4", CountryCode="XX")  # unknown code: no country
    harness.product("MAT-1", AmountExcl=Decimal("4.55"), GroupID=3, GroupName="Fittingen")
    harness.product("MAT-2", AmountExcl=Decimal("-2.50"), Description="Korting")
    harness.product("HT-1", Unit="HUR", AmountExcl=Decimal(55), BuyExcl=Decimal("32.5"))
    harness.product("HT-2", Unit="HUR", AmountExcl=Decimal(60))  # no purchase price
    harness.product("HT-0", Unit="HUR", AmountExcl=Decimal(0))  # "> 0" (desc:1030): skipped

    report = harness.importer().run()

    posts = harness.outsmart.calls_to  # every answer 200: nothing the spec does not define
    assert [c.code for c in harness.outsmart.calls if c.method == "POST"] == [200] * 6
    office = harness.office
    countries = {key: row.get("country") for key, row in office.relations.items()}
    assert countries == {"C-1": "België", "C-2": "Nederland", "C-3": "Frankrijk", "C-4": None}
    assert all("external_id" not in call.body[0] for call in posts("relations", "POST"))
    assert {key: row["price"] for key, row in office.materials.items()} == {
        "MAT-1": "4,55",
        "MAT-2": "-2,50",
    }
    assert office.hour_types["HT-1"] | {} == {
        "code": "HT-1",
        "name": "Product HT-1",
        "cost_booking": "0",
        "sale_booking": "0",
        "sale_price": "55.00",
        "cost_price": "32.50",
        "active": "1",
    }
    assert "cost_price" not in office.hour_types["HT-2"]
    assert "HT-0" not in office.hour_types
    assert named(report) == {("products", "HT-0"): "an hour type needs a sale price above 0"}


def named(report: ImportReport) -> dict[tuple[str, str], str]:
    return {(entity.value, skip.label): skip.reason for entity, skip in report.skipped}


def test_a_record_missing_a_required_field_is_named_and_never_posted(
    harness: ImportHarness,
) -> None:
    importer = harness.importer()
    report = ImportReport()
    records = [relation("C-1"), relation("C-2", city=" "), relation("C-3")]
    report.of(ImportedEntity.CUSTOMERS).created = 3

    refused = importer._write(  # the importer's one gate in front of every upsert
        harness.outsmart_client.upsert_relations,
        records,
        lambda r: r.name,
        report,
        ImportedEntity.CUSTOMERS,
    )

    assert refused == {1}
    (post,) = harness.outsmart.calls_to("relations", "POST")  # one batch, the good ones
    assert [row["debtor_number"] for row in post.body] == ["C-1", "C-3"]
    assert named(report) == {("customers", "Klant C-2"): "no city (required)"}
    assert report.of(ImportedEntity.CUSTOMERS).created == 2


def test_a_batch_outsmart_refuses_for_one_row_is_written_row_by_row(
    harness: ImportHarness,
) -> None:
    """OutSmart answers one bad row with xx01/xx00 and ``response: null`` for the whole batch
    (desc:404-420); the good rows still arrive and the bad one is named with its reason."""
    importer = harness.importer()
    report = ImportReport()
    records = [relation("C-1"), relation("C-2", country="BE"), relation("C-3")]

    refused = importer._write(
        harness.outsmart_client.upsert_relations,
        records,
        lambda r: r.name,
        report,
        ImportedEntity.CUSTOMERS,
    )

    assert refused == {1}
    assert set(harness.office.relations) == {"C-1", "C-3"}
    assert named(report) == {("customers", "Klant C-2"): "Invalid value for country: BE"}
