"""Billit deletions and group moves followed into OutSmart (issue 17, point 3).

Billit signals no deletion (billit-api.md §5, §9): the import compares Billit's full id sets
once a day (``COMPARISON_INTERVAL``) and on a full sync. Customers and hour types that are gone
are set inactive (spec.json's relation ``active``; hour types' ``active``, desc:1032), materials
are reported (no ``active``, desc:368-380); nothing is deleted in OutSmart. A product that
changes group loses its old link (``DeleteEntity`` ``material_category``, §4.3).
"""

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from billit_sync.store import MappedEntity
from billit_sync.sync.imports.importer import COMPARISON_INTERVAL, Importer
from billit_sync.sync.imports.report import ImportedEntity, ImportReport
from billit_sync.tenant_settings import ImportSettings
from tests.integration.sync.import_harness import COMPANY, TENANT, ImportHarness, import_harness


class Calendar:
    """The importer's clock, days ahead of the fakes' (whose tokens expire after an hour)."""

    def __init__(self, h: ImportHarness) -> None:
        self.h = h
        self.days = 0

    def __call__(self) -> datetime:
        return self.h.clock() + self.days * COMPARISON_INTERVAL

    def next_day(self) -> None:
        self.days += 1

    def importer(self, settings: ImportSettings | None = None, **kwargs: Any) -> Importer:
        return self.h.importer(settings, clock=self, **kwargs)


@pytest.fixture
def harness() -> Iterator[ImportHarness]:
    with import_harness() as running:
        yield running


def seed(h: ImportHarness) -> dict[str, int]:
    """Two customers, two materials in group 7, an hour product; their Billit ids by key."""
    ids = {
        "C-1001": h.customer("Peeters BV", Nr="C-1001", Phone="03 123 45 67")["PartyID"],
        "C-1002": h.customer("Janssens BV", Nr="C-1002")["PartyID"],
    }
    for reference in ("MAT-1", "MAT-2"):
        ids[reference] = h.product(reference, GroupID=7, GroupName="Fittingen")["ProductID"]
    ids["HT-1"] = h.product("HT-1", Description="Arbeid", Unit="HUR", AmountExcl=55)["ProductID"]
    return ids


def deletes(h: ImportHarness) -> list[dict[str, str]]:
    return [call.query for call in h.outsmart.calls_to("DeleteEntity")]


def gone_summary(report: ImportReport) -> dict[str, tuple[int, int, int]]:
    return {
        entity.value: (c.deactivated, c.reported, c.moved)
        for entity, c in report.counts.items()
        if c.deactivated or c.reported or c.moved
    }


def test_a_customer_deleted_in_billit_is_set_inactive_at_the_daily_comparison(
    harness: ImportHarness,
) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    first = cal.importer().run()
    assert first.compared  # the first run compares (nothing gone yet)
    harness.billit.delete_party(COMPANY, ids["C-1001"])

    harness.clock.advance(15 * 60)  # the next scheduled run, a quarter later: not due yet
    soon = cal.importer().run()
    assert not soon.compared
    assert harness.office.relations["C-1001"]["active"] == "1"

    cal.next_day()
    daily = cal.importer().run()
    assert daily.compared
    relation = harness.office.relations["C-1001"]
    assert relation["active"] == "0"  # deactivated, not deleted …
    assert relation["name"] == "Peeters BV"  # … and posted back as OutSmart had it
    assert relation["phone_number"] == "03 123 45 67"
    assert harness.office.relations["C-1002"]["active"] == "1"
    assert deletes(harness) == []
    assert gone_summary(daily) == {"customers": (1, 0, 0)}
    ((entity, gone),) = daily.gone
    assert (entity, gone.label, gone.deactivated) == (ImportedEntity.CUSTOMERS, "Peeters BV", True)
    (deactivation,) = [
        call.body
        for call in harness.outsmart.calls_to("relations", "POST")
        if call.body[0].get("active") == 0
    ]
    assert deactivation[0]["debtor_number"] == "C-1001"
    assert "external_id" not in deactivation[0]

    cal.next_day()
    again = cal.importer().run()  # reported once, not every day
    assert again.compared and again.gone == []


def test_a_full_sync_compares_at_once(harness: ImportHarness) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    harness.billit.remove_product(COMPANY, ids["HT-1"])
    harness.billit.remove_product(COMPANY, ids["MAT-2"])

    report = cal.importer().run(full=True)

    assert report.compared
    assert harness.office.hour_types["HT-1"]["active"] == "0"  # "Integer (1 or 0)", desc:1032
    assert harness.office.hour_types["HT-1"]["sale_price"] == "55.00"
    assert "MAT-2" in harness.office.materials  # no active field for materials: kept, reported
    assert gone_summary(report) == {"hour_types": (1, 0, 0), "products": (0, 1, 0)}
    reported = {(e.value, g.label, g.deactivated) for e, g in report.gone}
    assert reported == {("hour_types", "HT-1 (Arbeid)", True), ("products", "MAT-2", False)}
    assert deletes(harness) == []


def test_a_partial_read_never_makes_anything_look_deleted(harness: ImportHarness) -> None:
    cal = Calendar(harness)
    for n in range(30):
        harness.customer(f"Klant {n:02d}", Nr=f"C-{n:02d}")
    cal.importer().run()
    cal.next_day()
    paused = cal.importer(time_left=10, batch_size=10).run()  # stops after one batch
    assert not paused.finished and not paused.compared
    resumed = cal.importer(batch_size=10).run(resume=True)
    assert resumed.finished and not resumed.compared
    assert {row["active"] for row in harness.office.relations.values()} == {"1"}


def test_only_switched_on_entities_are_compared(harness: ImportHarness) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    harness.billit.delete_party(COMPANY, ids["C-1001"])
    harness.billit.remove_product(COMPANY, ids["HT-1"])
    cal.next_day()
    cal.importer(ImportSettings(customers=False, hour_types=False)).run()
    assert harness.office.relations["C-1001"]["active"] == "1"
    assert harness.office.hour_types["HT-1"]["active"] == "1"


def test_a_refused_deactivation_is_reported_and_tried_again(harness: ImportHarness) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    harness.billit.remove_product(COMPANY, ids["HT-1"])
    harness.office.hour_types["HT-1"]["sale_price"] = "0.00"  # edited in OutSmart since
    cal.next_day()
    report = cal.importer().run()
    ((_, gone),) = report.gone
    assert not gone.deactivated
    assert "1801" in gone.reason or "Price" in gone.reason
    assert harness.office.hour_types["HT-1"]["active"] == "1"
    harness.office.hour_types["HT-1"]["sale_price"] = "50.00"
    cal.next_day()
    assert cal.importer().run().gone[0][1].deactivated
    assert harness.office.hour_types["HT-1"]["active"] == "0"


def test_a_deleted_customer_that_old_work_orders_use_stays_in_outsmart(
    harness: ImportHarness,
) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    old = harness.office.add_workorder(CustomerDebtorNr="C-1001", status="Afgehandeld")
    harness.billit.delete_party(COMPANY, ids["C-1001"])
    cal.next_day()

    cal.importer().run(full=True)

    assert harness.office.relations["C-1001"]["active"] == "0"
    assert deletes(harness) == []  # never DeleteEntity on relations (or anything else here)
    order = harness.outsmart_client.get_workorder(old["id"])
    assert (order.customer_debtor_nr, order.customer_name) == ("C-1001", "Peeters BV")
    mapping = harness.mappings.get_by_outsmart_key(
        TENANT, str(COMPANY), MappedEntity.CUSTOMER, "C-1001"
    )
    assert mapping is not None and mapping.is_gone  # kept, marked: the export will not use it
    assert mapping.billit_id == str(ids["C-1001"])


def test_a_customer_back_in_billit_is_active_again(harness: ImportHarness) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    removed = harness.billit.parties(COMPANY)
    harness.billit.delete_party(COMPANY, ids["C-1001"])
    cal.next_day()
    cal.importer().run()
    assert harness.office.relations["C-1001"]["active"] == "0"

    # Restored from the archive: the same PartyID is listed again, unchanged.
    (record,) = [p for p in removed if p["PartyID"] == ids["C-1001"]]
    harness.billit.restore_party(COMPANY, record)
    cal.next_day()
    report = cal.importer().run()
    assert harness.office.relations["C-1001"]["active"] == "1"
    assert report.of(ImportedEntity.CUSTOMERS).updated == 1
    mapping = harness.mappings.get_by_billit_id(
        TENANT, str(COMPANY), MappedEntity.CUSTOMER, str(ids["C-1001"])
    )
    assert mapping is not None and not mapping.is_gone


# ---------------------------------------------------------------------------------------------
# Group moves
# ---------------------------------------------------------------------------------------------


def test_a_product_that_changes_group_loses_its_old_link_and_keeps_the_users(
    harness: ImportHarness,
) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    office = harness.office
    office.material_categories.add(("MAT-1", "EIGEN-CAT"))  # a link the office made itself
    assert ("MAT-1", "BILLIT-7") in office.material_categories

    harness.clock.advance(60)
    harness.billit.update_product(COMPANY, ids["MAT-1"], GroupID=8, GroupName="Kranen")
    report = cal.importer().run()

    assert {link for link in office.material_categories if link[0] == "MAT-1"} == {
        ("MAT-1", "BILLIT-8"),
        ("MAT-1", "EIGEN-CAT"),
    }
    assert ("MAT-2", "BILLIT-7") in office.material_categories  # the group's others stay
    assert "BILLIT-8" in office.categories
    assert deletes(harness) == [
        {
            "delete_all": "false",
            "entity": "material_category",
            "key": "mct_mat_code",
            "value": "MAT-1",
        }
    ]
    assert gone_summary(report) == {"products": (0, 0, 1)}
    mapping = harness.mappings.get_by_outsmart_key(
        TENANT, str(COMPANY), MappedEntity.PRODUCT, "MAT-1"
    )
    assert mapping is not None and mapping.attributes["category"] == "BILLIT-8"


def test_a_product_taken_out_of_its_group_loses_the_link(harness: ImportHarness) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    harness.clock.advance(60)
    harness.billit.update_product(COMPANY, ids["MAT-2"], GroupID=None, GroupName=None)
    report = cal.importer().run()
    assert not any(link[0] == "MAT-2" for link in harness.office.material_categories)
    assert report.of(ImportedEntity.PRODUCTS).moved == 1


def test_an_unchanged_group_deletes_nothing(harness: ImportHarness) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    harness.clock.advance(60)
    harness.billit.update_product(COMPANY, ids["MAT-1"], AmountExcl=Decimal("5.10"))
    report = cal.importer().run()
    assert harness.office.materials["MAT-1"]["price"] == "5,10"
    assert deletes(harness) == []
    assert harness.outsmart.calls_to("material_categories", "GET") == []
    assert report.of(ImportedEntity.PRODUCTS).moved == 0


def test_a_mapping_from_before_groups_were_followed_is_repaired(harness: ImportHarness) -> None:
    """Mappings written before this change carry no ``category``: OutSmart's own links say
    which Billit group link is stale."""
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    old = harness.mappings.get_by_outsmart_key(TENANT, str(COMPANY), MappedEntity.PRODUCT, "MAT-1")
    assert old is not None
    legacy = {k: v for k, v in old.attributes.items() if k != "category"}
    harness.mappings.put_many(
        TENANT, str(COMPANY), [old.model_copy(update={"attributes": legacy, "content_hash": "x"})]
    )
    harness.clock.advance(60)
    harness.billit.update_product(COMPANY, ids["MAT-1"], GroupID=8, GroupName="Kranen")
    cal.importer().run()
    assert {link for link in harness.office.material_categories if link[0] == "MAT-1"} == {
        ("MAT-1", "BILLIT-8")
    }


def test_outsmarts_links_are_read_once_per_run_however_many_batches(
    harness: ImportHarness,
) -> None:
    cal = Calendar(harness)
    ids = seed(harness)
    cal.importer().run()
    harness.clock.advance(60)
    for reference in ("MAT-1", "MAT-2"):
        harness.billit.update_product(COMPANY, ids[reference], GroupID=8, GroupName="Kranen")
    report = cal.importer(batch_size=1).run()
    assert report.of(ImportedEntity.PRODUCTS).moved == 2
    assert len(harness.outsmart.calls_to("material_categories", "GET")) == 1
    assert harness.office.material_categories == {
        ("MAT-1", "BILLIT-8"),
        ("MAT-2", "BILLIT-8"),
    }
