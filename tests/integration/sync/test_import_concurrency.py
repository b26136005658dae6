"""The overlapped import (issue 16, point 5): the same outcome whatever the overlap, the APIs'
and DynamoDB's limits kept, and no failure lost in a thread.

Expected outcomes are worked out from the account below, not from a run: 130 customers in
batches of 20 (7 batches), of which two have no street (skipped before posting) and one reuses
an earlier customer's number five batches later (skipped: the number is taken); 45 products
over 3 groups (3 batches), one of them an hour product.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from billit_sync.billit.errors import BillitServerError
from billit_sync.store import IdMapping, MappedEntity
from billit_sync.store.aws_errors import AwsTransientError
from billit_sync.store.keys import MAPPING_OUTSMART_PREFIX, mapping_pk
from billit_sync.store.throughput import PartitionThroughput
from billit_sync.sync.imports.importer import PARTIES
from billit_sync.sync.imports.report import ImportedEntity, ImportReport
from tests.fakes.dynamodb_partitions import DynamoDBPartitions
from tests.fakes.faults import FaultKind, FaultPlan
from tests.integration.sync.import_harness import COMPANY, TENANT, ImportHarness, import_harness

CUSTOMERS = 130
BATCH = 20
NO_STREET = {17, 88}  # skipped before posting: street is required by OutSmart
DUPLICATE = 121  # reuses customer 3's number: the number is taken
PRODUCTS = 44  # materials, over 3 groups
HOUR_PRODUCT = "HT-1"

# Worked out by hand from the account above.
EXPECTED_CUSTOMERS = CUSTOMERS - len(NO_STREET) - 1  # 127
EXPECTED_SKIPPED_CUSTOMERS = len(NO_STREET) + 1  # 3
# Groups recur in each of the 3 product batches (45 rows / 20): created once, then unchanged.
EXPECTED_GROUPS = (3, 6)  # (created, unchanged)


def number(n: int) -> str:
    return "K00003" if n == DUPLICATE else f"K{n:05d}"


def seed(h: ImportHarness) -> None:
    for n in range(CUSTOMERS):
        h.clock.advance(1)  # distinct LastModified stamps, so the watermark says which batch
        h.customer(
            f"Klant {n}",
            Nr=number(n),
            Street="" if n in NO_STREET else "Markt",
            ContactFirstName="Contact",
            ContactLastName=str(n),
        )
    for n in range(PRODUCTS):
        h.clock.advance(1)
        h.product(f"P{n:03d}", AmountExcl=Decimal("1.50"), GroupID=n % 3, GroupName=f"G{n % 3}")
    h.product(HOUR_PRODUCT, Description="Arbeid", AmountExcl=Decimal("55.00"), Unit="HUR")


@pytest.fixture
def harness() -> Iterator[ImportHarness]:
    with import_harness() as running:
        seed(running)
        yield running


def outcome(h: ImportHarness, report: ImportReport) -> dict[str, Any]:
    """What a user and the next run can see: OutSmart's records, the mappings, the counts."""
    office = h.office
    counts = {
        entity.value: (c.created, c.updated, c.unchanged, c.skipped)
        for entity, c in report.counts.items()
    }
    mappings = {
        entity.value: sorted(
            (m.billit_id, m.outsmart_key) for m in h.mappings.list(TENANT, str(COMPANY), entity)
        )
        for entity in MappedEntity
    }
    return {
        "relations": sorted((r["debtor_number"], r["name"]) for r in office.relations.values()),
        "contacts": sorted(office.contact_persons),
        "materials": sorted(office.materials),
        "categories": sorted(office.categories),
        "hour_types": sorted(office.hour_types),
        "mappings": mappings,
        "counts": counts,
        "skipped": sorted((e.value, s.label, s.reason) for e, s in report.skipped),
    }


def test_the_outcome_is_the_hand_worked_one_whatever_the_overlap() -> None:
    outcomes = []
    overlaps: tuple[dict[str, Any], ...] = (
        {"read_ahead": 1, "store_workers": 1, "max_pending_stores": 1},
        {"read_ahead": 4, "store_workers": 4, "max_pending_stores": 64},
    )
    for overlap in overlaps:
        with import_harness() as h:
            seed(h)
            report = h.importer(batch_size=BATCH, **overlap).run()
            assert report.finished
            outcomes.append(outcome(h, report))
    narrow, wide = outcomes
    assert narrow == wide

    assert len(wide["relations"]) == EXPECTED_CUSTOMERS
    assert ("K00003", "Klant 3") in wide["relations"]  # the first owner keeps its number
    assert len(wide["contacts"]) == EXPECTED_CUSTOMERS
    assert wide["counts"]["customers"] == (EXPECTED_CUSTOMERS, 0, 0, EXPECTED_SKIPPED_CUSTOMERS)
    assert wide["counts"]["product_groups"][:3] == (*EXPECTED_GROUPS[:1], 0, EXPECTED_GROUPS[1])
    assert len(wide["materials"]) == PRODUCTS
    assert len(wide["categories"]) == 3
    assert len(wide["hour_types"]) == 1
    assert (
        "customers",
        "Klant 121",
        "customer number K00003 is already used by another Billit record",
    ) in wide["skipped"]
    assert len(wide["mappings"]["customer"]) == EXPECTED_CUSTOMERS
    assert len(wide["mappings"]["contact_person"]) == EXPECTED_CUSTOMERS


def test_mappings_nothing_reads_by_outsmart_key_are_stored_one_way(harness: ImportHarness) -> None:
    harness.importer(batch_size=BATCH).run()
    table = harness.mappings._table

    def reverse_entries(entity: MappedEntity) -> int:
        response = table.query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": mapping_pk(TENANT, str(COMPANY), entity),
                ":prefix": MAPPING_OUTSMART_PREFIX,
            },
        )
        return len(response["Items"])

    assert reverse_entries(MappedEntity.CUSTOMER) == EXPECTED_CUSTOMERS  # export, uniqueness
    assert reverse_entries(MappedEntity.PRODUCT) == PRODUCTS
    assert reverse_entries(MappedEntity.HOUR_TYPE) == 1
    assert reverse_entries(MappedEntity.CONTACT_PERSON) == 0  # nothing reads them
    assert reverse_entries(MappedEntity.PRODUCT_GROUP) == 0


def waiting_for_company(plan: FaultPlan, patience: float = 2.0) -> Callable[[float], None]:
    """The fake's latency, but until two requests have once been in flight together, each
    request first waits (at most ``patience`` seconds) for a second one: a reader thread that
    a busy machine starts late still overlaps, so the test measures the client's concurrency,
    not the machine's timing. A client that reads one list after the other never overlaps."""

    def sleep(latency: float) -> None:
        deadline = time.monotonic() + patience
        while plan.max_in_flight < 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(latency)

    return sleep


def test_billit_and_outsmart_concurrency_limits_are_kept(harness: ImportHarness) -> None:
    harness.billit.faults.concurrency_limit = 5  # billit-api.md §9 (assumed)
    harness.outsmart.faults.concurrency_limit = 1  # outsmart-api.md §8
    harness.billit.faults.latency = harness.outsmart.faults.latency = 0.005
    harness.billit.faults.sleep = waiting_for_company(harness.billit.faults)

    report = harness.importer(batch_size=BATCH, read_ahead=3).run()

    assert report.finished
    assert harness.billit.faults.max_in_flight == 2  # both lists read at once, no more
    assert harness.outsmart.faults.max_in_flight == 1
    assert [c for c in harness.billit.calls if c.status == 429] == []
    assert len(harness.office.relations) == EXPECTED_CUSTOMERS


@contextmanager
def paced_harness(
    write: int, read: int, *, pace: PartitionThroughput
) -> Iterator[tuple[ImportHarness, DynamoDBPartitions]]:
    """The harness with DynamoDB's mapping partitions limited to ``write``/``read`` units per
    second (the model throttles above), and the store pacing itself with ``pace``."""
    with import_harness() as h:
        seed(h)
        model = DynamoDBPartitions(write_units_per_second=write, read_units_per_second=read)
        model.install(h.mappings._table.meta.client)
        h.mappings._throughput = pace
        yield h, model


def test_mapping_writes_keep_to_the_partition_rate() -> None:
    # 127 customers: 254 customer-partition writes, paced to 300 of the 400 per second the
    # partition takes (at this low rate, the margin must hold two batches of 25 that reach
    # the partition later than the pace granted them): about 1 s.
    pace = PartitionThroughput(write_units_per_second=300, read_units_per_second=900)
    with paced_harness(400, 1_200, pace=pace) as (h, model):
        report = h.importer(batch_size=BATCH, store_workers=4).run()

        assert report.finished
        assert model.stats.throttled_writes == 0
        assert model.stats.throttled_reads == 0
        assert max(model.stats.max_write_units_in_a_second.values()) <= 400
        assert len(list(h.mappings.list(TENANT, str(COMPANY), MappedEntity.CUSTOMER))) == (
            EXPECTED_CUSTOMERS
        )


def test_throttled_writes_are_retried_and_nothing_is_lost() -> None:
    unpaced = PartitionThroughput(write_units_per_second=100_000, read_units_per_second=100_000)
    with paced_harness(200, 3_000, pace=unpaced) as (h, model):
        # One writer per partition, and a retry that waits out the partition's second: the
        # partition is empty again when it comes, so the test does not hang on jitter.
        h.mappings._sleep = lambda _: time.sleep(1.0)
        report = h.importer(batch_size=BATCH, store_workers=1).run()

        assert report.finished
        assert model.stats.throttled_writes > 0  # DynamoDB pushed back ...
        stored = list(h.mappings.list(TENANT, str(COMPANY), MappedEntity.CUSTOMER))
        assert len(stored) == EXPECTED_CUSTOMERS  # ... and every mapping is stored
        again = h.importer(batch_size=BATCH).run()
        assert again.of(ImportedEntity.CUSTOMERS).written == 0  # the next run has nothing to do


def stamps_of_first(h: ImportHarness, batches: int) -> datetime:
    """The LastModified of the last party in the first ``batches`` batches."""
    parties = sorted(
        h.billit._companies[COMPANY].parties.values(),
        key=lambda p: str(p["LastModified"]),
    )
    return datetime.fromisoformat(str(parties[batches * BATCH - 1]["LastModified"])).replace(
        tzinfo=UTC
    )


def watermark(h: ImportHarness) -> datetime:
    mark = h.watermarks.get(TENANT, str(COMPANY), PARTIES)
    assert mark.last_modified is not None
    return datetime.fromisoformat(mark.last_modified)


def test_a_failed_mapping_write_stops_the_run_and_keeps_the_watermark_behind_it(
    harness: ImportHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_put_many = harness.mappings.put_many
    calls: list[int] = []

    def third_customer_batch_fails(
        tenant_id: str, party_id: str, mappings: list[IdMapping], **kwargs: Any
    ) -> int:
        if mappings and mappings[0].entity is MappedEntity.CUSTOMER:
            calls.append(1)
            if len(calls) == 3:
                raise AwsTransientError("MappingStore.put_many", "ProvisionedThroughputExceeded")
        return real_put_many(tenant_id, party_id, mappings, **kwargs)

    monkeypatch.setattr(harness.mappings, "put_many", third_customer_batch_fails)
    with pytest.raises(AwsTransientError):
        harness.importer(batch_size=BATCH, store_workers=1).run()

    assert watermark(harness) <= stamps_of_first(harness, 2)  # never past the failed batch

    monkeypatch.undo()
    report = harness.importer(batch_size=BATCH).run()  # the next delivery of the job
    assert report.finished
    stored = list(harness.mappings.list(TENANT, str(COMPANY), MappedEntity.CUSTOMER))
    assert len(stored) == EXPECTED_CUSTOMERS
    assert len(harness.office.relations) == EXPECTED_CUSTOMERS


def test_a_billit_failure_in_the_reader_reaches_the_run_after_the_batches_before_it(
    harness: ImportHarness,
) -> None:
    # Batches of 20 from pages of 120: page 1 holds batches 0-5; every request for page 2
    # ($skip=120) fails, retries included.
    harness.billit.faults.add(FaultKind.SERVER_ERROR, method="GET", path=r"/v1/parties$", times=-1)
    harness.billit.faults.faults[-1].matches = (  # type: ignore[method-assign]
        lambda request: (
            request.url.path.endswith("/v1/parties") and request.url.params.get("$skip") == "120"
        )
    )

    with pytest.raises(BillitServerError):
        harness.importer(batch_size=BATCH).run()

    assert watermark(harness) == stamps_of_first(harness, 6)  # all 120 rows of page 1 stored
    assert len(harness.office.relations) == 120 - len(NO_STREET)
