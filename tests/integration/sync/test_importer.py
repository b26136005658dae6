"""The import against the Billit and OutSmart fakes: mapping, incremental runs, bad records,
settings, checkpoints, and an account of realistic size."""

from collections.abc import Iterator
from decimal import Decimal

import pytest

from billit_sync.store import MappedEntity
from billit_sync.sync.imports.report import ImportedEntity, ImportReport
from billit_sync.tenant_settings import ImportSettings
from tests.integration.sync.import_harness import COMPANY, TENANT, ImportHarness, import_harness


@pytest.fixture
def harness() -> Iterator[ImportHarness]:
    with import_harness() as running:
        yield running


def counts(report: ImportReport, entity: ImportedEntity) -> tuple[int, int, int, int]:
    c = report.of(entity)
    return (c.created, c.updated, c.unchanged, c.skipped)


def seed_small_account(h: ImportHarness) -> None:
    h.customer(
        "Peeters BV",
        Nr="C-1001",
        VATNumber="BE0411905847",
        Email="info@peeters.example",
        Phone="+32 3 123 45 67",
        Language="NL",
        ContactFirstName="Jan",
        ContactLastName="Peeters",
    )
    h.customer(
        "Janssens & Zn",
        VATNumber="NL123456789B01",
        CountryCode="NL",
        City="Breda",
        Zipcode="4811 AA",
    )
    h.product(
        "MAT-00001",
        Description="Koppelstuk 15 mm",
        AmountExcl=Decimal("4.55"),
        GroupID=7,
        GroupName="Fittingen",
    )
    h.product(
        "MAT-00002",
        Description="Bocht 90°",
        AmountExcl=Decimal("3.10"),
        GroupID=7,
        GroupName="Fittingen",
        VAT=6,
    )
    h.product("HT-001", Description="Arbeid monteur", AmountExcl=Decimal("55.00"), Unit="HUR")


def test_first_run_maps_every_entity(harness: ImportHarness) -> None:
    seed_small_account(harness)
    report = harness.importer().run()
    assert report.finished
    office = harness.office

    peeters = office.relations["C-1001"]
    assert peeters["name"] == "Peeters BV"
    assert peeters["vat_number"] == "BE0411905847"
    assert (peeters["street"], peeters["postal_code"], peeters["city"]) == (
        "Kerkstraat",
        "2000",
        "Antwerpen",
    )
    assert peeters["email"] == "info@peeters.example"
    assert "external_id" not in peeters  # the PartyID link is the service's own mapping:
    link = harness.mappings.get_by_outsmart_key(
        TENANT, str(COMPANY), MappedEntity.CUSTOMER, "C-1001"
    )
    assert link is not None and link.billit_id.isdigit()
    assert (peeters["country"], peeters["active"]) == ("België", "1")
    assert len(office.relations) == 2
    (contact,) = office.contact_persons.values()
    assert (contact["cpn_debtor_nr"], contact["cpn_name"]) == ("C-1001", "Jan Peeters")

    assert set(office.materials) == {"MAT-00001", "MAT-00002"}
    assert office.materials["MAT-00001"]["price"] == "4,55"
    assert "HT-001" not in office.materials
    assert office.hour_types["HT-001"]["sale_price"] == "55.00"
    (category,) = office.categories.values()
    assert category["cat_name"] == "Fittingen"
    assert office.material_categories == {
        ("MAT-00001", category["cat_code"]),
        ("MAT-00002", category["cat_code"]),
    }
    product = harness.mappings.get_by_outsmart_key(
        TENANT, str(COMPANY), MappedEntity.PRODUCT, "MAT-00002"
    )
    assert product is not None
    assert product.attributes["vat_rate"] == "6"

    assert counts(report, ImportedEntity.CUSTOMERS) == (2, 0, 0, 0)
    assert counts(report, ImportedEntity.CONTACT_PERSONS) == (1, 0, 0, 0)
    assert counts(report, ImportedEntity.PRODUCTS) == (2, 0, 0, 0)
    assert counts(report, ImportedEntity.PRODUCT_GROUPS) == (1, 0, 0, 0)
    assert counts(report, ImportedEntity.HOUR_TYPES) == (1, 0, 0, 0)


def test_a_second_run_writes_nothing_and_a_change_arrives_on_the_next(
    harness: ImportHarness,
) -> None:
    seed_small_account(harness)
    harness.importer().run()
    posts = harness.outsmart_posts()

    again = harness.importer().run()
    assert harness.outsmart_posts() == posts
    assert counts(again, ImportedEntity.CUSTOMERS) == (0, 0, 2, 0)
    assert counts(again, ImportedEntity.PRODUCTS) == (0, 0, 2, 0)

    party_id = next(iter(harness.billit.parties(COMPANY)))["PartyID"]
    harness.clock.advance(60)
    harness.billit.update_party(COMPANY, party_id, City="Gent", Zipcode="9000")
    changed = harness.importer().run()
    # the same-day overlap re-reads the other customer, unchanged and not written
    assert counts(changed, ImportedEntity.CUSTOMERS) == (0, 1, 1, 0)
    assert harness.office.relations["C-1001"]["city"] == "Gent"
    assert len(harness.office.relations) == 2


def test_a_full_sync_reads_and_writes_everything_again(harness: ImportHarness) -> None:
    seed_small_account(harness)
    harness.importer().run()
    posts = harness.outsmart_posts()
    full = harness.importer().run(full=True)
    assert harness.outsmart_posts() > posts
    assert counts(full, ImportedEntity.CUSTOMERS) == (0, 2, 0, 0)
    assert len(harness.office.relations) == 2  # upserted, not duplicated


def test_bad_records_are_skipped_and_named_while_the_rest_imports(harness: ImportHarness) -> None:
    seed_small_account(harness)
    harness.customer("", Nr="C-2000")
    harness.customer("Foute BTW BV", VATNumber="BE0411905848")
    harness.product("MAT-X", Unit="XYZ")
    harness.customer("Dubbel BV", Nr="C-1001")  # the customer number is Peeters' already

    report = harness.importer().run()
    reasons = {(entity, skip.label): skip.reason for entity, skip in report.skipped}
    assert ("customers", "Foute BTW BV") in {(e.value, label) for e, label in reasons}
    assert any("VAT" in reason for reason in reasons.values())
    assert any("unit" in reason for reason in reasons.values())
    assert any("name" in reason for reason in reasons.values())
    assert any("already used" in reason for reason in reasons.values())
    assert counts(report, ImportedEntity.CUSTOMERS)[0] == 2
    assert harness.office.relations["C-1001"]["name"] == "Peeters BV"
    assert set(harness.office.materials) == {"MAT-00001", "MAT-00002"}


def test_settings_switch_entities_off(harness: ImportHarness) -> None:
    seed_small_account(harness)
    settings = ImportSettings(contact_persons=False, product_groups=False, hour_types=False)
    report = harness.importer(settings).run()
    assert harness.office.contact_persons == {}
    assert harness.office.categories == {}
    assert harness.office.material_categories == set()
    assert harness.office.hour_types == {}
    assert set(harness.office.materials) == {"MAT-00001", "MAT-00002"}
    assert ImportedEntity.HOUR_TYPES not in report.counts

    # switching hour types on later imports the hour products that were read before
    later = harness.importer(ImportSettings(contact_persons=False, product_groups=False)).run()
    assert "HT-001" in harness.office.hour_types
    assert counts(later, ImportedEntity.HOUR_TYPES) == (1, 0, 0, 0)


def test_a_run_out_of_time_checkpoints_and_the_next_resumes(harness: ImportHarness) -> None:
    for n in range(50):
        harness.customer(f"Klant {n:03d}", Nr=f"C-{n:04d}")
    paused = harness.importer(time_left=10, batch_size=20).run()
    assert not paused.finished
    assert counts(paused, ImportedEntity.CUSTOMERS)[0] == 20
    assert len(harness.office.relations) == 20

    resumed = harness.importer(batch_size=20).run(resume=True)
    assert resumed.finished
    assert len(harness.office.relations) == 50
    created, updated, _unchanged, skipped = counts(resumed, ImportedEntity.CUSTOMERS)
    assert created == 30
    assert updated == 0
    assert skipped == 0


@pytest.mark.slow
def test_a_large_account_imports_in_one_run() -> None:
    """10,000 customers and 5,000 products in one run (no latency here; `make bench` adds it)."""
    with import_harness() as h:
        h.fill_large_account(10_000, 5_000, groups=25, contacts=False)
        report = h.importer().run()
        assert report.finished
        assert len(h.office.relations) == 10_000
        assert len(h.office.materials) == 5_000
        assert len(h.office.categories) == 25
        assert counts(report, ImportedEntity.CUSTOMERS) == (10_000, 0, 0, 0)
